"""The people subgraph's federation schema (Federation version pinned)."""

from __future__ import annotations

from typing import Final

from subgraphs.core.graphql.extensions import subgraph_extensions
from subgraphs.core.graphql.schema import SubgraphSchema
from subgraphs.people.graphql.mutations import Mutation
from subgraphs.people.graphql.queries import Query
from subgraphs.people.graphql.subscriptions import Subscription
from subgraphs.people.graphql.types import OrganizationType, PersonType

FEDERATION_VERSION: Final = "2.11"

schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[PersonType, OrganizationType],
    federation_version=FEDERATION_VERSION,
    extensions=subgraph_extensions(),
)
