// Registers the service worker that keeps the app shell (see web/public/sw.js; the server
// serves it at /sw.js). Only in a built portal: Vite's dev server has no /sw.js, and a
// worker left over from a build would serve stale files to a developer.
export function registerServiceWorker(
  container: ServiceWorkerContainer | undefined = globalThis.navigator?.serviceWorker,
): void {
  if (!container || !import.meta.env.PROD) return;
  const register = () => {
    container.register("/sw.js", { scope: "/" }).catch(() => {
      // No worker (a private window, a policy): the portal works, only not offline.
    });
  };
  if (document.readyState === "complete") register();
  else window.addEventListener("load", register, { once: true });
}
