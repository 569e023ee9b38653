"""A weekly meeting with one occurrence moved and one cancelled, seen everywhere it must
be (issue 4): the person's week, the department week, a group's week, free/busy and the
room's bookings, each read through the gateway as the portal would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
from subgraphs.people import actions as people_actions
from tests.calendar.test_federation import gateway, run  # noqa: F401 - the gateway fixture
from tests.facilities import at, make_rooms, next_weekday

VIEWS = """query($org: ID!, $group: ID!, $person: ID!, $room: ID!, $s: DateTime!, $e: DateTime!) {
  me {
    events(start: $s, end: $e) {
      title start end isMoved recurrenceId
      event { reservations { start end facility { name } } }
    }
  }
  organization(id: $org) { members { name events(start: $s, end: $e) { title start end } } }
  group(id: $group) { members { name events(start: $s, end: $e) { title start end } } }
  freeBusy(personIds: [$person], start: $s, end: $e) { busy { start end } }
  facilitySchedule(id: $room, start: $s, end: $e) {
    reservations { start end eventId requester { name } }
  }
}"""
CREATE = """mutation($input: CreateEventInput!) {
  createEvent(input: $input) { event { id } errors { code message } } }"""
MOVE = """mutation($id: ID!, $rid: DateTime!, $s: DateTime!, $e: DateTime!) {
  moveOccurrence(eventId: $id, recurrenceId: $rid, start: $s, end: $e) { errors { code } } }"""
CANCEL = """mutation($id: ID!, $rid: DateTime!) {
  cancelOccurrence(eventId: $id, recurrenceId: $rid) { errors { code } } }"""
BOOK = """mutation($f: ID!, $s: DateTime!, $e: DateTime!) {
  createReservation(input: {facilityId: $f, start: $s, end: $e}) {
    __typename ... on ReservationConflict { conflicts { start requester { name } } } } }"""


def t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def periods(rows: list[dict[str, Any]]) -> list[tuple[datetime, datetime]]:
    return [(t(r["start"]), t(r["end"])) for r in rows]


@pytest.mark.django_db
def test_a_changed_weekly_meeting_in_every_view(gateway, okawa):  # noqa: F811
    kakari, shuji, jinji = (okawa.people[k] for k in ("kakari", "shuji", "jinji"))
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    admin = Principal(
        tenant_id=okawa.tenant.id, person_id=okawa.admin.id, roles=frozenset({ROLE_TENANT_ADMIN})
    )
    team = people_actions.do_save_group(admin, None, "防災チーム", "", [shuji.id, jinji.id]).obj
    made = run(
        gateway,
        kakari,
        CREATE,
        {
            "input": {
                "title": "係内定例",
                "start": at(thursday, "10:00"),
                "end": at(thursday, "11:00"),
                "rrule": "FREQ=WEEKLY;COUNT=4",
                "attendeeIds": [str(shuji.id)],
                "facilityIds": [str(rooms.room2.id)],
            }
        },
    )["createEvent"]
    assert made["errors"] == []
    event_id = made["event"]["id"]
    # Week 2 moves to Friday 15:00, week 3 is cancelled.
    week2, week3 = thursday + timedelta(weeks=1), thursday + timedelta(weeks=2)
    friday = week2 + timedelta(days=1)
    moved = run(
        gateway,
        kakari,
        MOVE,
        {
            "id": event_id,
            "rid": at(week2, "10:00"),
            "s": at(friday, "15:00"),
            "e": at(friday, "16:00"),
        },
    )
    assert moved["moveOccurrence"]["errors"] == []
    cancelled = run(gateway, kakari, CANCEL, {"id": event_id, "rid": at(week3, "10:00")})
    assert cancelled["cancelOccurrence"]["errors"] == []

    # Weeks 2 and 3, every view in one request.
    window = {"s": week2.isoformat(), "e": (week2 + timedelta(weeks=2)).isoformat()}
    variables = {
        "org": str(okawa.orgs["shomu"].id),
        "group": str(team.id),
        "person": str(shuji.id),
        "room": str(rooms.room2.id),
        **window,
    }
    views = run(gateway, shuji, VIEWS, variables)
    only = [(t(at(friday, "15:00")), t(at(friday, "16:00")))]
    [mine] = views["me"]["events"]
    assert mine["isMoved"] and t(mine["recurrenceId"]) == t(at(week2, "10:00"))
    assert periods(views["me"]["events"]) == only
    # The event's rooms, from facilities in the same request: weeks 1, 2 (moved) and 4.
    week4 = thursday + timedelta(weeks=3)
    assert periods(mine["event"]["reservations"]) == [
        (t(at(thursday, "10:00")), t(at(thursday, "11:00"))),
        only[0],
        (t(at(week4, "10:00")), t(at(week4, "11:00"))),
    ]
    assert {r["facility"]["name"] for r in mine["event"]["reservations"]} == {"第2会議室"}
    department = {m["name"]: periods(m["events"]) for m in views["organization"]["members"]}
    assert department == {"山﨑 花子": only, "佐藤 次郎": only}
    group = {m["name"]: periods(m["events"]) for m in views["group"]["members"]}
    assert group == {"佐藤 次郎": only, "鈴木 三郎": []}
    assert periods(views["freeBusy"][0]["busy"]) == only
    [booking] = views["facilitySchedule"]["reservations"]
    assert periods([booking]) == only and booking["eventId"] == event_id
    assert booking["requester"]["name"] == "山﨑 花子"

    # The room follows: free where the meeting left and was cancelled, taken where it went.
    shimin = okawa.people["shimin"]
    room = str(rooms.room2.id)
    left = {"f": room, "s": at(week2, "10:00"), "e": at(week2, "11:00")}
    assert run(gateway, shimin, BOOK, left)["createReservation"]["__typename"] == (
        "ReservationPayload"
    )
    gone = {"f": room, "s": at(week3, "10:00"), "e": at(week3, "11:00")}
    assert run(gateway, shimin, BOOK, gone)["createReservation"]["__typename"] == (
        "ReservationPayload"
    )
    taken = {"f": room, "s": at(friday, "15:30"), "e": at(friday, "16:30")}
    clash = run(gateway, shimin, BOOK, taken)["createReservation"]
    assert clash["__typename"] == "ReservationConflict"
    assert [(t(c["start"]), c["requester"]["name"]) for c in clash["conflicts"]] == [
        (t(at(friday, "15:00")), "山﨑 花子")
    ]
