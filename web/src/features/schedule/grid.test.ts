import { describe, expect, it } from "vitest";
import {
  addMonths,
  cells,
  daysBetween,
  firstOf,
  minutesForDrag,
  mondayOf,
  monthWeeks,
  resizedEnd,
  shiftedByDays,
  viewRange,
  weekColumns,
} from "./grid";

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

describe("the personal month", () => {
  it("is whole weeks from Monday around the month, its own days and holidays marked", () => {
    const weeks = monthWeeks("2027-01-15", "2027-01-04", [
      { date: "2026-12-31", name: "年末年始", kind: "CLOSED" },
      { date: "2027-01-01", name: "元日", kind: "NATIONAL" },
      { date: "2027-01-11", name: "成人の日", kind: "NATIONAL" },
    ]);
    // January 2027 starts on a Friday and ends on a Sunday: five weeks, 12/28 to 1/31.
    expect(weeks).toHaveLength(5);
    expect(weeks[0]?.[0]?.date).toBe("2026-12-28");
    expect(weeks[4]?.[6]?.date).toBe("2027-01-31");
    expect(weeks[0]?.filter((day) => day.inMonth).map((day) => day.date)).toEqual([
      "2027-01-01",
      "2027-01-02",
      "2027-01-03",
    ]);
    const flat = weeks.flat();
    expect(flat.find((day) => day.date === "2026-12-31")?.holiday?.kind).toBe("CLOSED");
    expect(flat.find((day) => day.date === "2027-01-11")?.holiday?.name).toBe("成人の日");
    expect(flat.filter((day) => day.isToday).map((day) => day.date)).toEqual(["2027-01-04"]);
    // February 2027 begins on a Monday and has exactly four weeks.
    expect(monthWeeks("2027-02-01", "2027-02-01", [])).toHaveLength(4);
    // A month of six weeks: August 2026 (Saturday the 1st, Monday the 31st).
    expect(monthWeeks("2026-08-10", "2026-08-10", [])).toHaveLength(6);
  });

  it("reads the whole weeks shown and steps by month without leaving the month", () => {
    expect(viewRange("month", "2027-01-15")).toEqual({ from: "2026-12-28", to: "2027-02-01" });
    expect(viewRange("week", "2027-01-15")).toEqual({ from: "2027-01-11", to: "2027-01-18" });
    expect(addMonths("2027-01-31", 1)).toBe("2027-02-28");
    expect(addMonths("2027-01-15", -1)).toBe("2026-12-15");
    expect(addMonths("2026-12-03", 1)).toBe("2027-01-03");
  });

  it("shows three entries and '+n more', but never '+1 more' in place of one entry", () => {
    expect(firstOf([1, 2, 3, 4])).toEqual({ shown: [1, 2, 3, 4], more: 0 });
    expect(firstOf([1, 2, 3, 4, 5, 6])).toEqual({ shown: [1, 2, 3], more: 3 });
    expect(firstOf([])).toEqual({ shown: [], more: 0 });
  });
});

describe("resizing an entry's end", () => {
  const meeting = { start: "2026-12-03T10:00:00+09:00", end: "2026-12-03T11:00:00+09:00" };
  it("moves the end by quarter hours, in Japan time", () => {
    expect(resizedEnd(meeting, 15)).toBe("2026-12-03T11:15:00+09:00");
    expect(resizedEnd(meeting, -30)).toBe("2026-12-03T10:30:00+09:00");
    // Past midnight the date follows.
    expect(resizedEnd({ ...meeting, end: "2026-12-03T23:45:00+09:00" }, 30)).toBe(
      "2026-12-04T00:15:00+09:00",
    );
    // An end off the quarter (imported) snaps to one.
    expect(resizedEnd({ ...meeting, end: "2026-12-03T10:50:00+09:00" }, 15)).toBe(
      "2026-12-03T11:00:00+09:00",
    );
  });
  it("never ends at or before the start: fifteen minutes at least", () => {
    expect(resizedEnd(meeting, -60)).toBe("2026-12-03T10:15:00+09:00");
    expect(resizedEnd(meeting, -600)).toBe("2026-12-03T10:15:00+09:00");
  });
  it("turns pointer travel into whole steps", () => {
    expect(minutesForDrag(0)).toBe(0);
    expect(minutesForDrag(11)).toBe(0);
    expect(minutesForDrag(12)).toBe(15);
    expect(minutesForDrag(50)).toBe(60);
    expect(minutesForDrag(-25)).toBe(-30);
  });
});
