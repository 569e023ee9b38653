// Apollo Gateway for benchmarks/gateway: ApolloServer + ApolloGateway over a supergraph file.
// Usage: node apollo.mjs --supergraph ../supergraph.graphql --port 4000 [--host 127.0.0.1]
// Standalone HTTP server; no landing page, cache control, usage reporting or inline traces.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginUsageReportingDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginSchemaReportingDisabled } from "@apollo/server/plugin/disabled";

const { values } = parseArgs({
  options: {
    supergraph: { type: "string" },
    port: { type: "string", default: "4000" },
    host: { type: "string", default: "127.0.0.1" },
  },
});
if (!values.supergraph) {
  console.error("usage: node apollo.mjs --supergraph FILE --port N");
  process.exit(2);
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(values.supergraph, "utf8"),
  logger: { debug() {}, info() {}, warn: console.warn, error: console.error },
});
const server = new ApolloServer({
  gateway,
  csrfPrevention: false,
  introspection: false,
  includeStacktraceInErrorResponses: false,
  plugins: [
    ApolloServerPluginCacheControlDisabled(),
    ApolloServerPluginInlineTraceDisabled(),
    ApolloServerPluginLandingPageDisabled(),
    ApolloServerPluginUsageReportingDisabled(),
    ApolloServerPluginSchemaReportingDisabled(),
  ],
});
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(values.port), host: values.host },
});
console.log(`apollo gateway on ${url}`);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
