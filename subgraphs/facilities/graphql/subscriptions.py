"""Live schedules: every booking change in one facility group, as it commits.

Events carry IDs and a version only (DESIGN rule 6); each is turned into the reservation as
it is now through a DataLoader built for that event (a subscription's context lives as
long as its WebSocket, so a loader kept there would serve the first state forever).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry
from asgiref.sync import sync_to_async
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.core.events import group_messages
from subgraphs.core.graphql.context import YuiContext, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.facilities.access import access_facility_group_by_id, as_uuid
from subgraphs.facilities.actions import EVENT_TYPE, facilities_group
from subgraphs.facilities.graphql.loaders import ReservationByIdLoader
from subgraphs.facilities.graphql.types import ReservationType
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
