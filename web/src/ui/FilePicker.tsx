// The file picker of every form that attaches files (notices, circulations, mail).
import { useId, useState } from "react";
import { useI18n } from "../i18n/language";
import { formatSize, type Uploaded, uploadFile } from "./files";

/** What a picker says, in the words of the feature that shows it (already translated). */
export interface FilePickerText {
  label: string;
  hint: string;
  uploading: string;
  list: string;
  /** The remove button's visible text. */
  remove: string;
  /** The remove button's name for one file. */
  removeName: (name: string) => string;
}

/** Choose files to attach: each is uploaded at once, listed, and can be taken off again;
 * what was refused is said next to the field. */
export function FilePicker({
  endpoint,
  value,
  onChange,
  text,
  onBusy,
}: {
  endpoint: string;
  value: readonly Uploaded[];
  onChange: (next: Uploaded[]) => void;
  text: FilePickerText;
  /** Told when uploads start and end (a form may wait for them before sending). */
  onBusy?: (busy: boolean) => void;
}) {
  const { errorText } = useI18n();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const choose = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    setBusy(true);
    onBusy?.(true);
    const added: Uploaded[] = [];
    const failed: string[] = [];
    for (const file of Array.from(files)) {
      const result = await uploadFile(endpoint, file);
      if (result.attachment) added.push(result.attachment);
      else failed.push(`${file.name}: ${errorText(result.code)}`);
    }
    setBusy(false);
    onBusy?.(false);
    setProblems(failed);
    if (added.length > 0) onChange([...value, ...added]);
  };
  return (
    <div className="attachments-picker">
      <label htmlFor={`${id}-file`}>{text.label}</label>
      <input
        id={`${id}-file`}
        type="file"
        multiple
        disabled={busy}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          void choose(e.target.files);
          e.target.value = "";
        }}
      />
      <p id={`${id}-hint`} className="hint">
        {busy ? text.uploading : text.hint}
      </p>
      {value.length > 0 ? (
        <ul className="picked attachments" aria-label={text.list}>
          {value.map((file) => (
            <li key={file.id}>
              {file.name} <small>({formatSize(file.size)})</small>
              <button
                type="button"
                className="remove"
                aria-label={text.removeName(file.name)}
                onClick={() => onChange(value.filter((other) => other.id !== file.id))}
              >
                {text.remove}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div aria-live="polite">
        {problems.length > 0 ? (
          <ul className="error" role="alert">
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
