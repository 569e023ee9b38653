import { type FormEvent, useEffect, useId, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { errorCode } from "../api/errors";
import { signIn } from "../features/auth/session";
import { graphql } from "../gql";
import { useI18n } from "../i18n/language";
import { LanguageSelect } from "../ui/LanguageSelect";

// Only what the API answers while the password must change: me and changePassword.
const PasswordGateQuery = graphql(`
  query PasswordGate {
    me {
      id
      name
      loginId
      mustChangePassword
      tenant {
        id
        code
      }
    }
  }
`);

const ChooseOwnPassword = graphql(`
  mutation ChooseOwnPassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword) {
      ok
      errors {
        code
        field
      }
    }
  }
`);

/** The only page of an account whose password an administrator issued: choose your own
 * (the issued one, the new one twice), then the portal. Signing out stays possible. */
export function PasswordGate({
  onChanged,
  onSignOut,
  onSignedOut,
}: {
  onChanged: () => void;
  onSignOut: () => void;
  onSignedOut: () => void;
}) {
  const { t, errorText } = useI18n();
  const ids = { current: useId(), next: useId(), again: useId(), hint: useId(), msg: useId() };
  const [result] = useQuery({ query: PasswordGateQuery, requestPolicy: "network-only" });
  const [state, change] = useMutation(ChooseOwnPassword);
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  const me = result.data?.me;
  const signedOut = result.data !== undefined && !me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  useEffect(() => {
    heading.current?.focus();
  }, []);
  // Changed elsewhere meanwhile (another tab): nothing left to do here.
  const alreadyChanged = me?.mustChangePassword === false;
  useEffect(() => {
    if (alreadyChanged) onChanged();
  }, [alreadyChanged, onChanged]);

  const refused = state.data?.changePassword.errors[0];
  const failure = mismatch
    ? t("settings.passwordMismatch")
    : state.error
      ? errorText(errorCode(state.error))
      : refused
        ? errorText(refused.code)
        : null;
  const fieldAtFault = mismatch ? "confirm" : refused?.field;

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (next !== again) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    const answer = await change({ currentPassword: current, newPassword: next });
    if (!answer.data?.changePassword.ok) return;
    // A new password ends the sessions made with the old one (this one too, through
    // /graphql): sign in again with the new one, as the person just did with the old.
    const tenant = me?.tenant?.code;
    const renewed =
      me && tenant ? await signIn({ tenant, loginId: me.loginId, password: next }) : null;
    if (renewed?.ok) onChanged();
    else onSignedOut();
  };

  return (
    <>
      <div className="login-tools">
        <LanguageSelect />
        <button type="button" onClick={onSignOut}>
          {t("nav.signOut")}
        </button>
      </div>
      <main id="main" className="password-gate">
        <section className="card" aria-labelledby="gate-title">
          <h1 id="gate-title" tabIndex={-1} ref={heading}>
            {t("gate.title")}
          </h1>
          {me ? <p>{t("gate.who", { name: me.name, loginId: me.loginId })}</p> : null}
          <p>{t("gate.intro")}</p>
          <form className="stacked" onSubmit={onSubmit}>
            <label htmlFor={ids.current}>{t("gate.issuedPassword")}</label>
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
              {state.fetching ? t("settings.changing") : (failure ?? "")}
            </p>
            <div>
              <button type="submit" disabled={state.fetching}>
                {t("gate.submit")}
              </button>
            </div>
          </form>
        </section>
      </main>
    </>
  );
}
