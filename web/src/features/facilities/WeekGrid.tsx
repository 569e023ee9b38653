import { type FragmentType, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { addDays, formatDate, formatShortDate, formatTime } from "../../ui/dates";
import { DayGridFragment, type HolidayMark } from "./DayGrid";
import { onDate } from "./grid";

/**
 * A group's week: rooms as rows, Monday to Sunday as columns, each day's bookings in its cell,
 * holidays and closed days marked; a day's button opens that day's grid for the room.
 */
export function WeekGrid({
  group,
  monday,
  today,
  holidays,
  onOpenDay,
}: {
  group: FragmentType<typeof DayGridFragment>;
  monday: string;
  today: string;
  holidays: readonly HolidayMark[];
  onOpenDay: (facilityId: string, date: string) => void;
}) {
  const { t, language } = useI18n();
  const data = readFragment(DayGridFragment, group);
  const days = Array.from({ length: 7 }, (_, index) => addDays(monday, index));
  const holidayOf = new Map(holidays.map((holiday) => [holiday.date, holiday]));
  const dayClass = (date: string, index: number) =>
    [
      date === today ? "is-today" : "",
      index >= 5 ? `is-weekend weekday-${index}` : "",
      holidayOf.has(date)
        ? `is-holiday holiday-${holidayOf.get(date)?.kind.toLowerCase() ?? ""}`
        : "",
    ]
      .join(" ")
      .trim() || undefined;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: the grid scrolls sideways on a phone, and a scrolling region must be reachable by keyboard (WCAG 2.1.1)
    <section className="day-grid" aria-labelledby="week-grid-title" tabIndex={0}>
      <h2 id="week-grid-title">
        {data.name}{" "}
        <span className="grid-date">
          {t("facilities.weekOf", { date: formatDate(monday, language) })}
        </span>
      </h2>
      {data.facilities.length === 0 ? (
        <p>{t("facilities.noFacilities")}</p>
      ) : (
        <table className="facility-week">
          <thead>
            <tr>
              <th scope="col">{t("facilities.facility")}</th>
              {days.map((date, index) => {
                const holiday = holidayOf.get(date);
                return (
                  <th scope="col" key={date} className={dayClass(date, index)}>
                    {formatShortDate(date, language)}
                    {holiday ? (
                      <span className="holiday">
                        {holiday.kind === "CLOSED" ? t("schedule.closed") : t("schedule.holiday")}{" "}
                        {holiday.name}
                      </span>
                    ) : null}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {data.facilities.map((facility) => {
              const active = facility.reservations.filter(
                (r) => r.status === "PENDING" || r.status === "CONFIRMED",
              );
              return (
                <tr key={facility.id} data-facility={facility.id}>
                  <th scope="row">
                    {facility.name}
                    <small className="hint">
                      {" "}
                      {t("facilities.capacity", { count: facility.capacity })}
                      {facility.needsApproval ? ` ${t("facilities.needsApproval")}` : ""}
                    </small>
                  </th>
                  {days.map((date, index) => (
                    <td key={date} data-date={date} className={dayClass(date, index)}>
                      <ul>
                        {onDate(active, date).map((r) => (
                          <li
                            key={r.id}
                            className={`booking${r.status === "PENDING" ? " pending" : ""}`}
                          >
                            {formatTime(r.start, language)}–{formatTime(r.end, language)}{" "}
                            {t(`reservation.${r.status}`)} {r.purpose ?? r.requester.name}
                          </li>
                        ))}
                      </ul>
                      <button
                        type="button"
                        className="open-day"
                        onClick={() => onOpenDay(facility.id, date)}
                        aria-label={t("facilities.openDay", {
                          name: facility.name,
                          date: formatShortDate(date, language),
                        })}
                      >
                        <span aria-hidden="true">+</span>
                      </button>
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
