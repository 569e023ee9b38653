/** Links grouped under their headings, in the administrator's order: a heading appears
 * where its first link is, links without one stay where they are, in a group of their own. */
export interface LinkGroup<T> {
  category: string;
  links: T[];
}

export function groupLinks<T extends { category: string }>(links: readonly T[]): LinkGroup<T>[] {
  const groups: LinkGroup<T>[] = [];
  const byCategory = new Map<string, LinkGroup<T>>();
  for (const link of links) {
    const category = link.category.trim();
    let group = byCategory.get(category);
    if (!group) {
      group = { category, links: [] };
      byCategory.set(category, group);
      groups.push(group);
    }
    group.links.push(link);
  }
  return groups;
}

/** Only http(s) is made an anchor, whatever the server sent (it refuses anything else). */
export function isSafeHref(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:";
  } catch {
    return false;
  }
}
