"""Booking through the API: overlaps are refused as typed conflicts naming the booking in
the way, adjacent periods fit, pools take N, approval, moving, cancelling, recurring."""

from __future__ import annotations

from datetime import timedelta

import pytest

from subgraphs.facilities.models import Reservation
from tests.facilities import (
    APPROVE,
    CANCEL,
    MOVE,
    RECURRING,
    REJECT,
    at,
    book,
    facilities_api,
    make_rooms,
    next_weekday,
)


@pytest.mark.django_db
def test_an_overlapping_booking_is_refused_naming_period_and_owner(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    shuji = okawa.people["shuji"]
    first = book(
        facilities_api(okawa, "shuji"), rooms.room1, day, "10:00", "11:00", purpose="係内打合せ"
    )
    assert first["__typename"] == "ReservationPayload"
    mine = first["reservation"]
    assert (mine["status"], mine["statusLabel"], mine["purpose"], mine["mine"]) == (
        "CONFIRMED",
        "本予約",
        "係内打合せ",
        True,
    )
    clash = book(
        facilities_api(okawa, "kacho"), rooms.room1, day, "10:30", "12:00", purpose="課長会議"
    )
    assert clash["__typename"] == "ReservationConflict"
    assert "既に予約" in clash["message"] and "booked" in clash["message"]
    [other] = clash["conflicts"]
    assert other["id"] == mine["id"]
    assert (other["start"], other["end"]) == (mine["start"], mine["end"])
    assert other["requester"] == {"id": str(shuji.id)}
    assert other["purpose"] is None  # someone else's purpose is not for 課長 to read
    assert Reservation.objects.filter(facility=rooms.room1).count() == 1


@pytest.mark.django_db
def test_adjacent_bookings_both_fit(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    a = book(facilities_api(okawa, "shuji"), rooms.room1, day, "10:00", "11:00")
    b = book(facilities_api(okawa, "kacho"), rooms.room1, day, "11:00", "12:00")
    c = book(facilities_api(okawa, "kakari"), rooms.room1, day, "09:00", "10:00")
    assert [r["__typename"] for r in (a, b, c)] == ["ReservationPayload"] * 3


@pytest.mark.django_db
def test_a_pool_of_three_takes_three_overlapping_bookings_and_refuses_the_fourth(okawa):
    rooms, day = make_rooms(okawa, pool_size=3), next_weekday()
    results = [
        book(facilities_api(okawa, key), rooms.pcs, day, start, end)
        for key, (start, end) in zip(
            ["shuji", "kakari", "kacho", "jinji"],
            [("09:00", "12:00"), ("10:00", "11:00"), ("10:30", "17:00"), ("10:45", "10:50")],
            strict=True,
        )
    ]
    assert [r["__typename"] for r in results] == ["ReservationPayload"] * 3 + [
        "ReservationConflict"
    ]
    assert len(results[3]["conflicts"]) == 3
    # Three bookings that do not overlap each other leave room: the pool is counted per instant.
    ok = book(facilities_api(okawa, "jinji"), rooms.pcs, day, "11:00", "13:00")
    assert ok["__typename"] == "ReservationPayload"


@pytest.mark.django_db
def test_a_booking_that_needs_approval_holds_the_slot_until_decided(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    staff, admin = facilities_api(okawa, "shuji"), facilities_api(okawa, "admin")
    pending = book(staff, rooms.hall, day, "13:00", "17:00", purpose="市民説明会")["reservation"]
    assert (pending["status"], pending["statusLabel"]) == ("PENDING", "仮予約")
    # A 仮予約 holds the slot already.
    assert (
        book(facilities_api(okawa, "kacho"), rooms.hall, day, "16:00", "18:00")["__typename"]
        == "ReservationConflict"
    )
    listed = admin.data("{ pendingReservations { id purpose } }")["pendingReservations"]
    assert listed == [{"id": pending["id"], "purpose": "市民説明会"}]  # the admin may read it
    refused = staff(APPROVE, {"id": pending["id"]})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    approved = admin.data(APPROVE, {"id": pending["id"]})["approveReservation"]["reservation"]
    assert (approved["status"], approved["version"]) == ("CONFIRMED", 2)
    row = Reservation.objects.get(id=pending["id"])
    assert row.approved_by == okawa.admin.id and row.decided_at is not None
    again = admin.data(APPROVE, {"id": pending["id"]})["approveReservation"]
    assert again["errors"][0]["code"] == "NOT_PENDING"
    assert admin.data("{ pendingReservations { id } }")["pendingReservations"] == []


@pytest.mark.django_db
def test_a_rejected_booking_frees_the_slot(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    pending = book(facilities_api(okawa, "shuji"), rooms.hall, day, "13:00", "15:00")["reservation"]
    rejected = facilities_api(okawa, "admin").data(REJECT, {"id": pending["id"]})[
        "rejectReservation"
    ]
    assert rejected["reservation"]["status"] == "REJECTED"
    assert (
        book(facilities_api(okawa, "kacho"), rooms.hall, day, "13:00", "15:00")["__typename"]
        == "ReservationPayload"
    )


@pytest.mark.django_db
def test_moving_and_cancelling_my_booking(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = facilities_api(okawa, "shuji")
    mine = book(api, rooms.room2, day, "10:00", "11:00")["reservation"]
    theirs = book(facilities_api(okawa, "kacho"), rooms.room2, day, "13:00", "14:00")["reservation"]
    onto = api.data(
        MOVE, {"input": {"id": mine["id"], "start": at(day, "13:30"), "end": at(day, "14:30")}}
    )
    assert onto["moveReservation"]["__typename"] == "ReservationConflict"
    assert onto["moveReservation"]["conflicts"][0]["id"] == theirs["id"]
    # Moving within its own period overlaps only itself: fine.
    moved = api.data(
        MOVE, {"input": {"id": mine["id"], "start": at(day, "10:30"), "end": at(day, "11:30")}}
    )
    assert moved["moveReservation"]["reservation"]["version"] == 2
    not_mine = api.data(CANCEL, {"id": theirs["id"]})["cancelReservation"]
    assert not_mine["errors"][0]["code"] == "NOT_YOURS"
    cancelled = api.data(CANCEL, {"id": mine["id"]})["cancelReservation"]["reservation"]
    assert (cancelled["status"], cancelled["version"]) == ("CANCELLED", 3)
    assert (
        book(facilities_api(okawa, "kakari"), rooms.room2, day, "10:00", "12:00")["__typename"]
        == "ReservationPayload"
    )


def _recurring(api, facility, day, **more):
    variables = {
        "input": {
            "facilityId": str(facility.id),
            "start": at(day, "15:00"),
            "end": at(day, "16:00"),
            "rrule": "FREQ=WEEKLY;BYDAY=TH;COUNT=4",
            **more,
        }
    }
    return api.data(RECURRING, variables)["createRecurringReservation"]


@pytest.mark.django_db
def test_recurring_booking_reports_conflicts_by_date_and_books_nothing(okawa):
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    third = thursday + timedelta(days=14)
    taken = book(facilities_api(okawa, "kacho"), rooms.room2, third, "15:30", "17:00")[
        "reservation"
    ]
    out = _recurring(facilities_api(okawa, "shuji"), rooms.room2, thursday)
    assert out["__typename"] == "RecurringReservationConflict"
    [problem] = out["problems"]
    assert problem["date"] == third.date().isoformat()
    assert problem["conflicts"][0]["id"] == taken["id"]
    assert problem["conflicts"][0]["requester"]["id"] == str(okawa.people["kacho"].id)
    assert Reservation.objects.filter(requester_id=okawa.people["shuji"].id).count() == 0


@pytest.mark.django_db
def test_recurring_booking_of_free_dates_only_skips_the_taken_ones(okawa):
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    third = thursday + timedelta(days=14)
    book(facilities_api(okawa, "kacho"), rooms.room2, third, "15:30", "17:00")
    out = _recurring(facilities_api(okawa, "shuji"), rooms.room2, thursday, bookFreeDatesOnly=True)
    assert out["__typename"] == "RecurringReservationPayload"
    booked = [r["start"][:10] for r in out["reservations"]]
    expected = [(thursday + timedelta(days=7 * n)).date().isoformat() for n in (0, 1, 3)]
    assert booked == expected
    assert [p["date"] for p in out["skipped"]] == [third.date().isoformat()]
    series = Reservation.objects.filter(requester_id=okawa.people["shuji"].id)
    assert series.count() == 3 and len({r.recurrence_id for r in series}) == 1


@pytest.mark.django_db
def test_recurring_booking_all_free_books_every_date_and_checks_rules_per_date(okawa):
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    api = facilities_api(okawa, "shuji")
    out = _recurring(api, rooms.room2, thursday)
    assert out["__typename"] == "RecurringReservationPayload"
    assert len(out["reservations"]) == 4 and out["skipped"] == []
    # Daily at 第1会議室 (weekdays only): the weekend dates break the rule, reported by date.
    daily = _recurring(api, rooms.room1, thursday, rrule="FREQ=DAILY;COUNT=4")
    assert daily["__typename"] == "RecurringReservationConflict"
    saturday, sunday = (thursday + timedelta(days=n) for n in (2, 3))
    assert [(p["date"], p["errors"][0]["code"]) for p in daily["problems"]] == [
        (saturday.date().isoformat(), "CLOSED_WEEKDAY"),
        (sunday.date().isoformat(), "CLOSED_WEEKDAY"),
    ]
    bad = _recurring(api, rooms.room2, thursday, rrule="FREQ=SOMETIMES")
    assert bad["errors"][0]["code"] == "INVALID_RRULE"
    endless = _recurring(api, rooms.room2, thursday, rrule="FREQ=DAILY")
    assert endless["errors"][0]["code"] == "TOO_MANY_OCCURRENCES"
