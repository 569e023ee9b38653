"""Live presence: every change in the principal's municipality, as it commits.

Events on the channel layer carry only a person ID and a version (DESIGN rule 6); each one
is turned into the row as it is now. A whole municipality subscribes to the one group, so
one change wakes every subscriber of the tenant in this process at once: they share one
read of the row (``SharedReads``) instead of a query each, the difference between one SQL
query and a thousand for a thousand open portals.

Sharing is sound because the row is the same for every reader of the tenant: presence is
scoped by tenant alone (``for_principal`` filters ``tenant_id`` and nothing else), and the
read is keyed by (tenant, person, version of the event), so no reader of another tenant
can be given it. Any row with at least the event's version answers the event: a row read
for an earlier hint is never reused for a later one. Reads are not kept (a context lives
as long as its WebSocket, so a loader kept there would keep answering with the first state
it read); the shared result is dropped a few seconds after it was read, and the nightly
reset (``clock.as_shown``) is applied again by each subscriber when it shows the row.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from subgraphs.core.events import group_messages
from subgraphs.core.graphql.context import YuiContext, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.presence import clock
from subgraphs.presence.access import as_uuid
from subgraphs.presence.actions import EVENT_TYPE, presence_group
from subgraphs.presence.graphql.loaders import PresenceByPersonIdLoader
from subgraphs.presence.graphql.types import PresenceType
from subgraphs.presence.models import PresenceStatus

ReadKey = tuple[uuid.UUID, uuid.UUID, int]  # tenant, person, version the event announced


class SharedReads:
    """One read of a person's row per event for every subscriber of this process.

    The first subscriber woken by an event starts the read, as a task of its own (a
    subscriber that goes away does not cancel it for the others); the others wait for the
    same one. A read is kept ``keep_seconds`` after it started (the subscribers of one
    event are woken within that time), at most ``most`` of them; a failed read is
    forgotten at once, so the next event tries again.
    """

    def __init__(self, keep_seconds: float = 5.0, most: int = 10_000) -> None:
        self.keep_seconds = keep_seconds
        self.most = most
        # key -> (when read, the read, its event loop)
        self._reads: dict[
            ReadKey, tuple[float, asyncio.Task[PresenceStatus], asyncio.AbstractEventLoop]
        ] = {}

    async def row(self, principal: Principal, person_id: uuid.UUID, version: int) -> PresenceStatus:
        """The person's presence as read for this event (shared: read it, never change it)."""
        assert principal.tenant_id is not None
        key = (principal.tenant_id, person_id, version)
        held = self._reads.get(key)
        # A task belongs to one event loop (a server has one; each test its own).
        loop = asyncio.get_running_loop()
        if held is None or held[2] is not loop:
            now = time.monotonic()
            self._forget_old(now)
            task = asyncio.ensure_future(_read(principal, person_id))
            task.add_done_callback(lambda done: self._forget_failed(key, done))
            self._reads[key] = held = (now, task, loop)
        task = held[1]
        if task.done():  # the usual case: one subscriber read it, the rest take it
            return task.result()
        return await asyncio.shield(task)

    def _forget_failed(self, key: ReadKey, task: asyncio.Task[PresenceStatus]) -> None:
        if task.cancelled() or task.exception() is not None:
            held = self._reads.get(key)
            if held is not None and held[1] is task:
                del self._reads[key]

    def _forget_old(self, now: float) -> None:
        if len(self._reads) >= self.most:
            self._reads.clear()
            return
        old = [
            k for k, (at, t, _) in self._reads.items() if t.done() and now - at > self.keep_seconds
        ]
        for key in old:
            del self._reads[key]


async def _read(principal: Principal, person_id: uuid.UUID) -> PresenceStatus:
    """The row as every query reads it (tenant scope, unset default, nightly reset), through
    a loader of its own: a loader kept in the subscription's context would keep answering
    with the first state it read."""
    return await YuiContext(principal=principal).loader(PresenceByPersonIdLoader).load(person_id)


shared_reads = SharedReads()


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
        row = clock.as_shown(await shared_reads.row(principal, person_id, version), clock.now())
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
