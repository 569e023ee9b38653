import { Component, type ReactNode } from "react";
import { DEFAULT_LANGUAGE, isLanguage, translate } from "../i18n/messages";

/** A screen that crashes says so and offers a reload, instead of leaving a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  render() {
    if (!this.state.failed) return this.props.children;
    // Outside the i18n context on purpose: the context itself may be what failed.
    const lang = document.documentElement.lang;
    const language = isLanguage(lang) ? lang : DEFAULT_LANGUAGE;
    return (
      <main id="main" className="card">
        <p className="error" role="alert">
          {translate(language, "error.unknown")}
        </p>
        <button type="button" onClick={() => window.location.reload()}>
          {translate(language, "app.retry")}
        </button>
      </main>
    );
  }
}
