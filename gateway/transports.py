"""How the gateway reaches subgraphs: in-process (embedded), HTTP, WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import orjson

from gateway.executor import RequestContext, SubgraphUnavailable
from gateway.http_client import HttpClient, HttpError
from gateway.supergraph import Graph

logger = logging.getLogger("gateway")


def format_error(error: Any) -> dict[str, Any]:
    """A graphql-core error as the JSON a subgraph would send over HTTP."""
    formatted = getattr(error, "formatted", None)
    if isinstance(formatted, dict):
        return formatted
    return {"message": str(error)}


class InProcessTransport:
    """Calls a Strawberry (or any graphql-core based) schema in this process: no HTTP hop.

    ``context_factory(request_context)`` builds the subgraph's context for each call, e.g.
    Yui's context carrying the principal as an object (DESIGN rule 4). A context with a
    ``close()`` method is closed once a query or mutation has answered: graphql-core's
    execution leaves its context in a reference cycle, so whatever the context still holds
    (Yui's DataLoaders and every row they read) would otherwise wait for the cycle
    collector instead of being freed at once.
    """

    def __init__(self, schema: Any, context_factory: Callable[[RequestContext], Any] | None = None):
        self.schema = schema
        self.context_factory = context_factory

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        ctx = self.context_factory(context) if self.context_factory else None
        try:
            result = await self.schema.execute(
                document, variable_values=variables, context_value=ctx
            )
        finally:
            close = getattr(ctx, "close", None)
            if callable(close):
                close()
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [format_error(e) for e in result.errors]
        return response

    async def subscribe(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        ctx = self.context_factory(context) if self.context_factory else None
        results = await self.schema.subscribe(
            document, variable_values=variables, context_value=ctx
        )
        if not hasattr(results, "__aiter__"):
            response: dict[str, Any] = {"data": results.data}
            if results.errors:
                response["errors"] = [format_error(e) for e in results.errors]
            yield response
            return
        async for result in results:
            response = {"data": result.data}
            if result.errors:
                response["errors"] = [format_error(e) for e in result.errors]
            yield response


class HttpTransport:
    """POSTs to a subgraph over pooled keep-alive connections, with a timeout.

    ``headers_factory(request_context)`` adds per-request headers, e.g. Yui's signed
    principal header.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        timeout: float = 10.0,
        client: HttpClient | None = None,
        headers_factory: Callable[[RequestContext], Mapping[str, str]] | None = None,
        multiplex: bool = False,
    ):
        self.url = url
        self.timeout = timeout
        self.headers_factory = headers_factory
        self.client = client or HttpClient(timeout=timeout)
        # One WebSocket for every subscription of this process (see ``_SharedSocket``):
        # only for subgraphs that take a principal per operation (Yui's own services).
        self.multiplex = multiplex
        self._shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SharedSocket] = (
            weakref.WeakKeyDictionary()
        )
        self._opening: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        # The last failure to open it: subscribers that waited for that attempt share its
        # answer instead of each trying (and timing out) in turn.
        self._failed: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[float, SubgraphUnavailable]
        ] = weakref.WeakKeyDictionary()

    async def aclose(self) -> None:
        await self.client.aclose()
        for shared in list(self._shared.values()):
            await shared.close()

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        url = self.url or graph.url
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.headers_factory:
            headers.update(self.headers_factory(context))
        body = orjson.dumps({"query": document, "variables": variables})
        try:
            status, raw = await self.client.post(url, body, headers)
        except TimeoutError as exc:
            raise SubgraphUnavailable(f"timed out after {self.timeout:g} s", graph.name) from exc
        except HttpError as exc:
            # The detail names the subgraph's internal address: the log has it, clients not.
            logger.warning("Subgraph %s at %s: %s", graph.name, url, exc)
            raise SubgraphUnavailable("no answer", graph.name) from exc
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise SubgraphUnavailable(f"HTTP {status}, not a GraphQL response", graph.name) from exc
        if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
            raise SubgraphUnavailable(f"HTTP {status}, not a GraphQL response", graph.name)
        return payload

    def subscribe(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        if self.multiplex:
            return self._subscribe_shared(graph, document, variables, context)
        return self._subscribe_own(graph, document, variables, context)

    def _ws_url(self, graph: Graph) -> str:
        return (self.url or graph.url).replace("http://", "ws://").replace("https://", "wss://")

    async def _shared_socket(self, graph: Graph) -> _SharedSocket:
        """This process's open connection to the subgraph, opened on first use (one
        opening at a time: clients subscribing together wait for the same one)."""
        loop = asyncio.get_running_loop()
        lock = self._opening.setdefault(loop, asyncio.Lock())
        asked = loop.time()
        async with lock:
            shared = self._shared.get(loop)
            if shared is None or shared.closed:
                failed = self._failed.get(loop)
                if failed is not None and failed[0] >= asked:
                    raise SubgraphUnavailable(str(failed[1]), graph.name)
                connection_headers = (
                    dict(self.headers_factory(RequestContext())) if self.headers_factory else {}
                )
                shared = _SharedSocket(graph.name, self._ws_url(graph), self.timeout)
                try:
                    await shared.open(connection_headers)
                except SubgraphUnavailable as exc:
                    self._failed[loop] = (loop.time(), exc)
                    raise
                self._shared[loop] = shared
            return shared

    async def _subscribe_shared(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        """A subscription as one operation of the shared connection; the client's own
        headers (its signed principal) travel in ``payload.extensions.headers``.

        The same ends as ``_subscribe_own``: the subgraph's ``complete`` or ``error`` end
        it; a lost connection (a subgraph that died or restarted) raises
        ``SubgraphUnavailable`` in every operation it carried, and the next subscription
        opens a new one. A client that leaves ends only its operation (``complete``);
        the connection closes when its last operation has ended.
        """
        shared = await self._shared_socket(graph)
        op_id, inbox = shared.start()
        completed = False
        try:
            headers = dict(self.headers_factory(context)) if self.headers_factory else {}
            payload = {
                "query": document,
                "variables": variables,
                "extensions": {"headers": headers},
            }
            await shared.send({"id": op_id, "type": "subscribe", "payload": payload})
            while True:
                message = await inbox.get()
                if message is None:
                    raise shared.unavailable("the subscription's connection was lost")
                kind = message.get("type")
                if kind == "next":
                    yield message.get("payload") or {}
                elif kind == "error":
                    completed = True
                    yield {"data": None, "errors": message.get("payload") or []}
                    return
                elif kind == "complete":
                    completed = True
                    return
        finally:
            await shared.finish(op_id, tell_subgraph=not completed)

    async def _subscribe_own(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        """Subscriptions over ``graphql-transport-ws`` to the subgraph's URL, a connection
        per subscription.

        Whatever ends the stream other than the subgraph's ``complete`` or ``error`` (it
        cannot be reached, does not acknowledge in time, or its connection drops: a
        subgraph that died or restarted) raises ``SubgraphUnavailable`` at once, so the
        client hears of it and may subscribe again.
        """
        import websockets

        url = (self.url or graph.url).replace("http://", "ws://").replace("https://", "wss://")
        headers = dict(self.headers_factory(context)) if self.headers_factory else {}

        def unavailable(reason: str, exc: BaseException | None = None) -> SubgraphUnavailable:
            logger.warning(
                "Subscription to subgraph %s at %s: %s (%r)", graph.name, url, reason, exc
            )
            return SubgraphUnavailable(reason, graph.name)

        try:
            async with asyncio.timeout(self.timeout):
                socket = await websockets.connect(
                    url,
                    subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    additional_headers=headers,
                    # Ending a subscription waits for the close handshake; a subgraph
                    # that is gone must not hold its client's connection for long.
                    close_timeout=2,
                )
        except TimeoutError as exc:
            raise unavailable(f"no WebSocket within {self.timeout:g} s", exc) from exc
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            raise unavailable("cannot open a WebSocket", exc) from exc
        try:
            try:
                await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
                ack = json.loads(await asyncio.wait_for(socket.recv(), self.timeout))
            except TimeoutError as exc:
                raise unavailable(f"no connection_ack within {self.timeout:g} s", exc) from exc
            if not isinstance(ack, dict) or ack.get("type") != "connection_ack":
                raise unavailable("the WebSocket was not acknowledged")
            await socket.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": document, "variables": variables},
                    }
                )
            )
            async for raw in socket:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    yield message.get("payload") or {}
                elif kind == "error":
                    yield {"data": None, "errors": message.get("payload") or []}
                    return
                elif kind == "complete":
                    return
                elif kind == "ping":
                    await socket.send(json.dumps({"type": "pong"}))
            raise unavailable("the subscription's connection closed before it completed")
        except websockets.exceptions.ConnectionClosed as exc:
            raise unavailable("the subscription's connection was lost", exc) from exc
        except ValueError as exc:  # not JSON
            raise unavailable("the subgraph sent an invalid message", exc) from exc
        finally:
            await socket.close()


class _SharedSocket:
    """One ``graphql-transport-ws`` connection to a subgraph carrying many operations.

    A reader task hands each message to the inbox of its operation's id; answers the
    subgraph's pings; and, when the connection ends, puts ``None`` into every inbox (the
    operations raise ``SubgraphUnavailable``) and marks itself closed so the next
    subscription opens a new connection.
    """

    def __init__(self, service: str, url: str, timeout: float):
        self.service = service
        self.url = url
        self.timeout = timeout
        self.socket: Any = None
        self.inboxes: dict[str, asyncio.Queue[dict[str, Any] | None]] = {}
        self.ids = itertools.count(1)
        self.closed = False
        self.reader: asyncio.Task[None] | None = None

    def unavailable(self, reason: str, exc: BaseException | None = None) -> SubgraphUnavailable:
        logger.warning(
            "Shared subscription connection to subgraph %s at %s: %s (%r)",
            self.service,
            self.url,
            reason,
            exc,
        )
        return SubgraphUnavailable(reason, self.service)

    async def open(self, headers: dict[str, str]) -> None:
        import websockets

        try:
            async with asyncio.timeout(self.timeout):
                self.socket = await websockets.connect(
                    self.url,
                    subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    additional_headers=headers,
                    close_timeout=2,
                    # Events of all the process's subscriptions share this connection: no
                    # per-message limit below the subgraph's own.
                    max_queue=None,
                )
                await self.socket.send(json.dumps({"type": "connection_init", "payload": {}}))
                ack = json.loads(await self.socket.recv())
        except TimeoutError as exc:
            await self.close()
            raise self.unavailable(f"no connection_ack within {self.timeout:g} s", exc) from exc
        except (OSError, ValueError, websockets.exceptions.WebSocketException) as exc:
            await self.close()
            raise self.unavailable("cannot open a WebSocket", exc) from exc
        if not isinstance(ack, dict) or ack.get("type") != "connection_ack":
            await self.close()
            raise self.unavailable("the WebSocket was not acknowledged")
        self.reader = asyncio.ensure_future(self._read())

    def start(self) -> tuple[str, asyncio.Queue[dict[str, Any] | None]]:
        op_id = str(next(self.ids))
        inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.inboxes[op_id] = inbox
        return op_id, inbox

    async def send(self, message: dict[str, Any]) -> None:
        import websockets

        try:
            await self.socket.send(json.dumps(message))
        except websockets.exceptions.ConnectionClosed as exc:
            raise self.unavailable("the subscription's connection was lost", exc) from exc

    async def finish(self, op_id: str, *, tell_subgraph: bool) -> None:
        """The operation has ended on the client's side: the subgraph stops it (unless it
        ended it itself), and the connection closes when it carried the last one."""
        self.inboxes.pop(op_id, None)
        if tell_subgraph and not self.closed:
            with contextlib.suppress(Exception):
                await self.socket.send(json.dumps({"id": op_id, "type": "complete"}))
        if not self.inboxes:
            await self.close()

    async def close(self) -> None:
        self.closed = True
        if self.reader is not None and self.reader is not asyncio.current_task():
            self.reader.cancel()
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()

    async def _read(self) -> None:
        import websockets

        try:
            async for raw in self.socket:
                message = json.loads(raw)
                if not isinstance(message, dict):
                    raise ValueError("not a message")
                kind = message.get("type")
                if kind == "ping":
                    await self.socket.send(json.dumps({"type": "pong"}))
                    continue
                inbox = self.inboxes.get(str(message.get("id")))
                if inbox is not None:
                    inbox.put_nowait(message)
        except websockets.exceptions.ConnectionClosed as exc:
            logger.warning("Subgraph %s closed the shared connection: %r", self.service, exc)
        except ValueError as exc:
            logger.warning("Subgraph %s sent an invalid message: %r", self.service, exc)
        finally:
            self.closed = True
            for inbox in self.inboxes.values():
                inbox.put_nowait(None)
            with contextlib.suppress(Exception):
                await self.socket.close()
