import { useEffect } from "react";
import { useQuery } from "urql";
import { errorCode } from "../../api/errors";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { LanguageSelect } from "../../ui/LanguageSelect";
import { AccessTokens } from "./AccessTokens";
import { CalendarFeeds } from "./CalendarFeeds";
import { IcsImport } from "./IcsImport";
import { PasswordForm } from "./PasswordForm";

// The screen's one request: my tokens and feeds (the password form needs no data).
const SettingsQuery = graphql(`
  query SettingsPage {
    me {
      id
      roles
    }
    accessTokens {
      id
      ...AccessTokenRow_token
    }
    calendarFeeds {
      id
      ...CalendarFeedRow_feed
    }
  }
`);

export function SettingsPage({ onSignedOut }: { onSignedOut: () => void }) {
  const { t, errorText } = useI18n();
  const [result, reexecute] = useQuery({ query: SettingsQuery });
  const data = result.data;
  const signedOut = data !== undefined && !data.me;
  useEffect(() => {
    if (signedOut) onSignedOut();
  }, [signedOut, onSignedOut]);
  if (result.error && !data) {
    return (
      <div className="card">
        <p className="error" role="alert">
          {errorText(errorCode(result.error))}
        </p>
        <button type="button" onClick={() => reexecute({ requestPolicy: "network-only" })}>
          {t("app.retry")}
        </button>
      </div>
    );
  }
  return (
    <>
      <header className="page-header">
        <h1>{t("settings.title")}</h1>
      </header>
      <div className="grid">
        <PasswordForm />
        <section className="card" aria-labelledby="language-title">
          <h2 id="language-title">{t("settings.language")}</h2>
          <p>{t("settings.languageIntro")}</p>
          <LanguageSelect />
        </section>
        {data ? (
          <>
            <AccessTokens tokens={data.accessTokens} />
            <CalendarFeeds feeds={data.calendarFeeds} />
            <IcsImport />
          </>
        ) : (
          <p aria-busy="true">{t("app.loading")}</p>
        )}
      </div>
    </>
  );
}
