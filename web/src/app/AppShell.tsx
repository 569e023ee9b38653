import { type ReactNode, useEffect, useRef } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { useI18n } from "../i18n/language";
import type { MessageKey } from "../i18n/messages";
import { LanguageSelect } from "../ui/LanguageSelect";
import { Link, useRouter } from "./router";

export const NAVIGATION: readonly { path: string; label: MessageKey }[] = [
  { path: "/", label: "nav.portal" },
  { path: "/schedule", label: "nav.schedule" },
  { path: "/facilities", label: "nav.facilities" },
  { path: "/notices", label: "nav.notices" },
  { path: "/circulations", label: "nav.circulations" },
  { path: "/surveys", label: "nav.surveys" },
  { path: "/council", label: "nav.council" },
  { path: "/mail", label: "nav.mail" },
  { path: "/messages", label: "nav.messages" },
  { path: "/directory", label: "nav.directory" },
  { path: "/settings", label: "nav.settings" },
];

// Whether to offer administration: read from what a screen already fetched (every screen's
// one request asks for me.roles, so an address opened directly shows it too), never a request
// of its own.
const ShellRolesQuery = graphql(`
  query ShellRoles {
    me {
      id
      roles
    }
  }
`);

export function AppShell({ children, onSignOut }: { children: ReactNode; onSignOut: () => void }) {
  const { t } = useI18n();
  const { path } = useRouter();
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(path);
  const [roles] = useQuery({ query: ShellRolesQuery, requestPolicy: "cache-only" });
  const isAdmin = (roles.data?.me?.roles ?? []).includes("TENANT_ADMIN");
  // After moving to another screen, start reading (and tabbing) at its content, as a page
  // load would; the first screen keeps the browser's own start.
  useEffect(() => {
    if (path !== firstPath.current) main.current?.focus();
  }, [path]);
  return (
    <>
      <a className="skip-link" href="#main">
        {t("app.skipToContent")}
      </a>
      <header className="shell-header">
        <span className="brand">{t("app.name")}</span>
        <nav aria-label={t("nav.label")}>
          <ul>
            {NAVIGATION.map((item) => (
              <li key={item.path}>
                <Link to={item.path}>{t(item.label)}</Link>
              </li>
            ))}
            {isAdmin ? (
              <li>
                <Link to="/admin">{t("nav.admin")}</Link>
              </li>
            ) : null}
          </ul>
        </nav>
        <div className="shell-tools">
          <LanguageSelect />
          <button type="button" onClick={onSignOut}>
            {t("nav.signOut")}
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        {children}
      </main>
    </>
  );
}
