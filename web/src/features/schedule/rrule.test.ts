import { describe, expect, it } from "vitest";
import { buildRrule, parseRrule, weekdayCode } from "./rrule";

describe("the RRULE builder", () => {
  it("gives none for a single event and FREQ for the simple ones", () => {
    expect(buildRrule({ repeat: "NONE" }, "2026-12-03")).toBeNull();
    expect(buildRrule({ repeat: "DAILY" }, "2026-12-03")).toBe("FREQ=DAILY");
    expect(buildRrule({ repeat: "MONTHLY" }, "2026-12-03")).toBe("FREQ=MONTHLY");
  });

  it("writes weekly weekdays in calendar order, the start's weekday when none is chosen", () => {
    expect(buildRrule({ repeat: "WEEKLY", weekdays: ["FR", "MO", "WE"] }, "2026-12-03")).toBe(
      "FREQ=WEEKLY;BYDAY=MO,WE,FR",
    );
    expect(buildRrule({ repeat: "WEEKLY", weekdays: [] }, "2026-12-03")).toBe(
      "FREQ=WEEKLY;BYDAY=TH",
    );
  });

  it("ends on the last day included, in Japan time (UNTIL without Z)", () => {
    expect(
      buildRrule({ repeat: "WEEKLY", weekdays: ["TH"], until: "2027-03-31" }, "2026-12-03"),
    ).toBe("FREQ=WEEKLY;BYDAY=TH;UNTIL=20270331T235959");
  });

  it("reads back what the form can show, and refuses what it cannot", () => {
    expect(parseRrule(null)).toEqual({ repeat: "NONE" });
    expect(parseRrule("FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270331T145959Z")).toEqual({
      repeat: "WEEKLY",
      weekdays: ["MO", "TH"],
      until: "2027-03-31",
    });
    expect(parseRrule("FREQ=DAILY")).toEqual({ repeat: "DAILY", until: null });
    expect(parseRrule("FREQ=MONTHLY;BYDAY=2TU;COUNT=12")).toBeNull();
    expect(parseRrule("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO")).toBeNull();
  });

  it("knows the weekday of a date", () => {
    expect(weekdayCode("2026-12-03")).toBe("TH");
    expect(weekdayCode("2027-01-03")).toBe("SU");
  });
});
