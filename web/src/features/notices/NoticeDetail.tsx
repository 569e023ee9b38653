import { useEffect, useRef } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { Link } from "../../app/router";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { AttachmentList } from "./Attachments";
import {
  ImportanceBadge,
  Moment,
  MutationError,
  NotFoundCard,
  PayloadErrors,
  usePageData,
} from "./common";
import { NoticeEventsSubscription } from "./NoticesPage";
import { SafeHtml } from "./SafeHtml";

// One notice in one request, with its readers and non-readers when I may see them
// (author, administrators; null for anyone else).
const NoticeQuery = graphql(`
  query NoticeDetail($id: ID!) {
    me {
      id
    }
    notice(id: $id) {
      id
      title
      body
      importance
      pinned
      status
      startsAt
      endsAt
      createdAt
      version
      isRead
      readAt
      canManage
      recipientCount
      readCount
      category {
        id
        name
      }
      attachments {
        id
        name
        size
        url
      }
      author {
        id
        name
      }
      readers {
        readAt
        person {
          id
          name
        }
      }
      nonReaders {
        lastRemindedAt
        person {
          id
          name
        }
      }
      reminders {
        sentAt
        persons {
          id
        }
      }
    }
  }
`);

const MarkRead = graphql(`
  mutation MarkNoticeRead($id: ID!) {
    markNoticeRead(id: $id) {
      notice {
        id
        isRead
        readAt
      }
      errors {
        code
      }
    }
  }
`);

const Remind = graphql(`
  mutation RemindNotice($id: ID!) {
    remindNotice(id: $id) {
      reminder {
        sentAt
        persons {
          id
          name
        }
      }
      errors {
        code
      }
    }
  }
`);

/** One information item: its body, read on opening; for its author its readers, live. */
export function NoticeDetail({ id, onSignedOut }: { id: string; onSignedOut: () => void }) {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({
    query: NoticeQuery,
    variables: { id },
    requestPolicy: "cache-and-network",
  });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const [, markRead] = useMutation(MarkRead);
  const [reminded, remind] = useMutation(Remind);
  const notice = result.data?.notice;
  const canManage = notice?.canManage ?? false;
  // Opening it reads it: once, the first time it shows unread.
  const marked = useRef<string | null>(null);
  useEffect(() => {
    if (notice && !notice.isRead && marked.current !== notice.id) {
      marked.current = notice.id;
      void markRead({ id: notice.id });
    }
  }, [notice, markRead]);
  // Someone read it (author's view): the event is a hint, so the lists are read again.
  const [events] = useSubscription(
    { query: NoticeEventsSubscription, pause: !canManage },
    (previous: number | undefined, event) =>
      event.noticeEvents.notice.id === id ? (previous ?? 0) + 1 : (previous ?? 0),
  );
  useEffect(() => {
    if (events.data) reexecute({ requestPolicy: "network-only" });
  }, [events.data, reexecute]);
  useEffect(() => onReconnect(() => reexecute({ requestPolicy: "network-only" })), [reexecute]);
  const { placeholder } = usePageData(result, reexecute, onSignedOut);
  if (placeholder) return placeholder;
  if (!notice) {
    return <NotFoundCard title={t("notices.notFound")} back={t("notices.back")} to="/notices" />;
  }
  const remindResult = reminded.data?.remindNotice;
  return (
    <article className="notice-detail">
      <p>
        <Link to="/notices">{t("notices.back")}</Link>
      </p>
      <header className="page-header">
        <h1>
          <ImportanceBadge importance={notice.importance} />{" "}
          {notice.pinned ? <span className="badge pinned">{t("notices.pinned")}</span> : null}{" "}
          {notice.title}
        </h1>
      </header>
      <dl className="facts">
        <dt>{t("notices.category")}</dt>
        <dd>{notice.category.name}</dd>
        <dt>{t("notices.author")}</dt>
        <dd>{notice.author.name}</dd>
        <dt>{t("notices.period")}</dt>
        <dd>
          <Moment value={notice.startsAt} /> –{" "}
          {notice.endsAt ? <Moment value={notice.endsAt} /> : ""} (
          {t(`notices.status.${notice.status}`)})
        </dd>
      </dl>
      <section className="card wide">
        <SafeHtml html={notice.body} />
      </section>
      <AttachmentList files={notice.attachments} />
      {canManage ? (
        <p>
          <Link to={`/notices/${notice.id}/edit`} className="button-link">
            {t("notices.edit")}
          </Link>
        </p>
      ) : null}
      {canManage ? (
        <section className="card wide readers" aria-labelledby="readers-title">
          <h2 id="readers-title">
            {t("notices.readers")}{" "}
            <span className="read-count" aria-live="polite">
              {t("notices.readOf", {
                read: notice.readCount ?? 0,
                total: notice.recipientCount ?? 0,
              })}
            </span>
          </h2>
          <div className="columns">
            <div>
              <h3>{t("notices.haveRead")}</h3>
              {(notice.readers ?? []).length === 0 ? (
                <p className="empty">{t("notices.nobody")}</p>
              ) : (
                <ul className="people-times" aria-label={t("notices.haveRead")}>
                  {(notice.readers ?? []).map((r) => (
                    <li key={r.person.id}>
                      <span>{r.person.name}</span> <Moment value={r.readAt} />
                    </li>
                  ))}
                </ul>
              )}
            </div>
            <div>
              <h3>{t("notices.notRead")}</h3>
              {(notice.nonReaders ?? []).length === 0 ? (
                <p className="empty">{t("notices.nobody")}</p>
              ) : (
                <ul className="people-times" aria-label={t("notices.notRead")}>
                  {(notice.nonReaders ?? []).map((r) => (
                    <li key={r.person.id}>
                      <span>{r.person.name}</span>
                      {r.lastRemindedAt ? (
                        <small>
                          {" "}
                          {t("notices.remindedAt")} <Moment value={r.lastRemindedAt} />
                        </small>
                      ) : null}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </div>
          <p>
            <button
              type="button"
              disabled={reminded.fetching || (notice.nonReaders ?? []).length === 0}
              onClick={() => void remind({ id: notice.id }).then(refresh)}
            >
              {t("notices.remind")}
            </button>
          </p>
          <div aria-live="polite">
            {remindResult?.reminder ? (
              <p className="done">
                {t("notices.remindedCount", { count: remindResult.reminder.persons.length })}
              </p>
            ) : null}
            <PayloadErrors errors={remindResult?.errors} />
            <MutationError error={reminded.error} />
          </div>
          {(notice.reminders ?? []).length > 0 ? (
            <p className="hint">
              {t("notices.remindersSent", { count: (notice.reminders ?? []).length })}
            </p>
          ) : null}
        </section>
      ) : null}
    </article>
  );
}
