"""The gateway served over HTTP (GraphQL over HTTP), with the shop suite's subgraphs called
in-process: status codes and media types, GET vs POST, limits, persisted queries, the plan
cache, subgraph failure and recovery, SSE."""

from __future__ import annotations

import hashlib
import importlib
import json

import httpx
import pytest

from gateway.engine import Gateway, Limits
from gateway.executor import SubgraphUnavailable
from gateway.server import GatewayApp
from gateway.transports import InProcessTransport
from tests.gateway.fixtures.suites import SUITES, supergraph_path

TOP = "{ topProducts(first: 2) { upc name price reviews { body author { username } } } }"


class Switchable(InProcessTransport):
    """An in-process subgraph that can be switched off, like a crashed service."""

    down = False
    calls = 0

    async def execute(self, graph, document, variables, context):
        type(self).calls += 1
        if self.down:
            raise SubgraphUnavailable("connection refused")
        return await super().execute(graph, document, variables, context)


def make_gateway(limits: Limits | None = None) -> tuple[Gateway, dict[str, Switchable]]:
    transports = {
        s.name: type(f"T{s.name}", (Switchable,), {})(importlib.import_module(s.module).schema)
        for s in SUITES["shop"]
    }
    sdl = supergraph_path("shop").read_text(encoding="utf-8")
    return Gateway(sdl, transports, limits=limits), transports


@pytest.fixture
def shop():
    gateway, transports = make_gateway()
    app = GatewayApp(gateway, max_body_bytes=20_000)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
    return client, gateway, transports


async def test_post_joins_three_subgraphs(shop):
    client, _, _ = shop
    response = await client.post("/graphql", json={"query": TOP})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    products = response.json()["data"]["topProducts"]
    assert [p["name"] for p in products] == ["Table", "Couch"]
    assert all(r["author"]["username"] for p in products for r in p["reviews"])


async def test_get_serves_queries_and_refuses_mutations(shop):
    client, _, _ = shop
    ok = await client.get("/graphql", params={"query": "{ topProducts(first: 1) { name } }"})
    assert ok.json() == {"data": {"topProducts": [{"name": "Table"}]}}
    refused = await client.get(
        "/graphql", params={"query": 'mutation { setInStock(upc: "1", inStock: true) { upc } }'}
    )
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"


async def test_media_types_decide_the_status_of_request_errors(shop):
    client, _, _ = shop
    invalid = {"query": "{ nope }"}
    modern = await client.post(
        "/graphql", json=invalid, headers={"accept": "application/graphql-response+json"}
    )
    assert modern.status_code == 400
    assert modern.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    legacy = await client.post("/graphql", json=invalid, headers={"accept": "application/json"})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")


async def test_malformed_requests_get_clear_errors_not_500(shop):
    client, _, _ = shop
    bad_json = await client.post(
        "/graphql", content=b"{", headers={"content-type": "application/json"}
    )
    assert (
        bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["errors"][0]["message"]
    )
    wrong_type = await client.post(
        "/graphql", content=b"query=1", headers={"content-type": "text/plain"}
    )
    assert wrong_type.status_code == 415
    too_big = await client.post("/graphql", json={"query": "{ " + "a " * 20_000 + "}"})
    assert too_big.status_code == 413
    bad_vars = await client.post("/graphql", json={"query": "{ __typename }", "variables": [1]})
    assert bad_vars.status_code == 400
    syntax = await client.post("/graphql", json={"query": "{ topProducts { "})
    assert syntax.status_code == 400
    assert syntax.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    wrong_variable = await client.post(
        "/graphql",
        json={
            "query": "query($n: Int!) { topProducts(first: $n) { upc } }",
            "variables": {"n": "two"},
        },
    )
    assert wrong_variable.status_code == 400
    assert wrong_variable.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_inaccessible_fields_are_refused_and_absent_from_introspection(shop):
    client, _, _ = shop
    refused = await client.post("/graphql", json={"query": "{ topProducts { costPrice } }"})
    assert refused.status_code == 400
    assert "costPrice" in refused.json()["errors"][0]["message"]
    schema = (
        await client.post(
            "/graphql",
            json={
                "query": '{ __schema { types { name } } __type(name: "Product") { fields { name } } }'
            },
        )
    ).json()["data"]
    names = {t["name"] for t in schema["__schema"]["types"]}
    assert "Product" in names
    assert not {n for n in names if n.startswith(("join__", "link__", "_"))} - {
        n for n in names if n.startswith("__")
    }
    assert "AuditEntry" not in names
    fields = {f["name"] for f in schema["__type"]["fields"]}
    assert "costPrice" not in fields and "name" in fields


@pytest.mark.parametrize(
    ("limits", "query", "code"),
    [
        (
            Limits(max_depth=3),
            "{ topProducts { reviews { author { reviews { body } } } } }",
            "MAX_DEPTH_EXCEEDED",
        ),
        (
            Limits(max_aliases=2),
            "{ a: users { id } b: users { id } c: users { id } }",
            "MAX_ALIASES_EXCEEDED",
        ),
        (
            Limits(max_root_fields=2),
            "{ users { id } me { id } topProducts { upc } }",
            "MAX_ROOT_FIELDS_EXCEEDED",
        ),
        (
            Limits(max_cost=50),
            "{ topProducts(first: 100) { reviews { author { name } } } }",
            "MAX_COST_EXCEEDED",
        ),
    ],
)
async def test_limits_refuse_expensive_operations_before_any_subgraph_call(limits, query, code):
    gateway, _ = make_gateway(limits)
    Switchable.calls = 0
    result = await gateway.execute(query)
    assert result.request_error
    assert result.payload["errors"][0]["extensions"]["code"] == code
    assert Switchable.calls == 0


async def test_automatic_persisted_queries(shop):
    client, _, _ = shop
    query = "{ topProducts(first: 1) { name } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = await client.post("/graphql", json={"extensions": ext})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    registered = await client.post("/graphql", json={"query": query, "extensions": ext})
    assert registered.json() == {"data": {"topProducts": [{"name": "Table"}]}}
    by_hash = await client.get("/graphql", params={"extensions": json.dumps(ext)})
    assert by_hash.json() == {"data": {"topProducts": [{"name": "Table"}]}}
    forged = await client.post(
        "/graphql",
        json={"query": "{ users { id } }", "extensions": ext},
    )
    assert forged.json()["errors"][0]["extensions"]["code"] == "INVALID_SHA256_HASH"


async def test_a_repeated_query_is_not_parsed_validated_or_planned_again(monkeypatch):
    gateway, _ = make_gateway()
    calls = {"parse": 0, "plan": 0}
    import gateway.limits as limits_module

    real_parse, real_plan = limits_module.parse, gateway.planner.plan

    def counting_parse(*args, **kwargs):
        calls["parse"] += 1
        return real_parse(*args, **kwargs)

    def counting_plan(*args, **kwargs):
        calls["plan"] += 1
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(limits_module, "parse", counting_parse)
    monkeypatch.setattr(gateway.planner, "plan", counting_plan)
    first = await gateway.execute(TOP)
    for _ in range(5):
        again = await gateway.execute(TOP)
        assert again.payload == first.payload
    assert calls == {"parse": 1, "plan": 1}


async def test_a_subgraph_that_is_down_gives_partial_data_then_recovers(shop):
    client, _, transports = shop
    transports["reviews"].down = True
    query = '{ product(upc: "1") { name reviewCount } users { id } }'
    partial = (await client.post("/graphql", json={"query": query})).json()
    # reviewCount is non-null, so the product (nullable) becomes null; users are intact.
    assert partial["data"]["product"] is None
    assert len(partial["data"]["users"]) == 3
    assert partial["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert partial["errors"][0]["extensions"]["serviceName"] == "reviews"
    # Nullable fields from the missing subgraph are null, the rest is there.
    nullable = (
        await client.post(
            "/graphql", json={"query": "{ topProducts(first: 1) { name shippingEstimate } }"}
        )
    ).json()
    assert nullable["data"]["topProducts"][0]["name"] == "Table"
    transports["reviews"].down = False
    healed = (await client.post("/graphql", json={"query": query})).json()
    assert "errors" not in healed
    assert healed["data"]["product"] == {"name": "Table", "reviewCount": 2}


async def test_sse_streams_a_query_result_then_completes(shop):
    client, _, _ = shop
    response = await client.post(
        "/graphql",
        json={"query": "{ topProducts(first: 1) { name } }"},
        headers={"accept": "text/event-stream"},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [block for block in response.text.split("\n\n") if block]
    assert events[0] == 'event: next\ndata: {"data":{"topProducts":[{"name":"Table"}]}}'
    assert events[-1].startswith("event: complete")


async def test_health_and_graphiql(shop):
    client, _, _ = shop
    assert (await client.get("/health")).json() == {"status": "ok"}
    app = GatewayApp(
        make_gateway()[0], graphiql_html=lambda path: f"<html>GraphiQL at {path}</html>"
    )
    page = await httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ).get("/graphql", headers={"accept": "text/html"})
    assert page.text == "<html>GraphiQL at /graphql</html>"


async def test_the_same_operation_with_other_whitespace_reuses_the_plan(monkeypatch):
    gateway, _ = make_gateway()
    planned = []
    real_plan = gateway.planner.plan
    monkeypatch.setattr(
        gateway.planner, "plan", lambda *a, **k: planned.append(1) or real_plan(*a, **k)
    )
    first = await gateway.execute("{ topProducts(first: 1) { name } }")
    second = await gateway.execute("query {\n  topProducts(first: 1) {\n    name # comment\n  }\n}")
    assert first.payload == second.payload == {"data": {"topProducts": [{"name": "Table"}]}}
    assert planned == [1]


async def test_errors_of_a_subgraph_that_is_down_point_at_the_fields_it_was_to_answer(shop):
    client, _, transports = shop
    transports["inventory"].down = True
    nullable = (
        await client.post(
            "/graphql", json={"query": "{ topProducts(first: 2) { name shippingEstimate } }"}
        )
    ).json()
    assert nullable["data"]["topProducts"] == [
        {"name": "Table", "shippingEstimate": None},
        {"name": "Couch", "shippingEstimate": None},
    ]
    # Each item's missing field, not the item (was ["topProducts", 0] once).
    assert [e["path"] for e in nullable["errors"]] == [
        ["topProducts", 0, "shippingEstimate"],
        ["topProducts", 1, "shippingEstimate"],
    ]
    assert {e["extensions"]["serviceName"] for e in nullable["errors"]} == {"inventory"}
    transports["inventory"].down = False
    transports["reviews"].down = True
    # reviews is non-null: `me` becomes null, and the error says which field failed.
    me = await client.post("/graphql", json={"query": "{ me { username reviews { body } } }"})
    assert me.json() == {
        "errors": [
            {
                "message": "Subgraph reviews is unavailable: connection refused",
                "extensions": {"code": "SUBREQUEST_HTTP_ERROR", "serviceName": "reviews"},
                "path": ["me", "reviews"],
            }
        ],
        "data": {"me": None},
    }


async def test_a_root_fetch_that_fails_names_every_root_field_it_was_to_answer(shop):
    client, _, transports = shop
    transports["accounts"].down = True
    body = (
        await client.post(
            "/graphql",
            json={"query": "{ topProducts(first: 1) { name } ... on Query { me { id } } }"},
        )
    ).json()
    assert body["data"] == {"topProducts": [{"name": "Table"}], "me": None}
    # `me` inside an inline fragment on Query had no error at all before.
    assert [e["path"] for e in body["errors"]] == [["me"]]


async def test_errors_are_bounded_when_a_long_list_loses_a_field(monkeypatch, shop):
    import gateway.executor as executor_module

    monkeypatch.setattr(executor_module, "MAX_ERRORS_PER_FAILED_FETCH", 1)
    client, _, transports = shop
    transports["inventory"].down = True
    body = (
        await client.post(
            "/graphql", json={"query": "{ topProducts(first: 3) { shippingEstimate } }"}
        )
    ).json()
    assert len(body["data"]["topProducts"]) == 3
    assert [e["path"] for e in body["errors"]] == [["topProducts", 0, "shippingEstimate"]]
