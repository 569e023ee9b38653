import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// The SPA is served by `yui serve`: index.html at / and every client-side route, the hashed
// files under /static/app/ (long-cached). dist/vendor (GraphiQL) is built by build.mjs and
// must survive, so the SPA gets its own folder.
export default defineConfig({
  base: "/static/app/",
  plugins: [react()],
  build: {
    outDir: "dist/spa",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    // Yui serves everything itself; no inline data: URLs for assets (CSP stays 'self').
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.{ts,tsx}"],
    environment: "node",
  },
});
