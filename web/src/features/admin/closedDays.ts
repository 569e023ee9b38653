/** Pure helpers of the closed-days screen. */

export interface AnnualDay {
  month: number;
  day: number;
  name: string;
}

export interface HolidayLike {
  date: string;
  name: string;
  kind: string;
}

/** The period the screen lists dated closed days of: this year and the next (Japan). */
export function listedPeriod(today: string): { start: string; end: string; last: string } {
  const year = Number(today.slice(0, 4));
  return { start: `${year}-01-01`, end: `${year + 2}-01-01`, last: `${year + 1}-12-31` };
}

/** The closed days set for a date (setClosedDay), told from the yearly ones that `holidays`
 * lists as CLOSED too: a CLOSED day the yearly list does not explain by date and name. */
export function datedClosedDays(
  holidays: readonly HolidayLike[],
  annual: readonly AnnualDay[],
): HolidayLike[] {
  const yearly = new Map(annual.map((a) => [`${a.month}-${a.day}`, a.name]));
  return holidays.filter((h) => {
    if (h.kind !== "CLOSED") return false;
    const [, m, d] = h.date.split("-").map(Number);
    return yearly.get(`${m}-${d}`) !== h.name;
  });
}

/** Month and day as numbers if they make a date in some year (29 February does), else null. */
export function parseMonthDay(month: string, day: string): { month: number; day: number } | null {
  if (!/^\d{1,2}$/.test(month.trim()) || !/^\d{1,2}$/.test(day.trim())) return null;
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return null;
  const last = new Date(Date.UTC(2024, m, 0)).getUTCDate(); // 2024: a leap year
  return d <= last ? { month: m, day: d } : null;
}
