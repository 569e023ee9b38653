"""A bug in planning or execution reaches the client as a GraphQL error with code INTERNAL
and a reference (logged with the operation's hash), never as an HTTP 500 with a text body."""

from __future__ import annotations

import logging

import httpx

from gateway.engine import Gateway, operation_hash
from gateway.server import GatewayApp
from tests.gateway.test_cases import in_process_gateway

QUERY = "{ topProducts(first: 1) { upc name } }"


async def _post(gateway: Gateway, query: str) -> httpx.Response:
    app = GatewayApp(gateway)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://gateway",
    ) as client:
        return await client.post(
            "/graphql",
            json={"query": query},
            headers={"accept": "application/graphql-response+json"},
        )


def _fresh_shop() -> Gateway:
    shared = in_process_gateway("shop")
    return Gateway(shared.supergraph, shared.transports)


async def test_a_planner_exception_is_an_internal_graphql_error(monkeypatch, caplog):
    gateway = _fresh_shop()

    def explode(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(gateway.planner, "plan", explode)
    with caplog.at_level(logging.ERROR, logger="gateway"):
        response = await _post(gateway, QUERY)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL"
    reference = error["extensions"]["reference"]
    assert "recursion" not in error["message"]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and operation_hash(QUERY) in logged[0].getMessage()


async def test_an_executor_exception_is_an_internal_graphql_error(monkeypatch):
    gateway = _fresh_shop()

    async def explode(*args, **kwargs):
        raise RuntimeError("Task cannot await on itself")

    monkeypatch.setattr(gateway.executor, "run", explode)
    response = await _post(gateway, QUERY)
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL"]


async def test_a_subgraph_error_without_a_code_gets_one():
    gateway = in_process_gateway("shop")
    # The fuzz test found it: inventory answers null for a non-null Warehouse.code of
    # one product, and its error (from graphql-core) has no code.
    result = await gateway.execute("{ products { warehouse { code } } }")
    codes = {(e.get("extensions") or {}).get("code") for e in result.payload.get("errors", [])}
    assert codes and None not in codes
