"""Rooms booked with an event follow it: the calendar side of issue 4.

The calendar and facilities subgraphs share no tables (DESIGN rule 1): a reservation knows
its event only by ID (``Reservation.event_id``). The calendar coordinates by calling the
facilities subgraph **through its GraphQL schema**, in-process, as the caller (their
principal, so facilities applies its own tenancy, rules and "yours or an administrator's"
check). ``subgraphs.core.peers`` makes that an HTTP call with the signed principal header
when facilities runs as its own service (``YUI_SUBGRAPH_URLS``).

What follows what (timed entries only; an all-day entry books no rooms):
- ``createEvent(facilityIds)`` books each room for the event's period with the new
  event's ID *before* the event is saved. If one is refused, the rooms booked so far are
  cancelled again and no event is made; the error names the facility and the period
  (ROOM_CONFLICT with the booking in the way, or the facility's rule, e.g. OUTSIDE_HOURS).
  Rooms are for single events: with an RRULE or all-day, ROOMS_NEED_SINGLE_TIMED_EVENT.
- ``moveOccurrence`` / ``updateEvent`` with new times first move the bookings, all or none
  (facilities ``moveEventReservations``). Refused: the error comes back and nothing
  changed, neither event nor bookings. Then the calendar write runs; if it fails (its own
  validation, a version CONFLICT, FORBIDDEN or a crash) the bookings are moved back to
  where they were (compensation). A compensation that fails itself (someone took the old
  slot in between) is logged: the bookings then stay at the new time.
- ``cancelEvent`` / ``cancelOccurrence`` cancel the event first, then free its bookings
  (``cancelEventReservations``); if freeing fails it is logged and the bookings stay, to be
  cancelled by hand.
- A series: ``moveOccurrence`` / ``cancelOccurrence`` of one occurrence move/free the
  bookings linked to the event that start at that occurrence's current start;
  ``cancelEvent`` frees every booking of the series. Changing a whole series' times
  (``updateEvent``, ``editFollowing``) does not move bookings.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async

from subgraphs.calendar import actions
from subgraphs.calendar.actions import BookingMove, CalendarError, Outcome
from subgraphs.core import peers
from subgraphs.core.principal import Principal

log = logging.getLogger(__name__)

FAILURES = """__typename
  ... on ReservationRefused { errors { code message field } }
  ... on ReservationConflict { message conflicts { id start end facility { id name } } }"""
CREATE = f"""mutation($input: CreateReservationInput!) {{
  createReservation(input: $input) {{ {FAILURES}
    ... on ReservationPayload {{ reservation {{ id }} }} }} }}"""
EVENT_RESULT = f"""{FAILURES}
  ... on EventReservationsPayload {{ reservations {{ id }} }}"""
MOVE = f"""mutation($input: MoveEventReservationsInput!) {{
  moveEventReservations(input: $input) {{ {EVENT_RESULT} }} }}"""
CANCEL = f"""mutation($eventId: ID!, $occurrenceStart: DateTime) {{
  cancelEventReservations(eventId: $eventId, occurrenceStart: $occurrenceStart) {{
    {EVENT_RESULT} }} }}"""


async def _facilities(principal: Principal, query: str, variables: dict[str, Any]) -> Any:
    """Run one operation on the facilities subgraph as ``principal``; its single field."""
    return await peers.ask_field("facilities", principal, query, variables)


def _refusal(
    result: dict[str, Any], facility_id: str | None, start: datetime, end: datetime
) -> list[CalendarError]:
    """The calendar errors for a facilities result that is not a success ([] if it is)."""
    kind = result["__typename"]
    if kind == "ReservationConflict":
        return [
            CalendarError(
                "ROOM_CONFLICT",
                f"{c['facility']['name']} は {c['start']}〜{c['end']} に予約があります。 / "
                f"{c['facility']['name']} is booked from {c['start']} to {c['end']}.",
                "facilityIds",
                facility_id=c["facility"]["id"],
                facility_name=c["facility"]["name"],
                start=start,
                end=end,
                reservation_id=c["id"],
            )
            for c in result["conflicts"]
        ] or [
            CalendarError("ROOM_CONFLICT", result["message"], "facilityIds", start=start, end=end)
        ]
    if kind == "ReservationRefused":
        return [
            CalendarError(
                e["code"],
                e["message"],
                "facilityIds",
                facility_id=facility_id,
                start=start,
                end=end,
            )
            for e in result["errors"]
        ]
    return []


async def book_room(
    principal: Principal, event_id: uuid.UUID, facility_id: str, start: datetime, end: datetime
) -> list[CalendarError]:
    variables = {
        "input": {
            "facilityId": facility_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "eventId": str(event_id),
        }
    }
    return _refusal(await _facilities(principal, CREATE, variables), facility_id, start, end)


async def move_bookings(
    principal: Principal, event_id: object, move: BookingMove, *, back: bool = False
) -> tuple[list[CalendarError], int]:
    """Move the event's bookings along ``move`` (``back``: undo it); (errors, how many)."""
    if back:
        start, end, occurrence = move.old_start, move.old_end, move.new_start
    else:
        start, end, occurrence = move.new_start, move.new_end, move.old_start
    variables = {
        "input": {
            "eventId": str(event_id),
            "occurrenceStart": occurrence.isoformat() if move.occurrence_start else None,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
    }
    result = await _facilities(principal, MOVE, variables)
    errors = _refusal(result, None, start, end)
    return errors, 0 if errors else len(result["reservations"])


async def cancel_bookings(
    principal: Principal, event_id: object, occurrence_start: datetime | None = None
) -> None:
    variables = {
        "eventId": str(event_id),
        "occurrenceStart": occurrence_start.isoformat() if occurrence_start else None,
    }
    result = await _facilities(principal, CANCEL, variables)
    if result["__typename"] != "EventReservationsPayload":
        log.warning("bookings of event %s not freed: %s", event_id, result)


# --- the calendar mutations that take rooms along ----------------------------------------


async def create_event_with_rooms(
    principal: Principal, data: Mapping[str, Any], facility_ids: list[str]
) -> Outcome:
    """``do_create_event`` that first books ``facility_ids`` for the event (see above)."""
    if not facility_ids:
        return await sync_to_async(actions.do_create_event)(principal, data)
    errors, values = await sync_to_async(actions.check_event_values)(data)
    if errors:
        return Outcome(errors=errors)
    if values["all_day"] or values["rrule"]:
        return Outcome(
            errors=[
                CalendarError(
                    "ROOMS_NEED_SINGLE_TIMED_EVENT",
                    "Rooms are booked with single events that have a start and end time.",
                    "facilityIds",
                )
            ]
        )
    event_id = uuid.uuid4()
    start, end = values["starts_at"], values["ends_at"]
    try:
        for facility_id in dict.fromkeys(facility_ids):
            if refused := await book_room(principal, event_id, facility_id, start, end):
                await cancel_bookings(principal, event_id)
                return Outcome(errors=refused)
        outcome = await sync_to_async(actions.do_create_event)(principal, data, event_id=event_id)
    except BaseException:
        await _free_quietly(principal, event_id)
        raise
    if not outcome.ok:
        await _free_quietly(principal, event_id)
    return outcome


async def _free_quietly(principal: Principal, event_id: uuid.UUID) -> None:
    try:
        await cancel_bookings(principal, event_id)
    except Exception:
        log.exception("could not free the rooms of event %s that was not made", event_id)


async def write_with_bookings(
    principal: Principal,
    event_id: object,
    move: BookingMove | None,
    write: Callable[[], Outcome],
) -> Outcome:
    """Move the bookings along ``move``, then run the calendar ``write``; undo the move
    when the write does not succeed (compensation)."""
    if move is None:
        return await sync_to_async(write)()
    refused, moved = await move_bookings(principal, event_id, move)
    if refused:
        return Outcome(errors=refused)
    try:
        outcome = await sync_to_async(write)()
    except BaseException:
        if moved:
            await _move_back(principal, event_id, move)
        raise
    if not outcome.ok and moved:
        await _move_back(principal, event_id, move)
    return outcome


async def _move_back(principal: Principal, event_id: object, move: BookingMove) -> None:
    try:
        refused, _ = await move_bookings(principal, event_id, move, back=True)
    except Exception:
        log.exception("could not move the bookings of event %s back", event_id)
        return
    if refused:
        log.warning("bookings of event %s could not move back: %s", event_id, refused)


async def cancel_with_bookings(
    principal: Principal,
    event_id: object,
    recurrence_id: datetime | None,
    write: Callable[[], Outcome],
) -> Outcome:
    """Run the calendar cancellation ``write``; once it succeeded, free the bookings."""
    frees, occurrence_start = await sync_to_async(actions.plan_cancel_bookings)(
        principal, event_id, recurrence_id
    )
    outcome = await sync_to_async(write)()
    if outcome.ok and frees:
        try:
            await cancel_bookings(principal, event_id, occurrence_start)
        except Exception:
            log.exception("event %s cancelled but its bookings were not freed", event_id)
    return outcome
