"""Read side of the facilities subgraph: groups, schedules, availability, my bookings."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import Forbidden, require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.facilities import actions
from subgraphs.facilities.access import (
    access_facility_by_id,
    access_facility_group_by_id,
    as_uuid,
    decidable_reservations,
    decision_departments,
    may_decide_any,
)
from subgraphs.facilities.directory import department_ids_of
from subgraphs.facilities.graphql import loaders
from subgraphs.facilities.graphql.types import (
    FacilityGroupType,
    FacilityScheduleRowType,
    FacilityType,
    PurposeOptionType,
    ReservationType,
)
from subgraphs.facilities.graphql.window import check_window
from subgraphs.facilities.models import Facility, FacilityGroup, PurposeOption, Reservation


async def pending_count(principal: Principal, department_ids: frozenset[uuid.UUID]) -> int:
    """How many bookings wait for the principal's decision (``department_ids`` as from
    ``decision_departments``)."""
    rows = decidable_reservations(principal, department_ids)
    return await rows.filter(status=Reservation.Status.PENDING).acount()


def _schedule(
    principal: Principal, facilities: list[Facility], start: datetime, end: datetime
) -> list[FacilityScheduleRowType]:
    """Rows of facilities with their active reservations: one query however many bookings."""
    by_facility: dict[object, list[Reservation]] = defaultdict(list)
    rows = (
        Reservation.objects.for_principal(principal)
        .filter(
            facility_id__in=[f.id for f in facilities],
            status__in=Reservation.ACTIVE,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .select_related("purpose_option")
    )
    index = {f.id: f for f in facilities}
    for row in rows:
        row.facility = index[row.facility_id]  # already read: no query per reservation
        by_facility[row.facility_id].append(row)
    return [
        FacilityScheduleRowType(facility=f, reservations=by_facility[f.id])  # type: ignore[arg-type]
        for f in facilities
    ]


@strawberry.type
class Query:
    @strawberry.field(description="Facility groups (会議室, 公用車 ...) in display order.")
    async def facility_groups(self, info: Info) -> list[FacilityGroupType]:
        principal = require_authenticated(principal_of(info))
        return await sync_to_async(  # type: ignore[return-value]
            lambda: list(FacilityGroup.objects.for_principal(principal))
        )()

    @strawberry.field(description="A facility of your municipality; null for any other ID.")
    async def facility(self, info: Info, id: strawberry.ID) -> FacilityType | None:
        require_authenticated(principal_of(info))
        return await context_of(info).loader(loaders.FacilityByIdLoader).load(id)  # type: ignore[return-value]

    @strawberry.field(description="The purpose list (利用目的) to pick from.")
    async def purpose_options(
        self, info: Info, include_inactive: bool = False
    ) -> list[PurposeOptionType]:
        principal = require_authenticated(principal_of(info))

        def fetch() -> list[PurposeOption]:
            rows = PurposeOption.objects.for_principal(principal)
            return list(rows if include_inactive else rows.filter(is_active=True))

        return await sync_to_async(fetch)()  # type: ignore[return-value]

    @strawberry.field(
        description="A day or week view of a group: each active facility with its bookings "
        "overlapping [start, end). Null for a group not of your municipality."
    )
    async def facility_group_schedule(
        self, info: Info, group_id: strawberry.ID, start: datetime, end: datetime
    ) -> list[FacilityScheduleRowType] | None:
        principal = require_authenticated(principal_of(info))
        start, end = check_window(start, end)

        def fetch() -> list[FacilityScheduleRowType] | None:
            group = access_facility_group_by_id(principal, group_id)
            if group is None:
                return None
            facilities = list(
                Facility.objects.for_principal(principal).filter(group=group, is_active=True)
            )
            for f in facilities:
                f.group = group
            return _schedule(principal, facilities, start, end)

        return await sync_to_async(fetch)()

    @strawberry.field(description="A month view of one facility; null for any other ID.")
    async def facility_schedule(
        self, info: Info, id: strawberry.ID, start: datetime, end: datetime
    ) -> FacilityScheduleRowType | None:
        principal = require_authenticated(principal_of(info))
        start, end = check_window(start, end)

        def fetch() -> FacilityScheduleRowType | None:
            facility = access_facility_by_id(principal, id)
            return _schedule(principal, [facility], start, end)[0] if facility else None

        return await sync_to_async(fetch)()

    @strawberry.field(
        description="Facilities you may book for [start, end) that are free then, seat at "
        "least `capacity`, optionally of one group: 12人で木曜14:00–15:30に使える会議室は?"
    )
    async def available_facilities(
        self,
        info: Info,
        start: datetime,
        end: datetime,
        capacity: int = 0,
        group_id: strawberry.ID | None = None,
    ) -> list[FacilityType]:
        principal = require_authenticated(principal_of(info))
        start, end = check_window(start, end)
        departments = None if principal.is_tenant_admin else await department_ids_of(principal)

        def fetch() -> list[Facility]:
            rows = Facility.objects.for_principal(principal).filter(
                is_active=True, capacity__gte=capacity
            )
            if group_id is not None:
                rows = rows.filter(group_id=as_uuid(group_id))
            facilities = [
                f
                for f in rows
                if not actions.check_reservation(f, principal, start, end, departments)
            ]
            taken: dict[object, list[tuple[datetime, datetime]]] = defaultdict(list)
            for r in Reservation.objects.for_principal(principal).filter(
                facility_id__in=[f.id for f in facilities],
                status__in=Reservation.ACTIVE,
                starts_at__lt=end,
                ends_at__gt=start,
            ):
                taken[r.facility_id].append((max(r.starts_at, start), min(r.ends_at, end)))
            return [f for f in facilities if actions.peak(taken[f.id]) < f.pool_size]

        return await sync_to_async(fetch)()  # type: ignore[return-value]

    @strawberry.field(
        description="Your reservations overlapping [start, end), cancelled ones left out."
    )
    async def my_reservations(
        self, info: Info, start: datetime, end: datetime
    ) -> list[ReservationType]:
        principal = require_authenticated(principal_of(info))
        start, end = check_window(start, end)

        def fetch() -> list[Reservation]:
            return list(
                Reservation.objects.for_principal(principal)
                .filter(requester_id=principal.person_id, starts_at__lt=end, ends_at__gt=start)
                .exclude(status=Reservation.Status.CANCELLED)
                .select_related("purpose_option", "facility")
            )

        return await sync_to_async(fetch)()  # type: ignore[return-value]

    @strawberry.field(
        description="Bookings waiting for approval (仮予約) that you may approve or reject, "
        "oldest first: a tenant administrator sees all, a facility administrator those of "
        "the facilities their departments own. FORBIDDEN for anyone with neither role."
    )
    async def pending_reservations(
        self, info: Info, group_id: strawberry.ID | None = None
    ) -> list[ReservationType]:
        principal = require_authenticated(principal_of(info))
        if not may_decide_any(principal):
            raise Forbidden("Only a tenant or facility administrator may do this.")
        departments = await decision_departments(principal)

        def fetch() -> list[Reservation]:
            rows = (
                decidable_reservations(principal, departments)
                .filter(status=Reservation.Status.PENDING)
                .select_related("purpose_option", "facility")
                .order_by("created_at")
            )
            if group_id is not None:
                rows = rows.filter(facility__group_id=as_uuid(group_id))
            return list(rows)

        return await sync_to_async(fetch)()  # type: ignore[return-value]

    @strawberry.field(
        description="How many bookings wait for your approval (the portal's badge): those "
        "pendingReservations lists; 0 for staff who decide none, so anyone may ask."
    )
    async def pending_reservation_count(self, info: Info) -> int:
        principal = require_authenticated(principal_of(info))
        if not may_decide_any(principal):
            return 0
        return await pending_count(principal, await decision_departments(principal))
