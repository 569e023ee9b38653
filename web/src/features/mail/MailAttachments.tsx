import { useId } from "react";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatSize } from "../../ui/files";

export const MailAttachmentsFragment = graphql(`
  fragment MailAttachments_message on MailMessage {
    id
    attachments {
      id
      name
      size
      contentType
      state
      releaseRequestedAt
      url
    }
  }
`);

/**
 * A message's files: each AVAILABLE one a download (a signed link; the server never shows a
 * file inline); a file メール無害化 holds says so and can be asked to be released, once; a
 * deleted one keeps its name.
 */
export function MailAttachments({
  message,
  busy,
  onRequestRelease,
}: {
  message: FragmentType<typeof MailAttachmentsFragment>;
  busy: boolean;
  onRequestRelease: (attachmentId: string) => void;
}) {
  const { t } = useI18n();
  const id = useId();
  const { attachments } = readFragment(MailAttachmentsFragment, message);
  if (attachments.length === 0) return null;
  return (
    <section className="mail-attachments" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t("mail.attachments")}</h3>
      <ul className="item-list attachments">
        {attachments.map((file) => (
          <li key={file.id} className={`mail-attachment ${file.state.toLowerCase()}`}>
            {file.state === "AVAILABLE" && file.url ? (
              <a href={file.url} download={file.name}>
                {file.name}
              </a>
            ) : (
              <span className="name">{file.name}</span>
            )}{" "}
            <small>({formatSize(file.size)})</small>{" "}
            {file.state === "HELD" ? (
              <>
                <span className="badge">{t("mail.attachmentState.HELD")}</span>{" "}
                {file.releaseRequestedAt ? (
                  <span className="hint">{t("mail.releaseRequested")}</span>
                ) : (
                  <button
                    type="button"
                    disabled={busy}
                    aria-label={t("mail.requestReleaseOf", { name: file.name })}
                    onClick={() => onRequestRelease(file.id)}
                  >
                    {t("mail.requestRelease")}
                  </button>
                )}
              </>
            ) : file.state === "DELETED" ? (
              <span className="badge">{t("mail.attachmentState.DELETED")}</span>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
