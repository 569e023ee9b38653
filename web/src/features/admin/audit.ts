import ja from "../../i18n/ja.json";
import type { MessageKey } from "../../i18n/messages";
import { addDays, japanMidnight } from "../../ui/dates";

/** The groups of the action filter: each is a prefix of the API's action codes ("mail."
 * with its dot, so that it does not take in "mailbox"). */
export const AUDIT_ACTION_GROUPS = [
  "signin",
  "person",
  "csv.import",
  "token",
  "organization",
  "group",
  "facility",
  "reservation",
  "closed_day",
  "annual_closed_day",
  "leaver",
  "mailbox",
  "mail.",
  "tenant",
  "link",
] as const;

export interface AuditFilter {
  since: string; // YYYY-MM-DD (Japan), "" for no bound
  until: string; // YYYY-MM-DD (Japan), inclusive, "" for no bound
  actor: string;
  action: string;
}

export const NO_FILTER: AuditFilter = { since: "", until: "", actor: "", action: "" };

/** The API's arguments of a filter: days are whole Japan-time days, `until` included. */
export function auditVariables(filter: AuditFilter): {
  since: string | null;
  until: string | null;
  actor: string | null;
  action: string | null;
} {
  return {
    since: filter.since ? japanMidnight(filter.since) : null,
    until: filter.until ? japanMidnight(addDays(filter.until, 1)) : null,
    actor: filter.actor.trim() || null,
    action: filter.action || null,
  };
}

/** Whether the period is backwards (the API would refuse it). */
export function periodIsBackwards(filter: AuditFilter): boolean {
  return Boolean(filter.since && filter.until && filter.until < filter.since);
}

export interface AuditChange {
  field: string;
  before: string | null;
  after: string | null;
}

// An import's record lists up to thousands of login IDs: the screen shows the start, the
// CSV export all of it.
const CELL_LIMIT = 300;

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > CELL_LIMIT ? `${text.slice(0, CELL_LIMIT)}…` : text;
}

function parsed(text: string | null | undefined): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A record's before → after as one line per field (an object on either side), else one
 * line for the whole value (a list, a number) under the field "". */
export function auditChanges(
  before: string | null | undefined,
  after: string | null | undefined,
): AuditChange[] {
  const old = parsed(before);
  const now = parsed(after);
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if ((old === null || isObject(old)) && (now === null || isObject(now))) {
    const fields = [...new Set([...Object.keys(old ?? {}), ...Object.keys(now ?? {})])];
    return fields.map((field) => ({
      field,
      before: old && field in old ? cell(old[field]) : null,
      after: now && field in now ? cell(now[field]) : null,
    }));
  }
  return [
    { field: "", before: old === null ? null : cell(old), after: now === null ? null : cell(now) },
  ];
}

/** The message key naming an action (監査ログの操作), or null for one the catalogue lacks. */
export function actionKey(action: string): MessageKey | null {
  const key = `admin.audit.action.${action}`;
  return key in ja ? (key as MessageKey) : null;
}
