"""Read side of the presence subgraph."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.presence.access import as_uuid
from subgraphs.presence.graphql.loaders import PresenceByPersonIdLoader
from subgraphs.presence.graphql.types import PresenceType

# A department board or a directory page; the people directory pages at 500 too.
MAX_PERSON_IDS = 500


@strawberry.type
class Query:
    @strawberry.field(description="Your own presence (未設定, version 0, until you set one).")
    async def my_presence(self, info: Info) -> PresenceType | None:
        principal = require_authenticated(principal_of(info))
        assert principal.person_id is not None
        loader = context_of(info).loader(PresenceByPersonIdLoader)
        return await loader.load(principal.person_id)  # type: ignore[return-value]

    @strawberry.field(
        description="Presence of these people, in the order asked (one for each ID given). "
        f"At most {MAX_PERSON_IDS} IDs."
    )
    async def presences(self, info: Info, person_ids: list[strawberry.ID]) -> list[PresenceType]:
        require_authenticated(principal_of(info))
        if len(person_ids) > MAX_PERSON_IDS:
            raise GraphQLError(
                f"Ask for at most {MAX_PERSON_IDS} people at once.",
                extensions={"code": "BAD_USER_INPUT"},
            )
        ids = [as_uuid(i) for i in person_ids]
        bad = [str(raw) for raw, pk in zip(person_ids, ids, strict=True) if pk is None]
        if bad:
            raise GraphQLError(
                f"Not a person ID: {', '.join(bad[:5])}", extensions={"code": "BAD_USER_INPUT"}
            )
        loader = context_of(info).loader(PresenceByPersonIdLoader)
        return await loader.load_many(ids)  # type: ignore[arg-type,return-value]
