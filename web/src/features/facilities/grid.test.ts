import { describe, expect, it } from "vitest";
import {
  at,
  beginsIn,
  extendTo,
  hourStart,
  hours,
  inHour,
  onDate,
  overlapping,
  selectedHours,
} from "./grid";

const day = "2026-12-07";
const meeting = { start: at(day, "09:30"), end: at(day, "11:00") };
const early = { start: at(day, "07:00"), end: at(day, "08:30") };

describe("the facility day grid", () => {
  it("has an hour column from 8:00 to 19:00", () => {
    expect(hours()[0]).toBe(8);
    expect(hours().at(-1)).toBe(19);
    expect(hourStart(day, 9)).toBe("2026-12-07T09:00:00+09:00");
  });

  it("puts a booking in every hour it touches, end exclusive", () => {
    expect(inHour([meeting], day, 9)).toEqual([meeting]);
    expect(inHour([meeting], day, 10)).toEqual([meeting]);
    expect(inHour([meeting], day, 11)).toEqual([]);
    expect(inHour([meeting], day, 8)).toEqual([]);
  });

  it("labels a booking where it begins, or in the first column if earlier", () => {
    expect(beginsIn(meeting, day, 9)).toBe(true);
    expect(beginsIn(meeting, day, 10)).toBe(false);
    expect(beginsIn(early, day, 8)).toBe(true);
  });

  it("reads UTC instants from the API in Japan time", () => {
    const utc = { start: "2026-12-07T01:00:00Z", end: "2026-12-07T02:00:00Z" };
    expect(inHour([utc], day, 10)).toEqual([utc]);
  });
});

describe("picking free time on the grid", () => {
  const taken = new Set([12, 15]);
  const isFree = (hour: number) => !taken.has(hour);
  it("covers [from, to) whichever way it was dragged", () => {
    expect(selectedHours({ anchor: 9, focus: 11 })).toEqual({ from: 9, to: 12 });
    expect(selectedHours({ anchor: 11, focus: 9 })).toEqual({ from: 9, to: 12 });
    expect(selectedHours({ anchor: 10, focus: 10 })).toEqual({ from: 10, to: 11 });
  });
  it("stops before a taken hour and at the grid's edges", () => {
    expect(extendTo(9, 14, isFree)).toBe(11);
    expect(extendTo(13, 19, isFree)).toBe(14);
    expect(extendTo(14, 8, isFree)).toBe(13);
    expect(extendTo(16, 30, isFree)).toBe(19);
    expect(extendTo(9, 2, isFree)).toBe(8);
    expect(extendTo(10, 10, isFree)).toBe(10);
  });
  it("names the bookings a period collides with, and none for an empty period", () => {
    const bookings = [
      { start: "2026-12-08T13:00:00+09:00", end: "2026-12-08T14:00:00+09:00", id: "b" },
      { start: "2026-12-08T09:00:00+09:00", end: "2026-12-08T10:00:00+09:00", id: "a" },
    ];
    expect(
      overlapping(bookings, "2026-12-08T09:30:00+09:00", "2026-12-08T13:30:00+09:00").map(
        (b) => b.id,
      ),
    ).toEqual(["a", "b"]);
    // An end is exclusive: a booking to 10:00 leaves 10:00 free.
    expect(overlapping(bookings, "2026-12-08T10:00:00+09:00", "2026-12-08T13:00:00+09:00")).toEqual(
      [],
    );
    expect(overlapping(bookings, "2026-12-08T14:00:00+09:00", "2026-12-08T09:00:00+09:00")).toEqual(
      [],
    );
    expect(onDate(bookings, "2026-12-08")).toHaveLength(2);
    expect(onDate(bookings, "2026-12-09")).toHaveLength(0);
  });
});
