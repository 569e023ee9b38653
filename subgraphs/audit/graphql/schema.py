"""The audit subgraph's federation schema (Federation version pinned)."""

from __future__ import annotations

from typing import Final

from subgraphs.audit.graphql.queries import Query
from subgraphs.core.graphql.extensions import subgraph_extensions
from subgraphs.core.graphql.schema import SubgraphSchema
from subgraphs.core.timerange import SCALAR_OVERRIDES

FEDERATION_VERSION: Final = "2.11"

schema = SubgraphSchema(
    query=Query,
    federation_version=FEDERATION_VERSION,
    extensions=subgraph_extensions(),
    scalar_overrides=SCALAR_OVERRIDES,
)
