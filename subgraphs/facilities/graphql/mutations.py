"""Write side of the facilities subgraph: parse input, call one do_*, shape the result.

Administration is for tenant administrators, approval for them and for facility
administrators of the owning department (declared here, failing loudly with FORBIDDEN);
moving or cancelling someone else's booking is refused as data.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.graphql.context import principal_of
from subgraphs.core.graphql.errors import Forbidden, require_authenticated, require_tenant_admin
from subgraphs.core.principal import Principal
from subgraphs.facilities import actions
from subgraphs.facilities.access import decision_departments, may_decide_any
from subgraphs.facilities.directory import department_ids_of
from subgraphs.facilities.graphql.inputs import (
    CreateRecurringReservationInput,
    CreateReservationInput,
    MoveEventReservationsInput,
    MoveReservationInput,
    SaveFacilityGroupInput,
    SaveFacilityInput,
    SavePurposeOptionInput,
    SyncEventReservationsInput,
)
from subgraphs.facilities.graphql.types import (
    EventReservationsPayload,
    EventReservationsResult,
    FacilityErrorType,
    FacilityGroupType,
    FacilityType,
    PurposeOptionType,
    RecurringDateProblemType,
    RecurringReservationConflict,
    RecurringReservationPayload,
    RecurringReservationResult,
    ReservationRefused,
    ReservationResult,
    event_reservations_result,
    reservation_result,
)

RECURRING_CONFLICT = (
    "予約できない日があるため、どの日も予約していません。 / "
    "Some dates cannot be booked, so none was."
)


SYNC_CONFLICT = (
    "予約できない日があるため、予定の施設予約は変更していません。 / "
    "Some dates cannot be booked, so the event's bookings did not change."
)

EventReservationsSyncResult = Annotated[
    EventReservationsPayload | ReservationRefused | RecurringReservationConflict,
    strawberry.union("EventReservationsSyncResult"),
]


async def _departments(principal: Principal) -> frozenset[uuid.UUID] | None:
    # Administrators may book any facility; for everyone else the rules need departments.
    return None if principal.is_tenant_admin else await department_ids_of(principal)


async def _decide(principal: Principal, id: strawberry.ID, *, approve: bool) -> Any:
    # Deciding is an action permission, so a refusal fails loudly (FORBIDDEN) whether the
    # caller holds no deciding role or administers another department's facilities.
    require_authenticated(principal)
    if not may_decide_any(principal):
        raise Forbidden("Only a tenant or facility administrator may do this.")
    outcome = await sync_to_async(actions.do_decide_reservation)(
        principal, id, approve, await decision_departments(principal)
    )
    if actions.NOT_DECIDER in outcome.errors:
        raise Forbidden(actions.NOT_DECIDER.message)
    return reservation_result(outcome)


@strawberry.type(name="FacilityGroupPayload")
class FacilityGroupPayload:
    group: FacilityGroupType | None
    errors: list[FacilityErrorType]


@strawberry.type(name="DeleteFacilityGroupPayload")
class DeleteFacilityGroupPayload:
    deleted_id: strawberry.ID | None
    errors: list[FacilityErrorType]


@strawberry.type(name="FacilityPayload")
class FacilityPayload:
    facility: FacilityType | None
    errors: list[FacilityErrorType]


@strawberry.type(name="PurposeOptionPayload")
class PurposeOptionPayload:
    purpose_option: PurposeOptionType | None
    errors: list[FacilityErrorType]


def _errors(outcome: actions.Outcome) -> list[FacilityErrorType]:
    return [FacilityErrorType.of(e) for e in outcome.errors]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Book a facility. A taken period comes back as ReservationConflict "
        "naming the bookings in the way; a broken rule as ReservationRefused."
    )
    async def create_reservation(
        self, info: Info, input: CreateReservationInput
    ) -> ReservationResult:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_create_reservation)(
            principal,
            input.facility_id,
            input.start,
            input.end,
            purpose_option_id=input.purpose_option_id,
            purpose=input.purpose,
            event_id=input.event_id,
            department_ids=await _departments(principal),
        )
        return reservation_result(outcome)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Move your booking to another period (same checks).")
    async def move_reservation(self, info: Info, input: MoveReservationInput) -> ReservationResult:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_move_reservation)(
            principal,
            input.id,
            input.start,
            input.end,
            department_ids=await _departments(principal),
        )
        return reservation_result(outcome)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Cancel your booking (administrators: any booking).")
    async def cancel_reservation(self, info: Info, id: strawberry.ID) -> ReservationResult:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_cancel_reservation)(principal, id)
        return reservation_result(outcome)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Move the bookings of a calendar event to its new period, all or none: "
        "a taken period comes back as ReservationConflict and nothing moves. The bookings "
        "are those you made for the event (administrators: all of them)."
    )
    async def move_event_reservations(
        self, info: Info, input: MoveEventReservationsInput
    ) -> EventReservationsResult:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_move_event_reservations)(
            principal,
            input.event_id,
            input.start,
            input.end,
            occurrence_start=input.occurrence_start,
            department_ids=await _departments(principal),
        )
        return event_reservations_result(outcome)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Cancel the bookings of a calendar event (or of the occurrence starting "
        "at occurrenceStart), freeing the rooms: yours, administrators all of them."
    )
    async def cancel_event_reservations(
        self, info: Info, event_id: strawberry.ID, occurrence_start: datetime | None = None
    ) -> EventReservationsResult:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_cancel_event_reservations)(
            principal, event_id, occurrence_start=occurrence_start
        )
        return event_reservations_result(outcome)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Turn a 仮予約 into a 本予約: tenant administrators, or facility "
        "administrators of the facility's owning department (else FORBIDDEN)."
    )
    async def approve_reservation(self, info: Info, id: strawberry.ID) -> ReservationResult:
        return await _decide(principal_of(info), id, approve=True)

    @strawberry.mutation(
        description="Reject a 仮予約, freeing the slot: tenant administrators, or facility "
        "administrators of the facility's owning department (else FORBIDDEN)."
    )
    async def reject_reservation(self, info: Info, id: strawberry.ID) -> ReservationResult:
        return await _decide(principal_of(info), id, approve=False)

    @strawberry.mutation(
        description="Make a calendar event's bookings match where its occurrences are (a "
        "series, an all-day entry, a moved meeting), all or none: periods already booked "
        "stay, the other bookings move there (keeping their IDs), the rest is cancelled or "
        "booked anew. Dates that cannot be booked come back one by one in "
        "RecurringReservationConflict and nothing changed. The bookings are yours "
        "(administrators: everybody's)."
    )
    async def sync_event_reservations(
        self, info: Info, input: SyncEventReservationsInput
    ) -> EventReservationsSyncResult:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_sync_event_reservations)(
            principal,
            input.event_id,
            [(p.start, p.end) for p in input.periods],
            since=input.since,
            facility_ids=input.facility_ids,
            take_over_from=input.take_over_from,
            department_ids=await _departments(principal),
        )
        if outcome.errors:
            return ReservationRefused(errors=_errors(outcome))
        if outcome.problems:
            return RecurringReservationConflict(
                message=SYNC_CONFLICT,
                problems=[RecurringDateProblemType.of(p) for p in outcome.problems],
            )
        return EventReservationsPayload(reservations=outcome.rows)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Book every date of an RRULE: all or nothing, or only the free dates "
        "with bookFreeDatesOnly. Dates that fail are reported one by one."
    )
    async def create_recurring_reservation(
        self, info: Info, input: CreateRecurringReservationInput
    ) -> RecurringReservationResult:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_create_recurring_reservation)(
            principal,
            input.facility_id,
            input.start,
            input.end,
            input.rrule,
            book_free_dates_only=input.book_free_dates_only,
            purpose_option_id=input.purpose_option_id,
            purpose=input.purpose,
            department_ids=await _departments(principal),
        )
        if outcome.errors:
            return ReservationRefused(errors=_errors(outcome))
        problems = [RecurringDateProblemType.of(p) for p in outcome.problems]
        if not outcome.rows:
            return RecurringReservationConflict(message=RECURRING_CONFLICT, problems=problems)
        return RecurringReservationPayload(reservations=outcome.rows, skipped=problems)  # type: ignore[arg-type]

    @strawberry.mutation(description="Create or change a facility group; administrators only.")
    async def save_facility_group(
        self, info: Info, input: SaveFacilityGroupInput
    ) -> FacilityGroupPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(actions.do_save_facility_group)(
            principal, input.id, input.name, input.sort_order
        )
        return FacilityGroupPayload(group=outcome.obj, errors=_errors(outcome))

    @strawberry.mutation(description="Delete an empty facility group; administrators only.")
    async def delete_facility_group(
        self, info: Info, id: strawberry.ID
    ) -> DeleteFacilityGroupPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(actions.do_delete_facility_group)(principal, id)
        deleted = strawberry.ID(str(outcome.obj)) if outcome.obj else None
        return DeleteFacilityGroupPayload(deleted_id=deleted, errors=_errors(outcome))

    @strawberry.mutation(
        description="Create or change a facility and its booking rules; administrators only. "
        "Deactivate (isActive: false) rather than delete: bookings keep their facility."
    )
    async def save_facility(self, info: Info, input: SaveFacilityInput) -> FacilityPayload:
        principal = require_tenant_admin(principal_of(info))
        values: dict[str, Any] = {
            key: getattr(input, key)
            for key in (
                "group_id",
                "name",
                "capacity",
                "notes",
                "owning_department_id",
                "pool_size",
                "sort_order",
                "is_active",
                "open_time",
                "close_time",
                "bookable_weekdays",
                "max_days_ahead",
                "min_minutes",
                "max_minutes",
                "allowed_department_ids",
                "needs_approval",
            )
        }
        outcome = await sync_to_async(actions.do_save_facility)(principal, input.id, values)
        return FacilityPayload(facility=outcome.obj, errors=_errors(outcome))

    @strawberry.mutation(description="Create or change a purpose list entry; administrators only.")
    async def save_purpose_option(
        self, info: Info, input: SavePurposeOptionInput
    ) -> PurposeOptionPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(actions.do_save_purpose_option)(
            principal, input.id, input.label, input.sort_order, input.is_active
        )
        return PurposeOptionPayload(purpose_option=outcome.obj, errors=_errors(outcome))
