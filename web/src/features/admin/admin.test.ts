import { describe, expect, it } from "vitest";
import { listedPeriod, parseMonthDay } from "./closedDays";
import { emptyFacilityForm, facilityToForm, formToInput, parseCount } from "./facilityForm";
import { byOrder, moveId } from "./order";

describe("moveId", () => {
  it("moves one place up or down and stays inside the list", () => {
    expect(moveId(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(moveId(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveId(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
    expect(moveId(["a", "b", "c"], 2, 1)).toEqual(["a", "b", "c"]);
    expect(moveId(["a", "b", "c"], 5, -1)).toEqual(["a", "b", "c"]);
  });
});

describe("byOrder", () => {
  it("sorts by sortOrder, then title", () => {
    const sorted = byOrder([
      { sortOrder: 2, title: "c" },
      { sortOrder: 0, title: "b" },
      { sortOrder: 0, title: "a" },
    ]);
    expect(sorted.map((x) => x.title)).toEqual(["a", "b", "c"]);
  });
});

describe("closed days", () => {
  it("lists this year and the next", () => {
    expect(listedPeriod("2026-12-03")).toEqual({
      start: "2026-01-01",
      end: "2028-01-01",
      last: "2027-12-31",
    });
  });

  it("takes a month and day that make a date", () => {
    expect(parseMonthDay("12", "29")).toEqual({ month: 12, day: 29 });
    expect(parseMonthDay(" 2", "29")).toEqual({ month: 2, day: 29 });
    expect(parseMonthDay("2", "30")).toBeNull();
    expect(parseMonthDay("13", "1")).toBeNull();
    expect(parseMonthDay("4", "31")).toBeNull();
    expect(parseMonthDay("x", "1")).toBeNull();
    expect(parseMonthDay("1", "")).toBeNull();
  });
});

describe("facility form", () => {
  const room = {
    id: "f1",
    name: "第1会議室",
    capacity: 12,
    notes: "",
    owningDepartmentId: null,
    poolSize: 1,
    sortOrder: 1,
    isActive: true,
    openTime: "08:30:00",
    closeTime: "21:00:00",
    bookableWeekdays: [4, 0, 1],
    maxDaysAhead: 90,
    minMinutes: null,
    maxMinutes: 480,
    allowedDepartmentIds: ["d1"],
    needsApproval: false,
  };

  it("round-trips a facility's rules, keeping what the form does not show", () => {
    const form = facilityToForm("g1", room);
    expect(form.openTime).toBe("08:30");
    expect(form.minMinutes).toBe("");
    expect(form.bookableWeekdays).toEqual([0, 1, 4]);
    const { input } = formToInput(form);
    expect(input).toMatchObject({
      id: "f1",
      groupId: "g1",
      openTime: "08:30:00",
      closeTime: "21:00:00",
      capacity: 12,
      minMinutes: null,
      maxMinutes: 480,
      maxDaysAhead: 90,
      owningDepartmentId: null,
      allowedDepartmentIds: ["d1"],
    });
  });

  it("reads full-width digits and blanks, and names the fields that are not numbers", () => {
    expect(parseCount("\uff11\uff12")).toBe(12);
    expect(parseCount(" ")).toBeNull();
    expect(parseCount("-1")).toBe("invalid");
    expect(parseCount("1.5")).toBe("invalid");
    const form = { ...emptyFacilityForm("g1"), name: "x", capacity: "abc", maxMinutes: "-5" };
    expect(formToInput(form)).toEqual({ input: null, invalid: ["capacity", "maxMinutes"] });
    const blank = formToInput({ ...emptyFacilityForm("g1"), name: " x ", capacity: "" });
    expect(blank.input).toMatchObject({ name: "x", capacity: 0, poolSize: 1, openTime: null });
  });
});
