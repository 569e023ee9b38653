"""The people subgraph's federation schema (Federation version pinned)."""

from __future__ import annotations

from typing import Final

import strawberry

from subgraphs.core.graphql.extensions import subgraph_extensions
from subgraphs.core.graphql.schema import SubgraphSchema
from subgraphs.people.graphql.leavers import LeaversMutation, LeaversQuery
from subgraphs.people.graphql.mutations import Mutation as PeopleMutation
from subgraphs.people.graphql.queries import Query as PeopleQuery
from subgraphs.people.graphql.reorg import ReorgMutation, ReorgQuery
from subgraphs.people.graphql.subscriptions import Subscription
from subgraphs.people.graphql.types import OrganizationType, PersonType

FEDERATION_VERSION: Final = "2.11"


@strawberry.type
class Query(PeopleQuery, ReorgQuery, LeaversQuery):
    pass


@strawberry.type
class Mutation(PeopleMutation, ReorgMutation, LeaversMutation):
    pass


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[PersonType, OrganizationType],
    federation_version=FEDERATION_VERSION,
    extensions=subgraph_extensions(),
)
