"""The presence subgraph's federation schema (Federation version pinned)."""

from __future__ import annotations

from typing import Final

from subgraphs.core.graphql.execution import PlainFieldExecutionContext
from subgraphs.core.graphql.extensions import subgraph_extensions
from subgraphs.core.graphql.schema import SubgraphSchema
from subgraphs.core.timerange import SCALAR_OVERRIDES
from subgraphs.presence.graphql.mutations import Mutation
from subgraphs.presence.graphql.queries import Query
from subgraphs.presence.graphql.subscriptions import Subscription
from subgraphs.presence.graphql.types import PersonType

FEDERATION_VERSION: Final = "2.11"

schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[PersonType],
    federation_version=FEDERATION_VERSION,
    extensions=subgraph_extensions(),
    scalar_overrides=SCALAR_OVERRIDES,
    execution_context_class=PlainFieldExecutionContext,
)
