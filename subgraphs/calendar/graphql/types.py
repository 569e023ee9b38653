"""GraphQL types of the calendar subgraph.

``Person`` and ``Organization`` are the people subgraph's entities, of which this subgraph
knows only the key: it adds ``events`` to each. ``Event`` is this subgraph's entity. What a
viewer may read of an event (access.py) is applied in the field resolvers here, so every
read path (queries, ``_entities``, Person.events, subscriptions) shows the same.
Times are stored in UTC and shown with Japan's offset (+09:00), the same instants.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime, timedelta
from enum import Enum

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.calendar import access, directory, recurrence
from subgraphs.calendar.actions import CalendarError
from subgraphs.calendar.graphql.loaders import (
    EventByIdLoader,
    OccurrencesByOrganizationLoader,
    OccurrencesByPersonLoader,
    ReaderView,
)
from subgraphs.calendar.models import CalendarFeedToken, Event
from subgraphs.core.graphql.context import YuiContext, context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal

MAX_WINDOW = timedelta(days=366)  # a year view


def check_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window as UTC; a BAD_USER_INPUT error for an empty or too long one."""
    start, end = recurrence.as_utc(start), recurrence.as_utc(end)
    if end <= start or end - start > MAX_WINDOW:
        raise GraphQLError(
            "end must follow start, at most a year later.", extensions={"code": "BAD_USER_INPUT"}
        )
    return start, end


@strawberry.enum(name="EventVisibility", description="What colleagues see of an event.")
class EventVisibility(Enum):
    PUBLIC = strawberry.enum_value("PUBLIC", description="Everything.")
    BUSY = strawberry.enum_value("BUSY", description="予定あり, with who takes part.")
    PRIVATE = strawberry.enum_value("PRIVATE", description="Only the busy time.")


@strawberry.enum(name="AttendeeResponse", description="An attendee's answer.")
class AttendeeResponse(Enum):
    PENDING = strawberry.enum_value("PENDING", description="未回答")
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="出席")
    DECLINED = strawberry.enum_value("DECLINED", description="欠席")


@strawberry.enum(name="HolidayKind")
class HolidayKind(Enum):
    NATIONAL = strawberry.enum_value("NATIONAL", description="国民の祝日・振替休日")
    CLOSED = strawberry.enum_value("CLOSED", description="The municipality's closed day.")


async def _occurrences(
    info: Info, loader_factory: type, owner: strawberry.ID, start: datetime, end: datetime
) -> list[OccurrenceType]:
    require_authenticated(principal_of(info))
    start, end = check_window(start, end)
    pk = access.as_uuid(owner)
    if pk is None:
        return []
    context = context_of(info)
    found = await context.loader(loader_factory).load((pk, start, end))
    return context.loader(_OccurrenceTypes).of(found)


class _OccurrenceTypes:
    """The operation's one OccurrenceType per occurrence. The loaders share an occurrence
    between the calendars of everyone taking part, so a meeting of five colleagues in a
    department week is one object in five lists, made once, not five."""

    def __init__(self, context: YuiContext) -> None:
        # Keyed by identity: each value holds its occurrence, so no key is reused.
        self._made: dict[int, OccurrenceType] = {}

    def of(self, occurrences: list[recurrence.Occurrence]) -> list[OccurrenceType]:
        made = self._made
        found = []
        for occurrence in occurrences:
            shown = made.get(id(occurrence))
            if shown is None:
                shown = made[id(occurrence)] = OccurrenceType(occurrence=occurrence)
            found.append(shown)
        return found


class ViewerDepartments:
    """The viewer's departments (main and 兼務), asked of people at most once per
    operation, and only when an entry of a department is asked about."""

    def __init__(self, context: YuiContext) -> None:
        self._principal = context.principal
        self._found: asyncio.Task[frozenset[uuid.UUID]] | None = None

    async def get(self) -> frozenset[uuid.UUID]:
        if self._found is None:
            self._found = asyncio.ensure_future(directory.department_ids_of(self._principal))
        return await self._found


@strawberry.federation.type(name="Person", keys=["id"])
class PersonType:
    """The people subgraph's staff member, by key only; the calendar adds ``events``.

    No GraphQL description: the owning subgraph's one is what the supergraph shows.
    """

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> PersonType | None:
        # Nothing to look up: the tenant scope applies where the data is, in `events`.
        return cls(id=id) if access.as_uuid(id) is not None else None

    @strawberry.field(
        description="Occurrences they organise or are invited to overlapping [start, end) "
        "(at most a year), by start. Details follow the event's visibility."
    )
    async def events(self, info: Info, start: datetime, end: datetime) -> list[OccurrenceType]:
        return await _occurrences(info, OccurrencesByPersonLoader, self.id, start, end)


@strawberry.federation.type(name="Organization", keys=["id"])
class OrganizationType:
    """The people subgraph's department, by key only; the calendar adds ``events``."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> OrganizationType | None:
        return cls(id=id) if access.as_uuid(id) is not None else None

    @strawberry.field(
        description="The department's own entries (課の予定) overlapping [start, end), by start."
    )
    async def events(self, info: Info, start: datetime, end: datetime) -> list[OccurrenceType]:
        return await _occurrences(info, OccurrencesByOrganizationLoader, self.id, start, end)


@strawberry.type(name="EventAttendee", description="Someone invited, and their answer.")
class AttendeeType:
    person: PersonType
    response: AttendeeResponse

    @classmethod
    def list_for(cls, info: Info, event: Event) -> list[AttendeeType]:
        if not access.can_see_people(principal_of(info), event):
            return []
        return [
            cls(
                person=PersonType(id=strawberry.ID(str(a.person_id))),
                response=AttendeeResponse(a.response),
            )
            for a in sorted(event.attendee_rows(), key=lambda a: a.pk)
        ]


def _shown(info: Info, event: Event, value: str | None) -> str | None:
    return value if access.can_see_details(principal_of(info), event) else None


def _organizer(info: Info, event: Event) -> PersonType | None:
    if not access.can_see_people(principal_of(info), event):
        return None
    return PersonType(id=strawberry.ID(str(event.organizer_id)))


@strawberry.type(
    name="Occurrence",
    description="One appearance of an event on a calendar: a single event, or one "
    "occurrence of a series (moved ones where they moved to).",
)
class OccurrenceType:
    # Plain attributes, set once here, not resolvers: GraphQL reads an attribute for a
    # fraction of what calling a resolver costs, and a department week has over a thousand
    # occurrences. What the viewer may see of the event is decided once per event: by the
    # loader that read it for them (``ReaderView``) or from ``viewer``.
    occurrence: strawberry.Private[recurrence.Occurrence]
    event_id: strawberry.ID
    recurrence_id: datetime | None = strawberry.field(
        description="The original start of this occurrence of a series (RECURRENCE-ID); "
        "null for a single event. Pass it to cancelOccurrence, moveOccurrence, editFollowing."
    )
    start: datetime = strawberry.field(description="Start; for an all-day entry midnight in Japan.")
    end: datetime = strawberry.field(
        description="End (exclusive); for an all-day entry midnight in Japan."
    )
    all_day: bool
    start_date: date | None = strawberry.field(
        description="First day of an all-day entry; null otherwise."
    )
    end_date: date | None = strawberry.field(
        description="Day after the last of an all-day entry; null otherwise."
    )
    title: str = strawberry.field(description="予定あり when you may not see what it is.")
    location: str | None = strawberry.field(description="Null when you may not see it.")
    description: str | None = strawberry.field(
        description="Sanitised HTML; null when you may not see it."
    )
    category: str | None = strawberry.field(description="Null when you may not see it.")
    visibility: EventVisibility
    is_recurring: bool
    is_moved: bool = strawberry.field(
        description="Whether this occurrence was moved from its usual time."
    )

    def __init__(self, occurrence: recurrence.Occurrence, viewer: Principal | None = None):
        """``viewer`` may be left out for an occurrence of the windowed loaders, which
        decided what their principal may see of each event they read."""
        event = occurrence.event
        view = ReaderView.of(viewer, event) if viewer is not None else ReaderView.loaded(event)
        if view is None:
            raise TypeError("OccurrenceType of an event no loader read needs its viewer")
        self.occurrence = occurrence
        self.event_id = strawberry.ID(str(event.id))
        rid = occurrence.recurrence_id
        self.recurrence_id = rid.astimezone(recurrence.TOKYO) if rid else None
        self.start = occurrence.start.astimezone(recurrence.TOKYO)
        self.end = occurrence.end.astimezone(recurrence.TOKYO)
        self.all_day = occurrence.all_day
        self.start_date = occurrence.start_date
        self.end_date = occurrence.end_date
        details = view.details
        self.title = (occurrence.title if details else None) or access.BUSY_TITLE
        self.location = occurrence.location if details else None
        self.description = event.description if details else None
        self.category = event.category if details else None
        self.visibility = EventVisibility(event.visibility)
        self.is_recurring = event.is_recurring
        self.is_moved = occurrence.moved

    @strawberry.field(description="Null for a PRIVATE event of someone else.")
    def organizer(self, info: Info) -> PersonType | None:
        return _organizer(info, self.occurrence.event)

    @strawberry.field(description="Empty for a PRIVATE event of someone else.")
    def attendees(self, info: Info) -> list[AttendeeType]:
        return AttendeeType.list_for(info, self.occurrence.event)

    @strawberry.field
    def event(self) -> EventType:
        return EventType(id=strawberry.ID(str(self.occurrence.event.id)), obj=self.occurrence.event)


@strawberry.federation.type(name="Event", keys=["id"], description="A calendar entry or series.")
class EventType:
    id: strawberry.ID
    obj: strawberry.Private[Event]

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> EventType | None:
        require_authenticated(principal_of(info))
        event = await context_of(info).loader(EventByIdLoader).load(id)
        return cls(id=strawberry.ID(str(event.id)), obj=event) if event else None

    @classmethod
    def of(cls, event: Event) -> EventType:
        return cls(id=strawberry.ID(str(event.id)), obj=event)

    @strawberry.field(description="予定あり when you may not see what it is.")
    def title(self, info: Info) -> str:
        return _shown(info, self.obj, self.obj.title) or access.BUSY_TITLE

    @strawberry.field
    def location(self, info: Info) -> str | None:
        return _shown(info, self.obj, self.obj.location)

    @strawberry.field
    def description(self, info: Info) -> str | None:
        return _shown(info, self.obj, self.obj.description)

    @strawberry.field
    def category(self, info: Info) -> str | None:
        return _shown(info, self.obj, self.obj.category)

    @strawberry.field
    def visibility(self) -> EventVisibility:
        return EventVisibility(self.obj.visibility)

    @strawberry.field
    def all_day(self) -> bool:
        return self.obj.all_day

    @strawberry.field(description="Start of the (first) occurrence.")
    def start(self) -> datetime:
        return recurrence.series_start(self.obj).astimezone(recurrence.TOKYO)

    @strawberry.field(description="End of the (first) occurrence.")
    def end(self) -> datetime:
        end = recurrence.series_start(self.obj) + recurrence.duration(self.obj)
        return end.astimezone(recurrence.TOKYO)

    @strawberry.field
    def start_date(self) -> date | None:
        return self.obj.start_date

    @strawberry.field(description="Exclusive.")
    def end_date(self) -> date | None:
        return self.obj.end_date

    @strawberry.field(description="RFC 5545 RRULE (UNTIL in UTC); null for a single event.")
    def rrule(self, info: Info) -> str | None:
        return self.obj.rrule or None

    @strawberry.field(description="Starts of occurrences taken out of the series.")
    def exdates(self) -> list[datetime]:
        return [d.astimezone(recurrence.TOKYO) for d in sorted(recurrence.exdate_set(self.obj))]

    @strawberry.field
    def is_recurring(self) -> bool:
        return self.obj.is_recurring

    @strawberry.field
    def cancelled(self) -> bool:
        return self.obj.cancelled

    @strawberry.field(description="One more with every change.")
    def version(self) -> int:
        return self.obj.version

    @strawberry.field(description="Null for a PRIVATE event of someone else.")
    def organizer(self, info: Info) -> PersonType | None:
        return _organizer(info, self.obj)

    @strawberry.field(description="The department whose own entry this is, if any.")
    def owner_department(self, info: Info) -> OrganizationType | None:
        if self.obj.owner_department_id is None:
            return None
        return OrganizationType(id=strawberry.ID(str(self.obj.owner_department_id)))

    @strawberry.field
    def attendees(self, info: Info) -> list[AttendeeType]:
        return AttendeeType.list_for(info, self.obj)

    @strawberry.field(
        description="Whether you may change it: its organizer or a tenant admin; a "
        "department's own entry: the department's members (main post or 兼務) or a tenant admin."
    )
    async def can_edit(self, info: Info) -> bool:
        principal = principal_of(info)
        member_of: frozenset[uuid.UUID] = frozenset()
        if access.needs_departments(principal, self.obj.owner_department_id):
            member_of = await context_of(info).loader(ViewerDepartments).get()
        return access.can_change(principal, self.obj, member_of)

    @strawberry.field(description="Occurrences overlapping [start, end), at most a year.")
    def occurrences(self, info: Info, start: datetime, end: datetime) -> list[OccurrenceType]:
        start, end = check_window(start, end)
        found = recurrence.occurrences(self.obj, start, end, self.obj.override_rows())
        viewer = principal_of(info)
        return [OccurrenceType(occurrence=o, viewer=viewer) for o in found]


@strawberry.type(name="Holiday", description="A day offices are closed.")
class HolidayType:
    date: date
    name: str
    kind: HolidayKind


@strawberry.type(
    name="AnnualClosedDay",
    description="A day your municipality closes every year (年末年始 12/29–1/3 by default).",
)
class AnnualClosedDayType:
    month: int
    day: int
    name: str


@strawberry.type(name="CalendarError", description="Why a calendar mutation changed nothing.")
class CalendarErrorType:
    code: str = strawberry.field(
        description="REQUIRED, INVALID, INVALID_RRULE, END_BEFORE_START, TOO_LONG, NOT_FOUND, "
        "CANCELLED, CONFLICT, NOT_RECURRING, NOT_AN_OCCURRENCE, NOT_INVITED, TOO_MANY, "
        "TOO_MANY_ATTENDEES; for rooms ROOM_CONFLICT, IN_THE_PAST, TOO_MANY_OCCURRENCES or the "
        "facility's rule (OUTSIDE_HOURS, CLOSED_WEEKDAY, TOO_FAR_AHEAD ...)"
    )
    message: str
    field: str | None = strawberry.field(description="The input field at fault, if one.")
    facility_id: strawberry.ID | None = strawberry.field(
        default=None, description="A booked room that cannot follow the event."
    )
    facility_name: str | None = strawberry.field(default=None, description="Its name.")
    start: datetime | None = strawberry.field(
        default=None, description="The period the room was asked for."
    )
    end: datetime | None = None
    reservation_id: strawberry.ID | None = strawberry.field(
        default=None, description="ROOM_CONFLICT: the booking in the way."
    )

    @classmethod
    def of(cls, e: CalendarError) -> CalendarErrorType:
        def as_id(value: str | None) -> strawberry.ID | None:
            return strawberry.ID(value) if value else None

        return cls(
            code=e.code,
            message=e.message,
            field=e.field,
            facility_id=as_id(e.facility_id),
            facility_name=e.facility_name,
            start=e.start,
            end=e.end,
            reservation_id=as_id(e.reservation_id),
        )


@strawberry.type(name="CalendarFeed", description="A private iCalendar feed URL of yours.")
class CalendarFeedType:
    id: strawberry.ID
    created_at: datetime
    revoked_at: datetime | None = strawberry.field(description="Null while the feed works.")

    @classmethod
    def of(cls, row: CalendarFeedToken) -> CalendarFeedType:
        return cls(
            id=strawberry.ID(str(row.id)), created_at=row.created_at, revoked_at=row.revoked_at
        )


@strawberry.type(name="IcsImportError", description="Why an .ics file was not imported.")
class IcsImportErrorType:
    code: str = strawberry.field(
        description="UNPARSABLE, UNSUPPORTED, REQUIRED, TOO_LARGE, or a CalendarError code."
    )
    message: str
    line: int | None = strawberry.field(description="Line of the file, when known.")
    uid: str | None = strawberry.field(description="UID of the VEVENT at fault, when known.")


@strawberry.type(name="TimeInterval", description="From start to end (exclusive).")
class TimeIntervalType:
    start: datetime
    end: datetime


@strawberry.type(name="PersonFreeBusy", description="When someone is busy; never what with.")
class PersonFreeBusyType:
    person: PersonType
    busy: list[TimeIntervalType] = strawberry.field(description="Merged, by start.")


@strawberry.type(name="Slot", description="A proposed time when everybody asked is free.")
class SlotType:
    start: datetime
    end: datetime
