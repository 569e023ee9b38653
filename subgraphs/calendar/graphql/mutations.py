"""Write side of the calendar subgraph: parse input, call one do_*, shape the result.

Expected failures come back in ``errors`` (CalendarError); changing an event you may not
change (``access.can_change``) is a FORBIDDEN GraphQL error, putting an entry into the week
of a department you do not belong to a FORBIDDEN error on ``ownerDepartmentId``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.calendar import actions, bookings, directory
from subgraphs.calendar.access import access_event_by_id, as_uuid, needs_departments
from subgraphs.calendar.graphql.inputs import (
    CreateEventInput,
    EditOccurrenceInput,
    UpdateEventInput,
)
from subgraphs.calendar.graphql.loaders import events_for
from subgraphs.calendar.graphql.types import (
    AnnualClosedDayType,
    AttendeeResponse,
    CalendarErrorType,
    CalendarFeedType,
    EventType,
    HolidayKind,
    HolidayType,
    IcsImportErrorType,
)
from subgraphs.calendar.recurrence import TOKYO
from subgraphs.calendar.views import absolute_url
from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import Forbidden, require_authenticated, require_tenant_admin
from subgraphs.core.principal import Principal


@strawberry.type(name="CalendarEventPayload")
class CalendarEventPayload:
    event: EventType | None = strawberry.field(
        description="The event as it now is (for editFollowing: the new series); null when "
        "errors say why nothing changed."
    )
    errors: list[CalendarErrorType]
    reset_occurrences: list[datetime] = strawberry.field(
        default_factory=list,
        description="updateEvent / editFollowing of a series: changed occurrences (moved, "
        "cancelled or given their own title) that could not keep their change, by their "
        "RECURRENCE-ID, because the series no longer has an occurrence on that day (or, "
        "turning all-day or back, the time they were moved to). Every other changed "
        "occurrence keeps its change: a moved one stays where it was moved to, with its rooms.",
    )


@strawberry.type(name="ClosedDayPayload")
class ClosedDayPayload:
    closed_day: HolidayType | None
    errors: list[CalendarErrorType]


@strawberry.type(name="AnnualClosedDayPayload")
class AnnualClosedDayPayload:
    annual_closed_day: AnnualClosedDayType | None = strawberry.field(
        description="The day set, or the one removed."
    )
    errors: list[CalendarErrorType]


@strawberry.type(name="CreateCalendarFeedPayload")
class CreateCalendarFeedPayload:
    feed: CalendarFeedType | None
    url: str | None = strawberry.field(
        description="The feed's URL for your calendar app, shown only now: "
        "YUI_PUBLIC_URL/calendar/feed/<token>.ics, or with the address you reached Yui at "
        "when that is not configured (a bare path only when neither is known)."
    )
    errors: list[CalendarErrorType]


@strawberry.type(name="CalendarFeedPayload")
class CalendarFeedPayload:
    feed: CalendarFeedType | None
    errors: list[CalendarErrorType]


@strawberry.type(name="ImportIcsPayload")
class ImportIcsPayload:
    events: list[EventType] = strawberry.field(description="The events the import made.")
    skipped: int = strawberry.field(
        description="VEVENTs already in your calendar (same UID), left as they are."
    )
    errors: list[IcsImportErrorType] = strawberry.field(
        description="Why nothing was imported; empty on success."
    )


def _errors(outcome: actions.Outcome) -> list[CalendarErrorType]:
    return [CalendarErrorType.of(e) for e in outcome.errors]


def _annual_payload(outcome: actions.Outcome) -> AnnualClosedDayPayload:
    if not outcome.ok:
        return AnnualClosedDayPayload(annual_closed_day=None, errors=_errors(outcome))
    row = outcome.obj
    shown = AnnualClosedDayType(month=row.month, day=row.day, name=row.name)
    return AnnualClosedDayPayload(annual_closed_day=shown, errors=[])


def _writer(
    principal: Principal, action: Callable[..., actions.Outcome], *args: Any, **kwargs: Any
) -> Callable[[], actions.Outcome]:
    """``action(principal, *args, **kwargs)`` to run in a thread; NotPermitted becomes
    FORBIDDEN."""

    def write() -> actions.Outcome:
        try:
            return action(principal, *args, **kwargs)
        except actions.NotPermitted as exc:
            raise Forbidden(str(exc)) from exc

    return write


async def _departments(
    principal: Principal, event_id: object | None, data: Mapping[str, Any] | None = None
) -> tuple[frozenset[uuid.UUID], list[actions.CalendarError]]:
    """The principal's departments (main and 兼務) when the write involves a department's
    week (the event's, or the one ``data`` puts it into); asked of people only then.

    An administrator may write into any department's week, of their municipality only:
    a department ID that people does not know there is NOT_FOUND.
    """
    raw = (data or {}).get("owner_department_id")
    target = as_uuid(raw) if raw is not None else None

    def current() -> uuid.UUID | None:
        event = access_event_by_id(principal, event_id) if event_id is not None else None
        return event.owner_department_id if event is not None else None

    owner = await sync_to_async(current)() if event_id is not None else None
    errors: list[actions.CalendarError] = []
    if (
        principal.is_tenant_admin
        and target is not None
        and target != owner
        and not await directory.department_exists(principal, target)
    ):
        message = f"No department {target} in your municipality."
        errors.append(actions.CalendarError("NOT_FOUND", message, "ownerDepartmentId"))
    if not needs_departments(principal, owner, target):
        return actions.NO_DEPARTMENTS, errors
    return await directory.department_ids_of(principal), errors


async def _payload(principal: Principal, outcome: actions.Outcome) -> CalendarEventPayload:
    if not outcome.ok:
        return CalendarEventPayload(event=None, errors=_errors(outcome))

    def read() -> CalendarEventPayload:
        # Read back with attendees and overrides, as every reader sees events.
        event = events_for(principal).get(pk=outcome.obj.pk)
        reset = outcome.extra.get("reset_occurrences") or []
        return CalendarEventPayload(
            event=EventType.of(event),
            errors=[],
            reset_occurrences=[r.astimezone(TOKYO) for r in reset],
        )

    return await sync_to_async(read)()


async def _run(
    info: Info, action: Callable[..., actions.Outcome], *args: Any, **kwargs: Any
) -> CalendarEventPayload:
    principal = require_authenticated(principal_of(info))
    outcome = await sync_to_async(_writer(principal, action, *args, **kwargs))()
    return await _payload(principal, outcome)


async def _update_data(
    principal: Principal, event_id: strawberry.ID, input: UpdateEventInput
) -> tuple[dict[str, Any], list[actions.CalendarError]]:
    """``input`` as action data, departments and groups expanded into ``attendee_ids``.

    Expanded before the (sync) write: the people subgraph is asked as the caller. The
    organizer left out of the members is the event's, whoever edits it.
    """
    data = input.to_data()
    if not input.changes_attendees():
        return data, []

    def organizer() -> Any:
        event = access_event_by_id(principal, event_id)
        return event.organizer_id if event is not None else None

    expansion = await directory.expand_attendees(
        principal,
        input.attendee_ids or [],
        input.attendee_department_ids or [],
        input.attendee_group_ids or [],
        await sync_to_async(organizer)(),
    )
    data["attendee_ids"] = expansion.attendee_ids
    return data, expansion.errors


def _closed_day_payload(outcome: actions.Outcome) -> ClosedDayPayload:
    if not outcome.ok:
        return ClosedDayPayload(closed_day=None, errors=_errors(outcome))
    row = outcome.obj
    return ClosedDayPayload(
        closed_day=HolidayType(date=row.date, name=row.name, kind=HolidayKind.CLOSED),
        errors=[],
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Create an event you organise; attendees are person IDs. With "
        "facilityIds the rooms are booked for each occurrence: if one cannot be, no event is "
        "made and errors name the facility and period (ROOM_CONFLICT or the facility's rule)."
    )
    async def create_event(self, info: Info, input: CreateEventInput) -> CalendarEventPayload:
        principal = require_authenticated(principal_of(info))
        data = input.to_data()
        expansion = await directory.expand_attendees(
            principal,
            input.attendee_ids,
            input.attendee_department_ids,
            input.attendee_group_ids,
            principal.person_id,
        )
        if expansion.errors:
            return await _payload(principal, actions.Outcome(errors=expansion.errors))
        data["attendee_ids"] = expansion.attendee_ids
        member_of, errors = await _departments(principal, None, data)
        if errors:
            return await _payload(principal, actions.Outcome(errors=errors))
        outcome = await bookings.create_event_with_rooms(
            principal, data, [str(f) for f in input.facility_ids], member_of=member_of
        )
        return await _payload(principal, outcome)

    @strawberry.mutation(
        description="Change an event (every occurrence of a series). Give `version` to be "
        "told CONFLICT if someone changed it since you read it. Booked rooms follow the new "
        "times, or errors name the date and room that is taken and nothing changes."
    )
    async def update_event(
        self, info: Info, id: strawberry.ID, input: UpdateEventInput, version: int | None = None
    ) -> CalendarEventPayload:
        principal = require_authenticated(principal_of(info))
        data, errors = await _update_data(principal, id, input)
        member_of, department_errors = await _departments(principal, id, data)
        if errors or department_errors:
            return await _payload(principal, actions.Outcome(errors=errors + department_errors))
        write = _writer(principal, actions.do_update_event, id, data, version, member_of=member_of)
        rooms = None if input.facility_ids is None else [str(f) for f in input.facility_ids]
        outcome = await bookings.write_with_rooms(principal, id, write, rooms)
        return await _payload(principal, outcome)

    @strawberry.mutation(
        description="Cancel an event, every occurrence of a series; frees its booked rooms."
    )
    async def cancel_event(self, info: Info, id: strawberry.ID) -> CalendarEventPayload:
        principal = require_authenticated(principal_of(info))
        member_of, _ = await _departments(principal, id)
        write = _writer(principal, actions.do_cancel_event, id, member_of=member_of)
        outcome = await bookings.cancel_with_bookings(principal, id, write)
        return await _payload(principal, outcome)

    @strawberry.mutation(
        description="Cancel one occurrence of a series (a single event: the event); "
        "frees the rooms booked for it."
    )
    async def cancel_occurrence(
        self, info: Info, event_id: strawberry.ID, recurrence_id: datetime
    ) -> CalendarEventPayload:
        principal = require_authenticated(principal_of(info))
        member_of, _ = await _departments(principal, event_id)
        write = _writer(
            principal, actions.do_cancel_occurrence, event_id, recurrence_id, member_of=member_of
        )
        outcome = await bookings.write_with_rooms(principal, event_id, write)
        return await _payload(principal, outcome)

    @strawberry.mutation(
        description="Drag & drop: move one occurrence of a series, or a single event. "
        "Its booked rooms move too, or errors say which is taken and nothing moves."
    )
    async def move_occurrence(
        self,
        info: Info,
        event_id: strawberry.ID,
        start: datetime,
        end: datetime,
        recurrence_id: datetime | None = None,
    ) -> CalendarEventPayload:
        principal = require_authenticated(principal_of(info))
        member_of, _ = await _departments(principal, event_id)
        write = _writer(
            principal,
            actions.do_move_occurrence,
            event_id,
            recurrence_id,
            start,
            end,
            member_of=member_of,
        )
        outcome = await bookings.write_with_rooms(principal, event_id, write)
        return await _payload(principal, outcome)

    @strawberry.mutation(
        description="Change this and the following occurrences: the series ends before "
        "`recurrenceId` and a new one starts there, taking the rooms booked from then on "
        "along; returns the new series."
    )
    async def edit_following(
        self, info: Info, event_id: strawberry.ID, recurrence_id: datetime, input: UpdateEventInput
    ) -> CalendarEventPayload:
        principal = require_authenticated(principal_of(info))
        data, errors = await _update_data(principal, event_id, input)
        member_of, department_errors = await _departments(principal, event_id, data)
        if errors or department_errors:
            return await _payload(principal, actions.Outcome(errors=errors + department_errors))
        # The new series' ID is fixed now: the dry run and the write must make the same one.
        write = _writer(
            principal,
            actions.do_edit_following,
            event_id,
            recurrence_id,
            data,
            uuid.uuid4(),
            member_of=member_of,
        )
        # facilityIds: the rooms of the new series (booked for its occurrences, all or
        # none); the old series keeps its own rooms before the split.
        rooms = None if input.facility_ids is None else [str(f) for f in input.facility_ids]
        outcome = await bookings.write_with_rooms(principal, event_id, write, rooms)
        return await _payload(principal, outcome)

    @strawberry.mutation(
        description="Give one occurrence of a series its own title or location; its time "
        "stays (moveOccurrence moves it). Give `version` to be told CONFLICT if someone "
        "changed the event since you read it."
    )
    async def edit_occurrence(
        self,
        info: Info,
        event_id: strawberry.ID,
        recurrence_id: datetime,
        input: EditOccurrenceInput,
        version: int | None = None,
    ) -> CalendarEventPayload:
        principal = require_authenticated(principal_of(info))
        member_of, _ = await _departments(principal, event_id)
        return await _run(
            info,
            actions.do_edit_occurrence,
            event_id,
            recurrence_id,
            input.to_data(),
            version,
            member_of=member_of,
        )

    @strawberry.mutation(description="Answer an invitation.")
    async def respond_to_event(
        self, info: Info, event_id: strawberry.ID, response: AttendeeResponse
    ) -> CalendarEventPayload:
        return await _run(info, actions.do_respond_to_event, event_id, response.value)

    @strawberry.mutation(description="Mark a day closed for your municipality (admins only).")
    async def set_closed_day(self, info: Info, day: date, name: str) -> ClosedDayPayload:
        principal: Principal = require_tenant_admin(principal_of(info))
        return _closed_day_payload(
            await sync_to_async(actions.do_set_closed_day)(principal, day, name)
        )

    @strawberry.mutation(
        description="Open a day marked closed with setClosedDay again (admins only); a day "
        "closed every year is opened with removeAnnualClosedDay."
    )
    async def remove_closed_day(self, info: Info, day: date) -> ClosedDayPayload:
        principal: Principal = require_tenant_admin(principal_of(info))
        return _closed_day_payload(
            await sync_to_async(actions.do_remove_closed_day)(principal, day)
        )

    @strawberry.mutation(
        description="Close a day every year, or rename one (admins only). Every "
        "municipality starts with 年末年始, 12/29 to 1/3."
    )
    async def set_annual_closed_day(
        self, info: Info, month: int, day: int, name: str
    ) -> AnnualClosedDayPayload:
        principal: Principal = require_tenant_admin(principal_of(info))
        write = actions.do_set_annual_closed_day
        return _annual_payload(await sync_to_async(write)(principal, month, day, name))

    @strawberry.mutation(
        description="Stop closing a day every year (admins only), a default 年末年始 day too."
    )
    async def remove_annual_closed_day(
        self, info: Info, month: int, day: int
    ) -> AnnualClosedDayPayload:
        principal: Principal = require_tenant_admin(principal_of(info))
        write = actions.do_remove_annual_closed_day
        return _annual_payload(await sync_to_async(write)(principal, month, day))

    @strawberry.mutation(
        description="A private URL of your calendar for calendar apps; the URL is shown once."
    )
    async def create_calendar_feed(self, info: Info) -> CreateCalendarFeedPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_create_calendar_feed)(principal)
        if not outcome.ok:
            return CreateCalendarFeedPayload(feed=None, url=None, errors=_errors(outcome))
        url = absolute_url(context_of(info), outcome.extra["url"])
        return CreateCalendarFeedPayload(feed=CalendarFeedType.of(outcome.obj), url=url, errors=[])

    @strawberry.mutation(description="Stop one of your feed URLs for good.")
    async def revoke_calendar_feed(self, info: Info, id: strawberry.ID) -> CalendarFeedPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_revoke_calendar_feed)(principal, id)
        if not outcome.ok:
            return CalendarFeedPayload(feed=None, errors=_errors(outcome))
        return CalendarFeedPayload(feed=CalendarFeedType.of(outcome.obj), errors=[])

    @strawberry.mutation(
        description="Import an .ics file into your calendar, all or nothing: each VEVENT "
        "becomes an event you organise (RRULE, EXDATE and changed occurrences kept); UIDs "
        "imported before are skipped."
    )
    async def import_ics(self, info: Info, text: str) -> ImportIcsPayload:
        principal = require_authenticated(principal_of(info))

        def run() -> ImportIcsPayload:
            outcome = actions.do_import_ics(principal, text)
            if not outcome.ok:
                errors = [
                    IcsImportErrorType(code=e.code, message=e.message, line=e.line, uid=e.uid)
                    for e in outcome.errors
                ]
                return ImportIcsPayload(events=[], skipped=0, errors=errors)
            ids = [e.pk for e in outcome.created]
            events = {e.pk: e for e in events_for(principal).filter(pk__in=ids)}
            return ImportIcsPayload(
                events=[EventType.of(events[pk]) for pk in ids],
                skipped=outcome.skipped,
                errors=[],
            )

        return await sync_to_async(run)()
