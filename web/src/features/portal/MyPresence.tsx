import { useId, useState } from "react";
import { useMutation } from "urql";
import { errorCode } from "../../api/errors";
import { type FragmentType, graphql, readFragment } from "../../gql";
import type { PresenceStatusKind } from "../../gql/graphql";
import { useI18n } from "../../i18n/language";
import { formatTime } from "../../ui/dates";

export const MyPresenceFragment = graphql(`
  fragment MyPresence_person on Person {
    id
    presence {
      status
      message
      updatedAt
      version
    }
  }
`);

const SetMyPresence = graphql(`
  mutation SetMyPresence($input: SetPresenceInput!) {
    setMyPresence(input: $input) {
      presence {
        status
        label
        message
        backAt
        updatedAt
        version
        person {
          id
        }
      }
      errors {
        code
        field
      }
    }
  }
`);

export const PRESENCE_STATUSES: readonly PresenceStatusKind[] = [
  "IN",
  "AWAY",
  "MEETING",
  "OUT",
  "TRIP",
  "LEAVE",
  "REMOTE",
];

/** My status and the buttons that change it: one click on the new status. */
export function MyPresence({ person }: { person: FragmentType<typeof MyPresenceFragment> }) {
  const { t, errorText, language } = useI18n();
  const me = readFragment(MyPresenceFragment, person);
  const [state, setPresence] = useMutation(SetMyPresence);
  // What the person is typing, not server data: the saved message comes from the cache.
  const [note, setNote] = useState("");
  const noteId = useId();
  const current = me.presence?.status;
  const refused = state.data?.setMyPresence.errors[0]?.code;
  const failed = state.error
    ? errorText(errorCode(state.error))
    : refused
      ? errorText(refused)
      : null;

  return (
    <section className="card" aria-labelledby="my-presence-title">
      <h2 id="my-presence-title">{t("portal.myPresence")}</h2>
      <p className="presence-now">
        <span className={`presence presence-${current ?? "unknown"}`}>
          {current ? t(`presence.${current}`) : "—"}
        </span>
        {me.presence?.message ? <span> {me.presence.message}</span> : null}
        {me.presence?.updatedAt ? (
          <small>
            {" "}
            {t("portal.presenceSince", { time: formatTime(me.presence.updatedAt, language) })}
          </small>
        ) : null}
      </p>
      <label className="presence-note" htmlFor={noteId}>
        {t("portal.presenceNote")}
      </label>
      <input
        id={noteId}
        className="presence-note"
        value={note}
        maxLength={100}
        placeholder={t("portal.presenceNoteHint")}
        onChange={(event) => setNote(event.target.value)}
      />
      <fieldset className="presence-buttons" disabled={state.fetching}>
        <legend>{t("portal.setPresence")}</legend>
        {PRESENCE_STATUSES.map((status) => (
          <button
            key={status}
            type="button"
            aria-pressed={status === current}
            onClick={async () => {
              const result = await setPresence({ input: { status, message: note.trim() } });
              if (result.data?.setMyPresence.presence) setNote("");
            }}
          >
            {t(`presence.${status}`)}
          </button>
        ))}
      </fieldset>
      <p role="status" className={failed ? "error" : "hint"}>
        {state.fetching ? t("portal.presenceSaving") : (failed ?? "")}
      </p>
    </section>
  );
}
