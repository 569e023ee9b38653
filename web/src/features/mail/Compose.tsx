import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { useI18n } from "../../i18n/language";
import { FilePicker } from "../../ui/FilePicker";
import type { Uploaded } from "../../ui/files";
import { MailAddressSuggestionsQuery, SaveMailDraftMutation, SendMailMutation } from "./operations";

export interface ComposeDraft {
  mailboxId: string;
  to: string;
  cc: string;
  subject: string;
  textBody: string;
  replyToId: string | null;
  draftId: string | null;
  /** Uploads (POST /files/mail), a draft's own files or a forwarded message's. */
  attachments: Uploaded[];
}

interface FieldError {
  code: string;
  field?: string | null;
}

/** `a@x, 山田 <b@x>` as the API's list; a comma inside a quoted name stays in it. */
export function splitAddresses(text: string): string[] {
  return (text.match(/("[^"]*"|[^,、])+/g) ?? []).map((part) => part.trim()).filter(Boolean);
}

/**
 * An address field with completion from the directory and shared mailboxes: the part after
 * the last comma is looked up, and each suggestion completes the whole field (a datalist,
 * so the browser's own keyboard and pointer handling offers it).
 */
function AddressField({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
}) {
  const id = useId();
  const cut = Math.max(value.lastIndexOf(","), value.lastIndexOf("、"));
  const before = cut >= 0 ? `${value.slice(0, cut + 1).trimEnd()} ` : "";
  const words = value.slice(cut + 1).trim();
  const [{ data }] = useQuery({
    query: MailAddressSuggestionsQuery,
    variables: { search: words },
    pause: words.length < 1 || words.includes("@"),
  });
  const suggestions = words ? (data?.mailAddressSuggestions ?? []) : [];
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        list={`${id}-list`}
        value={value}
        autoComplete="off"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => onChange(event.target.value)}
      />
      <datalist id={`${id}-list`}>
        {suggestions.map((s) => (
          <option
            key={s.address}
            value={`${before}${s.name ? `${s.name} <${s.address}>` : s.address}, `}
          >
            {s.name ? `${s.name} <${s.address}>` : s.address}
          </option>
        ))}
      </datalist>
      {error ? (
        <p id={`${id}-error`} className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** New mail, a reply or a forward; sent, or kept as a draft. */
export function Compose({
  initial,
  mailboxes,
  onDone,
  onCancel,
}: {
  initial: ComposeDraft;
  mailboxes: readonly { id: string; name: string; address: string }[];
  onDone: (outcome: "sent" | "saved") => void;
  onCancel: () => void;
}) {
  const { t, errorText } = useI18n();
  const id = useId();
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [sendState, send] = useMutation(SendMailMutation);
  const [saveState, save] = useMutation(SaveMailDraftMutation);
  const [uploading, setUploading] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  const set = (part: Partial<ComposeDraft>) => setForm((current) => ({ ...current, ...part }));
  const input = () => ({
    mailboxId: form.mailboxId,
    to: splitAddresses(form.to),
    cc: splitAddresses(form.cc),
    subject: form.subject,
    textBody: form.textBody,
    replyToId: form.replyToId,
    draftId: form.draftId,
    attachmentIds: form.attachments.map((file) => file.id),
  });
  const fieldError = (field: string) => {
    const error = errors.find((e) => e.field === field);
    return error ? errorText(error.code) : undefined;
  };
  const general = errors.filter(
    (e) => !["to", "cc", "subject", "textBody", "attachmentIds"].includes(e.field ?? ""),
  );

  const onSend = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await send({ input: input() });
    if (answer.error) return setErrors([{ code: errorCode(answer.error) }]);
    const payload = answer.data?.sendMail;
    if (payload?.errors.length) return setErrors(payload.errors);
    onDone("sent");
  };
  const onSave = async () => {
    const answer = await save({ input: input() });
    if (answer.error) return setErrors([{ code: errorCode(answer.error) }]);
    const payload = answer.data?.saveMailDraft;
    if (payload?.errors.length) return setErrors(payload.errors);
    if (payload?.message) set({ draftId: payload.message.id });
    onDone("saved");
  };
  const busy = sendState.fetching || saveState.fetching || uploading;
  return (
    <form className="card mail-compose" aria-labelledby={`${id}-title`} onSubmit={onSend}>
      <h2 id={`${id}-title`} tabIndex={-1} ref={heading}>
        {form.replyToId ? t("mail.composeReply") : t("mail.compose")}
      </h2>
      <div className="field">
        <label htmlFor={`${id}-from`}>{t("mail.from")}</label>
        <select
          id={`${id}-from`}
          value={form.mailboxId}
          onChange={(event) => set({ mailboxId: event.target.value })}
        >
          {mailboxes.map((box) => (
            <option key={box.id} value={box.id}>
              {box.name} &lt;{box.address}&gt;
            </option>
          ))}
        </select>
      </div>
      <AddressField
        label={t("mail.to")}
        value={form.to}
        onChange={(to) => set({ to })}
        error={fieldError("to")}
      />
      <AddressField
        label={t("mail.cc")}
        value={form.cc}
        onChange={(cc) => set({ cc })}
        error={fieldError("cc")}
      />
      <p className="hint">{t("mail.addressHint")}</p>
      <div className="field">
        <label htmlFor={`${id}-subject`}>{t("mail.subject")}</label>
        <input
          id={`${id}-subject`}
          type="text"
          value={form.subject}
          onChange={(event) => set({ subject: event.target.value })}
        />
        {fieldError("subject") ? <p className="error">{fieldError("subject")}</p> : null}
      </div>
      <div className="field">
        <label htmlFor={`${id}-body`}>{t("mail.body")}</label>
        <textarea
          id={`${id}-body`}
          rows={12}
          value={form.textBody}
          onChange={(event) => set({ textBody: event.target.value })}
        />
        {fieldError("textBody") ? <p className="error">{fieldError("textBody")}</p> : null}
      </div>
      <FilePicker
        endpoint="/files/mail"
        value={form.attachments}
        onChange={(attachments) => set({ attachments })}
        onBusy={setUploading}
        text={{
          label: t("mail.attach"),
          hint: t("mail.attachHint"),
          uploading: t("mail.uploading"),
          list: t("mail.attachments"),
          remove: t("mail.removeFile"),
          removeName: (name) => t("mail.removeFileOf", { name }),
        }}
      />
      {fieldError("attachmentIds") ? (
        <p className="error" role="alert">
          {fieldError("attachmentIds")}
        </p>
      ) : null}
      {general.length > 0 ? (
        <div role="alert">
          {general.map((error) => (
            <p key={`${error.code}/${error.field ?? ""}`} className="error">
              {errorText(error.code)}
            </p>
          ))}
        </div>
      ) : null}
      <div className="mail-actions">
        <button type="submit" className="primary" disabled={busy}>
          {t("mail.send")}
        </button>
        <button type="button" disabled={busy} onClick={() => void onSave()}>
          {t("mail.saveDraft")}
        </button>
        <button type="button" onClick={onCancel}>
          {t("mail.cancel")}
        </button>
      </div>
    </form>
  );
}
