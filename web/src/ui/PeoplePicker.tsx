import "./PeoplePicker.css";
import { type KeyboardEvent, useId, useState } from "react";
import { useClient, useQuery } from "urql";
import { errorCode } from "../api/errors";
import { graphql } from "../gql";
import { useI18n } from "../i18n/language";

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

// A whole department or group becomes its people as they are now, so the form shows (and
// the user can take out) exactly who is invited.
const DepartmentPeople = graphql(`
  query PickerDepartmentPeople($id: ID!) {
    people(departmentId: $id, first: 500) {
      nodes {
        id
        name
      }
    }
  }
`);

const GroupPeople = graphql(`
  query PickerGroupPeople($id: ID!) {
    group(id: $id) {
      id
      members {
        id
        name
      }
    }
  }
`);

export interface Picked {
  id: string;
  name: string;
}

/** A department or group whose people can be added at once. */
export interface PickSource {
  kind: "department" | "group";
  id: string;
  name: string;
}

/**
 * People by name or reading, as a combobox: type, ↓/↑ through the matches, Enter adds (a
 * click too); a whole department or group with one button; each one picked can be removed.
 */
export function PeoplePicker({
  picked,
  onChange,
  label,
  pickedLabel,
  sources = [],
  exclude = [],
}: {
  picked: readonly Picked[];
  onChange: (people: Picked[]) => void;
  /** The search field's label (参加者を検索). */
  label: string;
  /** The list of those picked (選択した参加者). */
  pickedLabel: string;
  sources?: readonly PickSource[];
  /** People never added by a department or group (the organiser, who is there anyway). */
  exclude?: readonly string[];
}) {
  const { t, errorText } = useI18n();
  const id = useId();
  const client = useClient();
  const [search, setSearch] = useState("");
  const [active, setActive] = useState(0);
  const [status, setStatus] = useState("");
  const [adding, setAdding] = useState<string | null>(null);
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
  const open = matches.length > 0;
  const current = open ? Math.min(active, matches.length - 1) : -1;

  const add = (person: Picked) => {
    onChange([...picked, { id: person.id, name: person.name }]);
    setSearch("");
    setActive(0);
    setStatus(t("picker.added", { name: person.name }));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      setActive((current + step + matches.length) % matches.length);
    } else if (event.key === "Enter") {
      // Enter in the search adds the match chosen; it never submits the form around it.
      event.preventDefault();
      const match = matches[current];
      if (match) add(match);
    } else if (event.key === "Escape" && search) {
      event.preventDefault();
      event.stopPropagation();
      setSearch("");
    }
  };

  const addAll = async (source: PickSource) => {
    setAdding(source.id);
    try {
      const answer =
        source.kind === "department"
          ? await client.query(DepartmentPeople, { id: source.id }).toPromise()
          : await client.query(GroupPeople, { id: source.id }).toPromise();
      if (answer.error) {
        setStatus(errorText(errorCode(answer.error)));
        return;
      }
      const data = answer.data;
      const people: Picked[] =
        data && "people" in data
          ? data.people.nodes
          : data && "group" in data
            ? (data.group?.members ?? [])
            : [];
      const skip = new Set([...chosen, ...exclude]);
      const fresh = people.filter((person) => !skip.has(person.id));
      onChange([...picked, ...fresh.map((person) => ({ id: person.id, name: person.name }))]);
      setStatus(t("picker.addedAll", { name: source.name, count: fresh.length }));
    } finally {
      setAdding(null);
    }
  };

  const listId = `${id}-matches`;
  return (
    <div className="people-picker">
      {picked.length > 0 ? (
        <ul className="picked" aria-label={pickedLabel}>
          {picked.map((person) => (
            <li key={person.id}>
              {person.name}
              <button
                type="button"
                className="remove"
                onClick={() => {
                  onChange(picked.filter((other) => other.id !== person.id));
                  setStatus(t("picker.removed", { name: person.name }));
                }}
                aria-label={t("picker.remove", { name: person.name })}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <label htmlFor={`${id}-search`}>{label}</label>
      <input
        id={`${id}-search`}
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={open ? listId : undefined}
        aria-activedescendant={open && current >= 0 ? `${id}-option-${current}` : undefined}
        aria-describedby={`${id}-hint`}
        value={search}
        onChange={(change) => {
          setSearch(change.target.value);
          setActive(0);
        }}
        onKeyDown={onKeyDown}
        autoComplete="off"
      />
      <p id={`${id}-hint`} className="hint">
        {t("picker.hint")}
      </p>
      {open ? (
        <div id={listId} role="listbox" aria-label={t("picker.matches")} className="matches">
          {matches.map((person, index) => (
            // The keyboard path is the combobox above (↓/↑ and Enter); a click adds too.
            // biome-ignore lint/a11y/useKeyWithClickEvents: keys are handled by the combobox input
            // biome-ignore lint/a11y/useFocusableInteractive: options of a combobox are reached by aria-activedescendant, the focus stays in the input
            <div
              key={person.id}
              id={`${id}-option-${index}`}
              role="option"
              aria-selected={index === current}
              className={index === current ? "is-active" : undefined}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => add(person)}
            >
              {person.name}
              <small>
                {" "}
                {person.department?.name ?? ""} {person.title}
              </small>
            </div>
          ))}
        </div>
      ) : null}
      {words && !fetching && matches.length === 0 && data ? (
        <p className="empty">{t("picker.none")}</p>
      ) : null}
      {sources.length > 0 ? (
        <div className="picker-sources">
          {sources.map((source) => (
            <button
              key={`${source.kind}/${source.id}`}
              type="button"
              disabled={adding !== null}
              onClick={() => void addAll(source)}
            >
              {t(source.kind === "department" ? "picker.addDepartment" : "picker.addGroup", {
                name: source.name,
              })}
            </button>
          ))}
        </div>
      ) : null}
      <p className="schedule-sr" role="status" aria-live="polite">
        {status}
      </p>
    </div>
  );
}
