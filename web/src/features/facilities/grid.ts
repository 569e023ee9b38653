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
