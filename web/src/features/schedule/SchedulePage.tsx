import "./schedule.css";
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
import { GroupWeek, groupEntries } from "./GroupWeek";
import {
  addMonths,
  daysBetween,
  mondayOf,
  monthWeeks,
  resizedEnd,
  shiftedByDays,
  toJapanIso,
  viewRange,
  weekColumns,
} from "./grid";
import { formatMonth, MonthView } from "./MonthView";
import {
  type CalendarProblem,
  EditFollowing,
  EventResultFragment,
  MoveOccurrence,
  UpdateEvent,
} from "./operations";
import { ResizeScopeDialog, type Scope } from "./ResizeScopeDialog";
import { type Entry, entryKey, type ResizeMode, WeekEntryFragment } from "./WeekEntry";

// The whole screen in one request: my department's week (or the one chosen) or a group's week,
// my own week or month for the personal views, the groups to pick from, the holidays and
// closed days of the dates shown.
const ScheduleQuery = graphql(`
  query SchedulePage(
    $start: DateTime!
    $end: DateTime!
    $from: Date!
    $to: Date!
    $org: ID!
    $department: Boolean!
    $other: Boolean!
    $group: ID!
    $withGroup: Boolean!
  ) {
    me {
      id
      roles
      name
      department {
        id
        name
        ...DepartmentWeek_organization @include(if: $department)
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
    groups {
      id
      name
    }
    group(id: $group) @include(if: $withGroup) {
      id
      members {
        id
      }
      ...GroupWeek_group
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

// The personal views and a group's week: changes to the events of these people.
const PeopleCalendarChanged = graphql(`
  subscription PeopleCalendarChanged($personIds: [ID!]!) {
    calendarChanged(personIds: $personIds) {
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

const VIEWS = ["department", "group", "week", "day", "month"] as const;
type View = (typeof VIEWS)[number];

/** What the address asks for: /schedule?view=month&date=2026-12-29&group=… (a link, a bookmark). */
function fromAddress(today: string): { view: View; day: string; group: string | null } {
  const query = new URLSearchParams(window.location.search);
  const asked = query.get("date");
  const view = query.get("view");
  return {
    view: VIEWS.find((name) => name === view) ?? "department",
    day:
      asked && /^\d{4}-\d{2}-\d{2}$/.test(asked) && !Number.isNaN(Date.parse(asked))
        ? asked
        : today,
    group: query.get("group"),
  };
}

export function SchedulePage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText, language } = useI18n();
  const today = useMemo(() => japanDate(new Date()), []);
  const [asked] = useState(() => fromAddress(today));
  const [view, setView] = useState<View>(asked.view);
  const [day, setDay] = useState(asked.day);
  const [pickedGroup, setChosenGroup] = useState<string | null>(asked.group);
  // The group view opened without a group shows the first one: known from the page read
  // before (the list comes with every view), so switching to it is one request.
  const firstKnownGroup = useRef<string | null>(null);
  const chosenGroup = pickedGroup ?? (view === "group" ? firstKnownGroup.current : null);
  const [chosenOrg, setChosenOrg] = useState<string | null>(null);
  const monday = mondayOf(day);
  const range = viewRange(view === "month" ? "month" : "week", day);
  const variables = {
    start: japanMidnight(range.from),
    end: japanMidnight(range.to),
    from: range.from,
    to: range.to,
    org: chosenOrg ?? "",
    department: view === "department" && chosenOrg === null,
    other: view === "department" && chosenOrg !== null,
    group: chosenGroup ?? "",
    withGroup: view === "group" && chosenGroup !== null,
  };
  // The address follows the view and the date, so a reload or a shared link opens the same.
  useEffect(() => {
    const query = new URLSearchParams({ view, date: day });
    if (view === "group" && chosenGroup) query.set("group", chosenGroup);
    const address = `${window.location.pathname}?${query.toString()}`;
    if (`${window.location.pathname}${window.location.search}` !== address)
      window.history.replaceState(null, "", address);
  }, [view, day, chosenGroup]);
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
  const groups = result.data?.groups ?? [];
  const group = view === "group" ? (result.data?.group ?? null) : null;
  // The group view opened without a group shows the first one (when there is one).
  const firstGroup = groups[0]?.id ?? null;
  if (result.data) firstKnownGroup.current = firstGroup;
  useEffect(() => {
    if (view === "group" && chosenGroup === null && firstGroup) setChosenGroup(firstGroup);
  }, [view, chosenGroup, firstGroup]);
  // Live: a change to the week shown is a hint to read it again (events carry IDs and
  // versions only, DESIGN rule 6): the department's, the group members', or my own.
  const [change] = useSubscription({
    query: DepartmentCalendarChanged,
    variables: { organizationId: orgId ?? "" },
    pause: !orgId || view !== "department",
  });
  const watched = useMemo(
    () =>
      view === "group" ? (group?.members ?? []).map((member) => member.id) : me ? [me.id] : [],
    [view, group?.members, me],
  );
  const [personChange] = useSubscription({
    query: PeopleCalendarChanged,
    variables: { personIds: watched },
    pause: view === "department" || watched.length === 0,
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
  const lastPersonChange = useRef<unknown>(null);
  useEffect(() => {
    const event = personChange.data?.calendarChanged;
    if (!event || personChange.data === lastPersonChange.current) return;
    lastPersonChange.current = personChange.data;
    if ((written.current.get(event.eventId) ?? -1) >= event.version) return;
    refresh();
  }, [personChange.data, refresh]);

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
    if (group) groupEntries(group).forEach(add);
    return found;
  }, [myEntries, departmentData, group]);

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

  // Resizing: the end shown moves at once; the keyboard's steps are saved together once the
  // keys rest, the pointer's when it lets go.
  const [resizing, setResizing] = useState<{ key: string; minutes: number } | null>(null);
  const resizingRef = useRef(resizing);
  resizingRef.current = resizing;
  const resizeTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (resizeTimer.current) clearTimeout(resizeTimer.current);
    },
    [],
  );
  // A series asks which occurrences the new end is for, as the form does.
  const [askScope, setAskScope] = useState<{ entry: Entry; minutes: number } | null>(null);
  const [, editFollowing] = useMutation(EditFollowing);
  const saveResize = useCallback(
    async (entry: Entry, minutes: number, scope?: Scope) => {
      const end = resizedEnd(entry, minutes);
      if (end === entry.end) {
        setResizing(null);
        return;
      }
      if (entry.isRecurring && entry.recurrenceId && !scope) {
        setAskScope({ entry, minutes });
        return;
      }
      setProblems([]);
      let payload:
        | { event?: { id: string; version: number } | null; errors: readonly CalendarProblem[] }
        | undefined;
      let failure: string | null = null;
      // This occurrence alone moves its end as a move does; this and the following become a
      // new series from here (attendees and rooms go along); all: the series' first start
      // keeps its time and every occurrence gets the new length. A single event through
      // updateEvent with the version read (someone else's change in between: CONFLICT).
      if (entry.isRecurring && scope === "FOLLOWING" && entry.recurrenceId) {
        const answer = await editFollowing({
          eventId: entry.eventId,
          recurrenceId: entry.recurrenceId,
          input: { start: entry.start, end },
        });
        if (answer.error) failure = errorCode(answer.error);
        else if (answer.data)
          payload = readFragment(EventResultFragment, answer.data.editFollowing);
      } else if (entry.isRecurring && scope === "ALL") {
        const length = Date.parse(end) - Date.parse(entry.start);
        const answer = await updateEvent({
          id: entry.eventId,
          version: entry.event.version,
          input: {
            start: entry.event.start,
            end: toJapanIso(new Date(Date.parse(entry.event.start) + length)),
          },
        });
        if (answer.error) failure = errorCode(answer.error);
        else if (answer.data) payload = readFragment(EventResultFragment, answer.data.updateEvent);
      } else if (entry.isRecurring) {
        const answer = await moveOccurrence({
          eventId: entry.eventId,
          recurrenceId: entry.recurrenceId ?? null,
          start: entry.start,
          end,
        });
        if (answer.error) failure = errorCode(answer.error);
        else if (answer.data)
          payload = readFragment(EventResultFragment, answer.data.moveOccurrence);
      } else {
        const answer = await updateEvent({
          id: entry.eventId,
          version: entry.event.version,
          input: { start: entry.start, end },
        });
        if (answer.error) failure = errorCode(answer.error);
        else if (answer.data) payload = readFragment(EventResultFragment, answer.data.updateEvent);
      }
      if (failure || !payload || payload.errors.length > 0) {
        const errors = payload?.errors ?? [];
        setProblems([...errors]);
        setResizing(null);
        setAnnouncement(
          t("schedule.resizeFailed", {
            title: entry.title,
            reason: errorText(failure ?? errors[0]?.code ?? "unknown"),
          }),
        );
        return;
      }
      if (payload.event) written.current.set(payload.event.id, payload.event.version);
      setAnnouncement(
        t("schedule.resized", { title: entry.title, end: formatTime(end, language) }),
      );
      // Keep showing the new end until the week read again has it.
      await client
        .query(ScheduleQuery, current.current, { requestPolicy: "network-only" })
        .toPromise();
      setResizing(null);
    },
    [moveOccurrence, updateEvent, editFollowing, client, t, errorText, language],
  );
  const onResize = useCallback(
    (entry: Entry, minutes: number, mode: ResizeMode) => {
      const key = entryKey(entry);
      if (resizeTimer.current) clearTimeout(resizeTimer.current);
      resizeTimer.current = null;
      if (mode === "cancel") {
        setResizing(null);
        return;
      }
      const before = resizingRef.current;
      const total =
        mode === "step" ? (before?.key === key ? before.minutes : 0) + minutes : minutes;
      const next = { key, minutes: total };
      resizingRef.current = next;
      setResizing(next);
      if (mode === "preview") return;
      if (mode === "step") {
        setAnnouncement(
          t("schedule.resizing", {
            title: entry.title,
            end: formatTime(resizedEnd(entry, total), language),
          }),
        );
        resizeTimer.current = setTimeout(() => void saveResize(entry, total), 900);
        return;
      }
      void saveResize(entry, total);
    },
    [saveResize, t, language],
  );

  const actions: WeekActions = {
    onResize,
    resizing,
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

  const holidays = result.data?.holidays ?? [];
  const columns = weekColumns(monday, today, holidays);
  const departments = [
    ...(me.department ? [{ id: me.department.id, name: me.department.name }] : []),
    ...me.additionalDepartments,
  ];
  const step = (forward: boolean) =>
    view === "month"
      ? addMonths(day, forward ? 1 : -1)
      : addDays(day, (forward ? 1 : -1) * (view === "day" ? 1 : 7));
  const unit = view === "day" ? "Day" : view === "month" ? "Month" : "Week";
  return (
    <div className="schedule">
      <header className="page-header">
        <h1>{t("schedule.title")}</h1>
        <p className="today">
          {view === "day"
            ? formatDate(day, language)
            : view === "month"
              ? formatMonth(day, language)
              : t("schedule.weekOf", { date: formatDate(monday, language) })}
        </p>
      </header>
      <div className="schedule-toolbar">
        <fieldset className="segmented">
          <legend className="schedule-sr">{t("schedule.view")}</legend>
          {VIEWS.map((name) => (
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
          <button type="button" onClick={() => setDay(step(false))}>
            {t(`schedule.previous${unit}`)}
          </button>
          <button type="button" onClick={() => setDay(today)}>
            {t("schedule.today")}
          </button>
          <button type="button" onClick={() => setDay(step(true))}>
            {t(`schedule.next${unit}`)}
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
        {view === "group" ? (
          <label className="department-select">
            {t("schedule.group")}
            <select
              value={groups.some((option) => option.id === chosenGroup) ? (chosenGroup ?? "") : ""}
              onChange={(event) => setChosenGroup(event.target.value || null)}
            >
              {groups.some((option) => option.id === chosenGroup) ? null : (
                <option value="">{t("schedule.noGroup")}</option>
              )}
              {groups.map((option) => (
                <option key={option.id} value={option.id}>
                  {option.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <button
          type="button"
          className="primary"
          onClick={() =>
            setDialog({ kind: "create", date: view === "day" || view === "month" ? day : today })
          }
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
      ) : view === "group" ? (
        group ? (
          <GroupWeek group={group} columns={columns} actions={actions} />
        ) : groups.length === 0 ? (
          <p>{t("schedule.noGroups")}</p>
        ) : result.data?.group === null ? (
          // Another municipality's group, or one since deleted: the list above still works.
          <p role="alert">{t("schedule.groupNotFound")}</p>
        ) : (
          <p aria-busy="true">{t("app.loading")}</p>
        )
      ) : view === "month" ? (
        <MonthView
          caption={t("schedule.myMonthOf", { name: me.name, month: formatMonth(day, language) })}
          weeks={monthWeeks(day, today, holidays)}
          entries={myEntries}
          actions={actions}
          onOpenDay={(date) => {
            setDay(date);
            setView("day");
          }}
        />
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
      {askScope ? (
        <ResizeScopeDialog
          title={askScope.entry.title}
          end={formatTime(resizedEnd(askScope.entry, askScope.minutes), language)}
          onChoose={(scope) => {
            const asked = askScope;
            setAskScope(null);
            if (scope) void saveResize(asked.entry, asked.minutes, scope);
            else setResizing(null);
          }}
        />
      ) : null}
      {dialog ? (
        <EventDialog
          target={dialog}
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
