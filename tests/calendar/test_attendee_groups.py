"""Inviting a whole department (課・係) or group: the calendar asks the people subgraph who
is in it when the event is written, as the caller, and invites them one by one.

In the fixture municipality 庶務係 has 山﨑 (係長) and 佐藤; 市民課 has 田中, and 鈴木 of
人事係 as 兼務 (an additional department, not invited with 市民課); 総務課 has 髙橋.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.calendar import actions, directory
from subgraphs.calendar.models import Event, EventAttendee
from subgraphs.core.principal import Principal
from subgraphs.facilities.models import Reservation
from subgraphs.people import actions as people_actions
from subgraphs.people.models import Group, Person
from tests.calendar import calendar_api, create_event, jst, principal_of
from tests.conftest import GraphQLClient, Municipality
from tests.facilities import at, make_rooms, next_weekday

PAYLOAD = """event { id attendees { person { id } response } }
  errors { code field message }"""
CREATE = f"mutation($input: CreateEventInput!) {{ createEvent(input: $input) {{ {PAYLOAD} }} }}"
UPDATE = f"""mutation($id: ID!, $input: UpdateEventInput!) {{
  updateEvent(id: $id, input: $input) {{ {PAYLOAD} }} }}"""
EDIT_FOLLOWING = f"""mutation($id: ID!, $rid: DateTime!, $input: UpdateEventInput!) {{
  editFollowing(eventId: $id, recurrenceId: $rid, input: $input) {{ {PAYLOAD} }} }}"""
MEETING = {
    "title": "課内会議",
    "start": "2026-04-07T10:00:00+09:00",
    "end": "2026-04-07T11:00:00+09:00",
}


def ids(*people: Person) -> list[str]:
    return [str(p.id) for p in people]


def invited(payload: dict[str, Any]) -> list[str]:
    assert payload["errors"] == [], payload["errors"]
    return [a["person"]["id"] for a in payload["event"]["attendees"]]


def create(api: GraphQLClient, **fields: Any) -> dict[str, Any]:
    return api.data(CREATE, {"input": {**MEETING, **fields}})["createEvent"]  # type: ignore[no-any-return]


def make_group(m: Municipality, name: str, *members: Person) -> Group:
    system = Principal(tenant_id=m.tenant.id, person_id=None, via="test")
    outcome = people_actions.do_save_group(system, None, name, "", ids(*members))
    assert outcome.ok, outcome.errors
    return outcome.obj  # type: ignore[no-any-return]


def stored(event_id: str) -> set[uuid.UUID]:
    return set(EventAttendee.objects.filter(event_id=event_id).values_list("person_id", flat=True))


@pytest.mark.django_db
def test_a_department_is_invited_person_by_person_after_the_named_attendees(okawa):
    p = okawa.people
    payload = create(
        calendar_api(okawa, "kacho"),
        attendeeIds=ids(p["shimin"], p["kakari"]),
        attendeeDepartmentIds=[str(okawa.orgs["shomu"].id)] * 2,
    )
    # 山﨑 is named and in 庶務係: invited once; the department's members follow.
    assert invited(payload) == ids(p["shimin"], p["kakari"], p["shuji"])
    assert stored(payload["event"]["id"]) == {p["shimin"].id, p["kakari"].id, p["shuji"].id}
    responses = {a["response"] for a in payload["event"]["attendees"]}
    assert responses == {"PENDING"}


@pytest.mark.django_db
def test_concurrent_staff_kenmu_are_not_members_of_the_department(okawa):
    payload = create(
        calendar_api(okawa, "kacho"), attendeeDepartmentIds=[str(okawa.orgs["shiminka"].id)]
    )
    assert invited(payload) == ids(okawa.people["shimin"])  # 鈴木 (兼務) is not invited


@pytest.mark.django_db
def test_the_organizer_is_not_invited_by_their_own_department_but_stays_when_named(okawa):
    shomu = str(okawa.orgs["shomu"].id)
    kakari, shuji = okawa.people["kakari"], okawa.people["shuji"]
    api = calendar_api(okawa, "kakari")
    assert invited(create(api, attendeeDepartmentIds=[shomu])) == ids(shuji)
    named = create(api, attendeeIds=ids(kakari), attendeeDepartmentIds=[shomu])
    assert invited(named) == ids(kakari, shuji)


@pytest.mark.django_db
def test_a_group_is_invited_and_later_members_are_not_added(okawa):
    p = okawa.people
    group = make_group(okawa, "DX推進チーム", p["shuji"], p["shimin"], p["kacho"])
    payload = create(calendar_api(okawa, "kacho"), attendeeGroupIds=[str(group.id)])
    # People's order (department tree, then title); the organizer 髙橋 left out.
    assert sorted(invited(payload)) == sorted(ids(p["shuji"], p["shimin"]))
    event_id = payload["event"]["id"]
    system = Principal(tenant_id=okawa.tenant.id, person_id=None, via="test")
    assert people_actions.do_save_group(
        system, group, group.name, "", ids(p["shuji"], p["shimin"], p["kacho"], p["jinji"])
    ).ok
    newcomer = people_actions.do_create_person(
        system,
        {"login_id": "0099", "name": "新人 太郎", "department_id": okawa.orgs["shomu"].id},
    ).obj
    assert newcomer is not None
    assert stored(event_id) == {p["shuji"].id, p["shimin"].id}  # a snapshot


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["attendeeDepartmentIds", "attendeeGroupIds"])
def test_an_id_of_no_department_or_group_of_ours_saves_nothing(okawa, kanda, field):
    foreign = (
        kanda.orgs["shomu"].id
        if field == "attendeeDepartmentIds"
        else make_group(kanda, "苅田の班", kanda.people["shuji"]).id
    )
    for bad in (str(foreign), str(uuid.uuid4()), "0101"):
        payload = create(
            calendar_api(okawa, "kacho"),
            attendeeIds=ids(okawa.people["shuji"]),
            **{field: [bad]},
        )
        assert payload["event"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", field)]
        assert bad in payload["errors"][0]["message"]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_too_many_attendees_after_expansion(okawa, monkeypatch):
    monkeypatch.setattr(directory, "MAX_ATTENDEES", 2)
    payload = create(
        calendar_api(okawa, "kacho"),
        attendeeIds=ids(okawa.people["shimin"]),
        attendeeDepartmentIds=[str(okawa.orgs["shomu"].id)],
    )
    assert payload["event"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("TOO_MANY_ATTENDEES", "attendeeDepartmentIds")
    ]
    assert "3" in payload["errors"][0]["message"]
    assert Event.objects.count() == 0


@pytest.mark.django_db
def test_update_replaces_attendees_with_the_union_and_keeps_answers(okawa):
    p = okawa.people
    meeting = create_event(
        p["kacho"],
        starts_at=jst(2026, 4, 7, 10),
        ends_at=jst(2026, 4, 7, 11),
        attendee_ids=[p["shuji"].id, p["jinji"].id],
    )
    assert actions.do_respond_to_event(principal_of(p["shuji"]), meeting.id, "ACCEPTED").ok
    api = calendar_api(okawa, "kacho")
    untouched = api.data(UPDATE, {"id": str(meeting.id), "input": {"title": "定例"}})
    assert invited(untouched["updateEvent"]) == ids(p["shuji"], p["jinji"])
    group = make_group(okawa, "窓口応援", p["shuji"], p["shimin"])
    changed = api.data(
        UPDATE,
        {
            "id": str(meeting.id),
            "input": {"attendeeIds": ids(p["kakari"]), "attendeeGroupIds": [str(group.id)]},
        },
    )["updateEvent"]
    # 鈴木 is neither named nor in the group: no longer invited; 佐藤 keeps his answer.
    assert stored(changed["event"]["id"]) == {p["kakari"].id, p["shuji"].id, p["shimin"].id}
    answers = {a["person"]["id"]: a["response"] for a in changed["event"]["attendees"]}
    assert answers[str(p["shuji"].id)] == "ACCEPTED"
    assert answers[str(p["shimin"].id)] == "PENDING"
    # A department alone is the whole new list: the others go.
    only = api.data(
        UPDATE,
        {
            "id": str(meeting.id),
            "input": {"attendeeDepartmentIds": [str(okawa.orgs["shiminka"].id)]},
        },
    )["updateEvent"]
    assert invited(only) == ids(p["shimin"])


@pytest.mark.django_db
def test_an_admin_expanding_leaves_out_the_events_organizer_not_themselves(okawa):
    meeting = create_event(
        okawa.people["kakari"], starts_at=jst(2026, 4, 7, 10), ends_at=jst(2026, 4, 7, 11)
    )
    payload = calendar_api(okawa, "admin").data(
        UPDATE,
        {"id": str(meeting.id), "input": {"attendeeDepartmentIds": [str(okawa.orgs["shomu"].id)]}},
    )["updateEvent"]
    assert invited(payload) == ids(okawa.people["shuji"])


@pytest.mark.django_db
def test_an_unknown_department_in_an_update_changes_nothing(okawa, kanda):
    shuji = okawa.people["shuji"]
    meeting = create_event(
        okawa.people["kacho"],
        starts_at=jst(2026, 4, 7, 10),
        ends_at=jst(2026, 4, 7, 11),
        attendee_ids=[shuji.id],
    )
    payload = calendar_api(okawa, "kacho").data(
        UPDATE,
        {
            "id": str(meeting.id),
            "input": {"title": "変更", "attendeeDepartmentIds": [str(kanda.orgs["shomu"].id)]},
        },
    )["updateEvent"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("NOT_FOUND", "attendeeDepartmentIds")
    ]
    meeting.refresh_from_db()
    assert (meeting.title, meeting.version) == ("課内会議", 1)
    assert stored(str(meeting.id)) == {shuji.id}


@pytest.mark.django_db
def test_edit_following_expands_departments_for_the_new_series(okawa):
    p = okawa.people
    series = create_event(
        p["kacho"],
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        attendee_ids=[p["shimin"].id],
    )
    payload = calendar_api(okawa, "kacho").data(
        EDIT_FOLLOWING,
        {
            "id": str(series.id),
            "rid": jst(2026, 4, 20, 10).isoformat(),
            "input": {"attendeeDepartmentIds": [str(okawa.orgs["shomu"].id)]},
        },
    )["editFollowing"]
    assert invited(payload) == ids(p["kakari"], p["shuji"])
    assert stored(str(series.id)) == {p["shimin"].id}  # the first part keeps its attendees


@pytest.mark.django_db
def test_rooms_are_booked_for_an_event_with_an_expanded_department(okawa, kanda):
    rooms, day = make_rooms(okawa), next_weekday()
    api = calendar_api(okawa, "kacho")
    room = [str(rooms.room2.id)]
    slot = {"title": "係会議", "start": at(day, "10:00"), "end": at(day, "11:00")}
    shomu = str(okawa.orgs["shomu"].id)
    made = api.data(
        CREATE, {"input": {**slot, "facilityIds": room, "attendeeDepartmentIds": [shomu]}}
    )["createEvent"]
    assert invited(made) == ids(okawa.people["kakari"], okawa.people["shuji"])
    booked = Reservation.objects.get(event_id=made["event"]["id"])
    assert booked.facility_id == rooms.room2.id
    refused = api.data(
        CREATE,
        {
            "input": {
                **slot,
                "start": at(day, "13:00"),
                "end": at(day, "14:00"),
                "facilityIds": room,
                "attendeeDepartmentIds": [str(kanda.orgs["shomu"].id)],
            }
        },
    )["createEvent"]
    assert refused["errors"][0]["code"] == "NOT_FOUND"
    assert Reservation.objects.count() == 1 and Event.objects.count() == 1
