"""A small HTTP/1.1 client for subgraph calls: pooled keep-alive connections, timeouts.

The gateway's hot path is "POST a JSON body to a known subgraph, read a JSON body back",
thousands of times a second. General-purpose clients spend more time in their own
machinery than on the wire for that; this one does only what the hot path needs
(Content-Length and chunked bodies, keep-alive, TLS through ssl contexts).
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit


class HttpError(Exception):
    """The request did not produce an HTTP response."""


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str
    port: int


class _Connection:
    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.close()


class HttpClient:
    def __init__(self, timeout: float = 10.0, max_idle_per_origin: int = 64):
        self.timeout = timeout
        self.max_idle = max_idle_per_origin
        self._idle: dict[_Origin, deque[_Connection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ssl = ssl.create_default_context()

    async def aclose(self) -> None:
        for pool in self._idle.values():
            while pool:
                pool.pop().close()

    async def _connect(self, origin: _Origin) -> _Connection:
        reader, writer = await asyncio.open_connection(
            origin.host,
            origin.port,
            ssl=self._ssl if origin.scheme == "https" else None,
            limit=2**20,
        )
        return _Connection(reader, writer)

    async def post(
        self, url: str, body: bytes, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        parts = urlsplit(url)
        scheme = parts.scheme or "http"
        origin = _Origin(
            scheme, parts.hostname or "127.0.0.1", parts.port or (443 if scheme == "https" else 80)
        )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [
            f"POST {target} HTTP/1.1",
            f"Host: {parts.netloc}",
            f"Content-Length: {len(body)}",
            "Connection: keep-alive",
        ]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(origin, request)
        except TimeoutError as exc:
            raise TimeoutError(f"no answer within {self.timeout:g} s") from exc

    async def _exchange(self, origin: _Origin, request: bytes) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # Connections belong to the event loop that opened them (tests run one loop
            # per test; a server has one for its lifetime).
            self._idle = {}
            self._loop = loop
        pool = self._idle.setdefault(origin, deque())
        while pool:
            connection = pool.pop()
            try:
                return await self._send(origin, connection, request, pool)
            except _StaleConnection:
                # The server closed an idle connection before we used it: nothing of the
                # request reached a handler, so sending it again on a new one is safe.
                connection.close()
                continue
        try:
            connection = await self._connect(origin)
        except OSError as exc:
            raise HttpError(f"cannot connect to {origin.host}:{origin.port}: {exc}") from exc
        try:
            return await self._send(origin, connection, request, pool)
        except _StaleConnection as exc:
            raise HttpError("the server closed the connection without answering") from exc

    async def _send(
        self, origin: _Origin, connection: _Connection, request: bytes, pool: deque[_Connection]
    ) -> tuple[int, bytes]:
        reader, writer = connection.reader, connection.writer
        try:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _StaleConnection() from exc
            connection.close()
            raise HttpError("truncated response head") from exc
        except (ConnectionError, OSError) as exc:
            raise _StaleConnection() from exc
        except asyncio.LimitOverrunError as exc:
            connection.close()
            raise HttpError("response head too large") from exc
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError) as exc:
            connection.close()
            raise HttpError(f"not an HTTP response: {lines[0][:80]!r}") from exc
        length = None
        chunked = False
        keep_alive = True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            lowered = name.strip().lower()
            if lowered == "content-length":
                length = int(value.strip())
            elif lowered == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif lowered == "connection" and "close" in value.lower():
                keep_alive = False
        try:
            if chunked:
                body = await self._read_chunked(reader)
            elif length is not None:
                body = await reader.readexactly(length)
            else:
                body = await reader.read()
                keep_alive = False
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            connection.close()
            raise HttpError("connection lost while reading the response") from exc
        if keep_alive and len(pool) < self.max_idle:
            pool.append(connection)
        else:
            connection.close()
        return status, body

    async def _read_chunked(self, reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)


class _StaleConnection(Exception):
    pass
