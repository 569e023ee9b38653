"""findFreeSlots with facilityIds: a proposed time also leaves each room, car or pool
bookable, as the facilities subgraph (asked as the caller) would decide: not while fully
booked (仮予約 and 本予約 alike; a pool of 3 has room next to 2 bookings), only within
its opening hours (Japan time) and on its bookable weekdays."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from subgraphs.calendar import availability
from subgraphs.facilities import actions as facility_actions
from tests.calendar import JST, calendar_api, create_event, jst
from tests.facilities import admin_principal, at, book, facilities_api, make_rooms, next_weekday

SLOTS = """query($ids: [ID!]!, $s: DateTime!, $e: DateTime!, $d: Int!, $h: WorkingHoursInput,
  $f: [ID!]!, $skip: Boolean! = true) {
  findFreeSlots(personIds: $ids, start: $s, end: $e, durationMinutes: $d, workingHours: $h,
    facilityIds: $f, skipHolidays: $skip) { start end } }"""
MORNING = {"start": "09:00", "end": "12:00"}


def slots(okawa: Any, day: datetime, facilities: list[Any], **more: Any) -> list[tuple[str, str]]:
    variables = {
        "ids": more.pop("ids", []),
        "s": more.pop("s", day.isoformat()),
        "e": more.pop("e", (day + timedelta(days=1)).isoformat()),
        "d": more.pop("d", 60),
        "h": more.pop("h", MORNING),
        "f": [str(f.id) for f in facilities],
        "skip": False,
        **more,
    }
    found = calendar_api(okawa, "kakari").data(SLOTS, variables)["findFreeSlots"]
    return [(f["start"], f["end"]) for f in found]


def hours(day: datetime, *pairs: tuple[str, str]) -> list[tuple[str, str]]:
    jp = day.astimezone(JST)
    return [(at(jp, s), at(jp, e)) for s, e in pairs]


@pytest.mark.django_db
def test_a_booked_room_leaves_out_its_time(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    assert (
        book(facilities_api(okawa, "shimin"), rooms.room2, day, "10:00", "11:00")["__typename"]
        == "ReservationPayload"
    )
    assert slots(okawa, day, []) == hours(
        day, ("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00")
    )
    assert slots(okawa, day, [rooms.room2]) == hours(day, ("09:00", "10:00"), ("11:00", "12:00"))
    # 仮予約 (awaiting approval) count too; another room's bookings do not.
    assert (
        book(facilities_api(okawa, "shimin"), rooms.hall, day, "09:00", "10:00")["__typename"]
        == "ReservationPayload"
    )
    assert slots(okawa, day, [rooms.room2, rooms.hall]) == hours(day, ("11:00", "12:00"))


@pytest.mark.django_db
def test_a_pool_has_room_until_it_is_fully_booked_and_cancelled_bookings_free_it(okawa):
    rooms, day = make_rooms(okawa, pool_size=3), next_weekday()
    api = facilities_api(okawa, "shimin")
    for _ in range(2):
        assert book(api, rooms.pcs, day, "10:00", "11:00")["__typename"] == "ReservationPayload"
    everything = hours(day, ("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00"))
    assert slots(okawa, day, [rooms.pcs]) == everything  # 2 of 3 booked: still bookable
    third = book(api, rooms.pcs, day, "10:30", "11:30")["reservation"]
    # All 3 taken from 10:30 to 11:00: 10:00–11:00 cannot be booked, 11:00–12:00 can.
    assert slots(okawa, day, [rooms.pcs]) == hours(day, ("09:00", "10:00"), ("11:00", "12:00"))
    cancelled = api.data(
        "mutation($id: ID!) { cancelReservation(id: $id) { __typename } }", {"id": third["id"]}
    )
    assert cancelled["cancelReservation"]["__typename"] == "ReservationPayload"
    assert slots(okawa, day, [rooms.pcs]) == everything


@pytest.mark.django_db
def test_slots_stay_within_the_facilitys_opening_hours_and_weekdays(okawa):
    rooms, day = make_rooms(okawa), next_weekday()  # 第1会議室: 08:30–21:00
    long_day = {"start": "07:00", "end": "22:00"}
    assert slots(okawa, day, [rooms.room1], h=long_day, d=360) == hours(
        day, ("08:30", "14:30"), ("14:30", "20:30")
    )
    assert (
        slots(okawa, day, [rooms.room2], h=long_day, d=360)[0] == hours(day, ("07:00", "13:00"))[0]
    )
    # Closed for the whole of the asked hours: nothing to propose.
    assert slots(okawa, day, [rooms.room1], h={"start": "21:00", "end": "22:00"}) == []
    tuesdays = facility_actions.do_save_facility(
        admin_principal(okawa),
        None,
        {"group_id": rooms.group.id, "name": "和室", "bookable_weekdays": [1]},
    ).obj
    week = {
        "s": (day - timedelta(days=day.weekday())).isoformat(),
        "e": (day + timedelta(days=7 - day.weekday())).isoformat(),
    }
    tuesday = day - timedelta(days=day.weekday() - 1)
    assert slots(okawa, day, [tuesdays], **week) == hours(
        tuesday, ("09:00", "10:00"), ("10:00", "11:00"), ("11:00", "12:00")
    )


@pytest.mark.django_db
def test_bookings_further_than_one_facilities_window_ahead_are_seen(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    later = day + timedelta(days=70)  # the facilities subgraph answers 62 days at a time
    assert (
        book(facilities_api(okawa, "shimin"), rooms.room2, later, "10:00", "11:00")["__typename"]
        == "ReservationPayload"
    )
    kakari = okawa.people["kakari"]
    create_event(
        kakari, title="長期研修", all_day=True, start_date=day.date(), end_date=later.date()
    )
    found = slots(
        okawa,
        day,
        [rooms.room2],
        ids=[str(kakari.id)],
        e=(day + timedelta(days=80)).isoformat(),
    )
    assert found[:3] == [
        *hours(later, ("09:00", "10:00"), ("11:00", "12:00")),
        *hours(later + timedelta(days=1), ("09:00", "10:00")),
    ]


@pytest.mark.django_db
def test_a_facility_of_another_municipality_is_a_bad_input_error(okawa, kanda):
    foreign, day = make_rooms(kanda).room2, next_weekday()
    for bad in (str(foreign.id), "not-a-facility"):
        result = calendar_api(okawa, "kakari")(
            SLOTS,
            {
                "ids": [],
                "s": day.isoformat(),
                "e": (day + timedelta(days=1)).isoformat(),
                "d": 60,
                "f": [bad],
            },
        )
        assert result["data"] is None
        [error] = result["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["message"] == f"No facility {bad} in your municipality."


def test_full_times_counts_bookings_at_once_against_the_pool():
    t = lambda h, m=0: jst(2026, 4, 7, h, m)  # noqa: E731 - a short clock for the table below
    bookings = [(t(10), t(11)), (t(10), t(11)), (t(10, 30), t(11, 30)), (t(11, 30), t(12))]
    assert availability.full_times(bookings, 1) == [(t(10), t(12))]
    assert availability.full_times(bookings, 2) == [(t(10), t(11))]
    assert availability.full_times(bookings, 3) == [(t(10, 30), t(11))]
    assert availability.full_times(bookings, 4) == []
    # Back to back is not at once.
    assert availability.full_times([(t(9), t(10)), (t(10), t(11))], 2) == []


def test_within_hours_narrows_working_hours_to_every_facility():
    assert availability.within_hours(
        time(8, 30), time(17, 15), [time(9), None], [None, time(17)]
    ) == (
        time(9),
        time(17),
    )
    assert availability.within_hours(time(8, 30), time(17, 15), [time(18)], [None]) is None


@pytest.mark.django_db
def test_slots_respect_how_long_and_how_far_ahead_a_facility_may_be_booked(okawa):
    rooms = make_rooms(okawa)
    # 第1会議室 takes bookings of 30 to 480 minutes: a 15-minute slot could not be booked.
    day = next_weekday()
    too_short = calendar_api(okawa, "kakari")(
        SLOTS,
        {
            "ids": [],
            "s": day.isoformat(),
            "e": (day + timedelta(days=1)).isoformat(),
            "d": 15,
            "h": MORNING,
            "f": [str(rooms.room1.id)],
        },
    )
    assert too_short["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "第1会議室" in too_short["errors"][0]["message"]
    # A car bookable at most 2 days ahead: no slot proposed after that.
    car = facility_actions.do_save_facility(
        admin_principal(okawa),
        None,
        {"group_id": rooms.cars.id, "name": "公用車3号", "max_days_ahead": 2},
    ).obj
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    window = {
        "s": (today + timedelta(days=1)).isoformat(),
        "e": (today + timedelta(days=12)).isoformat(),
    }
    last_day = (today + timedelta(days=2)).date()
    anyone = {datetime.fromisoformat(s).date() for s, _ in slots(okawa, today, [], **window)}
    with_car = {datetime.fromisoformat(s).date() for s, _ in slots(okawa, today, [car], **window)}
    assert max(anyone) > last_day  # without the car the search goes on
    assert with_car == {d for d in anyone if d <= last_day}
