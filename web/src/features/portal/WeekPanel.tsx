import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatShortDate } from "../../ui/dates";
import { DeferredCard, STILL_COMING, type Waiting } from "./Deferred";
import { ScheduleList } from "./ScheduleList";
import { byDay } from "./week";

// My entries of the week (on Person) and the week's holidays (a root field): two fragments,
// because the page defers each where it is asked (inside `me`, and at the root). A deferred
// fragment at the root that reached into `me` would leave graphcache (9.0) unable to read
// the page back until it arrived: it reads nested selections as not deferred.
export const PortalWeekFragment = graphql(`
  fragment PortalWeek_person on Person {
    week: events(start: $weekStart, end: $weekEnd) {
      start
      end
      allDay
      startDate
      endDate
      ...ScheduleItem_occurrence
    }
  }
`);

export const PortalHolidaysFragment = graphql(`
  fragment PortalHolidays_query on Query {
    holidays(start: $firstDay, end: $afterLastDay) {
      date
      name
    }
  }
`);

/** 今週の予定: my entries Monday to Sunday, holidays named. */
export function WeekPanel({
  person,
  holidays: holidayList,
  days,
  today,
  waiting = STILL_COMING,
}: {
  /** Null until the deferred part of the page with my week has arrived. */
  person: FragmentType<typeof PortalWeekFragment> | null;
  /** Null until the deferred part with the week's holidays has arrived. */
  holidays: FragmentType<typeof PortalHolidaysFragment> | null;
  days: readonly string[];
  today: string;
  /** What to show while either is null. */
  waiting?: Waiting;
}) {
  const { t, language } = useI18n();
  const mine = person ? readFragment(PortalWeekFragment, person) : null;
  const named = holidayList ? readFragment(PortalHolidaysFragment, holidayList) : null;
  const data = mine && named ? { week: mine.week, holidays: named.holidays } : null;
  const holidays = new Map((data?.holidays ?? []).map((h) => [h.date, h.name]));
  const week = byDay(days, data?.week ?? []);
  return (
    <DeferredCard
      className="card wide"
      titleId="week-title"
      title={t("portal.week")}
      value={data}
      waiting={waiting}
    >
      {() => (
        <ol className="week">
          {days.map((day) => (
            <li
              key={day}
              className={[day === today ? "is-today" : "", holidays.has(day) ? "is-holiday" : ""]
                .join(" ")
                .trim()}
            >
              <h3>
                {formatShortDate(day, language)}
                {holidays.has(day) ? (
                  <span className="holiday">
                    {t("portal.holiday")} {holidays.get(day)}
                  </span>
                ) : null}
              </h3>
              <ScheduleList items={week.get(day) ?? []} />
            </li>
          ))}
        </ol>
      )}
    </DeferredCard>
  );
}
