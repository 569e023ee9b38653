import { useI18n } from "../../i18n/language";
import type { Language } from "../../i18n/messages";
import { formatDate, TIME_ZONE } from "../../ui/dates";
import type { WeekActions } from "./DepartmentWeek";
import { cells, firstOf, type MonthDay } from "./grid";
import { type Entry, entryKey, WeekEntry } from "./WeekEntry";

const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;

const monthFormats = new Map<Language, Intl.DateTimeFormat>();
/** 2026年12月 in Japanese, December 2026 in English: the month a date falls in. */
export function formatMonth(date: string, language: Language): string {
  let formatter = monthFormats.get(language);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(language === "ja" ? "ja-JP" : "en-GB", {
      year: "numeric",
      month: "long",
      timeZone: TIME_ZONE,
    });
    monthFormats.set(language, formatter);
  }
  return formatter.format(new Date(`${date.slice(0, 7)}-15T12:00:00+09:00`));
}

/**
 * 個人月間: the month as weeks from Monday, holidays and closed days named in their day, a few
 * entries a day and "+n more"; a day's number opens that day.
 */
export function MonthView({
  caption,
  weeks,
  entries,
  actions,
  onOpenDay,
}: {
  caption: string;
  weeks: readonly MonthDay[][];
  entries: readonly Entry[];
  actions: WeekActions;
  onOpenDay: (date: string) => void;
}) {
  const { t, language } = useI18n();
  const days = weeks.flat().map((day) => day.date);
  const grouped = cells(days, entries);
  const byDate = new Map(days.map((date, index) => [date, grouped[index] ?? []]));
  const dayClass = (day: MonthDay) =>
    [
      day.inMonth ? "" : "other-month",
      day.isToday ? "is-today" : "",
      day.isWeekend ? `is-weekend weekday-${day.weekday}` : "",
      day.holiday ? `is-holiday holiday-${day.holiday.kind.toLowerCase()}` : "",
    ]
      .join(" ")
      .trim() || undefined;
  return (
    <div className="week-scroll">
      <table className="month-grid">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {WEEKDAYS.map((code, index) => (
              <th
                key={code}
                scope="col"
                className={index >= 5 ? `is-weekend weekday-${index}` : undefined}
              >
                {t(`schedule.weekday.${code}`)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeks.map((week) => (
            <tr key={week[0]?.date}>
              {week.map((day) => {
                const { shown, more } = firstOf(byDate.get(day.date) ?? []);
                const label = formatDate(day.date, language);
                return (
                  <td
                    key={day.date}
                    data-date={day.date}
                    className={dayClass(day)}
                    aria-current={day.isToday ? "date" : undefined}
                  >
                    <button
                      type="button"
                      className="month-day"
                      onClick={() => onOpenDay(day.date)}
                      aria-label={t("schedule.openDay", { date: label })}
                    >
                      {Number(day.date.slice(8))}
                    </button>
                    {day.holiday ? (
                      <span className="holiday">
                        {day.holiday.kind === "CLOSED"
                          ? t("schedule.closed")
                          : t("schedule.holiday")}{" "}
                        {day.holiday.name}
                      </span>
                    ) : null}
                    {shown.length > 0 ? (
                      <ul>
                        {shown.map((entry) => (
                          <li key={`${entryKey(entry)}/${entry.start}`}>
                            <WeekEntry
                              entry={entry}
                              row="month"
                              onOpen={actions.onOpen}
                              onMoveBy={actions.onMoveBy}
                            />
                          </li>
                        ))}
                      </ul>
                    ) : null}
                    {more > 0 ? (
                      <button
                        type="button"
                        className="more"
                        onClick={() => onOpenDay(day.date)}
                        aria-label={t("schedule.moreOn", { count: more, date: label })}
                      >
                        {t("schedule.more", { count: more })}
                      </button>
                    ) : null}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
