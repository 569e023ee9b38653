"""The mail subgraph's federation schema (Federation version pinned)."""

from __future__ import annotations

from typing import Final

import strawberry

from subgraphs.core.graphql.extensions import subgraph_extensions
from subgraphs.core.graphql.schema import SubgraphSchema
from subgraphs.core.timerange import SCALAR_OVERRIDES
from subgraphs.mail.graphql.mutations import MailMutation
from subgraphs.mail.graphql.queries import MailQuery
from subgraphs.mail.graphql.subscriptions import MailSubscription
from subgraphs.mail.graphql.types import MailMessageType, OrganizationType, PersonType

FEDERATION_VERSION: Final = "2.11"


@strawberry.type
class Query(MailQuery):
    pass


@strawberry.type
class Mutation(MailMutation):
    pass


@strawberry.type
class Subscription(MailSubscription):
    pass


schema = SubgraphSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[PersonType, OrganizationType, MailMessageType],
    federation_version=FEDERATION_VERSION,
    extensions=subgraph_extensions(),
    scalar_overrides=SCALAR_OVERRIDES,
)
