import { useId } from "react";
import { useI18n } from "../i18n/language";
import { isLanguage, LANGUAGE_NAMES, LANGUAGES } from "../i18n/messages";

export function LanguageSelect() {
  const { language, setLanguage, t } = useI18n();
  const id = useId();
  return (
    <span className="language">
      <label htmlFor={id}>{t("app.language")}</label>
      <select
        id={id}
        value={language}
        onChange={(event) => {
          if (isLanguage(event.target.value)) setLanguage(event.target.value);
        }}
      >
        {LANGUAGES.map((code) => (
          <option key={code} value={code} lang={code}>
            {LANGUAGE_NAMES[code]}
          </option>
        ))}
      </select>
    </span>
  );
}
