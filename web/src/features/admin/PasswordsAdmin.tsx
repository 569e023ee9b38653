import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import "./admin.css";
import "./peopleAdmin.css";
import { AdminHeader, isTenantAdmin, NotAdmin } from "./common";
import { base64ToBytes, departmentOptions, type IssueMode, issueInput } from "./peopleAdmin";

const AdminPasswordsQuery = graphql(`
  query AdminPasswords {
    me {
      id
      roles
      tenant {
        id
        code
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

const IssueInitialPasswords = graphql(`
  mutation IssueInitialPasswords($input: IssueInitialPasswordsInput!) {
    issueInitialPasswords(input: $input) {
      issued {
        password
        person {
          id
          loginId
          name
          department {
            id
            name
          }
        }
      }
      csv {
        filename
        contentBase64
        lossy
      }
      errors {
        code
        field
      }
    }
  }
`);

/** 初期パスワード: issue passwords in bulk (a department with the ones below it, or everyone
 * imported without one), asked twice, then shown once: a table, printable slips with cut
 * lines, and the CP932 list for Excel. */
export function PasswordsAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const ids = { mode: useId(), department: useId(), only: useId(), status: useId() };
  const [result] = useQuery({ query: AdminPasswordsQuery, requestPolicy: "cache-and-network" });
  const [state, issue] = useMutation(IssueInitialPasswords);
  const [mode, setMode] = useState<IssueMode>("withoutPassword");
  const [departmentId, setDepartmentId] = useState("");
  const [onlyWithout, setOnlyWithout] = useState(true);
  const [asking, setAsking] = useState(false);
  // The issued list lives only here, in this screen's memory: the server keeps hashes.
  const [shown, setShown] = useState(true);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const resultHeading = useRef<HTMLHeadingElement>(null);

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  useEffect(() => {
    if (asking) confirmButton.current?.focus();
  }, [asking]);
  const payload = state.data?.issueInitialPasswords;
  const issued = shown ? (payload?.issued ?? []) : [];
  const hasResult = shown && payload !== undefined && payload.errors.length === 0;
  useEffect(() => {
    if (hasResult) resultHeading.current?.focus();
  }, [hasResult]);

  if (result.error && !result.data) {
    return (
      <p className="error" role="alert">
        {errorText(errorCode(result.error))}
      </p>
    );
  }
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;

  const departments = departmentOptions(result.data?.organizations ?? []);
  const chosen = departments.find((d) => d.id === departmentId);
  const input = issueInput(mode, departmentId, onlyWithout);
  const whom =
    mode === "withoutPassword"
      ? t("admin.passwords.whomWithout")
      : t(
          onlyWithout ? "admin.passwords.whomDepartmentWithout" : "admin.passwords.whomDepartment",
          {
            department: chosen?.label.trim() ?? "",
          },
        );
  const failure = state.error
    ? errorText(errorCode(state.error))
    : payload?.errors[0]
      ? errorText(payload.errors[0].code)
      : null;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (input) setAsking(true);
  };
  const onConfirm = async () => {
    setAsking(false);
    if (!input) return;
    setShown(true);
    await issue({ input });
  };
  const download = () => {
    const csv = payload?.csv;
    if (!csv) return;
    const blob = new Blob([base64ToBytes(csv.contentBase64)], {
      type: "text/csv;charset=shift_jis",
    });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = csv.filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  const signInAddress = `${window.location.origin}/login`;

  return (
    <section className="admin-screen" aria-labelledby="passwords-title">
      <div className="no-print">
        <AdminHeader title={t("admin.passwords.title")} id="passwords-title" />
        <form className="card stacked" onSubmit={onSubmit} aria-describedby={ids.status}>
          <fieldset>
            <legend>{t("admin.passwords.whom")}</legend>
            <div className="check">
              <input
                id={`${ids.mode}-without`}
                type="radio"
                name={ids.mode}
                checked={mode === "withoutPassword"}
                onChange={() => setMode("withoutPassword")}
              />
              <label htmlFor={`${ids.mode}-without`}>{t("admin.passwords.modeWithout")}</label>
            </div>
            <div className="check">
              <input
                id={`${ids.mode}-department`}
                type="radio"
                name={ids.mode}
                checked={mode === "department"}
                onChange={() => setMode("department")}
              />
              <label htmlFor={`${ids.mode}-department`}>
                {t("admin.passwords.modeDepartment")}
              </label>
            </div>
          </fieldset>
          {mode === "department" ? (
            <>
              <label htmlFor={ids.department}>{t("admin.passwords.department")}</label>
              <select
                id={ids.department}
                value={departmentId}
                required
                onChange={(event) => setDepartmentId(event.target.value)}
              >
                <option value="">{t("admin.passwords.chooseDepartment")}</option>
                {departments.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </select>
              <div className="check">
                <input
                  id={ids.only}
                  type="checkbox"
                  checked={onlyWithout}
                  onChange={(event) => setOnlyWithout(event.target.checked)}
                />
                <label htmlFor={ids.only}>{t("admin.passwords.onlyWithout")}</label>
              </div>
            </>
          ) : null}
          <p className="hint">{t("admin.passwords.hint")}</p>
          {asking ? (
            <fieldset className="confirm">
              <legend>{t("admin.passwords.confirm", { whom })}</legend>
              <button
                type="button"
                className="danger"
                ref={confirmButton}
                onClick={() => void onConfirm()}
              >
                {t("admin.passwords.confirmYes")}
              </button>{" "}
              <button type="button" onClick={() => setAsking(false)}>
                {t("admin.cancel")}
              </button>
            </fieldset>
          ) : (
            <div>
              <button type="submit" disabled={!input || state.fetching}>
                {t("admin.passwords.issue")}
              </button>
            </div>
          )}
          <p id={ids.status} role="status" className={failure ? "error" : "hint"}>
            {state.fetching ? t("admin.passwords.issuing") : (failure ?? "")}
          </p>
        </form>
      </div>
      {hasResult ? (
        <section className="card" aria-labelledby="issued-title">
          <div className="no-print">
            <h2 id="issued-title" tabIndex={-1} ref={resultHeading}>
              {t("admin.passwords.issuedTitle", { count: issued.length })}
            </h2>
            {issued.length === 0 ? (
              <p>{t("admin.passwords.nobody")}</p>
            ) : (
              <>
                <p className="warning" role="alert">
                  {t("admin.passwords.once")}
                </p>
                <div className="admin-actions">
                  <button type="button" onClick={() => window.print()}>
                    {t("admin.passwords.print")}
                  </button>
                  <button type="button" onClick={download}>
                    {t("admin.passwords.download")}
                  </button>
                  <button type="button" onClick={() => setShown(false)}>
                    {t("admin.passwords.done")}
                  </button>
                </div>
                {payload?.csv?.lossy ? <p className="hint">{t("admin.passwords.lossy")}</p> : null}
                <div className="table-scroll">
                  <table>
                    <caption className="visually-hidden">
                      {t("admin.passwords.issuedTitle", { count: issued.length })}
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">{t("admin.passwords.loginId")}</th>
                        <th scope="col">{t("admin.passwords.name")}</th>
                        <th scope="col">{t("admin.passwords.departmentColumn")}</th>
                        <th scope="col">{t("admin.passwords.password")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {issued.map((item) => (
                        <tr key={item.person.id}>
                          <td>{item.person.loginId}</td>
                          <th scope="row">{item.person.name}</th>
                          <td>{item.person.department?.name ?? ""}</td>
                          <td>
                            <code className="password">{item.password}</code>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </div>
          {/* One slip per person for the printer, cut along the dashed lines. */}
          <ol className="password-slips print-only" aria-hidden="true">
            {issued.map((item) => (
              <li key={item.person.id} className="slip">
                <p className="slip-title">
                  {t("admin.passwords.slipTitle", { municipality: me.tenant?.name ?? "" })}
                </p>
                <dl>
                  <dt>{t("admin.passwords.name")}</dt>
                  <dd>
                    {item.person.name}
                    {item.person.department ? ` (${item.person.department.name})` : ""}
                  </dd>
                  <dt>{t("admin.passwords.signInAt")}</dt>
                  <dd>{signInAddress}</dd>
                  <dt>{t("admin.passwords.municipality")}</dt>
                  <dd>
                    <code>{me.tenant?.code ?? ""}</code>
                  </dd>
                  <dt>{t("admin.passwords.loginId")}</dt>
                  <dd>
                    <code>{item.person.loginId}</code>
                  </dd>
                  <dt>{t("admin.passwords.password")}</dt>
                  <dd>
                    <code className="password">{item.password}</code>
                  </dd>
                </dl>
                <p className="slip-note">{t("admin.passwords.slipNote")}</p>
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </section>
  );
}
