import { type FormEvent, useId, useState } from "react";
import { useMutation } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";

const ImportIcs = graphql(`
  mutation ImportIcs($text: String!) {
    importIcs(text: $text) {
      events {
        id
        title
      }
      skipped
      errors {
        code
        message
        line
        uid
      }
    }
  }
`);

// The server refuses larger files (TOO_LARGE); saying so before reading one spares the upload.
const MAX_ICS_BYTES = 1024 * 1024;

/** An .ics file from another calendar into mine, all or nothing: what was made, what was
 * already here, or every problem with its line (nothing imported then). */
export function IcsImport() {
  const { t, errorText } = useI18n();
  const ids = { file: useId(), msg: useId() };
  const [state, importIcs] = useMutation(ImportIcs);
  const [file, setFile] = useState<File | null>(null);
  const [tooLarge, setTooLarge] = useState(false);

  const payload = state.data?.importIcs;
  const problems = payload?.errors ?? [];
  const failure = tooLarge
    ? errorText("TOO_LARGE")
    : state.error
      ? errorText(errorCode(state.error))
      : problems.length > 0
        ? t("settings.icsRefused", { count: problems.length })
        : null;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    if (file.size > MAX_ICS_BYTES) {
      setTooLarge(true);
      return;
    }
    setTooLarge(false);
    await importIcs({ text: await file.text() });
  };

  return (
    <section className="card" aria-labelledby="ics-import-title">
      <h2 id="ics-import-title">{t("settings.icsImport")}</h2>
      <p>{t("settings.icsIntro")}</p>
      <form className="stacked" onSubmit={onSubmit}>
        <label htmlFor={ids.file}>{t("settings.icsFile")}</label>
        <input
          id={ids.file}
          type="file"
          accept=".ics,text/calendar"
          aria-describedby={ids.msg}
          onChange={(event) => {
            setFile(event.target.files?.[0] ?? null);
            setTooLarge(false);
          }}
        />
        <p id={ids.msg} role="status" className={failure ? "error" : "hint"}>
          {state.fetching
            ? t("settings.icsImporting")
            : (failure ??
              (payload
                ? t("settings.icsImported", {
                    count: payload.events.length,
                    skipped: payload.skipped,
                  })
                : ""))}
        </p>
        {problems.length > 0 ? (
          <ul className="ics-problems">
            {problems.map((problem, index) => (
              <li key={`${problem.line ?? "-"}-${problem.uid ?? index}`}>
                {problem.line != null ? t("settings.icsLine", { line: problem.line }) : null}{" "}
                {errorText(problem.code)}
                {problem.uid ? ` (UID ${problem.uid})` : null}
              </li>
            ))}
          </ul>
        ) : null}
        <div>
          <button type="submit" disabled={!file || state.fetching}>
            {t("settings.icsSubmit")}
          </button>
        </div>
      </form>
    </section>
  );
}
