import { renderToStaticMarkup } from "react-dom/server";
import { type CombinedError, Provider } from "urql";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiClient } from "../../api/client";
import { errorCode } from "../../api/errors";
import { makeFragmentData } from "../../gql";
import { I18nProvider } from "../../i18n/language";
import { todayAndWeek } from "../../ui/dates";
import { DepartmentPresence, DepartmentPresenceFragment } from "./DepartmentPresence";
import { PortalPage, PortalQuery, portalVariables } from "./PortalPage";
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

// --- the page with @defer: its top from the first part, the lower panels from the second ---

// The answer as the gateway sends it (graphcache asks __typename in every selection set).
const firstPart = {
  data: {
    me: {
      __typename: "Person",
      id: "p1",
      name: "山口 花子",
      title: "係長",
      roles: ["STAFF"],
      department: { __typename: "Organization", id: "d1", name: "庶務係" },
      presence: {
        __typename: "Presence",
        status: "IN",
        message: "",
        updatedAt: "2026-12-04T00:00:00+00:00",
        version: 1,
      },
      today: [],
    },
    myReservations: [],
    pendingReservationCount: 0,
  },
  hasNext: true,
};

const secondPart = {
  incremental: [
    {
      path: ["me", "department"],
      label: "department",
      data: {
        __typename: "Organization",
        id: "d1",
        name: "庶務係",
        members: [
          {
            __typename: "Person",
            id: "p2",
            name: "加藤 和也",
            title: "主事",
            presence: { __typename: "Presence", status: "MEETING", message: "第1会議室" },
          },
        ],
      },
    },
    {
      path: ["me"],
      label: "week",
      data: {
        __typename: "Person",
        week: [
          {
            __typename: "Occurrence",
            start: "2026-12-03T01:00:00Z",
            end: "2026-12-03T02:00:00Z",
            allDay: false,
            startDate: null,
            endDate: null,
            title: "課内会議",
            location: "第2会議室",
          },
        ],
      },
    },
    {
      path: ["me"],
      label: "counts",
      data: {
        __typename: "Person",
        id: "p1",
        unreadNoticeCount: 1,
        pendingCirculationCount: 0,
        openSurveyCount: 0,
        unreadMailCount: 0,
        unreadDirectMessageCount: 0,
      },
    },
    { path: [], label: "holidays", data: { __typename: "Query", holidays: [] } },
    {
      path: [],
      label: "notices",
      data: {
        __typename: "Query",
        portalNotices: [
          {
            __typename: "Notice",
            id: "n1",
            title: "年末年始の閉庁について",
            importance: "HIGH",
            pinned: false,
            isRead: false,
          },
        ],
        portalCirculations: [],
        portalSurveys: [],
      },
    },
    {
      path: [],
      label: "links",
      data: {
        links: [
          {
            __typename: "Link",
            id: "l1",
            title: "例規集",
            url: "https://reiki.example.jp/",
            description: "",
            category: "",
            opensInNewTab: true,
          },
        ],
      },
    },
  ],
  hasNext: false,
};

const part = (payload: unknown) =>
  `\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${JSON.stringify(payload)}`;

/** A client whose server answers the portal in parts the test sends when it likes. */
function deferredServer() {
  const encoder = new TextEncoder();
  let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  const accepts: string[] = [];
  const fetcher = async (_url: RequestInfo | URL, init?: RequestInit) => {
    accepts.push(new Headers(init?.headers).get("Accept") ?? "");
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          stream = controller;
        },
      }),
      { headers: { "Content-Type": 'multipart/mixed; boundary="graphql"; deferSpec=20220824' } },
    );
  };
  const client = createApiClient({
    fetch: fetcher as typeof fetch,
    forwardSubscription: () => ({ subscribe: () => ({ unsubscribe() {} }) }),
  });
  const results: { hasNext?: boolean | undefined }[] = [];
  const page = client
    .query(PortalQuery, portalVariables(todayAndWeek(new Date())))
    .subscribe((result) => results.push(result));
  const arrived = async (count: number) => {
    for (let i = 0; i < 100 && results.length < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    expect(results).toHaveLength(count);
  };
  return {
    accepts,
    results,
    async send(text: string) {
      await vi.waitFor(() => expect(stream).toBeDefined());
      stream?.enqueue(encoder.encode(text));
    },
    end() {
      stream?.close();
    },
    arrived,
    stop: () => page.unsubscribe(),
    render: () =>
      renderToStaticMarkup(
        <Provider value={client}>
          <I18nProvider initial="ja">
            <PortalPage onSignedOut={() => {}} />
          </I18nProvider>
        </Provider>,
      ),
  };
}

/** The markup of the section a heading id labels. */
function section(html: string, titleId: string): string {
  const start = html.lastIndexOf("<section", html.indexOf(`aria-labelledby="${titleId}"`));
  return html.slice(start, html.indexOf("</section>", start) + "</section>".length);
}

describe("the portal with @defer", () => {
  beforeEach(() => {
    // Friday 4 December 2026, 09:30 in Japan: the page's variables are the test's.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-04T00:30:00Z"));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows its top from the first part and the lower panels waiting, then filled", async () => {
    const server = deferredServer();
    await server.send(part(firstPart));
    await server.arrived(1);
    expect(server.accepts[0]).toContain("multipart/mixed");
    expect(server.results[0]?.hasNext).toBe(true);

    const early = server.render();
    expect(early).toContain("山口 花子 さん");
    expect(section(early, "today-title")).toContain("予定はありません");
    expect(section(early, "today-title")).not.toContain("aria-busy");
    const department = section(early, "department-title");
    expect(department).toContain('aria-busy="true"');
    expect(department).toContain("読み込み中…");
    expect(department).not.toContain("加藤 和也");
    for (const id of ["panel-notices", "panel-mail", "week-title", "links-title"]) {
      expect(section(early, id)).toContain('aria-busy="true"');
      expect(section(early, id)).toContain("読み込み中…");
    }
    // Headings stay where they are, so keyboard and screen-reader navigation do not jump.
    expect(section(early, "panel-notices")).toContain('<a href="/notices">お知らせ</a>');

    await server.send(`${part(secondPart)}\r\n--graphql--\r\n`);
    await server.arrived(2);
    server.stop();
    const late = server.render();
    expect(late).not.toContain("aria-busy");
    expect(late).not.toContain("読み込み中…");
    expect(section(late, "department-title")).toContain('<th scope="row">加藤 和也</th>');
    expect(section(late, "department-title")).toContain("会議中</span> 第1会議室");
    expect(section(late, "week-title")).toContain("課内会議");
    expect(section(late, "panel-notices")).toContain("年末年始の閉庁について");
    expect(section(late, "links-title")).toContain("例規集");
  });

  it("says why a panel stays empty when the answer breaks off before its part", async () => {
    const server = deferredServer();
    await server.send(part(firstPart));
    await server.arrived(1);
    server.end();
    await server.arrived(2);
    server.stop();
    // The page gets the top it had and the failure: no more parts are coming.
    const last = server.results[1] as { data?: unknown; error?: CombinedError; hasNext?: boolean };
    expect(last.hasNext).toBe(false);
    expect(last.data).toMatchObject({ me: { name: "山口 花子" } });
    expect(last.error && errorCode(last.error)).toBe("network");
    // What a panel then shows (the page passes it the code): the reason, no longer busy.
    const html = renderToStaticMarkup(
      <I18nProvider initial="ja">
        <DepartmentPresence department={null} waiting={{ failed: "network" }} />
      </I18nProvider>,
    );
    expect(html).not.toContain("aria-busy");
    expect(html).not.toContain("読み込み中…");
    expect(html).toContain("サーバーに接続できません");
  });
});
