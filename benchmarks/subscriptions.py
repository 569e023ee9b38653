"""Live presence at municipal scale: ``python -m benchmarks.subscriptions``.

Options: ``[--clients 1000] [--people 20] [--changes 10]
[--database-url postgres://USER@HOST:PORT] [--redis-url redis://HOST:PORT/DB]``.

Builds one municipality (``--people`` staff, each with a personal access token) in a
throwaway database, starts ``yui serve`` on it, and opens ``--clients`` WebSocket clients
(graphql-transport-ws, spread over the staff's tokens) that each subscribe to
``presenceChanged`` with the person's name and department (resolved by the gateway per
event from the people subgraph). Once every client has seen a first change (the
subscriptions have joined their channel), it makes ``--changes`` presence changes one
after another and measures, for each client, the time from sending the mutation to
receiving its event. Prints p50/p95/max over all deliveries (target p95 < 200 ms), and
the server's memory per connection: its resident set after the clients subscribed minus
before, divided by the number of clients; and the server's CPU time per change (user +
system, from /proc), steadier than latency on a machine that is doing something else.

The load generator (all the clients) runs on the same machine as the server and
competes for its cores: figures from a shared machine are upper bounds. The server is
one process (a municipality's presence fits one; ``--workers`` would spread the clients
over processes, each with its own share of them).
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
from pathlib import Path
from typing import Any

import httpx
import websockets

from benchmarks.calendar_week import (
    bench_environment,
    build_people,
    cpu_count,
    engine_description,
    load_average,
    percentile,
    setup_django,
    throwaway_database,
    yui_serve,
)

# The portal's board: fields of the presence subgraph and, per event, of people.
SUBSCRIBE = (
    "subscription { presenceChanged { status message person { name department { name } } } }"
)
# --presence-only: no field of another subgraph (no per-event fetch by the gateway).
SUBSCRIBE_PRESENCE_ONLY = "subscription { presenceChanged { status message } }"
SET = (
    "mutation($m: String!) { setMyPresence(input: {status: MEETING, message: $m}) "
    "{ presence { message } errors { message } } }"
)
OPENING_AT_ONCE = 50  # connections opened concurrently (a burst of 1,000 SYNs is no test)


class Client:
    """One WebSocket client: when each change's message arrived (perf_counter)."""

    def __init__(self, socket: Any):
        self.socket = socket
        self.arrived: dict[str, float] = {}
        self.errors: list[Any] = []
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.exceptions.ConnectionClosed):
            async for raw in self.socket:
                message = json.loads(raw)
                if message["type"] == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.append(payload["errors"])
                    change = (payload.get("data") or {}).get("presenceChanged") or {}
                    self.arrived.setdefault(change.get("message", ""), time.perf_counter())
                elif message["type"] == "error":
                    self.errors.append(message["payload"])
                elif message["type"] == "ping":
                    await self.socket.send(json.dumps({"type": "pong"}))


async def connect(url: str, token: str, query: str) -> Client:
    socket = await websockets.connect(
        url.replace("http://", "ws://") + "/graphql",
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=60,
        max_queue=None,
    )
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    await socket.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(socket.recv(), 60))
    if ack.get("type") != "connection_ack":
        raise SystemExit(f"not acknowledged: {ack}")
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    return Client(socket)


def server_pids() -> list[int]:
    """This process's children and their children: `yui serve` and its workers."""
    found: list[int] = []
    parents = {os.getpid()}
    changed = True
    while changed:
        changed = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in found:
                continue
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid in parents:
                    found.append(int(entry))
                    parents.add(int(entry))
                    changed = True
    return found


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


async def active_subscriptions(http: httpx.AsyncClient) -> float:
    text = (await http.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith("yui_gateway_active_subscriptions "):
            return float(line.split()[1])
    return -1.0


async def change(http: httpx.AsyncClient, token: str, message: str) -> float:
    """Sets a presence; returns when the mutation was sent (perf_counter)."""
    sent = time.perf_counter()
    response = await http.post(
        "/graphql",
        json={"query": SET, "variables": {"m": message}},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if body.get("errors") or body["data"]["setMyPresence"]["errors"]:
        raise SystemExit(f"the change failed: {body}")
    return sent


async def run(url: str, tokens: list[str], clients_wanted: int, changes: int, query: str) -> None:
    pids = server_pids()
    async with httpx.AsyncClient(base_url=url, timeout=60, trust_env=False) as http:
        await change(http, tokens[0], "warm-up")  # the server has loaded everything once
        before = rss_bytes(pids)
        clients: list[Client] = []
        started = time.perf_counter()
        for first in range(0, clients_wanted, OPENING_AT_ONCE):
            batch = range(first, min(first + OPENING_AT_ONCE, clients_wanted))
            clients += await asyncio.gather(
                *(connect(url, tokens[i % len(tokens)], query) for i in batch)
            )
        while await active_subscriptions(http) < clients_wanted:
            await asyncio.sleep(0.1)
        opened = time.perf_counter() - started
        # Subscriptions join their channel just after they start: change until all have
        # seen one change (then every later change reaches every client).
        ready = 0
        while True:
            ready += 1
            message = f"ready-{ready}"
            await change(http, tokens[1 % len(tokens)], message)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    while not all(message in c.arrived for c in clients):
                        await asyncio.sleep(0.01)
                    break
        after = rss_bytes(pids)
        print(f"  {clients_wanted} clients ready; {changes} changes ...", flush=True)
        delays: list[float] = []
        missing = 0
        cpu_before = cpu_seconds(pids)
        rng = random.Random(7)  # noqa: S311 - who changes, not a secret
        for n in range(changes):
            message = f"change-{n}"
            sent = await change(http, rng.choice(tokens), message)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):
                    while not all(message in c.arrived for c in clients):
                        await asyncio.sleep(0.005)
            for client in clients:
                if message in client.arrived:
                    delays.append(client.arrived[message] - sent)
                else:
                    missing += 1
        cpu = cpu_seconds(pids) - cpu_before
        # Still subscribed: what the changes left behind in the server (a subscription
        # that keeps something per event grows here, not in the figure per connection).
        grown = rss_bytes(pids)
        errors = sum(len(c.errors) for c in clients)
        for client in clients:
            client.reader.cancel()
            await client.socket.close()
    ms = [d * 1000 for d in delays]
    print(f"  {clients_wanted} clients subscribed in {opened:.1f} s ({ready} warm-up changes)")
    print(
        f"  change -> every client: p50 {statistics.median(ms):.1f} ms   "
        f"p95 {percentile(ms, 0.95):.1f} ms   max {max(ms):.1f} ms   "
        f"({len(ms)} deliveries of {changes} changes; missing {missing}; errors {errors})"
    )
    # Less noisy than latency on a shared machine: what the server spent, whatever waited.
    print(
        f"  server CPU: {cpu * 1000 / changes:.0f} ms per change "
        f"({cpu * 1e6 / max(len(ms), 1):.0f} us per delivery)"
    )
    per_connection = (after - before) / clients_wanted
    print(
        f"  server memory: {before / 2**20:.1f} MiB before, {after / 2**20:.1f} MiB with "
        f"the clients: {per_connection / 1024:.1f} KiB per connection (RSS delta / N); "
        f"{grown / 2**20:.1f} MiB after the changes "
        f"({(grown - after) / 2**10 / max(changes, 1):.0f} KiB per change)"
    )
    target = "met" if percentile(ms, 0.95) < 200 else "NOT met"
    print(f"  target p95 < 200 ms: {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--people", type=int, default=20, help="staff whose tokens they use")
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument(
        "--presence-only",
        action="store_true",
        help="subscribe without the people subgraph's fields (no per-event fetch)",
    )
    parser.add_argument("--database-url", default=None, help="postgres://USER@HOST:PORT")
    parser.add_argument("--redis-url", default=None, help="redis://HOST:PORT/DB")
    args = parser.parse_args()
    if args.clients > 200 * args.people:
        raise SystemExit("at most 200 subscriptions per person: raise --people")
    with tempfile.TemporaryDirectory(prefix="yui-bench-subs-") as folder:
        directory = Path(folder)
        with throwaway_database(args.database_url, directory) as database_url:
            env = bench_environment(directory, database_url)
            if args.redis_url:
                env["YUI_REDIS_URL"] = args.redis_url
            setup_django(env)
            world = build_people(args.people, random.Random(11))  # noqa: S311
            print(
                f"Subscriptions through `yui serve` (one process), "
                f"{engine_description()}, channel layer "
                f"{'redis' if args.redis_url else 'in-memory'}, {cpu_count()} cores, "
                f"{load_average()}"
            )
            with yui_serve(env, directory / "serve.log") as url:
                query = SUBSCRIBE_PRESENCE_ONLY if args.presence_only else SUBSCRIBE
                print(f"  {query}")
                asyncio.run(run(url, world.tokens, args.clients, args.changes, query))


if __name__ == "__main__":
    main()
