"""Demand control: @cost and @listSize composed into the supergraph and used for the cost
estimate (the IBM cost specification as Apollo Router applies it); the expected costs are
worked out by hand in each test. Test bed: tests/gateway/fixtures/demand."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse, print_schema

from gateway.demand import DemandControl
from gateway.engine import Gateway
from gateway.limits import Limits, foreign_supergraph_limits
from gateway.supergraph import Supergraph
from gateway.transports import InProcessTransport
from tests.gateway.fixtures.demand import products, reviews
from tests.gateway.fixtures.local import compose_local, sources
from tests.gateway.fixtures.suites import supergraph_sdl

SUBGRAPHS = {"products": products.schema, "reviews": reviews.schema}


def _supergraph() -> str:
    return compose_local(SUBGRAPHS)


SUPERGRAPH = Supergraph(_supergraph())


def _gateway(max_cost: int) -> Gateway:
    transports = {n: InProcessTransport(s) for n, s in SUBGRAPHS.items()}
    return Gateway(SUPERGRAPH, transports, limits=Limits(max_cost=max_cost))


def _cost(query: str, variables: dict[str, Any] | None = None) -> int:
    demand = DemandControl(SUPERGRAPH, Limits())
    document = parse(query)
    operation = document.definitions[0]
    return demand.estimate(document, operation, variables or {})  # type: ignore[arg-type]


def test_composition_links_the_cost_spec_and_the_api_schema_hides_it():
    sdl = SUPERGRAPH.sdl
    assert '@link(url: "https://specs.apollo.dev/cost/v0.1", import: ["@listSize"])' in sdl
    assert "price: Int! @join__field(graph: PRODUCTS) @cost(weight: 3)" in sdl
    assert "@listSize(assumedSize: 5, requireOneSlicingArgument: false)" in sdl
    api = print_schema(SUPERGRAPH.api_schema)
    assert "@cost" not in api and "listSize" not in api
    assert "price: Int!" in api


def test_our_supergraph_is_apollos(apollo_oracle):
    from tests.gateway.fixtures.oracle import compose as apollo_compose

    assert SUPERGRAPH.sdl == apollo_compose(sources(SUBGRAPHS))


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        # an object weighs 1, scalars 0; assumed size 5: (1 + 0) * 5
        ("{ topProducts { id name } }", None, 5),
        # price @cost 3, first: 7, the argument first @cost 2: (1 + 3) * 7 + 2
        ("{ products(first: 7) { price } }", None, 30),
        # the slicing argument from a variable
        ("query($n: Int) { products(last: $n) { id } }", {"n": 50}, 50),
        # sized field: search is one object, its edges 4: 1 + (1 + (1 + 3)) * 4
        ("{ search(first: 4) { total edges { node { price } } } }", None, 21),
        # the slicing argument's default (10) counts as given: 1 + (1 + 1) * 10
        ("{ search { edges { node { id } } } }", None, 21),
        # Review weighs 2, 3 a product, 5 products: (1 + 2 * 3) * 5
        ("{ topProducts { reviews { body } } }", None, 35),
        # a mutation root field weighs 10
        ('mutation { touch(id: "p1") { id } }', None, 10),
        # fragments count once; type conditions on an object add to it
        ("{ topProducts { ...P } } fragment P on Product { price }", None, 20),
    ],
)
def test_estimates(query: str, variables: dict[str, Any] | None, cost: int):
    assert _cost(query, variables) == cost


async def test_over_the_limit_is_refused_with_the_estimate():
    gateway = _gateway(max_cost=40)
    ok = await gateway.execute("{ products(first: 3) { name } }")
    assert ok.payload == {
        "data": {"products": [{"name": "Product 1"}, {"name": "Product 2"}, {"name": "Product 3"}]}
    }
    query = "query($n: Int) { products(first: $n) { name } }"
    refused = await gateway.execute(query, {"n": 50})
    assert refused.request_error
    [error] = refused.payload["errors"]
    assert error["extensions"]["code"] == "COST_ESTIMATED_TOO_EXPENSIVE"
    assert error["cost"] == 52
    assert (await gateway.execute(query, {"n": 5})).payload["data"]["products"][4] == {
        "name": "Product 5"
    }


async def test_exactly_one_slicing_argument_is_required():
    gateway = _gateway(max_cost=10_000)
    for query in ("{ products { id } }", "{ products(first: 2, last: 2) { id } }"):
        result = await gateway.execute(query)
        assert [e["extensions"]["code"] for e in result.payload["errors"]] == [
            "GRAPHQL_VALIDATION_FAILED"
        ], query
        assert "first, last" in result.payload["errors"][0]["message"]


async def test_the_spec_estimate_replaces_the_list_model_only_where_the_supergraph_has_it():
    # Yui's model would count 10 x 10 x ... for lists; the estimate here is 35.
    gateway = _gateway(max_cost=40)
    assert gateway.demand.active
    result = await gateway.execute("{ topProducts { reviews { body } } }")
    assert "errors" not in result.payload
    # A supergraph without @cost keeps the limits it was given.
    assert not DemandControl(Supergraph(supergraph_sdl("shop")), Limits()).active
    assert foreign_supergraph_limits().max_cost > 10**12
