"""Expanding recurrence rules (RFC 5545 RRULE) with python-dateutil at a bounded cost.

dateutil walks a rule period by period from DTSTART and stops only at a match past UNTIL,
at COUNT matches or at the end of year 9999. So a rule that never matches (30 February)
walked eight thousand years (3.5 s for a daily one), and a window years after DTSTART was
reached only by walking every period before it. ``between`` makes the cost depend on the
window instead:

- **Jump.** Without COUNT the series is restarted at a period boundary just before the
  window (INTERVAL kept: DAILY/WEEKLY by whole intervals of days, MONTHLY/YEARLY by whole
  intervals of months), with the parts dateutil derives from DTSTART (the weekday of a
  weekly rule, the day of a monthly one) given explicitly, so the occurrences are the same.
  BYSETPOS selects within a period, and periods stay aligned, so it keeps its meaning.
  With COUNT (at most a thousand here) the occurrences are counted from DTSTART as before.
- **Horizon.** The whole computation is moved by a whole number of years to the end of the
  calendar, where dateutil's own stop at year 9999 comes soon after the window: by the
  largest shift that keeps the calendar of the years involved (weekday of 1 January, leap
  years), found near the end, else by whole 400-year Gregorian cycles. So a rule without a
  match after the window walks a few decades of periods (rarely four centuries), not
  thousands of years.
- **Budget.** At most ``MAX_STEPS`` matches are looked at per call.

Datetimes may be aware (calendar: Japan wall time) or naive (facilities: Japan wall time
too), as long as DTSTART and the window agree.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule

# Sub-daily rules are refused wherever a client may give a rule (calendar and facilities):
# minutes or seconds apart, a week of them is tens of thousands of entries.
SUB_DAILY = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})
# A rule must have its first occurrence within this many years of its start.
HORIZON_YEARS = 10
# Matches one expansion looks at, before and in its window together.
MAX_STEPS = 5000
# The last year a shifted computation may reach (a year short of datetime.MAXYEAR, for the
# time zone of an UNTIL in UTC).
_LAST_YEAR = 9998


def horizon(start: datetime, years: int = HORIZON_YEARS) -> datetime:
    """``start`` plus ``years`` years (29 February becomes 1 March), at most to the end of
    year 9998 (rows stored before dates were checked may lie near the end of time)."""
    year = min(max(start.year + years, 1), _LAST_YEAR)
    try:
        return start.replace(year=year)
    except ValueError:
        return start.replace(year=year, month=3, day=1)


def between(rule: rrule, start: datetime, end: datetime, limit: int = MAX_STEPS) -> list[datetime]:
    """The starts of ``rule`` in [start, end), in order, at most ``limit`` of them.

    Each start is as dateutil gives it (in DTSTART's time zone, if any).
    """
    # dateutil keeps a rule's parts in private attributes only; replace() reads them too.
    dtstart: datetime = rule._dtstart  # type: ignore[attr-defined]
    until: datetime | None = rule._until  # type: ignore[attr-defined]
    count: int | None = rule._count  # type: ignore[attr-defined]
    if end <= start or end <= dtstart or (until is not None and until < start):
        return []
    first, derived = (dtstart, {}) if count is not None else _jump(rule, max(start, dtstart))
    stop = end if until is None else min(until, end)
    shift = _shift(first.year, max(stop.year, end.year))
    changes: dict[str, Any] = {"dtstart": _add_years(first, shift), **derived}
    if count is None:
        # An UNTIL of the window's end (inclusive in dateutil): the walk stops at the first
        # match after the window. With COUNT dateutil takes no UNTIL; the break below stops.
        changes["until"] = _add_years(stop, shift)
    window_start, window_end = _add_years(start, shift), _add_years(end, shift)
    found: list[datetime] = []
    for step, moment in enumerate(rule.replace(**changes)):  # type: ignore[attr-defined]
        if moment >= window_end or step >= MAX_STEPS:
            break
        if moment >= window_start:
            found.append(_add_years(moment, -shift))
            if len(found) >= limit:
                break
    return found


def first_within(rule: rrule, years: int = HORIZON_YEARS) -> datetime | None:
    """The rule's first start within ``years`` years of DTSTART, or None."""
    dtstart: datetime = rule._dtstart  # type: ignore[attr-defined]
    found = between(rule, dtstart, horizon(dtstart, years), limit=1)
    return found[0] if found else None


def _jump(rule: rrule, target: datetime) -> tuple[datetime, dict[str, Any]]:
    """A DTSTART on a period boundary of the series at least one interval before
    ``target`` (or DTSTART itself), and the parts dateutil had derived from DTSTART."""
    dtstart: datetime = rule._dtstart  # type: ignore[attr-defined]
    freq: int = rule._freq  # type: ignore[attr-defined]
    interval: int = rule._interval  # type: ignore[attr-defined]
    moved = dtstart
    if freq in (DAILY, WEEKLY):
        unit = interval * (7 if freq == WEEKLY else 1)
        periods = (target.date() - dtstart.date()).days // unit - 1
        if periods > 0:
            moved = dtstart + timedelta(days=periods * unit)
    elif freq in (MONTHLY, YEARLY):
        unit = interval * (12 if freq == YEARLY else 1)
        months = (target.year - dtstart.year) * 12 + target.month - dtstart.month
        periods = months // unit - 1
        if periods > 0:
            index = dtstart.month - 1 + periods * unit
            month = 1 if freq == YEARLY else index % 12 + 1
            moved = dtstart.replace(year=dtstart.year + index // 12, month=month, day=1)
    if moved == dtstart:
        return dtstart, {}
    original: dict[str, Any] = rule._original_rule  # type: ignore[attr-defined]
    derived: dict[str, Any] = {
        name: getattr(rule, f"_{name}")
        for name in ("bymonth", "bymonthday", "byweekday")
        if name in original and original[name] is None
    }
    return moved, derived


def _add_years(moment: datetime, years: int) -> datetime:
    # Only ever by a shift that keeps every date of the years involved (see _shift).
    return moment.replace(year=moment.year + years) if years else moment


def _same_calendar(year: int, other: int) -> bool:
    return calendar.isleap(year) == calendar.isleap(other) and (
        date(year, 1, 1).weekday() == date(other, 1, 1).weekday()
    )


@lru_cache(maxsize=256)
def _shift(first_year: int, last_year: int) -> int:
    """Years to add so that [first_year, last_year] ends near year 9999 with every date
    on the same weekday; 0 when already there."""
    room = _LAST_YEAR - last_year
    if room <= 0:
        return 0
    years = range(max(first_year - 1, 1), last_year + 2)
    # Leap years line up only four years apart; the first such shift (from the top) that
    # keeps every year's weekdays is usually within a few decades of the end, unless the
    # years span a century that is no leap year: then the 400-year cycle, always the same.
    shift = room - room % 4
    for _ in range(400):
        if shift <= 0:
            break
        if all(_same_calendar(y, y + shift) for y in years):
            return shift
        shift -= 4
    return room - room % 400
