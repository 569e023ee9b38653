"""Recurrence: RRULE validation and expansion of events into occurrences in a range.

Pure functions over an ``Event`` and its overrides (unsaved instances do): no database.
Series are expanded in Japan wall time (Asia/Tokyo), so a weekly 10:00 meeting stays at
10:00 JST; results are aware UTC datetimes. Of RFC 5545 we support FREQ DAILY, WEEKLY,
MONTHLY and YEARLY with INTERVAL, BY* parts, and UNTIL or COUNT. As in python-dateutil
(not quite RFC 5545), DTSTART is an occurrence only when it matches the rule: a monthly
"second Tuesday" series created on a Thursday starts on the next second Tuesday.
"""

from __future__ import annotations

import itertools
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

if TYPE_CHECKING:
    from subgraphs.calendar.models import Event, EventOverride

TOKYO = ZoneInfo("Asia/Tokyo")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
PARTS = {
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "BYYEARDAY",
    "BYWEEKNO",
    "WKST",
}
MAX_COUNT = 1000
# A bounded series longer than this is treated as endless when computing its span.
MAX_SPAN_OCCURRENCES = 5000
# Guards one expansion; a year of a daily series is 366.
MAX_OCCURRENCES_PER_RANGE = 1000
# Starts of a series kept once generated (see _Timeline): about 2.7 years of a daily series,
# 19 of a weekly one. A read further out than that is expanded by dateutil every time.
MAX_TIMELINE = 1000


class InvalidRule(ValueError):
    """The RRULE text is not one we accept; the message says why, for the user."""


def local_midnight(day: date) -> datetime:
    """Midnight in Japan at the start of ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(), TOKYO).astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is what a user read off a Japanese clock."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=TOKYO)
    return value.astimezone(UTC)


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _parse_parts(text: str) -> dict[str, str]:
    text = (text or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if not text or "\n" in text or "\r" in text:
        raise InvalidRule("Give one RRULE line, e.g. FREQ=WEEKLY;BYDAY=MO.")
    parts: dict[str, str] = {}
    for item in text.split(";"):
        key, sep, value = item.partition("=")
        key = key.strip().upper()
        if not sep or not value.strip():
            raise InvalidRule(f"Not a KEY=VALUE part: {item!r}.")
        if key not in PARTS:
            raise InvalidRule(f"{key} is not supported in a recurrence rule.")
        if key in parts:
            raise InvalidRule(f"{key} is given twice.")
        parts[key] = value.strip().upper()
    return parts


def _join(parts: dict[str, str]) -> str:
    ordered = ["FREQ", *(k for k in parts if k != "FREQ")]
    return ";".join(f"{k}={parts[k]}" for k in ordered)


def _until_utc(value: str) -> datetime:
    """UNTIL as UTC: a date means through that day in Japan; a local time is Japan time."""
    try:
        if len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d").date()
            return local_midnight(day + timedelta(days=1)) - timedelta(seconds=1)
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return as_utc(datetime.strptime(value, "%Y%m%dT%H%M%S"))
    except ValueError as exc:
        raise InvalidRule(f"UNTIL={value} is not a date or a time.") from exc


def normalise_rrule(text: str, series_start: datetime) -> str:
    """The canonical RRULE text for a series starting at ``series_start`` (aware).

    Raises InvalidRule for anything we do not expand, or a rule without any occurrence.
    """
    parts = _parse_parts(text)
    if parts.get("FREQ") not in FREQUENCIES:
        raise InvalidRule("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY.")
    if "UNTIL" in parts and "COUNT" in parts:
        raise InvalidRule("Give UNTIL or COUNT, not both.")
    if "COUNT" in parts and (
        not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= MAX_COUNT
    ):
        raise InvalidRule(f"COUNT must be between 1 and {MAX_COUNT}.")
    if "INTERVAL" in parts and (
        not parts["INTERVAL"].isdigit() or not 1 <= int(parts["INTERVAL"]) <= 366
    ):
        raise InvalidRule("INTERVAL must be between 1 and 366.")
    if "UNTIL" in parts:
        parts["UNTIL"] = _utc_text(_until_utc(parts["UNTIL"]))
    canonical = _join(parts)
    try:
        rule = rrulestr(canonical, dtstart=series_start.astimezone(TOKYO))
        first = next(iter(rule), None)  # type: ignore[call-overload]
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise InvalidRule(f"Not a valid recurrence rule: {exc}.") from exc
    if first is None:
        raise InvalidRule("The rule has no occurrence (UNTIL before the start?).")
    return canonical


def with_until(text: str, until: datetime) -> str:
    """The same rule ending at ``until`` (inclusive): COUNT and an earlier UNTIL dropped."""
    parts = _parse_parts(text)
    parts.pop("COUNT", None)
    parts["UNTIL"] = _utc_text(until)
    return _join(parts)


def with_count(text: str, count: int) -> str:
    parts = _parse_parts(text)
    parts["COUNT"] = str(count)
    return _join(parts)


def rule_count(text: str) -> int | None:
    value = _parse_parts(text).get("COUNT")
    return int(value) if value else None


def series_start(event: Event) -> datetime:
    """The start of the first (or only) occurrence, aware UTC."""
    if event.all_day:
        assert event.start_date is not None
        return local_midnight(event.start_date)
    assert event.starts_at is not None
    return event.starts_at.astimezone(UTC)


def duration(event: Event) -> timedelta:
    if event.all_day:
        assert event.start_date is not None and event.end_date is not None
        return event.end_date - event.start_date
    assert event.starts_at is not None and event.ends_at is not None
    return event.ends_at - event.starts_at


def build_rule(event: Event) -> rrule | None:
    """The series' dateutil rule in Japan time, or None for a single event."""
    if not event.rrule:
        return None
    return _parsed_rule(event.rrule, series_start(event).astimezone(TOKYO))


@lru_cache(maxsize=4096)
def _parsed_rule(text: str, dtstart: datetime) -> rrule:
    # Parsing is the costly part and rules are read-only once built (no cache=True), so a
    # department week shares one parse per series instead of several per occurrence.
    return rrulestr(text, dtstart=dtstart)  # type: ignore[return-value]


class _Timeline:
    """The starts (aware UTC, ascending) of a rule, generated once and shared by readers.

    dateutil cannot jump ahead: every ``xafter`` or ``between`` generates the series from
    DTSTART on, so a weekly meeting begun a year ago cost 52 steps on every read of this
    week. Here the starts generated so far are kept, keyed like ``_parsed_rule`` by the
    rule text and DTSTART, which is all they depend on (no version, nothing to go stale).
    The list only grows at its end, under a lock; readers bisect a snapshot of it.
    """

    __slots__ = ("_lock", "_source", "complete", "starts")

    def __init__(self, rule: rrule) -> None:
        self._lock = threading.Lock()
        self._source: Iterator[datetime] | None = iter(rule)  # type: ignore[call-overload]
        self.starts: list[datetime] = []
        self.complete = False

    def through(self, limit: datetime) -> list[datetime] | None:
        """The starts, generated at least up to the first one at or after ``limit`` (or
        to the series' end); None when that takes more than MAX_TIMELINE of them."""
        starts = self.starts
        if self.complete or (starts and starts[-1] >= limit):
            return starts
        with self._lock:
            while not self.complete and (not starts or starts[-1] < limit):
                if len(starts) >= MAX_TIMELINE or self._source is None:
                    return None
                try:
                    local = next(self._source, None)
                except Exception:
                    self._source = None  # a dead generator: dateutil answers (and raises)
                    raise
                if local is None:
                    self.complete = True
                else:
                    starts.append(local.astimezone(UTC))
        return starts


@lru_cache(maxsize=1024)
def _timeline(text: str, dtstart: datetime) -> _Timeline:
    return _Timeline(_parsed_rule(text, dtstart))


def _starts_through(event: Event, limit: datetime) -> list[datetime] | None:
    """The series' original starts up to the first at or after ``limit``; None when that
    is too far from its start to keep (then ask dateutil)."""
    return _timeline(event.rrule, series_start(event).astimezone(TOKYO)).through(limit)


def exdate_set(event: Event) -> set[datetime]:
    return {datetime.fromisoformat(text).astimezone(UTC) for text in (event.exdates or [])}


def is_occurrence(event: Event, recurrence_id: datetime) -> bool:
    """Whether ``recurrence_id`` is an original start of the series (exdates excluded)."""
    rule = build_rule(event)
    if rule is None:
        return as_utc(recurrence_id) == series_start(event)
    rid = as_utc(recurrence_id)
    if rid in exdate_set(event):
        return False
    starts = _starts_through(event, rid)
    if starts is not None:
        at = bisect_left(starts, rid)
        return at < len(starts) and starts[at] == rid
    found = rule.between(rid - timedelta(seconds=1), rid + timedelta(seconds=1), inc=True)
    return any(d.astimezone(UTC) == rid for d in found)


def occurrences_before(event: Event, recurrence_id: datetime) -> int:
    """How many original occurrences of the series start before ``recurrence_id``."""
    rule = build_rule(event)
    if rule is None:
        return 0
    rid = as_utc(recurrence_id)
    return sum(1 for _ in itertools.takewhile(lambda d: d.astimezone(UTC) < rid, rule))


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One appearance of an event on the calendar."""

    event: Any  # the Event, carried so readers can check visibility and attendees
    recurrence_id: datetime | None  # original start for an occurrence of a series
    start: datetime
    end: datetime
    all_day: bool
    title: str
    location: str
    moved: bool = False

    @property
    def start_date(self) -> date | None:
        return self.start.astimezone(TOKYO).date() if self.all_day else None

    @property
    def end_date(self) -> date | None:
        return self.end.astimezone(TOKYO).date() if self.all_day else None


def _overlaps(start: datetime, end: datetime, range_start: datetime, range_end: datetime) -> bool:
    return start < range_end and end > range_start


def _occurrence(
    event: Event, rid: datetime | None, start: datetime, length: timedelta
) -> Occurrence:
    if event.all_day:
        # Whole days in Japan whatever the arithmetic: a moved all-day entry keeps dates.
        day = start.astimezone(TOKYO).date()
        start = local_midnight(day)
        end = local_midnight(day + timedelta(days=max(1, length.days)))
    else:
        end = start + length
    return Occurrence(event, rid, start, end, event.all_day, event.title, event.location)


def occurrences(
    event: Event,
    range_start: datetime,
    range_end: datetime,
    overrides: Iterable[EventOverride] = (),
) -> list[Occurrence]:
    """The event's occurrences overlapping [range_start, range_end), by start.

    Applies exdates, cancelled occurrences and moved or edited ones; a moved occurrence
    appears in the range it moved into, not the one it left. Overrides for starts that are
    not (or no longer) in the series are ignored.
    """
    range_start, range_end = as_utc(range_start), as_utc(range_end)
    if event.cancelled:
        return []
    length = duration(event)
    rule = build_rule(event)
    if rule is None:
        single = _occurrence(event, None, series_start(event), length)
        return [single] if _overlaps(single.start, single.end, range_start, range_end) else []
    by_rid = {as_utc(o.recurrence_id): o for o in overrides}
    excluded = exdate_set(event)
    found: list[Occurrence] = []
    for start in _starts_after(event, rule, range_start - length, range_end):
        if start >= range_end:
            break
        if start in excluded or start in by_rid:
            continue  # overrides are placed below, where they now are
        found.append(_occurrence(event, start, start, length))
    for rid, override in by_rid.items():
        if override.cancelled or rid in excluded or not is_occurrence(event, rid):
            continue
        moved = _moved(event, rid, override, length)
        if _overlaps(moved.start, moved.end, range_start, range_end):
            found.append(moved)
    found.sort(key=lambda o: (o.start, o.end))
    return found


def _starts_after(
    event: Event, rule: rrule, after: datetime, until: datetime
) -> Iterable[datetime]:
    """Up to MAX_OCCURRENCES_PER_RANGE original starts later than ``after``, in order, at
    least through ``until`` (as ``rule.xafter(after, count=..., inc=False)``)."""
    starts = _starts_through(event, until)
    if starts is not None:
        first = bisect_right(starts, after)
        return starts[first : first + MAX_OCCURRENCES_PER_RANGE]
    window = rule.xafter(  # type: ignore[attr-defined]
        after.astimezone(TOKYO), count=MAX_OCCURRENCES_PER_RANGE, inc=False
    )
    return (local.astimezone(UTC) for local in window)


def _moved(event: Event, rid: datetime, override: EventOverride, length: timedelta) -> Occurrence:
    start = as_utc(override.starts_at) if override.starts_at else rid
    occurrence = _occurrence(event, rid, start, length)
    end = occurrence.end
    if override.ends_at and not event.all_day:
        end = as_utc(override.ends_at)
    elif override.ends_at:
        end = local_midnight(as_utc(override.ends_at).astimezone(TOKYO).date())
        end = max(end, occurrence.start + timedelta(days=1))
    return Occurrence(
        event,
        rid,
        occurrence.start,
        end,
        event.all_day,
        override.title if override.title is not None else event.title,
        override.location if override.location is not None else event.location,
        moved=(occurrence.start != rid or end != rid + length),
    )


def span(event: Event, overrides: Sequence[EventOverride] = ()) -> tuple[datetime, datetime | None]:
    """(first start, last end) of every occurrence, moved ones included; None: endless."""
    start = series_start(event)
    length = duration(event)
    rule = build_rule(event)
    if rule is None:
        return start, start + (length if not event.all_day else timedelta(days=max(1, length.days)))
    last: datetime | None = None
    for i, local in enumerate(rule):
        if i >= MAX_SPAN_OCCURRENCES:
            last = None
            break
        last = local.astimezone(UTC)
    else:
        if last is None:  # no occurrence at all: the span of the start, harmlessly
            last = start
    first = start
    end = None if last is None else last + length
    for override in overrides:
        if override.cancelled or override.starts_at is None:
            continue
        moved_start = as_utc(override.starts_at)
        moved_end = as_utc(override.ends_at) if override.ends_at else moved_start + length
        first = min(first, moved_start)
        if end is not None:
            end = max(end, moved_end)
    return first, end


def first_start(event: Event) -> datetime:
    """The start of the first occurrence the rule yields (aware UTC).

    RFC 5545 always counts DTSTART as an occurrence while we (as dateutil) do not when it
    does not match the rule, so an export starts the series here to mean the same.
    """
    rule = build_rule(event)
    first = next(iter(rule), None) if rule is not None else None  # type: ignore[call-overload]
    return first.astimezone(UTC) if first is not None else series_start(event)


def changed_occurrence(event: Event, override: EventOverride) -> Occurrence | None:
    """Where a moved or edited occurrence now is; None when cancelled or not in the series."""
    rid = as_utc(override.recurrence_id)
    if override.cancelled or rid in exdate_set(event) or not is_occurrence(event, rid):
        return None
    return _moved(event, rid, override, duration(event))
