"""Per-operation DataLoaders of the presence subgraph; each applies the tenant scope.

Build them through ``context.loader(PresenceByPersonIdLoader)`` so one operation shares
one and no operation sees another's cache.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from asgiref.sync import sync_to_async
from strawberry.dataloader import DataLoader

from subgraphs.core.graphql.context import YuiContext
from subgraphs.presence import clock
from subgraphs.presence.models import PresenceStatus


class PresenceByPersonIdLoader(DataLoader[uuid.UUID, PresenceStatus]):
    """Presence by person ID as shown now: the row of the principal's tenant (未設定 once
    the nightly reset has passed it, see clock.py), else the unset default.

    One SQL query per batch, however many people a directory page or ``_entities`` asks
    for. An ID of another tenant finds no row (the rows are scoped by tenant) and gets the
    default like a colleague who never set a status: nothing of the other tenant shows.
    """

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[PresenceStatus]:
            tenant_id = principal.tenant_id
            assert tenant_id is not None, "every field using this loader requires sign-in"
            rows = PresenceStatus.objects.for_principal(principal).filter(person_id__in=set(keys))
            at = clock.now()
            found = {row.person_id: clock.as_shown(row, at) for row in rows}
            return [found.get(k) or PresenceStatus.unset(tenant_id, k) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))
