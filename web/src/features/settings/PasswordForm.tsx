import { type FormEvent, useId, useState } from "react";
import { useMutation } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";

const ChangePassword = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {
      ok
      errors {
        code
        field
      }
    }
  }
`);

/** Current password, the new one twice; failures by code (WRONG_PASSWORD, WEAK_PASSWORD,
 * TOO_MANY_ATTEMPTS) in the person's language, next to the field at fault. */
export function PasswordForm() {
  const { t, errorText } = useI18n();
  const ids = { current: useId(), next: useId(), again: useId(), hint: useId(), msg: useId() };
  const [state, change] = useMutation(ChangePassword);
  // What is being typed, never sent anywhere but the mutation.
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [mismatch, setMismatch] = useState(false);

  const refused = state.data?.changePassword.errors[0];
  // The local check first: a mismatch is found before anything is sent.
  const failure = mismatch
    ? t("settings.passwordMismatch")
    : state.error
      ? errorText(errorCode(state.error))
      : refused
        ? errorText(refused.code)
        : null;
  const changed = !failure && state.data?.changePassword.ok;
  const fieldAtFault = mismatch ? "confirm" : refused?.field;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (next !== again) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    const result = await change({ currentPassword: current, newPassword: next });
    if (result.data?.changePassword.ok) {
      setCurrent("");
      setNext("");
      setAgain("");
    }
  };

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">{t("settings.password")}</h2>
      <form className="stacked" onSubmit={onSubmit}>
        <label htmlFor={ids.current}>{t("settings.currentPassword")}</label>
        <input
          id={ids.current}
          type="password"
          autoComplete="current-password"
          required
          value={current}
          aria-invalid={fieldAtFault === "currentPassword" || undefined}
          aria-describedby={ids.msg}
          onChange={(event) => setCurrent(event.target.value)}
        />
        <label htmlFor={ids.next}>{t("settings.newPassword")}</label>
        <input
          id={ids.next}
          type="password"
          autoComplete="new-password"
          required
          value={next}
          aria-invalid={fieldAtFault === "newPassword" || undefined}
          aria-describedby={`${ids.hint} ${ids.msg}`}
          onChange={(event) => setNext(event.target.value)}
        />
        <p id={ids.hint} className="hint">
          {t("settings.passwordHint")}
        </p>
        <label htmlFor={ids.again}>{t("settings.confirmPassword")}</label>
        <input
          id={ids.again}
          type="password"
          autoComplete="new-password"
          required
          value={again}
          aria-invalid={fieldAtFault === "confirm" || undefined}
          aria-describedby={ids.msg}
          onChange={(event) => setAgain(event.target.value)}
        />
        <p id={ids.msg} role="status" className={failure ? "error" : "hint"}>
          {state.fetching
            ? t("settings.changing")
            : (failure ?? (changed ? t("settings.passwordChanged") : ""))}
        </p>
        <div>
          <button type="submit" disabled={state.fetching}>
            {t("settings.changePassword")}
          </button>
        </div>
      </form>
    </section>
  );
}
