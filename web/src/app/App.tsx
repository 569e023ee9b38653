import { useCallback, useState } from "react";
import { Provider } from "urql";
import { createYuiClient, type YuiClient } from "../api/client";
import { AdminPage } from "../features/admin/AdminPage";
import { LoginPage } from "../features/auth/LoginPage";
import { signOut } from "../features/auth/session";
import { DirectoryPage } from "../features/directory/DirectoryPage";
import { FacilitiesPage } from "../features/facilities/FacilitiesPage";
import { CirculationsPage } from "../features/notices/CirculationsPage";
import { NoticesPage } from "../features/notices/NoticesPage";
import { SurveysPage } from "../features/notices/SurveysPage";
import { ComingSoon, NotFound } from "../features/placeholder/ComingSoon";
import { PortalPage } from "../features/portal/PortalPage";
import { SchedulePage } from "../features/schedule/SchedulePage";
import { SettingsPage } from "../features/settings/SettingsPage";
import { useI18n } from "../i18n/language";
import { LanguageSelect } from "../ui/LanguageSelect";
import { AppShell, NAVIGATION } from "./AppShell";
import { useRouter } from "./router";

export function App() {
  const { path, navigate } = useRouter();
  const { t } = useI18n();
  // A new client (empty cache, new socket) for every session: nothing of the previous
  // person's data survives a sign-out or a sign-in as someone else.
  const [api, setApi] = useState<YuiClient>(() => createYuiClient());
  const freshSession = useCallback(() => {
    api.dispose();
    setApi(createYuiClient());
  }, [api]);

  const toLogin = useCallback(() => navigate("/login", { replace: true }), [navigate]);
  const onSignedIn = useCallback(() => {
    freshSession();
    navigate("/", { replace: true });
  }, [freshSession, navigate]);
  const onSignOut = useCallback(async () => {
    await signOut();
    freshSession();
    navigate("/login", { replace: true });
  }, [freshSession, navigate]);

  if (path === "/login") {
    return (
      <>
        <div className="login-tools">
          <LanguageSelect />
        </div>
        <LoginPage onSignedIn={onSignedIn} />
      </>
    );
  }
  const section = NAVIGATION.find((item) => item.path === path);
  return (
    <Provider value={api.client}>
      <AppShell onSignOut={onSignOut}>
        {path === "/" ? (
          <PortalPage onSignedOut={toLogin} />
        ) : path === "/schedule" ? (
          <SchedulePage onSignedOut={toLogin} />
        ) : path === "/facilities" ? (
          <FacilitiesPage onSignedOut={toLogin} />
        ) : path === "/notices" || path.startsWith("/notices/") ? (
          <NoticesPage path={path} onSignedOut={toLogin} />
        ) : path === "/circulations" || path.startsWith("/circulations/") ? (
          <CirculationsPage path={path} onSignedOut={toLogin} />
        ) : path === "/surveys" || path.startsWith("/surveys/") ? (
          <SurveysPage path={path} onSignedOut={toLogin} />
        ) : path === "/directory" ? (
          <DirectoryPage onSignedOut={toLogin} />
        ) : path === "/settings" ? (
          <SettingsPage onSignedOut={toLogin} />
        ) : path === "/admin" || path.startsWith("/admin/") ? (
          <AdminPage onSignedOut={toLogin} />
        ) : section ? (
          <ComingSoon screen={t(section.label)} />
        ) : (
          <NotFound />
        )}
      </AppShell>
    </Provider>
  );
}
