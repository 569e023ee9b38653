import { type KeyboardEvent, useCallback, useEffect, useState } from "react";

/**
 * ↓/↑ (and Home/End) move the focus between the items of a list whose items are focusable
 * elements marked `data-list-item` (buttons: Enter and Space open them natively).
 */
export function onArrowListKeyDown(event: KeyboardEvent<HTMLElement>): void {
  const keys = ["ArrowDown", "ArrowUp", "Home", "End"];
  if (!keys.includes(event.key)) return;
  const items = Array.from(event.currentTarget.querySelectorAll<HTMLElement>("[data-list-item]"));
  if (items.length === 0) return;
  const at = items.indexOf(document.activeElement as HTMLElement);
  const last = items.length - 1;
  const next =
    event.key === "Home"
      ? 0
      : event.key === "End"
        ? last
        : event.key === "ArrowDown"
          ? Math.min(at + 1, last)
          : Math.max(at - 1, 0);
  event.preventDefault();
  items[next]?.focus();
}

/** A date and time as a list shows it (Asia/Tokyo). */
export function formatWhen(value: string, language: "ja" | "en"): string {
  const when = new Date(value);
  return new Intl.DateTimeFormat(language === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo",
    month: "numeric",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(when);
}

/** A subscription's reducer that counts its events: a screen re-queries when it grows. */
export const countEvents = (previous: number | undefined): number => (previous ?? 0) + 1;

/**
 * Ask a page's query again from the network after the next render: a change of what the
 * page shows (a message closed, a conversation left) takes effect first, so the fresh
 * answer is for the new variables (re-executing at once would be torn down by the change).
 */
export function useRefresh(reexecute: (options: { requestPolicy: "network-only" }) => void) {
  const [stale, setStale] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per refresh asked for
  useEffect(() => {
    if (stale > 0) reexecute({ requestPolicy: "network-only" });
  }, [stale]);
  return useCallback(() => setStale((n) => n + 1), []);
}
