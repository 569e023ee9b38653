import { useCallback, useEffect, useRef, useState } from "react";
import { Provider } from "urql";
import { createYuiClient, onPasswordChangeRequired, type YuiClient } from "../api/client";
import { AdminPage } from "../features/admin/AdminPage";
import { LoginPage } from "../features/auth/LoginPage";
import { signOut } from "../features/auth/session";
import { DirectoryPage } from "../features/directory/DirectoryPage";
import { FacilitiesPage } from "../features/facilities/FacilitiesPage";
import { MailPage } from "../features/mail/MailPage";
import { MessagesPage } from "../features/messages/MessagesPage";
import { CirculationsPage } from "../features/notices/CirculationsPage";
import { CouncilPage } from "../features/notices/CouncilPage";
import { NoticesPage } from "../features/notices/NoticesPage";
import { SurveysPage } from "../features/notices/SurveysPage";
import { ComingSoon, NotFound } from "../features/placeholder/ComingSoon";
import { PortalPage } from "../features/portal/PortalPage";
import { SchedulePage } from "../features/schedule/SchedulePage";
import { SettingsPage } from "../features/settings/SettingsPage";
import { useI18n } from "../i18n/language";
import { LanguageSelect } from "../ui/LanguageSelect";
import { AppShell, NAVIGATION } from "./AppShell";
import { PasswordGate } from "./PasswordGate";
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

  // An administrator issued this account's password: the API answers little else than
  // PASSWORD_CHANGE_REQUIRED until the person chose their own, so the app shows only that.
  const [mustChangePassword, setMustChangePassword] = useState(false);
  const gated = useRef(false);
  useEffect(
    () =>
      onPasswordChangeRequired(() => {
        gated.current = true;
        setMustChangePassword(true);
      }),
    [],
  );
  const ungate = useCallback(() => {
    gated.current = false;
    setMustChangePassword(false);
  }, []);

  // A screen whose `me` came back empty because of the gate is not signed out.
  const toLogin = useCallback(() => {
    if (!gated.current) navigate("/login", { replace: true });
  }, [navigate]);
  const onSignedIn = useCallback(() => {
    ungate();
    freshSession();
    navigate("/", { replace: true });
  }, [freshSession, navigate, ungate]);
  const onSignOut = useCallback(async () => {
    await signOut();
    ungate();
    freshSession();
    navigate("/login", { replace: true });
  }, [freshSession, navigate, ungate]);
  const onPasswordChosen = useCallback(() => {
    ungate();
    // Nothing cached while refused may stand: a new client reads every screen afresh.
    freshSession();
    navigate("/", { replace: true });
  }, [freshSession, navigate, ungate]);
  const gateSignedOut = useCallback(() => {
    ungate();
    navigate("/login", { replace: true });
  }, [navigate, ungate]);

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
  if (mustChangePassword) {
    return (
      <Provider value={api.client}>
        <PasswordGate
          onChanged={onPasswordChosen}
          onSignOut={onSignOut}
          onSignedOut={gateSignedOut}
        />
      </Provider>
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
        ) : path === "/mail" ? (
          <MailPage onSignedOut={toLogin} />
        ) : path === "/messages" ? (
          <MessagesPage onSignedOut={toLogin} />
        ) : path === "/council" || path.startsWith("/council/") ? (
          <CouncilPage path={path} onSignedOut={toLogin} />
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
