"""Recurrence expansion as pure functions: series in Japan wall time, exdates, cancelled
and moved occurrences, and the RRULE forms staff use (weekly, monthly "second Tuesday",
yearly, UNTIL or COUNT)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from subgraphs.calendar import recurrence
from subgraphs.calendar.models import Event, EventOverride
from tests.calendar import jst


def series(rrule: str = "", **fields) -> Event:
    fields.setdefault("starts_at", jst(2026, 4, 6, 10))  # a Monday
    if fields["starts_at"] is not None:
        fields.setdefault("ends_at", fields["starts_at"] + timedelta(hours=1))
    event = Event(tenant_id=uuid.uuid4(), organizer_id=uuid.uuid4(), title="課内会議", **fields)
    if rrule:
        start = recurrence.series_start(event)
        event.rrule = recurrence.normalise_rrule(rrule, start)
    return event


def starts(found: list[recurrence.Occurrence]) -> list[datetime]:
    return [o.start.astimezone(recurrence.TOKYO).replace(tzinfo=None) for o in found]


def test_a_single_event_appears_only_in_ranges_it_overlaps():
    event = series()
    assert len(recurrence.occurrences(event, jst(2026, 4, 6), jst(2026, 4, 7))) == 1
    assert recurrence.occurrences(event, jst(2026, 4, 6, 11), jst(2026, 4, 7)) == []
    found = recurrence.occurrences(event, jst(2026, 4, 6, 10, 30), jst(2026, 4, 6, 10, 45))
    assert found[0].recurrence_id is None


def test_weekly_meeting_stays_at_ten_in_japan_and_lands_in_utc():
    event = series("FREQ=WEEKLY;BYDAY=MO")
    found = recurrence.occurrences(event, jst(2026, 4, 1), jst(2026, 5, 1))
    assert starts(found) == [datetime(2026, 4, d, 10) for d in (6, 13, 20, 27)]
    assert found[0].start == datetime(2026, 4, 6, 1, tzinfo=UTC)
    assert all(o.end - o.start == timedelta(hours=1) for o in found)
    assert found[1].recurrence_id == found[1].start


def test_exdates_cancelled_and_moved_occurrences():
    event = series("FREQ=WEEKLY;BYDAY=MO;COUNT=10")
    event.exdates = [jst(2026, 4, 13, 10).astimezone(UTC).isoformat()]
    cancelled = EventOverride(recurrence_id=jst(2026, 4, 20, 10), cancelled=True)
    # moved from Monday 27 April to Tuesday 5 May (out of the April range, into May's)
    moved = EventOverride(
        recurrence_id=jst(2026, 4, 27, 10),
        starts_at=jst(2026, 5, 5, 14),
        ends_at=jst(2026, 5, 5, 15, 30),
        title="課内会議（変更）",
    )
    april = recurrence.occurrences(event, jst(2026, 4, 1), jst(2026, 5, 1), [cancelled, moved])
    assert starts(april) == [datetime(2026, 4, 6, 10)]
    may = recurrence.occurrences(event, jst(2026, 5, 1), jst(2026, 5, 8), [cancelled, moved])
    assert starts(may) == [datetime(2026, 5, 4, 10), datetime(2026, 5, 5, 14)]
    assert may[1].moved and may[1].title == "課内会議（変更）"
    assert may[1].end - may[1].start == timedelta(hours=1, minutes=30)
    assert may[1].recurrence_id == jst(2026, 4, 27, 10)


def test_an_override_for_a_time_not_in_the_series_is_ignored():
    event = series("FREQ=WEEKLY;BYDAY=MO")
    stray = EventOverride(recurrence_id=jst(2026, 4, 7, 10), starts_at=jst(2026, 4, 8, 10))
    found = recurrence.occurrences(event, jst(2026, 4, 6), jst(2026, 4, 13), [stray])
    assert starts(found) == [datetime(2026, 4, 6, 10)]


def test_monthly_second_tuesday():
    event = series("FREQ=MONTHLY;BYDAY=2TU;COUNT=4", starts_at=jst(2026, 1, 1, 13, 30))
    found = recurrence.occurrences(event, jst(2026, 1, 1), jst(2027, 1, 1))
    assert starts(found) == [
        datetime(2026, 1, 13, 13, 30),
        datetime(2026, 2, 10, 13, 30),
        datetime(2026, 3, 10, 13, 30),
        datetime(2026, 4, 14, 13, 30),
    ]


def test_monthly_by_date_daily_and_yearly():
    monthly = series("FREQ=MONTHLY;BYMONTHDAY=25;UNTIL=20260630", starts_at=jst(2026, 4, 25, 9))
    found = recurrence.occurrences(monthly, jst(2026, 1, 1), jst(2027, 1, 1))
    assert starts(found) == [datetime(2026, m, 25, 9) for m in (4, 5, 6)]
    daily = series("FREQ=DAILY;INTERVAL=2;COUNT=3")
    assert len(recurrence.occurrences(daily, jst(2026, 1, 1), jst(2027, 1, 1))) == 3
    yearly = series("FREQ=YEARLY", starts_at=jst(2026, 4, 1, 9))
    found = recurrence.occurrences(yearly, jst(2026, 1, 1), jst(2029, 1, 1))
    assert starts(found) == [datetime(y, 4, 1, 9) for y in (2026, 2027, 2028)]


def test_until_in_japan_time_is_stored_in_utc_and_inclusive():
    event = series("RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260420T100000")
    assert event.rrule == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260420T010000Z"
    found = recurrence.occurrences(event, jst(2026, 4, 1), jst(2026, 6, 1))
    assert starts(found)[-1] == datetime(2026, 4, 20, 10)


def test_all_day_series_are_whole_days_in_japan():
    event = series(
        "FREQ=WEEKLY;BYDAY=FR;COUNT=2",
        all_day=True,
        starts_at=None,
        ends_at=None,
        start_date=date(2026, 4, 10),
        end_date=date(2026, 4, 11),
    )
    found = recurrence.occurrences(event, jst(2026, 4, 1), jst(2026, 5, 1))
    assert [(o.start_date, o.end_date) for o in found] == [
        (date(2026, 4, 10), date(2026, 4, 11)),
        (date(2026, 4, 17), date(2026, 4, 18)),
    ]
    assert found[0].start == jst(2026, 4, 10)


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=HOURLY",
        "FREQ=WEEKLY;COUNT=3;UNTIL=20261231",
        "FREQ=WEEKLY;COUNT=0",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=WEEKLY;UNTIL=20200101",
        "FREQ=WEEKLY\nFREQ=DAILY",
        "DTSTART=20260101",
        "nonsense",
    ],
)
def test_rules_we_do_not_expand_are_refused(text):
    with pytest.raises(recurrence.InvalidRule):
        recurrence.normalise_rrule(text, jst(2026, 4, 6, 10))


def test_span_covers_moved_occurrences_and_is_open_for_endless_series():
    endless = series("FREQ=WEEKLY;BYDAY=MO")
    assert recurrence.span(endless) == (jst(2026, 4, 6, 10), None)
    bounded = series("FREQ=WEEKLY;BYDAY=MO;COUNT=2")
    moved = EventOverride(
        recurrence_id=jst(2026, 4, 13, 10),
        starts_at=jst(2026, 5, 1, 10),
        ends_at=jst(2026, 5, 1, 12),
    )
    assert recurrence.span(bounded, [moved]) == (jst(2026, 4, 6, 10), jst(2026, 5, 1, 12))


def test_split_helpers():
    event = series("FREQ=WEEKLY;BYDAY=MO;COUNT=10")
    assert recurrence.occurrences_before(event, jst(2026, 4, 20, 10)) == 2
    assert recurrence.is_occurrence(event, jst(2026, 4, 20, 10))
    assert not recurrence.is_occurrence(event, jst(2026, 4, 20, 11))
    until = recurrence.with_until(event.rrule, jst(2026, 4, 20, 9, 59, 59))
    assert until == "FREQ=WEEKLY;BYDAY=MO;UNTIL=20260420T005959Z"
