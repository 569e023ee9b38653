// The department week's layout, kept apart from React so it can be tested: which entries go
// into which cell, in what order, and what each day column is (today, weekend, holiday).
import { addDays, japanDate } from "../../ui/dates";

export interface Placed {
  start: string;
  end: string;
  allDay: boolean;
  startDate?: string | null;
  endDate?: string | null;
}

export interface HolidayLike {
  date: string;
  name: string;
  kind: string;
}

export interface DayColumn {
  date: string;
  /** 0 Monday … 6 Sunday. */
  weekday: number;
  isToday: boolean;
  isWeekend: boolean;
  /** A national holiday or the municipality's closed day (年末年始 …). */
  holiday: HolidayLike | null;
}

/** The Monday of the week a Japan-time date falls in. */
export function mondayOf(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 Sunday
  return addDays(date, -((weekday + 6) % 7));
}

/** Seven day columns from Monday, with today, weekends and holidays marked. */
export function weekColumns(
  monday: string,
  today: string,
  holidays: readonly HolidayLike[],
): DayColumn[] {
  const byDate = new Map(holidays.map((holiday) => [holiday.date, holiday]));
  return Array.from({ length: 7 }, (_, weekday) => {
    const date = addDays(monday, weekday);
    return {
      date,
      weekday,
      isToday: date === today,
      isWeekend: weekday >= 5,
      holiday: byDate.get(date) ?? null,
    };
  });
}

/** The Japan-time dates an occurrence covers (an all-day entry: startDate to endDate−1). */
export function datesCovered(occurrence: Placed): string[] {
  const first =
    occurrence.allDay && occurrence.startDate
      ? occurrence.startDate
      : japanDate(new Date(occurrence.start));
  // The end is exclusive: a meeting until 00:00 does not touch the next day.
  const last =
    occurrence.allDay && occurrence.endDate
      ? addDays(occurrence.endDate, -1)
      : japanDate(
          new Date(Math.max(new Date(occurrence.end).getTime() - 1, Date.parse(occurrence.start))),
        );
  const dates = [first];
  for (let date = first; date < last && dates.length < 400; ) {
    date = addDays(date, 1);
    dates.push(date);
  }
  return dates;
}

/**
 * One row's entries by day: all-day entries first, then by start, then by end. An entry over
 * several days shows in each of its days within the week.
 */
export function cells<T extends Placed>(days: readonly string[], occurrences: readonly T[]): T[][] {
  const index = new Map(days.map((day, i) => [day, i]));
  const grouped: T[][] = days.map(() => []);
  for (const occurrence of occurrences) {
    for (const date of datesCovered(occurrence)) {
      const i = index.get(date);
      if (i !== undefined) grouped[i]?.push(occurrence);
    }
  }
  for (const list of grouped) {
    list.sort(
      (a, b) =>
        Number(b.allDay) - Number(a.allDay) ||
        Date.parse(a.start) - Date.parse(b.start) ||
        Date.parse(a.end) - Date.parse(b.end),
    );
  }
  return grouped;
}

/**
 * Where an occurrence lands when moved by `days` days: the same Japan-time clock times (Japan
 * has no daylight saving time, so whole days of 24 h), the same length.
 */
export function shiftedByDays(
  occurrence: { start: string; end: string },
  days: number,
): { start: string; end: string } {
  const shift = days * 24 * 60 * 60 * 1000;
  return {
    start: toJapanIso(new Date(Date.parse(occurrence.start) + shift)),
    end: toJapanIso(new Date(Date.parse(occurrence.end) + shift)),
  };
}

/** 2026-12-03T10:00:00+09:00 for an instant (the API takes any offset; this one reads well). */
export function toJapanIso(instant: Date): string {
  const japan = new Date(instant.getTime() + 9 * 60 * 60 * 1000);
  return `${japan.toISOString().slice(0, 19)}+09:00`;
}

/** Whole days from one YYYY-MM-DD to another. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export interface MonthDay extends DayColumn {
  /** Whether the day belongs to the month shown (the weeks around it fill the grid). */
  inMonth: boolean;
}

/** The first day (YYYY-MM-01) of the month a date falls in. */
export function monthOf(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

/** The same day-of-month `months` months on, kept within the month (1/31 + 1 → 2/28). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

/**
 * The month as whole weeks from Monday: the week holding the 1st to the week holding the last
 * day (four to six rows), each day marked as the week's columns are.
 */
export function monthWeeks(
  date: string,
  today: string,
  holidays: readonly HolidayLike[],
): MonthDay[][] {
  const first = monthOf(date);
  const next = addMonths(first, 1);
  const weeks: MonthDay[][] = [];
  for (let monday = mondayOf(first); monday < next; monday = addDays(monday, 7)) {
    weeks.push(
      weekColumns(monday, today, holidays).map((column) => ({
        ...column,
        inMonth: column.date >= first && column.date < next,
      })),
    );
  }
  return weeks;
}

/** The dates a view needs read, [from, to): a week, or the month's whole weeks. */
export function viewRange(view: "month" | "week", date: string): { from: string; to: string } {
  if (view === "week") return { from: mondayOf(date), to: addDays(mondayOf(date), 7) };
  const first = monthOf(date);
  const next = addMonths(first, 1);
  const to = mondayOf(addDays(next, -1));
  return { from: mondayOf(first), to: addDays(to, 7) };
}

/** Entries shown in a month's day before "+n more". */
export const MONTH_CELL_LIMIT = 3;

/** The shown entries of a day and how many more there are. */
export function firstOf<T>(
  entries: readonly T[],
  limit = MONTH_CELL_LIMIT,
): {
  shown: T[];
  more: number;
} {
  // Showing "+1 more" in place of the one entry it hides helps nobody: show it.
  if (entries.length <= limit + 1) return { shown: [...entries], more: 0 };
  return { shown: entries.slice(0, limit), more: entries.length - limit };
}

/** The smallest step of a resize, and the shortest an entry may become. */
export const RESIZE_STEP_MINUTES = 15;

/**
 * Where the end of a timed entry goes when resized by `minutes` (negative: shorter): snapped
 * to the quarter hour, never at or before the start (at least one step long).
 */
export function resizedEnd(occurrence: { start: string; end: string }, minutes: number): string {
  const step = RESIZE_STEP_MINUTES * 60_000;
  const start = Date.parse(occurrence.start);
  const wanted = Date.parse(occurrence.end) + minutes * 60_000;
  const snapped = Math.round(wanted / step) * step;
  return toJapanIso(new Date(Math.max(snapped, start + step)));
}

/** Pointer travel to minutes of a resize: every `pixelsPerStep` px is one 15-minute step. */
export function minutesForDrag(pixels: number, pixelsPerStep = 12): number {
  return Math.trunc(pixels / pixelsPerStep) * RESIZE_STEP_MINUTES;
}
