import { useEffect, useId, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { addDays, formatDate, formatShortDate, formatTime, todayAndWeek } from "../../ui/dates";
import { BookingForm, type Draft } from "./BookingForm";
import { DayGrid } from "./DayGrid";
import { dayWindow } from "./grid";

// The screen in one request: every group's rooms with the day's bookings (the group shown
// is picked in the browser), my bookings of the next two weeks, and the approval count;
// the queue itself only once a decider opens it.
const FacilitiesQuery = graphql(`
  query FacilitiesPage(
    $dayStart: DateTime!
    $dayEnd: DateTime!
    $mineStart: DateTime!
    $mineEnd: DateTime!
    $withQueue: Boolean!
  ) {
    me {
      id
      roles
    }
    facilityGroups {
      id
      name
      facilities {
        id
        name
      }
      ...DayGrid_group
    }
    myReservations(start: $mineStart, end: $mineEnd) {
      id
      start
      end
      status
      purpose
      facility {
        id
        name
      }
    }
    pendingReservationCount
    pendingReservations @include(if: $withQueue) {
      id
      start
      end
      status
      purpose
      canDecide
      facility {
        id
        name
      }
      requester {
        id
        name
      }
    }
  }
`);

const FacilityGroupChanged = graphql(`
  subscription FacilityGroupChanged($groupId: ID!) {
    facilityGroupChanged(groupId: $groupId) {
      id
      status
      version
    }
  }
`);

const FacilitiesPendingChanged = graphql(`
  subscription FacilitiesPendingChanged {
    pendingReservationsChanged {
      reservationId
      kind
      version
      pendingCount
    }
  }
`);

const Decide = graphql(`
  mutation DecideReservation($id: ID!, $approve: Boolean!) {
    approveReservation(id: $id) @include(if: $approve) {
      __typename
      ... on ReservationPayload {
        reservation {
          id
          status
        }
      }
      ... on ReservationRefused {
        errors {
          code
        }
      }
    }
    rejectReservation(id: $id) @skip(if: $approve) {
      __typename
      ... on ReservationPayload {
        reservation {
          id
          status
        }
      }
      ... on ReservationRefused {
        errors {
          code
        }
      }
    }
  }
`);

export function FacilitiesPage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText, language } = useI18n();
  const dateId = useId();
  const groupId = useId();
  const [when] = useState(() => todayAndWeek(new Date()));
  const [date, setDate] = useState(when.today);
  const [group, setGroup] = useState<string | null>(null);
  const [withQueue, setWithQueue] = useState(false);
  const [draft, setDraft] = useState<Draft>({
    facilityId: "",
    date: when.today,
    start: "10:00",
    end: "11:00",
  });
  const day = dayWindow(date, addDays(date, 1));
  const [result, reexecute] = useQuery({
    query: FacilitiesQuery,
    variables: {
      dayStart: day.start,
      dayEnd: day.end,
      mineStart: when.day.start,
      mineEnd: dayWindow(addDays(when.today, 14), addDays(when.today, 15)).start,
      withQueue,
    },
  });
  const data = result.data;
  const groups = data?.facilityGroups ?? [];
  const shown = groups.find((g) => g.id === group) ?? groups[0];
  const decides = (data?.me?.roles ?? []).some(
    (role) => role === "FACILITY_ADMIN" || role === "TENANT_ADMIN",
  );
  const refresh = () => reexecute({ requestPolicy: "network-only" });

  // A booking in the shown group changes the grid: the event is a hint, so ask again.
  const [groupEvents] = useSubscription(
    { query: FacilityGroupChanged, variables: { groupId: shown?.id ?? "" }, pause: !shown },
    (_previous: number | undefined) => (_previous ?? 0) + 1,
  );
  // The badge's count is written into the cache by the client's exchange.
  const [pendingEvents] = useSubscription(
    { query: FacilitiesPendingChanged, pause: !decides },
    (_previous: number | undefined) => (_previous ?? 0) + 1,
  );
  useEffect(() => {
    if (groupEvents.data) reexecute({ requestPolicy: "network-only" });
  }, [groupEvents.data, reexecute]);
  useEffect(() => {
    if (pendingEvents.data && withQueue) reexecute({ requestPolicy: "network-only" });
  }, [pendingEvents.data, withQueue, reexecute]);
  useEffect(() => onReconnect(() => reexecute({ requestPolicy: "network-only" })), [reexecute]);
  const [decided, decide] = useMutation(Decide);

  const signedOut = data !== undefined && !data.me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);

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
  if (!data) return <p aria-busy="true">{t("app.loading")}</p>;
  const facilities = groups.flatMap((g) => g.facilities);
  const chosen = draft.facilityId || shown?.facilities[0]?.id || "";
  const decisionRefused =
    decided.data?.approveReservation?.__typename === "ReservationRefused"
      ? decided.data.approveReservation.errors[0]?.code
      : decided.data?.rejectReservation?.__typename === "ReservationRefused"
        ? decided.data.rejectReservation.errors[0]?.code
        : undefined;
  const queue = (data.pendingReservations ?? []).filter((r) => r.status === "PENDING");

  return (
    <>
      <header className="page-header">
        <h1>{t("facilities.title")}</h1>
        {decides ? (
          <p className="approval">
            <button type="button" aria-pressed={withQueue} onClick={() => setWithQueue(!withQueue)}>
              {t("facilities.queue")}{" "}
              <span className="count" aria-live="polite">
                {data.pendingReservationCount}
              </span>
            </button>
          </p>
        ) : null}
      </header>
      {withQueue ? (
        <section className="card wide queue" aria-labelledby="queue-title">
          <h2 id="queue-title">{t("facilities.queueTitle")}</h2>
          {queue.length === 0 ? (
            <p>{t("facilities.queueEmpty")}</p>
          ) : (
            <ul className="feeds">
              {queue.map((r) => (
                <li key={r.id} data-reservation={r.id}>
                  {/* Each decision button is described by its booking: the approve button alone is ambiguous. */}
                  <span id={`queue-${r.id}`}>
                    {r.facility.name} {formatShortDate(r.start, language)}{" "}
                    {formatTime(r.start, language)}–{formatTime(r.end, language)} {r.requester.name}{" "}
                    {r.purpose ?? ""}
                  </span>{" "}
                  {r.canDecide ? (
                    <>
                      <button
                        type="button"
                        disabled={decided.fetching}
                        aria-describedby={`queue-${r.id}`}
                        onClick={() => void decide({ id: r.id, approve: true })}
                      >
                        {t("facilities.approve")}
                      </button>{" "}
                      <button
                        type="button"
                        disabled={decided.fetching}
                        aria-describedby={`queue-${r.id}`}
                        onClick={() => void decide({ id: r.id, approve: false })}
                      >
                        {t("facilities.reject")}
                      </button>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          <p role="status" className="error">
            {decided.error
              ? errorText(errorCode(decided.error))
              : decisionRefused
                ? errorText(decisionRefused)
                : ""}
          </p>
        </section>
      ) : null}
      <div className="facility-tools card">
        <span>
          <label htmlFor={groupId}>{t("facilities.group")}</label>
          <select
            id={groupId}
            value={shown?.id ?? ""}
            onChange={(event) => setGroup(event.target.value)}
          >
            {groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </select>
        </span>
        <span>
          <label htmlFor={dateId}>{t("facilities.date")}</label>
          <input
            id={dateId}
            type="date"
            required
            value={date}
            onChange={(event) => event.target.value && setDate(event.target.value)}
          />
        </span>
        <span className="day-nav">
          <button type="button" onClick={() => setDate(addDays(date, -1))}>
            {t("facilities.previousDay")}
          </button>
          <button type="button" onClick={() => setDate(when.today)}>
            {t("facilities.today")}
          </button>
          <button type="button" onClick={() => setDate(addDays(date, 1))}>
            {t("facilities.nextDay")}
          </button>
        </span>
        <p className="today">{formatDate(date, language)}</p>
      </div>
      {shown ? (
        <div className="card wide">
          <DayGrid
            group={shown}
            date={date}
            onPick={(facilityId, hour) => {
              const pad = (h: number) => `${String(h).padStart(2, "0")}:00`;
              setDraft({ facilityId, date, start: pad(hour), end: pad(hour + 1) });
              document.getElementById("booking-title")?.scrollIntoView();
            }}
          />
        </div>
      ) : (
        <p className="card">{t("facilities.noGroups")}</p>
      )}
      <div className="grid">
        <BookingForm
          facilities={facilities}
          draft={{ ...draft, facilityId: chosen }}
          onDraft={setDraft}
          onBooked={refresh}
        />
        <section className="card" aria-labelledby="mine-title">
          <h2 id="mine-title">{t("facilities.mine")}</h2>
          {data.myReservations.length === 0 ? (
            <p>{t("facilities.mineEmpty")}</p>
          ) : (
            <ul className="schedule">
              {data.myReservations.map((r) => (
                <li key={r.id} className={`reservation reservation-${r.status}`}>
                  <span className="when">
                    {formatShortDate(r.start, language)} {formatTime(r.start, language)}–
                    {formatTime(r.end, language)}
                  </span>{" "}
                  <span className="what">{r.facility.name}</span>{" "}
                  <span className="badge">{t(`reservation.${r.status}`)}</span> {r.purpose ?? ""}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}
