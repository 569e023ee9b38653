import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatWhen, onArrowListKeyDown } from "../../ui/lists";

export const MailListItemFragment = graphql(`
  fragment MailListItem_message on MailMessage {
    id
    subject
    isRead
    isFlagged
    isDraft
    receivedAt
    threadId
    from {
      name
      address
    }
    to {
      name
      address
    }
  }
`);

/** A folder's messages, newest first: ↓/↑ move, Enter opens; unread ones in bold. */
export function MailList({
  messages,
  openId,
  showRecipients,
  onOpen,
}: {
  messages: readonly FragmentType<typeof MailListItemFragment>[];
  openId: string | null;
  /** Sent and Drafts show whom to, not from whom. */
  showRecipients: boolean;
  onOpen: (id: string) => void;
}) {
  const { t, language } = useI18n();
  const items = messages.map((message) => readFragment(MailListItemFragment, message));
  // How many of the list share a thread: a reply shows that it belongs to a conversation.
  const perThread = new Map<string, number>();
  for (const item of items) perThread.set(item.threadId, (perThread.get(item.threadId) ?? 0) + 1);
  if (items.length === 0) return <p className="empty">{t("mail.emptyFolder")}</p>;
  return (
    <ul className="mail-list" aria-label={t("mail.messages")} onKeyDown={onArrowListKeyDown}>
      {items.map((item) => {
        const who = showRecipients
          ? item.to.map((p) => p.name || p.address).join("、")
          : item.from.name || item.from.address;
        const inThread = perThread.get(item.threadId) ?? 1;
        return (
          <li key={item.id} className={item.isRead ? undefined : "is-unread"}>
            <button
              type="button"
              data-list-item
              aria-current={item.id === openId ? "true" : undefined}
              onClick={() => onOpen(item.id)}
            >
              <span className="mail-who">{who || t("mail.noRecipients")}</span>
              <span className="mail-subject">{item.subject || t("mail.noSubject")}</span>
              <span className="mail-meta">
                {item.isRead ? null : <span className="badge">{t("mail.unread")}</span>}
                {item.isFlagged ? <span className="badge flag">{t("mail.flagged")}</span> : null}
                {inThread > 1 ? (
                  <span className="badge">{t("mail.threadCount", { count: inThread })}</span>
                ) : null}
                <time dateTime={item.receivedAt}>{formatWhen(item.receivedAt, language)}</time>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
