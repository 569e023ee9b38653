"""What the calendar asks other subgraphs: who is in a department or group, how booked a
facility is.

The calendar owns neither (DESIGN rule 1), so it asks the people and facilities subgraphs
through ``subgraphs.core.peers`` as the caller: each applies its own tenancy, so an ID of
another municipality comes back as null, exactly like an ID of nothing.

- Attendees by department (課・係) or group are a snapshot taken when the event is written:
  ``Organization.members`` are the active staff whose primary department it is (兼務 staff
  and sub-departments are not included), ``Group.members`` its active members. Someone who
  joins the department later is not invited.
- A facility's bookings come back as plain intervals for ``availability`` to count.
- The caller's own departments (main post and 兼務) decide who may write a department's
  own entries (``access.can_change``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from graphql import GraphQLError

from subgraphs.calendar.access import as_uuid
from subgraphs.calendar.actions import MAX_ATTENDEES, CalendarError
from subgraphs.core import peers
from subgraphs.core.principal import Principal

MAX_DIRECTORY_IDS = 50  # departments or groups expanded at once
MAX_FACILITIES = 10  # facilities one free-slot search checks
# The facilities subgraph serves reservations for at most 62 days per window.
FACILITY_WINDOW = timedelta(days=60)
ACTIVE_STATUSES = ("PENDING", "CONFIRMED")


# --- attendees by department or group -----------------------------------------------------


@dataclass(frozen=True)
class Expansion:
    """Attendee IDs after expansion (once each, in order), or why there are none."""

    attendee_ids: list[str]
    errors: list[CalendarError]


def _unique(values: Sequence[object]) -> list[str]:
    """Once each, in order; UUIDs in one spelling so that the same person counts once."""
    return list(dict.fromkeys(str(as_uuid(v) or v) for v in values))


def _members_query(departments: list[str], groups: list[str]) -> str:
    variables = [f"$d{i}: ID!" for i in range(len(departments))]
    variables += [f"$g{i}: ID!" for i in range(len(groups))]
    fields = [
        f"d{i}: organization(id: $d{i}) {{ members {{ id }} }}" for i in range(len(departments))
    ]
    fields += [f"g{i}: group(id: $g{i}) {{ members {{ id }} }}" for i in range(len(groups))]
    return f"query({', '.join(variables)}) {{ {' '.join(fields)} }}"


async def expand_attendees(
    principal: Principal,
    attendee_ids: Sequence[object],
    department_ids: Sequence[object],
    group_ids: Sequence[object],
    organizer_id: uuid.UUID | None,
) -> Expansion:
    """``attendee_ids`` followed by the members of each department and group, once each.

    The organizer is left out of the members (they organise it, nobody invites them),
    but stays an attendee when ``attendee_ids`` names them, as before. Nothing is asked
    when there are no departments or groups.
    """
    departments, groups = _unique(department_ids), _unique(group_ids)
    given = _unique(attendee_ids)
    if not departments and not groups:
        return Expansion(given, [])
    for name, ids in (("attendeeDepartmentIds", departments), ("attendeeGroupIds", groups)):
        if len(ids) > MAX_DIRECTORY_IDS:
            message = f"Give at most {MAX_DIRECTORY_IDS} at once."
            return Expansion([], [CalendarError("TOO_MANY", message, name)])
    variables: dict[str, Any] = {f"d{i}": pk for i, pk in enumerate(departments)}
    variables |= {f"g{i}": pk for i, pk in enumerate(groups)}
    found = await peers.ask("people", principal, _members_query(departments, groups), variables)
    errors = [
        CalendarError("NOT_FOUND", f"No {kind} {pk} in your municipality.", field)
        for prefix, kind, field, ids in (
            ("d", "department", "attendeeDepartmentIds", departments),
            ("g", "group", "attendeeGroupIds", groups),
        )
        for i, pk in enumerate(ids)
        if found.get(f"{prefix}{i}") is None
    ]
    if errors:
        return Expansion([], errors)
    members = [
        m["id"]
        for key in [
            *(f"d{i}" for i in range(len(departments))),
            *(f"g{i}" for i in range(len(groups))),
        ]
        for m in found[key]["members"]
        if as_uuid(m["id"]) != organizer_id
    ]
    everyone = list(dict.fromkeys([*given, *members]))
    if len(everyone) > MAX_ATTENDEES:
        return Expansion(
            [],
            [
                CalendarError(
                    "TOO_MANY_ATTENDEES",
                    f"That is {len(everyone)} people: invite at most {MAX_ATTENDEES}.",
                    "attendeeDepartmentIds" if departments else "attendeeGroupIds",
                )
            ],
        )
    return Expansion(everyone, [])


async def department_members(
    principal: Principal, organization_id: object
) -> set[uuid.UUID] | None:
    """The members of a department of the principal's municipality as people lists them in
    the department week (active staff whose main department it is); None if no such one."""
    pk = as_uuid(organization_id)
    if pk is None:
        return None
    found = await peers.ask("people", principal, _members_query([str(pk)], []), {"d0": str(pk)})
    if found.get("d0") is None:
        return None
    return {uuid.UUID(m["id"]) for m in found["d0"]["members"]}


# --- who may write into a department's week ------------------------------------------------

MY_DEPARTMENTS = "{ me { department { id } additionalDepartments { id } } }"


async def department_ids_of(principal: Principal) -> frozenset[uuid.UUID]:
    """The principal's main and additional (兼務) departments; empty if none."""
    if not principal.is_authenticated:
        return frozenset()
    me = (await peers.ask("people", principal, MY_DEPARTMENTS)).get("me") or {}
    found = [me.get("department"), *(me.get("additionalDepartments") or [])]
    return frozenset(uuid.UUID(d["id"]) for d in found if d)


async def department_exists(principal: Principal, organization_id: uuid.UUID) -> bool:
    """Whether ``organization_id`` is a department of the principal's municipality."""
    found = await peers.ask(
        "people",
        principal,
        "query($id: ID!) { organization(id: $id) { id } }",
        {"id": str(organization_id)},
    )
    return found.get("organization") is not None


# --- facilities: how booked they are -----------------------------------------------------


@dataclass(frozen=True)
class FacilityTimes:
    """What a free-slot search needs of one facility."""

    id: str
    pool_size: int
    open_time: time | None
    close_time: time | None
    bookable_weekdays: frozenset[int]  # 0 = Monday; empty: every day
    bookings: list[tuple[datetime, datetime]]  # active (仮予約 and 本予約), overlapping
    min_minutes: int | None = None
    max_minutes: int | None = None
    max_days_ahead: int | None = None  # how far ahead it may be booked; None: no limit
    name: str = ""


def _windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    found = []
    while start < end:
        found.append((start, min(start + FACILITY_WINDOW, end)))
        start = found[-1][1]
    return found


def _facilities_query(count: int, windows: int) -> str:
    variables = [f"$f{i}: ID!" for i in range(count)]
    variables += [f"$s{w}: DateTime!, $e{w}: DateTime!" for w in range(windows)]
    booked = " ".join(
        f"w{w}: reservations(start: $s{w}, end: $e{w}) {{ id start end status }}"
        for w in range(windows)
    )
    fields = " ".join(
        f"f{i}: facility(id: $f{i}) {{ id name isActive poolSize openTime closeTime "
        f"bookableWeekdays minMinutes maxMinutes maxDaysAhead {booked} }}"
        for i in range(count)
    )
    return f"query({', '.join(variables)}) {{ {fields} }}"


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


async def facility_times(
    principal: Principal, facility_ids: Sequence[object], start: datetime, end: datetime
) -> list[FacilityTimes]:
    """Pool size, hours and bookings in [start, end) of each facility, in one operation.

    A BAD_USER_INPUT error for an ID of no facility of the caller's municipality or of one
    taken out of use: no slot could book it, and saying nothing would hide why.
    """
    ids = _unique(facility_ids)
    if not ids:
        return []
    if len(ids) > MAX_FACILITIES:
        raise _bad_input(f"Ask for at most {MAX_FACILITIES} facilities at once.")
    windows = _windows(start, end)
    variables: dict[str, Any] = {f"f{i}": pk for i, pk in enumerate(ids)}
    for w, (s, e) in enumerate(windows):
        variables |= {f"s{w}": s.isoformat(), f"e{w}": e.isoformat()}
    found = await peers.ask(
        "facilities", principal, _facilities_query(len(ids), len(windows)), variables
    )
    result = []
    for i, pk in enumerate(ids):
        row = found.get(f"f{i}")
        if row is None:
            raise _bad_input(f"No facility {pk} in your municipality.")
        if not row["isActive"]:
            raise _bad_input(f"Facility {pk} is no longer in use.")
        seen: dict[str, tuple[datetime, datetime]] = {}
        for w in range(len(windows)):
            for booking in row[f"w{w}"]:
                if booking["status"] in ACTIVE_STATUSES:
                    seen[booking["id"]] = (
                        datetime.fromisoformat(booking["start"]),
                        datetime.fromisoformat(booking["end"]),
                    )
        result.append(
            FacilityTimes(
                id=row["id"],
                pool_size=row["poolSize"],
                open_time=time.fromisoformat(row["openTime"]) if row["openTime"] else None,
                close_time=time.fromisoformat(row["closeTime"]) if row["closeTime"] else None,
                bookable_weekdays=frozenset(row["bookableWeekdays"]),
                bookings=sorted(seen.values()),
                min_minutes=row["minMinutes"],
                max_minutes=row["maxMinutes"],
                max_days_ahead=row["maxDaysAhead"],
                name=row["name"],
            )
        )
    return result
