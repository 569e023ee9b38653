import type { CombinedError } from "urql";

/**
 * The code to show a message for: the first GraphQL error's extensions.code, "network" when
 * the server could not be reached, "unknown" otherwise. Typed business failures (a payload's
 * `errors { code }`) are data and are read from the result instead (DESIGN rule 5).
 */
export function errorCode(error: CombinedError): string {
  for (const graphQLError of error.graphQLErrors) {
    const code = graphQLError.extensions?.code;
    if (typeof code === "string" && code) return code;
  }
  return error.networkError ? "network" : "unknown";
}
