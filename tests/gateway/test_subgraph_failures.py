"""A subgraph that dies under a subscription (the gateway reaches it over a real WebSocket,
as in the distributed mode): the client is told at once, for that subscription, over a
WebSocket and over SSE, and may subscribe again; subscribing while it is down answers an
error at once."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import strawberry
import uvicorn

from gateway.composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.server import GatewayApp
from gateway.transports import HttpTransport
from tests.gateway.fixtures.serve import app_for
from tests.gateway.test_subscription_limits import SseStream
from tests.gateway.test_websocket import connected


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hello"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def beats(self) -> AsyncIterator[int]:
        """An event every 50 ms, for ever."""
        i = 0
        while True:
            yield i
            i += 1
            await asyncio.sleep(0.05)


beat_schema = strawberry.federation.Schema(
    query=Query, subscription=Subscription, federation_version="2.7"
)
SUBSCRIBE = {"query": "subscription { beats }"}


class SubgraphServer:
    """The beat subgraph under uvicorn in a thread, on a fixed port so it can come back."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            app_for(beat_schema),
            host="127.0.0.1",
            port=self.port,
            log_level="critical",
            lifespan="off",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        """Like a subgraph process that stops: its WebSockets are dropped."""
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            assert not self.thread.is_alive()
        self.server = self.thread = None


@pytest.fixture
def subgraph() -> Iterator[SubgraphServer]:
    server = SubgraphServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(subgraph: SubgraphServer) -> GatewayApp:
    sdl = beat_schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]
    supergraph = compose([SubgraphSource("beats", subgraph.url, sdl)])
    gateway = Gateway(supergraph, {"beats": HttpTransport(subgraph.url, timeout=2)})
    return GatewayApp(gateway)


def assert_unavailable(errors: list[dict]) -> None:
    assert errors[0]["extensions"] == {"code": "SUBREQUEST_HTTP_ERROR", "serviceName": "beats"}
    assert "127.0.0.1" not in errors[0]["message"]  # no internal address for clients


async def next_message_not_next(ws, op_id: str) -> dict:
    """Skips the subscription's events up to the first other message (bounded)."""
    for _ in range(500):
        message = await ws.receive()
        if message.get("type") != "next":
            return message
        assert message["id"] == op_id
    raise AssertionError("the subscription went on")


async def test_websocket_client_hears_at_once_when_the_subgraph_dies_and_may_subscribe_again(
    app, subgraph
):
    ws = await connected(app)
    await ws.send({"id": "s", "type": "subscribe", "payload": SUBSCRIBE})
    first = await ws.receive()
    assert first == {"id": "s", "type": "next", "payload": {"data": {"beats": 0}}}
    await asyncio.to_thread(subgraph.stop)
    # Before: nothing at all, the socket stayed open and the task's exception was lost.
    failed = await next_message_not_next(ws, "s")
    assert failed["type"] == "error" and failed["id"] == "s", failed
    assert_unavailable(failed["payload"])
    # Subscribing while it is down answers at once (it hung before), under the same id.
    started = time.monotonic()
    await ws.send({"id": "s", "type": "subscribe", "payload": SUBSCRIBE})
    down = await ws.receive()
    assert down["type"] == "error" and down["id"] == "s"
    assert_unavailable(down["payload"])
    assert time.monotonic() - started < 3  # a guard against hanging (was for ever)
    # It comes back: the same socket subscribes again.
    await asyncio.to_thread(subgraph.start)
    await ws.send({"id": "s", "type": "subscribe", "payload": SUBSCRIBE})
    assert (await ws.receive())["payload"] == {"data": {"beats": 0}}
    await ws.close()


async def test_sse_client_gets_an_error_then_complete_when_the_subgraph_dies(app, subgraph):
    stream = SseStream(app, SUBSCRIBE["query"])
    assert (await stream.events(1))[0] == ("next", {"data": {"beats": 0}})
    await asyncio.to_thread(subgraph.stop)
    await asyncio.wait_for(stream.task, 5)
    events = stream.parsed()
    assert events[-1] == ("complete", None)
    kind, payload = events[-2]
    assert kind == "next" and "data" not in payload
    assert_unavailable(payload["errors"])
    assert stream.ended
    # While it is down: an error, then complete, at once.
    again = SseStream(app, SUBSCRIBE["query"])
    await asyncio.wait_for(again.task, 3)
    [(kind, payload), done] = again.parsed()
    assert kind == "next" and done == ("complete", None)
    assert_unavailable(payload["errors"])
    assert app.subscriptions == {}
