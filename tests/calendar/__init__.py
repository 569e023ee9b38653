"""Tests of the calendar subgraph. Helpers shared by its test modules live here."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from subgraphs.calendar import actions
from subgraphs.calendar.models import Event
from subgraphs.core.principal import ROLE_STAFF, Principal
from subgraphs.people import actions as people_actions
from subgraphs.people.models import Person, PersonAdditionalDepartment
from tests.conftest import GraphQLClient, Municipality

CALENDAR_URL = "/subgraphs/calendar/graphql"
JST = ZoneInfo("Asia/Tokyo")

OCCURRENCE_FIELDS = """eventId recurrenceId start end allDay startDate endDate title location
description category visibility isRecurring isMoved organizer { id }
attendees { person { id } response }"""
MY_EVENTS = f"""query($start: DateTime!, $end: DateTime!) {{
  myEvents(start: $start, end: $end) {{ {OCCURRENCE_FIELDS} }} }}"""
EVENT = """query($id: ID!) { event(id: $id) { id title location description visibility
  rrule version cancelled canEdit organizer { id } attendees { person { id } response } } }"""
PERSON_EVENTS = f"""query($reps: [_Any!]!, $start: DateTime!, $end: DateTime!) {{
  _entities(representations: $reps) {{ __typename
    ... on Person {{ id events(start: $start, end: $end) {{ {OCCURRENCE_FIELDS} }} }} }} }}"""
PAYLOAD = (
    "event { id title rrule version start end allDay cancelled } errors { code field message }"
)


def jst(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=JST)


def iso(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> str:
    return jst(year, month, day, hour, minute).isoformat()


def calendar_api(m: Municipality, person: Person | str) -> GraphQLClient:
    """A client of the calendar endpoint signed in as ``person`` with a bearer token."""
    if isinstance(person, str):
        person = m.people[person] if person != "admin" else m.admin  # type: ignore[assignment]
    token = people_actions.do_create_access_token(person, "calendar tests", None).extra["token"]  # type: ignore[arg-type]
    return GraphQLClient(token, url=CALENDAR_URL)


def principal_of(person: Person) -> Principal:
    return Principal(
        tenant_id=person.tenant_id, person_id=person.id, roles=frozenset({ROLE_STAFF}), via="test"
    )


def departments_of(person: Person) -> frozenset[Any]:
    """The person's main and additional (兼務) departments, as people would answer."""
    extra = PersonAdditionalDepartment.objects.filter(person=person)
    ids = {person.department_id, *extra.values_list("organization_id", flat=True)}
    return frozenset(ids - {None})


def create_event(organizer: Person, member_of: frozenset[Any] | None = None, **data: Any) -> Event:
    """An event made through the action, as the GraphQL mutation would (which asks people
    for the organizer's departments: here they come from the person's rows)."""
    data.setdefault("title", "課内会議")
    if member_of is None:
        member_of = departments_of(organizer)
    outcome = actions.do_create_event(principal_of(organizer), data, member_of=member_of)
    assert outcome.ok, outcome.errors
    return outcome.obj  # type: ignore[no-any-return]


def week(api: GraphQLClient, start: datetime, end: datetime) -> list[dict[str, Any]]:
    data = api.data(MY_EVENTS, {"start": start.isoformat(), "end": end.isoformat()})
    return data["myEvents"]  # type: ignore[no-any-return]
