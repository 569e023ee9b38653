"""Mock subgraphs that answer far faster than any gateway: memoized responses by request body.

``python -m benchmarks.gateway.mock [--host 127.0.0.1] [--log-misses]`` serves every subgraph of
``subgraphs.py`` on its own port (``subgraphs.PORTS``), from one process.

Each gateway sends its own (but, for a given operation, always the same) query text and
variables, so the response is keyed by the exact request body: the first time a body is
seen it is executed against the real Strawberry schema (``execute_sync``) and the whole HTTP
response is kept as bytes; after that a request costs a dict look-up and one write.

The HTTP/1.1 server is a bare ``asyncio.Protocol`` (on uvloop when installed) that parses
only what it needs: the request line, ``Content-Length`` (or a chunked body),
``Connection: close`` and ``Expect: 100-continue``. Keep-alive and pipelining work.
``GET /stats`` answers ``{"hits": .., "misses": .., "entries": ..}``; any other ``GET`` is a
health check.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import signal
from typing import Any

from benchmarks.gateway.subgraphs import PORTS, SCHEMAS

MAX_ENTRIES = 10_000
MAX_HEADER_BYTES = 64 * 1024


def http_response(
    body: bytes, status: str = "200 OK", content_type: bytes = b"application/json"
) -> bytes:
    return (
        b"HTTP/1.1 "
        + status.encode()
        + b"\r\nContent-Type: "
        + content_type
        + b"\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: keep-alive\r\n\r\n"
        + body
    )


class Stats:
    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0


class Subgraph:
    """One subgraph's schema and its response cache (body bytes -> response bytes)."""

    def __init__(self, name: str, stats: Stats, log_misses: bool = False):
        self.name = name
        self.log_misses = log_misses
        self.schema = SCHEMAS[name]
        self.cache: dict[bytes, bytes] = {}
        self.stats = stats

    def respond(self, body: bytes) -> bytes:
        cached = self.cache.get(body)
        if cached is not None:
            self.stats.hits += 1
            return cached
        self.stats.misses += 1
        response = self.execute(body)
        if self.log_misses:
            print(f"miss {self.name}: {body.decode(errors='replace')}", flush=True)
        if len(self.cache) >= MAX_ENTRIES:
            self.cache.clear()
        self.cache[body] = response
        return response

    def execute(self, body: bytes) -> bytes:
        try:
            request = json.loads(body)
            query = request["query"]
        except (ValueError, KeyError, TypeError):
            payload = json.dumps({"errors": [{"message": "not a GraphQL request"}]}).encode()
            return http_response(payload, "400 Bad Request")
        result = self.schema.execute_sync(
            query,
            variable_values=request.get("variables") or None,
            operation_name=request.get("operationName") or None,
        )
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [error.formatted for error in result.errors]
        return http_response(json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode())


def _dechunk(buf: bytearray | bytes, start: int) -> tuple[bytes, int] | None:
    """A chunked body starting at ``start``: (body, end offset), or None if incomplete."""
    parts: list[bytes] = []
    pos = start
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buf[pos:line_end]).split(b";", 1)[0], 16)
        pos = line_end + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n\r\n", pos - 2)
            if trailer_end < 0:
                return None
            return b"".join(parts), trailer_end + 4
        if len(buf) < pos + size + 2:
            return None
        parts.append(bytes(buf[pos : pos + size]))
        pos += size + 2


class HttpProtocol(asyncio.Protocol):
    def __init__(self, subgraph: Subgraph):
        self.subgraph = subgraph
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.continued = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.buf:
            self.buf += data
            buf: bytes | bytearray = self.buf
        else:
            buf = data
        out: list[bytes] = []
        close = False
        pos = 0
        while True:
            head_end = buf.find(b"\r\n\r\n", pos)
            if head_end < 0:
                if len(buf) - pos > MAX_HEADER_BYTES:
                    close = True
                    out.append(
                        http_response(
                            b"header too large",
                            "431 Request Header Fields Too Large",
                            b"text/plain",
                        )
                    )
                break
            head = bytes(buf[pos:head_end]).lower()
            body_start = head_end + 4
            if head.startswith(b"get "):
                out.append(self.get(head))
                pos = body_start
            else:
                if b"transfer-encoding: chunked" in head:
                    chunked = _dechunk(buf, body_start)
                    if chunked is None:
                        break
                    body, end = chunked
                else:
                    i = head.find(b"content-length:")
                    length = 0
                    if i >= 0:
                        j = head.find(b"\r\n", i)
                        length = int(head[i + 15 : j if j >= 0 else len(head)])
                    end = body_start + length
                    if len(buf) < end:
                        if not self.continued and b"expect: 100-continue" in head:
                            self.continued = True
                            out.append(b"HTTP/1.1 100 Continue\r\n\r\n")
                        break
                    body = bytes(buf[body_start:end])
                self.continued = False
                out.append(self.subgraph.respond(body))
                pos = end
            if b"connection: close" in head:
                close = True
                break
        if pos:
            self.buf = bytearray(buf[pos:]) if pos < len(buf) else bytearray()
        elif buf is data:
            self.buf = bytearray(data)
        assert self.transport is not None
        if out:
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if close:
            self.transport.close()

    def get(self, head: bytes) -> bytes:
        if head.startswith(b"get /stats "):
            stats = self.subgraph.stats
            entries = sum(len(s.cache) for s in SUBGRAPHS.values())
            payload = {"hits": stats.hits, "misses": stats.misses, "entries": entries}
            return http_response(json.dumps(payload).encode())
        return http_response(b'{"ok":true}')


SUBGRAPHS: dict[str, Subgraph] = {}


async def serve(host: str, log_misses: bool = False) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats()
    servers = []
    for name, port in PORTS.items():
        subgraph = SUBGRAPHS[name] = Subgraph(name, stats, log_misses)
        server = await loop.create_server(
            functools.partial(HttpProtocol, subgraph), host, port, reuse_address=True, backlog=1024
        )
        servers.append(server)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        "mock subgraphs ready: " + ", ".join(f"{n}={host}:{p}" for n, p in PORTS.items()),
        flush=True,
    )
    await stop.wait()
    for server in servers:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--log-misses", action="store_true", help="print each new request body")
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(args.host, args.log_misses))
    else:
        uvloop.run(serve(args.host, args.log_misses))


if __name__ == "__main__":
    main()
