import { type FormEvent, useId, useState } from "react";
import { useMutation } from "urql";
import { errorCode } from "../api/errors";
import { graphql } from "../gql";
import { useI18n } from "../i18n/language";

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

/** The current password, the new one twice, and the person's own password change: the one
 * form of 設定 and of the page an issued password leads to. A mismatch is found before
 * anything is sent; refusals (WRONG_PASSWORD, WEAK_PASSWORD, SAME_PASSWORD,
 * TOO_MANY_ATTEMPTS) are shown by code, in the person's language, next to the field at fault.
 * The session stays signed in (the server keeps it and ends the account's other sessions). */
export function PasswordChangeForm({
  currentLabel,
  submitLabel,
  onChanged,
}: {
  currentLabel: string;
  submitLabel: string;
  /** After the change; without it the form empties and says the password was changed. */
  onChanged?: () => void;
}) {
  const { t, errorText } = useI18n();
  const ids = { current: useId(), next: useId(), again: useId(), hint: useId(), msg: useId() };
  const [state, change] = useMutation(ChangePassword);
  // What is being typed, never sent anywhere but the mutation.
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [mismatch, setMismatch] = useState(false);

  const refused = state.data?.changePassword.errors[0];
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
    if (!result.data?.changePassword.ok) return;
    setCurrent("");
    setNext("");
    setAgain("");
    onChanged?.();
  };

  const field = (
    id: string,
    label: string,
    value: string,
    set: (value: string) => void,
    name: "currentPassword" | "newPassword" | "confirm",
  ) => (
    <>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="password"
        autoComplete={name === "currentPassword" ? "current-password" : "new-password"}
        required
        value={value}
        aria-invalid={fieldAtFault === name || undefined}
        aria-describedby={name === "newPassword" ? `${ids.hint} ${ids.msg}` : ids.msg}
        onChange={(event) => set(event.target.value)}
      />
    </>
  );

  return (
    <form className="stacked" onSubmit={onSubmit}>
      {field(ids.current, currentLabel, current, setCurrent, "currentPassword")}
      {field(ids.next, t("settings.newPassword"), next, setNext, "newPassword")}
      <p id={ids.hint} className="hint">
        {t("settings.passwordHint")}
      </p>
      {field(ids.again, t("settings.confirmPassword"), again, setAgain, "confirm")}
      <p id={ids.msg} role="status" className={failure ? "error" : "hint"}>
        {state.fetching
          ? t("settings.changing")
          : (failure ?? (changed && !onChanged ? t("settings.passwordChanged") : ""))}
      </p>
      <div>
        <button type="submit" disabled={state.fetching}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
