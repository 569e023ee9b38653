import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import "./admin.css";
import { AdminHeader, isTenantAdmin, NotAdmin } from "./common";
import { ASSIGNABLE_ROLES, isAssignableRole, rolesToSave } from "./peopleAdmin";

const AdminRolesQuery = graphql(`
  query AdminRoles {
    me {
      id
      roles
    }
  }
`);

const RolesSearch = graphql(`
  query AdminRolesSearch($search: String!) {
    people(search: $search, first: 20) {
      totalCount
      nodes {
        id
        loginId
        name
        title
        roles
        department {
          id
          name
        }
      }
    }
  }
`);

const SetRoles = graphql(`
  mutation SetRoles($input: SetRolesInput!) {
    setRoles(input: $input) {
      person {
        id
        roles
      }
      errors {
        code
        field
      }
    }
  }
`);

/** 権限: find a colleague by the people search (name, reading, login ID), see and set
 * their roles (テナント管理者, 施設管理者); everyone is 職員 anyway. */
export function RolesAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const ids = { search: useId(), status: useId() };
  const [result] = useQuery({ query: AdminRolesQuery, requestPolicy: "cache-and-network" });
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  const [found] = useQuery({
    query: RolesSearch,
    variables: { search },
    pause: search === "",
    requestPolicy: "network-only",
  });
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [ticked, setTicked] = useState<Set<string>>(new Set());
  const [saveState, save] = useMutation(SetRoles);
  const [status, setStatus] = useState("");
  const editor = useRef<HTMLHeadingElement>(null);

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  const people = found.data?.people.nodes ?? [];
  const selected = people.find((p) => p.id === selectedId) ?? null;
  useEffect(() => {
    if (selectedId) editor.current?.focus();
  }, [selectedId]);

  if (result.error && !result.data) {
    return (
      <p className="error" role="alert">
        {errorText(errorCode(result.error))}
      </p>
    );
  }
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;

  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    setSelectedId(null);
    setStatus("");
    setSearch(typed.trim());
  };
  const choose = (person: (typeof people)[number]) => {
    setSelectedId(person.id);
    setTicked(new Set(person.roles));
    setStatus("");
  };
  const toggle = (role: string, on: boolean) => {
    const next = new Set(ticked);
    if (on) next.add(role);
    else next.delete(role);
    setTicked(next);
  };
  const onSave = async (event: FormEvent) => {
    event.preventDefault();
    if (!selected) return;
    // Said afresh for each save: the same words twice would not tell the second one apart.
    setStatus("");
    const answer = await save({ input: { personId: selected.id, roles: rolesToSave(ticked) } });
    const refused = answer.data?.setRoles.errors[0];
    if (answer.error) setStatus(errorText(errorCode(answer.error)));
    else if (refused) setStatus(errorText(refused.code));
    else setStatus(t("admin.roles.saved", { name: selected.name }));
  };
  const roleNames = (roles: readonly string[]) =>
    roles
      .filter(isAssignableRole)
      .map((role) => t(`admin.roles.role.${role}`))
      .join(t("admin.roles.separator"));

  return (
    <section className="admin-screen" aria-labelledby="roles-title">
      <AdminHeader title={t("admin.roles.title")} id="roles-title" />
      <form className="card inline-form" onSubmit={onSearch}>
        <div>
          <label htmlFor={ids.search}>{t("admin.roles.search")}</label>
          <input
            id={ids.search}
            type="search"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
          />
        </div>
        <button type="submit">{t("admin.roles.searchSubmit")}</button>
      </form>
      {search ? (
        <section className="card" aria-labelledby="roles-results" aria-busy={found.fetching}>
          <h2 id="roles-results">
            {found.data
              ? t("admin.roles.results", { count: found.data.people.totalCount })
              : t("app.loading")}
          </h2>
          {found.error ? <p className="error">{errorText(errorCode(found.error))}</p> : null}
          <ul className="admin-list">
            {people.map((person) => (
              <li key={person.id}>
                <div className="admin-item">
                  <strong>{person.name}</strong>
                  <span>{person.department?.name ?? ""}</span>
                  <span className="tag">{person.loginId}</span>
                  <span>{roleNames(person.roles) || t("admin.roles.staffOnly")}</span>
                </div>
                <div className="admin-actions">
                  <button
                    type="button"
                    aria-pressed={person.id === selectedId}
                    aria-label={t("admin.roles.chooseNamed", { name: person.name })}
                    onClick={() => choose(person)}
                  >
                    {t("admin.roles.choose")}
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {selected ? (
        <form className="card stacked" onSubmit={onSave} aria-describedby={ids.status}>
          <h2 tabIndex={-1} ref={editor}>
            {t("admin.roles.of", { name: selected.name })}
          </h2>
          <fieldset>
            <legend>{t("admin.roles.roles")}</legend>
            {ASSIGNABLE_ROLES.map((role) => (
              <div className="check" key={role}>
                <input
                  id={`${ids.status}-${role}`}
                  type="checkbox"
                  checked={ticked.has(role)}
                  onChange={(event) => toggle(role, event.target.checked)}
                />
                <label htmlFor={`${ids.status}-${role}`}>{t(`admin.roles.role.${role}`)}</label>
              </div>
            ))}
          </fieldset>
          <p className="hint">{t("admin.roles.hint")}</p>
          <div>
            <button type="submit" disabled={saveState.fetching}>
              {t("admin.save")}
            </button>
          </div>
          <p id={ids.status} role="status" className="hint">
            {status}
          </p>
        </form>
      ) : null}
    </section>
  );
}
