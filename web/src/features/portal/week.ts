import { addDays, japanDate } from "../../ui/dates";

export interface Placed {
  start: string;
  end: string;
  allDay: boolean;
  startDate?: string | null;
  endDate?: string | null;
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
      : japanDate(new Date(new Date(occurrence.end).getTime() - 1));
  const dates = [first];
  for (let date = first; date < last && dates.length < 400; ) {
    date = addDays(date, 1);
    dates.push(date);
  }
  return dates;
}

/** Occurrences by day for the given days, in their given order. */
export function byDay<T extends Placed>(
  days: readonly string[],
  occurrences: readonly T[],
): Map<string, T[]> {
  const grouped = new Map<string, T[]>(days.map((day) => [day, []]));
  for (const occurrence of occurrences) {
    for (const date of datesCovered(occurrence)) grouped.get(date)?.push(occurrence);
  }
  return grouped;
}
