import { type ChangeEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import type { MessageKey } from "../../i18n/messages";
import { formatDate } from "../../ui/dates";
import "./admin.css";
import "./peopleAdmin.css";
import { AdminHeader, isTenantAdmin, NotAdmin } from "./common";
import { bytesToBase64, errorsByLine, MAX_IMPORT_BYTES } from "./peopleAdmin";

const ReorgPreviewFragment = graphql(`
  fragment ReorgAdmin_preview on ReorganisationPreview {
    moves {
      loginId
      name
      fromCode
      fromName
      toCode
      toName
    }
    addedDepartments {
      code
      name
    }
    renamedDepartments {
      code
      name
      beforeName
    }
    mergedDepartments {
      code
      name
      intoCode
      intoName
    }
    closedDepartments {
      code
      name
    }
    joining {
      loginId
      name
    }
    leaving {
      loginId
      name
    }
  }
`);

const AdminReorgQuery = graphql(`
  query AdminReorg {
    me {
      id
      roles
    }
    reorganisations {
      id
      effectiveDate
      state
      organizationsFilename
      staffFilename
      errors {
        code
        file
        line
        column
      }
    }
  }
`);

const ReorgPreviewQuery = graphql(`
  query ReorgPreview($id: ID!) {
    reorganisationPreview(id: $id) {
      ...ReorgAdmin_preview
      errors {
        code
        file
        line
        column
      }
    }
  }
`);

const StageReorganisation = graphql(`
  mutation StageReorganisation($input: StageReorganisationInput!) {
    stageReorganisation(input: $input) {
      reorganisation {
        id
        effectiveDate
        state
      }
      preview {
        ...ReorgAdmin_preview
      }
      errors {
        code
        file
        line
        column
      }
    }
  }
`);

const EditReorganisation = graphql(`
  mutation EditReorganisation($input: EditReorganisationInput!) {
    editReorganisation(input: $input) {
      reorganisation {
        id
        effectiveDate
        state
      }
      preview {
        ...ReorgAdmin_preview
      }
      errors {
        code
        file
        line
        column
      }
    }
  }
`);

const WithdrawReorganisation = graphql(`
  mutation WithdrawReorganisation($id: ID!) {
    withdrawReorganisation(id: $id) {
      reorganisation {
        id
        state
      }
      errors {
        code
      }
    }
  }
`);

interface Picked {
  name: string;
  content: string;
}

interface ReorgError {
  code: string;
  file?: string | null;
  line?: number | null;
  column?: string | null;
}

type Shown =
  | { kind: "preview"; id: string; date: string }
  | { kind: "staged"; date: string; preview: FragmentType<typeof ReorgPreviewFragment> | null }
  | null;

/** 人事異動: next year's organisation and staff files staged for a date, checked and
 * previewed (who moves where, departments added, renamed, merged, closed), replaced or
 * withdrawn; the server applies them on the day. */
export function ReorgAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText, language } = useI18n();
  const ids = {
    date: useId(),
    orgs: useId(),
    staff: useId(),
    leavers: useId(),
    status: useId(),
    list: useId(),
  };
  const [result, refetch] = useQuery({
    query: AdminReorgQuery,
    requestPolicy: "cache-and-network",
  });
  const [stageState, runStage] = useMutation(StageReorganisation);
  const [editState, runEdit] = useMutation(EditReorganisation);
  const [, runWithdraw] = useMutation(WithdrawReorganisation);
  const [date, setDate] = useState("");
  const [orgs, setOrgs] = useState<Picked | null>(null);
  const [staff, setStaff] = useState<Picked | null>(null);
  const [leavers, setLeavers] = useState(true);
  const [editing, setEditing] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [errors, setErrors] = useState<readonly ReorgError[]>([]);
  const [shown, setShown] = useState<Shown>(null);
  const [asking, setAsking] = useState<string | null>(null);
  // A new key empties the file fields once what they held is staged.
  const [formKey, setFormKey] = useState(0);
  const formHeading = useRef<HTMLHeadingElement>(null);

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);

  if (result.error && !result.data) {
    return (
      <p className="error" role="alert">
        {errorText(errorCode(result.error))}
      </p>
    );
  }
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;
  const rows = result.data?.reorganisations ?? [];

  const pick =
    (set: (picked: Picked | null) => void) => async (event: ChangeEvent<HTMLInputElement>) => {
      setProblem(null);
      const picked = event.target.files?.[0];
      if (!picked) {
        set(null);
        return;
      }
      if (picked.size > MAX_IMPORT_BYTES) {
        set(null);
        setProblem(t("admin.import.tooLarge", { kilobytes: Math.round(MAX_IMPORT_BYTES / 1000) }));
        return;
      }
      set({
        name: picked.name,
        content: bytesToBase64(new Uint8Array(await picked.arrayBuffer())),
      });
    };
  const file = (picked: Picked) => ({ contentBase64: picked.content, filename: picked.name });

  const clear = () => {
    setOrgs(null);
    setStaff(null);
    setDate("");
    setFormKey((key) => key + 1);
  };
  const onSubmit = async () => {
    setErrors([]);
    setShown(null);
    if (!editing && !(orgs && staff && date)) return;
    const payload = editing
      ? (
          await runEdit({
            input: {
              id: editing,
              effectiveDate: date || null,
              organizations: orgs ? file(orgs) : null,
              staff: staff ? file(staff) : null,
              deactivateMissingStaff: leavers,
            },
          })
        ).data?.editReorganisation
      : (
          await runStage({
            input: {
              effectiveDate: date,
              organizations: file(orgs as Picked),
              staff: file(staff as Picked),
              deactivateMissingStaff: leavers,
            },
          })
        ).data?.stageReorganisation;
    if (!payload) return;
    setErrors(payload.errors);
    if (payload.reorganisation) {
      setShown({
        kind: "staged",
        date: payload.reorganisation.effectiveDate,
        preview: payload.preview ?? null,
      });
      setEditing(null);
      clear();
    }
    refetch({ requestPolicy: "network-only" });
  };

  const onWithdraw = async (id: string) => {
    setAsking(null);
    const answer = await runWithdraw({ id });
    const failed = answer.data?.withdrawReorganisation.errors ?? [];
    setErrors(failed);
    if (shown?.kind === "preview" && shown.id === id) setShown(null);
    refetch({ requestPolicy: "network-only" });
  };

  const busy = stageState.fetching || editState.fetching;
  const failure = stageState.error ?? editState.error;
  const status = busy
    ? t("admin.reorg.saving")
    : (problem ?? (failure ? errorText(errorCode(failure)) : ""));
  const ready = editing ? Boolean(orgs || staff || date) : Boolean(orgs && staff && date);
  const when = (value: string) => formatDate(value, language);

  return (
    <section className="admin-screen" aria-labelledby="reorg-title">
      <AdminHeader title={t("admin.reorg.title")} id="reorg-title" />
      <p>{t("admin.reorg.summary")}</p>

      <section className="card" aria-labelledby={ids.list}>
        <h2 id={ids.list}>{t("admin.reorg.list")}</h2>
        {rows.length === 0 ? (
          <p className="hint">{t("admin.reorg.none")}</p>
        ) : (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("admin.reorg.date")}</th>
                  <th scope="col">{t("admin.reorg.stateLabel")}</th>
                  <th scope="col">{t("admin.reorg.files")}</th>
                  <th scope="col">{t("admin.reorg.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => {
                  const open = row.state === "SCHEDULED" || row.state === "FAILED";
                  return (
                    <tr key={row.id}>
                      <th scope="row">{when(row.effectiveDate)}</th>
                      <td>
                        {t(`admin.reorg.state.${row.state}` as MessageKey)}
                        {row.errors.length > 0 ? <ErrorList errors={row.errors} /> : null}
                      </td>
                      <td>
                        {row.organizationsFilename} {row.staffFilename}
                      </td>
                      <td className="admin-actions">
                        {open ? (
                          <>
                            <button
                              type="button"
                              onClick={() =>
                                setShown({ kind: "preview", id: row.id, date: row.effectiveDate })
                              }
                            >
                              {t("admin.reorg.showPreview")}
                            </button>
                            <button
                              type="button"
                              onClick={() => {
                                setEditing(row.id);
                                setDate(row.effectiveDate);
                                formHeading.current?.focus();
                              }}
                            >
                              {t("admin.reorg.replace")}
                            </button>
                            {asking === row.id ? (
                              <fieldset className="confirm">
                                <legend>
                                  {t("admin.reorg.withdrawConfirm", {
                                    date: when(row.effectiveDate),
                                  })}
                                </legend>
                                <button
                                  type="button"
                                  className="danger"
                                  onClick={() => void onWithdraw(row.id)}
                                >
                                  {t("admin.reorg.withdrawYes")}
                                </button>{" "}
                                <button type="button" onClick={() => setAsking(null)}>
                                  {t("admin.cancel")}
                                </button>
                              </fieldset>
                            ) : (
                              <button type="button" onClick={() => setAsking(row.id)}>
                                {t("admin.reorg.withdraw")}
                              </button>
                            )}
                          </>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <form
        key={formKey}
        className="card stacked"
        aria-labelledby="reorg-form-title"
        onSubmit={(event) => {
          event.preventDefault();
          void onSubmit();
        }}
      >
        <h2 id="reorg-form-title" tabIndex={-1} ref={formHeading}>
          {editing ? t("admin.reorg.replace") : t("admin.reorg.new")}
        </h2>
        <label htmlFor={ids.date}>{t("admin.reorg.date")}</label>
        <input
          id={ids.date}
          type="date"
          value={date}
          required={!editing}
          onChange={(event) => setDate(event.target.value)}
        />
        <label htmlFor={ids.orgs}>{t("admin.reorg.orgFile")}</label>
        <input
          id={ids.orgs}
          type="file"
          accept=".csv,.txt,text/csv,text/plain"
          aria-describedby={`${ids.orgs}-hint`}
          onChange={(event) => void pick(setOrgs)(event)}
        />
        <label htmlFor={ids.staff}>{t("admin.reorg.staffFile")}</label>
        <input
          id={ids.staff}
          type="file"
          accept=".csv,.txt,text/csv,text/plain"
          aria-describedby={`${ids.orgs}-hint`}
          onChange={(event) => void pick(setStaff)(event)}
        />
        <p id={`${ids.orgs}-hint`} className="hint">
          {t("admin.reorg.fileHint")}
        </p>
        <div className="check">
          <input
            id={ids.leavers}
            type="checkbox"
            checked={leavers}
            onChange={(event) => setLeavers(event.target.checked)}
          />
          <label htmlFor={ids.leavers}>{t("admin.reorg.leavers")}</label>
        </div>
        <div className="admin-actions">
          <button type="submit" className="primary" disabled={!ready || busy}>
            {t("admin.reorg.stage")}
          </button>
          {editing ? (
            <button type="button" onClick={() => setEditing(null)}>
              {t("admin.cancel")}
            </button>
          ) : null}
        </div>
        <p id={ids.status} role="status" className={problem || failure ? "error" : "hint"}>
          {status}
        </p>
        {errors.length > 0 ? (
          <div role="alert">
            <h3>{t("admin.reorg.errors")}</h3>
            <ErrorList errors={errors} />
          </div>
        ) : null}
      </form>

      {shown?.kind === "staged" ? (
        <section className="card" aria-labelledby="reorg-staged-title">
          <p id="reorg-staged-title" role="status">
            {t("admin.reorg.staged")}
          </p>
          {shown.preview ? <PreviewCard date={when(shown.date)} preview={shown.preview} /> : null}
        </section>
      ) : shown?.kind === "preview" ? (
        <StoredPreview id={shown.id} date={when(shown.date)} />
      ) : null}
    </section>
  );
}

function StoredPreview({ id, date }: { id: string; date: string }) {
  const { t } = useI18n();
  const [result] = useQuery({
    query: ReorgPreviewQuery,
    variables: { id },
    requestPolicy: "network-only",
  });
  const preview = result.data?.reorganisationPreview;
  if (!preview) return <p aria-busy="true">{t("app.loading")}</p>;
  return (
    <section className="card">
      {preview.errors.length > 0 ? (
        <div role="alert">
          <h3>{t("admin.reorg.errors")}</h3>
          <ErrorList errors={preview.errors} />
        </div>
      ) : null}
      <PreviewCard date={date} preview={preview} />
    </section>
  );
}

function PreviewCard({
  date,
  preview: data,
}: {
  date: string;
  preview: FragmentType<typeof ReorgPreviewFragment>;
}) {
  const { t } = useI18n();
  const preview = readFragment(ReorgPreviewFragment, data);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const department = (code: string, name: string) => `${code} ${name}`;
  return (
    <section className="reorg-preview" aria-labelledby="reorg-preview-title">
      <h2 id="reorg-preview-title" tabIndex={-1} ref={heading}>
        {t("admin.reorg.previewTitle", { date })}
      </h2>
      <Listing title={t("admin.reorg.added", { count: preview.addedDepartments.length })}>
        {preview.addedDepartments.map((d) => (
          <li key={d.code}>{department(d.code, d.name)}</li>
        ))}
      </Listing>
      <Listing title={t("admin.reorg.renamed", { count: preview.renamedDepartments.length })}>
        {preview.renamedDepartments.map((d) => (
          <li key={d.code}>
            {department(d.code, d.name)} ({t("admin.reorg.renamedFrom", { name: d.beforeName })})
          </li>
        ))}
      </Listing>
      <Listing title={t("admin.reorg.merged", { count: preview.mergedDepartments.length })}>
        {preview.mergedDepartments.map((d) => (
          <li key={d.code}>
            {department(d.code, d.name)} →{" "}
            {t("admin.reorg.into", { code: d.intoCode, name: d.intoName })}
          </li>
        ))}
      </Listing>
      {preview.mergedDepartments.length > 0 ? (
        <p className="hint">{t("admin.reorg.mergeNote")}</p>
      ) : null}
      <Listing title={t("admin.reorg.closed", { count: preview.closedDepartments.length })}>
        {preview.closedDepartments.map((d) => (
          <li key={d.code}>{department(d.code, d.name)}</li>
        ))}
      </Listing>
      <details open={preview.moves.length > 0 && preview.moves.length <= 50}>
        <summary>{t("admin.reorg.moves", { count: preview.moves.length })}</summary>
        <section
          className="table-wrap"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a table scrolling sideways (360 px) must take the focus to be scrolled by keyboard (axe scrollable-region-focusable)
          tabIndex={0}
          aria-label={t("admin.reorg.moves", { count: preview.moves.length })}
        >
          <table>
            <thead>
              <tr>
                <th scope="col">{t("admin.reorg.person")}</th>
                <th scope="col">{t("admin.reorg.from")}</th>
                <th scope="col">{t("admin.reorg.to")}</th>
              </tr>
            </thead>
            <tbody>
              {preview.moves.map((move) => (
                <tr key={move.loginId}>
                  <th scope="row">
                    <code>{move.loginId}</code> {move.name}
                  </th>
                  <td>{department(move.fromCode, move.fromName)}</td>
                  <td>{department(move.toCode, move.toName)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </details>
      <Listing title={t("admin.reorg.joining", { count: preview.joining.length })}>
        {preview.joining.map((p) => (
          <li key={p.loginId}>
            <code>{p.loginId}</code> {p.name}
          </li>
        ))}
      </Listing>
      <Listing title={t("admin.reorg.leaving", { count: preview.leaving.length })}>
        {preview.leaving.map((p) => (
          <li key={p.loginId}>
            <code>{p.loginId}</code> {p.name}
          </li>
        ))}
      </Listing>
    </section>
  );
}

/** A titled list of the preview, open when short. */
function Listing({ title, children }: { title: string; children: React.ReactNode[] }) {
  const { t } = useI18n();
  return (
    <details open={children.length > 0 && children.length <= 50}>
      <summary>{title}</summary>
      {children.length === 0 ? (
        <p className="hint">{t("admin.import.none")}</p>
      ) : (
        <ul className="import-rows">{children}</ul>
      )}
    </details>
  );
}

function ErrorList({ errors }: { errors: readonly ReorgError[] }) {
  const { t, errorText } = useI18n();
  return (
    <ul className="error import-errors">
      {errorsByLine(errors).map((error, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the list is shown as given, never reordered
        <li key={index}>
          {error.file ? <strong>{t(`admin.reorg.file.${error.file}` as MessageKey)}</strong> : null}{" "}
          {error.line != null ? t("admin.reorg.line", { line: error.line }) : null}{" "}
          {error.column ? `[${error.column}] ` : ""}
          {errorText(error.code)}
        </li>
      ))}
    </ul>
  );
}
