"""Tenant isolation and permissions: 苅田町 staff can neither see nor book 大川市's facilities
by ID, `_entities` or schedule queries; administration is for administrators; the
signed-out get UNAUTHENTICATED."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from subgraphs.facilities.models import Reservation
from tests.conftest import GraphQLClient
from tests.facilities import (
    CANCEL,
    FACILITIES_URL,
    at,
    book,
    facilities_api,
    make_rooms,
    next_weekday,
)


@pytest.mark.django_db
def test_another_municipalitys_facilities_are_invisible_and_unbookable(okawa, kanda):
    theirs, day = make_rooms(okawa), next_weekday(3)
    event_id = str(uuid.uuid4())  # a calendar event of 大川市 the booking is made with
    booked = book(
        facilities_api(okawa, "shuji"),
        theirs.room2,
        day,
        "10:00",
        "11:00",
        purpose="人事面談",
        eventId=event_id,
    )
    outsider = facilities_api(kanda, "shuji")
    window = {"s": at(day, "00:00"), "e": at(day, "24:00")}
    assert outsider.data("{ facilityGroups { id } }")["facilityGroups"] == []
    assert outsider.data(
        "query($id: ID!) { facility(id: $id) { name } }", {"id": str(theirs.room2.id)}
    ) == {"facility": None}
    group = outsider.data(
        "query($g: ID!, $s: DateTime!, $e: DateTime!) { facilityGroupSchedule(groupId: $g, start: $s, end: $e) { facility { name } } }",
        {"g": str(theirs.group.id), **window},
    )
    assert group == {"facilityGroupSchedule": None}
    month = outsider.data(
        "query($id: ID!, $s: DateTime!, $e: DateTime!) { facilitySchedule(id: $id, start: $s, end: $e) { facility { name } } }",
        {"id": str(theirs.room2.id), **window},
    )
    assert month == {"facilitySchedule": None}
    free = outsider.data(
        "query($s: DateTime!, $e: DateTime!) { availableFacilities(start: $s, end: $e) { name } }",
        window,
    )
    assert free == {"availableFacilities": []}
    attempt = book(outsider, theirs.room1, day, "13:00", "14:00")
    assert (
        attempt["__typename"] == "ReservationRefused"
        and attempt["errors"][0]["code"] == "NOT_FOUND"
    )
    cancel = outsider.data(CANCEL, {"id": booked["reservation"]["id"]})["cancelReservation"]
    assert cancel["errors"][0]["code"] == "NOT_FOUND"
    reps = [
        {"__typename": "Reservation", "id": booked["reservation"]["id"]},
        {"__typename": "Person", "id": str(okawa.people["shuji"].id)},
        {"__typename": "Event", "id": event_id},
    ]
    query = "query($reps: [_Any!]!, $s: DateTime!, $e: DateTime!) { _entities(representations: $reps) { ... on Reservation { id purpose } ... on Person { reservations(start: $s, end: $e) { id } } ... on Event { reservations { id } } } }"
    entities = outsider.data(query, {"reps": reps, **window})
    assert entities["_entities"] == [None, {"reservations": []}, {"reservations": []}]
    # ... while 大川市 sees the booking through each of them.
    insider = facilities_api(okawa, "kakari").data(query, {"reps": reps, **window})
    mine = [{"id": booked["reservation"]["id"]}]
    assert insider["_entities"][1:] == [{"reservations": mine}, {"reservations": mine}]
    assert Reservation.objects.count() == 1
    assert "人事面談" not in json.dumps(entities, ensure_ascii=False)


@pytest.mark.django_db
def test_administration_is_for_administrators(okawa):
    staff, admin = facilities_api(okawa, "shuji"), facilities_api(okawa, "admin")
    save = 'mutation { saveFacilityGroup(input: {name: "公用車"}) { group { id name } errors { code } } }'
    refused = staff(save)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = admin.data(save)["saveFacilityGroup"]
    assert created["group"]["name"] == "公用車"
    assert admin.data(save)["saveFacilityGroup"]["errors"] == [{"code": "DUPLICATE"}]
    assert staff("{ pendingReservations { id } }")["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    car = admin.data(
        'mutation($g: ID!) { saveFacility(input: {groupId: $g, name: "公用車1号（プリウス）", capacity: 5}) { facility { id name poolSize group { name } } errors { code } } }',
        {"g": created["group"]["id"]},
    )["saveFacility"]
    assert car["facility"]["group"] == {"name": "公用車"} and car["facility"]["poolSize"] == 1
    not_empty = admin.data(
        "mutation($id: ID!) { deleteFacilityGroup(id: $id) { deletedId errors { code } } }",
        {"id": created["group"]["id"]},
    )
    assert not_empty["deleteFacilityGroup"] == {
        "deletedId": None,
        "errors": [{"code": "NOT_EMPTY"}],
    }


@pytest.mark.django_db
def test_signed_out_callers_get_unauthenticated(okawa):
    rooms, day = make_rooms(okawa), next_weekday(3)
    anonymous = GraphQLClient(url=FACILITIES_URL)
    for query in ("{ facilityGroups { id } }", "{ purposeOptions { id } }"):
        assert anonymous(query)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    result = anonymous(
        "mutation($f: ID!, $s: DateTime!, $e: DateTime!) { createReservation(input: {facilityId: $f, start: $s, end: $e}) { __typename } }",
        {"f": str(rooms.room2.id), "s": at(day, "10:00"), "e": at(day + timedelta(0), "11:00")},
    )
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert Reservation.objects.count() == 0
