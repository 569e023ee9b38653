/** The IDs with the one at `index` moved by `delta` places (kept inside the list). */
export function moveId(ids: readonly string[], index: number, delta: number): string[] {
  const next = [...ids];
  const target = Math.min(Math.max(index + delta, 0), ids.length - 1);
  if (index < 0 || index >= ids.length || target === index) return next;
  const [moved] = next.splice(index, 1);
  if (moved !== undefined) next.splice(target, 0, moved);
  return next;
}

/** The administrator's order: by sortOrder, then title (as the server lists them). */
export function byOrder<T extends { sortOrder: number; title?: string; name?: string }>(
  items: readonly T[],
): T[] {
  return [...items].sort(
    (a, b) =>
      a.sortOrder - b.sortOrder || (a.title ?? a.name ?? "").localeCompare(b.title ?? b.name ?? ""),
  );
}
