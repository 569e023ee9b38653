"""The people subgraph's federation schema (Federation version pinned)."""

from __future__ import annotations

from typing import Final

import strawberry

from subgraphs.core.graphql.extensions import subgraph_extensions
from subgraphs.people.graphql.mutations import Mutation
from subgraphs.people.graphql.queries import Query
from subgraphs.people.graphql.types import OrganizationType, PersonType

FEDERATION_VERSION: Final = "2.11"

schema = strawberry.federation.Schema(
    query=Query,
    mutation=Mutation,
    types=[PersonType, OrganizationType],
    federation_version=FEDERATION_VERSION,
    extensions=subgraph_extensions(),
)
