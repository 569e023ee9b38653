import { useEffect, useRef } from "react";
import { Link } from "../../app/router";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatDate, formatTime } from "../../ui/dates";

export const PersonCardFragment = graphql(`
  fragment PersonCard_person on Person {
    id
    name
    nameKana
    title
    extension
    email
    department {
      id
      name
    }
    additionalDepartments {
      id
      name
    }
    presence {
      status
      message
      updatedAt
    }
  }
`);

export const PersonCardFreeBusyFragment = graphql(`
  fragment PersonCard_freeBusy on PersonFreeBusy {
    busy {
      start
      end
    }
  }
`);

/** Who someone is, how to reach them, where they are, and when they are busy today. */
export function PersonCard({
  person,
  freeBusy,
  today,
  isMe = false,
  onClose,
}: {
  person: FragmentType<typeof PersonCardFragment>;
  freeBusy: FragmentType<typeof PersonCardFreeBusyFragment> | null | undefined;
  today: string;
  /** My own card offers no conversation with myself. */
  isMe?: boolean;
  onClose: () => void;
}) {
  const { t, language } = useI18n();
  const data = readFragment(PersonCardFragment, person);
  const busy = freeBusy ? readFragment(PersonCardFreeBusyFragment, freeBusy).busy : [];
  const heading = useRef<HTMLHeadingElement>(null);
  // Opening a card moves the reading position to it, as following a link would (the page
  // gives each person's card its own key, so this runs once per person opened).
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <section className="card person-card" aria-labelledby="person-card-title">
      <h2 id="person-card-title" tabIndex={-1} ref={heading}>
        <ruby>
          {data.name}
          <rt>{data.nameKana}</rt>
        </ruby>
        {data.title ? <small className="who"> {data.title}</small> : null}
      </h2>
      <dl className="facts">
        <dt>{t("directory.kana")}</dt>
        <dd>{data.nameKana}</dd>
        <dt>{t("directory.department")}</dt>
        <dd>{data.department?.name ?? t("portal.noDepartment")}</dd>
        {data.additionalDepartments.length > 0 ? (
          <>
            <dt>{t("directory.additional")}</dt>
            <dd>{data.additionalDepartments.map((d) => d.name).join("、")}</dd>
          </>
        ) : null}
        <dt>{t("portal.memberTitle")}</dt>
        <dd>{data.title || "—"}</dd>
        <dt>{t("directory.extension")}</dt>
        <dd>{data.extension || "—"}</dd>
        <dt>{t("directory.email")}</dt>
        <dd>{data.email ? <a href={`mailto:${data.email}`}>{data.email}</a> : "—"}</dd>
        <dt>{t("portal.memberPresence")}</dt>
        <dd>
          <span className={`presence presence-${data.presence?.status ?? "unknown"}`}>
            {data.presence ? t(`presence.${data.presence.status}`) : "—"}
          </span>
          {data.presence?.message ? ` ${data.presence.message}` : ""}
        </dd>
      </dl>
      <h3>{t("directory.freeBusy", { date: formatDate(today, language) })}</h3>
      {busy.length === 0 ? (
        <p className="free">{t("directory.freeAllDay")}</p>
      ) : (
        <ul className="busy">
          {busy.map((span) => (
            <li key={span.start}>
              {formatTime(span.start, language)}–{formatTime(span.end, language)}{" "}
              {t("directory.busy")}
            </li>
          ))}
        </ul>
      )}
      <p className="hint">{t("directory.freeBusyHint")}</p>
      {isMe ? null : (
        // A direct message instead of an extension call: the one-to-one opens (made if new).
        <p>
          <Link to={`/messages?with=${encodeURIComponent(data.id)}`}>
            {t("directory.sendMessage")}
          </Link>
        </p>
      )}
      <button type="button" onClick={onClose}>
        {t("directory.closeCard")}
      </button>
    </section>
  );
}
