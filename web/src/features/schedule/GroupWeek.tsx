import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { type WeekActions, type WeekRow, WeekTable } from "./DepartmentWeek";
import type { DayColumn } from "./grid";
import { type Entry, WeekEntryFragment } from "./WeekEntry";

export const GroupWeekFragment = graphql(`
  fragment GroupWeek_group on Group {
    id
    name
    members {
      id
      name
      title
      presence {
        status
        label
      }
      events(start: $start, end: $end) {
        ...WeekEntry_occurrence
      }
    }
  }
`);

/** グループ週間: a row per member of a group the user picks, as the department week has. */
export function GroupWeek({
  group,
  columns,
  actions,
}: {
  group: FragmentType<typeof GroupWeekFragment>;
  columns: readonly DayColumn[];
  actions: WeekActions;
}) {
  const { t } = useI18n();
  const data = readFragment(GroupWeekFragment, group);
  const rows: WeekRow[] = data.members.map((member) => ({
    id: member.id,
    header: (
      <>
        <span className="name">{member.name}</span>
        {member.title ? <small>{member.title}</small> : null}
        <span className={`presence presence-${member.presence?.status ?? "unknown"}`}>
          {member.presence ? t(`presence.${member.presence.status}`) : "—"}
        </span>
      </>
    ),
    entries: member.events.map((item) => readFragment(WeekEntryFragment, item) as Entry),
  }));
  if (rows.length === 0) return <p>{t("schedule.groupEmpty")}</p>;
  return (
    <WeekTable
      caption={t("schedule.groupWeekOf", { name: data.name })}
      rowLabel={t("schedule.member")}
      rows={rows}
      columns={columns}
      actions={actions}
      variant="group"
    />
  );
}

/** Every member's entries, for finding a dropped entry by its key. */
export function groupEntries(group: FragmentType<typeof GroupWeekFragment>): Entry[] {
  const data = readFragment(GroupWeekFragment, group);
  return data.members.flatMap((member) =>
    member.events.map((item) => readFragment(WeekEntryFragment, item) as Entry),
  );
}
