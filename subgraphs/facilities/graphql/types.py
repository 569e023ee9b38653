"""GraphQL types of the facilities subgraph.

``Reservation`` is an entity keyed by ``id`` whose ``resolve_reference`` batches through a
tenant-scoped DataLoader. ``Person`` is the people subgraph's entity, of which this
subgraph knows only the key: it adds ``reservations``, and ``Reservation.requester`` hands
back the bare key so the gateway fetches the name from people (DESIGN rule 1).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time
from enum import Enum
from typing import Annotated, Any

import strawberry
from django.utils import timezone
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from subgraphs.core.graphql.context import YuiContext, context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.facilities import actions
from subgraphs.facilities.access import (
    as_uuid,
    decision_departments,
    may_decide,
    may_decide_any,
    may_see_purpose,
)
from subgraphs.facilities.graphql import loaders
from subgraphs.facilities.graphql.window import check_window
from subgraphs.facilities.models import Facility, FacilityGroup, PurposeOption, Reservation

Status = Reservation.Status


@strawberry.enum(name="ReservationStatus", description="Where a reservation stands.")
class ReservationStatus(Enum):
    PENDING = strawberry.enum_value(Status.PENDING.value, description="仮予約: awaits approval")
    CONFIRMED = strawberry.enum_value(Status.CONFIRMED.value, description="本予約")
    CANCELLED = strawberry.enum_value(Status.CANCELLED.value, description="取消")
    REJECTED = strawberry.enum_value(Status.REJECTED.value, description="却下")


@strawberry.federation.type(name="Person", keys=["id"])
class PersonType:
    """The people subgraph's staff member, by key only; facilities adds ``reservations``."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> PersonType | None:
        # Nothing to look up: the tenant scope applies where there is data (the loader).
        return cls(id=id) if as_uuid(id) is not None else None

    @strawberry.field(
        description="Their active reservations (仮予約 and 本予約) overlapping [start, end)."
    )
    async def reservations(
        self, info: Info, start: datetime, end: datetime
    ) -> list[ReservationType]:
        require_authenticated(principal_of(info))
        start, end = check_window(start, end)
        person_id = as_uuid(self.id)
        assert person_id is not None
        loader = context_of(info).loader(loaders.ReservationsByRequesterLoader)
        return await loader.load((person_id, start, end))  # type: ignore[return-value]


@strawberry.federation.type(name="Event", keys=["id"])
class EventType:
    """The calendar subgraph's event, by key only; facilities adds the rooms booked with it."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> EventType | None:
        return cls(id=id) if as_uuid(id) is not None else None

    @strawberry.field(
        description="The rooms, cars and PCs booked with this event (仮予約 and 本予約), every "
        "occurrence's, by start."
    )
    async def reservations(self, info: Info) -> list[ReservationType]:
        require_authenticated(principal_of(info))
        event_id = as_uuid(self.id)
        assert event_id is not None
        loader = context_of(info).loader(loaders.ReservationsByEventLoader)
        return await loader.load(event_id)  # type: ignore[return-value]


@strawberry.type(name="FacilityGroup", description="A kind of facility: 会議室, 公用車, 貸出PC.")
class FacilityGroupType:
    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, FacilityGroup | cls)

    @strawberry.field
    def id(self, root: FacilityGroup) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def name(self, root: FacilityGroup) -> str:
        return root.name

    @strawberry.field
    def sort_order(self, root: FacilityGroup) -> int:
        return root.sort_order

    @strawberry.field(
        description="Its bookable facilities, in display order; with includeInactive, "
        "tenant administrators get the deactivated ones too (others: bookable ones only)."
    )
    async def facilities(
        self, root: FacilityGroup, info: Info, include_inactive: bool = False
    ) -> list[FacilityType]:
        every = include_inactive and principal_of(info).is_tenant_admin
        kind = loaders.AllFacilitiesByGroupIdLoader if every else loaders.FacilitiesByGroupIdLoader
        return await context_of(info).loader(kind).load(root.id)  # type: ignore[return-value]


@strawberry.type(
    name="Facility", description="A room, an official car (公用車) or a pool of items."
)
class FacilityType:
    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, Facility | cls)

    @strawberry.field
    def id(self, root: Facility) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def name(self, root: Facility) -> str:
        return root.name

    @strawberry.field
    async def group(self, root: Facility, info: Info) -> FacilityGroupType:
        if Facility.group.is_cached(root):  # type: ignore[attr-defined]
            return root.group  # type: ignore[return-value]
        return await context_of(info).loader(loaders.FacilityGroupByIdLoader).load(root.group_id)  # type: ignore[return-value]

    @strawberry.field(description="How many people it seats; 0 when that means nothing.")
    def capacity(self, root: Facility) -> int:
        return root.capacity

    @strawberry.field
    def notes(self, root: Facility) -> str:
        return root.notes

    @strawberry.field(description="The department that looks after it (an Organization ID).")
    def owning_department_id(self, root: Facility) -> strawberry.ID | None:
        return strawberry.ID(str(root.owning_department_id)) if root.owning_department_id else None

    @strawberry.field(description="1: a single room or car; N: N interchangeable items.")
    def pool_size(self, root: Facility) -> int:
        return root.pool_size

    @strawberry.field
    def sort_order(self, root: Facility) -> int:
        return root.sort_order

    @strawberry.field
    def is_active(self, root: Facility) -> bool:
        return root.is_active

    @strawberry.field(description="Earliest start of a booking (Japan time); null: any.")
    def open_time(self, root: Facility) -> time | None:
        return root.open_time

    @strawberry.field(description="Latest end of a booking (Japan time); null: any.")
    def close_time(self, root: Facility) -> time | None:
        return root.close_time

    @strawberry.field(description="Bookable days, 0 = Monday … 6 = Sunday; empty: every day.")
    def bookable_weekdays(self, root: Facility) -> list[int]:
        return list(root.bookable_weekdays)

    @strawberry.field(description="How many days ahead it may be booked; null: no limit.")
    def max_days_ahead(self, root: Facility) -> int | None:
        return root.max_days_ahead

    @strawberry.field
    def min_minutes(self, root: Facility) -> int | None:
        return root.min_minutes

    @strawberry.field
    def max_minutes(self, root: Facility) -> int | None:
        return root.max_minutes

    @strawberry.field(description="Departments whose staff may book it; empty: everyone.")
    def allowed_department_ids(self, root: Facility) -> list[strawberry.ID]:
        return [strawberry.ID(str(d)) for d in root.allowed_department_ids]

    @strawberry.field(description="Bookings start as 仮予約 until an administrator approves.")
    def needs_approval(self, root: Facility) -> bool:
        return root.needs_approval

    @strawberry.field(description="Active reservations overlapping [start, end).")
    async def reservations(
        self, root: Facility, info: Info, start: datetime, end: datetime
    ) -> list[ReservationType]:
        start, end = check_window(start, end)
        loader = context_of(info).loader(loaders.ReservationsByFacilityLoader)
        return await loader.load((root.id, start, end))  # type: ignore[return-value]


@strawberry.federation.type(name="Reservation", keys=["id"], description="A booking of a facility.")
class ReservationType:
    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, Reservation | cls)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Any:
        if not principal_of(info).is_authenticated:
            return None
        return await context_of(info).loader(loaders.ReservationByIdLoader).load(id)

    @strawberry.field
    def id(self, root: Reservation) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    async def facility(self, root: Reservation, info: Info) -> FacilityType:
        if Reservation.facility.is_cached(root):  # type: ignore[attr-defined]
            return root.facility  # type: ignore[return-value]
        return await context_of(info).loader(loaders.FacilityByIdLoader).load(root.facility_id)  # type: ignore[return-value]

    @strawberry.field(description="Start (inclusive).")
    def start(self, root: Reservation) -> datetime:
        return timezone.localtime(root.starts_at)

    @strawberry.field(description="End (exclusive): [10:00, 11:00) and [11:00, 12:00) fit.")
    def end(self, root: Reservation) -> datetime:
        return timezone.localtime(root.ends_at)

    @strawberry.field
    def status(self, root: Reservation) -> ReservationStatus:
        return ReservationStatus(root.status)

    @strawberry.field(description="The status in Japanese, e.g. 仮予約.")
    def status_label(self, root: Reservation) -> str:
        return str(Status(root.status).label)

    @strawberry.field(
        description="Why it is booked; null unless you booked it, are a tenant "
        "administrator or may decide it (canDecide)."
    )
    async def purpose(self, root: Reservation, info: Info) -> str | None:
        principal = principal_of(info)
        if may_see_purpose(principal, root):
            return root.purpose
        decides = await _may_decide_reservation(root, info)
        return root.purpose if may_see_purpose(principal, root, may_decide_it=decides) else None

    @strawberry.field(description="Who booked it: name and department come from people.")
    def requester(self, root: Reservation) -> PersonType:
        return PersonType(id=strawberry.ID(str(root.requester_id)))

    @strawberry.field(description="Whether you booked it.")
    def mine(self, root: Reservation, info: Info) -> bool:
        return root.requester_id == principal_of(info).person_id

    @strawberry.field(description="The calendar event it belongs to, if any (an event ID).")
    def event_id(self, root: Reservation) -> strawberry.ID | None:
        return strawberry.ID(str(root.event_id)) if root.event_id else None

    @strawberry.field(description="Shared by the reservations of one recurring booking.")
    def recurrence_id(self, root: Reservation) -> strawberry.ID | None:
        return strawberry.ID(str(root.recurrence_id)) if root.recurrence_id else None

    @strawberry.field(
        description="Whether you may approve or reject it now: it is 仮予約 and you are a "
        "tenant administrator or a facility administrator of its owning department."
    )
    async def can_decide(self, root: Reservation, info: Info) -> bool:
        return root.status == Status.PENDING and await _may_decide_reservation(root, info)

    @strawberry.field(description="The administrator who approved or rejected it.")
    def decided_by(self, root: Reservation) -> PersonType | None:
        return PersonType(id=strawberry.ID(str(root.approved_by))) if root.approved_by else None

    @strawberry.field
    def decided_at(self, root: Reservation) -> datetime | None:
        return timezone.localtime(root.decided_at) if root.decided_at else None

    @strawberry.field(description="One more with every change.")
    def version(self, root: Reservation) -> int:
        return root.version


def decision_departments_loader(context: YuiContext) -> DataLoader[object, frozenset[uuid.UUID]]:
    """The caller's departments for ``may_decide``, asked of people once per operation
    whatever the number of reservations shown (every key gets the same answer). Lives here,
    next to its only user, rather than in loaders.py: it reads people, not our tables."""
    principal = context.principal

    async def batch(keys: Sequence[object]) -> list[frozenset[uuid.UUID]]:
        departments = await decision_departments(principal)
        return [departments for _ in keys]

    return DataLoader(load_fn=batch)


async def _may_decide_reservation(root: Reservation, info: Info) -> bool:
    principal = principal_of(info)
    if not may_decide_any(principal):
        return False  # no people call, no facility read: the common case of plain staff
    context = context_of(info)
    departments = await context.loader(decision_departments_loader).load("me")
    facility = (
        root.facility
        if Reservation.facility.is_cached(root)  # type: ignore[attr-defined]
        else await context.loader(loaders.FacilityByIdLoader).load(root.facility_id)
    )
    return facility is not None and may_decide(principal, facility, departments)


@strawberry.enum(name="PendingReservationChangeKind", description="What happened to a 仮予約.")
class PendingReservationChangeKind(Enum):
    REQUESTED = strawberry.enum_value(
        "REQUESTED", description="A booking now waits for approval (new, or moved again)."
    )
    APPROVED = strawberry.enum_value("APPROVED", description="Approved: now a 本予約.")
    REJECTED = strawberry.enum_value("REJECTED", description="Rejected: the slot is free.")
    WITHDRAWN = strawberry.enum_value(
        "WITHDRAWN", description="Cancelled by the requester before a decision."
    )
    MOVED = strawberry.enum_value("MOVED", description="Moved, and still waits for approval.")


@strawberry.type(
    name="PendingReservationChange",
    description="A change to the bookings awaiting your approval. A hint: after a "
    "reconnect, query pendingReservations again.",
)
class PendingReservationChange:
    reservation_id: strawberry.ID
    kind: PendingReservationChangeKind
    version: int = strawberry.field(description="The reservation's version after the change.")
    reservation: ReservationType | None = strawberry.field(
        description="The reservation as it is when the event arrives."
    )
    pending_count: int = strawberry.field(
        description="How many bookings wait for your approval now (pendingReservationCount)."
    )


@strawberry.type(name="PurposeOption", description="An entry of the purpose list (利用目的).")
class PurposeOptionType:
    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, PurposeOption | cls)

    @strawberry.field
    def id(self, root: PurposeOption) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def label(self, root: PurposeOption) -> str:
        return root.label

    @strawberry.field
    def sort_order(self, root: PurposeOption) -> int:
        return root.sort_order

    @strawberry.field
    def is_active(self, root: PurposeOption) -> bool:
        return root.is_active


@strawberry.type(name="FacilityScheduleRow", description="A facility and its bookings in a window.")
class FacilityScheduleRowType:
    facility: FacilityType
    reservations: list[ReservationType]


@strawberry.type(name="FacilityError", description="Why a facilities change was refused.")
class FacilityErrorType:
    code: str = strawberry.field(
        description="e.g. NOT_FOUND, OUTSIDE_HOURS, CLOSED_WEEKDAY, TOO_FAR_AHEAD, TOO_SHORT, "
        "TOO_LONG, DEPARTMENT_NOT_ALLOWED, IN_THE_PAST, NOT_YOURS, NOT_PENDING."
    )
    message: str = strawberry.field(description="Japanese / English.")
    field: str | None = strawberry.field(description="The input field at fault, if one.")

    @classmethod
    def of(cls, e: actions.FacilityError) -> FacilityErrorType:
        return cls(code=e.code, message=e.message, field=e.field)


@strawberry.type(name="ReservationPayload", description="The reservation as it now is.")
class ReservationPayload:
    reservation: ReservationType


@strawberry.type(name="ReservationRefused", description="Nothing changed, for these reasons.")
class ReservationRefused:
    errors: list[FacilityErrorType]


@strawberry.type(
    name="ReservationConflict",
    description="The period is taken: nothing was booked. `conflicts` are the bookings in "
    "the way, with their period and who made them.",
)
class ReservationConflict:
    message: str
    conflicts: list[ReservationType]


CONFLICT_MESSAGE = "その時間は既に予約されています。 / The facility is booked for that time."

ReservationResult = Annotated[
    ReservationPayload | ReservationRefused | ReservationConflict,
    strawberry.union("ReservationResult"),
]


@strawberry.type(
    name="EventReservationsPayload",
    description="The bookings of the event as they now are (empty: it had none).",
)
class EventReservationsPayload:
    reservations: list[ReservationType]


EventReservationsResult = Annotated[
    EventReservationsPayload | ReservationRefused | ReservationConflict,
    strawberry.union("EventReservationsResult"),
]


def event_reservations_result(outcome: actions.Outcome) -> Any:
    if outcome.errors:
        return ReservationRefused(errors=[FacilityErrorType.of(e) for e in outcome.errors])
    if outcome.conflicts:
        return ReservationConflict(message=CONFLICT_MESSAGE, conflicts=outcome.conflicts)  # type: ignore[arg-type]
    return EventReservationsPayload(reservations=outcome.rows)  # type: ignore[arg-type]


@strawberry.type(name="RecurringDateProblem", description="Why one date of a series failed.")
class RecurringDateProblemType:
    date: date = strawberry.field(description="The date in Japan.")
    start: datetime
    end: datetime
    errors: list[FacilityErrorType]
    conflicts: list[ReservationType]
    facility: FacilityType | None = strawberry.field(
        description="The facility this date failed at (an event may book several)."
    )

    @classmethod
    def of(cls, p: actions.DateProblem) -> RecurringDateProblemType:
        return cls(
            date=p.day,
            start=timezone.localtime(p.starts_at),
            end=timezone.localtime(p.ends_at),
            errors=[FacilityErrorType.of(e) for e in p.errors],
            conflicts=p.conflicts,  # type: ignore[arg-type]
            facility=p.facility,  # type: ignore[arg-type]
        )


@strawberry.type(
    name="RecurringReservationPayload",
    description="The booked dates; `skipped` the dates left out (bookFreeDatesOnly).",
)
class RecurringReservationPayload:
    reservations: list[ReservationType]
    skipped: list[RecurringDateProblemType]


@strawberry.type(
    name="RecurringReservationConflict",
    description="Some dates cannot be booked, so none was (or no date was free).",
)
class RecurringReservationConflict:
    message: str
    problems: list[RecurringDateProblemType]


RecurringReservationResult = Annotated[
    RecurringReservationPayload | ReservationRefused | RecurringReservationConflict,
    strawberry.union("RecurringReservationResult"),
]


def reservation_result(outcome: actions.Outcome) -> Any:
    if outcome.errors:
        return ReservationRefused(errors=[FacilityErrorType.of(e) for e in outcome.errors])
    if outcome.conflicts or outcome.obj is None:
        return ReservationConflict(message=CONFLICT_MESSAGE, conflicts=outcome.conflicts)  # type: ignore[arg-type]
    return ReservationPayload(reservation=outcome.obj)
