import { useId, useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";

// The server matches name, reading, login ID and e-mail whatever the kana or width
// (やまだ finds 山田 / ヤマダ / ﾔﾏﾀﾞ), so the picker sends what was typed as it is.
const PeopleSearch = graphql(`
  query PeopleSearch($search: String!) {
    people(search: $search, first: 8) {
      nodes {
        id
        name
        title
        department {
          id
          name
        }
      }
    }
  }
`);

export interface Picked {
  id: string;
  name: string;
}

/** Attendees by person: type part of a name or reading, add from the matches, remove. */
export function PeoplePicker({
  picked,
  onChange,
}: {
  picked: readonly Picked[];
  onChange: (people: Picked[]) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const [search, setSearch] = useState("");
  const words = search.trim();
  const [{ data, fetching }] = useQuery({
    query: PeopleSearch,
    variables: { search: words },
    pause: words.length === 0,
  });
  const chosen = new Set(picked.map((person) => person.id));
  const matches = words
    ? (data?.people.nodes ?? []).filter((person) => !chosen.has(person.id))
    : [];
  return (
    <div className="people-picker">
      {picked.length > 0 ? (
        <ul className="picked" aria-label={t("schedule.pickedPeople")}>
          {picked.map((person) => (
            <li key={person.id}>
              {person.name}
              <button
                type="button"
                className="remove"
                onClick={() => onChange(picked.filter((other) => other.id !== person.id))}
                aria-label={t("schedule.removePerson", { name: person.name })}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <label>
        {t("schedule.searchPeople")}
        <input
          type="search"
          value={search}
          onChange={(change) => setSearch(change.target.value)}
          aria-describedby={`${id}-hint`}
          autoComplete="off"
        />
      </label>
      <p id={`${id}-hint`} className="hint">
        {t("schedule.searchPeopleHint")}
      </p>
      <div aria-live="polite">
        {words && !fetching && matches.length === 0 && data ? (
          <p className="empty">{t("schedule.noPeopleFound")}</p>
        ) : null}
        {matches.length > 0 ? (
          <ul className="matches">
            {matches.map((person) => (
              <li key={person.id}>
                <button
                  type="button"
                  onClick={() => {
                    onChange([...picked, { id: person.id, name: person.name }]);
                    setSearch("");
                  }}
                  aria-label={t("schedule.addPerson", { name: person.name })}
                >
                  {person.name}
                  <small>
                    {person.department?.name ?? ""} {person.title}
                  </small>
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
