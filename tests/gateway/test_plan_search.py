"""The planner's search: where the greedy choice (the subgraph that resolves most of the
remaining fields) leads to a slower plan or to none at all, the search finds the plan a
query graph would: fewer steps one after another, or a plan where greedy found none.

Three subgraphs of a shop in process:

- ``shelf`` lists the products (``Product @key(id)``);
- ``stock`` knows each product's ``name``, ``sku``, its ``warehouse`` (by its key ``id``)
  and its ``depot``, which stock knows only by ``code`` (``@key(fields: "code",
  resolvable: false)``);
- ``sites`` knows ``name``, ``warehouse`` and ``depot`` too, both by ``id``, and the cities
  of both.

``{ products { name sku warehouse { city } } }``: stock resolves three of the four fields
(name, sku, warehouse), so greedy goes there and then needs a third step, to sites, for
``city``; sites for ``name warehouse { city }`` beside stock for ``sku`` is two steps.
With ``depot`` instead, greedy's stock cannot reach ``city`` at all (it cannot supply the
``id`` that sites needs), and the planner refused the operation."""

from __future__ import annotations

import pytest
import strawberry
from strawberry.federation.schema_directives import Key

from gateway import planner as planner_module
from gateway.composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.planner import plan_cost
from gateway.transports import InProcessTransport

PRODUCTS = ("p1", "p2")


# --- shelf -------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Product")
class ShelfProduct:
    id: strawberry.ID


@strawberry.type
class ShelfQuery:
    @strawberry.field
    def products(self) -> list[ShelfProduct]:
        return [ShelfProduct(id=strawberry.ID(p)) for p in PRODUCTS]


shelf = strawberry.federation.Schema(query=ShelfQuery, federation_version="2.7")


# --- stock -------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Warehouse")
class StockWarehouse:
    id: strawberry.ID


@strawberry.federation.type(directives=[Key(fields="code", resolvable=False)], name="Depot")
class StockDepot:
    code: str


@strawberry.federation.type(keys=["id"], name="Product")
class StockProduct:
    id: strawberry.ID
    name: str = strawberry.federation.field(shareable=True)
    sku: str
    warehouse: StockWarehouse = strawberry.federation.field(shareable=True)
    depot: StockDepot = strawberry.federation.field(shareable=True)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> StockProduct:
        return StockProduct(
            id=id,
            name=f"品目 {id}",
            sku=f"SKU-{id}",
            warehouse=StockWarehouse(id=strawberry.ID(f"w-{id}")),
            depot=StockDepot(code=f"d-{id}"),
        )


@strawberry.type
class StockQuery:
    @strawberry.field
    def stock_count(self) -> int:
        return len(PRODUCTS)


stock = strawberry.federation.Schema(
    query=StockQuery, types=[StockProduct], federation_version="2.7"
)


# --- sites -------------------------------------------------------------------------------


@strawberry.federation.type(keys=["id"], name="Warehouse")
class SitesWarehouse:
    id: strawberry.ID
    city: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> SitesWarehouse:
        return SitesWarehouse(id=id, city=f"{id} 市")


@strawberry.federation.type(keys=["id"], name="Depot")
class SitesDepot:
    id: strawberry.ID
    city: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> SitesDepot:
        return SitesDepot(id=id, city=f"{id} 町")


@strawberry.federation.type(keys=["id"], name="Product")
class SitesProduct:
    id: strawberry.ID
    name: str = strawberry.federation.field(shareable=True)
    warehouse: SitesWarehouse = strawberry.federation.field(shareable=True)
    depot: SitesDepot = strawberry.federation.field(shareable=True)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> SitesProduct:
        return SitesProduct(
            id=id,
            name=f"品目 {id}",
            warehouse=SitesWarehouse(id=strawberry.ID(f"w-{id}"), city=f"w-{id} 市"),
            depot=SitesDepot(id=strawberry.ID(f"d-{id}"), city=f"d-{id} 町"),
        )


@strawberry.type
class SitesQuery:
    @strawberry.field
    def site_count(self) -> int:
        return 1


sites = strawberry.federation.Schema(
    query=SitesQuery, types=[SitesProduct, SitesWarehouse, SitesDepot], federation_version="2.7"
)

SCHEMAS = {"shelf": shelf, "stock": stock, "sites": sites}


def _sdl(schema) -> str:
    return schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]


def _gateway(calls: list[str] | None = None) -> Gateway:
    class Recording(InProcessTransport):
        async def execute(self, graph, document, variables, context):
            if calls is not None:
                calls.append(graph.name)
            return await super().execute(graph, document, variables, context)

    supergraph = compose(
        [
            SubgraphSource(name, f"http://{name}.invalid/graphql", _sdl(s))
            for name, s in SCHEMAS.items()
        ]
    )
    return Gateway(supergraph, {name: Recording(s) for name, s in SCHEMAS.items()})


WAREHOUSE = "{ products { name sku warehouse { city } } }"
DEPOT = "{ products { name sku depot { city } } }"


def _expected(place: str, city: str) -> dict:
    return {
        "data": {
            "products": [
                {"name": f"品目 {p}", "sku": f"SKU-{p}", place: {"city": city.format(p=p)}}
                for p in PRODUCTS
            ]
        }
    }


async def test_the_search_finds_a_plan_with_fewer_steps_than_greedy():
    calls: list[str] = []
    gateway = _gateway(calls)
    result = await gateway.execute(WAREHOUSE)
    assert result.payload == _expected("warehouse", "w-{p} 市")
    plan = gateway.prepare(WAREHOUSE, None).plan
    # shelf, then stock (sku) and sites (name, warehouse { city }) side by side.
    steps, requests, _ = plan_cost(plan)
    assert (steps, requests) == (2, 3)
    assert plan.search_runs > 1
    assert calls[0] == "shelf" and sorted(calls[1:]) == ["sites", "stock"]
    city_fetch = next(f for f in plan.fetches if "city" in f.document)
    assert city_fetch.graph == "SITES" and [d.id for d in city_fetch.depends] == [0]


async def test_the_search_plans_what_the_greedy_choice_cannot():
    gateway = _gateway()
    result = await gateway.execute(DEPOT)
    assert result.payload == _expected("depot", "d-{p} 町")


@pytest.mark.parametrize(
    ("query", "greedy"),
    [(WAREHOUSE, "three steps"), (DEPOT, "QUERY_PLANNING_FAILED")],
)
async def test_without_the_search_greedy_alone_does_worse(monkeypatch, query, greedy):
    """The two cases above are ones the search decides: with one run (greedy alone) the
    warehouse takes three steps and the depot cannot be planned."""
    monkeypatch.setattr(planner_module, "MAX_PLAN_SEARCH", 1)
    gateway = _gateway()
    result = await gateway.execute(query)
    if greedy == "three steps":
        assert result.payload == _expected("warehouse", "w-{p} 市")
        assert plan_cost(gateway.prepare(query, None).plan)[0] == 3
    else:
        [error] = result.payload["errors"]
        assert error["extensions"]["code"] == greedy
        assert result.payload["data"] is None


@pytest.mark.parametrize("bound", ["runs", "fields"])
async def test_the_search_is_bounded(monkeypatch, bound):
    """Each aliased list is a choice of its own (stock or sites): the search tries one other
    option per choice, but no more runs than MAX_PLAN_SEARCH, nor more of the client's fields
    than MAX_SEARCH_FIELDS over all runs; what it found by then is the plan, and it answers."""
    query = (
        "{ "
        + " ".join(f"a{n}: products {{ name sku warehouse {{ city }} }}" for n in range(6))
        + " }"
    )
    fields = 6 * 5  # products, name, sku, warehouse, city
    if bound == "runs":
        monkeypatch.setattr(planner_module, "MAX_PLAN_SEARCH", 4)
    else:
        monkeypatch.setattr(planner_module, "MAX_SEARCH_FIELDS", 4 * fields)
    gateway = _gateway()
    plan = gateway.planner.plan(*_planned(query), "query")
    assert plan.search_runs == 4
    unbounded = _gateway()
    monkeypatch.setattr(planner_module, "MAX_PLAN_SEARCH", 48)
    monkeypatch.setattr(planner_module, "MAX_SEARCH_FIELDS", 20_000)
    full = unbounded.planner.plan(*_planned(query), "query")
    assert full.search_runs == 7  # greedy, then the other option of each of the six lists
    result = await unbounded.execute(query)
    assert result.payload["data"]["a5"] == _expected("warehouse", "w-{p} 市")["data"]["products"]
    assert plan_cost(full)[0] == 2 < plan_cost(plan)[0] == 3  # the bound left some greedy


def _planned(query: str):
    from graphql import parse

    from gateway.operation import normalize_selections

    document = parse(query)
    return document, None, normalize_selections(document.definitions[0].selection_set, {})


def test_planning_leaves_the_clients_selections_as_they_were():
    """Every run of the search plans from the same normalised selections: none may change
    them for the next."""
    from graphql import parse

    from gateway.operation import normalize_selections, print_selections

    gateway = _gateway()
    document = parse(WAREHOUSE)
    selections = normalize_selections(document.definitions[0].selection_set, {})
    before = print_selections(selections)
    plan = gateway.planner.plan(document, None, selections, "query")
    assert plan.search_runs > 1
    assert print_selections(selections) == before
