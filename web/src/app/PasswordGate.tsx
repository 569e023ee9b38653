import { useEffect, useRef } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { useI18n } from "../i18n/language";
import { LanguageSelect } from "../ui/LanguageSelect";
import { PasswordChangeForm } from "../ui/PasswordChange";

// Only what the API answers while the password must change: me and changePassword.
const PasswordGateQuery = graphql(`
  query PasswordGate {
    me {
      id
      name
      loginId
      mustChangePassword
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
  const { t } = useI18n();
  const [result] = useQuery({ query: PasswordGateQuery, requestPolicy: "network-only" });
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
          <PasswordChangeForm
            currentLabel={t("gate.issuedPassword")}
            submitLabel={t("gate.submit")}
            onChanged={onChanged}
          />
        </section>
      </main>
    </>
  );
}
