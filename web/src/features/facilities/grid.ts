// The day grid's arithmetic: which bookings touch which hour column, in Japan time.
import { japanMidnight } from "../../ui/dates";

export const FIRST_HOUR = 8;
export const LAST_HOUR = 20; // exclusive: the last column is 19:00–20:00

export interface Span {
  start: string;
  end: string;
}

export function hours(): number[] {
  return Array.from({ length: LAST_HOUR - FIRST_HOUR }, (_, i) => FIRST_HOUR + i);
}

/** The instant an hour of a Japan-time date begins, as the API's DateTime. */
export function hourStart(date: string, hour: number): string {
  return `${date}T${String(hour).padStart(2, "0")}:00:00+09:00`;
}

/** Bookings overlapping [hour, hour + 1) of the date, by start. */
export function inHour<T extends Span>(bookings: readonly T[], date: string, hour: number): T[] {
  const from = Date.parse(hourStart(date, hour));
  const to = from + 3_600_000;
  return bookings
    .filter((b) => Date.parse(b.start) < to && Date.parse(b.end) > from)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/** Whether a booking begins in this hour column (or began before the first column). */
export function beginsIn(booking: Span, date: string, hour: number): boolean {
  const from = Date.parse(hourStart(date, hour));
  const start = Date.parse(booking.start);
  return (start >= from && start < from + 3_600_000) || (hour === FIRST_HOUR && start < from);
}

/** [start, end) of a Japan-time date, for the day's query. */
export function dayWindow(date: string, next: string): { start: string; end: string } {
  return { start: japanMidnight(date), end: japanMidnight(next) };
}

/** A date and HH:MM in Japan as the API's DateTime. */
export function at(date: string, time: string): string {
  return `${date}T${time}:00+09:00`;
}

/** A run of hours picked in one room's row: [from, to) in whole hours. */
export interface Selection {
  facilityId: string;
  anchor: number;
  focus: number;
}

/** The hours a selection covers, [from, to), whichever way it was dragged. */
export function selectedHours(selection: Pick<Selection, "anchor" | "focus">): {
  from: number;
  to: number;
} {
  return {
    from: Math.min(selection.anchor, selection.focus),
    to: Math.max(selection.anchor, selection.focus) + 1,
  };
}

/**
 * Where a selection's moving end may go: toward `wanted`, but not past the grid's edge or over
 * an hour that is taken (a booking cannot jump over another one).
 */
export function extendTo(
  anchor: number,
  wanted: number,
  isFree: (hour: number) => boolean,
): number {
  const target = Math.min(Math.max(wanted, FIRST_HOUR), LAST_HOUR - 1);
  const step = target >= anchor ? 1 : -1;
  let reached = anchor;
  for (let hour = anchor + step; step > 0 ? hour <= target : hour >= target; hour += step) {
    if (!isFree(hour)) break;
    reached = hour;
  }
  return reached;
}

/** The bookings a period would collide with, by start: shown before the form is sent. */
export function overlapping<T extends Span>(
  bookings: readonly T[],
  start: string,
  end: string,
): T[] {
  const from = Date.parse(start);
  const to = Date.parse(end);
  if (!(from < to)) return [];
  return bookings
    .filter((b) => Date.parse(b.start) < to && Date.parse(b.end) > from)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
}

/** Bookings overlapping a Japan-time date, by start (a week grid's cell). */
export function onDate<T extends Span>(bookings: readonly T[], date: string): T[] {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
  return overlapping(bookings, japanMidnight(date), japanMidnight(next));
}

/** HH:00 of an hour column. */
export function hourText(hour: number): string {
  return `${String(hour).padStart(2, "0")}:00`;
}

/** The Monday of the week a Japan-time date falls in (a week grid starts there). */
export function mondayOf(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 Sunday
  return new Date(Date.UTC(y, m - 1, d - ((weekday + 6) % 7))).toISOString().slice(0, 10);
}
