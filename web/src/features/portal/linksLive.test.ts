import { gql } from "urql";
import { describe, expect, it } from "vitest";
import { createApiClient } from "../../api/client";

const Links = gql`
  query Links {
    links {
      id
      title
      sortOrder
    }
  }
`;
const LinksChanged = gql`
  subscription LinksChanged {
    linksChanged {
      id
      title
      sortOrder
    }
  }
`;
const link = (id: string, title: string, sortOrder: number) => ({
  __typename: "Link",
  id,
  title,
  sortOrder,
});
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the link collection on the portal", () => {
  it("becomes the collection each linksChanged event carries, without a request", async () => {
    const requests: string[] = [];
    let push: ((value: unknown) => void) | undefined;
    const client = createApiClient({
      fetch: (async (_url: RequestInfo | URL, init?: RequestInit) => {
        requests.push(String(init?.body));
        const data = { links: [link("a", "財務会計システム", 0), link("b", "例規集", 1)] };
        return new Response(JSON.stringify({ data }), {
          headers: { "Content-Type": "application/json" },
        });
      }) as typeof fetch,
      forwardSubscription: () => ({
        subscribe(sink) {
          push = (value) => sink.next(value as never);
          return { unsubscribe() {} };
        },
      }),
    });
    await client.query(Links, {}).toPromise();
    const subscription = client.subscription(LinksChanged, {}).subscribe(() => {});
    await tick();
    // One added at the top, one deleted, the rest reordered: the list follows.
    push?.({
      data: {
        linksChanged: [link("c", "庁内様式集", 0), link("b", "例規集", 1)],
      },
    });
    const titles = client
      .readQuery(Links, {})
      ?.data?.links.map((l: { title: string; sortOrder: number }) => [l.title, l.sortOrder]);
    expect(titles).toEqual([
      ["庁内様式集", 0],
      ["例規集", 1],
    ]);
    expect(requests).toHaveLength(1);
    subscription.unsubscribe();
  });
});
