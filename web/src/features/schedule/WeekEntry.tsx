import type { DragEvent, KeyboardEvent } from "react";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatTime } from "../../ui/dates";

export const WeekEntryFragment = graphql(`
  fragment WeekEntry_occurrence on Occurrence {
    eventId
    recurrenceId
    start
    end
    allDay
    startDate
    endDate
    title
    location
    visibility
    isRecurring
    event {
      id
      version
      canEdit
    }
  }
`);

export interface Entry {
  eventId: string;
  recurrenceId?: string | null;
  start: string;
  end: string;
  allDay: boolean;
  startDate?: string | null;
  endDate?: string | null;
  title: string;
  location?: string | null;
  visibility: string;
  isRecurring: boolean;
  event: { id: string; version: number; canEdit: boolean };
}

/** The same occurrence wherever it shows (it keeps its RECURRENCE-ID when moved). */
export function entryKey(entry: Pick<Entry, "eventId" | "recurrenceId">): string {
  return `${entry.eventId}/${entry.recurrenceId ?? ""}`;
}

/**
 * One entry of the week: a button that opens it. Those one may change can be dragged to
 * another day, or moved with Alt+← / Alt+→ (the keyboard path to the same action).
 */
export function WeekEntry({
  entry,
  row,
  onOpen,
  onMoveBy,
}: {
  entry: Entry;
  row: string;
  onOpen: (entry: Entry) => void;
  onMoveBy: (entry: Entry, days: number) => void;
}) {
  const { t, language } = useI18n();
  const movable = entry.event.canEdit;
  const time = entry.allDay
    ? t("schedule.allDay")
    : `${formatTime(entry.start, language)}–${formatTime(entry.end, language)}`;
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (!movable || !event.altKey) return;
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      onMoveBy(entry, event.key === "ArrowLeft" ? -1 : 1);
    }
  };
  const onDragStart = (event: DragEvent<HTMLButtonElement>) => {
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("application/x-yui-entry", entryKey(entry));
    event.dataTransfer.setData("text/plain", entry.title);
  };
  return (
    <button
      type="button"
      className={`entry visibility-${entry.visibility.toLowerCase()}${entry.isRecurring ? " recurring" : ""}`}
      data-entry={entryKey(entry)}
      data-row={row}
      draggable={movable}
      onDragStart={movable ? onDragStart : undefined}
      onKeyDown={onKeyDown}
      onClick={() => onOpen(entry)}
      aria-keyshortcuts={movable ? "Alt+ArrowLeft Alt+ArrowRight" : undefined}
      aria-describedby={movable ? "schedule-move-hint" : undefined}
    >
      <span className="when">{time}</span> <span className="what">{entry.title}</span>
      {entry.isRecurring ? <span className="schedule-sr"> {t("schedule.recurring")}</span> : null}
    </button>
  );
}
