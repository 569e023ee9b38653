import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import {
  addDays,
  formatShortDate,
  formatTime,
  formatWareki,
  japanDate,
  japanDateTime,
  japanTime,
} from "../../ui/dates";
import { PeoplePicker, type Picked, type PickSource } from "../../ui/PeoplePicker";
import { FreeSlotFinder } from "./FreeSlotFinder";
import {
  type CalendarProblem,
  CancelEvent,
  CancelOccurrence,
  CreateEvent,
  EditFollowing,
  EditOccurrence,
  EventResultFragment,
  MoveOccurrence,
  UpdateEvent,
} from "./operations";
import {
  buildRrule,
  parseRrule,
  type Repeat,
  WEEKDAY_CODES,
  type WeekdayCode,
  weekdayCode,
} from "./rrule";
import type { Entry } from "./WeekEntry";

export type DialogTarget = { kind: "create"; date: string } | { kind: "edit"; entry: Entry };

// What the form needs beyond the entry: the event itself when editing, the rooms, my groups.
const EventFormQuery = graphql(`
  query EventForm($id: ID!, $editing: Boolean!) {
    event(id: $id) @include(if: $editing) {
      id
      title
      description
      location
      visibility
      allDay
      start
      end
      startDate
      endDate
      rrule
      version
      canEdit
      isRecurring
      attendees {
        person {
          id
          name
        }
      }
      reservations {
        id
        status
        facility {
          id
        }
      }
    }
    facilityGroups {
      id
      name
      facilities {
        id
        name
      }
    }
    me {
      id
      department {
        id
        name
      }
      additionalDepartments {
        id
        name
      }
      groups {
        id
        name
      }
    }
  }
`);

type Scope = "THIS" | "FOLLOWING" | "ALL";
const VISIBILITIES = ["PUBLIC", "BUSY", "PRIVATE"] as const;
type Visibility = (typeof VISIBILITIES)[number];

interface FormState {
  title: string;
  startDate: string;
  startTime: string;
  endDate: string;
  endTime: string;
  allDay: boolean;
  location: string;
  description: string;
  visibility: Visibility;
  attendees: Picked[];
  repeat: Repeat;
  weekdays: WeekdayCode[];
  until: string;
  facilityIds: string[];
}

function initialState(target: DialogTarget): FormState {
  if (target.kind === "create") {
    return {
      title: "",
      startDate: target.date,
      startTime: "10:00",
      endDate: target.date,
      endTime: "11:00",
      allDay: false,
      location: "",
      description: "",
      visibility: "PUBLIC",
      attendees: [],
      repeat: "NONE",
      weekdays: [weekdayCode(target.date)],
      until: "",
      facilityIds: [],
    };
  }
  const entry = target.entry;
  const start = new Date(entry.start);
  const end = new Date(entry.end);
  return {
    title: entry.title,
    startDate: entry.startDate ?? japanDate(start),
    startTime: japanTime(start),
    endDate: entry.endDate ? addDays(entry.endDate, -1) : japanDate(new Date(end.getTime() - 1)),
    endTime: japanTime(end),
    allDay: entry.allDay,
    location: entry.location ?? "",
    description: "",
    visibility: (entry.visibility as Visibility) ?? "PUBLIC",
    attendees: [],
    repeat: "NONE",
    weekdays: [],
    until: "",
    facilityIds: [],
  };
}

/** The event form as a modal <dialog>: create, change (with the scope of a series), cancel. */
export function EventDialog({
  target,
  onClose,
}: {
  target: DialogTarget;
  /** changed: something was saved; saved: the event's version after it (for live echoes). */
  onClose: (changed: boolean, saved?: { id: string; version: number } | null) => void;
}) {
  const { t, errorText, language } = useI18n();
  const id = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const editing = target.kind === "edit" ? target.entry : null;
  const [form, setForm] = useState<FormState>(() => initialState(target));
  const [loadedFrom, setLoadedFrom] = useState<string | null>(null);
  const [scope, setScope] = useState<Scope>("THIS");
  const [problems, setProblems] = useState<CalendarProblem[]>([]);
  const [saving, setSaving] = useState(false);
  const [slotPicked, setSlotPicked] = useState("");
  const saved = useRef<{ id: string; version: number } | null>(null);
  const [{ data }] = useQuery({
    query: EventFormQuery,
    variables: { id: editing?.eventId ?? "", editing: editing !== null },
    requestPolicy: "network-only",
  });
  const [, createEvent] = useMutation(CreateEvent);
  const [, updateEvent] = useMutation(UpdateEvent);
  const [, moveOccurrence] = useMutation(MoveOccurrence);
  const [, editOccurrence] = useMutation(EditOccurrence);
  const [, editFollowing] = useMutation(EditFollowing);
  const [, cancelOccurrence] = useMutation(CancelOccurrence);
  const [, cancelEvent] = useMutation(CancelEvent);

  useEffect(() => {
    const element = dialog.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (element && !element.open) element.showModal();
    // The dialog goes away with React, not by close(): put the focus back on what opened it
    // (the entry or the button), as a closed modal should.
    return () => {
      element?.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  // When the event has been read, the form takes what only the event knows.
  const event = data?.event ?? null;
  useEffect(() => {
    if (!event || loadedFrom === event.id) return;
    setLoadedFrom(event.id);
    const recurrence = parseRrule(event.rrule) ?? { repeat: "NONE" as Repeat };
    const rooms = new Set(
      event.reservations
        .filter((r) => r.status !== "CANCELLED" && r.status !== "REJECTED")
        .map((r) => r.facility.id),
    );
    setForm((current) => ({
      ...current,
      description: event.description ?? "",
      visibility: event.visibility,
      attendees: event.attendees.map((attendee) => ({
        id: attendee.person.id,
        name: attendee.person.name,
      })),
      repeat: recurrence.repeat,
      weekdays: [...(recurrence.weekdays ?? [weekdayCode(current.startDate)])],
      until: recurrence.until ?? "",
      facilityIds: [...rooms],
    }));
  }, [event, loadedFrom]);

  const recurring = editing?.isRecurring ?? false;
  // Saving before the event has been read would send empty attendees and rooms (which
  // replace the event's): the buttons wait for it.
  const ready = editing === null || loadedFrom === editing.eventId;
  const canEdit = editing ? editing.event.canEdit : true;
  const set = <K extends keyof FormState>(key: K, value: FormState[K]) =>
    setForm((current) => ({ ...current, [key]: value }));

  const period = () =>
    form.allDay
      ? { allDay: true, startDate: form.startDate, endDate: addDays(form.endDate, 1) }
      : {
          allDay: false,
          start: japanDateTime(form.startDate, form.startTime),
          end: japanDateTime(form.endDate, form.endTime),
        };

  const finish = (
    payload: { errors: readonly CalendarProblem[] } | null,
    failure: string | null,
  ) => {
    if (failure) {
      setProblems([{ code: failure, message: "" }]);
      return false;
    }
    if (payload && payload.errors.length > 0) {
      setProblems([...payload.errors]);
      return false;
    }
    return true;
  };

  const onSubmit = async (submitted: FormEvent<HTMLFormElement>) => {
    submitted.preventDefault();
    if (!ready) return;
    setProblems([]);
    if (form.title.trim() === "") {
      setProblems([{ code: "REQUIRED", message: "", field: "title" }]);
      return;
    }
    setSaving(true);
    try {
      const rrule = buildRrule(
        { repeat: form.repeat, weekdays: form.weekdays, until: form.until || null },
        form.startDate,
      );
      // A whole department or group was turned into its people by the picker.
      const people = { attendeeIds: form.attendees.map((person) => person.id) };
      const details = {
        title: form.title.trim(),
        description: form.description,
        location: form.location,
        visibility: form.visibility,
      };
      if (!editing) {
        const answer = await createEvent({
          input: { ...details, ...period(), rrule, ...people, facilityIds: form.facilityIds },
        });
        const payload = answer.data
          ? readFragment(EventResultFragment, answer.data.createEvent)
          : null;
        if (finish(payload, answer.error ? errorCode(answer.error) : null))
          onClose(true, saved.current);
        return;
      }
      const version = event?.version ?? editing.event.version;
      if (recurring && editing.recurrenceId && scope === "THIS") {
        // One occurrence may have its own title, place and time; the rest belongs to the series.
        const edited = await editOccurrence({
          eventId: editing.eventId,
          recurrenceId: editing.recurrenceId,
          input: { title: details.title, location: details.location },
          version,
        });
        const first = edited.data
          ? readFragment(EventResultFragment, edited.data.editOccurrence)
          : null;
        if (!finish(first, edited.error ? errorCode(edited.error) : null)) return;
        const when = period();
        if (!when.allDay && (when.start !== editing.start || when.end !== editing.end)) {
          const moved = await moveOccurrence({
            eventId: editing.eventId,
            recurrenceId: editing.recurrenceId,
            start: when.start ?? editing.start,
            end: when.end ?? editing.end,
          });
          const second = moved.data
            ? readFragment(EventResultFragment, moved.data.moveOccurrence)
            : null;
          if (!finish(second, moved.error ? errorCode(moved.error) : null)) return;
        }
        onClose(true, saved.current);
        return;
      }
      const input = {
        ...details,
        ...period(),
        rrule: rrule ?? "",
        ...people,
        facilityIds: form.facilityIds,
      };
      if (recurring && editing.recurrenceId && scope === "FOLLOWING") {
        const answer = await editFollowing({
          eventId: editing.eventId,
          recurrenceId: editing.recurrenceId,
          input,
        });
        const payload = answer.data
          ? readFragment(EventResultFragment, answer.data.editFollowing)
          : null;
        if (finish(payload, answer.error ? errorCode(answer.error) : null))
          onClose(true, saved.current);
        return;
      }
      if (recurring && event) {
        // Every occurrence: the series keeps its first day; the times and the rest change.
        // (Opening the 3rd occurrence and choosing "all" must not make the series start there.)
        const firstDay = event.startDate ?? japanDate(new Date(event.start));
        const shift = Math.round(
          (Date.parse(`${firstDay}T00:00:00Z`) - Date.parse(`${form.startDate}T00:00:00Z`)) /
            86_400_000,
        );
        const when = form.allDay
          ? { allDay: true, startDate: firstDay, endDate: addDays(form.endDate, 1 + shift) }
          : {
              allDay: false,
              start: japanDateTime(firstDay, form.startTime),
              end: japanDateTime(addDays(form.endDate, shift), form.endTime),
            };
        Object.assign(input, when);
      }
      const answer = await updateEvent({ id: editing.eventId, input, version });
      const payload = answer.data
        ? readFragment(EventResultFragment, answer.data.updateEvent)
        : null;
      if (finish(payload, answer.error ? errorCode(answer.error) : null))
        onClose(true, saved.current);
    } finally {
      setSaving(false);
    }
  };

  const onDelete = async () => {
    if (!editing) return;
    setProblems([]);
    setSaving(true);
    try {
      if (recurring && editing.recurrenceId && scope !== "ALL") {
        if (scope === "THIS") {
          const answer = await cancelOccurrence({
            eventId: editing.eventId,
            recurrenceId: editing.recurrenceId,
          });
          const payload = answer.data
            ? readFragment(EventResultFragment, answer.data.cancelOccurrence)
            : null;
          if (finish(payload, answer.error ? errorCode(answer.error) : null))
            onClose(true, saved.current);
          return;
        }
        // This and the following: the series ends the second before this occurrence.
        const until = new Date(Date.parse(editing.recurrenceId) - 1000)
          .toISOString()
          .replace(/[-:]|\.\d+/g, "");
        const rule = (event?.rrule ?? "")
          .split(";")
          .filter((part) => !/^(UNTIL|COUNT)=/.test(part))
          .concat(`UNTIL=${until}`)
          .join(";");
        const answer = await updateEvent({
          id: editing.eventId,
          input: { rrule: rule },
          version: event?.version ?? editing.event.version,
        });
        const payload = answer.data
          ? readFragment(EventResultFragment, answer.data.updateEvent)
          : null;
        if (finish(payload, answer.error ? errorCode(answer.error) : null))
          onClose(true, saved.current);
        return;
      }
      const answer = await cancelEvent({ id: editing.eventId });
      const payload = answer.data
        ? readFragment(EventResultFragment, answer.data.cancelEvent)
        : null;
      if (finish(payload, answer.error ? errorCode(answer.error) : null))
        onClose(true, saved.current);
    } finally {
      setSaving(false);
    }
  };

  const sources: PickSource[] = [
    ...(data?.me?.department ? [data.me.department] : []),
    ...(data?.me?.additionalDepartments ?? []),
  ]
    .map((department): PickSource => ({ kind: "department", ...department }))
    .concat((data?.me?.groups ?? []).map((group) => ({ kind: "group", ...group })));
  const roomProblem = (facilityId: string) =>
    problems.find((problem) => problem.facilityId === facilityId);
  const titleProblem = problems.find((problem) => problem.field === "title");
  const onlyThis = recurring && scope === "THIS";
  return (
    <dialog
      ref={dialog}
      className="event-dialog"
      aria-labelledby={`${id}-title`}
      onClose={() => onClose(false)}
      onCancel={(cancel) => {
        cancel.preventDefault();
        onClose(false);
      }}
    >
      <form onSubmit={onSubmit} noValidate>
        <h2 id={`${id}-title`}>{editing ? t("schedule.editEvent") : t("schedule.newEvent")}</h2>
        {problems.length > 0 ? (
          <div className="error" role="alert">
            <ul>
              {problems.map((problem) => (
                <li
                  key={`${problem.code}/${problem.facilityId ?? ""}/${problem.start ?? ""}/${problem.field ?? ""}`}
                >
                  {problem.facilityName && problem.start
                    ? t("schedule.roomProblem", {
                        room: problem.facilityName,
                        date: `${formatWareki(problem.start, language)}`,
                        period: `${japanTime(new Date(problem.start))}–${japanTime(new Date(problem.end ?? problem.start))}`,
                        reason: errorText(problem.code),
                      })
                    : errorText(problem.code)}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {recurring ? (
          <fieldset className="scope">
            <legend>{t("schedule.scope")}</legend>
            {(["THIS", "FOLLOWING", "ALL"] as const).map((value) => (
              <label key={value}>
                <input
                  type="radio"
                  name={`${id}-scope`}
                  value={value}
                  checked={scope === value}
                  onChange={() => setScope(value)}
                />
                {t(`schedule.scope.${value}`)}
              </label>
            ))}
            {onlyThis ? <p className="hint">{t("schedule.scopeThisHint")}</p> : null}
          </fieldset>
        ) : null}
        <label>
          {t("schedule.eventTitle")}
          <input
            value={form.title}
            onChange={(change) => set("title", change.target.value)}
            required
            aria-invalid={titleProblem ? true : undefined}
            disabled={!canEdit}
          />
        </label>
        <fieldset className="when">
          <legend>{t("schedule.when")}</legend>
          <label className="check">
            <input
              type="checkbox"
              checked={form.allDay}
              onChange={(change) => set("allDay", change.target.checked)}
              disabled={!canEdit || onlyThis}
            />
            {t("schedule.allDay")}
          </label>
          <div className="date-time">
            <label>
              {t("schedule.startDate")}
              <input
                type="date"
                value={form.startDate}
                onChange={(change) => {
                  const value = change.target.value;
                  setForm((current) => ({
                    ...current,
                    startDate: value,
                    // biome-ignore lint/complexity/useMathMinMax: YYYY-MM-DD strings, not numbers
                    endDate: current.endDate < value ? value : current.endDate,
                    // Weekly on the start's weekday follows the start until other days are chosen.
                    weekdays:
                      value &&
                      current.weekdays.length === 1 &&
                      current.weekdays[0] === weekdayCode(current.startDate)
                        ? [weekdayCode(value)]
                        : current.weekdays,
                  }));
                }}
                required
                aria-describedby={`${id}-start-wareki`}
                disabled={!canEdit}
              />
            </label>
            <span id={`${id}-start-wareki`} className="wareki">
              {form.startDate ? formatWareki(form.startDate, language) : ""}
            </span>
            {form.allDay ? null : (
              <label>
                {t("schedule.startTime")}
                <input
                  type="time"
                  step={300}
                  value={form.startTime}
                  onChange={(change) => set("startTime", change.target.value)}
                  required
                  disabled={!canEdit}
                />
              </label>
            )}
          </div>
          <div className="date-time">
            <label>
              {t("schedule.endDate")}
              <input
                type="date"
                value={form.endDate}
                min={form.startDate}
                onChange={(change) => set("endDate", change.target.value)}
                required
                aria-describedby={`${id}-end-wareki`}
                disabled={!canEdit}
              />
            </label>
            <span id={`${id}-end-wareki`} className="wareki">
              {form.endDate ? formatWareki(form.endDate, language) : ""}
            </span>
            {form.allDay ? null : (
              <label>
                {t("schedule.endTime")}
                <input
                  type="time"
                  step={300}
                  value={form.endTime}
                  onChange={(change) => set("endTime", change.target.value)}
                  required
                  disabled={!canEdit}
                />
              </label>
            )}
          </div>
        </fieldset>
        <fieldset className="repeat" disabled={!canEdit || onlyThis}>
          <legend>{t("schedule.repeat")}</legend>
          <label>
            {t("schedule.repeatKind")}
            <select
              value={form.repeat}
              onChange={(change) => set("repeat", change.target.value as Repeat)}
            >
              {(["NONE", "DAILY", "WEEKLY", "MONTHLY"] as const).map((value) => (
                <option key={value} value={value}>
                  {t(`schedule.repeat.${value}`)}
                </option>
              ))}
            </select>
          </label>
          {form.repeat === "WEEKLY" ? (
            <fieldset className="weekdays">
              <legend>{t("schedule.repeatWeekdays")}</legend>
              {WEEKDAY_CODES.map((code) => (
                <label key={code} className="check">
                  <input
                    type="checkbox"
                    checked={form.weekdays.includes(code)}
                    onChange={(change) =>
                      set(
                        "weekdays",
                        change.target.checked
                          ? [...form.weekdays, code]
                          : form.weekdays.filter((day) => day !== code),
                      )
                    }
                  />
                  {t(`schedule.weekday.${code}`)}
                </label>
              ))}
            </fieldset>
          ) : null}
          {form.repeat !== "NONE" ? (
            <label>
              {t("schedule.repeatUntil")}
              <input
                type="date"
                value={form.until}
                min={form.startDate}
                onChange={(change) => set("until", change.target.value)}
                aria-describedby={`${id}-until-wareki`}
              />
              <span id={`${id}-until-wareki`} className="wareki">
                {form.until ? formatWareki(form.until, language) : t("schedule.repeatForever")}
              </span>
            </label>
          ) : null}
        </fieldset>
        <label>
          {t("schedule.location")}
          <input
            value={form.location}
            onChange={(change) => set("location", change.target.value)}
            disabled={!canEdit}
          />
        </label>
        <fieldset disabled={!canEdit || onlyThis}>
          <legend>{t("schedule.attendees")}</legend>
          <PeoplePicker
            picked={form.attendees}
            onChange={(people) => set("attendees", people)}
            label={t("schedule.searchPeople")}
            pickedLabel={t("schedule.pickedPeople")}
            sources={sources}
            exclude={data?.me ? [data.me.id] : []}
          />
        </fieldset>
        <fieldset className="rooms" disabled={!canEdit || onlyThis}>
          <legend>{t("schedule.rooms")}</legend>
          {(data?.facilityGroups ?? []).map((group) =>
            group.facilities.length === 0 ? null : (
              <div key={group.id} className="room-group">
                <span className="room-group-name">{group.name}</span>
                {group.facilities.map((facility) => {
                  const problem = roomProblem(facility.id);
                  return (
                    <label key={facility.id} className={`check${problem ? " has-problem" : ""}`}>
                      <input
                        type="checkbox"
                        checked={form.facilityIds.includes(facility.id)}
                        aria-invalid={problem ? true : undefined}
                        aria-describedby={problem ? `${id}-room-${facility.id}` : undefined}
                        onChange={(change) =>
                          set(
                            "facilityIds",
                            change.target.checked
                              ? [...form.facilityIds, facility.id]
                              : form.facilityIds.filter((room) => room !== facility.id),
                          )
                        }
                      />
                      {facility.name}
                      {problem ? (
                        <span id={`${id}-room-${facility.id}`} className="error room-problem">
                          {errorText(problem.code)}
                        </span>
                      ) : null}
                    </label>
                  );
                })}
              </div>
            ),
          )}
        </fieldset>
        {canEdit && !onlyThis ? (
          <FreeSlotFinder
            personIds={[
              ...(data?.me ? [data.me.id] : []),
              ...form.attendees.map((person) => person.id),
            ]}
            facilityIds={form.facilityIds}
            from={form.startDate || japanDate(new Date())}
            onPick={(start, end) => {
              setForm((current) => ({
                ...current,
                allDay: false,
                startDate: japanDate(new Date(start)),
                startTime: japanTime(new Date(start)),
                endDate: japanDate(new Date(end)),
                endTime: japanTime(new Date(end)),
              }));
              setSlotPicked(
                t("schedule.slotPicked", {
                  slot: `${formatShortDate(start, language)} ${formatTime(start, language)}–${formatTime(end, language)}`,
                }),
              );
            }}
          />
        ) : null}
        <p className="schedule-sr" role="status" aria-live="polite">
          {slotPicked}
        </p>
        <label>
          {t("schedule.visibility")}
          <select
            value={form.visibility}
            onChange={(change) => set("visibility", change.target.value as Visibility)}
            disabled={!canEdit || onlyThis}
          >
            {VISIBILITIES.map((value) => (
              <option key={value} value={value}>
                {t(`schedule.visibility.${value}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("schedule.description")}
          <textarea
            rows={3}
            value={form.description}
            onChange={(change) => set("description", change.target.value)}
            disabled={!canEdit || onlyThis}
          />
        </label>
        <div className="dialog-buttons">
          {canEdit ? (
            <button type="submit" className="primary" disabled={saving || !ready}>
              {saving ? t("schedule.saving") : t("schedule.save")}
            </button>
          ) : null}
          {editing && canEdit ? (
            <button type="button" className="danger" onClick={onDelete} disabled={saving || !ready}>
              {t("schedule.delete")}
            </button>
          ) : null}
          <button type="button" onClick={() => onClose(false)}>
            {t("schedule.close")}
          </button>
        </div>
      </form>
    </dialog>
  );
}
