import { type DragEvent, type ReactNode, useState } from "react";
import { type FragmentType, graphql, readFragment } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatShortDate } from "../../ui/dates";
import { cells, type DayColumn } from "./grid";
import { type Entry, entryKey, type ResizeMode, WeekEntry, WeekEntryFragment } from "./WeekEntry";

export const DepartmentWeekFragment = graphql(`
  fragment DepartmentWeek_organization on Organization {
    id
    name
    # Who was in the department during the week shown (personnel change history), not only today.
    members: membersDuring(start: $start, end: $end) {
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
    events(start: $start, end: $end) {
      ...WeekEntry_occurrence
    }
  }
`);

export interface WeekActions {
  onOpen: (entry: Entry) => void;
  onMoveBy: (entry: Entry, days: number) => void;
  onDropOn: (key: string, date: string) => void;
  /** Resizing the end of a timed entry (the week and day views). */
  onResize?: (entry: Entry, minutes: number, mode: ResizeMode) => void;
  /** The resize under way, by entry key, shown before it is saved. */
  resizing?: { key: string; minutes: number } | null;
}

export interface WeekRow {
  id: string;
  header: ReactNode;
  entries: readonly Entry[];
}

/** 組織週間: the department's own row, then a row per member in directory order. */
export function DepartmentWeek({
  organization,
  columns,
  actions,
}: {
  organization: FragmentType<typeof DepartmentWeekFragment>;
  columns: readonly DayColumn[];
  actions: WeekActions;
}) {
  const { t } = useI18n();
  const data = readFragment(DepartmentWeekFragment, organization);
  const read = (items: readonly FragmentType<typeof WeekEntryFragment>[]) =>
    items.map((item) => readFragment(WeekEntryFragment, item) as Entry);
  const rows: WeekRow[] = [
    {
      id: data.id,
      header: (
        <>
          <span className="name">{data.name}</span>
          <small>{t("schedule.departmentRow")}</small>
        </>
      ),
      entries: read(data.events),
    },
    ...data.members.map((member) => ({
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
      entries: read(member.events),
    })),
  ];
  return (
    <WeekTable
      caption={t("schedule.departmentWeekOf", { name: data.name })}
      rowLabel={t("schedule.member")}
      rows={rows}
      columns={columns}
      actions={actions}
    />
  );
}

/** The week as a table: a row header, seven day columns; each cell a drop target. */
export function WeekTable({
  caption,
  rowLabel,
  rows,
  columns,
  actions,
  variant,
}: {
  caption: string;
  rowLabel: string;
  rows: readonly WeekRow[];
  columns: readonly DayColumn[];
  actions: WeekActions;
  /** A group's week has no department row to set apart at the top. */
  variant?: "group";
}) {
  const { t, language } = useI18n();
  const [over, setOver] = useState<string | null>(null);
  const days = columns.map((column) => column.date);
  const dayClass = (column: DayColumn) =>
    [
      column.isToday ? "is-today" : "",
      column.isWeekend ? `is-weekend weekday-${column.weekday}` : "",
      column.holiday ? `is-holiday holiday-${column.holiday.kind.toLowerCase()}` : "",
    ]
      .join(" ")
      .trim() || undefined;
  const onDragOver = (event: DragEvent<HTMLTableCellElement>, cell: string) => {
    if (!event.dataTransfer.types.includes("application/x-yui-entry")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (over !== cell) setOver(cell);
  };
  const onDrop = (event: DragEvent<HTMLTableCellElement>, date: string) => {
    event.preventDefault();
    setOver(null);
    const key = event.dataTransfer.getData("application/x-yui-entry");
    if (key) actions.onDropOn(key, date);
  };
  return (
    <div className="week-scroll">
      <table
        className={
          rows.length === 1
            ? "week-grid single"
            : variant
              ? `week-grid ${variant}-week`
              : "week-grid"
        }
      >
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{rowLabel}</th>
            {columns.map((column) => (
              <th key={column.date} scope="col" className={dayClass(column)}>
                <span className="day">{formatShortDate(column.date, language)}</span>
                {column.holiday ? (
                  <span className="holiday">
                    {column.holiday.kind === "CLOSED"
                      ? t("schedule.closed")
                      : t("schedule.holiday")}{" "}
                    {column.holiday.name}
                  </span>
                ) : null}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const grouped = cells(days, row.entries);
            return (
              <tr key={row.id} data-row={row.id}>
                <th scope="row">{row.header}</th>
                {columns.map((column, index) => {
                  const cellKey = `${row.id}/${column.date}`;
                  return (
                    <td
                      key={column.date}
                      data-date={column.date}
                      data-label={`${formatShortDate(column.date, language)}${column.holiday ? ` ${column.holiday.name}` : ""}`}
                      className={
                        [dayClass(column), over === cellKey ? "is-over" : ""].join(" ").trim() ||
                        undefined
                      }
                      onDragOver={(event) => onDragOver(event, cellKey)}
                      onDragLeave={() =>
                        setOver((current) => (current === cellKey ? null : current))
                      }
                      onDrop={(event) => onDrop(event, column.date)}
                    >
                      <ul>
                        {(grouped[index] ?? []).map((entry) => (
                          <li key={`${entry.eventId}/${entry.recurrenceId ?? ""}/${entry.start}`}>
                            <WeekEntry
                              entry={entry}
                              row={row.id}
                              onOpen={actions.onOpen}
                              onMoveBy={actions.onMoveBy}
                              onResize={actions.onResize}
                              resizeMinutes={
                                actions.resizing?.key === entryKey(entry)
                                  ? actions.resizing.minutes
                                  : undefined
                              }
                            />
                          </li>
                        ))}
                      </ul>
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
