// Yui shows every time in Japan time whatever the computer's zone is (DESIGN rule 8). Japan
// has no daylight saving time, so a Japan-time day is a fixed +09:00 window.
import type { Language } from "../i18n/messages";

export const TIME_ZONE = "Asia/Tokyo";
const JST_OFFSET = "+09:00";

const locales: Record<Language, string> = { ja: "ja-JP", en: "en-GB" };

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function format(language: Language, kind: "date" | "time" | "weekday"): Intl.DateTimeFormat {
  const cacheKey = `${language}:${kind}`;
  let formatter = dateFormats.get(cacheKey);
  if (!formatter) {
    const options: Intl.DateTimeFormatOptions =
      kind === "date"
        ? { year: "numeric", month: "long", day: "numeric", weekday: "short" }
        : kind === "weekday"
          ? { month: "numeric", day: "numeric", weekday: "short" }
          : { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    formatter = new Intl.DateTimeFormat(locales[language], { ...options, timeZone: TIME_ZONE });
    dateFormats.set(cacheKey, formatter);
  }
  return formatter;
}

/** Accepts an ISO date-time, a plain date (YYYY-MM-DD, taken as that day in Japan) or a Date. */
function toInstant(value: string | Date): Date {
  if (value instanceof Date) return value;
  return /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(`${value}T12:00:00${JST_OFFSET}`)
    : new Date(value);
}

/** 2026年12月3日(木) in Japanese; Thu 3 December 2026 in English. */
export function formatDate(value: string | Date, language: Language = "ja"): string {
  return format(language, "date").format(toInstant(value));
}

/** 12/3(木): a day heading inside a week. */
export function formatShortDate(value: string | Date, language: Language = "ja"): string {
  return format(language, "weekday").format(toInstant(value));
}

/** 09:30, Japan time. */
export function formatTime(value: string | Date, language: Language = "ja"): string {
  return format(language, "time").format(toInstant(value));
}

/** The Japan-time calendar date (YYYY-MM-DD) of an instant. */
export function japanDate(instant: Date): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: TIME_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(instant);
  return parts; // en-CA formats as YYYY-MM-DD
}

/** YYYY-MM-DD plus `days` (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + days));
  return next.toISOString().slice(0, 10);
}

/** Midnight of a Japan-time date, as the API's DateTime (with offset). */
export function japanMidnight(date: string): string {
  return `${date}T00:00:00${JST_OFFSET}`;
}

export interface Span {
  start: string;
  end: string;
}

/** Today and the Monday-to-Sunday week around `now`, as Japan-time dates and API windows. */
export function todayAndWeek(now: Date): {
  today: string;
  days: string[];
  day: Span;
  week: Span;
} {
  const today = japanDate(now);
  const [y, m, d] = today.split("-").map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 Sunday
  const monday = addDays(today, -((weekday + 6) % 7));
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  return {
    today,
    days,
    day: { start: japanMidnight(today), end: japanMidnight(addDays(today, 1)) },
    week: { start: japanMidnight(monday), end: japanMidnight(addDays(monday, 7)) },
  };
}

const wareki = new Map<Language, Intl.DateTimeFormat>();
/**
 * The date in the Japanese era calendar (和暦), e.g. 令和8年12月3日, 令和元年5月1日: forms show it
 * next to a date input, as municipal paperwork is dated that way. The era names come from
 * the browser's calendar data (ICU), so a new era needs no release of Yui.
 */
export function formatWareki(value: string | Date, language: Language = "ja"): string {
  let formatter = wareki.get(language);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(
      language === "ja" ? "ja-JP-u-ca-japanese" : "en-GB-u-ca-japanese",
      { era: "long", year: "numeric", month: "long", day: "numeric", timeZone: TIME_ZONE },
    );
    wareki.set(language, formatter);
  }
  return formatter.format(toInstant(value));
}

/** The Japan-time wall clock of an instant as HH:MM (for a time input). */
export function japanTime(instant: Date): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: TIME_ZONE,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(instant);
}

/** A Japan-time date and HH:MM as the API's DateTime (with offset). */
export function japanDateTime(date: string, time: string): string {
  return `${date}T${time}:00${JST_OFFSET}`;
}
