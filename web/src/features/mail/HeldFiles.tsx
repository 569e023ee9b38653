import { useEffect, useId, useRef, useState } from "react";
import { type CombinedError, useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { useI18n } from "../../i18n/language";
import { formatSize } from "../../ui/files";
import { formatWhen } from "../../ui/lists";
import {
  DeleteHeldMailAttachmentMutation,
  HeldMailAttachmentsQuery,
  ReleaseMailAttachmentMutation,
} from "./operations";

// Text with a line-break opportunity after the first `mark`: a MIME type after its slash
// ("application/", then "pdf"), an address after its @; never inside a word.
function breakAfter(text: string, mark: string) {
  const at = text.indexOf(mark);
  if (at < 0) return text;
  return (
    <>
      {text.slice(0, at + 1)}
      <wbr />
      {text.slice(at + 1)}
    </>
  );
}

/** Delete, asked twice in place; the focus moves to "cancel" so Enter by habit does no harm. */
function DeleteHeld({
  name,
  disabled,
  onConfirm,
}: {
  name: string;
  disabled: boolean;
  onConfirm: () => void;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancel.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button
        type="button"
        disabled={disabled}
        aria-label={t("mail.held.deleteOf", { name })}
        onClick={() => setAsking(true)}
      >
        {t("mail.held.delete")}
      </button>
    );
  }
  return (
    <fieldset className="confirm">
      <legend>{t("mail.held.confirmDelete", { name })}</legend>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t("mail.held.confirmYes")}
      </button>{" "}
      <button type="button" ref={cancel} onClick={() => setAsking(false)}>
        {t("mail.held.cancel")}
      </button>
    </fieldset>
  );
}

/**
 * メール無害化's held files of the municipality, for its administrators (release requests
 * first, as the API orders them): release one to its recipients, or delete it for good.
 * A view of its own on the mail screen, asked for when opened (not part of the page's
 * request: most people never see it).
 */
export function HeldFiles({ onClose }: { onClose: () => void }) {
  const { t, language, errorText } = useI18n();
  const id = useId();
  const [result, reexecute] = useQuery({
    query: HeldMailAttachmentsQuery,
    requestPolicy: "cache-and-network",
  });
  const [releaseState, release] = useMutation(ReleaseMailAttachmentMutation);
  const [deleteState, remove] = useMutation(DeleteHeldMailAttachmentMutation);
  const [status, setStatus] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  const busy = releaseState.fetching || deleteState.fetching;
  // After a decision: its message, or the problem; the file leaves the list, so ask again.
  const after = (
    answer: { error?: CombinedError; errors?: readonly { code: string }[] },
    message: string,
  ) => {
    const first = answer.errors?.[0];
    if (answer.error) return setProblem(errorText(errorCode(answer.error)));
    if (first) return setProblem(errorText(first.code));
    setProblem(null);
    setStatus(message);
    reexecute({ requestPolicy: "network-only" });
  };
  const onRelease = async (fileId: string) => {
    const answer = await release({ id: fileId });
    after(
      { error: answer.error, errors: answer.data?.releaseMailAttachment.errors },
      t("mail.held.released"),
    );
  };
  const onDelete = async (fileId: string) => {
    const answer = await remove({ id: fileId });
    after(
      { error: answer.error, errors: answer.data?.deleteHeldMailAttachment.errors },
      t("mail.held.deleted"),
    );
  };
  const held = result.data?.heldMailAttachments ?? [];
  return (
    <section className="card mail-held" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} tabIndex={-1} ref={heading}>
        {t("mail.held.title")}
      </h2>
      <p className="hint">{t("mail.held.hint")}</p>
      <p className="visually-hidden" role="status" aria-live="polite">
        {status}
      </p>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {result.error && !result.data ? (
        <p className="error" role="alert">
          {errorText(errorCode(result.error))}
        </p>
      ) : !result.data ? (
        <p className="hint">{t("app.loading")}</p>
      ) : held.length === 0 ? (
        <p>{t("mail.held.empty")}</p>
      ) : (
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("mail.held.file")}</th>
                <th scope="col">{t("mail.held.message")}</th>
                <th scope="col" className="request">
                  {t("mail.held.request")}
                </th>
                <th scope="col">{t("mail.held.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {held.map((item) => {
                const file = item.attachment;
                return (
                  <tr key={file.id}>
                    <td>
                      {file.name} <small className="size">({formatSize(file.size)})</small>
                      <br />
                      <small className="who words">{breakAfter(file.contentType, "/")}</small>
                    </td>
                    <td>
                      {item.subject || t("mail.noSubject")}
                      <br />
                      <small className="who words">
                        {item.from.name ? `${item.from.name} <` : null}
                        {breakAfter(item.from.address, "@")}
                        {item.from.name ? ">" : null}
                        {" · "}
                        {formatWhen(item.receivedAt, language)}
                      </small>
                    </td>
                    <td className="request">
                      {file.releaseRequestedAt ? (
                        <>
                          {t("mail.held.requestedBy", {
                            name: item.releaseRequestedBy?.name ?? "—",
                          })}
                          <br />
                          <small className="who">
                            {formatWhen(file.releaseRequestedAt, language)}
                          </small>
                        </>
                      ) : (
                        t("mail.held.notRequested")
                      )}
                    </td>
                    <td className="actions">
                      <button
                        type="button"
                        disabled={busy}
                        aria-label={t("mail.held.releaseOf", { name: file.name })}
                        onClick={() => void onRelease(file.id)}
                      >
                        {t("mail.held.release")}
                      </button>{" "}
                      <DeleteHeld
                        name={file.name}
                        disabled={busy}
                        onConfirm={() => void onDelete(file.id)}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div className="mail-actions">
        <button type="button" onClick={onClose}>
          {t("mail.held.close")}
        </button>
      </div>
    </section>
  );
}
