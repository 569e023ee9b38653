import { type FormEvent, useEffect, useId, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { COUNCIL_PURPOSES, type CouncilPurpose } from "../../ui/councilPurposes";
import "./admin.css";
import { AdminHeader, FormErrors, isTenantAdmin, NotAdmin } from "./common";

const AdminCouncilQuery = graphql(`
  query AdminCouncil {
    me {
      id
      roles
    }
    councilContacts {
      purpose
      department {
        id
        name
      }
    }
    organizations {
      id
      name
      depth
    }
  }
`);

const SetCouncilContact = graphql(`
  mutation SetCouncilContact($purpose: CouncilPurpose!, $departmentId: ID) {
    setCouncilContact(purpose: $purpose, departmentId: $departmentId) {
      contact {
        purpose
        department {
          id
          name
        }
      }
      errors {
        code
        field
      }
    }
  }
`);

type Department = { id: string; name: string; depth: number };

/** One purpose: the department whose staff receive and answer the council's requests. */
function ContactRow({
  purpose,
  current,
  departments,
  onSaved,
}: {
  purpose: CouncilPurpose;
  current: string;
  departments: readonly Department[];
  onSaved: () => void;
}) {
  const { t, errorText } = useI18n();
  const id = useId();
  const [chosen, setChosen] = useState(current);
  const [status, setStatus] = useState("");
  const [saved, save] = useMutation(SetCouncilContact);
  useEffect(() => setChosen(current), [current]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setStatus("");
    const answer = await save({ purpose, departmentId: chosen || null });
    if (answer.error) setStatus(errorText(errorCode(answer.error)));
    else if (answer.data?.setCouncilContact.errors.length === 0) {
      setStatus(t("admin.council.saved"));
      onSaved();
    }
  };
  const label = t(`council.purpose.${purpose}`);
  return (
    <form className="inline-form council-contact" onSubmit={(e) => void submit(e)}>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={chosen} onChange={(e) => setChosen(e.target.value)}>
        <option value="">{t("admin.council.none")}</option>
        {departments.map((d) => (
          <option key={d.id} value={d.id}>
            {"　".repeat(d.depth)}
            {d.name}
          </option>
        ))}
      </select>
      <button
        type="submit"
        disabled={saved.fetching || chosen === current}
        aria-label={t("admin.council.saveNamed", { purpose: label })}
      >
        {t("admin.council.save")}
      </button>
      <span role="status" className="hint">
        {status}
      </span>
      <FormErrors errors={saved.data?.setCouncilContact.errors} fields={[]} />
    </form>
  );
}

/** 協議会の窓口: per purpose, the department that receives the council's requests. */
export function CouncilAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({
    query: AdminCouncilQuery,
    requestPolicy: "cache-and-network",
  });
  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;
  const contacts = new Map(
    (result.data?.councilContacts ?? []).map((c) => [c.purpose, c.department.id]),
  );
  return (
    <section className="admin-screen" aria-labelledby="council-admin-title">
      <AdminHeader title={t("admin.council.title")} id="council-admin-title" />
      <div className="card">
        <p>{t("admin.council.intro")}</p>
        {COUNCIL_PURPOSES.map((purpose) => (
          <ContactRow
            key={purpose}
            purpose={purpose}
            current={contacts.get(purpose) ?? ""}
            departments={result.data?.organizations ?? []}
            onSaved={() => reexecute({ requestPolicy: "network-only" })}
          />
        ))}
      </div>
    </section>
  );
}
