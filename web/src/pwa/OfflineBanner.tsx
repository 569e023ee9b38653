import { useSyncExternalStore } from "react";
import { useI18n } from "../i18n/language";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("online", onChange);
  window.addEventListener("offline", onChange);
  return () => {
    window.removeEventListener("online", onChange);
    window.removeEventListener("offline", onChange);
  };
}

const isOnline = () => navigator.onLine;
// Server-side rendering does not happen here; assume a network so nothing flashes.
const assumeOnline = () => true;

/** Says plainly that the network is gone, for as long as it is (the page opened from the
 * service worker's shell, or the network went away while it was open). */
export function OfflineBanner() {
  const { t } = useI18n();
  const online = useSyncExternalStore(subscribe, isOnline, assumeOnline);
  // The live region stays in the page (empty while online), so that a screen reader
  // announces the message when it appears.
  return (
    <div className={online ? "offline-banner" : "offline-banner is-offline"} role="status">
      {online ? null : t("app.offline")}
    </div>
  );
}
