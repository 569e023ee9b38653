"""Bookings that follow their calendar event (issue 4), through the real HTTP stack: the
calendar endpoint books, moves and frees rooms by calling the facilities subgraph's schema
as the caller; both subgraphs are then read back to see that they agree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from subgraphs.calendar import actions
from subgraphs.calendar.models import Event
from subgraphs.facilities.models import Reservation
from tests.calendar import calendar_api
from tests.conftest import GraphQLClient
from tests.facilities import at, book, facilities_api, make_rooms, next_weekday

PAYLOAD = """event { id start end cancelled }
  errors { code field message facilityId facilityName start end reservationId }"""
CREATE_EVENT = f"""mutation($input: CreateEventInput!) {{
  createEvent(input: $input) {{ {PAYLOAD} }} }}"""
MOVE_EVENT = f"""mutation($id: ID!, $start: DateTime!, $end: DateTime!) {{
  moveOccurrence(eventId: $id, start: $start, end: $end) {{ {PAYLOAD} }} }}"""
UPDATE_EVENT = f"""mutation($id: ID!, $input: UpdateEventInput!) {{
  updateEvent(id: $id, input: $input) {{ {PAYLOAD} }} }}"""
CANCEL_EVENT = f"mutation($id: ID!) {{ cancelEvent(id: $id) {{ {PAYLOAD} }} }}"
MOVE_BOOKINGS = """mutation($input: MoveEventReservationsInput!) {
  moveEventReservations(input: $input) { __typename
    ... on EventReservationsPayload { reservations { id } } } }"""


def create(api: GraphQLClient, rooms: list[Any], day: datetime, start: str, end: str) -> Any:
    variables = {
        "input": {
            "title": "課内会議",
            "start": at(day, start),
            "end": at(day, end),
            "facilityIds": [str(r.id) for r in rooms],
        }
    }
    return api.data(CREATE_EVENT, variables)["createEvent"]


def move(api: GraphQLClient, event_id: str, day: datetime, start: str, end: str) -> Any:
    variables = {"id": event_id, "start": at(day, start), "end": at(day, end)}
    return api.data(MOVE_EVENT, variables)["moveOccurrence"]


def period(row: Event | Reservation) -> tuple[str, str]:
    assert row.starts_at is not None and row.ends_at is not None
    return row.starts_at.isoformat(), row.ends_at.isoformat()


def expected(day: datetime, start: str, end: str) -> tuple[str, str]:
    return (
        datetime.fromisoformat(at(day, start)).astimezone().isoformat(),
        datetime.fromisoformat(at(day, end)).astimezone().isoformat(),
    )


def same(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return tuple(datetime.fromisoformat(x) for x in a) == tuple(
        datetime.fromisoformat(x) for x in b
    )


@pytest.mark.django_db
def test_an_event_with_a_room_books_it_moves_it_and_frees_it(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    made = create(api, [rooms.room1, rooms.room2], day, "10:00", "11:00")
    assert made["errors"] == []
    event_id = made["event"]["id"]
    booked = Reservation.objects.filter(event_id=event_id).order_by("facility__sort_order")
    assert [(r.facility_id, r.status) for r in booked] == [
        (rooms.room1.id, "CONFIRMED"),
        (rooms.room2.id, "CONFIRMED"),
    ]
    assert all(r.requester_id == okawa.people["kakari"].id for r in booked)
    assert all(same(period(r), expected(day, "10:00", "11:00")) for r in booked)

    moved = move(api, event_id, day, "14:00", "15:30")
    assert moved["errors"] == []
    assert same((moved["event"]["start"], moved["event"]["end"]), expected(day, "14:00", "15:30"))
    for row in Reservation.objects.filter(event_id=event_id):
        assert same(period(row), expected(day, "14:00", "15:30"))
        assert row.version == 2

    # updateEvent with new times moves them as well.
    changed = api.data(
        UPDATE_EVENT,
        {"id": event_id, "input": {"start": at(day, "16:00"), "end": at(day, "17:00")}},
    )["updateEvent"]
    assert changed["errors"] == []
    for row in Reservation.objects.filter(event_id=event_id):
        assert same(period(row), expected(day, "16:00", "17:00"))

    cancelled = api.data(CANCEL_EVENT, {"id": event_id})["cancelEvent"]
    assert cancelled["errors"] == [] and cancelled["event"]["cancelled"] is True
    assert set(Reservation.objects.filter(event_id=event_id).values_list("status", flat=True)) == {
        "CANCELLED"
    }
    # The room is free again: someone else books the very slot.
    again = book(facilities_api(okawa, "shuji"), rooms.room1, day, "16:00", "17:00")
    assert again["__typename"] == "ReservationPayload"


@pytest.mark.django_db
def test_moving_onto_a_booked_room_is_refused_and_changes_nothing(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    event_id = create(api, [rooms.room1, rooms.room2], day, "10:00", "11:00")["event"]["id"]
    other = book(facilities_api(okawa, "shuji"), rooms.room2, day, "13:00", "14:00")
    other_id = other["reservation"]["id"]

    refused = move(api, event_id, day, "13:30", "14:30")
    assert refused["event"] is None
    [error] = refused["errors"]
    assert (error["code"], error["field"]) == ("ROOM_CONFLICT", "facilityIds")
    assert (error["facilityId"], error["facilityName"]) == (str(rooms.room2.id), "第2会議室")
    assert error["reservationId"] == other_id
    assert same((error["start"], error["end"]), expected(day, "13:30", "14:30"))

    # Neither subgraph changed: the event, its two bookings (room1 was free but did not
    # move either), and the booking in the way.
    event = Event.objects.get(id=event_id)
    assert same(period(event), expected(day, "10:00", "11:00")) and event.version == 1
    for row in Reservation.objects.filter(event_id=event_id):
        assert same(period(row), expected(day, "10:00", "11:00")) and row.version == 1
    in_the_way = Reservation.objects.get(id=other_id)
    assert same(period(in_the_way), expected(day, "13:00", "14:00"))
    assert in_the_way.status == "CONFIRMED"


@pytest.mark.django_db
def test_a_refused_room_makes_no_event_and_keeps_no_booking(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    book(facilities_api(okawa, "shuji"), rooms.room2, day, "10:00", "11:00")
    made = create(calendar_api(okawa, "kakari"), [rooms.room1, rooms.room2], day, "10:30", "11:30")
    assert made["event"] is None
    assert [(e["code"], e["facilityName"]) for e in made["errors"]] == [
        ("ROOM_CONFLICT", "第2会議室")
    ]
    assert not Event.objects.filter(organizer_id=okawa.people["kakari"].id).exists()
    # room1 was booked first and then freed again.
    assert not Reservation.objects.filter(
        facility=rooms.room1, status__in=Reservation.ACTIVE
    ).exists()
    # A facility rule (room1 opens 08:30) is reported with the facility, nothing made.
    early = create(calendar_api(okawa, "kakari"), [rooms.room1], day, "07:00", "08:00")
    assert [(e["code"], e["facilityId"]) for e in early["errors"]] == [
        ("OUTSIDE_HOURS", str(rooms.room1.id))
    ]
    assert not Event.objects.filter(organizer_id=okawa.people["kakari"].id).exists()


@pytest.mark.django_db
def test_a_refused_calendar_write_moves_no_booking(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    event_id = create(api, [rooms.room2], day, "10:00", "11:00")["event"]["id"]
    # A stale version: the dry run finds it before any booking is touched.
    stale = api.data(
        """mutation($id: ID!, $input: UpdateEventInput!) {
          updateEvent(id: $id, input: $input, version: 7) { errors { code } } }""",
        {"id": event_id, "input": {"start": at(day, "15:00"), "end": at(day, "16:00")}},
    )["updateEvent"]
    assert stale["errors"] == [{"code": "CONFLICT"}]
    [row] = Reservation.objects.filter(event_id=event_id)
    assert same(period(row), expected(day, "10:00", "11:00"))
    assert row.version == 1
    assert same(period(Event.objects.get(id=event_id)), expected(day, "10:00", "11:00"))


@pytest.mark.django_db
def test_a_failed_calendar_write_moves_the_bookings_back(okawa, monkeypatch):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    event_id = create(api, [rooms.room2], day, "10:00", "11:00")["event"]["id"]
    # The dry run passes, the bookings move, then the real write fails: they move back.
    real, calls = actions.do_update_event, []

    def fails_the_second_time(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            return actions.Outcome(errors=[actions.CalendarError("CONFLICT", "changed meanwhile")])
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "do_update_event", fails_the_second_time)
    moved = api.data(
        UPDATE_EVENT,
        {"id": event_id, "input": {"start": at(day, "15:00"), "end": at(day, "16:00")}},
    )["updateEvent"]
    assert [e["code"] for e in moved["errors"]] == ["CONFLICT"] and len(calls) == 2
    [row] = Reservation.objects.filter(event_id=event_id)
    assert same(period(row), expected(day, "10:00", "11:00"))
    assert row.version == 3  # moved there and back
    assert same(period(Event.objects.get(id=event_id)), expected(day, "10:00", "11:00"))


@pytest.mark.django_db
def test_only_the_organizer_moves_the_event_and_its_rooms(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    event_id = create(calendar_api(okawa, "kakari"), [rooms.room2], day, "10:00", "11:00")["event"][
        "id"
    ]
    result = calendar_api(okawa, "shuji")(
        MOVE_EVENT, {"id": event_id, "start": at(day, "14:00"), "end": at(day, "15:00")}
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Nor through facilities directly: shuji's call finds no booking of his to move.
    direct = facilities_api(okawa, "shuji").data(
        MOVE_BOOKINGS,
        {"input": {"eventId": event_id, "start": at(day, "14:00"), "end": at(day, "15:00")}},
    )["moveEventReservations"]
    assert direct == {"__typename": "EventReservationsPayload", "reservations": []}
    [row] = Reservation.objects.filter(event_id=event_id)
    assert same(period(row), expected(day, "10:00", "11:00"))


@pytest.mark.django_db
def test_a_kanda_event_cannot_move_an_okawa_booking(okawa, kanda):
    rooms, day = make_rooms(okawa), next_weekday()
    kanda_rooms = make_rooms(kanda)
    kanda_api = calendar_api(kanda, "kakari")
    event_id = create(kanda_api, [kanda_rooms.room2], day, "10:00", "11:00")["event"]["id"]
    # An okawa booking that names the kanda event (IDs are not secrets).
    okawa_booking = book(
        facilities_api(okawa, "kakari"), rooms.room2, day, "10:00", "11:00", eventId=event_id
    )["reservation"]["id"]

    assert move(kanda_api, event_id, day, "14:00", "15:00")["errors"] == []
    kanda_row = Reservation.objects.get(event_id=event_id, tenant_id=kanda.tenant.id)
    assert same(period(kanda_row), expected(day, "14:00", "15:00"))
    direct = facilities_api(kanda, "admin").data(
        MOVE_BOOKINGS,
        {"input": {"eventId": event_id, "start": at(day, "16:00"), "end": at(day, "17:00")}},
    )["moveEventReservations"]
    assert [r["id"] for r in direct["reservations"]] == [str(kanda_row.id)]

    assert kanda_api.data(CANCEL_EVENT, {"id": event_id})["cancelEvent"]["errors"] == []
    untouched = Reservation.objects.get(id=okawa_booking)
    assert same(period(untouched), expected(day, "10:00", "11:00"))
    assert (untouched.status, untouched.version) == ("CONFIRMED", 1)
