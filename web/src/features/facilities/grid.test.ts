import { describe, expect, it } from "vitest";
import { at, beginsIn, hourStart, hours, inHour } from "./grid";

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
