// The pieces a survey and a council survey share: writing questions, answering them, and
// downloading the answers as CSV.
import { useId, useState } from "react";
import { useI18n } from "../../i18n/language";
import {
  type AnswerDraft,
  base64Bytes,
  isChoice,
  QUESTION_KINDS,
  type QuestionDraft,
  type QuestionKind,
  toggleChoice,
} from "./logic";

export const NEW_QUESTION: QuestionDraft = {
  kind: "SINGLE_CHOICE",
  text: "",
  required: false,
  choices: "",
};

/** The questions of a form being written: text, kind, choices, required, order. */
export function QuestionsEditor({
  questions,
  onChange,
}: {
  questions: readonly QuestionDraft[];
  onChange: (next: QuestionDraft[]) => void;
}) {
  const { t } = useI18n();
  const change = (index: number, next: Partial<QuestionDraft>) =>
    onChange(questions.map((q, i) => (i === index ? { ...q, ...next } : q)));
  const move = (index: number, by: number) => {
    const target = index + by;
    if (target < 0 || target >= questions.length) return;
    const next = [...questions];
    const [item] = next.splice(index, 1);
    if (item) next.splice(target, 0, item);
    onChange(next);
  };
  return (
    <fieldset className="questions">
      <legend>{t("survey.questions")}</legend>
      <ol>
        {questions.map((q, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: questions being written have no identity yet
          <li key={index} className="question-editor">
            <label>
              {t("survey.questionText", { number: index + 1 })}
              <input value={q.text} onChange={(e) => change(index, { text: e.target.value })} />
            </label>
            <label>
              {t("survey.questionKind", { number: index + 1 })}
              <select
                value={q.kind}
                onChange={(e) => change(index, { kind: e.target.value as QuestionKind })}
              >
                {QUESTION_KINDS.map((kind) => (
                  <option key={kind} value={kind}>
                    {t(`survey.kind.${kind}`)}
                  </option>
                ))}
              </select>
            </label>
            {isChoice(q.kind) ? (
              <label>
                {t("survey.questionChoices", { number: index + 1 })}
                <textarea
                  value={q.choices}
                  rows={3}
                  onChange={(e) => change(index, { choices: e.target.value })}
                />
              </label>
            ) : null}
            <label className="check">
              <input
                type="checkbox"
                checked={q.required}
                onChange={(e) => change(index, { required: e.target.checked })}
              />
              {t("survey.questionRequired", { number: index + 1 })}
            </label>
            <p className="actions">
              <button type="button" onClick={() => move(index, -1)} disabled={index === 0}>
                {t("survey.moveUp", { number: index + 1 })}
              </button>{" "}
              <button
                type="button"
                onClick={() => move(index, 1)}
                disabled={index === questions.length - 1}
              >
                {t("survey.moveDown", { number: index + 1 })}
              </button>{" "}
              <button
                type="button"
                onClick={() => onChange(questions.filter((_, i) => i !== index))}
                disabled={questions.length === 1}
              >
                {t("survey.removeQuestion", { number: index + 1 })}
              </button>
            </p>
          </li>
        ))}
      </ol>
      <button type="button" onClick={() => onChange([...questions, { ...NEW_QUESTION }])}>
        {t("survey.addQuestion")}
      </button>
    </fieldset>
  );
}

export interface AnswerableQuestion {
  id: string;
  kind: QuestionKind;
  text: string;
  required: boolean;
  choices: readonly string[];
}

/** One field (or group of choices) per question, with required marks and missing errors. */
export function AnswerFields({
  idPrefix,
  questions,
  drafts,
  onChange,
  missing,
  disabled,
}: {
  idPrefix: string;
  questions: readonly AnswerableQuestion[];
  drafts: Record<string, AnswerDraft>;
  onChange: (next: Record<string, AnswerDraft>) => void;
  missing: readonly string[];
  disabled: boolean;
}) {
  const { t } = useI18n();
  const formId = idPrefix;
  const set = (id: string, next: AnswerDraft) => onChange({ ...drafts, [id]: next });
  return (
    <>
      {questions.map((q, index) => {
        const draft = drafts[q.id] ?? { choices: [], text: "" };
        const label = `${index + 1}. ${q.text}`;
        const invalid = missing.includes(q.id);
        const errorId = `${formId}-${q.id}-error`;
        const required = q.required ? (
          <span className="required"> {t("survey.required")}</span>
        ) : null;
        const problem = invalid ? (
          <p id={errorId} className="error">
            {t("survey.answerRequired")}
          </p>
        ) : null;
        if (isChoice(q.kind)) {
          return (
            <fieldset
              key={q.id}
              className="question"
              aria-describedby={invalid ? errorId : undefined}
              aria-invalid={invalid || undefined}
            >
              <legend>
                {label}
                {required}
              </legend>
              {q.choices.map((choice, i) => (
                <label key={choice} className="check">
                  <input
                    type={q.kind === "SINGLE_CHOICE" ? "radio" : "checkbox"}
                    name={`${formId}-${q.id}`}
                    checked={draft.choices.includes(i)}
                    disabled={disabled}
                    onChange={() =>
                      set(q.id, { ...draft, choices: toggleChoice(q.kind, draft.choices, i) })
                    }
                  />
                  {choice}
                </label>
              ))}
              {problem}
            </fieldset>
          );
        }
        return (
          <div key={q.id} className="question">
            <label htmlFor={`${formId}-${q.id}`}>
              {label}
              {required}
            </label>
            {q.kind === "TEXT" ? (
              <textarea
                id={`${formId}-${q.id}`}
                value={draft.text}
                rows={3}
                disabled={disabled}
                aria-invalid={invalid || undefined}
                aria-describedby={invalid ? errorId : undefined}
                onChange={(e) => set(q.id, { ...draft, text: e.target.value })}
              />
            ) : (
              <input
                id={`${formId}-${q.id}`}
                type={q.kind === "NUMBER" ? "number" : "date"}
                step={q.kind === "NUMBER" ? "any" : undefined}
                value={draft.text}
                disabled={disabled}
                aria-invalid={invalid || undefined}
                aria-describedby={invalid ? errorId : undefined}
                onChange={(e) => set(q.id, { ...draft, text: e.target.value })}
              />
            )}
            {problem}
          </div>
        );
      })}
    </>
  );
}

export type CsvEncodingChoice = "CP932" | "UTF8";

export interface CsvFile {
  filename: string;
  contentBase64: string;
  lossy: boolean;
}

/** Choose the encoding, download: `load` asks the server for the file (null: not yours). */
export function CsvExport({
  load,
}: {
  load: (encoding: CsvEncodingChoice) => Promise<{ file: CsvFile | null; failed: boolean }>;
}) {
  const { t, errorText } = useI18n();
  const selectId = useId();
  const [encoding, setEncoding] = useState<CsvEncodingChoice>("CP932");
  const [problem, setProblem] = useState<string | null>(null);
  const [lossy, setLossy] = useState(false);
  const download = async () => {
    setProblem(null);
    const { file, failed } = await load(encoding);
    if (!file) {
      setProblem(errorText(failed ? "unknown" : "NOT_FOUND"));
      return;
    }
    setLossy(file.lossy);
    const type = encoding === "CP932" ? "text/csv;charset=shift_jis" : "text/csv;charset=utf-8";
    const url = URL.createObjectURL(new Blob([base64Bytes(file.contentBase64)], { type }));
    const link = document.createElement("a");
    link.href = url;
    link.download = file.filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <div className="csv-export">
      <label htmlFor={selectId}>{t("survey.csvEncoding")}</label>{" "}
      <select
        id={selectId}
        value={encoding}
        onChange={(e) => setEncoding(e.target.value === "UTF8" ? "UTF8" : "CP932")}
      >
        <option value="CP932">{t("survey.csvCp932")}</option>
        <option value="UTF8">{t("survey.csvUtf8")}</option>
      </select>{" "}
      <button type="button" onClick={() => void download()}>
        {t("survey.csvDownload")}
      </button>
      <div aria-live="polite">
        {lossy ? <p className="hint">{t("survey.csvLossy")}</p> : null}
        {problem ? <p className="error">{problem}</p> : null}
      </div>
    </div>
  );
}
