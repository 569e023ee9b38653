"""Write side of the presence subgraph: parse input, call one do_*, shape the result."""

from __future__ import annotations

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.graphql.context import principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.presence import actions
from subgraphs.presence.graphql.inputs import SetPresenceInput
from subgraphs.presence.graphql.types import PresenceErrorType, PresenceType


@strawberry.type(name="SetPresencePayload")
class SetPresencePayload:
    presence: PresenceType | None = strawberry.field(
        description="Your presence as it now is; null when errors say why nothing changed."
    )
    errors: list[PresenceErrorType]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Show colleagues where you are; everyone subscribed sees it at once."
    )
    async def set_my_presence(self, info: Info, input: SetPresenceInput) -> SetPresencePayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_set_presence)(
            # The enum's names are the stored values; UNSET comes back as an INVALID error.
            principal,
            input.status.name,
            input.message,
            input.back_at,
        )
        return SetPresencePayload(
            presence=outcome.obj if outcome.ok else None,  # type: ignore[arg-type]
            errors=[
                PresenceErrorType(code=e.code, message=e.message, field=e.field)
                for e in outcome.errors
            ],
        )
