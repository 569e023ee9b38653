import { type FormEvent, useId, useState } from "react";
import { useI18n } from "../../i18n/language";
import { errorMessage, type Language, translate } from "../../i18n/messages";
import { MunicipalityField } from "./MunicipalityField";
import { type Credentials, type SignInResult, signIn } from "./session";

/** Why sign-in failed, in the person's language; with the wait when the server said one. */
export function failureText(
  failure: Extract<SignInResult, { ok: false }>,
  language: Language,
): string {
  const reason = errorMessage(language, failure.code);
  return failure.retryAfter
    ? `${reason} ${translate(language, "error.retryAfter", { seconds: failure.retryAfter })}`
    : reason;
}

export function LoginPage({
  onSignedIn,
  submit = signIn,
}: {
  onSignedIn: () => void;
  submit?: (credentials: Credentials) => Promise<SignInResult>;
}) {
  const { t, language } = useI18n();
  const [form, setForm] = useState<Credentials>({ tenant: "", loginId: "", password: "" });
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Extract<SignInResult, { ok: false }> | null>(null);
  const errorId = useId();

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    const result = await submit(form);
    setBusy(false);
    if (result.ok) onSignedIn();
    else setFailure(result);
  };
  const field = (name: keyof Credentials) => ({
    name,
    value: form[name],
    onChange: (event: { target: { value: string } }) =>
      setForm((current) => ({ ...current, [name]: event.target.value })),
    "aria-describedby": failure ? errorId : undefined,
    "aria-invalid": failure ? true : undefined,
    required: true,
  });

  return (
    <main id="main" className="login">
      <h1>{t("app.name")}</h1>
      <form className="card login-form" onSubmit={onSubmit} noValidate>
        <h2>{t("login.title")}</h2>
        {failure && (
          <p id={errorId} className="error" role="alert">
            {failureText(failure, language)}
          </p>
        )}
        <MunicipalityField
          value={form.tenant}
          onChange={(tenant) => setForm((current) => ({ ...current, tenant }))}
          errorId={failure ? errorId : undefined}
        />
        <label>
          {t("login.loginId")}
          <input {...field("loginId")} autoComplete="username" autoCapitalize="off" />
        </label>
        <label>
          {t("login.password")}
          <input {...field("password")} type="password" autoComplete="current-password" />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? t("login.submitting") : t("login.submit")}
        </button>
      </form>
    </main>
  );
}
