import { type KeyboardEvent, type MouseEvent, useEffect, useRef, useState } from "react";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatDate, formatTime } from "../../ui/dates";
import {
  beginsIn,
  extendTo,
  FIRST_HOUR,
  hours,
  inHour,
  LAST_HOUR,
  type Selection,
  selectedHours,
} from "./grid";

export const DayGridFragment = graphql(`
  fragment DayGrid_group on FacilityGroup {
    id
    name
    facilities {
      id
      name
      capacity
      needsApproval
      reservations(start: $dayStart, end: $dayEnd) {
        id
        start
        end
        status
        purpose
        mine
        requester {
          id
          name
        }
      }
    }
  }
`);

export interface HolidayMark {
  date: string;
  name: string;
  kind: string;
}

/**
 * Rooms as rows, hours as columns. Free time is picked by dragging over it (a run of free
 * hours in one row), or by the keyboard: a free hour's button, Shift+→ / ← to stretch the run,
 * Enter to open the form filled in; ← / → move between free hours.
 */
export function DayGrid({
  group,
  date,
  holiday,
  onPick,
}: {
  group: FragmentType<typeof DayGridFragment>;
  date: string;
  holiday: HolidayMark | null;
  onPick: (facilityId: string, from: number, to: number) => void;
}) {
  const { t, language } = useI18n();
  const data = readFragment(DayGridFragment, group);
  const columns = hours();
  const [selection, setSelection] = useState<Selection | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const dragging = useRef(false);
  // The selection as of the latest event (state lags a render behind a fast drag).
  const latest = useRef(selection);
  latest.current = selection;
  const table = useRef<HTMLTableElement>(null);

  const taken = new Map(
    data.facilities.map((facility) => {
      const active = facility.reservations.filter(
        (r) => r.status === "PENDING" || r.status === "CONFIRMED",
      );
      return [facility.id, active] as const;
    }),
  );
  const isFree = (facilityId: string) => (hour: number) =>
    hour >= FIRST_HOUR &&
    hour < LAST_HOUR &&
    inHour(taken.get(facilityId) ?? [], date, hour).length === 0;
  const nameOf = (facilityId: string) =>
    data.facilities.find((facility) => facility.id === facilityId)?.name ?? "";
  const describe = (chosen: Selection) => {
    const { from, to } = selectedHours(chosen);
    return t("facilities.selected", { name: nameOf(chosen.facilityId), from, to });
  };
  const select = (next: Selection | null) => {
    // Known at once to the next pointer event, which may come before React renders again.
    latest.current = next;
    setSelection(next);
    if (next) setAnnouncement(describe(next));
  };
  const pick = (chosen: Selection) => {
    const { from, to } = selectedHours(chosen);
    dragging.current = false;
    setSelection(null);
    onPick(chosen.facilityId, from, to);
  };

  // The drag ends wherever the pointer is let go, inside the grid or not.
  useEffect(() => {
    const onUp = () => {
      if (!dragging.current) return;
      dragging.current = false;
      const chosen = latest.current;
      if (chosen) pick(chosen);
    };
    window.addEventListener("pointerup", onUp);
    return () => window.removeEventListener("pointerup", onUp);
  });
  // A new day or group forgets a run picked on the old one.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when these change
  useEffect(() => setSelection(null), [date, data.id]);

  const focusHour = (facilityId: string, hour: number) => {
    table.current
      ?.querySelector<HTMLButtonElement>(
        `tr[data-facility="${CSS.escape(facilityId)}"] button[data-hour="${hour}"]`,
      )
      ?.focus();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, facilityId: string, hour: number) => {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    event.preventDefault();
    const step = event.key === "ArrowRight" ? 1 : -1;
    if (event.shiftKey) {
      const current =
        selection && selection.facilityId === facilityId
          ? selection
          : { facilityId, anchor: hour, focus: hour };
      const focus = extendTo(current.anchor, current.focus + step, isFree(facilityId));
      select({ ...current, focus });
      return;
    }
    // Plain arrows walk to the next free hour of the row (taken hours have no button).
    for (let next = hour + step; next >= FIRST_HOUR && next < LAST_HOUR; next += step) {
      if (isFree(facilityId)(next)) {
        focusHour(facilityId, next);
        return;
      }
    }
  };
  const onClick = (event: MouseEvent<HTMLButtonElement>, facilityId: string, hour: number) => {
    // A pointer's pick happens when it is let go; a click from the keyboard (Enter, Space:
    // detail 0) opens the run selected in this row when it holds this hour, else this hour.
    if (event.detail !== 0) return;
    const { from, to } = selection ? selectedHours(selection) : { from: hour, to: hour + 1 };
    if (selection && selection.facilityId === facilityId && hour >= from && hour < to)
      pick(selection);
    else pick({ facilityId, anchor: hour, focus: hour });
  };

  const chosenHours = selection ? selectedHours(selection) : null;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: the grid scrolls sideways on a phone, and a scrolling region must be reachable by keyboard (WCAG 2.1.1)
    <section className="day-grid" aria-labelledby="day-grid-title" tabIndex={0}>
      <h2 id="day-grid-title">
        {data.name} <span className="grid-date">{formatDate(date, language)}</span>
        {holiday ? (
          <span className={`holiday-mark holiday-${holiday.kind.toLowerCase()}`}>
            {" "}
            {holiday.kind === "CLOSED" ? t("schedule.closed") : t("schedule.holiday")}{" "}
            {holiday.name}
          </span>
        ) : null}
      </h2>
      <p id="day-grid-hint" className="hint">
        {t("facilities.dragHint")}
      </p>
      <p className="schedule-sr" role="status" aria-live="polite">
        {announcement}
      </p>
      {data.facilities.length === 0 ? (
        <p>{t("facilities.noFacilities")}</p>
      ) : (
        <table
          ref={table}
          className={`facility-grid${holiday ? " is-holiday" : ""}`}
          data-date={date}
        >
          <thead>
            <tr>
              <th scope="col">{t("facilities.facility")}</th>
              {columns.map((hour) => (
                <th scope="col" key={hour}>
                  {t("facilities.hour", { hour })}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.facilities.map((facility) => {
              const active = taken.get(facility.id) ?? [];
              return (
                <tr key={facility.id} data-facility={facility.id}>
                  <th scope="row">
                    {facility.name}
                    <small className="hint">
                      {" "}
                      {t("facilities.capacity", { count: facility.capacity })}
                      {facility.needsApproval ? ` ${t("facilities.needsApproval")}` : ""}
                    </small>
                  </th>
                  {columns.map((hour) => {
                    const here = inHour(active, date, hour);
                    if (here.length === 0) {
                      const selected =
                        chosenHours !== null &&
                        selection?.facilityId === facility.id &&
                        hour >= chosenHours.from &&
                        hour < chosenHours.to;
                      return (
                        <td key={hour} className={selected ? "free is-selected" : "free"}>
                          <button
                            type="button"
                            className="slot"
                            data-hour={hour}
                            aria-label={t("facilities.bookAt", { name: facility.name, hour })}
                            aria-describedby="day-grid-hint"
                            aria-pressed={selected}
                            onPointerDown={(event) => {
                              if (event.button !== 0) return;
                              // Let the pointer enter the next cells (touch captures it).
                              if (event.currentTarget.hasPointerCapture(event.pointerId))
                                event.currentTarget.releasePointerCapture(event.pointerId);
                              dragging.current = true;
                              select({ facilityId: facility.id, anchor: hour, focus: hour });
                            }}
                            onPointerEnter={() => {
                              const current = latest.current;
                              if (!dragging.current || !current) return;
                              if (current.facilityId !== facility.id) return;
                              const focus = extendTo(current.anchor, hour, isFree(facility.id));
                              if (focus !== current.focus) select({ ...current, focus });
                            }}
                            onKeyDown={(event) => onKeyDown(event, facility.id, hour)}
                            onClick={(event) => onClick(event, facility.id, hour)}
                          >
                            <span aria-hidden="true">+</span>
                          </button>
                        </td>
                      );
                    }
                    return (
                      <td
                        key={hour}
                        className={`taken ${here.some((r) => r.status === "PENDING") ? "pending" : ""}`}
                      >
                        {here
                          .filter((r) => beginsIn(r, date, hour))
                          .map((r) => (
                            <span key={r.id} className="booking">
                              {formatTime(r.start, language)}–{formatTime(r.end, language)}{" "}
                              {t(`reservation.${r.status}`)} {r.purpose ?? r.requester.name}
                            </span>
                          ))}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
