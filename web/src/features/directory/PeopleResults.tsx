import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { hasPrevious, type Pages, range } from "./paging";

export const PeopleResultsFragment = graphql(`
  fragment PeopleResults_connection on PersonConnection {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        id
        name
        nameKana
        title
        department {
          id
          name
        }
        presence {
          status
        }
      }
    }
  }
`);

/** One page of search results, with how many there are and the way to the next page. */
export function PeopleResults({
  people,
  pages,
  pageSize,
  onPerson,
  onNext,
  onPrevious,
}: {
  people: FragmentType<typeof PeopleResultsFragment>;
  pages: Pages;
  pageSize: number;
  onPerson: (id: string) => void;
  onNext: (endCursor: string | null | undefined) => void;
  onPrevious: () => void;
}) {
  const { t } = useI18n();
  const data = readFragment(PeopleResultsFragment, people);
  const shown = range(pages, pageSize, data.edges.length);
  return (
    <section className="card people-results" aria-labelledby="people-results-title">
      <h2 id="people-results-title">{t("directory.results")}</h2>
      <p role="status" className="result-count">
        {data.totalCount === 0
          ? t("directory.noResults")
          : t("directory.resultCount", { count: data.totalCount, from: shown.from, to: shown.to })}
      </p>
      {data.edges.length > 0 ? (
        <ul className="people-list">
          {data.edges.map(({ cursor, node }) => (
            <li key={cursor}>
              <button type="button" className="person-button" onClick={() => onPerson(node.id)}>
                <span className="person-name">{node.name}</span>
                <span className="person-kana">{node.nameKana}</span>
                <span className="person-where">
                  {node.department?.name ?? ""}
                  {node.title ? ` ${node.title}` : ""}
                </span>
                <span className={`presence presence-${node.presence?.status ?? "unknown"}`}>
                  {node.presence ? t(`presence.${node.presence.status}`) : "—"}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {hasPrevious(pages) || data.pageInfo.hasNextPage ? (
        <nav className="pager" aria-label={t("directory.pages")}>
          <button type="button" disabled={!hasPrevious(pages)} onClick={onPrevious}>
            {t("directory.previous")}
          </button>
          <button
            type="button"
            disabled={!data.pageInfo.hasNextPage}
            onClick={() => onNext(data.pageInfo.endCursor)}
          >
            {t("directory.next")}
          </button>
        </nav>
      ) : null}
    </section>
  );
}
