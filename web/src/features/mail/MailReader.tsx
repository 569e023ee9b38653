import { useEffect, useId, useRef, useState } from "react";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatWhen } from "../../ui/lists";
// The one renderer of sanitised HTML (allow-list to React elements, no remote content).
import { SafeHtml } from "../notices/SafeHtml";
import { MailAttachments } from "./MailAttachments";

export const MailReaderFragment = graphql(`
  fragment MailReader_message on MailMessage {
    id
    subject
    isRead
    isFlagged
    isDraft
    receivedAt
    sentAt
    textBody
    htmlBody
    origin
    folder {
      id
      role
    }
    from {
      name
      address
    }
    to {
      name
      address
    }
    cc {
      name
      address
    }
    ...MailAttachments_message
  }
`);

export type ComposeMode = "REPLY" | "REPLY_ALL" | "FORWARD";

interface Address {
  name: string;
  address: string;
}

const formatted = (people: readonly Address[]) =>
  people.map((p) => (p.name ? `${p.name} <${p.address}>` : p.address)).join(", ");

export interface ThreadItem {
  id: string;
  subject: string;
  receivedAt: string;
  from: Address;
}

/** One message: headers, the body (sanitised HTML or the plain text), what can be done. */
export function MailReader({
  message,
  thread,
  folders,
  busy,
  onCompose,
  onMark,
  onMove,
  onDelete,
  onOpen,
  onClose,
  onRequestRelease,
}: {
  message: FragmentType<typeof MailReaderFragment>;
  thread: readonly ThreadItem[];
  folders: readonly { id: string; name: string }[];
  busy: boolean;
  onCompose: (mode: ComposeMode) => void;
  onMark: (change: { read?: boolean; flagged?: boolean }) => void;
  onMove: (folderId: string) => void;
  onDelete: () => void;
  onOpen: (id: string) => void;
  onClose: () => void;
  onRequestRelease: (attachmentId: string) => void;
}) {
  const { t, language } = useI18n();
  const id = useId();
  const data = readFragment(MailReaderFragment, message);
  const [plain, setPlain] = useState(false);
  const others = folders.filter((folder) => folder.id !== data.folder.id);
  const [target, setTarget] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  // Opening a message moves the reading position to it, as following a link would.
  useEffect(() => {
    heading.current?.focus();
  }, []);
  const hasHtml = data.htmlBody.trim() !== "";
  return (
    <article className="card mail-reader" aria-labelledby={`${id}-subject`}>
      <h2 id={`${id}-subject`} tabIndex={-1} ref={heading}>
        {data.subject || t("mail.noSubject")}
      </h2>
      <dl className="facts mail-headers">
        <dt>{t("mail.from")}</dt>
        <dd>{formatted([data.from])}</dd>
        <dt>{t("mail.to")}</dt>
        <dd>{formatted(data.to) || "—"}</dd>
        {data.cc.length > 0 ? (
          <>
            <dt>{t("mail.cc")}</dt>
            <dd>{formatted(data.cc)}</dd>
          </>
        ) : null}
        <dt>{t("mail.date")}</dt>
        <dd>{formatWhen(data.sentAt ?? data.receivedAt, language)}</dd>
      </dl>
      <div className="mail-actions">
        <button type="button" onClick={() => onCompose("REPLY")}>
          {t("mail.reply")}
        </button>
        <button type="button" onClick={() => onCompose("REPLY_ALL")}>
          {t("mail.replyAll")}
        </button>
        <button type="button" onClick={() => onCompose("FORWARD")}>
          {t("mail.forward")}
        </button>
        <button type="button" disabled={busy} onClick={() => onMark({ read: !data.isRead })}>
          {data.isRead ? t("mail.markUnread") : t("mail.markRead")}
        </button>
        <button
          type="button"
          disabled={busy}
          aria-pressed={data.isFlagged}
          onClick={() => onMark({ flagged: !data.isFlagged })}
        >
          {t("mail.flag")}
        </button>
        <button type="button" disabled={busy} onClick={onDelete}>
          {data.folder.role === "TRASH" ? t("mail.deleteForGood") : t("mail.delete")}
        </button>
        <button type="button" onClick={onClose}>
          {t("mail.close")}
        </button>
      </div>
      {others.length > 0 ? (
        <form
          className="mail-move"
          onSubmit={(event) => {
            event.preventDefault();
            if (target) onMove(target);
          }}
        >
          <label htmlFor={`${id}-move`}>{t("mail.moveTo")}</label>
          <select id={`${id}-move`} value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">{t("mail.chooseFolder")}</option>
            {others.map((folder) => (
              <option key={folder.id} value={folder.id}>
                {folder.name}
              </option>
            ))}
          </select>
          <button type="submit" disabled={busy || !target}>
            {t("mail.move")}
          </button>
        </form>
      ) : null}
      {hasHtml ? (
        <label className="mail-plain">
          <input type="checkbox" checked={plain} onChange={(e) => setPlain(e.target.checked)} />
          {t("mail.plainText")}
        </label>
      ) : null}
      {hasHtml && !plain ? (
        <>
          <p className="hint">{t("mail.remoteBlocked")}</p>
          <SafeHtml html={data.htmlBody} className="mail-body" />
        </>
      ) : (
        <pre className="mail-body mail-text">{data.textBody}</pre>
      )}
      <MailAttachments message={data} busy={busy} onRequestRelease={onRequestRelease} />
      {thread.length > 1 ? (
        <section aria-labelledby={`${id}-thread`}>
          <h3 id={`${id}-thread`}>{t("mail.thread", { count: thread.length })}</h3>
          <ol className="mail-thread">
            {thread.map((item) => (
              <li key={item.id}>
                {item.id === data.id ? (
                  <span aria-current="true">
                    {item.from.name || item.from.address}: {item.subject}
                  </span>
                ) : (
                  <button type="button" className="link" onClick={() => onOpen(item.id)}>
                    {item.from.name || item.from.address}: {item.subject}
                  </button>
                )}{" "}
                <time dateTime={item.receivedAt}>{formatWhen(item.receivedAt, language)}</time>
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </article>
  );
}
