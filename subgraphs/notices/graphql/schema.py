"""The notices subgraph's federation schema (Federation version pinned)."""

from __future__ import annotations

from typing import Final

from subgraphs.core.graphql.extensions import subgraph_extensions
from subgraphs.core.graphql.schema import SubgraphSchema
from subgraphs.core.timerange import SCALAR_OVERRIDES
from subgraphs.notices.graphql.mutations import Mutation
from subgraphs.notices.graphql.queries import Query
from subgraphs.notices.graphql.subscriptions import Subscription
from subgraphs.notices.graphql.types import (
    CirculationType,
    CouncilRequestType,
    NoticeType,
    OrganizationType,
    PersonType,
    SurveyType,
)

FEDERATION_VERSION: Final = "2.11"

schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[
        PersonType,
        OrganizationType,
        NoticeType,
        CirculationType,
        SurveyType,
        CouncilRequestType,
    ],
    federation_version=FEDERATION_VERSION,
    extensions=subgraph_extensions(),
    scalar_overrides=SCALAR_OVERRIDES,
)
