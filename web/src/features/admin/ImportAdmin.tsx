import { type ChangeEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import type { MessageKey } from "../../i18n/messages";
import "./admin.css";
import "./peopleAdmin.css";
import { AdminHeader, isTenantAdmin, NotAdmin } from "./common";
import {
  bytesToBase64,
  type CsvChangedRow,
  type CsvRow,
  errorsByLine,
  isChangeField,
  MAX_IMPORT_BYTES,
  previewSummary,
} from "./peopleAdmin";

const AdminImportQuery = graphql(`
  query AdminImport {
    me {
      id
      roles
    }
  }
`);

const ImportCsv = graphql(`
  mutation ImportCsv($input: ImportCsvInput!) {
    importCsv(input: $input) {
      applied
      encoding
      unchangedCount
      addedRows {
        key
        name
      }
      updatedRows {
        key
        name
        changes {
          field
          before
          after
        }
      }
      deactivatedRows {
        key
        name
      }
      notFromImportRows {
        key
        name
      }
      errors {
        line
        column
        code
        message
      }
    }
  }
`);

type Kind = "ORGANIZATIONS" | "STAFF";

interface Picked {
  name: string;
  content: string;
}

/** CSV import of departments or staff: a dry run first (adds, changes before → after,
 * deactivations, every error by line), nothing written until 取り込む, then the result. */
export function ImportAdmin({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const ids = { kind: useId(), file: useId(), deactivate: useId(), status: useId() };
  const [result] = useQuery({ query: AdminImportQuery, requestPolicy: "cache-and-network" });
  const [previewState, runPreview] = useMutation(ImportCsv);
  const [importState, runImport] = useMutation(ImportCsv);
  const [kind, setKind] = useState<Kind>("STAFF");
  const [deactivate, setDeactivate] = useState(false);
  const [file, setFile] = useState<Picked | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // What the preview on screen was made from: importing anything else needs a new one.
  const [previewed, setPreviewed] = useState<string | null>(null);
  const [imported, setImported] = useState(false);
  const previewHeading = useRef<HTMLHeadingElement>(null);
  const doneHeading = useRef<HTMLHeadingElement>(null);

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  const settings = file ? `${kind}|${deactivate}|${file.name}|${file.content.length}` : null;
  const preview =
    previewed !== null && previewed === settings ? previewState.data?.importCsv : undefined;
  const done = imported ? importState.data?.importCsv : undefined;
  useEffect(() => {
    if (preview) previewHeading.current?.focus();
  }, [preview]);
  useEffect(() => {
    if (done?.applied) doneHeading.current?.focus();
  }, [done]);

  if (result.error && !result.data) {
    return (
      <p className="error" role="alert">
        {errorText(errorCode(result.error))}
      </p>
    );
  }
  if (!me) return <p aria-busy="true">{t("app.loading")}</p>;
  if (!isTenantAdmin(me.roles)) return <NotAdmin />;

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    setProblem(null);
    setImported(false);
    const picked = event.target.files?.[0];
    if (!picked) {
      setFile(null);
      return;
    }
    if (picked.size > MAX_IMPORT_BYTES) {
      setFile(null);
      setProblem(t("admin.import.tooLarge", { kilobytes: Math.round(MAX_IMPORT_BYTES / 1000) }));
      return;
    }
    // The bytes as they are: the server detects CP932, UTF-8 (with or without BOM) and
    // Excel's UTF-16 text, and names lines as the file has them.
    const bytes = new Uint8Array(await picked.arrayBuffer());
    setFile({ name: picked.name, content: bytesToBase64(bytes) });
  };

  const input = (dryRun: boolean) => ({
    kind,
    contentBase64: file?.content ?? "",
    dryRun,
    deactivateMissing: deactivate,
  });
  const onPreview = async () => {
    if (!file) return;
    setImported(false);
    setPreviewed(settings);
    await runPreview({ input: input(true) });
  };
  const onImport = async () => {
    if (!file) return;
    const answer = await runImport({ input: input(false) });
    setImported(true);
    if (answer.data?.importCsv.applied) {
      setFile(null);
      setPreviewed(null);
    }
  };

  const summary = preview ? previewSummary(preview) : null;
  const busy = previewState.fetching || importState.fetching;
  const requestFailure = previewState.error ?? importState.error;
  const status = busy
    ? t(importState.fetching ? "admin.import.importing" : "admin.import.previewing")
    : (problem ?? (requestFailure ? errorText(errorCode(requestFailure)) : ""));

  return (
    <section className="admin-screen" aria-labelledby="import-title">
      <AdminHeader title={t("admin.import.title")} id="import-title" />
      <div className="card stacked">
        <fieldset>
          <legend>{t("admin.import.kind")}</legend>
          {(["STAFF", "ORGANIZATIONS"] as const).map((value) => (
            <div className="check" key={value}>
              <input
                id={`${ids.kind}-${value}`}
                type="radio"
                name={ids.kind}
                checked={kind === value}
                onChange={() => setKind(value)}
              />
              <label htmlFor={`${ids.kind}-${value}`}>{t(`admin.import.kind.${value}`)}</label>
            </div>
          ))}
        </fieldset>
        <label htmlFor={ids.file}>{t("admin.import.file")}</label>
        <input
          id={ids.file}
          type="file"
          accept=".csv,.txt,text/csv,text/plain"
          aria-describedby={`${ids.file}-hint`}
          onChange={(event) => void onFile(event)}
        />
        <p id={`${ids.file}-hint`} className="hint">
          {t("admin.import.fileHint")}
        </p>
        <div className="check">
          <input
            id={ids.deactivate}
            type="checkbox"
            checked={deactivate}
            onChange={(event) => setDeactivate(event.target.checked)}
          />
          <label htmlFor={ids.deactivate}>{t("admin.import.deactivate")}</label>
        </div>
        <div className="admin-actions">
          <button type="button" disabled={!file || busy} onClick={() => void onPreview()}>
            {t("admin.import.preview")}
          </button>
        </div>
        <p id={ids.status} role="status" className={problem || requestFailure ? "error" : "hint"}>
          {status}
        </p>
      </div>

      {done?.applied ? (
        <section className="card" aria-labelledby="import-done-title">
          <h2 id="import-done-title" tabIndex={-1} ref={doneHeading}>
            {t("admin.import.done")}
          </h2>
          <p>
            {t("admin.import.doneCounts", {
              added: done.addedRows.length,
              updated: done.updatedRows.length,
              deactivated: done.deactivatedRows.length,
              unchanged: done.unchangedCount,
            })}
          </p>
        </section>
      ) : done && !done.applied ? (
        <section className="card" aria-labelledby="import-refused-title">
          <h2 id="import-refused-title">{t("admin.import.refused")}</h2>
          <ErrorList errors={done.errors} />
        </section>
      ) : null}

      {preview && summary && !done?.applied ? (
        <section className="card import-preview" aria-labelledby="preview-title">
          <h2 id="preview-title" tabIndex={-1} ref={previewHeading}>
            {t("admin.import.previewTitle", { file: file?.name ?? "" })}
          </h2>
          <p className="hint">{t("admin.import.nothingWritten")}</p>
          <ul className="import-counts">
            <li>{t("admin.import.countAdded", { count: summary.added })}</li>
            <li>{t("admin.import.countUpdated", { count: summary.updated })}</li>
            <li>{t("admin.import.countDeactivated", { count: summary.deactivated })}</li>
            <li>{t("admin.import.countUnchanged", { count: summary.unchanged })}</li>
            <li className={summary.errors ? "error" : undefined}>
              {t("admin.import.countErrors", { count: summary.errors })}
            </li>
          </ul>
          {summary.errors > 0 ? (
            <>
              <h3>{t("admin.import.errors")}</h3>
              <ErrorList errors={preview.errors} />
              <p className="error">{t("admin.import.fixAndRetry")}</p>
            </>
          ) : (
            <>
              <Rows title={t("admin.import.added")} rows={preview.addedRows} />
              <Changes rows={preview.updatedRows} />
              <Rows title={t("admin.import.deactivated")} rows={preview.deactivatedRows} />
              {preview.notFromImportRows.length > 0 ? (
                <Rows title={t("admin.import.kept")} rows={preview.notFromImportRows} />
              ) : null}
              <div className="admin-actions">
                <button
                  type="button"
                  className="primary"
                  disabled={!summary.importable || busy}
                  onClick={() => void onImport()}
                >
                  {t("admin.import.run")}
                </button>
              </div>
              {summary.importable ? null : <p className="hint">{t("admin.import.nothingToDo")}</p>}
            </>
          )}
        </section>
      ) : null}
    </section>
  );
}

function ErrorList({
  errors,
}: {
  errors: readonly { line?: number | null; column?: string | null; code: string }[];
}) {
  const { t, errorText } = useI18n();
  return (
    <ul className="error import-errors">
      {errorsByLine(errors).map((error, index) => (
        // Several errors may share a line, column and code: their place is their key.
        // biome-ignore lint/suspicious/noArrayIndexKey: the list is shown as given, never reordered
        <li key={index}>
          {error.line != null ? (
            <strong>{t("admin.import.line", { line: error.line })}</strong>
          ) : (
            <strong>{t("admin.import.wholeFile")}</strong>
          )}{" "}
          {error.column ? `[${error.column}] ` : ""}
          {errorText(error.code)}
        </li>
      ))}
    </ul>
  );
}

function Rows({ title, rows }: { title: string; rows: readonly CsvRow[] }) {
  const { t } = useI18n();
  return (
    <details open={rows.length > 0 && rows.length <= 50}>
      <summary>{t("admin.import.section", { title, count: rows.length })}</summary>
      {rows.length === 0 ? (
        <p className="hint">{t("admin.import.none")}</p>
      ) : (
        <ul className="import-rows">
          {rows.map((row) => (
            <li key={row.key}>
              <code>{row.key}</code> {row.name}
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

function Changes({ rows }: { rows: readonly CsvChangedRow[] }) {
  const { t } = useI18n();
  const fieldName = (field: string) =>
    isChangeField(field) ? t(`admin.import.field.${field}` as MessageKey) : field;
  const shown = (field: string, value: string) =>
    field === "is_active"
      ? t(value === "true" ? "admin.import.active" : "admin.import.inactive")
      : field === "source"
        ? t(`admin.import.source.${value === "csv" || value === "admin" ? value : "manual"}`)
        : value === ""
          ? t("admin.import.empty")
          : value;
  return (
    <details open={rows.length > 0 && rows.length <= 50}>
      <summary>
        {t("admin.import.section", { title: t("admin.import.updated"), count: rows.length })}
      </summary>
      {rows.length === 0 ? (
        <p className="hint">{t("admin.import.none")}</p>
      ) : (
        <ul className="import-rows">
          {rows.map((row) => (
            <li key={row.key}>
              <code>{row.key}</code> {row.name}
              <ul className="import-changes">
                {row.changes.map((change) => (
                  <li key={change.field}>
                    {fieldName(change.field)}: {shown(change.field, change.before)}{" "}
                    <span aria-hidden="true">→</span>
                    <span className="visually-hidden">{t("admin.import.becomes")}</span>{" "}
                    {shown(change.field, change.after)}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}
