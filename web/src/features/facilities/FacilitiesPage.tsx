import { useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { addDays, formatDate, formatShortDate, formatTime, todayAndWeek } from "../../ui/dates";
import { BookingForm, type Draft } from "./BookingForm";
import { DayGrid, DayGridFragment } from "./DayGrid";
import { at, dayWindow, hourText, mondayOf, overlapping } from "./grid";
import { WeekGrid } from "./WeekGrid";
import "./facilities.css";

// The screen in one request: every group's rooms with the day's or the week's bookings (the
// group shown is picked in the browser), the holidays and closed days of those dates, my
// bookings of the next two weeks, and the approval count; the queue itself only once a
// decider opens it.
const FacilitiesQuery = graphql(`
  query FacilitiesPage(
    $dayStart: DateTime!
    $dayEnd: DateTime!
    $from: Date!
    $to: Date!
    $mineStart: DateTime!
    $mineEnd: DateTime!
    $withQueue: Boolean!
  ) {
    holidays(start: $from, end: $to) {
      date
      name
      kind
    }
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
  const [mode, setMode] = useState<"day" | "week">("day");
  const [draft, setDraft] = useState<Draft>({
    facilityId: "",
    date: when.today,
    start: "10:00",
    end: "11:00",
  });
  const monday = mondayOf(date);
  const first = mode === "day" ? date : monday;
  const next = addDays(first, mode === "day" ? 1 : 7);
  const day = dayWindow(first, next);
  const [result, reexecute] = useQuery({
    query: FacilitiesQuery,
    variables: {
      dayStart: day.start,
      dayEnd: day.end,
      from: first,
      to: next,
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
  // Each event once: reexecute changes with the variables (another day, the week), and an
  // event already answered must not read the page a second time then.
  const answered = useRef<{ group?: number; pending?: number }>({});
  useEffect(() => {
    if (!groupEvents.data || answered.current.group === groupEvents.data) return;
    answered.current.group = groupEvents.data;
    reexecute({ requestPolicy: "network-only" });
  }, [groupEvents.data, reexecute]);
  useEffect(() => {
    if (!pendingEvents.data || !withQueue || answered.current.pending === pendingEvents.data)
      return;
    answered.current.pending = pendingEvents.data;
    reexecute({ requestPolicy: "network-only" });
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
  const holidays = data.holidays;
  // The bookings the draft would collide with, from the grid's data, before it is sent (the
  // server decides: this only warns, and only for dates the grid has read).
  const shownData = shown ? readFragment(DayGridFragment, shown) : null;
  const draftFacility = shownData?.facilities.find(
    (f) => f.id === (draft.facilityId || shown?.facilities[0]?.id),
  );
  const collisions =
    draftFacility && draft.date >= first && draft.date < next && draft.start < draft.end
      ? overlapping(
          draftFacility.reservations.filter(
            (r) => r.status === "PENDING" || r.status === "CONFIRMED",
          ),
          at(draft.date, draft.start),
          at(draft.date, draft.end),
        )
      : [];
  const openForm = () => {
    const field = document.getElementById("booking-purpose");
    field?.scrollIntoView({ block: "center" });
    field?.focus();
  };
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
        <fieldset className="segmented facility-mode">
          <legend className="schedule-sr">{t("facilities.view")}</legend>
          {(["day", "week"] as const).map((name) => (
            <button
              key={name}
              type="button"
              aria-pressed={mode === name}
              onClick={() => setMode(name)}
            >
              {t(`facilities.view.${name}`)}
            </button>
          ))}
        </fieldset>
        <span className="day-nav">
          <button type="button" onClick={() => setDate(addDays(date, mode === "day" ? -1 : -7))}>
            {mode === "day" ? t("facilities.previousDay") : t("facilities.previousWeek")}
          </button>
          <button type="button" onClick={() => setDate(when.today)}>
            {t("facilities.today")}
          </button>
          <button type="button" onClick={() => setDate(addDays(date, mode === "day" ? 1 : 7))}>
            {mode === "day" ? t("facilities.nextDay") : t("facilities.nextWeek")}
          </button>
        </span>
        <p className="today">{formatDate(date, language)}</p>
      </div>
      {shown ? (
        <div className="card wide">
          {mode === "day" ? (
            <DayGrid
              group={shown}
              date={date}
              holiday={holidays.find((holiday) => holiday.date === date) ?? null}
              onPick={(facilityId, from, to) => {
                setDraft({ facilityId, date, start: hourText(from), end: hourText(to) });
                // The form opens filled in: the focus goes to what is left to say.
                setTimeout(openForm, 0);
              }}
            />
          ) : (
            <WeekGrid
              group={shown}
              monday={monday}
              today={when.today}
              holidays={holidays}
              onOpenDay={(facilityId, day) => {
                setDraft({ ...draft, facilityId, date: day });
                setDate(day);
                setMode("day");
              }}
            />
          )}
        </div>
      ) : (
        <p className="card">{t("facilities.noGroups")}</p>
      )}
      <div className="grid">
        <BookingForm
          facilities={facilities}
          draft={{ ...draft, facilityId: chosen }}
          onDraft={setDraft}
          collisions={collisions}
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
