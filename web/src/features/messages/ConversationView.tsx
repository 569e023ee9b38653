import { type KeyboardEvent, useEffect, useId, useRef, useState } from "react";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatWhen } from "../../ui/lists";
import { PeoplePicker, type Picked } from "../../ui/PeoplePicker";
import { conversationName } from "./names";

export const ConversationViewFragment = graphql(`
  fragment ConversationView_conversation on Conversation {
    id
    title
    isDirect
    startedByYou
    members {
      lastReadAt
      person {
        id
        name
      }
    }
    messages(last: 100) {
      id
      body
      sentAt
      sender {
        id
        name
      }
    }
  }
`);

/** One conversation: its messages (mine with 既読), the box to write in, and for a group its
 * members (add; whoever started it takes others out; everyone may leave). */
export function ConversationView({
  conversation,
  meId,
  sending,
  onSend,
  onAdd,
  onRemove,
}: {
  conversation: FragmentType<typeof ConversationViewFragment>;
  meId: string;
  sending: boolean;
  onSend: (body: string) => Promise<boolean>;
  onAdd: (people: Picked[]) => Promise<boolean>;
  onRemove: (personId: string) => void;
}) {
  const { t, language } = useI18n();
  const id = useId();
  const data = readFragment(ConversationViewFragment, conversation);
  const [body, setBody] = useState("");
  const [adding, setAdding] = useState<Picked[]>([]);
  const log = useRef<HTMLOListElement>(null);
  const others = data.members.filter((m) => m.person.id !== meId);
  const last = data.messages[data.messages.length - 1];
  // The newest message in view when one arrives or is sent.
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll when the last message changes
  useEffect(() => {
    const element = log.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [last?.id]);

  const readers = (sentAt: string) =>
    others.filter((m) => m.lastReadAt && m.lastReadAt >= sentAt).length;

  const send = async () => {
    if (!body.trim() || sending) return;
    if (await onSend(body)) setBody("");
  };
  // Enter sends, Shift+Enter is a new line; Enter that ends an IME conversion is not a send.
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing) return;
    event.preventDefault();
    void send();
  };

  return (
    <section className="card conversation" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{conversationName(data, meId, t("messages.nobody"))}</h2>
      {/* The log scrolls by itself: keyboard users reach and scroll it with focus. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable (axe scrollable-region-focusable) */}
      <ol className="dm-log" ref={log} aria-label={t("messages.log")} tabIndex={0}>
        {data.messages.length === 0 ? <li className="empty">{t("messages.noMessages")}</li> : null}
        {data.messages.map((message) => {
          const mine = message.sender.id === meId;
          const read = mine ? readers(message.sentAt) : 0;
          return (
            <li key={message.id} className={mine ? "dm mine" : "dm"}>
              <span className="dm-sender">{mine ? t("messages.me") : message.sender.name}</span>
              <p className="dm-body">{message.body}</p>
              <span className="dm-meta">
                <time dateTime={message.sentAt}>{formatWhen(message.sentAt, language)}</time>
                {read > 0 ? (
                  <span className="dm-read">
                    {data.isDirect ? t("messages.read") : t("messages.readBy", { count: read })}
                  </span>
                ) : null}
              </span>
            </li>
          );
        })}
      </ol>
      <form
        className="dm-compose"
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <label htmlFor={`${id}-body`}>{t("messages.write")}</label>
        <textarea
          id={`${id}-body`}
          rows={2}
          value={body}
          aria-describedby={`${id}-hint`}
          onChange={(event) => setBody(event.target.value)}
          onKeyDown={onKeyDown}
        />
        <p id={`${id}-hint`} className="hint">
          {t("messages.enterHint")}
        </p>
        <button type="submit" disabled={sending || !body.trim()}>
          {t("messages.send")}
        </button>
      </form>
      {data.isDirect ? null : (
        <details className="dm-members">
          <summary>{t("messages.members", { count: data.members.length })}</summary>
          <ul>
            {data.members.map((member) => (
              <li key={member.person.id}>
                {member.person.name}
                {member.person.id === meId ? (
                  <button type="button" onClick={() => onRemove(meId)}>
                    {t("messages.leave")}
                  </button>
                ) : data.startedByYou ? (
                  <button
                    type="button"
                    onClick={() => onRemove(member.person.id)}
                    aria-label={t("messages.removeMember", { name: member.person.name })}
                  >
                    {t("messages.remove")}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
          <PeoplePicker
            picked={adding}
            onChange={setAdding}
            label={t("messages.addSearch")}
            pickedLabel={t("messages.adding")}
            exclude={data.members.map((m) => m.person.id)}
          />
          <button
            type="button"
            disabled={adding.length === 0}
            onClick={async () => {
              if (await onAdd(adding)) setAdding([]);
            }}
          >
            {t("messages.add")}
          </button>
        </details>
      )}
    </section>
  );
}
