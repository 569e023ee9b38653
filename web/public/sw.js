// Yui's service worker: keeps the app shell (index.html and the hashed files it loads) so
// the portal opens at once and, on a closed network, opens at all and says it is offline.
// GraphQL, sign-in and every other server answer go straight to the network, never into a
// cache: they hold one person's data, and a stale answer would be wrong.
//
// The server serves this file at /sw.js (scope /) with `self.YUI_SHELL` set in front of it:
// the build's identity and the URLs of its shell. A new build changes those bytes, so the
// browser installs the new worker, which fetches the new shell and drops the old caches.
/* global self, caches, fetch, URL, Response */
const shell = self.YUI_SHELL || { build: "dev", urls: [] };
const CACHE = `yui-shell-${shell.build}`;
const INDEX = "/";
// On a slow or hanging network a page still opens from the shell after this long.
const NETWORK_WAIT_MS = 3000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([INDEX, ...shell.urls]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("yui-shell-") && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

// A page of the portal (/, /schedule, ...): the server's index.html when it answers in
// time (so a new release shows at once), else the cached one.
function page(request) {
  const cached = () =>
    caches.match(INDEX, { cacheName: CACHE }).then((hit) => hit || Response.error());
  const network = fetch(request).then((response) => {
    if (response.ok && response.type === "basic") {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(INDEX, copy));
    }
    return response;
  });
  const timeout = new Promise((resolve) => {
    setTimeout(() => resolve(null), NETWORK_WAIT_MS);
  });
  return Promise.race([network.catch(() => null), timeout]).then(
    (response) => response || cached(),
  );
}

// The build's files never change under one name: the cache first, the network otherwise.
function asset(request) {
  return caches.match(request, { cacheName: CACHE }).then((hit) => {
    if (hit) return hit;
    return fetch(request).then((response) => {
      if (response.ok && response.type === "basic") {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    });
  });
}

const SERVER_PATHS = /^\/(?:graphql|auth|subgraphs|calendar|files|health|sw\.js)(?:\/|$)/;

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || SERVER_PATHS.test(url.pathname)) return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/app/")) {
    event.respondWith(asset(request));
  }
});
