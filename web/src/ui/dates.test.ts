import { describe, expect, it } from "vitest";
import { formatDate, formatShortDate, formatTime, japanDate, todayAndWeek } from "./dates";

describe("dates in Japan time", () => {
  it("writes a date as 2026年12月3日(木)", () => {
    expect(formatDate("2026-12-03")).toBe("2026年12月3日(木)");
    expect(formatDate("2027-01-01")).toBe("2027年1月1日(金)");
  });

  it("takes the Japan-time day of an instant, whatever the computer's zone", () => {
    // 15:30 UTC on 2 December is 00:30 on 3 December in Japan.
    expect(formatDate("2026-12-02T15:30:00Z")).toBe("2026年12月3日(木)");
    expect(japanDate(new Date("2026-12-02T14:59:59Z"))).toBe("2026-12-02");
    expect(formatTime("2026-12-03T01:05:00Z")).toBe("10:05");
    expect(formatShortDate("2026-12-03")).toBe("12/3(木)");
  });

  it("has English too", () => {
    expect(formatDate("2026-12-03", "en")).toBe("Thu, 3 December 2026");
  });

  it("gives today and the Monday-to-Sunday week as API windows with +09:00", () => {
    const { today, days, day, week } = todayAndWeek(new Date("2026-12-03T02:00:00Z"));
    expect(today).toBe("2026-12-03");
    expect(days).toEqual([
      "2026-11-30",
      "2026-12-01",
      "2026-12-02",
      "2026-12-03",
      "2026-12-04",
      "2026-12-05",
      "2026-12-06",
    ]);
    expect(day).toEqual({ start: "2026-12-03T00:00:00+09:00", end: "2026-12-04T00:00:00+09:00" });
    expect(week).toEqual({
      start: "2026-11-30T00:00:00+09:00",
      end: "2026-12-07T00:00:00+09:00",
    });
    // A Sunday belongs to the week that started the Monday before.
    expect(todayAndWeek(new Date("2026-12-06T12:00:00+09:00")).days[0]).toBe("2026-11-30");
  });
});

describe("和暦", () => {
  it("writes the Japanese era next to a date", async () => {
    const { formatWareki } = await import("./dates");
    expect(formatWareki("2026-12-03")).toBe("令和8年12月3日");
    expect(formatWareki("2019-05-01")).toBe("令和元年5月1日");
    expect(formatWareki("2019-04-30")).toBe("平成31年4月30日");
    // The Japan-time day of an instant: 16:00 UTC on 31 December is New Year's Day in Japan.
    expect(formatWareki("2026-12-31T16:00:00Z")).toBe("令和9年1月1日");
  });

  it("converts between Japan-time wall clock and the API's date-times", async () => {
    const { japanDateTime, japanTime } = await import("./dates");
    expect(japanDateTime("2026-12-03", "09:30")).toBe("2026-12-03T09:30:00+09:00");
    expect(japanTime(new Date("2026-12-03T00:30:00Z"))).toBe("09:30");
  });
});
