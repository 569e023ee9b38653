import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatTime } from "../../ui/dates";

export const ScheduleItemFragment = graphql(`
  fragment ScheduleItem_occurrence on Occurrence {
    start
    end
    allDay
    title
    location
  }
`);

/** Occurrences of one day as a list: time, title, place. */
export function ScheduleList({
  items,
}: {
  items: readonly FragmentType<typeof ScheduleItemFragment>[];
}) {
  const { t, language } = useI18n();
  const occurrences = items.map((item) => readFragment(ScheduleItemFragment, item));
  if (occurrences.length === 0) return <p className="empty">{t("portal.noEvents")}</p>;
  return (
    <ul className="schedule">
      {occurrences.map((occurrence) => (
        <li key={`${occurrence.start}/${occurrence.title}`}>
          <span className="when">
            {occurrence.allDay
              ? t("portal.allDay")
              : `${formatTime(occurrence.start, language)}–${formatTime(occurrence.end, language)}`}
          </span>
          <span className="what">{occurrence.title}</span>
          {occurrence.location ? <span className="where">{occurrence.location}</span> : null}
        </li>
      ))}
    </ul>
  );
}
