import { useId, useState } from "react";
import { useClient } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { addDays, formatShortDate, formatTime, formatWareki, japanMidnight } from "../../ui/dates";

// Asked when the user asks (a button), not with the form: the answer depends on what they chose.
const FindFreeSlots = graphql(`
  query FindFreeSlots(
    $personIds: [ID!]!
    $facilityIds: [ID!]!
    $start: DateTime!
    $end: DateTime!
    $duration: Int!
  ) {
    findFreeSlots(
      personIds: $personIds
      facilityIds: $facilityIds
      start: $start
      end: $end
      durationMinutes: $duration
    ) {
      start
      end
    }
  }
`);

const DURATIONS = [30, 60, 90, 120] as const;

/**
 * 空き時間検索: when the attendees (and the organiser) are all free and the rooms chosen can be
 * booked, within working hours on working days; picking a time fills in the form.
 */
export function FreeSlotFinder({
  personIds,
  facilityIds,
  from: initialFrom,
  onPick,
}: {
  personIds: readonly string[];
  facilityIds: readonly string[];
  from: string;
  onPick: (start: string, end: string) => void;
}) {
  const { t, errorText, language } = useI18n();
  const id = useId();
  const client = useClient();
  const [duration, setDuration] = useState<number>(60);
  const [from, setFrom] = useState(initialFrom);
  const [to, setTo] = useState(addDays(initialFrom, 6));
  const [slots, setSlots] = useState<{ start: string; end: string }[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);

  const search = async () => {
    setFailure(null);
    if (!from || !to || to < from) {
      setFailure("END_BEFORE_START");
      return;
    }
    setSearching(true);
    try {
      const answer = await client
        .query(
          FindFreeSlots,
          {
            personIds: [...personIds],
            facilityIds: [...facilityIds],
            start: japanMidnight(from),
            end: japanMidnight(addDays(to, 1)),
            duration,
          },
          { requestPolicy: "network-only" },
        )
        .toPromise();
      if (answer.error) {
        setSlots(null);
        setFailure(errorCode(answer.error));
        return;
      }
      setSlots(answer.data?.findFreeSlots ?? []);
    } finally {
      setSearching(false);
    }
  };

  return (
    <details className="free-slots">
      <summary>{t("schedule.findSlots")}</summary>
      <p className="hint">
        {t("schedule.findSlotsHint", { people: personIds.length, rooms: facilityIds.length })}
      </p>
      <div className="row">
        <label>
          {t("schedule.slotDuration")}
          <select value={duration} onChange={(change) => setDuration(Number(change.target.value))}>
            {DURATIONS.map((minutes) => (
              <option key={minutes} value={minutes}>
                {t("schedule.minutes", { count: minutes })}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("schedule.slotFrom")}
          <input
            type="date"
            value={from}
            onChange={(change) => setFrom(change.target.value)}
            aria-describedby={`${id}-from`}
          />
        </label>
        <span id={`${id}-from`} className="wareki">
          {from ? formatWareki(from, language) : ""}
        </span>
        <label>
          {t("schedule.slotTo")}
          <input
            type="date"
            value={to}
            min={from}
            onChange={(change) => setTo(change.target.value)}
            aria-describedby={`${id}-to`}
          />
        </label>
        <span id={`${id}-to`} className="wareki">
          {to ? formatWareki(to, language) : ""}
        </span>
        <button type="button" onClick={() => void search()} disabled={searching}>
          {searching ? t("schedule.searching") : t("schedule.searchSlots")}
        </button>
      </div>
      <div role="status" aria-live="polite">
        {failure ? <p className="error">{errorText(failure)}</p> : null}
        {slots && slots.length === 0 ? <p>{t("schedule.noSlots")}</p> : null}
        {slots && slots.length > 0 ? (
          <p>{t("schedule.slotsFound", { count: slots.length })}</p>
        ) : null}
      </div>
      {slots && slots.length > 0 ? (
        <ul aria-label={t("schedule.slots")}>
          {slots.map((slot) => {
            const text = `${formatShortDate(slot.start, language)} ${formatTime(slot.start, language)}–${formatTime(slot.end, language)}`;
            return (
              <li key={slot.start}>
                <button
                  type="button"
                  onClick={() => onPick(slot.start, slot.end)}
                  aria-label={t("schedule.pickSlot", { slot: text })}
                >
                  {text}
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
    </details>
  );
}
