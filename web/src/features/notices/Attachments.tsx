import { useI18n } from "../../i18n/language";
import { FilePicker } from "../../ui/FilePicker";
import { formatSize, type Uploaded } from "../../ui/files";

export type { Uploaded };

/** Choose files to attach: each goes up to POST /files/notices at once (its ID then named in
 * the form's attachmentIds), is listed, and can be taken off again. */
export function AttachmentPicker({
  value,
  onChange,
}: {
  value: readonly Uploaded[];
  onChange: (next: Uploaded[]) => void;
}) {
  const { t } = useI18n();
  return (
    <FilePicker
      endpoint="/files/notices"
      value={value}
      onChange={onChange}
      text={{
        label: t("notices.attach"),
        hint: t("notices.attachHint"),
        uploading: t("notices.uploading"),
        list: t("notices.attachments"),
        remove: "×",
        removeName: (name) => t("notices.remove", { name }),
      }}
    />
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
