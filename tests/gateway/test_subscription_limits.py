"""Long-lived streams of the gateway's ASGI server are bounded: subscriptions capped per
WebSocket and per person, clients that went away noticed (SSE disconnect, WebSocket ping),
every stream ended when the server stops."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import strawberry

from gateway.composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.server import GatewayApp
from gateway.transports import InProcessTransport
from tests.gateway.test_websocket import Socket, connected


class Ticker:
    """What the subgraph's endless subscriptions are doing, seen from outside."""

    started = 0
    ended = 0
    release = asyncio.Event  # replaced per test (an Event binds to its loop)


@strawberry.type
class TickQuery:
    @strawberry.field
    def hello(self) -> str:
        return "hello"


@strawberry.type
class TickSubscription:
    @strawberry.subscription
    async def ticks(self, first: int = 1) -> AsyncIterator[int]:
        """``first`` events at once, then nothing until the test releases the stream."""
        Ticker.started += 1
        try:
            for i in range(first):
                yield i
            await Ticker.release.wait()  # type: ignore[call-arg]
        finally:
            Ticker.ended += 1


tick_schema = strawberry.federation.Schema(
    query=TickQuery, subscription=TickSubscription, federation_version="2.7"
)
SUBSCRIBE = "subscription { ticks }"


def tick_app(**settings) -> GatewayApp:
    sdl = tick_schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]
    supergraph = compose([SubgraphSource("ticks", "http://ticks.invalid/graphql", sdl)])
    gateway = Gateway(supergraph, {"ticks": InProcessTransport(tick_schema)})
    return GatewayApp(gateway, **settings)


@pytest.fixture(autouse=True)
def ticker():
    Ticker.started = Ticker.ended = 0
    Ticker.release = asyncio.Event()  # type: ignore[assignment]
    yield Ticker
    Ticker.release.set()  # type: ignore[attr-defined]


async def subscribe(socket: Socket, op_id: str, query: str = SUBSCRIBE) -> dict:
    await socket.send({"id": op_id, "type": "subscribe", "payload": {"query": query}})
    return await socket.receive()


async def until(condition, what: str, limit: float = 5.0) -> None:
    """Waits (a bounded time, against hangs) until ``condition()`` holds."""
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.01)


# --- caps ----------------------------------------------------------------------------------


async def test_subscriptions_over_the_cap_of_a_socket_get_an_error_and_the_socket_stays():
    app = tick_app(max_subscriptions_per_connection=3)
    socket = await connected(app)
    for op_id in ("a", "b", "c"):
        assert (await subscribe(socket, op_id))["type"] == "next"
    refused = await subscribe(socket, "d")
    assert refused["type"] == "error" and refused["id"] == "d"
    assert refused["payload"][0]["extensions"]["code"] == "MAX_SUBSCRIPTIONS_EXCEEDED"
    assert Ticker.started == 3  # the refused one never reached the subgraph
    # The socket and its other subscriptions go on: queries still answer.
    answer = await subscribe(socket, "q", "{ hello }")
    assert answer == {"id": "q", "type": "next", "payload": {"data": {"hello": "hello"}}}
    assert await socket.receive() == {"id": "q", "type": "complete"}
    # Ending one makes room for another (under the same id as the refused one).
    await socket.send({"id": "a", "type": "complete"})
    await until(lambda: Ticker.ended == 1, "the completed subscription ended")
    assert (await subscribe(socket, "d"))["type"] == "next"
    await socket.close()
    assert Ticker.ended == Ticker.started == 4
    assert app.subscriptions == {}


async def test_subscriptions_of_one_person_are_capped_across_sockets():
    app = tick_app(max_subscriptions_per_connection=10, max_subscriptions_per_person=3)
    first, second = await connected(app), await connected(app)
    assert (await subscribe(first, "1"))["type"] == "next"
    assert (await subscribe(first, "2"))["type"] == "next"
    assert (await subscribe(second, "1"))["type"] == "next"
    refused = await subscribe(second, "2")
    assert refused["type"] == "error" and refused["id"] == "2"
    assert refused["payload"][0]["extensions"]["code"] == "MAX_SUBSCRIPTIONS_EXCEEDED"
    # The first socket goes away: its subscriptions end and no longer count.
    await first.close()
    assert Ticker.ended == 2
    assert (await subscribe(second, "2"))["type"] == "next"
    await second.close()
    assert app.subscriptions == {}


async def test_sse_subscriptions_count_against_the_person_cap():
    app = tick_app(max_subscriptions_per_person=1, subscriber=lambda request, context: "kato")
    socket = await connected(app)
    assert (await subscribe(socket, "1"))["type"] == "next"
    stream = SseStream(app)
    assert await stream.events(2) == [
        ("next", {"errors": [app.person_limit_error()]}),
        ("complete", None),
    ]
    await socket.close()


# --- clients that went away -----------------------------------------------------------------


class SseStream:
    """A POST with ``Accept: text/event-stream`` driven at the ASGI level, so the test
    decides when the client disconnects."""

    def __init__(self, app: GatewayApp, query: str = SUBSCRIBE):
        self.inbox: asyncio.Queue[dict] = asyncio.Queue()
        self.chunks: list[str] = []
        self.ended = False
        body = json.dumps({"query": query}).encode()
        self.inbox.put_nowait({"type": "http.request", "body": body, "more_body": False})
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/graphql",
            "query_string": b"",
            "headers": [
                (b"content-type", b"application/json"),
                (b"accept", b"text/event-stream"),
            ],
            "client": ("127.0.0.1", 50000),
        }
        self.task = asyncio.ensure_future(app(scope, self.inbox.get, self.send))

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b"").decode())
            if not message.get("more_body"):
                self.ended = True

    async def events(self, count: int) -> list[tuple[str, object]]:
        await until(lambda: len(self.parsed()) >= count, f"{count} SSE events")
        return self.parsed()[:count]

    def parsed(self) -> list[tuple[str, object]]:
        out = []
        for block in "".join(self.chunks).split("\n\n"):
            if block.startswith("event: "):
                head, data = block.split("\n", 1)
                text = data.removeprefix("data: ")
                out.append((head.removeprefix("event: "), json.loads(text) if text else None))
        return out

    def disconnect(self) -> None:
        self.inbox.put_nowait({"type": "http.disconnect"})


async def test_a_disconnected_sse_client_ends_its_subscription():
    app = tick_app()
    stream = SseStream(app)
    assert await stream.events(1) == [("next", {"data": {"ticks": 0}})]
    assert app.subscriptions == {("address", "127.0.0.1"): 1}
    stream.disconnect()
    # Before, the server went on waiting for the next event of a client long gone.
    await asyncio.wait_for(stream.task, 5)
    assert Ticker.ended == 1
    assert app.subscriptions == {}


async def test_sse_streams_send_keep_alive_comments_between_events():
    app = tick_app(keepalive_seconds=0.02)
    stream = SseStream(app)
    await stream.events(1)
    await until(
        lambda: sum(c == ": keep-alive\n\n" for c in stream.chunks) >= 3, "three keep-alives"
    )
    assert stream.parsed() == [("next", {"data": {"ticks": 0}})]  # comments are no events
    stream.disconnect()
    await asyncio.wait_for(stream.task, 5)


async def test_a_websocket_client_that_answers_no_ping_is_closed_and_its_subscriptions_end():
    app = tick_app(keepalive_seconds=0.05)
    socket = await connected(app)
    assert (await subscribe(socket, "a"))["type"] == "next"
    assert await socket.receive() == {"type": "ping"}
    # Nothing comes back (the client vanished without closing): the next tick closes.
    assert await socket.receive() == {"closed": 1001}
    await asyncio.wait_for(socket.task, 5)
    assert Ticker.ended == 1
    assert app.subscriptions == {}


async def test_a_websocket_client_that_answers_pings_stays_connected():
    app = tick_app(keepalive_seconds=0.05)
    socket = await connected(app)
    assert (await subscribe(socket, "a"))["type"] == "next"
    for _ in range(4):
        assert await socket.receive() == {"type": "ping"}
        await socket.send({"type": "pong"})
    assert not socket.task.done() and Ticker.ended == 0
    await socket.close()
    assert Ticker.ended == 1


# --- shutdown -------------------------------------------------------------------------------


async def test_shutdown_ends_open_sse_streams_and_websockets():
    app = tick_app()
    stream = SseStream(app)
    await stream.events(1)
    socket = await connected(app)
    assert (await subscribe(socket, "a"))["type"] == "next"
    app.begin_shutdown()
    await asyncio.wait_for(asyncio.gather(stream.task, socket.task), 5)
    assert stream.ended
    assert await socket.receive() == {"closed": 1001}
    assert Ticker.ended == 2
    assert app.subscriptions == {}


def test_yui_gateway_flags_set_the_caps_and_the_keep_alive(monkeypatch):
    from django.core.management import call_command

    from tests.gateway.fixtures.suites import supergraph_path
    from yui.management.commands import gateway as command

    served: list[tuple[GatewayApp, dict]] = []
    monkeypatch.setattr(command, "serve", lambda app, **options: served.append((app, options)))
    monkeypatch.setattr(command, "settle", lambda: None)
    call_command(
        "gateway",
        "--supergraph",
        str(supergraph_path("shop")),
        "--max-subscriptions-per-connection",
        "7",
        "--max-subscriptions-per-person",
        "9",
        "--keepalive",
        "3",
    )
    [(app, options)] = served
    assert (app.max_subscriptions_per_connection, app.max_subscriptions_per_person) == (7, 9)
    assert app.keepalive_seconds == 3
    assert options["stop"] == [app]  # its streams end when the server stops
    defaults = tick_app()
    assert (defaults.max_subscriptions_per_connection, defaults.max_subscriptions_per_person) == (
        100,
        200,
    )
