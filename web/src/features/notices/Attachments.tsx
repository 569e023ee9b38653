import { useId, useState } from "react";
import { csrfToken } from "../../api/csrf";
import { useI18n } from "../../i18n/language";
import { formatSize } from "./logic";

export interface Uploaded {
  id: string;
  name: string;
  size: number;
}

// Files go up over plain HTTP (POST /files/notices, the session with its CSRF header), not
// through GraphQL; the IDs it answers are then named in the form's attachmentIds.
async function upload(file: File): Promise<{ attachment?: Uploaded; code?: string }> {
  const body = new FormData();
  body.append("file", file, file.name);
  try {
    const response = await fetch("/files/notices", {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    });
    const answer = (await response.json().catch(() => ({}))) as {
      attachment?: Uploaded;
      errors?: { code: string }[];
    };
    if (response.ok && answer.attachment) return { attachment: answer.attachment };
    return { code: answer.errors?.[0]?.code ?? "unknown" };
  } catch {
    return { code: "network" };
  }
}

/** Choose files to attach: each is uploaded at once, listed, and can be taken off again. */
export function AttachmentPicker({
  value,
  onChange,
}: {
  value: readonly Uploaded[];
  onChange: (next: Uploaded[]) => void;
}) {
  const { t, errorText } = useI18n();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const choose = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    setBusy(true);
    const added: Uploaded[] = [];
    const failed: string[] = [];
    for (const file of Array.from(files)) {
      const result = await upload(file);
      if (result.attachment) added.push(result.attachment);
      else failed.push(`${file.name}: ${errorText(result.code)}`);
    }
    setBusy(false);
    setProblems(failed);
    if (added.length > 0) onChange([...value, ...added]);
  };
  return (
    <div className="attachments-picker">
      <label htmlFor={`${id}-file`}>{t("notices.attach")}</label>
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
        {busy ? t("notices.uploading") : t("notices.attachHint")}
      </p>
      {value.length > 0 ? (
        <ul className="picked attachments" aria-label={t("notices.attachments")}>
          {value.map((file) => (
            <li key={file.id}>
              {file.name} <small>({formatSize(file.size)})</small>
              <button
                type="button"
                className="remove"
                aria-label={t("notices.remove", { name: file.name })}
                onClick={() => onChange(value.filter((other) => other.id !== file.id))}
              >
                ×
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

/** The files of a notice or circulation, each a download (the server never shows them inline). */
export function AttachmentList({
  files,
}: {
  files: readonly { id: string; name: string; size: number; url: string }[];
}) {
  const { t } = useI18n();
  if (files.length === 0) return null;
  return (
    <section className="card wide" aria-labelledby="attachments-title">
      <h2 id="attachments-title">{t("notices.attachments")}</h2>
      <ul className="item-list attachments">
        {files.map((file) => (
          <li key={file.id}>
            <a href={file.url} download={file.name}>
              {file.name}
            </a>{" "}
            <small>({formatSize(file.size)})</small>
          </li>
        ))}
      </ul>
    </section>
  );
}
