"""Recurrence: RRULE validation and expansion of events into occurrences in a range.

Pure functions over an ``Event`` and its overrides (unsaved instances do): no database.
Series are expanded in Japan wall time (Asia/Tokyo), so a weekly 10:00 meeting stays at
10:00 JST; results are aware UTC datetimes. Of RFC 5545 we support FREQ DAILY, WEEKLY,
MONTHLY and YEARLY with INTERVAL, BY* parts, and UNTIL or COUNT. As in python-dateutil
(not quite RFC 5545), DTSTART is an occurrence only when it matches the rule: a monthly
"second Tuesday" series created on a Thursday starts on the next second Tuesday.

Every expansion goes through ``subgraphs.core.rrules.between``, whose cost depends on the
window asked for, not on how far it lies from the series' start, and which never walks a
rule that has no further occurrence to the end of the calendar. A rule must have its first
occurrence within ``rrules.HORIZON_YEARS`` of the start (``RuleNeverOccurs`` otherwise:
30 February, or 29 February of a year that is a Monday ten years away).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from subgraphs.core import rrules, timerange

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
# Guards one expansion; a year of a daily series is 366.
MAX_OCCURRENCES_PER_RANGE = 1000
# Starts of a series kept once generated (see _Timeline): about 2.7 years of a daily series,
# 19 of a weekly one. A read further out than that expands just its window every time.
MAX_TIMELINE = 1000
# The timeline grows by this much of the calendar at a time.
TIMELINE_STEP = timedelta(days=366)
# ... and only for a read at most this far beyond what it holds (a series begun a few
# years ago is kept, once), so that no read walks decades from the series' start.
TIMELINE_REACH = 20 * TIMELINE_STEP
# No series is read past this: clients give no time later (subgraphs/core/timerange.py).
END_OF_TIME = datetime.combine(timerange.LATEST + timedelta(days=2), time(), UTC)


class InvalidRule(ValueError):
    """The RRULE text is not one we accept; the message says why, for the user."""

    code = "INVALID_RRULE"


class RuleNeverOccurs(InvalidRule):
    """A rule that is valid but has no occurrence within the horizon of its start."""

    code = "RRULE_NEVER_OCCURS"


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
            if not timerange.in_range(day):
                raise InvalidRule(f"UNTIL must lie within {timerange.RANGE_TEXT}.")
            return local_midnight(day + timedelta(days=1)) - timedelta(seconds=1)
        if value.endswith("Z"):
            moment = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        else:
            moment = datetime.strptime(value, "%Y%m%dT%H%M%S")
    except ValueError as exc:
        raise InvalidRule(f"UNTIL={value} is not a date or a time.") from exc
    if not timerange.in_range(moment):
        raise InvalidRule(f"UNTIL must lie within {timerange.RANGE_TEXT}.")
    return as_utc(moment)


def normalise_rrule(text: str, series_start: datetime) -> str:
    """The canonical RRULE text for a series starting at ``series_start`` (aware).

    Raises InvalidRule for anything we do not expand, or a rule without any occurrence.
    """
    parts = _parse_parts(text)
    if parts.get("FREQ") not in FREQUENCIES:
        # Sub-daily rules (rrules.SUB_DAILY) included: entries minutes apart are no diary.
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
    if "UNTIL" in parts and _until_utc(parts["UNTIL"]) < series_start:
        raise InvalidRule("The rule has no occurrence: UNTIL is before the start.")
    try:
        rule = rrulestr(canonical, dtstart=series_start.astimezone(TOKYO))
        first = rrules.first_within(rule)  # type: ignore[arg-type]
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise InvalidRule(f"Not a valid recurrence rule: {exc}.") from exc
    if first is None:
        raise RuleNeverOccurs(
            f"The rule has no occurrence within {rrules.HORIZON_YEARS} years of the start "
            "(e.g. 30 February): check BYMONTH, BYMONTHDAY and BYDAY."
        )
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

    A weekly meeting begun a year ago is read on every department week; here the starts
    generated so far are kept, keyed like ``_parsed_rule`` by the rule text and DTSTART,
    which is all they depend on (no version, nothing to go stale). The list grows a
    TIMELINE_STEP of the calendar at a time (each a bounded expansion), only at its end,
    under a lock; readers bisect a snapshot of it.
    """

    __slots__ = ("_lock", "_rule", "complete", "covered", "starts")

    def __init__(self, rule: rrule) -> None:
        self._lock = threading.Lock()
        self._rule = rule
        self.starts: list[datetime] = []
        # Every start before this is in ``starts``.
        self.covered: datetime = rule._dtstart.astimezone(UTC)  # type: ignore[attr-defined]
        self.complete = False

    def through(self, limit: datetime) -> list[datetime] | None:
        """The starts, every one before ``limit`` at least (or to the series' end); None
        when that takes more than MAX_TIMELINE of them."""
        starts = self.starts
        if self.complete or self.covered > limit:
            return starts
        if limit - self.covered > TIMELINE_REACH:
            return None  # a read far ahead expands its own window instead
        with self._lock:
            while not self.complete and self.covered <= limit:
                if len(starts) >= MAX_TIMELINE:
                    return None
                if self.covered >= END_OF_TIME:  # a row stored before dates were checked
                    self.complete = True
                    break
                step_end = self.covered + TIMELINE_STEP
                found = rrules.between(
                    self._rule, self.covered.astimezone(TOKYO), step_end.astimezone(TOKYO)
                )
                starts.extend(local.astimezone(UTC) for local in found)
                self.covered = step_end
                until = self._rule._until  # type: ignore[attr-defined]
                count = self._rule._count  # type: ignore[attr-defined]
                if (
                    step_end >= END_OF_TIME
                    or (until is not None and step_end > until)
                    or (count is not None and len(starts) >= count)
                ):
                    self.complete = True
        return starts


@lru_cache(maxsize=1024)
def _timeline(text: str, dtstart: datetime) -> _Timeline:
    return _Timeline(_parsed_rule(text, dtstart))


def _starts_through(event: Event, limit: datetime) -> list[datetime] | None:
    """The series' original starts, every one before ``limit`` at least; None when that is
    too far from its start to keep (then expand just the window)."""
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
    if not timerange.in_range(rid):
        return False
    starts = _starts_through(event, rid + timedelta(microseconds=1))
    if starts is not None:
        at = bisect_left(starts, rid)
        return at < len(starts) and starts[at] == rid
    local = rid.astimezone(TOKYO)
    found = rrules.between(rule, local - timedelta(seconds=1), local + timedelta(seconds=1))
    return any(d.astimezone(UTC) == rid for d in found)


def occurrences_before(event: Event, recurrence_id: datetime) -> int:
    """How many original occurrences of the series start before ``recurrence_id``."""
    rule = build_rule(event)
    if rule is None:
        return 0
    rid = as_utc(recurrence_id)
    start = series_start(event)
    if rid <= start:
        return 0
    # Exact for a COUNT series (at most MAX_COUNT); past rrules.MAX_STEPS "many" will do.
    return len(rrules.between(rule, start.astimezone(TOKYO), rid.astimezone(TOKYO)))


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
    window = rrules.between(
        rule,
        (after + timedelta(microseconds=1)).astimezone(TOKYO),
        until.astimezone(TOKYO),
        limit=MAX_OCCURRENCES_PER_RANGE,
    )
    return [local.astimezone(UTC) for local in window]


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
    last = _last_start(event, rule)
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


def _last_start(event: Event, rule: rrule) -> datetime | None:
    """The last original start of a series that ends (None: endless), found by bounded
    expansions: a COUNT series from its start, an UNTIL one looking back from UNTIL."""
    start = series_start(event).astimezone(TOKYO)
    until = rule._until  # type: ignore[attr-defined]
    count = rule._count  # type: ignore[attr-defined]
    if count is not None:
        found = rrules.between(rule, start, END_OF_TIME.astimezone(TOKYO), limit=count)
    elif until is not None:
        end = until.astimezone(TOKYO) + timedelta(seconds=1)
        found = []
        for years in (1, rrules.HORIZON_YEARS, None):
            since = start if years is None else max(start, rrules.horizon(end, -years))
            found = rrules.between(rule, since, end)
            if found or since == start:
                break
        if len(found) >= rrules.MAX_STEPS:
            return None  # more than a budget's worth: as good as endless
    else:
        return None
    # No occurrence at all (a rule stored before the horizon was checked): the start.
    return found[-1].astimezone(UTC) if found else start.astimezone(UTC)


def first_start(event: Event) -> datetime:
    """The start of the first occurrence the rule yields (aware UTC).

    RFC 5545 always counts DTSTART as an occurrence while we (as dateutil) do not when it
    does not match the rule, so an export starts the series here to mean the same.
    """
    rule = build_rule(event)
    first = rrules.first_within(rule) if rule is not None else None
    return first.astimezone(UTC) if first is not None else series_start(event)


def changed_occurrence(event: Event, override: EventOverride) -> Occurrence | None:
    """Where a moved or edited occurrence now is; None when cancelled or not in the series."""
    rid = as_utc(override.recurrence_id)
    if override.cancelled or rid in exdate_set(event) or not is_occurrence(event, rid):
        return None
    return _moved(event, rid, override, duration(event))
