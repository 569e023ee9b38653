"""Free/busy and proposing a meeting time: a colleague's busy time without what it is,
moved and cancelled occurrences where they now are, working hours and days, and a cost
that does not grow with the number of people asked about."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subgraphs.calendar import actions
from subgraphs.people import actions as people_actions
from tests.calendar import calendar_api, create_event, iso, jst, principal_of

FREE_BUSY = """query($ids: [ID!]!, $s: DateTime!, $e: DateTime!) {
  freeBusy(personIds: $ids, start: $s, end: $e) { person { id } busy { start end } } }"""
SLOTS = """query($ids: [ID!]!, $s: DateTime!, $e: DateTime!, $d: Int!, $h: WorkingHoursInput) {
  findFreeSlots(personIds: $ids, start: $s, end: $e, durationMinutes: $d, workingHours: $h)
  { start end } }"""
SLOTS_DEFAULT_HOURS = """query($ids: [ID!]!, $s: DateTime!, $e: DateTime!, $d: Int!) {
  findFreeSlots(personIds: $ids, start: $s, end: $e, durationMinutes: $d) { start end } }"""


def _weekly(okawa):
    kacho = okawa.people["kacho"]
    meeting = create_event(
        kacho,
        title="人事評価面談",
        visibility="PRIVATE",
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        attendee_ids=[okawa.people["shuji"].id],
    )
    boss = principal_of(kacho)
    assert actions.do_move_occurrence(
        boss, meeting.id, jst(2026, 4, 13, 10), jst(2026, 4, 15, 14), jst(2026, 4, 15, 15)
    ).ok
    assert actions.do_cancel_occurrence(boss, meeting.id, jst(2026, 4, 20, 10)).ok
    return meeting


@pytest.mark.django_db
def test_free_busy_shows_moved_occurrences_and_not_cancelled_ones_without_titles(okawa, kanda):
    _weekly(okawa)
    kacho, shuji, kakari = (okawa.people[k] for k in ("kacho", "shuji", "kakari"))
    create_event(kakari, title="窓口", starts_at=jst(2026, 4, 7, 9), ends_at=jst(2026, 4, 7, 10))
    create_event(
        kakari, title="窓口2", starts_at=jst(2026, 4, 7, 9, 30), ends_at=jst(2026, 4, 7, 11)
    )
    foreign = kanda.people["kacho"]
    create_event(foreign, title="神田", starts_at=jst(2026, 4, 7, 9), ends_at=jst(2026, 4, 7, 10))
    ids = [str(kacho.id), str(shuji.id), str(kakari.id), str(foreign.id), "not-an-id"]
    result = calendar_api(okawa, "jinji")(
        FREE_BUSY, {"ids": ids, "s": iso(2026, 4, 6), "e": iso(2026, 4, 27)}
    )
    assert "errors" not in result
    got = result["data"]["freeBusy"]
    assert [g["person"]["id"] for g in got] == ids
    meetings = [
        {"start": iso(2026, 4, 6, 10), "end": iso(2026, 4, 6, 11)},
        {"start": iso(2026, 4, 15, 14), "end": iso(2026, 4, 15, 15)},
    ]
    assert got[0]["busy"] == meetings == got[1]["busy"]  # the 13th moved, the 20th cancelled
    assert got[2]["busy"] == [{"start": iso(2026, 4, 7, 9), "end": iso(2026, 4, 7, 11)}]
    assert got[3]["busy"] == [] and got[4]["busy"] == []
    assert "人事評価" not in str(result)


@pytest.mark.django_db
def test_declined_invitations_do_not_make_busy(okawa):
    meeting = _weekly(okawa)
    shuji = okawa.people["shuji"]
    assert actions.do_respond_to_event(principal_of(shuji), meeting.id, "DECLINED").ok
    got = calendar_api(okawa, "kacho").data(
        FREE_BUSY, {"ids": [str(shuji.id)], "s": iso(2026, 4, 6), "e": iso(2026, 4, 13)}
    )
    assert got["freeBusy"][0]["busy"] == []


@pytest.mark.django_db
def test_slots_avoid_meetings_include_lunch_and_skip_holidays_and_weekends(okawa):
    _weekly(okawa)
    kacho, shuji = okawa.people["kacho"], okawa.people["shuji"]
    # Busy the whole working day of Monday 13 April except 12:00–13:00: lunch is a slot.
    create_event(shuji, title="研修", starts_at=jst(2026, 4, 13, 8), ends_at=jst(2026, 4, 13, 12))
    create_event(shuji, title="研修", starts_at=jst(2026, 4, 13, 13), ends_at=jst(2026, 4, 13, 18))
    api = calendar_api(okawa, "kakari")
    ids = [str(kacho.id), str(shuji.id)]
    monday = api.data(SLOTS, {"ids": ids, "s": iso(2026, 4, 13), "e": iso(2026, 4, 14), "d": 60})
    assert monday["findFreeSlots"] == [{"start": iso(2026, 4, 13, 12), "end": iso(2026, 4, 13, 13)}]
    # Monday 6 April with default hours: the 10:00 meeting is avoided, slots are quarter-hours.
    sixth = api.data(
        SLOTS_DEFAULT_HOURS, {"ids": ids, "s": iso(2026, 4, 6), "e": iso(2026, 4, 7), "d": 60}
    )["findFreeSlots"]
    assert [s["start"] for s in sixth] == [
        iso(2026, 4, 6, h, m)
        for h, m in ((8, 30), (11, 0), (12, 0), (13, 0), (14, 0), (15, 0), (16, 0))
    ]
    # Golden Week: 29 April (昭和の日) and 2–6 May (weekend, holidays) have no slot.
    hours = {"start": "09:00", "end": "17:00"}
    week = api.data(
        SLOTS, {"ids": ids, "s": iso(2026, 4, 28), "e": iso(2026, 5, 8), "d": 480, "h": hours}
    )["findFreeSlots"]
    assert [s["start"][:10] for s in week] == [
        "2026-04-28",
        "2026-04-30",
        "2026-05-01",
        "2026-05-07",
    ]
    actions.do_set_closed_day(principal_of(okawa.admin), date(2026, 4, 30), "閉庁日")
    week = api.data(
        SLOTS, {"ids": ids, "s": iso(2026, 4, 28), "e": iso(2026, 5, 8), "d": 480, "h": hours}
    )["findFreeSlots"]
    assert [s["start"][:10] for s in week] == ["2026-04-28", "2026-05-01", "2026-05-07"]


@pytest.mark.django_db
def test_slot_input_is_checked(okawa):
    api = calendar_api(okawa, "kakari")
    good = {"start": "08:30", "end": "17:15"}
    for hours, minutes in (
        ({"start": "17:00", "end": "09:00"}, 60),
        ({"start": "x"}, 60),
        (good, 5),
    ):
        result = api(
            SLOTS, {"ids": [], "s": iso(2026, 4, 6), "e": iso(2026, 4, 7), "d": minutes, "h": hours}
        )
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", result


@pytest.mark.django_db
def test_free_busy_and_slots_for_10_or_50_people_cost_the_same_sql_queries(okawa):
    admin = principal_of(okawa.admin)
    people = [
        people_actions.do_create_person(admin, {"login_id": f"8{i:03}", "name": f"職員 {i}"}).obj
        for i in range(50)
    ]
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
    api = calendar_api(okawa, "shuji")
    api.data('{ holidays(start: "2026-01-01", end: "2026-01-02") { name } }')  # token's first use
    window = {"s": iso(2026, 4, 6), "e": iso(2026, 4, 13)}
    counts: dict[tuple[str, int], int] = {}
    for size in (10, 50):
        ids = [str(p.id) for p in people[:size]]
        with CaptureQueriesContext(connection) as queries:
            busy = api.data(FREE_BUSY, {"ids": ids, **window})["freeBusy"]
        counts[("busy", size)] = len(queries)
        assert [len(b["busy"]) for b in busy[:3]] == [2, 1, 1]
        with CaptureQueriesContext(connection) as queries:
            slots = api.data(SLOTS_DEFAULT_HOURS, {"ids": ids, "d": 60, **window})["findFreeSlots"]
        counts[("slots", size)] = len(queries)
        assert slots[0] == {"start": iso(2026, 4, 6, 8, 30), "end": iso(2026, 4, 6, 9, 30)}
    assert counts[("busy", 10)] == counts[("busy", 50)], counts
    assert counts[("slots", 10)] == counts[("slots", 50)], counts
