"""Rooms booked with an event follow it: the calendar side of issue 4.

The calendar and facilities subgraphs share no tables (DESIGN rule 1): a reservation knows
its event only by ID (``Reservation.event_id``). The calendar coordinates by asking the
facilities subgraph **through its GraphQL schema** as the caller (their principal, so
facilities applies its own tenancy, rules and "yours or an administrator's" check);
``subgraphs.core.peers`` makes that an HTTP call with the signed principal header when
facilities runs as its own service (``YUI_SUBGRAPH_URLS``).

One rule covers every kind of entry: **the event's bookings are where its occurrences
are**. A single meeting has one period, an all-day entry one period from midnight to
midnight (Japan) of its days, a series one per occurrence (moved ones where they moved to,
cancelled ones none), up to a year ahead. The past is left alone: bookings and
occurrences that start before the change are not touched.

Every calendar write that may change those periods runs as:
1. a **dry run**: the write in a transaction that is rolled back, reading the periods of
   the event before and after it (the same code decides both, so nothing is predicted by
   a second copy of the rules). A write that would fail returns its errors here, with
   nothing changed anywhere;
2. if the periods change: facilities ``syncEventReservations``, all or none. Dates that
   cannot be booked come back as errors (ROOM_CONFLICT naming the facility, period and
   booking in the way, or the facility's rule such as OUTSIDE_HOURS) and the event stays
   as it was;
3. the write for real. If it fails now (someone changed the event in between: a version
   CONFLICT, or a crash) the bookings are synced back to the old periods (compensation;
   a compensation that fails itself is logged).

"This and following" (``editFollowing``) splits a series: the new series takes over the
bookings of the old one from the split on, then the old one keeps those before it. With
``facilityIds`` the new series has exactly those rooms (booked for each of its occurrences,
all or none, the old series' later bookings reused where they fit, the rest freed).
Cancelling a whole event frees all its bookings after the cancellation is saved.

Left open: between the dry run and the real write another change to the same event can
slip in; the real write then wins and its bookings follow the dry run's periods (the next
change of the event syncs them again).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone

from subgraphs.calendar import actions, recurrence
from subgraphs.calendar.access import as_uuid
from subgraphs.calendar.actions import CalendarError, Outcome
from subgraphs.calendar.models import Event, with_rows
from subgraphs.core import peers
from subgraphs.core.principal import Principal

log = logging.getLogger(__name__)

# Rooms follow a series this far ahead (an endless weekly meeting books a year of rooms).
HORIZON = timedelta(days=366)

SYNC = """mutation($input: SyncEventReservationsInput!) {
  syncEventReservations(input: $input) {
    __typename
    ... on ReservationRefused { errors { code message field } }
    ... on RecurringReservationConflict {
      message
      problems {
        start end
        facility { id name }
        errors { code message field }
        conflicts { id start end facility { id name } }
      }
    }
    ... on EventReservationsPayload { reservations { id } }
  }
}"""
ROOMS = """query($reps: [_Any!]!) {
  _entities(representations: $reps) { ... on Event { reservations { facility { id } } } } }"""
CANCEL = """mutation($eventId: ID!) {
  cancelEventReservations(eventId: $eventId) { __typename } }"""

Periods = list[tuple[datetime, datetime]]

NOTHING_AHEAD = CalendarError(
    "IN_THE_PAST",
    "過去の予定には施設を予約できません。 / Rooms cannot be booked for an entry in the past.",
    "facilityIds",
)


def periods_of(event: Event, since: datetime) -> Periods:
    """Where the event's bookings belong: its occurrences starting at or after ``since``
    (and within ``HORIZON`` of it), by start."""
    if event.cancelled:
        return []
    until = since + HORIZON
    if event.range_end is not None:
        until = min(until, event.range_end)
    if until <= since:
        return []
    found = recurrence.occurrences(event, since, until, event.override_rows())
    return [(o.start, o.end) for o in found if o.start >= since]


def _read_periods(principal: Principal, event_id: object, since: datetime) -> Periods | None:
    pk = as_uuid(event_id)
    if pk is None:
        return None
    event = with_rows(Event.objects.for_principal(principal).filter(pk=pk)).first()
    return None if event is None else periods_of(event, since)


@dataclass
class Step:
    """One ``syncEventReservations`` call, and how to undo it."""

    event_id: str
    before: Periods
    after: Periods
    since: datetime
    take_over_from: str | None = None
    facility_ids: list[str] | None = None  # None: the facilities the event has
    facilities_before: list[str] | None = None  # what undo books again when they changed


@dataclass
class Plan:
    outcome: Outcome
    steps: list[Step] = field(default_factory=list)


def dry_run(
    principal: Principal,
    event_id: object | None,
    write: Callable[[], Outcome],
    facility_ids: list[str] | None = None,
) -> Plan:
    """Run ``write`` and roll it back; the syncs its change of periods needs (see above)."""
    since = timezone.now()
    before = _read_periods(principal, event_id, since) if event_id is not None else None
    with transaction.atomic():
        outcome = write()
        after: dict[str, Periods] = {}
        if outcome.ok and isinstance(outcome.obj, Event):
            ids = {str(outcome.obj.pk)} | ({str(event_id)} if event_id is not None else set())
            for pk in ids:
                after[pk] = _read_periods(principal, pk, since) or []
        transaction.set_rollback(True)
    if not outcome.ok or not after:
        return Plan(outcome)
    steps: list[Step] = []
    if event_id is None:  # a new event: book the facilities asked for
        (pk, periods), *_ = after.items()
        if facility_ids and not periods:
            return Plan(Outcome(errors=[NOTHING_AHEAD]))
        if facility_ids:
            steps.append(Step(pk, [], periods, since, facility_ids=facility_ids))
        return Plan(outcome, steps)
    old = str(event_id)
    split_off = {pk: periods for pk, periods in after.items() if pk != old}
    if facility_ids is not None and not split_off:
        # The rooms change: one step, old facilities to go back to.
        return Plan(
            outcome, [Step(old, before or [], after.get(old, []), since, None, facility_ids)]
        )
    left = [p for p in before or [] if p not in after.get(old, [])]
    for pk, periods in split_off.items():
        if facility_ids and not periods:
            return Plan(Outcome(errors=[NOTHING_AHEAD]))
        if periods:
            # A new series split off ("this and following"): it takes over the old one's
            # bookings from the first occurrence the old series no longer has, and with
            # ``facility_ids`` has exactly those rooms from there on (the old series keeps
            # its own rooms before the split).
            split = max(since, min(p[0] for p in periods + left))
            steps.append(Step(pk, [], periods, split, old, facility_ids))
    if after.get(old, []) != (before or []) or steps:
        steps.append(Step(old, before or [], after.get(old, []), since))
    return Plan(outcome, steps)


async def _sync(principal: Principal, step: Step, *, undo: bool = False) -> list[CalendarError]:
    take_from: str | None
    if undo and step.take_over_from:
        # Give the bookings back to the series they came from.
        donor = await sync_to_async(_read_periods)(principal, step.take_over_from, step.since)
        target, periods, take_from = step.take_over_from, donor or [], step.event_id
    else:
        target = step.event_id
        periods = step.before if undo else step.after
        take_from = None if undo else step.take_over_from
    variables = {
        "input": {
            "eventId": target,
            "periods": [{"start": s.isoformat(), "end": e.isoformat()} for s, e in periods],
            "since": step.since.isoformat(),
            "facilityIds": step.facilities_before if undo else step.facility_ids,
            "takeOverFrom": take_from,
        }
    }
    result = await peers.ask_field("facilities", principal, SYNC, variables)
    return refusal(result)


def refusal(result: dict[str, Any]) -> list[CalendarError]:
    """The calendar errors for a ``syncEventReservations`` result ([] for a success)."""
    kind = result["__typename"]
    if kind == "ReservationRefused":
        return [CalendarError(e["code"], e["message"], "facilityIds") for e in result["errors"]]
    if kind != "RecurringReservationConflict":
        return []
    errors: list[CalendarError] = []
    for problem in result["problems"]:
        start = datetime.fromisoformat(problem["start"])
        end = datetime.fromisoformat(problem["end"])
        for c in problem["conflicts"]:
            name = c["facility"]["name"]
            errors.append(
                CalendarError(
                    "ROOM_CONFLICT",
                    f"{name} は {c['start']}〜{c['end']} に予約があります。 / "
                    f"{name} is booked from {c['start']} to {c['end']}.",
                    "facilityIds",
                    facility_id=c["facility"]["id"],
                    facility_name=name,
                    start=start,
                    end=end,
                    reservation_id=c["id"],
                )
            )
        facility = problem["facility"] or {}
        errors += [
            CalendarError(
                e["code"],
                e["message"],
                "facilityIds",
                facility_id=facility.get("id"),
                facility_name=facility.get("name"),
                start=start,
                end=end,
            )
            for e in problem["errors"]
        ]
    return errors or [CalendarError("ROOM_CONFLICT", result["message"], "facilityIds")]


async def _undo(principal: Principal, done: list[Step]) -> None:
    for step in reversed(done):
        try:
            if errors := await _sync(principal, step, undo=True):
                log.warning("bookings of event %s not put back: %s", step.event_id, errors)
        except Exception:
            log.exception("bookings of event %s not put back", step.event_id)


async def write_with_rooms(
    principal: Principal,
    event_id: object | None,
    write: Callable[[], Outcome],
    facility_ids: list[str] | None = None,
) -> Outcome:
    """Run the calendar ``write`` with the event's bookings following it (see above).

    ``event_id`` None: ``write`` creates an event (with the ID it was given), booking
    ``facility_ids`` for each of its occurrences.
    """
    plan = await sync_to_async(dry_run)(principal, event_id, write, facility_ids)
    if event_id is not None and facility_ids is not None:
        for step in plan.steps:
            # Undo books again what the event had; for a split-off series, the rooms of
            # the series it took the bookings over from.
            had = step.take_over_from or step.event_id
            step.facilities_before = await facilities_of(principal, had)
    if not plan.outcome.ok or not plan.steps:
        if not plan.outcome.ok:
            return plan.outcome
        return await sync_to_async(write)()
    done: list[Step] = []
    for step in plan.steps:
        if errors := await _sync(principal, step):
            await _undo(principal, done)
            return Outcome(errors=errors)
        done.append(step)
    try:
        outcome = await sync_to_async(write)()
    except BaseException:
        await _undo(principal, done)
        raise
    if not outcome.ok:
        await _undo(principal, done)
    return outcome


async def facilities_of(principal: Principal, event_id: str) -> list[str]:
    """The facilities the event has active bookings at (the caller's view), once each."""
    data = await peers.ask(
        "facilities", principal, ROOMS, {"reps": [{"__typename": "Event", "id": event_id}]}
    )
    [event] = data["_entities"]
    return list(dict.fromkeys(r["facility"]["id"] for r in (event or {}).get("reservations", [])))


async def create_event_with_rooms(
    principal: Principal,
    data: Mapping[str, Any],
    facility_ids: list[str],
    member_of: frozenset[uuid.UUID] = actions.NO_DEPARTMENTS,
) -> Outcome:
    """``do_create_event``, booking ``facility_ids`` for every occurrence; all or nothing."""
    event_id = uuid.uuid4()

    def write() -> Outcome:
        return actions.do_create_event(principal, data, event_id=event_id, member_of=member_of)

    if not facility_ids:
        return await sync_to_async(write)()
    return await write_with_rooms(principal, None, write, list(dict.fromkeys(facility_ids)))


async def cancel_with_bookings(
    principal: Principal, event_id: object, write: Callable[[], Outcome]
) -> Outcome:
    """Cancel the whole event with ``write``; once saved, free all its bookings."""
    outcome = await sync_to_async(write)()
    if outcome.ok:
        try:
            result = await peers.ask_field(
                "facilities", principal, CANCEL, {"eventId": str(event_id)}
            )
            if result["__typename"] != "EventReservationsPayload":
                log.warning("bookings of event %s not freed: %s", event_id, result)
        except Exception:
            log.exception("event %s cancelled but its bookings were not freed", event_id)
    return outcome
