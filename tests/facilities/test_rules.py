"""Booking rules of a facility, each refused as typed data with a Japanese + English message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from subgraphs.facilities import actions
from tests.facilities import admin_principal, book, facilities_api, make_rooms, next_weekday


def codes(result):
    assert result["__typename"] == "ReservationRefused", result
    return [e["code"] for e in result["errors"]]


@pytest.mark.django_db
def test_hours_weekdays_duration_and_days_ahead(okawa):
    rooms, api = make_rooms(okawa), facilities_api(okawa, "shuji")
    thursday = next_weekday(3)
    assert codes(book(api, rooms.room1, thursday, "08:00", "09:00")) == ["OUTSIDE_HOURS"]
    assert codes(book(api, rooms.room1, thursday, "20:30", "21:30")) == ["OUTSIDE_HOURS"]
    assert codes(book(api, rooms.room1, thursday + timedelta(days=2), "10:00", "11:00")) == [
        "CLOSED_WEEKDAY"
    ]
    assert codes(book(api, rooms.room1, thursday, "10:00", "10:15")) == ["TOO_SHORT"]
    assert codes(book(api, rooms.room1, thursday, "09:00", "17:30")) == ["TOO_LONG"]
    far = next_weekday(3, weeks=15)
    assert codes(book(api, rooms.room1, far, "10:00", "11:00")) == ["TOO_FAR_AHEAD"]
    assert codes(book(api, rooms.room1, thursday, "11:00", "10:00")) == ["INVALID_PERIOD"]
    past = thursday - timedelta(days=14)
    assert "IN_THE_PAST" in codes(book(api, rooms.room1, past, "10:00", "11:00"))
    # The limits themselves are fine: 08:30–09:00 (30 minutes) and 13:00–21:00 (480 minutes).
    assert book(api, rooms.room1, thursday, "08:30", "09:00")["__typename"] == "ReservationPayload"
    assert book(api, rooms.room1, thursday, "13:00", "21:00")["__typename"] == "ReservationPayload"


@pytest.mark.django_db
def test_messages_say_it_in_japanese_and_english(okawa):
    rooms, api = make_rooms(okawa), facilities_api(okawa, "shuji")
    result = book(api, rooms.room1, next_weekday(3), "07:00", "08:00")
    [e] = result["errors"]
    assert e["message"] == "予約できる時間は08:30–21:00です。 / Bookable hours are 08:30–21:00."
    assert e["field"] == "start"


@pytest.mark.django_db
def test_a_facility_for_listed_departments_only(okawa):
    rooms = make_rooms(okawa)
    outcome = actions.do_save_facility(
        admin_principal(okawa),
        rooms.room2.id,
        {
            "group_id": rooms.group.id,
            "name": "第2会議室",
            "allowed_department_ids": [str(okawa.orgs["shiminka"].id)],
        },
    )
    assert outcome.ok
    day = next_weekday(3)
    # 佐藤 (庶務係) may not; 田中 (市民課) may; 鈴木 (人事係, 兼務 市民課) may through 兼務.
    refused = book(facilities_api(okawa, "shuji"), rooms.room2, day, "10:00", "11:00")
    assert codes(refused) == ["DEPARTMENT_NOT_ALLOWED"]
    assert (
        book(facilities_api(okawa, "shimin"), rooms.room2, day, "10:00", "11:00")["__typename"]
        == "ReservationPayload"
    )
    assert (
        book(facilities_api(okawa, "jinji"), rooms.room2, day, "11:00", "12:00")["__typename"]
        == "ReservationPayload"
    )
    assert (
        book(facilities_api(okawa, "admin"), rooms.room2, day, "12:00", "13:00")["__typename"]
        == "ReservationPayload"
    )


@pytest.mark.django_db
def test_a_purpose_from_the_list_or_in_free_text(okawa):
    rooms, api = make_rooms(okawa), facilities_api(okawa, "shuji")
    option = actions.do_save_purpose_option(admin_principal(okawa), None, "来客対応", 1, True).obj
    day = next_weekday(3)
    picked = book(
        api, rooms.room2, day, "10:00", "11:00", purposeOptionId=str(option.id), purpose="県庁"
    )
    assert picked["reservation"]["purpose"] == "来客対応 県庁"
    unknown = book(api, rooms.room2, day, "12:00", "13:00", purposeOptionId=str(rooms.group.id))
    assert codes(unknown) == ["UNKNOWN_PURPOSE"]
    assert codes(book(api, rooms.room2, day, "12:00", "13:00", purpose="あ" * 201)) == [
        "PURPOSE_TOO_LONG"
    ]
