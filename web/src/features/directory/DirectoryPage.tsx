import { type FormEvent, useEffect, useId, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { onReconnect } from "../../api/client";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { todayAndWeek } from "../../ui/dates";
import { OrgTree } from "./OrgTree";
import { PeopleResults } from "./PeopleResults";
import { PersonCard } from "./PersonCard";
import { PresenceBoard } from "./PresenceBoard";
import { currentCursor, FIRST_PAGE, nextPage, type Pages, previousPage } from "./paging";
import { pathTo } from "./tree";

export const PAGE_SIZE = 20;

// Everything the screen shows in one request: the tree, the search page, the chosen
// department's board (my own until I choose one), the open card and its free/busy today.
const DirectoryQuery = graphql(`
  query DirectoryPage(
    $search: String
    $searching: Boolean!
    $first: Int!
    $after: String
    $departmentId: ID!
    $withDepartment: Boolean!
    $personId: ID!
    $personIds: [ID!]!
    $withPerson: Boolean!
    $dayStart: DateTime!
    $dayEnd: DateTime!
  ) {
    me {
      id
      roles
    }
    organizations {
      id
      name
      parent {
        id
      }
      ...OrgTree_organization
    }
    me @skip(if: $withDepartment) {
      id
      department {
        id
        ...PresenceBoard_organization
      }
    }
    department: organization(id: $departmentId) @include(if: $withDepartment) {
      id
      ...PresenceBoard_organization
    }
    people(search: $search, first: $first, after: $after) @include(if: $searching) {
      ...PeopleResults_connection
    }
    person(id: $personId) @include(if: $withPerson) {
      id
      ...PersonCard_person
    }
    freeBusy(personIds: $personIds, start: $dayStart, end: $dayEnd) @include(if: $withPerson) {
      ...PersonCard_freeBusy
    }
  }
`);

const DirectoryPresenceChanged = graphql(`
  subscription DirectoryPresenceChanged {
    presenceChanged {
      status
      label
      message
      backAt
      updatedAt
      version
      person {
        id
      }
    }
  }
`);

export function DirectoryPage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const searchId = useId();
  const [when] = useState(() => todayAndWeek(new Date()));
  // What the person chose on this screen (not server data).
  const [draft, setDraft] = useState("");
  const [search, setSearch] = useState("");
  const [pages, setPages] = useState<Pages>(FIRST_PAGE);
  const [departmentId, setDepartmentId] = useState<string | null>(null);
  const [personId, setPersonId] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<Set<string> | null>(null);

  const [result, reexecute] = useQuery({
    query: DirectoryQuery,
    variables: {
      search: search || null,
      searching: search !== "",
      first: PAGE_SIZE,
      after: currentCursor(pages),
      departmentId: departmentId ?? "",
      withDepartment: departmentId !== null,
      personId: personId ?? "",
      personIds: personId ? [personId] : [],
      withPerson: personId !== null,
      dayStart: when.day.start,
      dayEnd: when.day.end,
    },
  });
  const data = result.data;
  useSubscription({ query: DirectoryPresenceChanged, pause: !data });
  useEffect(() => onReconnect(() => reexecute({ requestPolicy: "network-only" })), [reexecute]);

  const signedOut = data !== undefined && departmentId === null && !data.me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);

  const organizations = data?.organizations ?? [];
  const board = data?.department ?? data?.me?.department ?? null;
  // Until someone opens or closes a branch, the tree is open down to the board's department.
  const open = expanded ?? new Set(board ? pathTo(organizations, board.id) : []);

  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    setSearch(draft.trim());
    setPages(FIRST_PAGE);
  };

  if (result.error && !data) {
    return (
      <div className="card">
        <p className="error" role="alert">
          {errorText(errorCode(result.error))}
        </p>
        <button type="button" onClick={() => reexecute({ requestPolicy: "network-only" })}>
          {t("app.retry")}
        </button>
      </div>
    );
  }
  return (
    <>
      <header className="page-header">
        <h1>{t("directory.title")}</h1>
      </header>
      <div className="directory">
        {data ? (
          <OrgTree
            organizations={organizations}
            expanded={open}
            selected={board?.id ?? null}
            onToggle={(id) => {
              const next = new Set(open);
              if (next.has(id)) next.delete(id);
              else next.add(id);
              setExpanded(next);
            }}
            onSelect={(id) => {
              setExpanded(open);
              setDepartmentId(id);
            }}
          />
        ) : null}
        <div className="directory-main" aria-busy={result.fetching}>
          <form className="card people-search" onSubmit={onSearch}>
            <label htmlFor={searchId}>{t("directory.search")}</label>
            <div className="search-row">
              <input
                id={searchId}
                type="search"
                value={draft}
                maxLength={100}
                placeholder={t("directory.searchHint")}
                onChange={(event) => setDraft(event.target.value)}
              />
              <button type="submit">{t("directory.searchSubmit")}</button>
            </div>
          </form>
          {!data ? <p aria-busy="true">{t("app.loading")}</p> : null}
          {data?.person ? (
            <PersonCard
              key={data.person.id}
              person={data.person}
              freeBusy={data.freeBusy?.[0]}
              today={when.today}
              isMe={data.person.id === data.me?.id}
              onClose={() => setPersonId(null)}
            />
          ) : null}
          {data?.people ? (
            <PeopleResults
              people={data.people}
              pages={pages}
              pageSize={PAGE_SIZE}
              onPerson={setPersonId}
              onNext={(cursor) => setPages(nextPage(pages, cursor))}
              onPrevious={() => setPages(previousPage(pages))}
            />
          ) : null}
          {board ? <PresenceBoard department={board} onPerson={setPersonId} /> : null}
        </div>
      </div>
    </>
  );
}
