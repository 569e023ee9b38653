// Forward-only cursor paging (the connection's endCursor) with a way back: the cursors of
// the pages already seen are kept, so "previous" asks for the page after the one before it.

export interface Pages {
  /** `after` of every page visited so far; the last is the page shown (null: the first). */
  cursors: readonly (string | null)[];
}

export const FIRST_PAGE: Pages = { cursors: [null] };

export function currentCursor(pages: Pages): string | null {
  return pages.cursors[pages.cursors.length - 1] ?? null;
}

export function pageNumber(pages: Pages): number {
  return pages.cursors.length;
}

export function nextPage(pages: Pages, endCursor: string | null | undefined): Pages {
  if (!endCursor) return pages;
  return { cursors: [...pages.cursors, endCursor] };
}

export function previousPage(pages: Pages): Pages {
  return pages.cursors.length > 1 ? { cursors: pages.cursors.slice(0, -1) } : pages;
}

export function hasPrevious(pages: Pages): boolean {
  return pages.cursors.length > 1;
}

/** 1-based positions of the rows shown, for "51–100 of 230". */
export function range(pages: Pages, pageSize: number, shown: number): { from: number; to: number } {
  const from = (pages.cursors.length - 1) * pageSize + (shown > 0 ? 1 : 0);
  return { from, to: (pages.cursors.length - 1) * pageSize + shown };
}
