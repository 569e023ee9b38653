"""Real processes with open streams: `yui serve`, `yui gateway` and `yui subgraph` stop on
the first SIGINT (Ctrl+C) without tracebacks, and a subgraph that stops under a
subscription is reported to the client at once; partial data points at the missing field."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets

from tests.e2e.conftest import (
    ROOT,
    DemoAccount,
    YuiServer,
    _free_port,
    _stop,
    yui_command,
)
from tests.e2e.test_server import SignIn

SUBSCRIBE = "subscription { presenceChanged { label person { name } } }"
SET = """mutation($m: String!) {
  setMyPresence(input: {status: OUT, message: $m}) { errors { message } } }"""
STOP_GUARD = 8.0  # seconds: a guard against hanging (it took a second Ctrl+C before)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """``start(name, *args, env=..., ready=url)`` runs a ``yui`` command; every one started
    is stopped (killed if need be) when the test ends."""
    started: list[Process] = []

    def start(name: str, *args: str, env: dict[str, str], ready: str) -> Process:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(  # noqa: S603 - our own console script
                yui_command(*args),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        process = Process(name, popen, log)
        started.append(process)
        _wait_until_answering(ready, popen, log)
        return process

    yield start
    for process in started:
        _stop(process.popen)


def _wait_until_answering(url: str, popen: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            pytest.fail(f"{url} exited:\n{log.read_text()}", pytrace=False)
        try:
            httpx.post(url, json={"query": "{ __typename }"}, timeout=2, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not start:\n{log.read_text()}", pytrace=False)


def interrupt(process: Process) -> float:
    """One SIGINT; returns how long the process took to exit (fails past the guard)."""
    started = time.monotonic()
    process.popen.send_signal(signal.SIGINT)
    try:
        process.popen.wait(timeout=STOP_GUARD)
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"{process.name} still runs {STOP_GUARD:.0f} s after one SIGINT:\n{process.output()}",
            pytrace=False,
        )
    return time.monotonic() - started


def assert_clean_exit(process: Process) -> None:
    output = process.output()
    assert process.popen.returncode == 0, output
    assert "Traceback" not in output, output
    assert "CancelledError" not in output, output
    assert "Task exception was never retrieved" not in output, output


def staff_of(server: YuiServer, tenant: str) -> DemoAccount:
    """A staff account `yui demo` printed for ``tenant`` (not its administrator)."""
    return next(a for a in server.accounts if a.tenant == tenant and a.name)


def token_for(sign_in: SignIn, account: DemoAccount) -> str:
    staff = sign_in(account.tenant, account.login_id)
    response = staff.http.post(
        "/graphql",
        json={"query": 'mutation { createAccessToken(name: "shutdown") { token } }'},
        headers={"X-CSRFToken": staff.csrf_token() or ""},
    )
    return str(response.json()["data"]["createAccessToken"]["token"])


async def receive(socket: websockets.ClientConnection, limit: float = 10) -> dict:
    """The next message that is not the server's keep-alive ``ping`` (answered, as a
    graphql-transport-ws client must)."""
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), limit))
        if message.get("type") != "ping":
            return message  # type: ignore[no-any-return]
        await socket.send(json.dumps({"type": "pong"}))


async def open_websocket(base_url: str, token: str) -> websockets.ClientConnection:
    socket = await websockets.connect(
        base_url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]
    )
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert ack["type"] == "connection_ack", ack
    await socket.send(json.dumps({"id": "s", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    return socket


async def test_yui_serve_stops_on_the_first_sigint_with_open_sse_and_websocket_streams(
    yui_server: YuiServer, sign_in: SignIn, processes
) -> None:
    token = token_for(sign_in, staff_of(yui_server, "402125"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    serve = processes(
        "serve",
        "serve",
        "--port",
        str(port),
        "--log-level",
        "warning",
        env=yui_server.env,
        ready=url + "/graphql",
    )
    socket = await open_websocket(url, token)
    async with (
        httpx.AsyncClient(base_url=url, timeout=30, trust_env=False) as http,
        http.stream(
            "POST",
            "/graphql",
            json={"query": SUBSCRIBE},
            headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
        ) as stream,
    ):
        assert stream.status_code == 200
        await asyncio.sleep(0.5)  # both subscriptions are open
        took = await asyncio.to_thread(interrupt, serve)
        body = await asyncio.wait_for(stream.aread(), 5)  # the stream ended, too
    assert b"event: next" not in body
    with pytest.raises(websockets.exceptions.ConnectionClosed):
        await asyncio.wait_for(socket.recv(), 5)
    assert_clean_exit(serve)
    assert took < STOP_GUARD


async def test_distributed_subgraph_stopping_under_a_subscription_and_partial_data(
    yui_server: YuiServer, sign_in: SignIn, processes
) -> None:
    """people and presence as `yui subgraph`, `yui gateway` in front."""
    account = staff_of(yui_server, "406210")
    token = token_for(sign_in, account)
    ports = {name: _free_port() for name in ("people", "presence", "gateway")}
    urls = {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()}
    subgraphs = {
        name: processes(
            name, "subgraph", name, "--port", str(ports[name]), env=yui_server.env, ready=urls[name]
        )
        for name in ("people", "presence")
    }
    gateway = processes(
        "gateway",
        "gateway",
        "--supergraph",
        str(ROOT / "schema" / "supergraph.graphql"),
        "--port",
        str(ports["gateway"]),
        "--subgraph",
        f"people={urls['people']}",
        "--subgraph",
        f"presence={urls['presence']}",
        env=yui_server.env,
        ready=urls["gateway"],
    )
    base = f"http://127.0.0.1:{ports['gateway']}"
    socket = await open_websocket(base, token)
    # Idle for longer than redis-py's default read timeout (5 s): with Redis, every
    # subgraph's WebSocket consumer failed then, so the subscription is still to hear this.
    await asyncio.sleep(6)
    changed = httpx.post(
        base + "/graphql",
        json={"query": SET, "variables": {"m": "idle"}},
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
        timeout=20,
    ).json()
    assert changed["data"]["setMyPresence"]["errors"] == [], changed
    heard = await receive(socket)
    assert heard["type"] == "next", heard
    assert heard["payload"]["data"]["presenceChanged"]["person"]["name"] == account.name
    # The presence service stops (one Ctrl+C) under the subscription.
    interrupt(subgraphs["presence"])
    assert_clean_exit(subgraphs["presence"])
    failed = await receive(socket, 5)
    # Before: nothing, the socket stayed open ("Task exception was never retrieved").
    assert failed["type"] == "error" and failed["id"] == "s", failed
    assert failed["payload"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert failed["payload"][0]["extensions"]["serviceName"] == "presence"
    # Subscribing again while it is down answers at once (it hung before).
    await socket.send(json.dumps({"id": "s", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    again = await receive(socket, 5)
    assert again["type"] == "error" and again["id"] == "s", again
    # Partial data names the missing field, not its parent.
    body = httpx.post(
        base + "/graphql",
        json={"query": "{ me { name presence { label } } }"},
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
        timeout=20,
    ).json()
    assert body["data"]["me"]["name"] == account.name
    assert [e["path"] for e in body["errors"]] == [["me", "presence"]], body
    assert "127.0.0.1" not in body["errors"][0]["message"]
    # The gateway, with the socket still open, stops on one Ctrl+C too; so does people.
    interrupt(gateway)
    assert_clean_exit(gateway)
    await socket.close()
    interrupt(subgraphs["people"])
    assert_clean_exit(subgraphs["people"])
