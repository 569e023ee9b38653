// The recurrences the form offers, as RFC 5545 RRULEs the calendar subgraph understands. A
// clerk's needs are few: every day, every week on chosen weekdays, every month on the same
// day; anything rarer comes from an imported .ics and is kept as it is.

export type Repeat = "NONE" | "DAILY" | "WEEKLY" | "MONTHLY";

export const WEEKDAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type WeekdayCode = (typeof WEEKDAY_CODES)[number];

export interface RecurrenceChoice {
  repeat: Repeat;
  /** WEEKLY: the weekdays (at least the start's). */
  weekdays?: readonly WeekdayCode[];
  /** Last day (inclusive, Japan time), YYYY-MM-DD; none: for ever. */
  until?: string | null;
}

/** The RRULE for a choice; null for a single event. */
export function buildRrule(choice: RecurrenceChoice, startDate: string): string | null {
  if (choice.repeat === "NONE") return null;
  const parts = [`FREQ=${choice.repeat}`];
  if (choice.repeat === "WEEKLY") {
    const chosen = new Set(choice.weekdays ?? []);
    if (chosen.size === 0) chosen.add(weekdayCode(startDate));
    parts.push(`BYDAY=${WEEKDAY_CODES.filter((code) => chosen.has(code)).join(",")}`);
  }
  if (choice.until) {
    // UNTIL without Z is Japan time for the server; the end of that day includes it.
    parts.push(`UNTIL=${choice.until.replaceAll("-", "")}T235959`);
  }
  return parts.join(";");
}

/** Back from an RRULE to what the form shows; a rule the form cannot show is null. */
export function parseRrule(rrule: string | null | undefined): RecurrenceChoice | null {
  if (!rrule) return { repeat: "NONE" };
  const fields = new Map(
    rrule
      .replace(/^RRULE:/, "")
      .split(";")
      .map((part) => part.split("=") as [string, string]),
  );
  const freq = fields.get("FREQ");
  const known = new Set(["FREQ", "BYDAY", "UNTIL", "INTERVAL", "WKST"]);
  if ([...fields.keys()].some((key) => !known.has(key))) return null;
  if ((fields.get("INTERVAL") ?? "1") !== "1") return null;
  const untilRaw = fields.get("UNTIL");
  const until = untilRaw
    ? `${untilRaw.slice(0, 4)}-${untilRaw.slice(4, 6)}-${untilRaw.slice(6, 8)}`
    : null;
  if (freq === "DAILY" && !fields.has("BYDAY")) return { repeat: "DAILY", until };
  if (freq === "MONTHLY" && !fields.has("BYDAY")) return { repeat: "MONTHLY", until };
  if (freq === "WEEKLY") {
    const weekdays = (fields.get("BYDAY") ?? "").split(",").filter(Boolean);
    if (weekdays.some((day) => !(WEEKDAY_CODES as readonly string[]).includes(day))) return null;
    return { repeat: "WEEKLY", weekdays: weekdays as WeekdayCode[], until };
  }
  return null;
}

/** MO … SU of a YYYY-MM-DD. */
export function weekdayCode(date: string): WeekdayCode {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const sundayFirst = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return WEEKDAY_CODES[(sundayFirst + 6) % 7] as WeekdayCode;
}
