import { GraphQLError } from "graphql";
import { CombinedError } from "urql";
import { describe, expect, it } from "vitest";
import { errorCode } from "./errors";

describe("errorCode", () => {
  it("takes the first extensions.code", () => {
    const error = new CombinedError({
      graphQLErrors: [
        new GraphQLError("no code"),
        new GraphQLError("denied", { extensions: { code: "FORBIDDEN" } }),
      ],
    });
    expect(errorCode(error)).toBe("FORBIDDEN");
  });

  it("says network when the server was not reached, unknown otherwise", () => {
    expect(errorCode(new CombinedError({ networkError: new TypeError("Failed to fetch") }))).toBe(
      "network",
    );
    expect(errorCode(new CombinedError({ graphQLErrors: [new GraphQLError("odd")] }))).toBe(
      "unknown",
    );
  });
});
