import { useEffect, useRef, useState } from "react";
import { Link } from "../../app/router";
import { useI18n } from "../../i18n/language";

/** Whether the roles (Person.roles) make someone a tenant administrator. */
export function isTenantAdmin(roles: readonly string[] | null | undefined): boolean {
  return (roles ?? []).includes("TENANT_ADMIN");
}

/** What a colleague who is not a tenant administrator sees at an administration address. */
export function NotAdmin() {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby="not-admin-title">
      <h1 id="not-admin-title">{t("admin.title")}</h1>
      <p role="alert">{t("admin.notAdmin")}</p>
      <p>
        <Link to="/">{t("comingSoon.back")}</Link>
      </p>
    </section>
  );
}

/** The heading of an administration screen, with the way back to the index. */
export function AdminHeader({ title, id }: { title: string; id: string }) {
  const { t } = useI18n();
  return (
    <header className="page-header">
      <p className="breadcrumb">
        <Link to="/admin">{t("admin.back")}</Link>
      </p>
      <h1 id={id}>{title}</h1>
    </header>
  );
}

/** Delete, asked twice in place; the focus moves to "cancel" so Enter by habit does no harm. */
export function ConfirmDelete({
  label,
  name,
  onConfirm,
  disabled,
}: {
  label: string;
  name: string;
  onConfirm: () => void;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) cancel.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <fieldset className="confirm">
      <legend>{t("admin.confirmDelete", { name })}</legend>
      <button
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {t("admin.confirmYes")}
      </button>{" "}
      <button type="button" ref={cancel} onClick={() => setAsking(false)}>
        {t("admin.cancel")}
      </button>
    </fieldset>
  );
}

export interface FieldError {
  code: string;
  field?: string | null;
}

/** The message of a typed error on one field of a form (null: none). */
export function useFieldError(errors: readonly FieldError[] | undefined) {
  const { errorText } = useI18n();
  return (field: string): string | null => {
    const found = (errors ?? []).find((error) => error.field === field);
    return found ? errorText(found.code) : null;
  };
}

/** Errors that name no field of the form, said once above it. */
export function FormErrors({
  errors,
  fields,
}: {
  errors: readonly FieldError[] | undefined;
  fields: readonly string[];
}) {
  const { errorText } = useI18n();
  const rest = (errors ?? []).filter((error) => !error.field || !fields.includes(error.field));
  if (rest.length === 0) return null;
  return (
    <ul className="error" role="alert">
      {rest.map((error) => (
        <li key={`${error.code}-${error.field ?? ""}`}>{errorText(error.code)}</li>
      ))}
    </ul>
  );
}
