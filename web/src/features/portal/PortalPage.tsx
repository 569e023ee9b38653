import { useEffect, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatDate, formatShortDate, todayAndWeek } from "../../ui/dates";
import { ApprovalBadge } from "./ApprovalBadge";
import { DepartmentPresence } from "./DepartmentPresence";
import { LinksPanel } from "./LinksPanel";
import { MyPresence } from "./MyPresence";
import { NoticePanels } from "./NoticePanels";
import { ScheduleList } from "./ScheduleList";
import { TodayReservations } from "./TodayReservations";
import { byDay } from "./week";

// The whole page in one request; each panel declares its part as a fragment.
const PortalQuery = graphql(`
  query PortalPage(
    $dayStart: DateTime!
    $dayEnd: DateTime!
    $weekStart: DateTime!
    $weekEnd: DateTime!
    $firstDay: Date!
    $afterLastDay: Date!
  ) {
    me {
      id
      name
      title
      roles
      department {
        id
        name
        ...DepartmentPresence_organization
      }
      ...MyPresence_person
      today: events(start: $dayStart, end: $dayEnd) {
        ...ScheduleItem_occurrence
      }
      week: events(start: $weekStart, end: $weekEnd) {
        start
        end
        allDay
        startDate
        endDate
        ...ScheduleItem_occurrence
      }
    }
    holidays(start: $firstDay, end: $afterLastDay) {
      date
      name
    }
    myReservations(start: $dayStart, end: $dayEnd) {
      ...TodayReservation_reservation
    }
    pendingReservationCount
    ...NoticePanels_query
    links {
      ...LinksPanel_link
    }
  }
`);

const PresenceChanged = graphql(`
  subscription PresenceChanged {
    presenceChanged {
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
  }
`);

const LinksChanged = graphql(`
  subscription LinksChanged {
    linksChanged {
      id
      sortOrder
      ...LinksPanel_link
    }
  }
`);

export function PortalPage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText, language } = useI18n();
  const [when] = useState(() => todayAndWeek(new Date()));
  const [result, reexecute] = useQuery({
    query: PortalQuery,
    variables: {
      dayStart: when.day.start,
      dayEnd: when.day.end,
      weekStart: when.week.start,
      weekEnd: when.week.end,
      firstDay: when.days[0] ?? when.today,
      afterLastDay: when.week.end.slice(0, 10),
    },
    requestPolicy: "cache-and-network",
  });
  // Live presence: the exchange writes each event into the cache, the panels re-render.
  useSubscription({ query: PresenceChanged, pause: !result.data?.me });
  // The link collection as administrators change it (the exchange relinks Query.links).
  useSubscription({ query: LinksChanged, pause: !result.data?.me });
  // Events are hints: after the socket comes back, ask once more for the current state.
  useEffect(() => onReconnect(() => reexecute({ requestPolicy: "network-only" })), [reexecute]);

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);

  if (result.error && !result.data) {
    return (
      <div className="card">
        <p className="error" role="alert">
          {errorText(errorCode(result.error))}
        </p>
        <button type="button" onClick={() => reexecute({ requestPolicy: "network-only" })}>
          {t("app.retry")}
        </button>
      </div>
    );
  }
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;

  const holidays = new Map((result.data?.holidays ?? []).map((h) => [h.date, h.name]));
  const week = byDay(when.days, me.week);
  // Only those who decide 仮予約 have a queue (others would get FORBIDDEN subscribing).
  const decides = me.roles.some((role) => role === "FACILITY_ADMIN" || role === "TENANT_ADMIN");
  return (
    <>
      <header className="page-header">
        <h1>
          {t("portal.greeting", { name: me.name })}
          <small className="who">
            {me.department?.name ?? t("portal.noDepartment")}
            {me.title ? ` ${me.title}` : ""}
          </small>
        </h1>
        <p className="today">{formatDate(when.today, language)}</p>
      </header>
      <div className="grid">
        <section className="card" aria-labelledby="today-title">
          <h2 id="today-title">{t("portal.today")}</h2>
          <ScheduleList items={me.today} />
        </section>
        <MyPresence person={me} />
        <TodayReservations reservations={result.data?.myReservations ?? []} />
        {result.data ? <NoticePanels query={result.data} /> : null}
        {decides ? <ApprovalBadge count={result.data?.pendingReservationCount ?? 0} /> : null}
        <section className="card wide" aria-labelledby="week-title">
          <h2 id="week-title">{t("portal.week")}</h2>
          <ol className="week">
            {when.days.map((day) => (
              <li
                key={day}
                className={[
                  day === when.today ? "is-today" : "",
                  holidays.has(day) ? "is-holiday" : "",
                ]
                  .join(" ")
                  .trim()}
              >
                <h3>
                  {formatShortDate(day, language)}
                  {holidays.has(day) ? (
                    <span className="holiday">
                      {t("portal.holiday")} {holidays.get(day)}
                    </span>
                  ) : null}
                </h3>
                <ScheduleList items={week.get(day) ?? []} />
              </li>
            ))}
          </ol>
        </section>
        {me.department ? <DepartmentPresence department={me.department} /> : null}
        <LinksPanel links={result.data?.links ?? []} />
      </div>
    </>
  );
}
