import { describe, expect, it } from "vitest";
import { cells, daysBetween, mondayOf, shiftedByDays, weekColumns } from "./grid";

const WEEK = [
  "2026-12-28",
  "2026-12-29",
  "2026-12-30",
  "2026-12-31",
  "2027-01-01",
  "2027-01-02",
  "2027-01-03",
];

describe("the department week's layout", () => {
  it("starts weeks on Monday and marks today, weekends, holidays and closed days", () => {
    expect(mondayOf("2027-01-03")).toBe("2026-12-28"); // a Sunday
    expect(mondayOf("2026-12-28")).toBe("2026-12-28");
    const columns = weekColumns("2026-12-28", "2026-12-30", [
      { date: "2026-12-29", name: "年末年始", kind: "CLOSED" },
      { date: "2027-01-01", name: "元日", kind: "NATIONAL" },
    ]);
    expect(columns.map((column) => column.date)).toEqual(WEEK);
    expect(columns.filter((column) => column.isToday).map((column) => column.date)).toEqual([
      "2026-12-30",
    ]);
    expect(columns.filter((column) => column.isWeekend).map((column) => column.weekday)).toEqual([
      5, 6,
    ]);
    expect(columns[1]?.holiday?.kind).toBe("CLOSED");
    expect(columns[4]?.holiday?.name).toBe("元日");
    expect(columns[0]?.holiday).toBeNull();
  });

  it("puts each entry in its Japan-time day, all-day first, then by start", () => {
    const late = { start: "2026-12-28T06:00:00Z", end: "2026-12-28T07:00:00Z", allDay: false };
    // 23:30 UTC on the 27th is 08:30 on the 28th in Japan.
    const early = { start: "2026-12-27T23:30:00Z", end: "2026-12-28T00:30:00Z", allDay: false };
    const trip = {
      start: "2026-12-27T15:00:00Z",
      end: "2026-12-29T15:00:00Z",
      allDay: true,
      startDate: "2026-12-28",
      endDate: "2026-12-30",
    };
    const outside = { start: "2027-01-04T01:00:00Z", end: "2027-01-04T02:00:00Z", allDay: false };
    const grid = cells(WEEK, [late, early, trip, outside]);
    expect(grid).toHaveLength(7);
    expect(grid[0]).toEqual([trip, early, late]);
    expect(grid[1]).toEqual([trip]); // the exclusive end date is not covered
    expect(grid.slice(2).every((cell) => cell.length === 0)).toBe(true);
  });

  it("does not show a meeting that ends at midnight on the next day", () => {
    const evening = { start: "2026-12-28T13:00:00Z", end: "2026-12-28T15:00:00Z", allDay: false };
    const grid = cells(WEEK, [evening]);
    expect(grid[0]).toEqual([evening]);
    expect(grid[1]).toEqual([]);
  });

  it("moves by whole days keeping the Japan-time clock and the length", () => {
    expect(
      shiftedByDays({ start: "2026-12-28T01:00:00Z", end: "2026-12-28T02:30:00Z" }, 2),
    ).toEqual({ start: "2026-12-30T10:00:00+09:00", end: "2026-12-30T11:30:00+09:00" });
    expect(
      shiftedByDays({ start: "2026-12-28T10:00:00+09:00", end: "2026-12-28T11:00:00+09:00" }, -1),
    ).toEqual({ start: "2026-12-27T10:00:00+09:00", end: "2026-12-27T11:00:00+09:00" });
    expect(daysBetween("2026-12-28", "2027-01-02")).toBe(5);
    expect(daysBetween("2027-01-02", "2026-12-28")).toBe(-5);
  });
});
