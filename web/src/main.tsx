import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { ErrorBoundary } from "./app/ErrorBoundary";
import { Router } from "./app/router";
import { I18nProvider } from "./i18n/language";
import "./ui/yui.css";

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary>
        <I18nProvider>
          <Router>
            <App />
          </Router>
        </I18nProvider>
      </ErrorBoundary>
    </StrictMode>,
  );
}
