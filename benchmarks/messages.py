"""Direct-message latency through `yui serve` with many connected clients: the time from
sending a message (``sendDirectMessage`` over HTTP) until the recipient's subscription
(``directMessageEvents`` over graphql-transport-ws) hears of it. Target: p95 under 200 ms.

    .venv/bin/python -m benchmarks.messages [--clients 200] [--messages 400] [--rate 20]
        [--database-url postgres://USER@HOST:PORT] [--redis-url redis://HOST:PORT/DB]

Builds one municipality of ``--clients`` staff in a throwaway database (the morning
benchmark's data set), starts ``yui serve``, signs every one of them in and opens their
WebSocket with the subscription, pairs them into one-to-one conversations (client i writes
to client i+1 of its pair), then sends ``--messages`` messages at ``--rate`` per second,
round the pairs. Prints p50/p95/max of send → received and of the HTTP send alone, lost
events, and the server's memory (resident set of its processes) before the clients came,
with every client connected, and after the messages. Figures, not a test; keep runs short
on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import websockets

from benchmarks.calendar_week import (
    TOKYO,
    bench_environment,
    cpu_count,
    engine_description,
    load_average,
    percentile,
    setup_django,
    throwaway_database,
)
from benchmarks.morning import PASSWORD, Account, build, server_pids, yui_serve

SUBSCRIBE = "subscription { directMessageEvents { kind message { id body } } }"
START = """mutation($p: [ID!]!) { startConversation(input: {personIds: $p}) {
  conversation { id } errors { code } } }"""
SEND = """mutation($c: ID!, $b: String!) { sendDirectMessage(conversationId: $c, body: $b) {
  message { id } errors { code } } }"""


@dataclass
class Client:
    """One signed-in member of staff: an HTTP session and a subscribed WebSocket."""

    account: Account
    http: httpx.AsyncClient
    person_id: str = ""
    socket: Any = None
    heard: dict[str, float] = field(default_factory=dict)  # message body → when it arrived
    waiting: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    listener: asyncio.Task[None] | None = None

    def headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.http.cookies.get("yui_csrftoken") or ""}

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers()
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise SystemExit(f"{self.account.login_id}: {response.status_code} {body}")
        return body["data"]


async def connect(url: str, account: Account) -> Client:
    http = httpx.AsyncClient(base_url=url, timeout=60.0, trust_env=False)
    signed = await http.post(
        "/auth/login",
        json={"tenant": account.tenant, "loginId": account.login_id, "password": PASSWORD},
    )
    if signed.status_code != 200:
        raise SystemExit(f"sign-in of {account.login_id}: {signed.status_code} {signed.text}")
    client = Client(account, http)
    client.person_id = (await client.data("{ me { id } }"))["me"]["id"]
    cookies = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
    client.socket = await websockets.connect(
        url.replace("http", "ws", 1) + "/graphql",
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers={"Cookie": cookies},
        origin=websockets.Origin(url),
        max_queue=None,
    )
    await client.socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    ack = json.loads(await client.socket.recv())
    if ack.get("type") != "connection_ack":
        raise SystemExit(f"WebSocket of {account.login_id}: {ack}")
    subscribe = {"id": "dm", "type": "subscribe", "payload": {"query": SUBSCRIBE}}
    await client.socket.send(json.dumps(subscribe))
    # Listening (and answering pings) from now on: a socket that stays silent while the
    # others sign in may be closed by the server.
    client.listener = asyncio.create_task(listen(client))
    return client


async def listen(client: Client) -> None:
    """Note when each message arrives (and wake whoever waits for it)."""
    with contextlib.suppress(websockets.ConnectionClosed):
        async for frame in client.socket:
            now = time.perf_counter()
            message = json.loads(frame)
            if message.get("type") == "ping":
                await client.socket.send(json.dumps({"type": "pong"}))
                continue
            event = ((message.get("payload") or {}).get("data") or {}).get("directMessageEvents")
            body = ((event or {}).get("message") or {}).get("body")
            if body is None:
                continue
            client.heard[body] = now
            waiter = client.waiting.pop(body, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(now)


def rss_mib(pid: int) -> float:
    total = 0
    for process in server_pids(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def line(label: str, seconds: list[float]) -> str:
    if not seconds:
        return f"  {label:<28} (none)"
    ms = [s * 1000 for s in seconds]
    return (
        f"  {label:<28} p50 {statistics.median(ms):7.1f} ms   p95 {percentile(ms, 0.95):7.1f} ms"
        f"   max {max(ms):7.1f} ms   ({len(ms)})"
    )


async def run(url: str, pid: int, accounts: list[Account], messages: int, rate: float) -> None:
    print(f"server memory before the clients: {rss_mib(pid):.0f} MiB")
    began = time.perf_counter()
    clients: list[Client] = []
    for start in range(0, len(accounts), 20):  # sign-ins a few at a time (Argon2 is CPU)
        batch = accounts[start : start + 20]
        clients += await asyncio.gather(*(connect(url, account) for account in batch))
    print(
        f"{len(clients)} clients signed in and subscribed in {time.perf_counter() - began:.0f} s;"
        f" server memory {rss_mib(pid):.0f} MiB"
    )
    pairs = [(clients[i], clients[i + 1]) for i in range(0, len(clients) - 1, 2)]
    conversations = []
    for writer, reader in pairs:
        started = await writer.data(START, {"p": [reader.person_id]})
        conversations.append(started["startConversation"]["conversation"]["id"])
    await asyncio.sleep(1)  # every subscription registered before the first message

    latencies: list[float] = []
    sends: list[float] = []
    lost = 0

    async def one(index: int) -> None:
        nonlocal lost
        (writer, reader), conversation = (
            pairs[index % len(pairs)],
            conversations[index % len(pairs)],
        )
        body = f"bench {index} {random.random():.6f}"  # noqa: S311 - a label, not a secret
        arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        reader.waiting[body] = arrived
        sent = time.perf_counter()
        await writer.data(SEND, {"c": conversation, "b": body})
        sends.append(time.perf_counter() - sent)
        try:
            latencies.append(await asyncio.wait_for(arrived, timeout=10) - sent)
        except TimeoutError:
            lost += 1

    tasks = []
    began = time.perf_counter()
    for index in range(messages):
        delay = began + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    print(f"\n== {messages} messages at {rate:g}/s, {len(clients)} clients connected ==")
    print(line("send → recipient hears it", latencies))
    print(line("sendDirectMessage (HTTP)", sends))
    print(f"  lost (not heard within 10 s): {lost}")
    verdict = "met" if latencies and percentile(latencies, 0.95) < 0.2 else "NOT met"
    print(f"  target p95 < 200 ms: {verdict}")
    print(f"server memory with {len(clients)} clients after the messages: {rss_mib(pid):.0f} MiB")
    closed = sum(1 for client in clients if client.listener and client.listener.done())
    print(f"  sockets the server had closed by the end: {closed}")
    for client in clients:
        if client.listener:
            client.listener.cancel()
    for client in clients:
        await client.socket.close()
        await client.http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20.0, help="messages sent per second")
    parser.add_argument("--database-url", default=None, help="postgres://USER@HOST:PORT")
    parser.add_argument("--redis-url", default=None, help="redis://HOST:PORT/DB")
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    rng = random.Random(args.seed)  # noqa: S311 - generated data, not secrets
    with tempfile.TemporaryDirectory(prefix="yui-messages-") as tmp:
        directory = Path(tmp)
        with throwaway_database(args.database_url, directory) as database_url:
            env = bench_environment(directory, database_url)
            if args.redis_url:
                env["YUI_REDIS_URL"] = args.redis_url
                env["YUI_CACHE_PREFIX"] = f"messages-{os.getpid()}"
            setup_django(env)
            print(f"machine: {cpu_count()} cores, {load_average()}")
            print(f"database: {engine_description()}; redis: {args.redis_url or 'no'}")
            built = time.perf_counter()
            data = build(1, args.clients, 1, rng)
            print(f"data set: {len(data.accounts)} staff in {time.perf_counter() - built:.0f} s")
            from django.db import connections

            connections.close_all()
            staff = [a for a in data.accounts if a.login_id != "admin"][: args.clients]
            with yui_serve(env, directory / "serve.log", 1) as (url, pid):
                asyncio.run(run(url, pid, staff, args.messages, args.rate))
            log = (directory / "serve.log").read_text(errors="replace")
            noted = [row for row in log.splitlines() if "ERROR" in row or "locked" in row]
            if noted:
                print(f"\nserver log: {len(noted)} error lines, the last ones:")
                print("\n".join(noted[-8:]))
            print(f"\n{load_average()}; {datetime.now(TOKYO):%Y-%m-%d %H:%M} JST")


if __name__ == "__main__":
    main()
