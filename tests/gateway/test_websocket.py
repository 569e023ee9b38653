"""The graphql-transport-ws protocol of the gateway's ASGI server, and subscriptions whose
events carry fields of another subgraph (a `live` subgraph composed with shop's products)."""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import AsyncIterator

import pytest
import strawberry

from gateway.composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.server import GatewayApp
from gateway.transports import InProcessTransport


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str


@strawberry.type
class PriceChange:
    product: Product
    price: int


@strawberry.type
class LiveQuery:
    @strawberry.field
    def live(self) -> bool:
        return True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def price_changed(self, count: int = 2) -> AsyncIterator[PriceChange]:
        for i in range(count):
            await asyncio.sleep(0)
            yield PriceChange(product=Product(upc=str(i + 1)), price=100 * (i + 1))


live_schema = strawberry.federation.Schema(
    query=LiveQuery, subscription=Subscription, types=[Product], federation_version="2.7"
)


def _sdl(schema) -> str:
    return schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]


@pytest.fixture(scope="module")
def app() -> GatewayApp:
    products = importlib.import_module("tests.gateway.fixtures.shop.products").schema
    supergraph = compose(
        [
            SubgraphSource("products", "http://products.invalid/graphql", _sdl(products)),
            SubgraphSource("live", "http://live.invalid/graphql", _sdl(live_schema)),
        ]
    )
    gateway = Gateway(
        supergraph,
        {"products": InProcessTransport(products), "live": InProcessTransport(live_schema)},
    )
    return GatewayApp(gateway, connection_init_timeout=0.5)


class Socket:
    """A WebSocket client speaking to the ASGI app directly."""

    def __init__(self, app: GatewayApp, subprotocols: list[str] | None = None):
        self.inbox: asyncio.Queue[dict] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "path": "/graphql",
            "headers": [],
            "subprotocols": subprotocols if subprotocols is not None else ["graphql-transport-ws"],
        }
        self.task = asyncio.ensure_future(app(scope, self.inbox.get, self.outbox.put))
        self.inbox.put_nowait({"type": "websocket.connect"})

    async def accepted(self) -> dict:
        return await asyncio.wait_for(self.outbox.get(), 5)

    async def send(self, message: dict) -> None:
        await self.inbox.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self) -> dict:
        event = await asyncio.wait_for(self.outbox.get(), 5)
        if event["type"] == "websocket.close":
            return {"closed": event["code"]}
        return json.loads(event["text"])

    async def close(self) -> None:
        await self.inbox.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)


async def connected(app: GatewayApp) -> Socket:
    socket = Socket(app)
    assert (await socket.accepted())["subprotocol"] == "graphql-transport-ws"
    await socket.send({"type": "connection_init", "payload": {}})
    assert await socket.receive() == {"type": "connection_ack"}
    return socket


async def test_subscription_events_carry_fields_of_another_subgraph(app):
    socket = await connected(app)
    await socket.send(
        {
            "id": "a",
            "type": "subscribe",
            "payload": {"query": "subscription { priceChanged { price product { upc name } } }"},
        }
    )
    first, second, done = [await socket.receive() for _ in range(3)]
    # `name` lives in products: the gateway ran the rest of the plan for every event.
    assert first == {
        "id": "a",
        "type": "next",
        "payload": {
            "data": {"priceChanged": {"price": 100, "product": {"upc": "1", "name": "Table"}}}
        },
    }
    assert second["payload"]["data"]["priceChanged"]["product"]["name"] == "Couch"
    assert done == {"id": "a", "type": "complete"}
    await socket.close()


async def test_queries_over_the_socket_and_ping(app):
    socket = await connected(app)
    await socket.send({"type": "ping"})
    assert await socket.receive() == {"type": "pong"}
    await socket.send(
        {"id": "q", "type": "subscribe", "payload": {"query": '{ product(upc: "1") { name } }'}}
    )
    assert await socket.receive() == {
        "id": "q",
        "type": "next",
        "payload": {"data": {"product": {"name": "Table"}}},
    }
    assert await socket.receive() == {"id": "q", "type": "complete"}
    await socket.send({"id": "bad", "type": "subscribe", "payload": {"query": "{ nope }"}})
    error = await socket.receive()
    assert error["type"] == "error" and error["id"] == "bad"
    assert error["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    await socket.close()


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([{"id": "x", "type": "subscribe", "payload": {"query": "{ live }"}}], 4401),  # before init
        ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
        ([{"type": "connection_init"}, {"type": "what"}], 4400),
    ],
)
async def test_protocol_violations_close_the_socket_with_the_protocol_codes(app, messages, code):
    socket = Socket(app)
    await socket.accepted()
    for message in messages:
        await socket.send(message)
    received = [await socket.receive() for _ in range(len(messages))]
    assert {"closed": code} in received


async def test_no_connection_init_in_time_closes_with_4408(app):
    socket = Socket(app)
    await socket.accepted()
    assert await socket.receive() == {"closed": 4408}


async def test_wrong_subprotocol_is_refused(app):
    socket = Socket(app, subprotocols=["graphql-ws"])
    assert (await socket.accepted()) == {"type": "websocket.close", "code": 4406}
