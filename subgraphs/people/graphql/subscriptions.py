"""Live side of the people subgraph: the link collection (リンク集) as administrators change it.

Events on the channel layer say only that the municipality's collection changed (DESIGN
rule 6); each one is answered with the collection as it now is, read with the subscriber's
own principal, so an event carries nothing a subscriber could not read anyway.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.events import group_messages
from subgraphs.core.graphql.context import principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.people.actions import LINKS_EVENT, links_group
from subgraphs.people.graphql.types import LinkType
from subgraphs.people.models import Link


def _current_links(principal: Principal) -> list[Link]:
    return list(Link.objects.for_principal(principal).order_by("sort_order", "title"))


async def link_changes(principal: Principal) -> AsyncGenerator[list[Link], None]:
    assert principal.tenant_id is not None
    async for event in group_messages(links_group(principal.tenant_id)):
        if event.get("type") != LINKS_EVENT:
            continue
        yield await sync_to_async(_current_links)(principal)


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The municipality's link collection, whole and in order, each time an "
        "administrator changes it. Events are hints: after a reconnect, query `links` again."
    )
    def links_changed(self, info: Info) -> AsyncGenerator[list[LinkType], None]:
        # Not itself a generator: a signed-out caller gets the error before any stream starts.
        principal = require_authenticated(principal_of(info))
        return link_changes(principal)  # type: ignore[return-value]
