import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useClient, useMutation, useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import {
  addDays,
  formatDate,
  formatShortDate,
  formatTime,
  japanDate,
  japanMidnight,
} from "../../ui/dates";
import {
  DepartmentWeek,
  DepartmentWeekFragment,
  type WeekActions,
  WeekTable,
} from "./DepartmentWeek";
import { type DialogTarget, EventDialog } from "./EventDialog";
import { daysBetween, mondayOf, shiftedByDays, weekColumns } from "./grid";
import {
  type CalendarProblem,
  EventResultFragment,
  MoveOccurrence,
  UpdateEvent,
} from "./operations";
import { type Entry, entryKey, WeekEntryFragment } from "./WeekEntry";

// The whole screen in one request: my department's week (or the one chosen), my own week for
// the personal tab, the week's holidays and closed days.
const ScheduleQuery = graphql(`
  query SchedulePage(
    $start: DateTime!
    $end: DateTime!
    $from: Date!
    $to: Date!
    $org: ID!
    $other: Boolean!
  ) {
    me {
      id
      name
      department {
        id
        name
        ...DepartmentWeek_organization @skip(if: $other)
      }
      additionalDepartments {
        id
        name
      }
      events(start: $start, end: $end) {
        ...WeekEntry_occurrence
      }
    }
    organization(id: $org) @include(if: $other) {
      id
      ...DepartmentWeek_organization
    }
    holidays(start: $from, end: $to) {
      date
      name
      kind
    }
  }
`);

const DepartmentCalendarChanged = graphql(`
  subscription DepartmentCalendarChanged($organizationId: ID!) {
    departmentCalendarChanged(organizationId: $organizationId) {
      eventId
      kind
      version
    }
  }
`);

// Presence next to the names stays current: the client writes each event into the cache.
const SchedulePresenceChanged = graphql(`
  subscription SchedulePresenceChanged {
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

type View = "department" | "week" | "day";

export function SchedulePage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText, language } = useI18n();
  const today = useMemo(() => japanDate(new Date()), []);
  const [view, setView] = useState<View>("department");
  // /schedule?date=2026-12-29 opens on that day's week (a link from elsewhere, a bookmark).
  const [day, setDay] = useState(() => {
    const asked = new URLSearchParams(window.location.search).get("date");
    return asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) && !Number.isNaN(Date.parse(asked))
      ? asked
      : today;
  });
  const [chosenOrg, setChosenOrg] = useState<string | null>(null);
  const monday = mondayOf(day);
  const variables = {
    start: japanMidnight(monday),
    end: japanMidnight(addDays(monday, 7)),
    from: monday,
    to: addDays(monday, 7),
    org: chosenOrg ?? "",
    other: chosenOrg !== null,
  };
  const [result] = useQuery({
    query: ScheduleQuery,
    variables,
    requestPolicy: "cache-and-network",
  });
  // Read the week again, one request at a time: a reason to re-read that comes while one is
  // on its way (events come in bursts) waits for it and asks once more after, instead of
  // cancelling it. The answer goes into the normalised cache, which re-renders the page.
  const client = useClient();
  const current = useRef(variables);
  current.current = variables;
  const inFlight = useRef(false);
  const again = useRef(false);
  const refresh = useCallback(() => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    void client
      .query(ScheduleQuery, current.current, { requestPolicy: "network-only" })
      .toPromise()
      .finally(() => {
        inFlight.current = false;
        if (again.current) {
          again.current = false;
          refresh();
        }
      });
  }, [client]);
  // Versions this page wrote itself: their events need no second reading.
  const written = useRef(new Map<string, number>());
  useEffect(() => onReconnect(refresh), [refresh]);

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);

  const organization = chosenOrg ? result.data?.organization : me?.department;
  const orgId = chosenOrg ?? me?.department?.id ?? null;
  // Live: a change to the department's week is a hint to read the week again (events carry
  // IDs and versions only, DESIGN rule 6).
  const [change] = useSubscription({
    query: DepartmentCalendarChanged,
    variables: { organizationId: orgId ?? "" },
    pause: !orgId,
  });
  useSubscription({ query: SchedulePresenceChanged, pause: !me });
  const lastChange = useRef<unknown>(null);
  useEffect(() => {
    const event = change.data?.departmentCalendarChanged;
    if (!event || change.data === lastChange.current) return;
    lastChange.current = change.data;
    if ((written.current.get(event.eventId) ?? -1) >= event.version) return;
    refresh();
  }, [change.data, refresh]);

  const [announcement, setAnnouncement] = useState("");
  const [problems, setProblems] = useState<CalendarProblem[]>([]);
  const [dialog, setDialog] = useState<DialogTarget | null>(null);
  const [, moveOccurrence] = useMutation(MoveOccurrence);
  const [, updateEvent] = useMutation(UpdateEvent);
  const focusAfter = useRef<{ key: string; row: string; date: string } | null>(null);

  const departmentData = organization ? readFragment(DepartmentWeekFragment, organization) : null;
  const myEntries = useMemo(
    () => (me?.events ?? []).map((item) => readFragment(WeekEntryFragment, item) as Entry),
    [me?.events],
  );
  const allEntries = useMemo(() => {
    const found = new Map<string, Entry>();
    const add = (entry: Entry) => found.set(entryKey(entry), entry);
    myEntries.forEach(add);
    for (const item of departmentData?.events ?? [])
      add(readFragment(WeekEntryFragment, item) as Entry);
    for (const member of departmentData?.members ?? [])
      for (const item of member.events) add(readFragment(WeekEntryFragment, item) as Entry);
    return found;
  }, [myEntries, departmentData]);

  // Put the focus back on the moved entry once the week read again shows it on its new day
  // (until then the entry still stands in its old cell, and that element goes away).
  useEffect(() => {
    const target = focusAfter.current;
    if (!target) return;
    const element = document.querySelector<HTMLElement>(
      `tr[data-row="${CSS.escape(target.row)}"] td[data-date="${target.date}"] ` +
        `[data-entry="${CSS.escape(target.key)}"]`,
    );
    if (element) {
      element.focus();
      focusAfter.current = null;
    }
  });

  const moveBy = useCallback(
    async (entry: Entry, days: number, row?: string) => {
      if (days === 0) return;
      setProblems([]);
      let payload:
        | { event?: { id: string; version: number } | null; errors: readonly CalendarProblem[] }
        | undefined;
      let failure: string | null = null;
      if (entry.allDay && entry.startDate && entry.endDate && !entry.isRecurring) {
        const answer = await updateEvent({
          id: entry.eventId,
          version: entry.event.version,
          input: {
            startDate: addDays(entry.startDate, days),
            endDate: addDays(entry.endDate, days),
          },
        });
        if (answer.error) failure = errorCode(answer.error);
        else if (answer.data) payload = readFragment(EventResultFragment, answer.data.updateEvent);
      } else {
        const moved = shiftedByDays(entry, days);
        if (entry.isRecurring) {
          const answer = await moveOccurrence({
            eventId: entry.eventId,
            recurrenceId: entry.recurrenceId ?? null,
            ...moved,
          });
          if (answer.error) failure = errorCode(answer.error);
          else if (answer.data)
            payload = readFragment(EventResultFragment, answer.data.moveOccurrence);
        } else {
          // A single event changes through updateEvent with the version read: someone else's
          // change in between comes back as CONFLICT instead of being overwritten.
          const answer = await updateEvent({
            id: entry.eventId,
            version: entry.event.version,
            input: moved,
          });
          if (answer.error) failure = errorCode(answer.error);
          else if (answer.data)
            payload = readFragment(EventResultFragment, answer.data.updateEvent);
        }
      }
      const newDay = addDays(entry.startDate ?? japanDate(new Date(entry.start)), days);
      if (failure || !payload || payload.errors.length > 0) {
        const errors = payload?.errors ?? [];
        setProblems([...errors]);
        setAnnouncement(
          t("schedule.moveFailed", {
            title: entry.title,
            reason: errorText(failure ?? errors[0]?.code ?? "unknown"),
          }),
        );
        return;
      }
      if (payload.event) written.current.set(payload.event.id, payload.event.version);
      if (row) focusAfter.current = { key: entryKey(entry), row, date: newDay };
      setAnnouncement(
        t("schedule.moved", { title: entry.title, date: formatShortDate(newDay, language) }),
      );
      // Keep the moved entry in sight: step the grid to its new week.
      if (mondayOf(newDay) !== monday) setDay(newDay);
      refresh();
    },
    [moveOccurrence, updateEvent, refresh, t, errorText, language, monday],
  );

  const actions: WeekActions = {
    onOpen: (entry) => setDialog({ kind: "edit", entry }),
    onMoveBy: (entry, days) => {
      const focused = document.activeElement as HTMLElement | null;
      void moveBy(entry, days, focused?.dataset.row);
    },
    onDropOn: (key, date) => {
      const entry = allEntries.get(key);
      if (!entry) return;
      const from =
        entry.allDay && entry.startDate ? entry.startDate : japanDate(new Date(entry.start));
      void moveBy(entry, daysBetween(from, date));
    },
  };

  if (result.error && !result.data) {
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
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;

  const columns = weekColumns(monday, today, result.data?.holidays ?? []);
  const departments = [
    ...(me.department ? [{ id: me.department.id, name: me.department.name }] : []),
    ...me.additionalDepartments,
  ];
  const step = view === "day" ? 1 : 7;
  const views: View[] = ["department", "week", "day"];
  return (
    <div className="schedule">
      <header className="page-header">
        <h1>{t("schedule.title")}</h1>
        <p className="today">
          {view === "day"
            ? formatDate(day, language)
            : t("schedule.weekOf", { date: formatDate(monday, language) })}
        </p>
      </header>
      <div className="schedule-toolbar">
        <fieldset className="segmented">
          <legend className="schedule-sr">{t("schedule.view")}</legend>
          {views.map((name) => (
            <button
              key={name}
              type="button"
              aria-pressed={view === name}
              onClick={() => setView(name)}
            >
              {t(`schedule.view.${name}`)}
            </button>
          ))}
        </fieldset>
        <fieldset className="segmented">
          <legend className="schedule-sr">{t("schedule.navigate")}</legend>
          <button type="button" onClick={() => setDay(addDays(day, -step))}>
            {view === "day" ? t("schedule.previousDay") : t("schedule.previousWeek")}
          </button>
          <button type="button" onClick={() => setDay(today)}>
            {t("schedule.today")}
          </button>
          <button type="button" onClick={() => setDay(addDays(day, step))}>
            {view === "day" ? t("schedule.nextDay") : t("schedule.nextWeek")}
          </button>
        </fieldset>
        {view === "department" && departments.length > 0 ? (
          <label className="department-select">
            {t("schedule.department")}
            <select
              value={orgId ?? ""}
              onChange={(event) =>
                setChosenOrg(event.target.value === me.department?.id ? null : event.target.value)
              }
            >
              {departments.map((department) => (
                <option key={department.id} value={department.id}>
                  {department.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <button
          type="button"
          className="primary"
          onClick={() => setDialog({ kind: "create", date: view === "day" ? day : today })}
        >
          {t("schedule.newEvent")}
        </button>
      </div>
      <p id="schedule-move-hint" className="hint">
        {t("schedule.moveHint")}
      </p>
      <p className="schedule-sr" role="status" aria-live="polite">
        {announcement}
      </p>
      {problems.length > 0 ? (
        <div className="error" role="alert">
          <ul>
            {problems.map((problem) => (
              <li key={`${problem.code}/${problem.facilityId ?? ""}/${problem.start ?? ""}`}>
                {describeProblem(problem, t, errorText, language)}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {view === "department" ? (
        organization ? (
          <DepartmentWeek organization={organization} columns={columns} actions={actions} />
        ) : (
          <p>{t("portal.noDepartment")}</p>
        )
      ) : (
        <WeekTable
          caption={t("schedule.myWeekOf", { name: me.name })}
          rowLabel={t("schedule.member")}
          rows={[
            { id: me.id, header: <span className="name">{me.name}</span>, entries: myEntries },
          ]}
          columns={view === "day" ? columns.filter((column) => column.date === day) : columns}
          actions={actions}
        />
      )}
      {dialog ? (
        <EventDialog
          target={dialog}
          departmentId={me.department?.id ?? null}
          onClose={(changed, saved) => {
            setDialog(null);
            if (saved) written.current.set(saved.id, saved.version);
            if (changed) {
              setAnnouncement(t("schedule.saved"));
              refresh();
            }
          }}
        />
      ) : null}
    </div>
  );
}

/** A typed error in words: a room conflict names the room and the period. */
export function describeProblem(
  problem: CalendarProblem,
  t: ReturnType<typeof useI18n>["t"],
  errorText: (code: string) => string,
  language: "ja" | "en",
): string {
  const text = errorText(problem.code);
  if (problem.facilityName && problem.start && problem.end) {
    return t("schedule.roomProblem", {
      room: problem.facilityName,
      date: formatShortDate(problem.start, language),
      period: `${formatTime(problem.start, language)}–${formatTime(problem.end, language)}`,
      reason: text,
    });
  }
  return text;
}
