"""Tests of the facilities subgraph (施設予約). Helpers shared by its test modules live here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
from subgraphs.facilities import actions
from subgraphs.facilities.models import Facility, FacilityGroup
from subgraphs.people import actions as people_actions
from subgraphs.people.models import Person
from tests.conftest import GraphQLClient, Municipality

FACILITIES_URL = "/subgraphs/facilities/graphql"

RESERVATION = (
    "id start end status statusLabel purpose mine version requester { id } facility { id name }"
)
RESULT = f"""
  __typename
  ... on ReservationPayload {{ reservation {{ {RESERVATION} }} }}
  ... on ReservationRefused {{ errors {{ code message field }} }}
  ... on ReservationConflict {{ message conflicts {{ {RESERVATION} }} }}
"""
CREATE = f"mutation($input: CreateReservationInput!) {{ createReservation(input: $input) {{ {RESULT} }} }}"
MOVE = (
    f"mutation($input: MoveReservationInput!) {{ moveReservation(input: $input) {{ {RESULT} }} }}"
)
CANCEL = f"mutation($id: ID!) {{ cancelReservation(id: $id) {{ {RESULT} }} }}"
APPROVE = f"mutation($id: ID!) {{ approveReservation(id: $id) {{ {RESULT} }} }}"
REJECT = f"mutation($id: ID!) {{ rejectReservation(id: $id) {{ {RESULT} }} }}"
PROBLEM = f"date start end errors {{ code }} conflicts {{ {RESERVATION} }}"
RECURRING = f"""
mutation($input: CreateRecurringReservationInput!) {{
  createRecurringReservation(input: $input) {{
    __typename
    ... on RecurringReservationPayload {{ reservations {{ {RESERVATION} }} skipped {{ {PROBLEM} }} }}
    ... on RecurringReservationConflict {{ message problems {{ {PROBLEM} }} }}
    ... on ReservationRefused {{ errors {{ code message field }} }}
  }}
}}
"""


def facilities_api(m: Municipality, person: Person | str) -> GraphQLClient:
    """A client of the facilities endpoint signed in as ``person`` (key or "admin")."""
    if isinstance(person, str):
        person = m.people.get(person) or m.admin  # type: ignore[assignment]
    token = people_actions.do_create_access_token(person, "facility tests", None).extra["token"]
    return GraphQLClient(token, url=FACILITIES_URL)


def admin_principal(m: Municipality) -> Principal:
    assert m.admin is not None
    return Principal(
        tenant_id=m.tenant.id, person_id=m.admin.id, roles=frozenset({ROLE_TENANT_ADMIN})
    )


def staff_principal(person: Person) -> Principal:
    return Principal(tenant_id=person.tenant_id, person_id=person.id, roles=frozenset({"staff"}))


@dataclass
class Rooms:
    group: FacilityGroup
    room1: Facility  # 第1会議室, 12 people, 08:30–21:00 on weekdays, 90 days ahead
    room2: Facility  # 第2会議室, 6 people, no rules
    hall: Facility  # 大会議室, 40 people, needs approval
    pcs: Facility  # 貸出PC, a pool of 3
    cars: FacilityGroup


def make_rooms(m: Municipality, pool_size: int = 3) -> Rooms:
    admin = admin_principal(m)
    group = actions.do_save_facility_group(admin, None, "会議室", 1).obj
    cars = actions.do_save_facility_group(admin, None, "公用車", 2).obj

    def facility(target: FacilityGroup, name: str, **values: Any) -> Facility:
        outcome = actions.do_save_facility(
            admin, None, {"group_id": target.id, "name": name, **values}
        )
        assert outcome.ok, outcome.errors
        return outcome.obj  # type: ignore[no-any-return]

    return Rooms(
        group=group,
        room1=facility(
            group,
            "第1会議室",
            capacity=12,
            open_time=time(8, 30),
            close_time=time(21, 0),
            bookable_weekdays=[0, 1, 2, 3, 4],
            max_days_ahead=90,
            min_minutes=30,
            max_minutes=480,
        ),
        room2=facility(group, "第2会議室", capacity=6, sort_order=2),
        hall=facility(group, "大会議室", capacity=40, needs_approval=True, sort_order=3),
        pcs=facility(cars, "貸出PC", pool_size=pool_size),
        cars=cars,
    )


def next_weekday(weekday: int = 3, weeks: int = 1) -> datetime:
    """Midnight (Japan) of a coming ``weekday`` (Thursday by default), at least 2 days off."""
    today = timezone.localdate()
    days = (weekday - today.weekday()) % 7 + 7 * (weeks - 1)
    if days < 2:
        days += 7
    day = today + timedelta(days=days)
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def at(day: datetime, hhmm: str) -> str:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return (day + timedelta(hours=hours, minutes=minutes)).isoformat()


def book(
    api: GraphQLClient, facility: Facility, day: datetime, start: str, end: str, **more: Any
) -> dict[str, Any]:
    variables = {
        "input": {
            "facilityId": str(facility.id),
            "start": at(day, start),
            "end": at(day, end),
            **more,
        }
    }
    return api.data(CREATE, variables)["createReservation"]  # type: ignore[no-any-return]
