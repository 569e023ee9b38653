"""Free/busy and finding a time everybody is free.

Pure functions over occurrences, except ``working_days`` (the tenant's closed days).
Facilities come in as plain data (``directory.facility_times`` asks for them): when a
facility is full (``full_times``) and when it may be booked (``within_hours``).
Busy time carries no titles: colleagues of the same tenant may see anyone's. An invitation
the person declined does not make them busy; an all-day entry (a trip, leave) does, for
the whole day.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import jpholiday

from subgraphs.calendar import closed_days, recurrence
from subgraphs.calendar.models import EventAttendee
from subgraphs.core.principal import Principal

Interval = tuple[datetime, datetime]
STEP = timedelta(minutes=15)
MAX_SLOTS = 10
MAX_PEOPLE = 100
MAX_SEARCH = timedelta(days=92)  # a quarter is as far as proposing a meeting time goes


def takes_up_time(person_id: uuid.UUID, occurrence: recurrence.Occurrence) -> bool:
    """Whether the occurrence makes the person busy (not when they declined it)."""
    event = occurrence.event
    if event.organizer_id == person_id:
        return True
    return not any(
        a.person_id == person_id and a.response == EventAttendee.Response.DECLINED
        for a in event.attendee_rows()
    )


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching intervals joined, by start."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def busy_of(
    person_id: uuid.UUID,
    occurrences: Iterable[recurrence.Occurrence],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """The person's busy time within [start, end), merged."""
    return merge(
        (max(o.start, start), min(o.end, end))
        for o in occurrences
        if takes_up_time(person_id, o) and o.start < end and o.end > start
    )


def working_days(principal: Principal, first: date, last: date, skip_holidays: bool) -> set[date]:
    """Weekdays in [first, last]; without national holidays and the tenant's closed days
    when ``skip_holidays``. Three queries at most."""
    days = {
        first + timedelta(days=n)
        for n in range((last - first).days + 1)
        if (first + timedelta(days=n)).weekday() < 5
    }
    if not skip_holidays or not days:
        return days
    assert principal.tenant_id is not None
    days -= set(closed_days.closed_between(principal.tenant_id, first, last))
    return {d for d in days if not jpholiday.is_holiday(d)}


def full_times(bookings: Iterable[Interval], pool_size: int) -> list[Interval]:
    """When ``pool_size`` or more of ``bookings`` overlap: the facility has no room then.

    A room or car (pool 1) is full whenever booked; a pool of 3 only where three bookings
    overlap, as the facilities subgraph counts when it books. Touching bookings ([10:00,
    11:00) and [11:00, 12:00)) do not overlap.
    """
    changes = sorted(
        [(s, 1) for s, e in bookings if s < e] + [(e, -1) for s, e in bookings if s < e],
        key=lambda change: (change[0], change[1]),  # an end before a start at one moment
    )
    full: list[Interval] = []
    count = 0
    since: datetime | None = None
    for moment, step in changes:
        count += step
        if since is None and count >= max(pool_size, 1):
            since = moment
        elif since is not None and count < max(pool_size, 1):
            if moment > since:
                full.append((since, moment))
            since = None
    return merge(full)


def within_hours(
    day_start: time, day_end: time, opens: Iterable[time | None], closes: Iterable[time | None]
) -> tuple[time, time] | None:
    """Working hours narrowed to every facility's opening hours (None: no limit that
    side); None when nothing is left."""
    start = max([day_start, *(t for t in opens if t is not None)])
    end = min([day_end, *(t for t in closes if t is not None)])
    return (start, end) if start < end else None


def _ceil_to_step(moment: datetime) -> datetime:
    local = moment.astimezone(recurrence.TOKYO)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = -((midnight - local) // STEP)  # ceiling division
    return (midnight + steps * STEP).astimezone(moment.tzinfo)


def free_slots(
    busy: Iterable[Interval],
    start: datetime,
    end: datetime,
    length: timedelta,
    day_start: time,
    day_end: time,
    days: set[date],
    limit: int = MAX_SLOTS,
) -> list[Interval]:
    """Up to ``limit`` slots of ``length`` in [start, end) free of ``busy``, within
    [day_start, day_end) Japan time on ``days``, starting on a quarter hour.

    Proposals do not overlap one another: after one, the next is the earliest free start
    once it has ended, so ten proposals spread over the days instead of stepping through
    one morning by quarter hours.
    """
    blocked = merge(busy)
    found: list[Interval] = []
    day = start.astimezone(recurrence.TOKYO).date()
    last_day = end.astimezone(recurrence.TOKYO).date()
    while day <= last_day and len(found) < limit:
        if day in days:
            opens = datetime.combine(day, day_start, recurrence.TOKYO)
            closes = datetime.combine(day, day_end, recurrence.TOKYO)
            candidate = _ceil_to_step(max(opens, start))
            latest = min(closes, end)
            while candidate + length <= latest and len(found) < limit:
                clash = next(
                    (b for b in blocked if b[0] < candidate + length and b[1] > candidate), None
                )
                if clash is None:
                    found.append((candidate, candidate + length))
                    candidate = candidate + length
                else:
                    candidate = _ceil_to_step(max(clash[1], candidate + STEP))
                candidate = _ceil_to_step(candidate)
        day += timedelta(days=1)
    return found
