import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from "react";
import {
  DEFAULT_LANGUAGE,
  errorMessage,
  isLanguage,
  type Language,
  type MessageKey,
  translate,
} from "./messages";
import { setRequestLanguage } from "./request-language";

const STORAGE_KEY = "yui.language";

function storedLanguage(): Language {
  try {
    const value = window.localStorage.getItem(STORAGE_KEY);
    return isLanguage(value) ? value : DEFAULT_LANGUAGE;
  } catch {
    // Storage may be disabled by policy on municipal PCs: fall back to Japanese.
    return DEFAULT_LANGUAGE;
  }
}

interface I18n {
  language: Language;
  setLanguage: (language: Language) => void;
  t: (key: MessageKey, values?: Record<string, string | number>) => string;
  errorText: (code: string | null | undefined) => string;
}

const I18nContext = createContext<I18n>({
  language: DEFAULT_LANGUAGE,
  setLanguage: () => {},
  t: (key, values) => translate(DEFAULT_LANGUAGE, key, values),
  errorText: (code) => errorMessage(DEFAULT_LANGUAGE, code),
});

export function I18nProvider({ children, initial }: { children: ReactNode; initial?: Language }) {
  const [language, setLanguageState] = useState<Language>(() => initial ?? storedLanguage());
  // During render, not in an effect: children's first queries start in their own effects,
  // which run before this component's.
  setRequestLanguage(language);
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  const setLanguage = useCallback((next: Language) => {
    setLanguageState(next);
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not stored: the choice lasts for this page only.
    }
  }, []);
  const t = useCallback(
    (key: MessageKey, values?: Record<string, string | number>) => translate(language, key, values),
    [language],
  );
  const errorText = useCallback(
    (code: string | null | undefined) => errorMessage(language, code),
    [language],
  );
  return (
    <I18nContext.Provider value={{ language, setLanguage, t, errorText }}>
      {children}
    </I18nContext.Provider>
  );
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}
