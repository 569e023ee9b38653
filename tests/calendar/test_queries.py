"""Reading calendars through the calendar endpoint: my week with a series whose occurrences
were moved and cancelled, all-day entries, holidays, and Person.events through `_entities`
at a cost that does not grow with the department."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subgraphs.calendar import actions
from subgraphs.people import actions as people_actions
from tests.calendar import (
    PERSON_EVENTS,
    calendar_api,
    create_event,
    iso,
    jst,
    principal_of,
    week,
)

HOLIDAYS = "query($s: Date!, $e: Date!) { holidays(start: $s, end: $e) { date name kind } }"


@pytest.mark.django_db
def test_weekly_meeting_with_a_moved_and_a_cancelled_occurrence_in_my_week(okawa):
    kacho, shuji = okawa.people["kacho"], okawa.people["shuji"]
    meeting = create_event(
        kacho,
        title="課内会議",
        location="第1会議室",
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        attendee_ids=[shuji.id],
    )
    boss = principal_of(kacho)
    # Monday 13th moves to Wednesday 15th 14:00; Monday 20th is cancelled.
    assert actions.do_move_occurrence(
        boss, meeting.id, jst(2026, 4, 13, 10), jst(2026, 4, 15, 14), jst(2026, 4, 15, 15)
    ).ok
    assert actions.do_cancel_occurrence(boss, meeting.id, jst(2026, 4, 20, 10)).ok
    api = calendar_api(okawa, "shuji")
    weeks = [week(api, jst(2026, 4, d), jst(2026, 4, d + 7)) for d in (6, 13, 20)]
    assert [[o["start"] for o in w] for w in weeks] == [
        [iso(2026, 4, 6, 10)],
        [iso(2026, 4, 15, 14)],
        [],
    ]
    moved = weeks[1][0]
    assert moved["recurrenceId"] == iso(2026, 4, 13, 10)
    assert moved["isMoved"] and moved["isRecurring"]
    assert moved["title"] == "課内会議" and moved["location"] == "第1会議室"
    assert moved["organizer"] == {"id": str(kacho.id)}
    assert moved["attendees"] == [{"person": {"id": str(shuji.id)}, "response": "PENDING"}]
    # The series goes on after the cancelled one.
    assert [o["start"] for o in week(api, jst(2026, 4, 27), jst(2026, 5, 4))] == [
        iso(2026, 4, 27, 10)
    ]


@pytest.mark.django_db
def test_monthly_second_tuesday_through_the_api(okawa):
    create_event(
        okawa.people["kacho"],
        title="部長会議",
        starts_at=jst(2026, 1, 1, 13, 30),
        ends_at=jst(2026, 1, 1, 15),
        rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
    )
    found = week(calendar_api(okawa, "kacho"), jst(2026, 1, 1), jst(2027, 1, 1))
    assert [o["start"][:10] for o in found] == [
        "2026-01-13",
        "2026-02-10",
        "2026-03-10",
        "2026-04-14",
        "2026-05-12",
        "2026-06-09",
    ]


@pytest.mark.django_db
def test_all_day_entries_show_dates_and_span_the_days(okawa):
    create_event(
        okawa.people["kakari"],
        title="出張（県庁）",
        all_day=True,
        start_date=date(2026, 4, 8),
        end_date=date(2026, 4, 10),
        category="出張",
    )
    api = calendar_api(okawa, "kakari")
    [trip] = week(api, jst(2026, 4, 9), jst(2026, 4, 10))  # its second day
    assert trip["allDay"] is True
    assert (trip["startDate"], trip["endDate"]) == ("2026-04-08", "2026-04-10")
    assert trip["start"] == iso(2026, 4, 8) and trip["end"] == iso(2026, 4, 10)
    assert week(api, jst(2026, 4, 10), jst(2026, 4, 11)) == []


@pytest.mark.django_db
def test_holidays_include_substitute_holidays_and_the_towns_closed_days(okawa, kanda):
    actions.do_set_closed_day(principal_of(okawa.admin), date(2026, 12, 29), "年末年始休暇")
    got = calendar_api(okawa, "shuji").data(HOLIDAYS, {"s": "2026-05-01", "e": "2026-05-07"})
    assert got["holidays"] == [
        {"date": "2026-05-03", "name": "憲法記念日", "kind": "NATIONAL"},
        {"date": "2026-05-04", "name": "みどりの日", "kind": "NATIONAL"},
        {"date": "2026-05-05", "name": "こどもの日", "kind": "NATIONAL"},
        {"date": "2026-05-06", "name": "憲法記念日 振替休日", "kind": "NATIONAL"},
    ]
    # Every town closes 年末年始 by default (test_closed_days.py); okawa's own closed day
    # of that date shows its own name, kanda sees nothing of it.
    year_end = {"s": "2026-12-28", "e": "2026-12-30"}
    ours = calendar_api(okawa, "shuji").data(HOLIDAYS, year_end)["holidays"]
    assert ours == [{"date": "2026-12-29", "name": "年末年始休暇", "kind": "CLOSED"}]
    theirs = calendar_api(kanda, "shuji").data(HOLIDAYS, year_end)["holidays"]
    assert theirs == [{"date": "2026-12-29", "name": "年末年始", "kind": "CLOSED"}]


@pytest.mark.django_db
def test_set_closed_day_is_for_administrators(okawa):
    query = 'mutation { setClosedDay(day: "2026-08-14", name: "夏季閉庁") { closedDay { date name kind } errors { code } } }'
    refused = calendar_api(okawa, "shuji")(query)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = calendar_api(okawa, "admin").data(query)["setClosedDay"]
    assert done == {
        "closedDay": {"date": "2026-08-14", "name": "夏季閉庁", "kind": "CLOSED"},
        "errors": [],
    }


@pytest.mark.django_db
def test_ranges_must_be_forward_and_at_most_a_year(okawa):
    api = calendar_api(okawa, "shuji")
    for start, end in ((jst(2026, 4, 7), jst(2026, 4, 6)), (jst(2026, 1, 1), jst(2027, 1, 3))):
        result = api(
            "query($s: DateTime!, $e: DateTime!) { myEvents(start: $s, end: $e) { title } }",
            {"s": start.isoformat(), "e": end.isoformat()},
        )
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.django_db
def test_person_events_for_10_or_20_people_cost_the_same_sql_queries(okawa):
    admin = principal_of(okawa.admin)
    people = [
        people_actions.do_create_person(admin, {"login_id": f"9{i:03}", "name": f"職員 {i}"}).obj
        for i in range(100)
    ]
    # Everyone is invited to the weekly meeting; every third person has an own entry.
    create_event(
        okawa.people["kacho"],
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        attendee_ids=[p.id for p in people],
    )
    for person in people[::3]:
        create_event(
            person, title="打合せ", starts_at=jst(2026, 4, 8, 15), ends_at=jst(2026, 4, 8, 16)
        )
    reps = [{"__typename": "Person", "id": str(p.id)} for p in people]
    api = calendar_api(okawa, "shuji")
    api.data('{ holidays(start: "2026-01-01", end: "2026-01-02") { name } }')  # token's first use
    window = {"start": iso(2026, 4, 6), "end": iso(2026, 4, 13)}
    counts = {}
    # 20, not 100: a client's _entities is costed by its representations (each person's
    # events a list), and 100 of them cost more than a client may ask for at once.
    for size in (10, 20):
        with CaptureQueriesContext(connection) as queries:
            entities = api.data(PERSON_EVENTS, {"reps": reps[:size], **window})["_entities"]
        assert [e["id"] for e in entities] == [r["id"] for r in reps[:size]]
        counts[size] = len(queries)
    assert [len(e["events"]) for e in entities[:4]] == [2, 1, 1, 2]
    assert counts[10] == counts[20], counts
    calendar_selects = [q for q in queries.captured_queries if "calendar_" in q["sql"]]
    assert len(calendar_selects) == 3, [q["sql"][:120] for q in calendar_selects]
