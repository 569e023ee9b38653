// The language the page shows, for the requests whose answers carry the server's own
// messages (sign-in, CSV import): sent as Accept-Language. The API client lives outside
// React, so the I18nProvider keeps this in step with its context.
import { DEFAULT_LANGUAGE, type Language } from "./messages";

let shown: Language = DEFAULT_LANGUAGE;

export function requestLanguage(): Language {
  return shown;
}

export function setRequestLanguage(language: Language): void {
  shown = language;
}
