"""GraphQL types of the presence subgraph.

``Person`` here is the people subgraph's entity, of which this subgraph knows only the key:
it adds ``presence`` to it, and ``Presence.person`` hands back the bare key so the gateway
fetches name and department from the people subgraph (DESIGN rule 1).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.presence import clock
from subgraphs.presence.access import as_uuid
from subgraphs.presence.graphql.loaders import PresenceByPersonIdLoader
from subgraphs.presence.models import UNSET, UNSET_LABEL, PresenceStatus

Status = PresenceStatus.Status


@strawberry.enum(name="PresenceStatusKind", description="Where a staff member is.")
class PresenceStatusKind(Enum):
    UNSET = strawberry.enum_value(
        UNSET,
        description=f"{UNSET_LABEL}: nothing chosen yet, or reset overnight; cannot be chosen.",
    )
    IN = strawberry.enum_value(Status.IN.value, description=Status.IN.label)
    AWAY = strawberry.enum_value(Status.AWAY.value, description=Status.AWAY.label)
    MEETING = strawberry.enum_value(Status.MEETING.value, description=Status.MEETING.label)
    OUT = strawberry.enum_value(Status.OUT.value, description=Status.OUT.label)
    TRIP = strawberry.enum_value(Status.TRIP.value, description=Status.TRIP.label)
    LEAVE = strawberry.enum_value(Status.LEAVE.value, description=Status.LEAVE.label)
    REMOTE = strawberry.enum_value(Status.REMOTE.value, description=Status.REMOTE.label)


@strawberry.federation.type(name="Person", keys=["id"])
class PersonType:
    """The people subgraph's staff member, by key only; presence adds ``presence``.

    No GraphQL description: the owning subgraph's one is what the supergraph shows.
    """

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> PersonType | None:
        # No lookup and nothing to batch: this subgraph keeps no people. The tenant scope
        # applies where there is data, in `presence` (through the scoped loader).
        return cls(id=id) if as_uuid(id) is not None else None

    @strawberry.field(
        description="Where they are. Someone who never set a status is 未設定 (UNSET) with "
        "version 0; null only when it could not be read (e.g. signed out)."
    )
    async def presence(self, info: Info) -> PresenceType | None:
        require_authenticated(principal_of(info))
        person_id = as_uuid(self.id)
        assert person_id is not None  # resolve_reference and Presence.person check it
        return await context_of(info).loader(PresenceByPersonIdLoader).load(person_id)  # type: ignore[return-value]


@strawberry.type(name="Presence", description="Where a staff member is (在席状況).")
class PresenceType:
    """Resolved from a ``PresenceStatus`` row as shown (``clock.as_shown``). The scalar
    fields are the row's own attributes: a board of a thousand subscribers reads them
    the short way (``PlainFieldExecutionContext``), not through a resolver function each.
    """

    # The row's status column holds the enum's values ("IN", ...), which the enum type
    # serialises as they are: no resolver needed to turn it into a member first.
    status: PresenceStatusKind
    label: str = strawberry.field(
        description="The status in Japanese, e.g. 会議中 (未設定 when UNSET)."
    )
    message: str = strawberry.field(
        description="A short note, e.g. 第1会議室 15時まで; empty when none."
    )
    back_at: datetime | None = strawberry.field(
        description="When they expect to be back, if they said."
    )
    updated_at: datetime | None = strawberry.field(
        description="When they last changed it; null if they never set one."
    )
    version: int = strawberry.field(
        description="0 until first set, then one more with every change."
    )

    @strawberry.field(
        description="When this status will read as 未設定 by itself: the first nightly reset "
        "(YUI_PRESENCE_RESET_HOUR, Japan time) after it was set, or after backAt if later. "
        "The reset is not announced by presenceChanged: a board refreshes at this time. "
        "Null when UNSET."
    )
    def reset_at(self, root: PresenceStatus) -> datetime | None:
        return clock.resets_at(root)

    @strawberry.field(description="Whose presence: name and department come from people.")
    def person(self, root: PresenceStatus) -> PersonType:
        return PersonType(id=strawberry.ID(str(root.person_id)))


@strawberry.type(name="PresenceError", description="Why setMyPresence changed nothing.")
class PresenceErrorType:
    code: str = strawberry.field(description="INVALID, TOO_LONG, IN_THE_PAST.")
    message: str
    field: str | None = strawberry.field(description="The input field at fault, if one.")
