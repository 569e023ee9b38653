import en from "./en.json";
import ja from "./ja.json";

export type MessageKey = keyof typeof ja;
export type Language = "ja" | "en";
export const LANGUAGES: readonly Language[] = ["ja", "en"];
export const DEFAULT_LANGUAGE: Language = "ja";
// Each language is named in itself, so someone who cannot read the current one finds theirs.
export const LANGUAGE_NAMES: Record<Language, string> = { ja: "日本語", en: "English" };

// Japanese is the reference catalogue; en.json must have the same keys (a unit test says so).
const catalogues: Record<Language, Record<string, string>> = { ja, en };

/** The message for `key` in `language`, with `{name}` placeholders filled in. */
export function translate(
  language: Language,
  key: MessageKey,
  values: Record<string, string | number> = {},
): string {
  const template = catalogues[language][key] ?? ja[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

export function isLanguage(value: unknown): value is Language {
  return value === "ja" || value === "en";
}

/** The message of an API error code (extensions.code, a typed error's code, a sign-in error). */
export function errorMessage(language: Language, code: string | null | undefined): string {
  const key = `error.${code ?? ""}`;
  return key in ja ? translate(language, key as MessageKey) : translate(language, "error.unknown");
}
