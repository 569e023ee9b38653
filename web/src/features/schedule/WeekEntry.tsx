import { type DragEvent, type KeyboardEvent, type PointerEvent, useRef } from "react";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n/language";
import { formatTime } from "../../ui/dates";
import { minutesForDrag, RESIZE_STEP_MINUTES, resizedEnd } from "./grid";

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
      start
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
  /** The event; for a series its start is the first occurrence's. */
  event: { id: string; version: number; canEdit: boolean; start: string };
}

/** The same occurrence wherever it shows (it keeps its RECURRENCE-ID when moved). */
export function entryKey(entry: Pick<Entry, "eventId" | "recurrenceId">): string {
  return `${entry.eventId}/${entry.recurrenceId ?? ""}`;
}

/** How a resize goes: a keyboard step, the pointer on its way, let go, or let go where it began. */
export type ResizeMode = "step" | "preview" | "commit" | "cancel";

/**
 * One entry of the week: a button that opens it. Those one may change can be dragged to
 * another day, or moved with Alt+← / Alt+→ (the keyboard path to the same action); a timed
 * one can be made longer or shorter by dragging its end handle, or with Alt+Shift+↓ / ↑ by
 * 15 minutes.
 */
export function WeekEntry({
  entry,
  row,
  onOpen,
  onMoveBy,
  onResize,
  resizeMinutes,
}: {
  entry: Entry;
  row: string;
  onOpen: (entry: Entry) => void;
  onMoveBy: (entry: Entry, days: number) => void;
  onResize?: ((entry: Entry, minutes: number, mode: ResizeMode) => void) | undefined;
  /** A resize under way (not saved yet): the end shown moves by this much. */
  resizeMinutes?: number | undefined;
}) {
  const { t, language } = useI18n();
  const movable = entry.event.canEdit;
  const resizable = movable && !entry.allDay && onResize !== undefined;
  const end = resizeMinutes ? resizedEnd(entry, resizeMinutes) : entry.end;
  const time = entry.allDay
    ? t("schedule.allDay")
    : `${formatTime(entry.start, language)}–${formatTime(end, language)}`;
  const drag = useRef<{ y: number; minutes: number } | null>(null);
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (!movable || !event.altKey) return;
    if (event.shiftKey) {
      if (resizable && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
        event.preventDefault();
        onResize(
          entry,
          event.key === "ArrowUp" ? -RESIZE_STEP_MINUTES : RESIZE_STEP_MINUTES,
          "step",
        );
      }
      return;
    }
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
  // The end handle follows the pointer (captured, so it keeps following outside the cell):
  // every 12 px down is 15 minutes longer, up shorter; letting go saves.
  const onPointerDown = (event: PointerEvent<HTMLSpanElement>) => {
    if (!resizable || event.button !== 0) return;
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { y: event.clientY, minutes: 0 };
  };
  const onPointerMove = (event: PointerEvent<HTMLSpanElement>) => {
    const started = drag.current;
    if (!started || !resizable) return;
    const minutes = minutesForDrag(event.clientY - started.y);
    if (minutes !== started.minutes) {
      started.minutes = minutes;
      onResize(entry, minutes, "preview");
    }
  };
  const onPointerUp = (event: PointerEvent<HTMLSpanElement>) => {
    const started = drag.current;
    drag.current = null;
    if (!started || !resizable) return;
    if (event.currentTarget.hasPointerCapture(event.pointerId))
      event.currentTarget.releasePointerCapture(event.pointerId);
    onResize(entry, started.minutes, started.minutes === 0 ? "cancel" : "commit");
  };
  const button = (
    <button
      type="button"
      className={`entry visibility-${entry.visibility.toLowerCase()}${entry.isRecurring ? " recurring" : ""}`}
      data-entry={entryKey(entry)}
      data-row={row}
      draggable={movable}
      onDragStart={movable ? onDragStart : undefined}
      onKeyDown={onKeyDown}
      onClick={() => onOpen(entry)}
      aria-keyshortcuts={
        resizable
          ? "Alt+ArrowLeft Alt+ArrowRight Alt+Shift+ArrowUp Alt+Shift+ArrowDown"
          : movable
            ? "Alt+ArrowLeft Alt+ArrowRight"
            : undefined
      }
      aria-describedby={movable ? "schedule-move-hint" : undefined}
    >
      <span className="when">{time}</span> <span className="what">{entry.title}</span>
      {entry.isRecurring ? <span className="schedule-sr"> {t("schedule.recurring")}</span> : null}
    </button>
  );
  if (!resizable) return button;
  return (
    <span className={`resizable${resizeMinutes ? " is-resizing" : ""}`}>
      {button}
      {/* Pointer only: the keyboard path is Alt+Shift+Up/Down on the entry itself. */}
      <span
        className="resize-handle"
        aria-hidden="true"
        data-resize={entryKey(entry)}
        title={t("schedule.resizeHandle")}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      />
    </span>
  );
}
