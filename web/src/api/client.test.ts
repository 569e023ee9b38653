import { gql } from "urql";
import { describe, expect, it } from "vitest";
import { createApiClient } from "./client";
import { csrfToken } from "./csrf";

// The shape the server answers with (graphcache asks for __typename everywhere).
const presence = (status: string, version: number, message = "") => ({
  __typename: "Presence",
  status,
  label: status,
  message,
  backAt: null,
  updatedAt: "2026-12-03T01:00:00+00:00",
  version,
});

const Board = gql`
  query Board {
    me {
      id
      name
      department {
        id
        members {
          id
          name
          presence {
            status
            message
            version
          }
        }
      }
    }
  }
`;

const PresenceChanged = gql`
  subscription PresenceChanged {
    presenceChanged {
      status
      label
      message
      backAt
      updatedAt
      version
      person {
        id
      }
    }
  }
`;

// urql hands operations to the exchanges on the next tick.
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function harness() {
  const requests: string[] = [];
  let push: ((value: unknown) => void) | undefined;
  const fetcher = async (_url: RequestInfo | URL, init?: RequestInit) => {
    requests.push(String(init?.body));
    const member = (id: string, name: string, p: unknown) => ({
      __typename: "Person",
      id,
      name,
      presence: p,
    });
    const data = {
      me: {
        __typename: "Person",
        id: "p1",
        name: "山口 花子",
        department: {
          __typename: "Organization",
          id: "d1",
          members: [
            member("p1", "山口 花子", presence("IN", 1)),
            member("p2", "加藤 和也", presence("OUT", 4)),
          ],
        },
      },
    };
    return new Response(JSON.stringify({ data }), {
      headers: { "Content-Type": "application/json" },
    });
  };
  const client = createApiClient({
    fetch: fetcher as typeof fetch,
    forwardSubscription: () => ({
      subscribe(sink) {
        push = (value) => sink.next(value as never);
        return { unsubscribe() {} };
      },
    }),
  });
  const statusOf = (id: string) =>
    client
      .readQuery(Board, {})
      ?.data?.me.department.members.find((m: { id: string }) => m.id === id)?.presence;
  const event = (id: string, status: string, version: number, message = "") => {
    if (!push) throw new Error("not subscribed");
    push({
      data: {
        presenceChanged: {
          ...presence(status, version, message),
          person: { __typename: "Person", id },
        },
      },
    });
  };
  return { client, requests, statusOf, event };
}

describe("the normalised cache and presence events", () => {
  it("writes a presence event into every query that shows that person, without a request", async () => {
    const { client, requests, statusOf, event } = harness();
    await client.query(Board, {}).toPromise();
    expect(requests).toHaveLength(1);
    const subscription = client.subscription(PresenceChanged, {}).subscribe(() => {});
    await tick();

    event("p1", "MEETING", 2, "第1会議室");
    expect(statusOf("p1")).toMatchObject({ status: "MEETING", message: "第1会議室", version: 2 });
    expect(statusOf("p2")).toMatchObject({ status: "OUT", version: 4 });
    expect(requests).toHaveLength(1);
    subscription.unsubscribe();
  });

  it("ignores an event older than what the cache holds (events may arrive out of order)", async () => {
    const { client, statusOf, event } = harness();
    await client.query(Board, {}).toPromise();
    const subscription = client.subscription(PresenceChanged, {}).subscribe(() => {});
    await tick();
    event("p2", "AWAY", 3);
    expect(statusOf("p2")).toMatchObject({ status: "OUT", version: 4 });
    event("p2", "IN", 5);
    expect(statusOf("p2")).toMatchObject({ status: "IN", version: 5 });
    subscription.unsubscribe();
  });
});

describe("the approval badge's count", () => {
  it("follows the count each pendingReservationsChanged event carries", async () => {
    let push: ((value: unknown) => void) | undefined;
    const client = createApiClient({
      fetch: (async () =>
        new Response(JSON.stringify({ data: { pendingReservationCount: 2 } }), {
          headers: { "Content-Type": "application/json" },
        })) as typeof fetch,
      forwardSubscription: () => ({
        subscribe(sink) {
          push = (value) => sink.next(value as never);
          return { unsubscribe() {} };
        },
      }),
    });
    const Count = gql`
      query Count {
        pendingReservationCount
      }
    `;
    await client.query(Count, {}).toPromise();
    const subscription = client
      .subscription(
        gql`
          subscription Changes {
            pendingReservationsChanged {
              reservationId
              version
              pendingCount
            }
          }
        `,
        {},
      )
      .subscribe(() => {});
    await tick();
    push?.({
      data: {
        pendingReservationsChanged: {
          __typename: "PendingReservationChange",
          reservationId: "r1",
          version: 1,
          pendingCount: 3,
        },
      },
    });
    expect(client.readQuery(Count, {})?.data).toMatchObject({ pendingReservationCount: 3 });
    subscription.unsubscribe();
  });
});

describe("csrfToken", () => {
  it("reads Django's token from the cookie", () => {
    expect(csrfToken("a=1; yui_csrftoken=abc%3D; b=2")).toBe("abc=");
    expect(csrfToken("a=1")).toBe("");
  });
});
