"""Reading schedules: a group's day or week in one query at a cost that does not grow with the
number of bookings, a facility's month, availability, my bookings, and Person.reservations."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subgraphs.facilities import actions
from tests.facilities import at, book, facilities_api, make_rooms, next_weekday, staff_principal

GROUP_SCHEDULE = """
query($g: ID!, $s: DateTime!, $e: DateTime!) {
  facilityGroupSchedule(groupId: $g, start: $s, end: $e) {
    facility { id name capacity poolSize group { name } }
    reservations { id start end status purpose requester { id } facility { name } }
  }
}
"""
AVAILABLE = """
query($s: DateTime!, $e: DateTime!, $c: Int!) {
  availableFacilities(start: $s, end: $e, capacity: $c) { name capacity }
}
"""


@pytest.mark.django_db
def test_a_group_schedule_shows_each_room_with_its_bookings(okawa):
    rooms, day = make_rooms(okawa), next_weekday(3)
    api = facilities_api(okawa, "shuji")
    book(api, rooms.room1, day, "10:00", "11:00", purpose="係内打合せ")
    book(facilities_api(okawa, "kacho"), rooms.room2, day, "13:00", "14:00", purpose="人事面談")
    book(api, rooms.room2, day + timedelta(days=1), "13:00", "14:00")  # outside the window
    rows = api.data(
        GROUP_SCHEDULE, {"g": str(rooms.group.id), "s": at(day, "00:00"), "e": at(day, "24:00")}
    )
    schedule = rows["facilityGroupSchedule"]
    assert [r["facility"]["name"] for r in schedule] == ["第1会議室", "第2会議室", "大会議室"]
    assert schedule[0]["facility"]["group"] == {"name": "会議室"}
    [ours] = schedule[0]["reservations"]
    assert datetime.fromisoformat(ours["start"]) == datetime.fromisoformat(at(day, "10:00"))
    assert ours["purpose"] == "係内打合せ"  # my own purpose I see
    [theirs] = schedule[1]["reservations"]
    assert theirs["purpose"] is None and theirs["requester"]["id"] == str(okawa.people["kacho"].id)
    assert schedule[2]["reservations"] == []


def _schedule_queries(okawa, rooms, day, count):
    staff = [okawa.people[k] for k in ("shuji", "kakari", "kacho", "jinji", "shimin")]
    for n in range(count):
        facility = [rooms.room2, rooms.hall][n % 2]
        start = day + timedelta(minutes=15 * (n // 2))
        outcome = actions.do_create_reservation(
            staff_principal(staff[n % 5]), facility.id, start, start + timedelta(minutes=15)
        )
        assert outcome.ok, outcome
    api = facilities_api(okawa, "shuji")
    variables = {
        "g": str(rooms.group.id),
        "s": day.isoformat(),
        "e": (day + timedelta(days=2)).isoformat(),
    }
    with CaptureQueriesContext(connection) as queries:
        rows = api.data(GROUP_SCHEDULE, variables)["facilityGroupSchedule"]
    assert sum(len(r["reservations"]) for r in rows) == count
    return len(queries)


@pytest.mark.django_db
def test_a_group_schedule_costs_the_same_for_10_and_100_bookings(okawa, kanda):
    day = next_weekday(3)
    few = _schedule_queries(okawa, make_rooms(okawa), day, 10)
    many = _schedule_queries(kanda, make_rooms(kanda), day, 100)
    assert few == many, (few, many)


@pytest.mark.django_db
def test_a_facility_month_and_my_reservations(okawa):
    rooms, day = make_rooms(okawa), next_weekday(3)
    api = facilities_api(okawa, "shuji")
    for week in range(3):
        book(api, rooms.room2, day + timedelta(days=7 * week), "10:00", "11:00")
    book(facilities_api(okawa, "kacho"), rooms.room2, day, "13:00", "14:00")
    month = api.data(
        "query($id: ID!, $s: DateTime!, $e: DateTime!) { facilitySchedule(id: $id, start: $s, end: $e) { facility { name } reservations { mine } } }",
        {
            "id": str(rooms.room2.id),
            "s": day.isoformat(),
            "e": (day + timedelta(days=31)).isoformat(),
        },
    )["facilitySchedule"]
    assert month["facility"]["name"] == "第2会議室"
    assert [r["mine"] for r in month["reservations"]] == [True, False, True, True]
    mine = api.data(
        "query($s: DateTime!, $e: DateTime!) { myReservations(start: $s, end: $e) { facility { name } status } }",
        {"s": day.isoformat(), "e": (day + timedelta(days=31)).isoformat()},
    )["myReservations"]
    assert len(mine) == 3
    too_long = api(
        "query($s: DateTime!, $e: DateTime!) { myReservations(start: $s, end: $e) { id } }",
        {"s": day.isoformat(), "e": (day + timedelta(days=100)).isoformat()},
    )
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.django_db
def test_which_rooms_for_12_people_are_free_on_thursday_afternoon(okawa):
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    api = facilities_api(okawa, "shuji")
    variables = {"s": at(thursday, "14:00"), "e": at(thursday, "15:30"), "c": 12}
    free = api.data(AVAILABLE, variables)["availableFacilities"]
    assert [f["name"] for f in free] == ["第1会議室", "大会議室"]
    book(facilities_api(okawa, "kacho"), rooms.room1, thursday, "15:00", "16:00")
    free = api.data(AVAILABLE, variables)["availableFacilities"]
    assert [f["name"] for f in free] == ["大会議室"]
    # Back to back is free; a Saturday breaks 第1会議室's weekday rule.
    later = api.data(
        AVAILABLE, {**variables, "s": at(thursday, "16:00"), "e": at(thursday, "17:00")}
    )
    assert [f["name"] for f in later["availableFacilities"]] == ["第1会議室", "大会議室"]
    saturday = thursday + timedelta(days=2)
    weekend = api.data(
        AVAILABLE, {**variables, "s": at(saturday, "10:00"), "e": at(saturday, "11:00")}
    )
    assert [f["name"] for f in weekend["availableFacilities"]] == ["大会議室"]


@pytest.mark.django_db
def test_a_person_shows_their_bookings_through_entities(okawa):
    rooms, day = make_rooms(okawa), next_weekday(3)
    shuji = okawa.people["shuji"]
    booked = book(facilities_api(okawa, "shuji"), rooms.room2, day, "10:00", "11:00")["reservation"]
    query = """query($reps: [_Any!]!, $s: DateTime!, $e: DateTime!) { _entities(representations: $reps) {
      ... on Person { id reservations(start: $s, end: $e) { id facility { name } } }
      ... on Reservation { id start facility { name } } } }"""
    reps = [
        {"__typename": "Person", "id": str(shuji.id)},
        {"__typename": "Reservation", "id": booked["id"]},
    ]
    data = facilities_api(okawa, "kacho").data(
        query, {"reps": reps, "s": day.isoformat(), "e": (day + timedelta(days=1)).isoformat()}
    )
    assert data["_entities"] == [
        {
            "id": str(shuji.id),
            "reservations": [{"id": booked["id"], "facility": {"name": "第2会議室"}}],
        },
        {"id": booked["id"], "start": booked["start"], "facility": {"name": "第2会議室"}},
    ]
