// The organisation tree from the flat, pre-ordered list `organizations` answers (each with
// its parent's ID): one request gives the whole tree, expanded and collapsed in the browser.

export interface FlatOrganization {
  id: string;
  name: string;
  parent?: { id: string } | null;
}

export interface TreeNode<T extends FlatOrganization> {
  organization: T;
  children: TreeNode<T>[];
}

/** Roots in list order, each with its children in list order. A department whose parent is
 * not in the list (inactive, or outside what was asked) becomes a root instead of vanishing. */
export function buildTree<T extends FlatOrganization>(organizations: readonly T[]): TreeNode<T>[] {
  const nodes = new Map<string, TreeNode<T>>();
  for (const organization of organizations) {
    nodes.set(organization.id, { organization, children: [] });
  }
  const roots: TreeNode<T>[] = [];
  for (const organization of organizations) {
    const node = nodes.get(organization.id) as TreeNode<T>;
    const parent = organization.parent ? nodes.get(organization.parent.id) : undefined;
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** The IDs from the root down to `id` (itself included), to open the branches above it. */
export function pathTo(organizations: readonly FlatOrganization[], id: string): string[] {
  const byId = new Map(organizations.map((o) => [o.id, o]));
  const path: string[] = [];
  const seen = new Set<string>();
  let current = byId.get(id);
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    path.unshift(current.id);
    current = current.parent ? byId.get(current.parent.id) : undefined;
  }
  return path;
}
