import { gql } from "urql";
import { describe, expect, it } from "vitest";
import {
  createApiClient,
  fetchIncremental,
  INCREMENTAL_ACCEPT,
  type IncrementalResult,
  MultipartReader,
  multipartBoundary,
} from "./client";
import { errorCode } from "./errors";

const MULTIPART = 'multipart/mixed; boundary="graphql"; deferSpec=20220824';

// A part as the gateway writes it: its delimiter in front, nothing after it.
const part = (payload: unknown) =>
  `\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${JSON.stringify(payload)}`;
const CLOSE = "\r\n--graphql--\r\n";

const first = {
  data: { me: { id: "p1", name: "山口 花子", department: { id: "d1", name: "庶務係" } } },
  hasNext: true,
};
const second = {
  incremental: [
    {
      path: ["me", "department"],
      label: "department",
      data: { members: [{ id: "p2", name: "加藤 和也" }] },
    },
    {
      path: [],
      label: "notices",
      data: { notices: [{ id: "n1", title: "年末年始の閉庁について" }] },
    },
  ],
  hasNext: false,
};

/** A fetch whose answer's body arrives in the given pieces of bytes. */
function answering(pieces: Uint8Array[], contentType = MULTIPART, status = 200) {
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const fetcher = async (url: RequestInfo | URL, init?: RequestInit) => {
    requests.push({ url: String(url), init });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const piece of pieces) controller.enqueue(piece);
        controller.close();
      },
    });
    return new Response(body, { status, headers: { "Content-Type": contentType } });
  };
  return { fetcher: fetcher as typeof fetch, requests };
}

/** The bytes of `text` cut every `size` bytes (through boundaries and characters alike). */
function cut(text: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.slice(at, at + size));
  return pieces;
}

async function collect(fetcher: typeof fetch, query = "query Portal { me { id } }") {
  const results: IncrementalResult[] = [];
  const last = await fetchIncremental({ query }, (result) => results.push(result), {
    fetch: fetcher,
  });
  return { results, last };
}

describe("fetchIncremental", () => {
  it("asks for multipart/mixed with the session's headers and reports each part merged", async () => {
    const { fetcher, requests } = answering(cut(part(first) + part(second) + CLOSE, 4096));
    const { results, last } = await collect(fetcher);

    const headers = requests[0]?.init?.headers as Record<string, string>;
    expect(requests[0]?.url).toBe("/graphql");
    expect(requests[0]?.init?.method).toBe("POST");
    expect(headers.Accept).toBe(INCREMENTAL_ACCEPT);
    expect(headers).toHaveProperty("X-CSRFToken");
    expect(headers).toHaveProperty("Accept-Language");

    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ data: first.data, hasNext: true, error: undefined });
    expect(results[1]?.hasNext).toBe(false);
    expect(last).toBe(results[1]);
    expect(last.data).toEqual({
      me: {
        id: "p1",
        name: "山口 花子",
        department: { id: "d1", name: "庶務係", members: [{ id: "p2", name: "加藤 和也" }] },
      },
      notices: [{ id: "n1", title: "年末年始の閉庁について" }],
    });
    // The first result is not changed by what came after it.
    expect(results[0]?.data).toEqual(first.data);
  });

  it("reads the same answer whatever pieces it arrives in, inside the boundary or a character", async () => {
    const body = part(first) + part(second) + CLOSE;
    const whole = await collect(answering(cut(body, body.length * 3)).fetcher);
    // "山" is three bytes in UTF-8 and "--graphql" nine: every size from 1 byte up cuts
    // through both somewhere.
    for (const size of [1, 2, 3, 5, 7, 11, 64]) {
      const { results } = await collect(answering(cut(body, size)).fetcher);
      expect(results.map((r) => r.data)).toEqual(whole.results.map((r) => r.data));
      expect(results.at(-1)?.hasNext).toBe(false);
    }
    expect(JSON.stringify(whole.last.data)).toContain("山口 花子");
  });

  it("shows the first part before the rest has been sent", async () => {
    let sendRest: (() => void) | undefined;
    const encoder = new TextEncoder();
    const fetcher = (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(encoder.encode(part(first)));
            sendRest = () => {
              controller.enqueue(encoder.encode(part(second) + CLOSE));
              controller.close();
            };
          },
        }),
        { headers: { "Content-Type": MULTIPART } },
      )) as typeof fetch;
    const results: IncrementalResult[] = [];
    let reportFirst: () => void = () => {};
    const firstSeen = new Promise<void>((resolve) => {
      reportFirst = resolve;
    });
    const done = fetchIncremental(
      { query: "{ me { id } }" },
      (result) => {
        results.push(result);
        reportFirst();
      },
      { fetch: fetcher },
    );
    await firstSeen;
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ data: first.data, hasNext: true });
    sendRest?.();
    await done;
    expect(results).toHaveLength(2);
  });

  it("merges items at nested paths through lists, by index", async () => {
    const start = {
      data: {
        me: {
          groups: [
            { id: "g1", members: [{ id: "a" }, { id: "b" }] },
            { id: "g2", members: [{ id: "c" }] },
          ],
        },
      },
      hasNext: true,
    };
    const rest = {
      incremental: [
        { path: ["me", "groups", 0, "members", 1], data: { name: "佐藤 一郎" } },
        { path: ["me", "groups", 1], data: { name: "防災班", members: [{ name: "鈴木 美咲" }] } },
      ],
      hasNext: false,
    };
    const { last } = await collect(answering(cut(part(start) + part(rest) + CLOSE, 17)).fetcher);
    expect(last.data).toEqual({
      me: {
        groups: [
          { id: "g1", members: [{ id: "a" }, { id: "b", name: "佐藤 一郎" }] },
          { id: "g2", name: "防災班", members: [{ id: "c", name: "鈴木 美咲" }] },
        ],
      },
    });
  });

  it("accumulates the errors of the first part and of deferred items, as CombinedError", async () => {
    const start = {
      data: { me: { id: "p1" } },
      errors: [{ message: "late", path: ["me", "title"], extensions: { code: "FORBIDDEN" } }],
      hasNext: true,
    };
    const rest = {
      incremental: [
        {
          path: [],
          label: "notices",
          data: null,
          errors: [{ message: "down", extensions: { code: "DOWNSTREAM_SERVICE_ERROR" } }],
        },
        { path: ["me"], label: "week", data: { week: [] } },
      ],
      hasNext: false,
    };
    const { results, last } = await collect(answering(cut(part(start) + part(rest), 9)).fetcher);
    expect(results[0]?.errors).toHaveLength(1);
    expect(last.errors.map((e) => e.extensions?.code)).toEqual([
      "FORBIDDEN",
      "DOWNSTREAM_SERVICE_ERROR",
    ]);
    // An item with data: null adds nothing but its errors; the others still merge.
    expect(last.data).toEqual({ me: { id: "p1", week: [] } });
    expect(last.error?.graphQLErrors).toHaveLength(2);
    expect(last.error && errorCode(last.error)).toBe("FORBIDDEN");
    expect(last.networkError).toBeUndefined();
  });

  it("takes a plain JSON answer as the one and final result", async () => {
    const answer = { data: { me: { id: "p1", name: "山口 花子" } } };
    const { fetcher } = answering(cut(JSON.stringify(answer), 5), "application/json");
    const { results, last } = await collect(fetcher);
    expect(results).toHaveLength(1);
    expect(last).toMatchObject({ data: answer.data, hasNext: false, error: undefined });
  });

  it("reads a refusal's JSON errors with their code", async () => {
    const refusal = { errors: [{ message: "no", extensions: { code: "UNAUTHENTICATED" } }] };
    const { fetcher } = answering(cut(JSON.stringify(refusal), 64), "application/json", 401);
    const { last } = await collect(fetcher);
    expect(last.data).toBeUndefined();
    expect(last.error && errorCode(last.error)).toBe("UNAUTHENTICATED");
  });

  it("reports a stream that ends before its last part, keeping what arrived", async () => {
    const { results, last } = await collect(answering(cut(part(first), 10)).fetcher);
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ data: first.data, hasNext: true });
    expect(last).toMatchObject({ data: first.data, hasNext: false });
    expect(last.networkError?.message).toMatch(/ended before its last part/);
    expect(last.error && errorCode(last.error)).toBe("network");
  });

  it("reports a part cut off in the middle of its JSON as a broken answer", async () => {
    const body = part(first) + part(second).slice(0, 60);
    const { last } = await collect(answering(cut(body, 8)).fetcher);
    expect(last.data).toEqual(first.data);
    expect(last.networkError).toBeInstanceOf(Error);
  });

  it("reports a server that cannot be reached", async () => {
    const fetcher = (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof fetch;
    const { results, last } = await collect(fetcher);
    expect(results).toHaveLength(1);
    expect(last.data).toBeUndefined();
    expect(last.error && errorCode(last.error)).toBe("network");
  });
});

describe("MultipartReader", () => {
  it("skips a preamble, reads parts without headers and stops at the closing delimiter", () => {
    const reader = new MultipartReader("-");
    const parts = [
      ...reader.push('ignored\r\n---\r\n\r\n{"a":1}\r\n---\r\ncontent-type: application/json'),
      ...reader.push('\r\n\r\n{"b":"二"}\r\n-----\r\n\r\n---\r\n\r\n{"c":3}'),
    ];
    expect(parts).toEqual([{ a: 1 }, { b: "二" }]);
    expect(reader.closed).toBe(true);
  });

  it("finds a first delimiter at the very start of the body", () => {
    const reader = new MultipartReader("graphql");
    expect(reader.push('--graphql\r\n\r\n{"data":{}}\r\n--graphql--')).toEqual([{ data: {} }]);
  });
});

describe("multipartBoundary", () => {
  it("reads the boundary, quoted or not, and tells other types apart", () => {
    expect(multipartBoundary(MULTIPART)).toBe("graphql");
    expect(multipartBoundary("multipart/mixed; boundary=abc; deferSpec=20220824")).toBe("abc");
    expect(multipartBoundary("multipart/mixed")).toBe("-");
    expect(multipartBoundary("application/json; charset=utf-8")).toBeNull();
  });
});

describe("a query that defers fragments, through the client", () => {
  const Page = gql`
    query Page {
      me {
        id
        name
        ... @defer(label: "late") {
          title
        }
      }
    }
  `;

  it("goes out as multipart and reaches the cache part by part; others stay plain", async () => {
    const answers = [
      part({ data: { me: { __typename: "Person", id: "p1", name: "山口 花子" } }, hasNext: true }) +
        part({
          incremental: [{ path: ["me"], data: { title: "係長" } }],
          hasNext: false,
        }) +
        CLOSE,
    ];
    const accepts: string[] = [];
    const fetcher = (async (_url: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      accepts.push(headers.get("Accept") ?? "");
      if (accepts.length > 1) {
        return new Response(JSON.stringify({ data: { pendingReservationCount: 1 } }), {
          headers: { "Content-Type": "application/json" },
        });
      }
      return answering(cut(answers[0] ?? "", 7)).fetcher(_url, init);
    }) as typeof fetch;
    const client = createApiClient({
      fetch: fetcher,
      forwardSubscription: () => ({ subscribe: () => ({ unsubscribe() {} }) }),
    });

    const seen: { title?: string; hasNext: boolean | undefined }[] = [];
    const result = await new Promise<unknown>((resolve) => {
      const { unsubscribe } = client.query(Page, {}).subscribe((r) => {
        seen.push({ title: r.data?.me?.title, hasNext: r.hasNext });
        if (!r.hasNext) {
          resolve(r.data);
          setTimeout(() => unsubscribe(), 0);
        }
      });
    });
    expect(accepts[0]).toBe(INCREMENTAL_ACCEPT);
    expect(seen[0]).toEqual({ title: undefined, hasNext: true });
    expect(seen.at(-1)).toEqual({ title: "係長", hasNext: false });
    expect(result).toMatchObject({ me: { id: "p1", name: "山口 花子", title: "係長" } });

    await client.query(gql("query Count { pendingReservationCount }"), {}).toPromise();
    expect(accepts[1]).not.toContain("deferSpec");
  });
});
