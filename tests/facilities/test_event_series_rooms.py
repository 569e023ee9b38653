"""Rooms booked with a series, an all-day entry or a split series follow every occurrence
(issue 4): the calendar endpoint asks facilities to make the event's bookings match its
occurrences, all or none, and both subgraphs are read back to see that they agree."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from subgraphs.calendar.models import Event
from subgraphs.facilities import actions as facility_actions
from subgraphs.facilities.models import Reservation
from tests.calendar import calendar_api
from tests.facilities import (
    admin_principal,
    at,
    book,
    facilities_api,
    make_rooms,
    next_weekday,
    staff_principal,
)

PAYLOAD = """event { id start end rrule cancelled }
  errors { code field message facilityId facilityName start end reservationId }"""
CREATE_EVENT = f"""mutation($input: CreateEventInput!) {{
  createEvent(input: $input) {{ {PAYLOAD} }} }}"""
UPDATE_EVENT = f"""mutation($id: ID!, $input: UpdateEventInput!) {{
  updateEvent(id: $id, input: $input) {{ {PAYLOAD} }} }}"""
MOVE = f"""mutation($id: ID!, $rid: DateTime!, $start: DateTime!, $end: DateTime!) {{
  moveOccurrence(eventId: $id, recurrenceId: $rid, start: $start, end: $end) {{ {PAYLOAD} }} }}"""
CANCEL_ONE = f"""mutation($id: ID!, $rid: DateTime!) {{
  cancelOccurrence(eventId: $id, recurrenceId: $rid) {{ {PAYLOAD} }} }}"""
FOLLOWING = f"""mutation($id: ID!, $rid: DateTime!, $input: UpdateEventInput!) {{
  editFollowing(eventId: $id, recurrenceId: $rid, input: $input) {{ {PAYLOAD} }} }}"""
CANCEL_EVENT = f"mutation($id: ID!) {{ cancelEvent(id: $id) {{ {PAYLOAD} }} }}"


def t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def active(event_id: str) -> list[tuple[datetime, datetime]]:
    rows = Reservation.objects.filter(event_id=event_id, status__in=Reservation.ACTIVE)
    return sorted((r.starts_at, r.ends_at) for r in rows)


def weekly(day: datetime, start: str, end: str, weeks: int) -> list[tuple[datetime, datetime]]:
    return [
        (t(at(day + timedelta(weeks=n), start)), t(at(day + timedelta(weeks=n), end)))
        for n in range(weeks)
    ]


def occurrences_of(api: Any, day: datetime, weeks: int) -> list[tuple[datetime, datetime]]:
    """The periods of the organiser's own occurrences, as the calendar shows them."""
    mine = api.data(
        "query($s: DateTime!, $e: DateTime!) { myEvents(start: $s, end: $e) { start end } }",
        {"s": day.isoformat(), "e": (day + timedelta(weeks=weeks)).isoformat()},
    )["myEvents"]
    return [(t(o["start"]), t(o["end"])) for o in mine]


def series(
    api: Any, rooms: list[Any], day: datetime, rrule: str, start: str = "10:00", end: str = "11:00"
) -> dict[str, Any]:
    """``create`` of a series from ``day``, 10:00–11:00 unless said."""
    return create(api, rooms, start=at(day, start), end=at(day, end), rrule=rrule)


def create(api: Any, rooms: list[Any], **values: Any) -> dict[str, Any]:
    variables = {"input": {"title": "定例会", "facilityIds": [str(r.id) for r in rooms], **values}}
    return api.data(CREATE_EVENT, variables)["createEvent"]  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_a_weekly_meeting_books_its_room_every_week_and_follows_each_change(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    made = series(api, [rooms.room2], day, "FREQ=WEEKLY;COUNT=4")
    assert made["errors"] == []
    event_id = made["event"]["id"]
    assert active(event_id) == weekly(day, "10:00", "11:00", 4)
    ids_before = set(Reservation.objects.filter(event_id=event_id).values_list("id", flat=True))

    # Drag & drop of the second week: only its booking moves, and keeps its ID.
    second = day + timedelta(weeks=1)
    moved = api.data(
        MOVE,
        {
            "id": event_id,
            "rid": at(second, "10:00"),
            "start": at(second, "14:00"),
            "end": at(second, "15:00"),
        },
    )["moveOccurrence"]
    assert moved["errors"] == []
    want = weekly(day, "10:00", "11:00", 4)
    want[1] = (t(at(second, "14:00")), t(at(second, "15:00")))
    assert active(event_id) == sorted(want) == occurrences_of(api, day, weeks=4)

    # Cancelling the third week frees its room, the others stay.
    third = day + timedelta(weeks=2)
    cancelled = api.data(CANCEL_ONE, {"id": event_id, "rid": at(third, "10:00")})
    assert cancelled["cancelOccurrence"]["errors"] == []
    del want[2]
    assert active(event_id) == sorted(want) == occurrences_of(api, day, weeks=4)

    # The whole series one hour later: the moved week stays where it was moved to and
    # the cancelled one stays cancelled (exceptions keep their day), and the bookings
    # follow exactly: the same three rows, two of them at 11:00 now.
    later = api.data(
        UPDATE_EVENT,
        {"id": event_id, "input": {"start": at(day, "11:00"), "end": at(day, "12:00")}},
    )["updateEvent"]
    assert later["errors"] == []
    want = weekly(day, "11:00", "12:00", 4)
    want[1] = (t(at(second, "14:00")), t(at(second, "15:00")))
    del want[2]
    assert active(event_id) == want == occurrences_of(api, day, weeks=4)
    ids_after = set(
        Reservation.objects.filter(event_id=event_id, status__in=Reservation.ACTIVE).values_list(
            "id", flat=True
        )
    )
    assert len(ids_after & ids_before) == 3 and len(ids_after) == 3

    # Cancelling the series frees every room.
    assert api.data(CANCEL_EVENT, {"id": event_id})["cancelEvent"]["errors"] == []
    assert active(event_id) == []


@pytest.mark.django_db
def test_a_series_whose_dates_collide_is_refused_by_date_and_nothing_is_made(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    third = day + timedelta(weeks=2)
    taken = book(facilities_api(okawa, "shuji"), rooms.room2, third, "10:30", "11:30")
    taken_id = taken["reservation"]["id"]
    api = calendar_api(okawa, "kakari")
    made = series(api, [rooms.room1, rooms.room2], day, "FREQ=WEEKLY;COUNT=4")
    assert made["event"] is None
    assert [(e["code"], e["facilityName"], e["reservationId"]) for e in made["errors"]] == [
        ("ROOM_CONFLICT", "第2会議室", taken_id)
    ]
    [error] = made["errors"]
    assert (t(error["start"]), t(error["end"])) == (t(at(third, "10:00")), t(at(third, "11:00")))
    assert not Event.objects.filter(organizer_id=okawa.people["kakari"].id).exists()
    assert Reservation.objects.filter(status__in=Reservation.ACTIVE).count() == 1


@pytest.mark.django_db
def test_moving_a_whole_series_onto_a_booked_date_changes_nothing(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    event_id = series(api, [rooms.room2], day, "FREQ=WEEKLY;COUNT=3")["event"]["id"]
    last = day + timedelta(weeks=2)
    book(facilities_api(okawa, "shuji"), rooms.room2, last, "15:00", "16:00")
    refused = api.data(
        UPDATE_EVENT,
        {"id": event_id, "input": {"start": at(day, "15:00"), "end": at(day, "16:00")}},
    )["updateEvent"]
    assert [e["code"] for e in refused["errors"]] == ["ROOM_CONFLICT"]
    assert t(refused["errors"][0]["start"]) == t(at(last, "15:00"))
    assert active(event_id) == weekly(day, "10:00", "11:00", 3)
    event = Event.objects.get(id=event_id)
    assert event.starts_at == t(at(day, "10:00")) and event.version == 1


@pytest.mark.django_db
def test_a_daily_series_shifted_by_a_day_passes_through_its_own_bookings(okawa):
    # Each booking moves onto the period the next one is leaving: on PostgreSQL the
    # exclusion constraint must not see the series collide with itself.
    rooms, day = make_rooms(okawa), next_weekday(0)  # a Monday
    api = calendar_api(okawa, "kakari")
    event_id = series(api, [rooms.room2], day, "FREQ=DAILY;COUNT=4", "09:00", "10:00")["event"][
        "id"
    ]
    ids = set(Reservation.objects.filter(event_id=event_id).values_list("id", flat=True))
    nextday = day + timedelta(days=1)
    shifted = api.data(
        UPDATE_EVENT,
        {"id": event_id, "input": {"start": at(nextday, "09:00"), "end": at(nextday, "10:00")}},
    )["updateEvent"]
    assert shifted["errors"] == []
    assert active(event_id) == [
        (t(at(day + timedelta(days=n), "09:00")), t(at(day + timedelta(days=n), "10:00")))
        for n in range(1, 5)
    ]
    # The three days still in the series kept their bookings, the fourth moved: same rows.
    kept = Reservation.objects.filter(event_id=event_id, status__in=Reservation.ACTIVE)
    assert set(kept.values_list("id", flat=True)) == ids


@pytest.mark.django_db
def test_this_and_following_takes_the_later_bookings_along(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    old_id = series(api, [rooms.room2], day, "FREQ=WEEKLY;COUNT=4")["event"]["id"]
    third = day + timedelta(weeks=2)
    split = api.data(
        FOLLOWING,
        {
            "id": old_id,
            "rid": at(third, "10:00"),
            "input": {"start": at(third, "13:00"), "end": at(third, "14:00")},
        },
    )["editFollowing"]
    assert split["errors"] == []
    new_id = split["event"]["id"]
    assert new_id != old_id
    assert active(old_id) == weekly(day, "10:00", "11:00", 2)
    assert active(new_id) == weekly(third, "13:00", "14:00", 2)
    # The new series' bookings are the old ones moved (same rows), not new bookings.
    assert Reservation.objects.filter(event_id__in=[old_id, new_id]).count() == 4


@pytest.mark.django_db
def test_an_all_day_trip_books_the_car_for_whole_days(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    car = facility_actions.do_save_facility(
        admin_principal(okawa), None, {"group_id": rooms.cars.id, "name": "公用車1号"}
    ).obj
    api = calendar_api(okawa, "kakari")
    first = timezone.localtime(day).date()
    made = create(
        api,
        [car],
        allDay=True,
        startDate=first.isoformat(),
        endDate=(first + timedelta(days=2)).isoformat(),
        category="出張",
    )
    assert made["errors"] == []
    assert active(made["event"]["id"]) == [(day, day + timedelta(days=2))]
    # A colleague asking for the car on the second morning is told it is out.
    clash = book(facilities_api(okawa, "shuji"), car, day + timedelta(days=1), "09:00", "12:00")
    assert clash["__typename"] == "ReservationConflict"
    # A room with opening hours cannot be had for whole days: refused by its rules.
    refused = create(
        api,
        [rooms.room1],
        allDay=True,
        startDate=first.isoformat(),
        endDate=(first + timedelta(days=1)).isoformat(),
    )
    assert refused["event"] is None
    assert {(e["code"], e["facilityName"]) for e in refused["errors"]} == {
        ("OUTSIDE_HOURS", "第1会議室"),
        ("TOO_LONG", "第1会議室"),  # it takes at most 8 hours
    }


@pytest.mark.django_db
def test_an_endless_weekly_meeting_books_a_year_ahead(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    made = create(
        api, [rooms.room2], start=at(day, "10:00"), end=at(day, "11:00"), rrule="FREQ=WEEKLY"
    )
    assert made["errors"] == []
    booked = active(made["event"]["id"])
    assert booked[0] == (t(at(day, "10:00")), t(at(day, "11:00")))
    assert booked[-1][0] - timezone.now() <= timedelta(days=366)
    assert 51 <= len(booked) <= 53
    # A daily endless one would need more than the 100 bookings one request may make.
    daily = create(
        api, [rooms.room2], start=at(day, "16:00"), end=at(day, "17:00"), rrule="FREQ=DAILY"
    )
    assert [e["code"] for e in daily["errors"]] == ["TOO_MANY_OCCURRENCES"]


@pytest.mark.django_db
def test_someone_elses_bookings_never_follow_or_block_my_series(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    event_id = series(api, [rooms.room2], day, "FREQ=WEEKLY;COUNT=2")["event"]["id"]
    # A colleague links their own booking to my event ID: it is theirs, it stays put.
    theirs = facility_actions.do_create_reservation(
        staff_principal(okawa.people["shuji"]),
        rooms.room1.id,
        t(at(day, "13:00")),
        t(at(day, "14:00")),
        event_id=event_id,
    )
    assert theirs.ok
    moved = api.data(
        UPDATE_EVENT,
        {"id": event_id, "input": {"start": at(day, "11:00"), "end": at(day, "12:00")}},
    )["updateEvent"]
    assert moved["errors"] == []
    theirs.obj.refresh_from_db()
    assert theirs.obj.starts_at == t(at(day, "13:00")) and theirs.obj.version == 1


@pytest.mark.django_db
def test_bookings_moving_through_each_others_periods_keep_their_ids(okawa):
    # Three back-to-back bookings of one event, all half an hour later: each lands on the
    # period the next one is leaving. On PostgreSQL the exclusion constraint must not see
    # the event collide with itself half-way through.
    rooms, day = make_rooms(okawa), next_weekday()
    kakari = staff_principal(okawa.people["kakari"])
    event_id = uuid.uuid4()

    def hours(*starts: str) -> list[tuple[datetime, datetime]]:
        return [(t(at(day, s)), t(at(day, s)) + timedelta(hours=1)) for s in starts]

    made = facility_actions.do_sync_event_reservations(
        kakari,
        event_id,
        hours("10:00", "11:00", "12:00"),
        since=timezone.now(),
        facility_ids=[rooms.room2.id],
    )
    assert not made.problems and len(made.rows) == 3
    shifted = facility_actions.do_sync_event_reservations(
        kakari, event_id, hours("10:30", "11:30", "12:30"), since=timezone.now()
    )
    assert not shifted.problems and not shifted.errors
    assert active(str(event_id)) == hours("10:30", "11:30", "12:30")
    assert {r.id for r in shifted.rows} == {r.id for r in made.rows}
    # Someone else's booking (14:00–15:00) in the way of two periods: nothing moves.
    book(facilities_api(okawa, "shuji"), rooms.room2, day, "14:00", "15:00")
    refused = facility_actions.do_sync_event_reservations(
        kakari, event_id, hours("12:30", "13:30", "14:30"), since=timezone.now()
    )
    assert [(p.starts_at, [c.requester_id for c in p.conflicts]) for p in refused.problems] == [
        (t(at(day, "13:30")), [okawa.people["shuji"].id]),
        (t(at(day, "14:30")), [okawa.people["shuji"].id]),
    ]
    assert active(str(event_id)) == hours("10:30", "11:30", "12:30")


@pytest.mark.django_db
def test_changing_the_rooms_of_a_meeting_in_its_edit_form(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    event_id = series(api, [rooms.room2], day, "FREQ=WEEKLY;COUNT=2")["event"]["id"]

    def rooms_of() -> list[tuple[str, datetime]]:
        rows = Reservation.objects.filter(event_id=event_id, status__in=Reservation.ACTIVE)
        return sorted((r.facility.name, r.starts_at) for r in rows)

    def update(**values: Any) -> dict[str, Any]:
        return api.data(UPDATE_EVENT, {"id": event_id, "input": values})["updateEvent"]  # type: ignore[no-any-return]

    week2 = day + timedelta(weeks=1)
    # The hall is taken in week 2: swapping to it is refused, room2 stays booked.
    book(facilities_api(okawa, "shuji"), rooms.hall, week2, "09:00", "12:00")
    refused = update(facilityIds=[str(rooms.hall.id)])
    assert [(e["code"], e["facilityName"]) for e in refused["errors"]] == [
        ("ROOM_CONFLICT", "大会議室")
    ]
    assert rooms_of() == [("第2会議室", t(at(day, "10:00"))), ("第2会議室", t(at(week2, "10:00")))]
    # Swap room2 for room1 and move to 13:00 in one edit.
    swapped = update(
        facilityIds=[str(rooms.room1.id)], start=at(day, "13:00"), end=at(day, "14:00")
    )
    assert swapped["errors"] == []
    assert rooms_of() == [("第1会議室", t(at(day, "13:00"))), ("第1会議室", t(at(week2, "13:00")))]
    # A title change leaves the rooms as they are; an empty list frees them.
    assert update(title="定例会（延長）")["errors"] == []
    assert len(rooms_of()) == 2
    assert update(facilityIds=[])["errors"] == []
    assert rooms_of() == []


@pytest.mark.django_db
def test_a_room_swap_whose_calendar_write_fails_is_put_back(okawa, monkeypatch):
    from subgraphs.calendar import actions as calendar_actions

    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    event_id = create(api, [rooms.room2], start=at(day, "10:00"), end=at(day, "11:00"))["event"][
        "id"
    ]
    real, calls = calendar_actions.do_update_event, []

    def fails_for_real(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)  # the first call is the dry run, the second the real write
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(calendar_actions, "do_update_event", fails_for_real)
    swap = {"id": event_id, "input": {"facilityIds": [str(rooms.room1.id)]}}
    failed = api(UPDATE_EVENT, swap)
    assert failed["errors"] and len(calls) == 2
    rows = Reservation.objects.filter(event_id=event_id, status__in=Reservation.ACTIVE)
    assert [(r.facility_id, r.starts_at) for r in rows] == [(rooms.room2.id, t(at(day, "10:00")))]
