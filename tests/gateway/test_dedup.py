"""Identical in-flight subgraph queries share one upstream request (queries only, same
subgraph, document, variables and caller); the test counts the requests that reach the
subgraph. Subgraphs: the shop suite of the test bed, in process, behind a gate that holds
every request until the test has seen the concurrent fetches arrive (no timing)."""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

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


def _shop() -> tuple[Gateway, dict[str, Gated]]:
    transports = {
        s.name: Gated(importlib.import_module(s.module).schema)  # type: ignore[arg-type]
        for s in SUITES["shop"]
    }
    supergraph = supergraph_path("shop").read_text(encoding="utf-8")
    return Gateway(supergraph, transports), transports


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


async def test_a_caller_going_away_does_not_cancel_the_shared_request():
    gateway, transports = _shop()
    products = _dedup(gateway, "products")
    context = RequestContext(principal="ada")
    first = asyncio.ensure_future(gateway.execute(QUERY, context=context))
    second = asyncio.ensure_future(gateway.execute(QUERY, context=context))
    await _until(lambda: products.joined == 1)
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
