"""Planner cases beyond the test bed: response-key conflicts inside one subgraph."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.transports import InProcessTransport


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    # Non-null here, nullable in `profiles`: the API type is the nullable one.
    name: str = strawberry.federation.field(shareable=True)


@strawberry.federation.type(keys=["id"])
class Admin:
    id: strawberry.ID
    name: str | None


Account = Annotated[User | Admin, strawberry.union("Account")]


@strawberry.type
class Query:
    @strawberry.field
    def accounts(self) -> list[Account]:
        return [
            User(id=strawberry.ID("u1"), name="u1-name"),
            Admin(id=strawberry.ID("a1"), name="a1-name"),
        ]


accounts = strawberry.federation.Schema(query=Query, federation_version="2.7")


@strawberry.federation.type(keys=["id"], name="User")
class ProfileUser:
    id: strawberry.ID
    name: str | None = strawberry.federation.field(shareable=True)
    nickname: str | None = None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ProfileUser:
        return ProfileUser(id=id, name=f"{id}-name", nickname=f"{id}-nick")


@strawberry.type
class ProfileQuery:
    @strawberry.field
    def profile_count(self) -> int:
        return 1


profiles = strawberry.federation.Schema(
    query=ProfileQuery, types=[ProfileUser], federation_version="2.7"
)


def _sdl(schema) -> str:
    return schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]


async def test_fields_of_one_response_key_with_different_subgraph_types_get_internal_aliases():
    supergraph = compose(
        [
            SubgraphSource("accounts", "http://accounts.invalid/graphql", _sdl(accounts)),
            SubgraphSource("profiles", "http://profiles.invalid/graphql", _sdl(profiles)),
        ]
    )
    gateway = Gateway(
        supergraph,
        {"accounts": InProcessTransport(accounts), "profiles": InProcessTransport(profiles)},
    )
    query = "{ accounts { ... on User { name nickname } ... on Admin { name } } }"
    plan = gateway.prepare(query, None).plan
    assert "_name_" in plan.fetches[0].document  # the subgraph sees an internal alias
    result = await gateway.execute(query)
    assert result.payload == {
        "data": {"accounts": [{"name": "u1-name", "nickname": "u1-nick"}, {"name": "a1-name"}]}
    }
    # The subgraph itself refuses the document without the alias:
    direct = await accounts.execute("{ accounts { ... on User { name } ... on Admin { name } } }")
    assert direct.errors


def shop_gateway(transport: type[InProcessTransport] = InProcessTransport) -> Gateway:
    """The test bed's shop supergraph, its subgraphs in process through `transport`."""
    import importlib

    from tests.gateway.fixtures.suites import SUITES, supergraph_path

    transports = {
        s.name: transport(importlib.import_module(s.module).schema) for s in SUITES["shop"]
    }
    return Gateway(supergraph_path("shop").read_text(encoding="utf-8"), transports)


async def test_a_skipped_remote_field_sends_no_entity_fetch_at_all():
    calls: list[str] = []

    class Counting(InProcessTransport):
        async def execute(self, graph, document, variables, context):
            calls.append(graph.name)
            return await super().execute(graph, document, variables, context)

    gateway = shop_gateway(Counting)
    query = (
        'query($with: Boolean = false) { product(upc: "1") { name '
        "shippingEstimate @include(if: $with) } }"
    )
    skipped = await gateway.execute(query)
    assert skipped.payload == {"data": {"product": {"name": "Table"}}}
    assert calls == ["products"]  # inventory, which owns shippingEstimate, is not asked
    calls.clear()
    included = await gateway.execute(query, {"with": True})
    assert isinstance(included.payload["data"]["product"]["shippingEstimate"], int)
    assert calls == ["products", "inventory"]


async def test_a_key_that_cannot_be_supplied_is_refused_at_planning_not_recursed():
    """A hand-edited supergraph where `feed`'s only way to `User` is a key field that is
    @external there and no longer provided: the planner refuses the operation with a coded
    error (it recursed until RecursionError, and the server answered 500 in plain text)."""
    from tests.gateway.fixtures.suites import supergraph_sdl

    sdl = supergraph_sdl("external_keys").replace(
        'providedRandomUser: User! @join__field(graph: FEED, provides: "id name")',
        "providedRandomUser: User! @join__field(graph: FEED)",
    )
    assert sdl != supergraph_sdl("external_keys")
    gateway = Gateway(sdl, {})
    result = await gateway.execute("{ providedRandomUser { nickname } }")
    [error] = result.payload["errors"]
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    # Refused at planning: nothing of it ran, and the response says so with data: null.
    assert result.payload["data"] is None
    assert not result.request_error


async def test_conditional_selections_never_lend_their_shape_to_another_request():
    """Two aliased fields of one type, each under its own @include: a request that takes
    only `a` and then one that takes only `b` must each get their own fields. The shaper
    compiled a selection's field list once per plan, keyed by the list's id(); the field
    lists under a conditional parent are rebuilt for every request, and a freed list's id
    came back for the other alias's list, which was then shaped as `a` (`b` answered null
    with "Cannot return null for non-nullable field Product.name")."""
    gateway = shop_gateway()
    query = (
        "query($a: Boolean!, $b: Boolean!) {"
        ' a: product(upc: "1") @include(if: $a) { name }'
        ' b: product(upc: "2") @include(if: $b) { price upc } }'
    )
    for _ in range(20):
        only_a = await gateway.execute(query, {"a": True, "b": False})
        assert only_a.payload == {"data": {"a": {"name": "Table"}}}
        only_b = await gateway.execute(query, {"a": False, "b": True})
        assert only_b.payload == {"data": {"b": {"price": 1299, "upc": "2"}}}
        both = await gateway.execute(query, {"a": True, "b": True})
        assert both.payload == {"data": {"a": {"name": "Table"}, "b": {"price": 1299, "upc": "2"}}}
