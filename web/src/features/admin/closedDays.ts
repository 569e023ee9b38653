/** Pure helpers of the closed-days screen. */

/** The period the screen lists dated closed days of: this year and the next (Japan). */
export function listedPeriod(today: string): { start: string; end: string; last: string } {
  const year = Number(today.slice(0, 4));
  return { start: `${year}-01-01`, end: `${year + 2}-01-01`, last: `${year + 1}-12-31` };
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
