import { useEffect, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatDate, todayAndWeek } from "../../ui/dates";
import { ApprovalBadge } from "./ApprovalBadge";
import { arrived, STILL_COMING, type Waiting } from "./Deferred";
import { DepartmentPresence, DepartmentPresenceFragment } from "./DepartmentPresence";
import { LinksPanel } from "./LinksPanel";
import { MyPresence } from "./MyPresence";
import { NoticeCountsFragment, NoticePanels, NoticePanelsFragment } from "./NoticePanels";
import { ScheduleList } from "./ScheduleList";
import { TodayReservations } from "./TodayReservations";
import { PortalHolidaysFragment, PortalWeekFragment, WeekPanel } from "./WeekPanel";

// The whole page in one request; each panel declares its part as a fragment.
//
// @defer: the page was already one request, and stays one. Splitting off the slower panels
// into requests of their own would cost a round trip each, a second count of requests per
// page (the browser tests and the benchmark hold it at one) and queries that each re-ask
// `me`; deferring fragments of the one query gets the same early top without any of that.
// The top (greeting, today's entries, my presence, today's bookings, the 承認待ち count) is
// asked at once: it is what a person looks at first and comes from few subgraphs. Deferred:
// the five notice panels (notices, circulations, surveys, mail and messages: the most
// subgraphs of the page), the week with its holidays, the department's members with their
// presence, and the links, all below the top. The gateway answers every deferred fragment
// in one later part (it reads them out of one complete answer), so the labels say where
// each goes, not when; the price is subgraph work, as the gateway asks the top twice. What
// belongs to me is deferred inside `me` (graphcache 9 could not read the page back while a
// deferred root fragment that reaches into `me` is missing). A client that cannot read
// multipart gets the whole page at once.
export const PortalQuery = graphql(`
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
        ...DepartmentPresence_organization @defer(label: "department")
      }
      ...MyPresence_person
      today: events(start: $dayStart, end: $dayEnd) {
        ...ScheduleItem_occurrence
      }
      ...PortalWeek_person @defer(label: "week")
      ...NoticePanels_person @defer(label: "counts")
    }
    myReservations(start: $dayStart, end: $dayEnd) {
      ...TodayReservation_reservation
    }
    pendingReservationCount
    ...PortalHolidays_query @defer(label: "holidays")
    ...NoticePanels_query @defer(label: "notices")
    ... @defer(label: "links") {
      links {
        ...LinksPanel_link
      }
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

/** The portal query's variables for the day and week it shows. */
export function portalVariables(when: ReturnType<typeof todayAndWeek>) {
  return {
    dayStart: when.day.start,
    dayEnd: when.day.end,
    weekStart: when.week.start,
    weekEnd: when.week.end,
    firstDay: when.days[0] ?? when.today,
    afterLastDay: when.week.end.slice(0, 10),
  };
}

export function PortalPage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText, language } = useI18n();
  const [when] = useState(() => todayAndWeek(new Date()));
  const [result, reexecute] = useQuery({
    query: PortalQuery,
    variables: portalVariables(when),
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
  if (!me || !result.data) return <p aria-busy="true">{t("app.loading")}</p>;

  const data = result.data;
  // A deferred panel whose part is not here yet: on its way while the answer goes on (or
  // the cache has it partly and asks again), else the answer ended without it.
  const waiting: Waiting =
    result.hasNext || result.fetching || result.stale
      ? STILL_COMING
      : { failed: result.error ? errorCode(result.error) : "unknown" };
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
        <TodayReservations reservations={data.myReservations} />
        <NoticePanels
          query={arrived(NoticePanelsFragment, data) ? data : null}
          person={arrived(NoticeCountsFragment, me) ? me : null}
          waiting={waiting}
        />
        {decides ? <ApprovalBadge count={data.pendingReservationCount} /> : null}
        <WeekPanel
          person={arrived(PortalWeekFragment, me) ? me : null}
          holidays={arrived(PortalHolidaysFragment, data) ? data : null}
          days={when.days}
          today={when.today}
          waiting={waiting}
        />
        {me.department ? (
          <DepartmentPresence
            department={arrived(DepartmentPresenceFragment, me.department) ? me.department : null}
            waiting={waiting}
          />
        ) : null}
        <LinksPanel links={data.links ?? null} waiting={waiting} />
      </div>
    </>
  );
}
