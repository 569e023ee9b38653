import "./links.css";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { DeferredCard, STILL_COMING, type Waiting } from "./Deferred";
import { groupLinks, isSafeHref } from "./links";

export const LinksPanelFragment = graphql(`
  fragment LinksPanel_link on Link {
    id
    title
    url
    description
    category
    opensInNewTab
  }
`);

/** The municipality's link collection: business systems and regulations, by heading. */
export function LinksPanel({
  links,
  waiting = STILL_COMING,
}: {
  /** Null until the deferred part of the page with the links has arrived. */
  links: readonly FragmentType<typeof LinksPanelFragment>[] | null;
  /** What to show while `links` is null. */
  waiting?: Waiting;
}) {
  const { t } = useI18n();
  const items = (links ?? []).map((link) => readFragment(LinksPanelFragment, link));
  const groups = groupLinks(items);
  const headed = groups.some((group) => group.category !== "");
  return (
    <DeferredCard
      className="card links-panel"
      titleId="links-title"
      title={t("portal.links")}
      value={links}
      waiting={waiting}
    >
      {() =>
        items.length === 0 ? (
          <p className="empty">{t("portal.noLinks")}</p>
        ) : (
          groups.map((group) => (
            <div key={group.category} className="link-group">
              {headed ? <h3>{group.category || t("portal.otherLinks")}</h3> : null}
              <ul className="links">
                {group.links.map((link) => (
                  <li key={link.id}>
                    {isSafeHref(link.url) ? (
                      <a
                        href={link.url}
                        {...(link.opensInNewTab
                          ? { target: "_blank", rel: "noopener noreferrer" }
                          : { rel: "noreferrer" })}
                      >
                        {link.title}
                        {link.opensInNewTab ? (
                          <span className="visually-hidden">{t("portal.newTab")}</span>
                        ) : null}
                      </a>
                    ) : (
                      <span>{link.title}</span>
                    )}
                    {link.description ? (
                      <span className="link-description">{link.description}</span>
                    ) : null}
                  </li>
                ))}
              </ul>
            </div>
          ))
        )
      }
    </DeferredCard>
  );
}
