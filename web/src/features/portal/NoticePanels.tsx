import { type ReactNode, useEffect } from "react";
import { useClient, useSubscription } from "urql";
import { Link } from "../../app/router";
import { type FragmentType, graphql, readFragment } from "../../gql";
import type { NoticePanels_PersonFragment, NoticePanels_QueryFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n/language";
import { formatShortDate } from "../../ui/dates";
import { DeferredCard, STILL_COMING, type Waiting } from "./Deferred";

// The portal's part of the notices subgraph, spread into the page's one request: my counts
// (federated onto Person, so asked inside `me`) and a few items of each (root fields). Two
// fragments, because the page defers each where it is asked: graphcache (9.0) cannot read a
// page back whose deferred root fragment reaches into `me` before that fragment arrives.
export const NoticeCountsFragment = graphql(`
  fragment NoticePanels_person on Person {
    id
    unreadNoticeCount
    pendingCirculationCount
    openSurveyCount
    unreadMailCount
    unreadDirectMessageCount
  }
`);

export const NoticePanelsFragment = graphql(`
  fragment NoticePanels_query on Query {
    portalNotices: notices(first: 5) {
      id
      title
      importance
      pinned
      isRead
    }
    portalCirculations: circulations(folder: UNCONFIRMED, first: 5) {
      id
      title
      sender {
        id
        name
      }
    }
    portalSurveys: surveys(first: 5) {
      id
      title
      closesAt
      myAnsweredAt
    }
  }
`);

// What an event asks again: the same fields, so the cache (and the panels) take the answer.
const NoticePanelsRefresh = graphql(`
  query NoticePanelsRefresh {
    me {
      id
      ...NoticePanels_person
    }
    ...NoticePanels_query
  }
`);

const PortalNoticeEvents = graphql(`
  subscription PortalNoticeEvents {
    noticeEvents {
      kind
      version
      notice {
        id
      }
    }
  }
`);

const PortalCirculationEvents = graphql(`
  subscription PortalCirculationEvents {
    circulationEvents {
      kind
      version
      circulation {
        id
      }
    }
  }
`);

const PortalSurveyEvents = graphql(`
  subscription PortalSurveyEvents {
    surveyEvents {
      kind
      version
      survey {
        id
      }
    }
  }
`);

const PortalMailEvents = graphql(`
  subscription PortalMailEvents {
    mailEvents {
      kind
      messageId
    }
  }
`);

const PortalDirectMessageEvents = graphql(`
  subscription PortalDirectMessageEvents {
    directMessageEvents {
      kind
    }
  }
`);

const count = (previous: number | undefined) => (previous ?? 0) + 1;

/** Keeps the panels current: an event for me is a hint to ask for the panels again. */
function useLivePanels() {
  const client = useClient();
  const [notices] = useSubscription(
    { query: PortalNoticeEvents },
    (previous: number | undefined, event) =>
      event.noticeEvents.kind === "READ" ? (previous ?? 0) : count(previous),
  );
  const [circulations] = useSubscription(
    { query: PortalCirculationEvents },
    (previous: number | undefined, event) =>
      event.circulationEvents.kind === "CONFIRMED" || event.circulationEvents.kind === "COMMENTED"
        ? (previous ?? 0)
        : count(previous),
  );
  const [surveys] = useSubscription(
    { query: PortalSurveyEvents },
    (previous: number | undefined, event) =>
      event.surveyEvents.kind === "ANSWERED" ? (previous ?? 0) : count(previous),
  );
  const [mail] = useSubscription({ query: PortalMailEvents }, count);
  const [messages] = useSubscription({ query: PortalDirectMessageEvents }, count);
  const changes =
    (notices.data ?? 0) +
    (circulations.data ?? 0) +
    (surveys.data ?? 0) +
    (mail.data ?? 0) +
    (messages.data ?? 0);
  useEffect(() => {
    if (changes > 0) {
      void client.query(NoticePanelsRefresh, {}, { requestPolicy: "network-only" }).toPromise();
    }
  }, [changes, client]);
}

function Count({ value, label }: { value: number; label: string }) {
  return (
    <p className="panel-count">
      <span className={value > 0 ? "count count-waiting" : "count"}>{value}</span> {label}
    </p>
  );
}

/** お知らせ・回覧・アンケート, unread mail and direct messages on the portal. */
export function NoticePanels({
  query,
  person,
  waiting = STILL_COMING,
}: {
  /** Null until the deferred part of the page with the items has arrived. */
  query: FragmentType<typeof NoticePanelsFragment> | null;
  /** Null until the deferred part with my counts has arrived. */
  person: FragmentType<typeof NoticeCountsFragment> | null;
  /** What the panels show while either is null. */
  waiting?: Waiting;
}) {
  const { t, language } = useI18n();
  useLivePanels();
  const items = query ? readFragment(NoticePanelsFragment, query) : null;
  const counts = person ? readFragment(NoticeCountsFragment, person) : null;
  const data = items && counts ? { ...items, me: counts } : null;
  // Each card has its heading at once; its body once the part has come.
  const card = (
    titleId: string,
    title: ReactNode,
    body: (panels: NoticePanels_QueryFragment & { me: NoticePanels_PersonFragment }) => ReactNode,
  ) => (
    <DeferredCard
      className="card notice-panel"
      titleId={titleId}
      title={title}
      value={data}
      waiting={waiting}
    >
      {body}
    </DeferredCard>
  );
  return (
    <>
      {card("panel-notices", <Link to="/notices">{t("portal.notices")}</Link>, (panels) => {
        const unread = panels.portalNotices.filter((n) => !n.isRead);
        return (
          <>
            <div aria-live="polite" className="unread-notices">
              <Count value={panels.me.unreadNoticeCount ?? 0} label={t("portal.unreadNotices")} />
            </div>
            {unread.length === 0 ? (
              <p className="empty">{t("portal.noUnreadNotices")}</p>
            ) : (
              <ul className="item-list">
                {unread.map((n) => (
                  <li key={n.id}>
                    <span className={`badge importance importance-${n.importance}`}>
                      {t(`notices.importance.${n.importance}`)}
                    </span>{" "}
                    <Link to={`/notices/${n.id}`}>{n.title}</Link>
                  </li>
                ))}
              </ul>
            )}
          </>
        );
      })}
      {card(
        "panel-circulations",
        <Link to="/circulations">{t("portal.circulations")}</Link>,
        (panels) => (
          <>
            <div aria-live="polite" className="pending-circulations">
              <Count
                value={panels.me.pendingCirculationCount ?? 0}
                label={t("portal.pendingCirculations")}
              />
            </div>
            {panels.portalCirculations.length === 0 ? (
              <p className="empty">{t("portal.noCirculations")}</p>
            ) : (
              <ul className="item-list">
                {panels.portalCirculations.map((c) => (
                  <li key={c.id}>
                    <Link to={`/circulations/${c.id}`}>{c.title}</Link>{" "}
                    <small>{c.sender.name}</small>
                  </li>
                ))}
              </ul>
            )}
          </>
        ),
      )}
      {card("panel-surveys", <Link to="/surveys">{t("portal.surveys")}</Link>, (panels) => {
        const pendingSurveys = panels.portalSurveys.filter((s) => !s.myAnsweredAt);
        return (
          <>
            <div aria-live="polite" className="open-surveys">
              <Count value={panels.me.openSurveyCount ?? 0} label={t("portal.openSurveys")} />
            </div>
            {pendingSurveys.length === 0 ? (
              <p className="empty">{t("portal.noSurveys")}</p>
            ) : (
              <ul className="item-list">
                {pendingSurveys.map((s) => (
                  <li key={s.id}>
                    <Link to={`/surveys/${s.id}`}>{s.title}</Link>
                    {s.closesAt ? (
                      <small>
                        {" "}
                        {t("survey.closesAt")} {formatShortDate(s.closesAt, language)}
                      </small>
                    ) : null}
                  </li>
                ))}
              </ul>
            )}
          </>
        );
      })}
      {card("panel-mail", <Link to="/mail">{t("portal.mail")}</Link>, (panels) => (
        <>
          <div aria-live="polite" className="unread-mail">
            <Count value={panels.me.unreadMailCount ?? 0} label={t("portal.unreadMail")} />
          </div>
        </>
      ))}
      {card("panel-messages", <Link to="/messages">{t("portal.messages")}</Link>, (panels) => (
        <>
          <div aria-live="polite" className="unread-messages">
            <Count
              value={panels.me.unreadDirectMessageCount ?? 0}
              label={t("portal.unreadMessages")}
            />
          </div>
        </>
      ))}
    </>
  );
}
