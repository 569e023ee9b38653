"""Identical in-flight subgraph queries share one upstream request (queries only, same
subgraph, document, variables and caller); the test counts the requests that reach the
subgraph. Subgraphs: the shop suite of the test bed, in process, behind a gate that holds
every request until the test has seen the concurrent fetches arrive (no timing)."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

import pytest

from gateway.engine import Gateway
from gateway.executor import RequestContext
from gateway.supergraph import Graph
from gateway.transports import InProcessTransport
from tests.gateway.fixtures.suites import SUITES, supergraph_path


class Gated(InProcessTransport):
    """Counts requests and holds each until ``release``."""

    def __init__(self, schema: Any):
        super().__init__(schema)
        self.requests: list[str] = []
        self.gate = asyncio.Event()

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        self.requests.append(document)
        await self.gate.wait()
        return await super().execute(graph, document, variables, context)


def _shop(whole_operations: bool = False) -> tuple[Gateway, dict[str, Gated]]:
    """The gateway, and its transports. Unless ``whole_operations``, identical client
    operations are not shared as a whole (``Gateway.operations``), so that the subgraph
    requests these tests count are each operation's own."""
    transports = {
        s.name: Gated(importlib.import_module(s.module).schema)  # type: ignore[arg-type]
        for s in SUITES["shop"]
    }
    supergraph = supergraph_path("shop").read_text(encoding="utf-8")
    gateway = Gateway(supergraph, transports)
    if not whole_operations:
        gateway.operations = None
    return gateway, transports


async def _until(condition: Any) -> None:
    """Lets the event loop run until ``condition()`` holds (a bounded number of turns)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the concurrent requests never arrived")


def _dedup(gateway: Gateway, name: str) -> Any:
    return gateway.executor.transport_for(name.upper())


QUERY = "{ topProducts { upc name } }"


async def test_identical_concurrent_queries_send_one_request_and_share_the_answer():
    gateway, transports = _shop()
    products = _dedup(gateway, "products")
    context = RequestContext(principal="ada")
    runs = [asyncio.ensure_future(gateway.execute(QUERY, context=context)) for _ in range(5)]
    await _until(lambda: products.joined == 4)
    transports["products"].gate.set()
    results = [r.payload for r in await asyncio.gather(*runs)]
    assert len(transports["products"].requests) == 1
    assert products.upstream == 1
    assert all(r == results[0] for r in results)
    assert results[0]["data"]["topProducts"]
    # Each caller got its own copy.
    results[0]["data"]["topProducts"][0]["name"] = "changed"
    assert results[1]["data"]["topProducts"][0]["name"] != "changed"


async def test_other_callers_variables_and_mutations_are_not_shared():
    gateway, transports = _shop()
    products = _dedup(gateway, "products")
    query = "query($n: Int) { topProducts(first: $n) { upc } }"
    runs = [
        gateway.execute(query, {"n": 1}, context=RequestContext(principal="ada")),
        gateway.execute(query, {"n": 1}, context=RequestContext(principal="grace")),
        gateway.execute(query, {"n": 2}, context=RequestContext(principal="ada")),
        gateway.execute(
            query, {"n": 1}, context=RequestContext(principal="ada", extra={"language": "en"})
        ),
    ]
    started = [asyncio.ensure_future(r) for r in runs]
    await _until(lambda: len(transports["products"].requests) == 4)
    transports["products"].gate.set()
    results = [r.payload for r in await asyncio.gather(*started)]
    assert products.joined == 0
    assert [len(r["data"]["topProducts"]) for r in results] == [1, 1, 2, 1]


async def test_a_request_that_has_finished_is_not_joined():
    gateway, transports = _shop()
    transports["products"].gate.set()
    context = RequestContext(principal="ada")
    await gateway.execute(QUERY, context=context)
    await gateway.execute(QUERY, context=context)
    assert len(transports["products"].requests) == 2


@pytest.mark.parametrize("whole_operations", [False, True])
async def test_a_caller_going_away_does_not_cancel_the_shared_request(whole_operations):
    """The shared subgraph request, or the shared execution of the whole query."""
    gateway, transports = _shop(whole_operations)
    shared = gateway.operations if whole_operations else _dedup(gateway, "products")
    context = RequestContext(principal="ada")
    first = asyncio.ensure_future(gateway.execute(QUERY, context=context))
    second = asyncio.ensure_future(gateway.execute(QUERY, context=context))
    await _until(lambda: shared.joined == 1)
    first.cancel()
    transports["products"].gate.set()
    result = await second
    assert result.payload["data"]["topProducts"]
    assert len(transports["products"].requests) == 1


async def test_entity_fetches_are_shared_too():
    gateway, transports = _shop()
    for transport in transports.values():
        transport.gate.set()
    query = "{ topProducts { upc reviews { body } } }"
    context = RequestContext(principal="ada")
    # The root fetches are held so both requests reach the reviews fetch together.
    transports["products"].gate.clear()
    runs = [asyncio.ensure_future(gateway.execute(query, context=context)) for _ in range(3)]
    await _until(lambda: _dedup(gateway, "products").joined == 2)
    transports["reviews"].gate.clear()
    transports["products"].gate.set()
    await _until(lambda: _dedup(gateway, "reviews").joined == 2)
    transports["reviews"].gate.set()
    results = [r.payload for r in await asyncio.gather(*runs)]
    assert all(r == results[0] for r in results) and "errors" not in results[0]
    assert len(transports["reviews"].requests) == 1


# --- whole operations -------------------------------------------------------------------


async def test_identical_concurrent_operations_of_one_caller_run_once():
    gateway, transports = _shop(whole_operations=True)
    operations = gateway.operations
    assert operations is not None
    context = RequestContext(principal="ada")
    runs = [asyncio.ensure_future(gateway.execute(QUERY, context=context)) for _ in range(5)]
    await _until(lambda: operations.joined == 4)
    transports["products"].gate.set()
    results = [r.payload for r in await asyncio.gather(*runs)]
    assert operations.started == 1
    assert len(transports["products"].requests) == 1
    # The subgraph request was not even joined: one execution asked it once.
    assert _dedup(gateway, "products").joined == 0
    assert all(r == results[0] for r in results) and results[0]["data"]["topProducts"]
    results[0]["data"]["topProducts"][0]["name"] = "changed"
    assert results[1]["data"]["topProducts"][0]["name"] != "changed"
    assert not operations.entries  # nothing kept once answered


async def test_operations_of_other_callers_scopes_or_variables_and_mutations_run_apart():
    gateway, transports = _shop(whole_operations=True)
    operations = gateway.operations
    assert operations is not None
    query = "query($n: Int) { topProducts(first: $n) { upc } }"
    asked = [
        (query, {"n": 1}, RequestContext(principal="ada")),
        (query, {"n": 1}, RequestContext(principal="grace")),
        (query, {"n": 2}, RequestContext(principal="ada")),
        (query, {"n": 1}, RequestContext(principal="ada", extra={"language": "en"})),
        (query, {"n": 1}, RequestContext(principal="ada", extra={"scopes": {"read:all"}})),
    ]
    started = [asyncio.ensure_future(gateway.execute(q, v, context=c)) for q, v, c in asked]
    products = _dedup(gateway, "products")
    # Five executions; the one with other scopes joins the first one's subgraph request
    # (scopes are the gateway's business: the subgraph answers the same).
    await _until(lambda: products.upstream == 4 and products.joined == 1)
    transports["products"].gate.set()
    results = [r.payload for r in await asyncio.gather(*started)]
    assert operations.joined == 0 and operations.started == 5
    assert [len(r["data"]["topProducts"]) for r in results] == [1, 1, 2, 1, 1]
    # A mutation is never shared, not even with an identical one of the same caller.
    mutation = 'mutation { setInStock(upc: "1", inStock: true) { upc } }'
    ran = [asyncio.ensure_future(gateway.execute(mutation, context=asked[0][2])) for _ in range(2)]
    await _until(lambda: len(transports["inventory"].requests) == 2)
    transports["inventory"].gate.set()
    assert all("errors" not in r.payload for r in await asyncio.gather(*ran))
    assert operations.started == 5
