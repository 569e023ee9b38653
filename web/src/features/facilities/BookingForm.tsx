import { type FormEvent, useId, useState } from "react";
import { useMutation } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatTime } from "../../ui/dates";
import { at } from "./grid";

const CreateReservation = graphql(`
  mutation CreateReservation($input: CreateReservationInput!) {
    createReservation(input: $input) {
      __typename
      ... on ReservationPayload {
        reservation {
          id
          status
          start
          end
          facility {
            id
            name
          }
        }
      }
      ... on ReservationConflict {
        message
        conflicts {
          id
          start
          end
          status
          requester {
            id
            name
          }
        }
      }
      ... on ReservationRefused {
        errors {
          code
          field
        }
      }
    }
  }
`);

export interface Draft {
  facilityId: string;
  date: string;
  start: string;
  end: string;
}

/** Booking by a form: the grid's free hours fill it in, the keyboard can do all of it. */
export interface Collision {
  id: string;
  start: string;
  end: string;
  status: "PENDING" | "CONFIRMED" | "CANCELLED" | "REJECTED";
  requester: { name: string };
}

export function BookingForm({
  facilities,
  draft,
  onDraft,
  onBooked,
  collisions = [],
}: {
  facilities: readonly { id: string; name: string }[];
  draft: Draft;
  onDraft: (draft: Draft) => void;
  onBooked: () => void;
  /** Bookings the draft would collide with, as far as the grid knows: shown before sending. */
  collisions?: readonly Collision[];
}) {
  const { t, errorText, language } = useI18n();
  // The purpose field has a fixed ID: picking free time on the grid puts the focus there.
  const ids = {
    facility: useId(),
    date: useId(),
    start: useId(),
    end: useId(),
    purpose: "booking-purpose",
    collisions: useId(),
  };
  const [purpose, setPurpose] = useState("");
  const [state, create] = useMutation(CreateReservation);
  const result = state.data?.createReservation;
  // Just booked: the period now collides with that booking itself, which says nothing.
  const [bookedAs, setBookedAs] = useState<string | null>(null);
  const shownCollisions = bookedAs === JSON.stringify(draft) ? [] : collisions;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await create({
      input: {
        facilityId: draft.facilityId,
        start: at(draft.date, draft.start),
        end: at(draft.date, draft.end),
        purpose: purpose.trim(),
      },
    });
    if (answer.data?.createReservation.__typename === "ReservationPayload") {
      setBookedAs(JSON.stringify(draft));
      setPurpose("");
      onBooked();
    }
  };

  return (
    <section className="card" aria-labelledby="booking-title">
      <h2 id="booking-title">{t("facilities.book")}</h2>
      <form className="stacked" onSubmit={onSubmit}>
        <label htmlFor={ids.facility}>{t("facilities.facility")}</label>
        <select
          id={ids.facility}
          required
          value={draft.facilityId}
          onChange={(event) => onDraft({ ...draft, facilityId: event.target.value })}
        >
          {facilities.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
        <label htmlFor={ids.date}>{t("facilities.date")}</label>
        <input
          id={ids.date}
          type="date"
          required
          value={draft.date}
          onChange={(event) => onDraft({ ...draft, date: event.target.value })}
        />
        <label htmlFor={ids.start}>{t("facilities.start")}</label>
        <input
          id={ids.start}
          type="time"
          required
          step={900}
          value={draft.start}
          onChange={(event) => onDraft({ ...draft, start: event.target.value })}
        />
        <label htmlFor={ids.end}>{t("facilities.end")}</label>
        <input
          id={ids.end}
          type="time"
          required
          step={900}
          value={draft.end}
          onChange={(event) => onDraft({ ...draft, end: event.target.value })}
        />
        {shownCollisions.length > 0 ? (
          <div id={ids.collisions} className="error collisions" role="status">
            <p>{t("facilities.collides")}</p>
            <ul>
              {shownCollisions.map((c) => (
                <li key={c.id}>
                  {formatTime(c.start, language)}–{formatTime(c.end, language)}{" "}
                  {t(`reservation.${c.status}`)} {c.requester.name}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <label htmlFor={ids.purpose}>{t("facilities.purpose")}</label>
        <input
          id={ids.purpose}
          maxLength={200}
          value={purpose}
          onChange={(event) => setPurpose(event.target.value)}
        />
        <div>
          <button type="submit" disabled={state.fetching || !draft.facilityId}>
            {t("facilities.submit")}
          </button>
        </div>
      </form>
      <div role="status" className="booking-result">
        {state.error ? <p className="error">{errorText(errorCode(state.error))}</p> : null}
        {result?.__typename === "ReservationPayload" ? (
          <p>
            {t("facilities.booked", {
              name: result.reservation.facility.name,
              status: t(`reservation.${result.reservation.status}`),
            })}
          </p>
        ) : null}
        {result?.__typename === "ReservationRefused"
          ? result.errors.map((e) => (
              <p key={e.code} className="error">
                {errorText(e.code)}
              </p>
            ))
          : null}
        {result?.__typename === "ReservationConflict" ? (
          <div className="error">
            <p>{t("facilities.conflict")}</p>
            <ul>
              {result.conflicts.map((c) => (
                <li key={c.id}>
                  {formatTime(c.start, language)}–{formatTime(c.end, language)}{" "}
                  {t(`reservation.${c.status}`)} {c.requester.name}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
    </section>
  );
}
