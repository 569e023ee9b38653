import "./messages.css";
import { useEffect, useId, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { useRouter } from "../../app/router";
import { useI18n } from "../../i18n/language";
import { countEvents, formatWhen, onArrowListKeyDown, useRefresh } from "../../ui/lists";
import { PeoplePicker, type Picked } from "../../ui/PeoplePicker";
import { ConversationView } from "./ConversationView";
import { conversationName } from "./names";
import {
  AddConversationMembersMutation,
  DirectMessageEventsSubscription,
  MarkConversationReadMutation,
  MessagesPageQuery,
  RemoveConversationMemberMutation,
  SendDirectMessageMutation,
  StartConversationMutation,
} from "./operations";

/** The address that opens a conversation with someone (a person card links here). */
export function messagesWith(personId: string): string {
  return `/messages?with=${encodeURIComponent(personId)}`;
}

/** メッセージ: my conversations with unread counts, one open, delivered live with 既読. */
export function MessagesPage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, language, errorText } = useI18n();
  const id = useId();
  const { navigate } = useRouter();
  // What the person chose on this screen (not server data).
  const [openId, setOpenId] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [people, setPeople] = useState<Picked[]>([]);
  const [title, setTitle] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState("");

  const [result, reexecute] = useQuery({
    query: MessagesPageQuery,
    variables: { conversationId: openId ?? "", withConversation: openId !== null },
  });
  const data = result.data;
  const meId = data?.me?.id ?? "";
  const refresh = useRefresh(reexecute);
  const [events] = useSubscription(
    { query: DirectMessageEventsSubscription, pause: !data },
    countEvents,
  );
  const [, markRead] = useMutation(MarkConversationReadMutation);
  const [sendState, send] = useMutation(SendDirectMessageMutation);
  const [, start] = useMutation(StartConversationMutation);
  const [, addMembers] = useMutation(AddConversationMembersMutation);
  const [, removeMember] = useMutation(RemoveConversationMemberMutation);

  // Events are hints: the page asks again; a message arriving in the open conversation is
  // read at once (its sender sees 既読).
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per event
  useEffect(() => {
    if (events.data) refresh();
  }, [events.data]);
  useEffect(() => onReconnect(() => reexecute({ requestPolicy: "network-only" })), [reexecute]);

  const open = data?.conversations.find((c) => c.id === openId);
  const unreadOpen = open?.unreadCount ?? 0;
  // biome-ignore lint/correctness/useExhaustiveDependencies: when the open one has unread
  useEffect(() => {
    if (openId && unreadOpen > 0 && document.visibilityState === "visible") {
      void markRead({ id: openId });
    }
  }, [openId, unreadOpen]);

  // An answer without me: the session ended (a failed answer has no data at all).
  const signedOut = data != null && !data.me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);

  const fail = (code: string) => {
    setProblem(errorText(code));
    return false;
  };
  const payloadOk = (
    answer: { error?: Parameters<typeof errorCode>[0] },
    errors: readonly { code: string }[] | undefined,
  ): boolean => {
    if (answer.error) return fail(errorCode(answer.error));
    if (errors?.[0]) return fail(errors[0].code);
    setProblem(null);
    return true;
  };

  // Opened from a person card: the one-to-one with them, made if new.
  const withPerson = new URLSearchParams(window.location.search).get("with");
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per address
  useEffect(() => {
    if (!withPerson) return;
    void start({ input: { personIds: [withPerson] } }).then((answer) => {
      const payload = answer.data?.startConversation;
      if (payloadOk(answer, payload?.errors) && payload?.conversation) {
        setOpenId(payload.conversation.id);
        refresh();
      }
      navigate("/messages", { replace: true });
    });
  }, [withPerson]);

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

  const onStart = async () => {
    const answer = await start({
      input: { personIds: people.map((p) => p.id), title: title.trim() },
    });
    const payload = answer.data?.startConversation;
    if (!payloadOk(answer, payload?.errors) || !payload?.conversation) return;
    setStarting(false);
    setPeople([]);
    setTitle("");
    setOpenId(payload.conversation.id);
    refresh();
  };

  return (
    <div className="messages-page">
      <div className="page-header">
        <h1>{t("messages.title")}</h1>
        <button type="button" aria-expanded={starting} onClick={() => setStarting(!starting)}>
          {t("messages.new")}
        </button>
      </div>
      <p className="visually-hidden" role="status" aria-live="polite">
        {status}
      </p>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {starting ? (
        <form
          className="card dm-start"
          aria-label={t("messages.new")}
          onSubmit={(event) => {
            event.preventDefault();
            void onStart();
          }}
        >
          <PeoplePicker
            picked={people}
            onChange={setPeople}
            label={t("messages.whoSearch")}
            pickedLabel={t("messages.who")}
            exclude={[meId]}
          />
          {people.length > 1 ? (
            <div className="field">
              <label htmlFor={`${id}-title`}>{t("messages.groupTitle")}</label>
              <input
                id={`${id}-title`}
                type="text"
                value={title}
                onChange={(event) => setTitle(event.target.value)}
              />
            </div>
          ) : null}
          <button type="submit" disabled={people.length === 0}>
            {t("messages.start")}
          </button>
        </form>
      ) : null}
      <div className="messages-layout">
        <nav className="card" aria-labelledby={`${id}-list`}>
          <h2 id={`${id}-list`}>{t("messages.conversations")}</h2>
          {data.conversations.length === 0 ? (
            <p className="empty">{t("messages.none")}</p>
          ) : (
            <ul className="dm-list" onKeyDown={onArrowListKeyDown}>
              {data.conversations.map((c) => (
                <li key={c.id} className={c.unreadCount > 0 ? "is-unread" : undefined}>
                  <button
                    type="button"
                    data-list-item
                    aria-current={c.id === openId ? "true" : undefined}
                    onClick={() => {
                      setOpenId(c.id);
                      setStatus("");
                    }}
                  >
                    <span className="dm-name">
                      {conversationName(c, meId, t("messages.nobody"))}
                    </span>
                    {c.unreadCount > 0 ? (
                      <span className="badge">
                        {t("messages.unread", { count: c.unreadCount })}
                      </span>
                    ) : null}
                    <time dateTime={c.lastMessageAt}>{formatWhen(c.lastMessageAt, language)}</time>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </nav>
        {data.conversation ? (
          <ConversationView
            key={data.conversation.id}
            conversation={data.conversation}
            meId={meId}
            sending={sendState.fetching}
            onSend={async (body) => {
              const answer = await send({ conversationId: openId ?? "", body });
              const ok = payloadOk(answer, answer.data?.sendDirectMessage.errors);
              if (ok) refresh();
              return ok;
            }}
            onAdd={async (added) => {
              const answer = await addMembers({
                id: openId ?? "",
                personIds: added.map((p) => p.id),
              });
              const ok = payloadOk(answer, answer.data?.addConversationMembers.errors);
              if (ok) {
                setStatus(t("messages.added"));
                refresh();
              }
              return ok;
            }}
            onRemove={async (personId) => {
              const answer = await removeMember({ id: openId ?? "", personId });
              if (!payloadOk(answer, answer.data?.removeConversationMember.errors)) return;
              if (personId === meId) {
                setOpenId(null);
                setStatus(t("messages.left"));
              } else setStatus(t("messages.removed"));
              refresh();
            }}
          />
        ) : openId === null ? (
          <p className="card hint">{t("messages.choose")}</p>
        ) : null}
      </div>
    </div>
  );
}
