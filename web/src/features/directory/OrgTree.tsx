import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { buildTree, type TreeNode } from "./tree";

export const OrgTreeFragment = graphql(`
  fragment OrgTree_organization on Organization {
    id
    name
    parent {
      id
    }
  }
`);

type Org = { id: string; name: string; parent?: { id: string } | null };

/**
 * The organisation as a native nested list of buttons: one to open or close a branch
 * (aria-expanded), one to choose the department. Tab and Enter/Space are all it takes;
 * a closed branch's departments are not rendered, so they are not in the tab order either.
 */
export function OrgTree({
  organizations,
  expanded,
  selected,
  onToggle,
  onSelect,
}: {
  organizations: readonly FragmentType<typeof OrgTreeFragment>[];
  expanded: ReadonlySet<string>;
  selected: string | null;
  onToggle: (id: string) => void;
  onSelect: (id: string) => void;
}) {
  const { t } = useI18n();
  const list = organizations.map((o) => readFragment(OrgTreeFragment, o)) as Org[];
  const roots = buildTree(list);
  const branch = (nodes: TreeNode<Org>[]) => (
    <ul>
      {nodes.map(({ organization, children }) => {
        const open = expanded.has(organization.id);
        return (
          <li key={organization.id}>
            <span className="org-row">
              {children.length > 0 ? (
                <button
                  type="button"
                  className="org-toggle"
                  aria-expanded={open}
                  aria-label={t(open ? "directory.collapse" : "directory.expand", {
                    name: organization.name,
                  })}
                  onClick={() => onToggle(organization.id)}
                >
                  <span aria-hidden="true">{open ? "▾" : "▸"}</span>
                </button>
              ) : (
                <span className="org-toggle-space" aria-hidden="true" />
              )}
              <button
                type="button"
                className="org-name"
                aria-current={selected === organization.id ? "true" : undefined}
                onClick={() => onSelect(organization.id)}
              >
                {organization.name}
              </button>
            </span>
            {open && children.length > 0 ? branch(children) : null}
          </li>
        );
      })}
    </ul>
  );
  return (
    <nav className="card org-tree" aria-labelledby="org-tree-title">
      <h2 id="org-tree-title">{t("directory.organization")}</h2>
      {roots.length === 0 ? <p>{t("directory.noOrganizations")}</p> : branch(roots)}
    </nav>
  );
}
