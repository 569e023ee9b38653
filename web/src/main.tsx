import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { ErrorBoundary } from "./app/ErrorBoundary";
import { Router } from "./app/router";
import { I18nProvider } from "./i18n/language";
import { OfflineBanner } from "./pwa/OfflineBanner";
import { registerServiceWorker } from "./pwa/register";
import "./ui/yui.css";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary>
        <I18nProvider>
          <OfflineBanner />
          <Router>
            <App />
          </Router>
        </I18nProvider>
      </ErrorBoundary>
    </StrictMode>,
  );
}

registerServiceWorker();
