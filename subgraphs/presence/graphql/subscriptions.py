"""Live presence: every change in the principal's municipality, as it commits.

Events on the channel layer carry only a person ID and a version (DESIGN rule 6); each one
is turned into the row as it is now, read through a DataLoader built for that event. The
context of a subscription lives as long as its WebSocket connection, so a loader kept
there would keep answering with the first state it read.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from subgraphs.core.events import group_messages
from subgraphs.core.graphql.context import YuiContext, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.presence.access import as_uuid
from subgraphs.presence.actions import EVENT_TYPE, presence_group
from subgraphs.presence.graphql.loaders import PresenceByPersonIdLoader
from subgraphs.presence.graphql.types import PresenceType
from subgraphs.presence.models import PresenceStatus


async def presence_changes(principal: Principal) -> AsyncGenerator[PresenceStatus, None]:
    """Rows of the principal's tenant as they change; each version at most once."""
    assert principal.tenant_id is not None
    shown: dict[uuid.UUID, int] = {}
    async for event in group_messages(presence_group(principal.tenant_id)):
        person_id = as_uuid(event.get("person_id"))
        version = event.get("version")
        if event.get("type") != EVENT_TYPE or person_id is None or not isinstance(version, int):
            continue
        if version <= shown.get(person_id, 0):
            continue  # a late or repeated hint about a state shown already
        loader = YuiContext(principal=principal).loader(PresenceByPersonIdLoader)
        row = await loader.load(person_id)
        # Version 0 is "no row in this tenant": nothing to show.
        if row.version <= shown.get(person_id, 0):
            continue
        shown[person_id] = row.version
        yield row


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every change of presence in your municipality, as it happens. Events "
        "are hints: after a reconnect, query `presences` again for the current state."
    )
    def presence_changed(self, info: Info) -> AsyncGenerator[PresenceType, None]:
        # Not itself a generator: a signed-out caller gets the error before any stream starts.
        principal = require_authenticated(principal_of(info))
        return presence_changes(principal)  # type: ignore[return-value]
