"""Subscriptions multiplexed (gateway.transports, yui.subgraph_service): a `yui gateway`
process in front of `yui subgraph` services carries all its clients' subscriptions to a
subgraph over ONE WebSocket, each operation with its client's own signed principal.

Real processes over real connections: the upstream connections are counted in the
kernel's socket table (/proc/net/tcp*), between the gateway process and the presence
service's port. The gateway is started here (JSON logs on) so that nothing else of the
test session opens connections from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import ROOT, SECRET_KEY, Distributed, _free_port, _start, _stop
from tests.e2e.test_federation import SET, SUBSCRIBE, create_token, gateway_post
from tests.e2e.test_server import SignIn

pytestmark = pytest.mark.skipif(
    not Path("/proc/net/tcp").exists(), reason="counts connections in Linux's /proc"
)

CLIENTS_PER_TOWN = 10
_rounds = itertools.count(1)


def upstream_connections(pid: int, url: str) -> int:
    """ESTABLISHED TCP connections from process ``pid`` to the port of ``url``."""
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if fields[3] == "01" and remote_port == port and fields[9] in inodes:
                    count += 1
    return count


class Client:
    """One WebSocket client of the gateway with one presence subscription."""

    def __init__(self, socket, town: str):
        self.socket = socket
        self.town = town
        self.messages: list[str] = []
        self.errors: list[dict] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.exceptions.ConnectionClosed):
            async for raw in self.socket:
                message = json.loads(raw)
                if message["type"] == "next":
                    change = message["payload"]["data"]["presenceChanged"]
                    self.messages.append(change["message"])
                elif message["type"] == "error":
                    self.errors.extend(message["payload"])
                elif message["type"] == "ping":
                    await self.socket.send(json.dumps({"type": "pong"}))


@pytest.fixture(scope="module")
def gateway(distributed: Distributed, tmp_path_factory) -> Iterator[tuple[str, int, Path]]:
    """A `yui gateway` of its own, JSON logs on: (URL, process id, log file)."""
    logs = tmp_path_factory.mktemp("multiplex")
    port = _free_port()
    args = ["gateway", "--supergraph", str(ROOT / "schema" / "supergraph.graphql")]
    args += ["--port", str(port)]
    for name, url in distributed.subgraphs.items():
        args += ["--subgraph", f"{name}={url}"]
    env = {**distributed.env, "YUI_LOG_FORMAT": "json"}
    url = f"http://127.0.0.1:{port}"
    process = _start("gateway-multiplex", args, env, logs, url + "/graphql")
    yield url, process.pid, logs / "gateway-multiplex.log"
    _stop(process)


@contextlib.asynccontextmanager
async def subscribed(url: str, tokens: dict[str, str], count: int) -> AsyncIterator[list[Client]]:
    clients: list[Client] = []
    async with contextlib.AsyncExitStack() as stack:
        for i in range(count):
            town = list(tokens)[i % len(tokens)]
            socket = await stack.enter_async_context(
                websockets.connect(
                    url.replace("http://", "ws://") + "/graphql",
                    subprotocols=["graphql-transport-ws"],
                )
            )
            init = {"authorization": f"Bearer {tokens[town]}"}
            await socket.send(json.dumps({"type": "connection_init", "payload": init}))
            assert json.loads(await asyncio.wait_for(socket.recv(), 20))["type"] == "connection_ack"
            subscribe = {"id": "p", "type": "subscribe", "payload": {"query": SUBSCRIBE}}
            await socket.send(json.dumps(subscribe))
            clients.append(Client(socket, town))
        yield clients
        for client in clients:
            client.reader.cancel()


async def metric(url: str, name: str) -> float:
    async with httpx.AsyncClient(trust_env=False, timeout=20) as http:
        text = (await http.get(url + "/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return 0.0


async def wait_for(condition, what: str, timeout: float = 60) -> None:
    """Polls ``condition`` (an async callable) until it holds."""
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)
    assert await condition(), what


async def change_until_seen(
    distributed: Distributed, token: str, town: str, clients: list[Client]
) -> str:
    """Sets a presence in ``town`` (through the other gateway) until every one of
    ``clients`` has its event: a subscription may still be joining its channel."""
    async with httpx.AsyncClient(trust_env=False, timeout=20) as http:
        while True:
            message = f"{town}-{next(_rounds)}"
            response = await http.post(
                distributed.gateway + "/graphql",
                json={"query": SET, "variables": {"m": message}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.json()["data"]["setMyPresence"]["errors"] == []
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(3):
                    while not all(message in c.messages for c in clients):
                        await asyncio.sleep(0.05)
                    return message


async def test_twenty_clients_share_one_upstream_connection(
    distributed: Distributed, gateway, sign_in: SignIn
) -> None:
    url, pid, log = gateway
    tokens = {
        "okawa": create_token(sign_in("402125", "0468772")),
        "kanda": create_token(sign_in("406210", "0100338")),
    }
    presence = distributed.subgraphs["presence"]
    async with subscribed(url, tokens, 2 * CLIENTS_PER_TOWN) as clients:

        async def all_subscribed() -> bool:
            return await metric(url, "yui_gateway_active_subscriptions") == len(clients)

        await wait_for(all_subscribed, "20 subscriptions open at the gateway")
        assert await metric(url, "yui_gateway_websocket_connections") == len(clients)
        assert upstream_connections(pid, presence) == 1

        towns = {town: [c for c in clients if c.town == town] for town in tokens}
        okawa = await change_until_seen(distributed, tokens["okawa"], "okawa", towns["okawa"])
        kanda = await change_until_seen(distributed, tokens["kanda"], "kanda", towns["kanda"])
        # each operation ran with its own client's principal: no town sees the other's
        assert not any(m.startswith("kanda") for c in towns["okawa"] for m in c.messages)
        assert not any(m.startswith("okawa") for c in towns["kanda"] for m in c.messages)
        assert okawa and kanda and upstream_connections(pid, presence) == 1

        # a client leaving ends its operation only
        leaving = towns["kanda"][0]
        await leaving.socket.send(json.dumps({"id": "p", "type": "complete"}))

        async def one_fewer() -> bool:
            return await metric(url, "yui_gateway_active_subscriptions") == len(clients) - 1

        await wait_for(one_fewer, "the client's subscription ended")
        seen_before = list(leaving.messages)
        staying = towns["kanda"][1:]
        await change_until_seen(distributed, tokens["kanda"], "kanda", staying)
        assert leaving.messages == seen_before
        assert upstream_connections(pid, presence) == 1

    # JSON logs: one line per operation, with the tenant and no person's name
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    subscriptions = [e for e in lines if e.get("operation_type") == "subscription"]
    assert subscriptions and all(e["tenant_id"] and e["hash"] for e in subscriptions)
    assert "山口" not in log.read_text()


async def test_a_subgraph_restart_ends_every_subscription_with_an_error(
    distributed: Distributed, gateway, sign_in: SignIn
) -> None:
    url, pid, _ = gateway
    token = create_token(sign_in("406210", "0139154"))
    presence = distributed.subgraphs["presence"]
    async with subscribed(url, {"kanda": token}, 5) as clients:

        async def all_subscribed() -> bool:
            return await metric(url, "yui_gateway_active_subscriptions") == len(clients)

        await wait_for(all_subscribed, "5 subscriptions open at the gateway")
        assert upstream_connections(pid, presence) == 1
        _stop(distributed.processes["presence"])
        try:
            async with asyncio.timeout(30):
                while not all(c.errors for c in clients):
                    await asyncio.sleep(0.05)
        finally:
            port = presence.rsplit(":", 1)[1].split("/")[0]
            distributed.processes["presence"] = _start(
                "presence-after-multiplex",
                ["subgraph", "presence", "--port", port],
                distributed.env,
                distributed.logs,
                presence,
            )
        for client in clients:
            assert client.errors[0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
            assert client.errors[0]["extensions"]["serviceName"] == "presence"
        assert await metric(url, "yui_gateway_active_subscriptions") == 0
    # after the restart a new subscription opens a new shared connection
    async with subscribed(url, {"kanda": token}, 2) as again:
        await change_until_seen(distributed, token, "kanda", again)
        assert upstream_connections(pid, presence) == 1


def test_yui_serve_answers_metrics_to_a_local_scraper(sign_in: SignIn) -> None:
    """`yui serve` serves /metrics beside /graphql (loopback only: the test is local)."""
    staff = sign_in("402125", "0656905")
    assert "errors" not in gateway_post(staff, "query Me { me { name } }")
    scraped = httpx.get(staff.server.url + "/metrics", trust_env=False, timeout=20)
    assert scraped.status_code == 200
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scraped.text)
        for sample in family.samples
    }
    assert found[("yui_gateway_operation_seconds_count", (("operation", "Me"),))] >= 1
    assert found[("yui_gateway_operations_total", (("outcome", "ok"), ("type", "query")))] >= 1
    assert "山口" not in scraped.text


async def test_a_shared_connection_refuses_a_forged_principal_for_its_operation(
    distributed: Distributed, settings
) -> None:
    """At the presence service itself: a connection signed by the gateway (anonymous)
    whose operation carries a forged principal gets an error for that operation only;
    an operation with no principal of its own runs as the connection's (anonymous:
    refused), and the connection stays open."""
    from subgraphs.core import signing
    from subgraphs.core.principal import ANONYMOUS

    settings.SECRET_KEY = SECRET_KEY  # the deployment's key: sign as its gateway does
    url = distributed.subgraphs["presence"].replace("http://", "ws://")
    headers = {signing.HEADER: signing.sign_principal(ANONYMOUS)}
    async with websockets.connect(
        url, subprotocols=["graphql-transport-ws"], additional_headers=headers
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 20))["type"] == "connection_ack"
        forged = {signing.HEADER: "v1.9999999999.e30.AAAA"}
        for op_id, extensions in (("forged", {"headers": forged}), ("unsigned", {})):
            query = "subscription { presenceChanged { status message } }"
            payload = {"query": query, "extensions": extensions}
            await socket.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
        answers = {}
        while len(answers) < 2:
            message = json.loads(await asyncio.wait_for(socket.recv(), 20))
            if message.get("type") in {"error", "next"}:
                answers[message["id"]] = message
        assert answers["forged"]["type"] == "error"
        assert answers["forged"]["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        unsigned = answers["unsigned"]["payload"]
        errors = unsigned if answers["unsigned"]["type"] == "error" else unsigned["errors"]
        assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
        await socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 20))["type"] == "pong"
