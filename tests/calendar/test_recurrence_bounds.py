"""Recurrence rules cost what their window holds: a rule that never occurs (30 February) is
refused after a bounded look, and a window far from a series' start is reached without
walking every period in between. Work is measured in the months dateutil steps through
(its ``_iterinfo.rebuild``, once per month or year it enters), not in seconds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from dateutil import rrule as dateutil_rrule
from dateutil.rrule import rrulestr

from subgraphs.calendar.models import Event
from subgraphs.core import rrules
from tests.calendar import JST, calendar_api, create_event, jst

CREATE = """mutation($input: CreateEventInput!) { createEvent(input: $input) {
  event { id } errors { code field message } } }"""
OCCURRENCES = """query($id: ID!, $s: DateTime!, $e: DateTime!) {
  event(id: $id) { occurrences(start: $s, end: $e) { start } } }"""
IMPORT = """mutation($text: String!) { importIcs(text: $text) { events { id }
  errors { code message line } } }"""
NEVER = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"


@pytest.fixture
def months_walked(monkeypatch):
    """How many months dateutil has stepped into since the test began."""
    seen = [0]
    rebuild = dateutil_rrule._iterinfo.rebuild

    def counting(self, year, month):
        seen[0] += 1
        return rebuild(self, year, month)

    monkeypatch.setattr(dateutil_rrule._iterinfo, "rebuild", counting)
    return lambda: seen[0]


@pytest.mark.django_db
@pytest.mark.parametrize("rule", [NEVER, "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30;BYDAY=MO"])
def test_a_rule_that_never_occurs_is_refused_after_a_bounded_look(okawa, months_walked, rule):
    api = calendar_api(okawa, "shuji")
    before = months_walked()
    result = api.data(
        CREATE,
        {
            "input": {
                "title": "2月30日",
                "start": "2026-04-06T10:00:00+09:00",
                "end": "2026-04-06T11:00:00+09:00",
                "rrule": rule,
            }
        },
    )["createEvent"]
    assert result["event"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("RRULE_NEVER_OCCURS", "rrule")]
    assert "10 years" in result["errors"][0]["message"]
    # Walking to year 9999 was about 95,000 months; the horizon and the shift to the end of
    # the calendar leave a few decades.
    assert months_walked() - before < 1500
    assert not Event.objects.filter(title="2月30日").exists()


@pytest.mark.django_db
def test_a_rule_whose_first_occurrence_is_within_the_horizon_is_kept(okawa):
    # 29 February: the next one is in 2028.
    event = create_event(
        okawa.people["shuji"],
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    )
    api = calendar_api(okawa, "shuji")
    found = api.data(
        OCCURRENCES,
        {"id": str(event.id), "s": "2028-01-01T00:00:00", "e": "2028-12-31T00:00:00"},
    )["event"]["occurrences"]
    assert [o["start"][:10] for o in found] == ["2028-02-29"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYDAY=2TU",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=YEARLY;INTERVAL=2",
    ],
)
def test_a_far_window_costs_what_it_holds_and_gives_the_same_occurrences(
    okawa, months_walked, rule
):
    start = jst(1900, 1, 3, 10)
    event = create_event(
        okawa.people["shuji"], starts_at=start, ends_at=start + timedelta(hours=1), rrule=rule
    )
    window = (jst(2199, 6, 1), jst(2200, 6, 1))
    expected = rrulestr(rule, dtstart=start).between(*window, inc=True)
    expected = [d for d in expected if d < window[1]]
    api = calendar_api(okawa, "shuji")
    before = months_walked()
    found = api.data(
        OCCURRENCES,
        {"id": str(event.id), "s": window[0].isoformat(), "e": window[1].isoformat()},
    )["event"]["occurrences"]
    walked = months_walked() - before
    assert [datetime.fromisoformat(o["start"]) for o in found] == expected
    assert expected  # the window is not empty, so the comparison means something
    # From the series' start that was 3,600 months and more; the window is 12.
    assert walked < 600, walked


@pytest.mark.django_db
def test_a_count_is_honoured_far_from_the_start(okawa):
    event = create_event(
        okawa.people["shuji"],
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;COUNT=5",
    )
    api = calendar_api(okawa, "shuji")

    def starts(s: datetime, e: datetime) -> list[str]:
        found = api.data(OCCURRENCES, {"id": str(event.id), "s": s.isoformat(), "e": e.isoformat()})
        return [o["start"][:10] for o in found["event"]["occurrences"]]

    assert starts(jst(2026, 4, 1), jst(2026, 6, 1)) == [
        "2026-04-06",
        "2026-04-13",
        "2026-04-20",
        "2026-04-27",
        "2026-05-04",
    ]
    assert starts(jst(2026, 5, 5), jst(2027, 5, 5)) == []


def test_expansion_matches_dateutil_on_windows_anywhere():
    """The jump and the shift give exactly what walking from DTSTART gives."""
    rules = [
        "FREQ=DAILY;INTERVAL=5",
        "FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,SA",
        "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31",
        "FREQ=MONTHLY;COUNT=30;BYDAY=-1FR",
        "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO",
        "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=WEEKLY;UNTIL=20300101T000000Z",
    ]
    for index, text in enumerate(rules):
        for offset in range(0, 60 * 366, 997):
            dtstart = datetime(1995 + index, 1 + index, 3 + index, 9, 30, tzinfo=JST)
            rule = rrulestr(text, dtstart=dtstart)
            start = dtstart + timedelta(days=offset)
            end = start + timedelta(days=200)
            want = [d for d in rule.between(start, end, inc=True) if d < end]
            assert rrules.between(rule, start, end) == want, (text, start)


@pytest.mark.django_db
def test_import_reports_a_rule_that_never_occurs_and_stops_after_enough_problems(
    okawa, months_walked
):
    def vevent(n: int) -> str:
        return (
            f"BEGIN:VEVENT\r\nUID:never-{n}@example.org\r\nSUMMARY:never\r\n"
            "DTSTART;TZID=Asia/Tokyo:20260406T100000\r\nDTEND;TZID=Asia/Tokyo:20260406T110000\r\n"
            f"RRULE:{NEVER}\r\nEND:VEVENT\r\n"
        )

    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    api = calendar_api(okawa, "shuji")
    one = api.data(IMPORT, {"text": head + vevent(1) + "END:VCALENDAR\r\n"})["importIcs"]
    assert one["events"] == []
    assert [(e["code"], e["line"]) for e in one["errors"]] == [("RRULE_NEVER_OCCURS", 9)]
    before = months_walked()
    many = head + "".join(vevent(n) for n in range(300)) + "END:VCALENDAR\r\n"
    result = api.data(IMPORT, {"text": many})["importIcs"]
    codes = [e["code"] for e in result["errors"]]
    assert codes[-1] == "TOO_MANY_PROBLEMS" and len(codes) <= 60
    assert set(codes[:-1]) == {"RRULE_NEVER_OCCURS"}
    # 300 rules walked to year 9999 were 28 million months.
    assert months_walked() - before < 60 * 1500
    assert not Event.objects.filter(title="never").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "dtstart", ["DTSTART;VALUE=DATE:00010101", "DTSTART;TZID=Asia/Tokyo:99991231T230000"]
)
def test_import_of_a_date_outside_the_range_is_a_problem_not_a_crash(okawa, dtstart):
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:edge@example.org\r\nSUMMARY:edge\r\n{dtstart}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = calendar_api(okawa, "shuji").data(IMPORT, {"text": text})["importIcs"]
    assert result["events"] == []
    assert [(e["code"], e["line"]) for e in result["errors"]] == [("INVALID_INPUT", 7)]
    assert "1900-01-01 to 2200-12-31" in result["errors"][0]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("until", ["99991231", "00010101T000000Z"])
def test_an_until_outside_the_range_is_an_invalid_rule(okawa, until):
    result = calendar_api(okawa, "shuji").data(
        CREATE,
        {
            "input": {
                "title": "x",
                "start": "2026-04-06T10:00:00+09:00",
                "end": "2026-04-06T11:00:00+09:00",
                "rrule": f"FREQ=DAILY;UNTIL={until}",
            }
        },
    )["createEvent"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_RRULE", "rrule")]
