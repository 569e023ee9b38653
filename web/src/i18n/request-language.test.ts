import { afterEach, describe, expect, it } from "vitest";
import { createApiClient } from "../api/client";
import { signIn } from "../features/auth/session";
import { requestLanguage, setRequestLanguage } from "./request-language";

afterEach(() => setRequestLanguage("ja"));

describe("Accept-Language of the page's requests", () => {
  it("is Japanese by default and follows the chosen language, for GraphQL and sign-in", async () => {
    const sent: string[] = [];
    const fetcher = async (_url: RequestInfo | URL, init?: RequestInit) => {
      sent.push(new Headers(init?.headers).get("Accept-Language") ?? "");
      return new Response(JSON.stringify({ data: { __typename: "Query" } }), {
        headers: { "Content-Type": "application/json" },
      });
    };
    const client = createApiClient({
      fetch: fetcher as typeof fetch,
      forwardSubscription: () => ({ subscribe: () => ({ unsubscribe() {} }) }),
    });
    expect(requestLanguage()).toBe("ja");
    await client.query("{ __typename }", {}, { requestPolicy: "network-only" }).toPromise();
    setRequestLanguage("en");
    await client.query("{ __typename }", {}, { requestPolicy: "network-only" }).toPromise();
    await signIn({ tenant: "402125", loginId: "0003", password: "x" }, fetcher as typeof fetch);
    expect(sent).toEqual(["ja", "en", "en"]);
  });
});
