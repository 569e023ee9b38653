// Copies the browser builds Yui serves from node_modules into dist/vendor, so the server
// never reaches outside the deployment for an asset (DESIGN rule 7).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist", "vendor");
mkdirSync(out, { recursive: true });

const assets = {
  "graphiql.min.js": "graphiql/graphiql.min.js",
  "graphiql.min.css": "graphiql/graphiql.min.css",
  "react.production.min.js": "react/umd/react.production.min.js",
  "react-dom.production.min.js": "react-dom/umd/react-dom.production.min.js",
  // GraphiQL's subscriptions over graphql-transport-ws (the same library the SPA uses).
  "graphql-ws.min.js": "graphql-ws/umd/graphql-ws.min.js",
};
for (const [name, source] of Object.entries(assets)) {
  copyFileSync(join(here, "node_modules", source), join(out, name));
}
console.log(`web: ${Object.keys(assets).length} assets in ${out}`);
