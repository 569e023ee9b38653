import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { makeFragmentData } from "../../gql";
import { I18nProvider } from "../../i18n/language";
import { DepartmentPresence, DepartmentPresenceFragment } from "./DepartmentPresence";
import { byDay, datesCovered } from "./week";

const department = makeFragmentData(
  {
    id: "d1",
    name: "庶務係",
    members: [
      {
        id: "p1",
        name: "中村 聡太郎",
        title: "課長",
        presence: { status: "MEETING", message: "第1会議室" },
      },
      { id: "p2", name: "山本 花子", title: "", presence: { status: "UNSET", message: "" } },
    ],
  },
  DepartmentPresenceFragment,
);

describe("DepartmentPresence", () => {
  it("lists members in a table with their presence in Japanese", () => {
    const html = renderToStaticMarkup(
      <I18nProvider initial="ja">
        <DepartmentPresence department={department} />
      </I18nProvider>,
    );
    expect(html).toContain("所属の在席状況: 庶務係");
    expect(html).toContain('<th scope="row">中村 聡太郎</th>');
    expect(html).toContain("会議中</span> 第1会議室");
    expect(html).toContain('<th scope="col">在席状況</th>');
    expect(html).toContain("未設定");
  });

  it("speaks English when asked", () => {
    const html = renderToStaticMarkup(
      <I18nProvider initial="en">
        <DepartmentPresence department={department} />
      </I18nProvider>,
    );
    expect(html).toContain("In a meeting");
    expect(html).not.toContain("会議中");
  });
});

describe("the week", () => {
  const days = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"];

  it("puts a meeting on its Japan-time day and an all-day entry on every day it covers", () => {
    const meeting = { start: "2026-12-01T00:30:00Z", end: "2026-12-01T01:30:00Z", allDay: false };
    const late = { start: "2026-11-30T15:30:00Z", end: "2026-11-30T16:00:00Z", allDay: false };
    const trip = {
      start: "2026-11-29T15:00:00Z",
      end: "2026-12-01T15:00:00Z",
      allDay: true,
      startDate: "2026-11-30",
      endDate: "2026-12-02",
    };
    const grouped = byDay(days, [meeting, late, trip]);
    expect(grouped.get("2026-11-30")).toEqual([trip]);
    expect(grouped.get("2026-12-01")).toEqual([meeting, late, trip]);
    expect(grouped.get("2026-12-02")).toEqual([]);
  });

  it("does not put a meeting that ends at midnight on the next day", () => {
    expect(
      datesCovered({ start: "2026-12-01T13:00:00Z", end: "2026-12-01T15:00:00Z", allDay: false }),
    ).toEqual(["2026-12-01"]);
  });
});
