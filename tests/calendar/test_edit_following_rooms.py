"""「この予定以降」 with other rooms: editFollowing(input: { facilityIds }) gives the new
series exactly those rooms for each of its occurrences, all or none (ROOM_CONFLICT leaves
the series unsplit and every booking as it was); the earlier occurrences keep theirs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from subgraphs.calendar.models import Event
from subgraphs.facilities.models import Reservation
from tests.calendar import calendar_api
from tests.facilities import at, book, facilities_api, make_rooms, next_weekday
from tests.facilities.test_event_series_rooms import FOLLOWING, active, series, t, weekly


def rooms_of(event_id: str) -> list[tuple[str, datetime]]:
    rows = Reservation.objects.filter(event_id=event_id, status__in=Reservation.ACTIVE)
    return sorted((r.facility.name, r.starts_at) for r in rows)


@pytest.mark.django_db
def test_this_and_following_in_another_room_books_it_for_the_new_series(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    old_id = series(api, [rooms.room2], day, "FREQ=WEEKLY;COUNT=4")["event"]["id"]
    third = day + timedelta(weeks=2)
    split = api.data(
        FOLLOWING,
        {
            "id": old_id,
            "rid": at(third, "10:00"),
            "input": {
                "start": at(third, "13:00"),
                "end": at(third, "14:00"),
                "facilityIds": [str(rooms.room1.id)],
            },
        },
    )["editFollowing"]
    assert split["errors"] == []
    new_id = split["event"]["id"]
    assert rooms_of(old_id) == [
        ("第2会議室", t(at(day, "10:00"))) for day in (day, day + timedelta(weeks=1))
    ]
    assert rooms_of(new_id) == [
        ("第1会議室", t(at(third, "13:00"))),
        ("第1会議室", t(at(third + timedelta(weeks=1), "13:00"))),
    ]
    # The old room is free from the split on: nothing left booked for the later weeks.
    later = Reservation.objects.filter(
        facility=rooms.room2, starts_at__gte=t(at(third, "00:00")), status__in=Reservation.ACTIVE
    )
    assert not later.exists()


@pytest.mark.django_db
def test_this_and_following_with_no_rooms_frees_the_later_weeks(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    old_id = series(api, [rooms.room2], day, "FREQ=WEEKLY;COUNT=4")["event"]["id"]
    third = day + timedelta(weeks=2)
    split = api.data(
        FOLLOWING,
        {"id": old_id, "rid": at(third, "10:00"), "input": {"title": "別室", "facilityIds": []}},
    )["editFollowing"]
    assert split["errors"] == []
    assert active(old_id) == weekly(day, "10:00", "11:00", 2)
    assert active(split["event"]["id"]) == []


@pytest.mark.django_db
def test_a_taken_room_refuses_the_split_and_changes_nothing(okawa):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kakari")
    old_id = series(api, [rooms.room2], day, "FREQ=WEEKLY;COUNT=4")["event"]["id"]
    third, fourth = day + timedelta(weeks=2), day + timedelta(weeks=3)
    taken = book(facilities_api(okawa, "shuji"), rooms.room1, fourth, "10:30", "11:30")
    refused = api.data(
        FOLLOWING,
        {
            "id": old_id,
            "rid": at(third, "10:00"),
            "input": {"title": "定例会（第1会議室）", "facilityIds": [str(rooms.room1.id)]},
        },
    )["editFollowing"]
    assert refused["event"] is None
    assert [(e["code"], e["facilityName"], e["reservationId"]) for e in refused["errors"]] == [
        ("ROOM_CONFLICT", "第1会議室", taken["reservation"]["id"])
    ]
    # Not split, not renamed, the rooms as they were.
    assert list(Event.objects.values_list("title", "rrule")) == [("定例会", "FREQ=WEEKLY;COUNT=4")]
    assert active(old_id) == weekly(day, "10:00", "11:00", 4)
