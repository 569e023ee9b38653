"""Live schedules: every booking change in one facility group, as it commits; and the
approval queue: each 仮予約 requested, moved, withdrawn or decided, told to those who decide.

Events carry IDs and a version only (DESIGN rule 6); each is turned into the reservation as
it is now through a DataLoader built for that event (a subscription's context lives as
long as its WebSocket, so a loader kept there would serve the first state forever).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from asgiref.sync import sync_to_async
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.core.events import group_messages
from subgraphs.core.graphql.context import YuiContext, principal_of
from subgraphs.core.graphql.errors import Forbidden, require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.facilities.access import (
    access_facility_group_by_id,
    access_reservation_by_id,
    as_uuid,
    decision_departments,
    may_decide,
    may_decide_any,
)
from subgraphs.facilities.actions import (
    EVENT_TYPE,
    PENDING_EVENT_TYPE,
    facilities_group,
    pending_department_group,
    pending_tenant_group,
)
from subgraphs.facilities.graphql.loaders import ReservationByIdLoader
from subgraphs.facilities.graphql.queries import pending_count
from subgraphs.facilities.graphql.types import (
    PendingReservationChange,
    PendingReservationChangeKind,
    ReservationType,
)
from subgraphs.facilities.models import Reservation


async def group_changes(
    principal: Principal, group_id: uuid.UUID
) -> AsyncGenerator[Reservation, None]:
    """Reservations of one facility group as they change; each version at most once."""
    assert principal.tenant_id is not None
    shown: dict[uuid.UUID, int] = {}
    async for event in group_messages(facilities_group(principal.tenant_id)):
        reservation_id = as_uuid(event.get("reservation_id"))
        version = event.get("version")
        if (
            event.get("type") != EVENT_TYPE
            or as_uuid(event.get("group_id")) != group_id
            or reservation_id is None
            or not isinstance(version, int)
            or version <= shown.get(reservation_id, 0)
        ):
            continue
        loader = YuiContext(principal=principal).loader(ReservationByIdLoader)
        row = await loader.load(reservation_id)
        if row is None or row.version <= shown.get(reservation_id, 0):
            continue
        shown[reservation_id] = row.version
        yield row


def approval_groups(principal: Principal, department_ids: frozenset[uuid.UUID]) -> list[str]:
    """The groups a decider listens on: the tenant's (every approval change) for a tenant
    administrator, else one per department they administer."""
    assert principal.tenant_id is not None
    if principal.is_tenant_admin:
        return [pending_tenant_group(principal.tenant_id)]
    return [pending_department_group(principal.tenant_id, d) for d in sorted(department_ids)]


async def merged_messages(groups: list[str]) -> AsyncGenerator[dict[str, Any], None]:
    """Every message sent to any of ``groups``, in arrival order."""
    if len(groups) == 1:
        async for message in group_messages(groups[0]):
            yield message
        return
    queue: asyncio.Queue[dict[str, Any] | BaseException] = asyncio.Queue()

    async def pump(group: str) -> None:
        try:
            async for message in group_messages(group):
                await queue.put(message)
        except Exception as exc:  # handed to the reader, or the stream would just go quiet
            await queue.put(exc)

    pumps = [asyncio.ensure_future(pump(g)) for g in groups]
    try:
        while True:
            item = await queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in pumps:
            task.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)


async def approval_changes(
    principal: Principal, department_ids: frozenset[uuid.UUID]
) -> AsyncGenerator[PendingReservationChange, None]:
    """Approval changes of the bookings the principal may decide; each version at most once.

    ``department_ids`` are resolved once, at subscribe time; each event is checked against
    them again with ``may_decide`` (the facility may have changed owner since it was sent).
    """
    groups = approval_groups(principal, department_ids)
    if not groups:
        # A facility administrator of no department decides nothing: stay open and quiet,
        # as a board of an empty group would.
        await asyncio.Event().wait()
    shown: dict[uuid.UUID, int] = {}

    def read(reservation_id: uuid.UUID) -> Reservation | None:
        row = access_reservation_by_id(principal, reservation_id)
        if row is None or not may_decide(principal, row.facility, department_ids):
            return None
        _ = row.purpose_option  # read now: resolvers run where the ORM may not
        return row

    async for event in merged_messages(groups):
        reservation_id = as_uuid(event.get("reservation_id"))
        version = event.get("version")
        kind = event.get("kind")
        if (
            event.get("type") != PENDING_EVENT_TYPE
            or reservation_id is None
            or not isinstance(version, int)
            or not isinstance(kind, str)
            or kind not in PendingReservationChangeKind.__members__
            or version <= shown.get(reservation_id, 0)
        ):
            continue
        row = await sync_to_async(read)(reservation_id)
        if row is None:
            continue
        shown[reservation_id] = version
        yield PendingReservationChange(
            reservation_id=strawberry.ID(str(reservation_id)),
            kind=PendingReservationChangeKind[kind],
            version=version,
            reservation=row,  # type: ignore[arg-type]
            pending_count=await pending_count(principal, department_ids),
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Each reservation of this facility group as it is booked, moved, "
        "approved, rejected or cancelled. Events are hints: after a reconnect, query "
        "facilityGroupSchedule again."
    )
    async def facility_group_changed(
        self, info: Info, group_id: strawberry.ID
    ) -> AsyncGenerator[ReservationType, None]:
        principal = require_authenticated(principal_of(info))
        group = await sync_to_async(access_facility_group_by_id)(principal, group_id)
        if group is None:
            raise GraphQLError("No such facility group.", extensions={"code": "NOT_FOUND"})
        async for row in group_changes(principal, group.id):
            yield row  # type: ignore[misc]

    @strawberry.subscription(
        description="Bookings awaiting your approval as they are requested, moved, "
        "withdrawn, approved or rejected, each with your pending count after it: a tenant "
        "administrator hears every facility, a facility administrator those their "
        "departments own. FORBIDDEN for anyone with neither role. Events are hints: after "
        "a reconnect, query pendingReservations again."
    )
    async def pending_reservations_changed(
        self, info: Info
    ) -> AsyncGenerator[PendingReservationChange, None]:
        principal = require_authenticated(principal_of(info))
        if not may_decide_any(principal):
            raise Forbidden("Only a tenant or facility administrator may do this.")
        departments = await decision_departments(principal)
        async for change in approval_changes(principal, departments):
            yield change
