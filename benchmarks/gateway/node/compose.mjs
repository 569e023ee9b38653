// Compose subgraph SDLs into a Federation 2 supergraph with @apollo/composition.
// Reads JSON [{"name", "url", "sdl"}, ...] on stdin, writes the supergraph SDL on stdout.
// Run by `python -m benchmarks.gateway --compose`.
import { readFileSync } from "node:fs";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

const services = JSON.parse(readFileSync(0, "utf8")).map((s) => ({
  name: s.name,
  url: s.url,
  typeDefs: parse(s.sdl),
}));
const result = composeServices(services);
if (result.errors && result.errors.length) {
  for (const error of result.errors) console.error(`composition error: ${error.message}`);
  process.exit(1);
}
for (const hint of result.hints ?? []) console.error(`hint: ${hint.toString()}`);
process.stdout.write(result.supergraphSdl);
