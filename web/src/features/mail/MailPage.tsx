import "./mail.css";
import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useClient, useMutation, useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { readFragment } from "../../gql";
import type { MailSearchInput } from "../../gql/graphql";
import { useI18n } from "../../i18n/language";
import { countEvents } from "../../ui/lists";
import { Compose, type ComposeDraft } from "./Compose";
import { HeldFiles } from "./HeldFiles";
import { MailAttachmentsFragment } from "./MailAttachments";
import { MailList } from "./MailList";
import { type ComposeMode, MailReader, MailReaderFragment } from "./MailReader";
import {
  CreateMailFolderMutation,
  DeleteMailMutation,
  MailComposeQuery,
  MailEventsSubscription,
  MailPageQuery,
  MarkMailMutation,
  MoveMailMutation,
  RequestMailAttachmentReleaseMutation,
} from "./operations";

const PAGE_SIZE = 50;
const EMPTY_SEARCH = { sender: "", subject: "", text: "" };

function searchInput(search: typeof EMPTY_SEARCH): MailSearchInput | null {
  const parts = {
    sender: search.sender.trim() || null,
    subject: search.subject.trim() || null,
    text: search.text.trim() || null,
  };
  return parts.sender || parts.subject || parts.text ? parts : null;
}

/** メール: my mailboxes (own and shared) with their folders, a folder's list, one message,
 * compose; new mail in any of them arrives by subscription. */
export function MailPage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const id = useId();
  const client = useClient();
  // What the person chose on this screen (not server data).
  const [mailboxId, setMailboxId] = useState<string | null>(null);
  const [folderId, setFolderId] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const [searchDraft, setSearchDraft] = useState(EMPTY_SEARCH);
  const [search, setSearch] = useState(EMPTY_SEARCH);
  const [compose, setCompose] = useState<ComposeDraft | null>(null);
  const [status, setStatus] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [folderName, setFolderName] = useState("");
  // Administrators: the held files (メール無害化) instead of a message.
  const [showHeld, setShowHeld] = useState(false);

  const variables = {
    mailboxId: mailboxId ?? "",
    folderId,
    search: searchInput(search),
    first: PAGE_SIZE,
    offset,
    messageId: openId ?? "",
  };
  const [result, reexecute] = useQuery({ query: MailPageQuery, variables });
  const data = result.data;
  // urql keeps the last answer on the screen until the next one is here, and that answer
  // may be for another folder, mailbox, search or page: its rows are not shown then (they
  // would open a message of the folder left behind, under the new folder's heading).
  const answered = result.operation?.variables;
  const listIsCurrent =
    mailboxId !== null &&
    answered !== undefined &&
    answered.mailboxId === variables.mailboxId &&
    answered.folderId === variables.folderId &&
    answered.offset === variables.offset &&
    JSON.stringify(answered.search ?? null) === JSON.stringify(variables.search);
  // At once, with the variables of this render (the mail screen's changes keep them).
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  // The latest render's refresh, for answers that come back later: a closure of an older
  // render would ask again for what the page showed then.
  const refreshLatest = useRef(refresh);
  refreshLatest.current = refresh;
  // Events are hints: what changed is asked again, in the page's one request.
  const [events] = useSubscription({ query: MailEventsSubscription, pause: !data }, countEvents);
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-query on each new event only
  useEffect(() => {
    if (events.data) refresh();
  }, [events.data]);
  useEffect(() => onReconnect(() => reexecute({ requestPolicy: "network-only" })), [reexecute]);

  // An answer without me: the session ended (a failed answer has no data at all).
  const signedOut = data != null && !data.me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);

  const mailboxes = data?.mailboxes ?? [];
  // Until one is chosen: my own mailbox, its inbox.
  useEffect(() => {
    if (mailboxId === null && mailboxes.length > 0) {
      const own = mailboxes.find((box) => box.kind === "PERSONAL") ?? mailboxes[0];
      if (own) {
        setMailboxId(own.id);
        setFolderId(own.folders.find((f) => f.role === "INBOX")?.id ?? null);
      }
    }
  }, [mailboxId, mailboxes]);
  const mailbox = mailboxes.find((box) => box.id === mailboxId) ?? null;
  const folder = mailbox?.folders.find((f) => f.id === folderId) ?? null;

  const [markState, mark] = useMutation(MarkMailMutation);
  const [moveState, move] = useMutation(MoveMailMutation);
  const [deleteState, remove] = useMutation(DeleteMailMutation);
  const [, createFolder] = useMutation(CreateMailFolderMutation);
  const [releaseState, requestRelease] = useMutation(RequestMailAttachmentReleaseMutation);
  const busy =
    markState.fetching || moveState.fetching || deleteState.fetching || releaseState.fetching;

  // The message asked for, once its answer is here (until then urql keeps the previous
  // answer on the screen, which may hold another message).
  const shown = data?.mailMessage && data.mailMessage.id === openId ? data.mailMessage : null;
  const opened = shown ? readFragment(MailReaderFragment, shown) : null;
  // An opened unread message becomes read (shared mailboxes: for every member), unless the
  // person made it unread again (未読にする). One markMail at a time per message; if an
  // answer that left the server before it lands after it (the cache says unread again),
  // it is marked again.
  const keptUnread = useRef<string | null>(null);
  const marking = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: when the opened message or its read state changes
  useEffect(() => {
    if (!opened || opened.isRead || opened.isDraft) return;
    if (keptUnread.current === opened.id || marking.current === opened.id) return;
    const messageId = opened.id;
    marking.current = messageId;
    void mark({ input: { ids: [messageId], read: true } }).then((answer) => {
      if (marking.current === messageId) marking.current = null;
      if (answer.error) return fail(errorCode(answer.error));
      refreshLatest.current();
    });
  }, [opened?.id, opened?.isRead, opened?.isDraft]);

  const chooseFolder = (boxId: string, folder: string) => {
    setMailboxId(boxId);
    setFolderId(folder);
    setOpenId(null);
    setOffset(0);
    setCompose(null);
    setShowHeld(false);
  };
  const fail = (code: string) => setProblem(errorText(code));
  const done = (message: string) => {
    setProblem(null);
    setStatus(message);
    refresh();
  };

  const open = (messageId: string) => {
    setCompose(null);
    setShowHeld(false);
    keptUnread.current = null;
    // A draft opens in the compose form, to be finished.
    setOpenId(messageId);
  };
  // A draft opened: continue writing it.
  useEffect(() => {
    if (opened?.isDraft && mailboxId) {
      const list = (people: readonly { name: string; address: string }[]) =>
        people.map((p) => (p.name ? `${p.name} <${p.address}>` : p.address)).join(", ");
      setCompose({
        mailboxId,
        to: list(opened.to),
        cc: list(opened.cc),
        subject: opened.subject,
        textBody: opened.textBody,
        replyToId: null,
        draftId: opened.id,
        // Its files stay with it (a held or deleted one cannot be sent again).
        attachments: readFragment(MailAttachmentsFragment, opened)
          .attachments.filter((file) => file.state === "AVAILABLE")
          .map(({ id, name, size }) => ({ id, name, size })),
      });
      setOpenId(null);
    }
  }, [opened, mailboxId]);

  const startCompose = async (mode: ComposeMode | null) => {
    if (!mailboxId) return;
    setShowHeld(false);
    if (mode === null || !openId) {
      setCompose({
        mailboxId,
        to: "",
        cc: "",
        subject: "",
        textBody: "",
        replyToId: null,
        draftId: null,
        attachments: [],
      });
      return;
    }
    const answer = await client.query(MailComposeQuery, { id: openId, mode }).toPromise();
    const form = answer.data?.mailCompose;
    if (answer.error || !form) return fail(answer.error ? errorCode(answer.error) : "NOT_FOUND");
    setCompose({
      mailboxId,
      to: form.to.join(", "),
      cc: form.cc.join(", "),
      subject: form.subject,
      textBody: form.textBody,
      replyToId: form.replyToId ?? null,
      draftId: null,
      // A forward carries the original's files (the server copies them when it is sent).
      attachments: form.attachments.map(({ id, name, size }) => ({ id, name, size })),
    });
  };

  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    setSearch(searchDraft);
    setOffset(0);
    setOpenId(null);
  };

  if (result.error && !data) {
    return (
      <div className="card">
        <p className="error" role="alert">
          {errorText(errorCode(result.error))}
        </p>
        <button type="button" onClick={refresh}>
          {t("app.retry")}
        </button>
      </div>
    );
  }
  if (!data) return <p className="hint">{t("app.loading")}</p>;

  const list = listIsCurrent ? data.mailMessages : null;
  const folderOptions = (mailbox?.folders ?? []).map((f) => ({ id: f.id, name: folderLabel(f) }));
  function folderLabel(f: { role: string; name: string }): string {
    return f.role === "CUSTOM" ? f.name : t(`mail.folder.${f.role}` as "mail.folder.INBOX");
  }
  const searching = searchInput(search) !== null;
  const isAdmin = (data.me?.roles ?? []).includes("TENANT_ADMIN");

  return (
    <div className="mail-page">
      <div className="page-header">
        <h1>{t("mail.title")}</h1>
        <div className="mail-actions">
          {isAdmin ? (
            <button
              type="button"
              aria-pressed={showHeld}
              onClick={() => {
                setCompose(null);
                setShowHeld(!showHeld);
              }}
            >
              {t("mail.held.open")}
            </button>
          ) : null}
          <button type="button" className="primary" onClick={() => void startCompose(null)}>
            {t("mail.new")}
          </button>
        </div>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {status}
      </p>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="mail-layout">
        <nav className="card mail-boxes" aria-label={t("mail.mailboxes")}>
          {mailboxes.map((box) => (
            <section key={box.id} aria-labelledby={`${id}-${box.id}`}>
              <h2 id={`${id}-${box.id}`}>
                {box.name}
                <small className="who">
                  {" "}
                  {box.kind === "SHARED" ? t("mail.shared") : t("mail.personal")}
                </small>
                {box.unreadCount > 0 ? (
                  <span className="badge">{t("mail.unreadCount", { count: box.unreadCount })}</span>
                ) : null}
              </h2>
              <ul>
                {box.folders.map((f) => (
                  <li key={f.id}>
                    <button
                      type="button"
                      className="link"
                      aria-current={f.id === folderId ? "page" : undefined}
                      onClick={() => chooseFolder(box.id, f.id)}
                    >
                      {folderLabel(f)}
                      {f.unreadCount > 0 ? ` (${f.unreadCount})` : ""}
                    </button>
                  </li>
                ))}
              </ul>
            </section>
          ))}
          {mailbox ? (
            <form
              className="mail-new-folder"
              onSubmit={async (event) => {
                event.preventDefault();
                const answer = await createFolder({ mailboxId: mailbox.id, name: folderName });
                const errors = answer.data?.createMailFolder.errors ?? [];
                if (answer.error) return fail(errorCode(answer.error));
                if (errors[0]) return fail(errors[0].code);
                setFolderName("");
                done(t("mail.folderCreated"));
              }}
            >
              <label htmlFor={`${id}-folder`}>{t("mail.newFolder")}</label>
              <input
                id={`${id}-folder`}
                type="text"
                value={folderName}
                onChange={(event) => setFolderName(event.target.value)}
              />
              <button type="submit" disabled={!folderName.trim()}>
                {t("mail.createFolder")}
              </button>
            </form>
          ) : null}
        </nav>
        <section className="card mail-folder" aria-labelledby={`${id}-folder-title`}>
          <h2 id={`${id}-folder-title`}>
            {mailbox ? `${mailbox.name} — ${folder ? folderLabel(folder) : ""}` : ""}
          </h2>
          <form className="mail-search" onSubmit={onSearch} aria-label={t("mail.search")}>
            {(["sender", "subject", "text"] as const).map((part) => (
              <span key={part} className="field">
                <label htmlFor={`${id}-search-${part}`}>{t(`mail.search.${part}`)}</label>
                <input
                  id={`${id}-search-${part}`}
                  type="search"
                  value={searchDraft[part]}
                  onChange={(event) =>
                    setSearchDraft({ ...searchDraft, [part]: event.target.value })
                  }
                />
              </span>
            ))}
            <button type="submit">{t("mail.searchButton")}</button>
            {searching ? (
              <button
                type="button"
                onClick={() => {
                  setSearchDraft(EMPTY_SEARCH);
                  setSearch(EMPTY_SEARCH);
                }}
              >
                {t("mail.clearSearch")}
              </button>
            ) : null}
          </form>
          {list ? (
            <>
              <p className="hint" role="status">
                {t("mail.count", { count: list.totalCount })}
              </p>
              <MailList
                messages={list.messages}
                openId={openId}
                showRecipients={folder?.role === "SENT" || folder?.role === "DRAFTS"}
                onOpen={open}
              />
              {list.totalCount > PAGE_SIZE ? (
                <div className="pager">
                  <button
                    type="button"
                    disabled={offset === 0}
                    onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
                  >
                    {t("mail.newer")}
                  </button>
                  <button
                    type="button"
                    disabled={offset + PAGE_SIZE >= list.totalCount}
                    onClick={() => setOffset(offset + PAGE_SIZE)}
                  >
                    {t("mail.older")}
                  </button>
                </div>
              ) : null}
            </>
          ) : (
            <p className="hint">{t("app.loading")}</p>
          )}
        </section>
        {showHeld && isAdmin && !compose ? (
          <HeldFiles onClose={() => setShowHeld(false)} />
        ) : compose ? (
          <Compose
            key={compose.draftId ?? compose.replyToId ?? "new"}
            initial={compose}
            mailboxes={mailboxes}
            onCancel={() => setCompose(null)}
            onDone={(outcome) => {
              setCompose(null);
              done(outcome === "sent" ? t("mail.sent") : t("mail.draftSaved"));
            }}
          />
        ) : shown ? (
          <MailReader
            key={shown.id}
            message={shown}
            thread={data.mailThread ?? []}
            folders={folderOptions}
            busy={busy}
            onCompose={(mode) => void startCompose(mode)}
            onOpen={open}
            onClose={() => setOpenId(null)}
            onRequestRelease={async (attachmentId) => {
              const answer = await requestRelease({ id: attachmentId });
              if (answer.error) return fail(errorCode(answer.error));
              const errors = answer.data?.requestMailAttachmentRelease.errors ?? [];
              if (errors[0]) return fail(errors[0].code);
              setProblem(null);
              setStatus(t("mail.releaseRequestSent"));
            }}
            onMark={async (change) => {
              if (change.read === false) keptUnread.current = shown.id;
              const answer = await mark({
                input: { ids: [shown.id], ...change },
              });
              if (answer.error) return fail(errorCode(answer.error));
              done(t("mail.marked"));
            }}
            onMove={async (target) => {
              const answer = await move({ ids: [shown.id], folderId: target });
              if (answer.error) return fail(errorCode(answer.error));
              const errors = answer.data?.moveMail.errors ?? [];
              if (errors[0]) return fail(errors[0].code);
              setOpenId(null);
              done(t("mail.moved"));
            }}
            onDelete={async () => {
              const answer = await remove({ ids: [shown.id] });
              if (answer.error) return fail(errorCode(answer.error));
              const errors = answer.data?.deleteMail.errors ?? [];
              if (errors[0]) return fail(errors[0].code);
              setOpenId(null);
              done(t("mail.deleted"));
            }}
          />
        ) : null}
      </div>
    </div>
  );
}
