"""Live calendars: changes touching given people, as they commit.

Events on the channel layer carry only IDs, a kind and a version (DESIGN rule 6). Each
change is read again through a DataLoader built for that event (a subscription's context
lives as long as its WebSocket, so a loader kept there would serve stale data), and what
the subscriber may see of it follows the event's visibility like every other read.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from enum import Enum

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.calendar.access import as_uuid
from subgraphs.calendar.actions import EVENT_TYPE, calendar_group
from subgraphs.calendar.directory import department_members
from subgraphs.calendar.graphql.loaders import EventByIdLoader
from subgraphs.calendar.graphql.types import EventType
from subgraphs.core.events import group_messages
from subgraphs.core.graphql.context import YuiContext, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal

MAX_PERSON_IDS = 500


@strawberry.enum(name="CalendarChangeKind")
class CalendarChangeKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    CANCELLED = "CANCELLED"
    RESPONDED = "RESPONDED"


@strawberry.type(name="CalendarChange", description="An event changed: re-read what you show.")
class CalendarChangeType:
    event_id: strawberry.ID
    kind: CalendarChangeKind
    version: int
    event: EventType | None = strawberry.field(
        description="The event as it is now, read for you when the change arrived."
    )


async def calendar_changes(
    principal: Principal,
    person_ids: set[uuid.UUID],
    department_ids: frozenset[uuid.UUID] = frozenset(),
) -> AsyncGenerator[CalendarChangeType, None]:
    """Changes of the principal's tenant touching ``person_ids`` (or the own entries of
    ``department_ids``); each version at most once."""
    assert principal.tenant_id is not None
    shown: dict[uuid.UUID, int] = {}
    async for message in group_messages(calendar_group(principal.tenant_id)):
        event_id = as_uuid(message.get("event_id"))
        version = message.get("version")
        kind = message.get("kind")
        touched = {as_uuid(p) for p in message.get("person_ids") or []}
        owners = {as_uuid(d) for d in message.get("department_ids") or []}
        if (
            message.get("type") != EVENT_TYPE
            or event_id is None
            or not isinstance(version, int)
            or kind not in CalendarChangeKind.__members__
            or not (touched & person_ids or owners & department_ids)
            or version <= shown.get(event_id, 0)
        ):
            continue
        loader = YuiContext(principal=principal).loader(EventByIdLoader)
        event = await loader.load(event_id)
        if event is None:  # not of this tenant: nothing to tell
            continue
        shown[event_id] = version
        yield CalendarChangeType(
            event_id=strawberry.ID(str(event_id)),
            kind=CalendarChangeKind[str(kind)],
            version=version,
            event=EventType.of(event),
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes to events of these people (organiser or attendee), as they "
        "happen. Events are hints: after a reconnect, query the week again."
    )
    def calendar_changed(
        self, info: Info, person_ids: list[strawberry.ID]
    ) -> AsyncGenerator[CalendarChangeType, None]:
        principal = require_authenticated(principal_of(info))
        ids = {as_uuid(p) for p in person_ids}
        if None in ids or len(ids) > MAX_PERSON_IDS:
            raise GraphQLError(
                f"Give up to {MAX_PERSON_IDS} person IDs.", extensions={"code": "BAD_USER_INPUT"}
            )
        return calendar_changes(principal, ids)  # type: ignore[arg-type,return-value]

    @strawberry.subscription(
        description="Changes to a department's week (組織週間): events of its members (those "
        "listed when you subscribe) and its own entries (課の予定), as they happen. Events "
        "are hints: after a reconnect, query the week again and subscribe anew."
    )
    async def department_calendar_changed(
        self, info: Info, organization_id: strawberry.ID
    ) -> AsyncGenerator[CalendarChangeType, None]:
        principal = require_authenticated(principal_of(info))
        members = await department_members(principal, organization_id)
        if members is None:
            raise GraphQLError(
                f"No department {organization_id} in your municipality.",
                extensions={"code": "NOT_FOUND"},
            )
        department = frozenset({uuid.UUID(str(organization_id))})
        async for change in calendar_changes(principal, members, department):
            yield change
