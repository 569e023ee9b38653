"""Dates at the ends of Python's calendar (years 0001 and 9999), sent by a client to any
operation of the calendar, facilities and presence subgraphs, get an INVALID_INPUT error
that names the range, never "date value out of range", an OverflowError or INTERNAL.

One check covers them all (subgraphs/core/timerange.py, installed as the subgraphs'
Date/DateTime scalars); these cases are a representative set of queries and mutations,
with the date as a variable and as a literal in the document."""

from __future__ import annotations

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from subgraphs.core.timerange import EARLIEST, LATEST
from subgraphs.people import actions as people_actions
from tests.calendar import CALENDAR_URL, calendar_api, create_event, jst
from tests.conftest import GraphQLClient
from tests.facilities import FACILITIES_URL
from tests.presence import PRESENCE_URL

LOW_DT, HIGH_DT = "0001-01-01T00:00:00+09:00", "9999-12-31T23:00:00+09:00"
LOW_DAY, HIGH_DAY = "0001-01-01", "9999-12-31"
NEAR_END = "9999-01-08T00:00:00+09:00"

# (endpoint, document, variables): each has one date/time at an edge of the calendar.
CASES = {
    "myEvents 0001": (
        CALENDAR_URL,
        "query($s: DateTime!, $e: DateTime!) { myEvents(start: $s, end: $e) { eventId } }",
        {"s": LOW_DT, "e": "2026-01-01T00:00:00+09:00"},
    ),
    "myEvents 9999": (
        CALENDAR_URL,
        "query($s: DateTime!, $e: DateTime!) { myEvents(start: $s, end: $e) { eventId } }",
        {"s": "9999-01-01T00:00:00+09:00", "e": NEAR_END},
    ),
    "myEvents literal 0001": (
        CALENDAR_URL,
        f'{{ myEvents(start: "{LOW_DT}", end: "2026-01-01T00:00:00") {{ eventId }} }}',
        {},
    ),
    "occurrences 9999": (
        CALENDAR_URL,
        "query($id: ID!) { event(id: $id) { occurrences("
        f'start: "9999-01-01T00:00:00", end: "{NEAR_END}") {{ start }} }} }}',
        {"id": "EVENT"},
    ),
    "freeBusy 9999": (
        CALENDAR_URL,
        "query($s: DateTime!, $e: DateTime!) { freeBusy(personIds: [], start: $s, end: $e) "
        "{ busy { start } } }",
        {"s": "9999-12-01T00:00:00+09:00", "e": HIGH_DT},
    ),
    "findFreeSlots 9999": (
        CALENDAR_URL,
        "query($s: DateTime!, $e: DateTime!) { findFreeSlots(personIds: [], start: $s, "
        "end: $e, durationMinutes: 30) { start } }",
        {"s": "9999-12-01T00:00:00+09:00", "e": HIGH_DT},
    ),
    "holidays 0001": (
        CALENDAR_URL,
        "query($s: Date!, $e: Date!) { holidays(start: $s, end: $e) { date } }",
        {"s": LOW_DAY, "e": "0001-12-31"},
    ),
    "createEvent 0001": (
        CALENDAR_URL,
        "mutation($input: CreateEventInput!) { createEvent(input: $input) { errors { code } } }",
        {"input": {"title": "x", "start": LOW_DT, "end": "0001-01-01T01:00:00+09:00"}},
    ),
    "createEvent all-day 9999": (
        CALENDAR_URL,
        "mutation($input: CreateEventInput!) { createEvent(input: $input) { errors { code } } }",
        {"input": {"title": "x", "allDay": True, "startDate": "9999-12-30", "endDate": HIGH_DAY}},
    ),
    "createEvent exdate 9999": (
        CALENDAR_URL,
        "mutation($input: CreateEventInput!) { createEvent(input: $input) { errors { code } } }",
        {
            "input": {
                "title": "x",
                "start": "2026-04-06T10:00:00+09:00",
                "end": "2026-04-06T11:00:00+09:00",
                "rrule": "FREQ=DAILY",
                "exdates": [HIGH_DT],
            }
        },
    ),
    "moveOccurrence 9999": (
        CALENDAR_URL,
        "mutation($id: ID!, $s: DateTime!, $e: DateTime!) { moveOccurrence(eventId: $id, "
        "start: $s, end: $e) { errors { code } } }",
        {"id": "EVENT", "s": "9999-12-31T10:00:00+09:00", "e": "9999-12-31T11:00:00+09:00"},
    ),
    "setClosedDay 0001": (
        CALENDAR_URL,
        'mutation($d: Date!) { setClosedDay(day: $d, name: "x") { __typename } }',
        {"d": LOW_DAY},
    ),
    "reservations 0001": (
        FACILITIES_URL,
        "query($s: DateTime!, $e: DateTime!) { myReservations(start: $s, end: $e) { id } }",
        {"s": LOW_DT, "e": "0001-01-02T00:00:00+09:00"},
    ),
    "availableFacilities 9999": (
        FACILITIES_URL,
        "query($s: DateTime!, $e: DateTime!) { availableFacilities(start: $s, end: $e) { id } }",
        {"s": "9999-12-31T10:00:00+09:00", "e": HIGH_DT},
    ),
    "setMyPresence 0001": (
        PRESENCE_URL,
        "mutation($input: SetPresenceInput!) { setMyPresence(input: $input) { errors { code } } }",
        {"input": {"status": "OUT", "backAt": LOW_DT}},
    ),
    "setMyPresence 9999": (
        PRESENCE_URL,
        "mutation($input: SetPresenceInput!) { setMyPresence(input: $input) { errors { code } } }",
        {"input": {"status": "OUT", "backAt": "9999-12-31T23:59:59+09:00"}},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(CASES))
def test_dates_at_the_ends_of_the_calendar_are_invalid_input(okawa, case):
    url, document, variables = CASES[case]
    event = create_event(
        okawa.people["shuji"],
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=DAILY",
    )
    variables = {k: str(event.id) if v == "EVENT" else v for k, v in variables.items()}
    document = document.replace('"EVENT"', f'"{event.id}"')
    api = calendar_api(okawa, "shuji")
    client = GraphQLClient(api.token, url=url)
    result = client(document, variables)
    assert result.get("data") in (None, {}) or all(v is None for v in result["data"].values())
    assert result["errors"], result
    for error in result["errors"]:
        assert error["extensions"]["code"] == "INVALID_INPUT", error
        assert f"{EARLIEST.isoformat()} to {LATEST.isoformat()}" in error["message"], error
        assert "out of range" not in error["message"]


@pytest.mark.django_db
def test_the_edges_of_the_range_itself_are_accepted(okawa):
    api = calendar_api(okawa, "shuji")
    first = api(
        "query($s: DateTime!, $e: DateTime!) { myEvents(start: $s, end: $e) { eventId } }",
        {"s": "1900-01-01T00:00:00", "e": "1900-01-08T00:00:00"},
    )
    last = api(
        "query($s: Date!, $e: Date!) { holidays(start: $s, end: $e) { date } }",
        {"s": "2200-12-01", "e": "2200-12-31"},
    )
    assert first == {"data": {"myEvents": []}}
    assert "errors" not in last, last


@pytest.fixture
async def gateway():
    from yui.federation import embedded_app

    transport = httpx.ASGITransport(app=embedded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
        yield client
    # The gateway's ORM work runs on a worker thread; PostgreSQL will not drop the test
    # database while that connection stays open.
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("case", ["myEvents 0001", "findFreeSlots 9999", "setMyPresence 0001"])
async def test_through_the_gateway_the_edges_are_invalid_input_too(gateway, case):
    from tests.conftest import build_municipality

    okawa = await sync_to_async(build_municipality)("402125", "okawa", "大川市")
    token = (
        await sync_to_async(people_actions.do_create_access_token)(
            okawa.people["shuji"], "edges", None
        )
    ).extra["token"]
    _, document, variables = CASES[case]
    response = await gateway.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    body = response.json()
    assert body.get("data") is None, body
    coded = [e for e in body["errors"] if e.get("extensions", {}).get("code") == "INVALID_INPUT"]
    assert coded, body
    assert all(f"{EARLIEST.isoformat()} to {LATEST.isoformat()}" in e["message"] for e in coded)
    # The gateway adds "Cannot return null for non-nullable field" for the root field the
    # subgraph could not give; that error carries a code too.
    assert all("code" in e.get("extensions", {}) for e in body["errors"]), body


@pytest.mark.django_db
def test_rows_stored_at_the_end_of_time_before_the_check_still_read_and_export(okawa):
    # Before dates were checked, an all-day series on 9999-12-30 could be saved.
    from datetime import UTC, date, datetime

    from subgraphs.calendar.models import Event

    event = create_event(
        okawa.people["shuji"], starts_at=jst(2026, 4, 6, 10), ends_at=jst(2026, 4, 6, 11)
    )
    Event.objects.filter(pk=event.pk).update(
        all_day=True,
        starts_at=None,
        ends_at=None,
        start_date=date(9999, 12, 30),
        end_date=date(9999, 12, 31),
        rrule="FREQ=DAILY",
        range_start=datetime(9999, 12, 29, 15, tzinfo=UTC),
        range_end=None,
    )
    api = calendar_api(okawa, "shuji")
    ics = api.data("{ myCalendarIcs }")["myCalendarIcs"]
    assert "DTSTART;VALUE=DATE:99991230" in ics
    assert api.data(
        "query($s: DateTime!, $e: DateTime!) { myEvents(start: $s, end: $e) { eventId } }",
        {"s": "2200-12-01T00:00:00", "e": "2200-12-31T00:00:00"},
    ) == {"myEvents": []}
