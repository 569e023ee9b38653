import { useState } from "react";
import { useMutation } from "urql";
import { errorCode } from "../../api/errors";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatDate, formatTime } from "../../ui/dates";
import { ConfirmButton } from "./ConfirmButton";
import { CopyField } from "./CopyField";

export const CalendarFeedFragment = graphql(`
  fragment CalendarFeedRow_feed on CalendarFeed {
    id
    createdAt
    revokedAt
  }
`);

const CreateCalendarFeed = graphql(`
  mutation CreateCalendarFeed {
    createCalendarFeed {
      url
      feed {
        ...CalendarFeedRow_feed
      }
      errors {
        code
      }
    }
  }
`);

const RevokeCalendarFeed = graphql(`
  mutation RevokeCalendarFeed($id: ID!) {
    revokeCalendarFeed(id: $id) {
      feed {
        ...CalendarFeedRow_feed
      }
      errors {
        code
      }
    }
  }
`);

export function CalendarFeeds({
  feeds,
}: {
  feeds: readonly FragmentType<typeof CalendarFeedFragment>[];
}) {
  const { t, errorText, language } = useI18n();
  const [created, create] = useMutation(CreateCalendarFeed);
  const [revoked, revoke] = useMutation(RevokeCalendarFeed);
  // Shown once, like a token: kept only until the person leaves the screen.
  const [url, setUrl] = useState<string | null>(null);
  const rows = feeds.map((feed) => readFragment(CalendarFeedFragment, feed));
  const refused =
    created.data?.createCalendarFeed.errors[0]?.code ??
    revoked.data?.revokeCalendarFeed.errors[0]?.code;
  const failed = created.error ?? revoked.error;
  const failure = failed ? errorText(errorCode(failed)) : refused ? errorText(refused) : "";

  return (
    <section className="card wide" aria-labelledby="feed-title">
      <h2 id="feed-title">{t("settings.feed")}</h2>
      <p>{t("settings.feedIntro")}</p>
      <button
        type="button"
        disabled={created.fetching}
        onClick={async () => {
          const result = await create({});
          const made = result.data?.createCalendarFeed.url;
          if (made) setUrl(new URL(made, window.location.origin).href);
        }}
      >
        {t("settings.createFeed")}
      </button>
      <p role="status" className="error">
        {failure}
      </p>
      {url ? (
        <div className="secret">
          <p className="warning">{t("settings.feedOnce")}</p>
          <CopyField label={t("settings.feedUrl")} value={url} name="feed-url" />
        </div>
      ) : null}
      <h3>{t("settings.feedList")}</h3>
      {rows.length === 0 ? (
        <p>{t("settings.noFeeds")}</p>
      ) : (
        <ul className="feeds">
          {rows.map((feed) => (
            <li key={feed.id} data-feed={feed.id}>
              <span>
                {t("settings.feedColCreated")}: {formatDate(feed.createdAt, language)}{" "}
                {formatTime(feed.createdAt, language)}
              </span>{" "}
              <span>{t(feed.revokedAt ? "settings.revoked" : "settings.active")}</span>{" "}
              {feed.revokedAt ? null : (
                <ConfirmButton
                  label={t("settings.revoke")}
                  question={t("settings.revokeFeedConfirm")}
                  disabled={revoked.fetching}
                  onConfirm={() => void revoke({ id: feed.id })}
                />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
