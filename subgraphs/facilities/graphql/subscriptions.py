"""Live schedules: every booking change in one facility group, as it commits.

Events carry IDs and a version only (DESIGN rule 6); each is turned into the reservation as
it is now through a DataLoader built for that event (a subscription's context lives as
long as its WebSocket, so a loader kept there would serve the first state forever).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator

import strawberry
from asgiref.sync import sync_to_async
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import close_old_connections
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.core.graphql.context import YuiContext, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.facilities.access import access_facility_group_by_id, as_uuid
from subgraphs.facilities.actions import EVENT_TYPE, facilities_group
from subgraphs.facilities.graphql.loaders import ReservationByIdLoader
from subgraphs.facilities.graphql.types import ReservationType
from subgraphs.facilities.models import Reservation

logger = logging.getLogger(__name__)
REJOIN_SECONDS = 60 * 60  # channel layers drop group members after a day by default


async def group_changes(
    principal: Principal, group_id: uuid.UUID
) -> AsyncGenerator[Reservation, None]:
    """Reservations of one facility group as they change; each version at most once."""
    assert principal.tenant_id is not None
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is configured in settings"
    channel_group = facilities_group(principal.tenant_id)
    channel = await layer.new_channel()
    await layer.group_add(channel_group, channel)
    renewal = asyncio.ensure_future(_stay_in_group(layer, channel_group, channel))
    shown: dict[uuid.UUID, int] = {}
    try:
        while True:
            event = await layer.receive(channel)
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
            row = (
                await YuiContext(principal=principal)
                .loader(ReservationByIdLoader)
                .load(reservation_id)
            )
            await sync_to_async(close_old_connections)()
            if row is None or row.version <= shown.get(reservation_id, 0):
                continue
            shown[reservation_id] = row.version
            yield row
    finally:
        renewal.cancel()
        await layer.group_discard(channel_group, channel)


async def _stay_in_group(layer: BaseChannelLayer, group: str, channel: str) -> None:
    while True:
        await asyncio.sleep(REJOIN_SECONDS)
        try:
            await layer.group_add(group, channel)
        except Exception:  # a Redis hiccup must not end the subscription; retry next time
            logger.warning("could not renew %s in %s", channel, group, exc_info=True)


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
