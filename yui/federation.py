"""Yui's subgraphs federated by the gateway, embedded (in-process) or distributed (HTTP).

Embedded ``yui serve`` composes the supergraph from the subgraphs' SDLs at start-up and
calls their schemas directly. Distributed ``yui gateway`` loads a supergraph file and
reaches each subgraph at its ``join__graph(url:)`` over HTTP with the signed principal.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import weakref
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import orjson
from asgiref.sync import AsyncToSync, ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.template.loader import render_to_string

from gateway.engine import Gateway, Limits
from gateway.executor import RequestContext, Transport
from gateway.limits import DEFAULT_MAX_BODY_BYTES
from gateway.server import GatewayApp
from gateway.supergraph import Graph, Supergraph
from gateway.transports import HttpTransport, InProcessTransport
from subgraphs.audit.origin import CLIENT_ADDRESS_HEADER, sign_client_address
from subgraphs.core.db import arefresh_connections, database_is_up
from subgraphs.core.graphql.errors import SERVICE_UNAVAILABLE, unexpected_error_payload
from yui import edge
from yui.registry import SUBGRAPHS, subgraph_schema, subgraph_sdl

GRAPHQL_PATH = "/graphql"
# Where `yui subgraph NAME` listens by default; the committed supergraph names these URLs.
DEFAULT_PORTS = {name: 4001 + i for i, name in enumerate(SUBGRAPHS)}


def default_url(name: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[name]}/graphql"


def supergraph_sdl(urls: Mapping[str, str] | None = None) -> str:
    """Compose Yui's subgraphs (``schema/supergraph.graphql`` is this with default URLs)."""
    from gateway.composition import SubgraphSource, compose

    urls = urls or {}
    return compose(
        [
            SubgraphSource(
                name=name, url=urls.get(name) or default_url(name), sdl=subgraph_sdl(name)
            )
            for name in SUBGRAPHS
        ]
    )


def graphiql_html(endpoint: str) -> str:
    # The gateway speaks graphql-transport-ws on the same path: GraphiQL runs subscriptions
    # over it (a subgraph's own endpoint has no WebSocket, so its page leaves them out).
    return render_to_string(
        "yui/graphiql.html", {"endpoint": endpoint, "title": "Yui", "subscriptions": True}
    )


class YuiGatewayApp(GatewayApp):
    """The gateway with Yui's edge: what fails outside the subgraphs gets an answer too.

    An exception the gateway does not handle itself (typically the database being down
    while the edge authenticates) becomes a GraphQL error with a code, SERVICE_UNAVAILABLE
    with 503 or INTERNAL with 500 and a reference the log carries, never a bare server
    error page nor the exception's text. ``/health`` reports the database, which the edge
    needs to authenticate anyone.
    """

    in_flight = 0
    reports_database = True

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Each request runs in a context of its own: what the edge binds for it (the
        # language of messages, the audit trail's origin) ends with it, also when the caller
        # shares its context with others (asgiref's async_to_sync copies changes back).
        await asyncio.create_task(
            self._dispatch(scope, receive, send), context=contextvars.copy_context()
        )

    async def _dispatch(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") == "/health":
            await self._health(send)
            return
        if scope["type"] not in {"http", "websocket"}:
            await super().__call__(scope, receive, send)
            return
        if scope["type"] == "http" and not _is_event_stream(scope):
            # Bounded work in flight: past the limit an answer would only come late (the
            # process's cores are busy already), so say so at once, in GraphQL's JSON,
            # with when to come back. Subscriptions (SSE, WebSocket) are long-lived and
            # have their own cap in the gateway.
            if self.in_flight >= settings.GRAPHQL_MAX_IN_FLIGHT:
                await self._overloaded(send)
                return
            self.in_flight += 1
            try:
                async with database_lanes.lane():
                    await self._answer(scope, receive, send)
            finally:
                self.in_flight -= 1
            return
        await self._answer(scope, receive, send)

    async def _overloaded(self, send: Any) -> None:
        retry = settings.GRAPHQL_OVERLOAD_RETRY_SECONDS
        body = orjson.dumps(
            {
                "errors": [
                    {
                        "message": "The server is busy. Try again in a few seconds.",
                        "extensions": {"code": SERVICE_UNAVAILABLE, "retryAfter": retry},
                    }
                ]
            }
        )
        await self._respond(
            send,
            503,
            body,
            "application/json; charset=utf-8",
            [(b"retry-after", str(retry).encode())],
        )

    async def _answer(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = False

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] in {"http.response.start", "websocket.close"}:
                started = True
            await send(message)

        try:
            await super().__call__(scope, receive, watched_send)
        except Exception as exc:
            message, extensions = unexpected_error_payload(exc)
            unavailable = extensions["code"] == SERVICE_UNAVAILABLE
            if started:
                return  # the answer is on its way; the log has the reference
            if scope["type"] == "http":
                body = orjson.dumps({"errors": [{"message": message, "extensions": extensions}]})
                await self._respond(
                    send, 503 if unavailable else 500, body, "application/json; charset=utf-8"
                )
            else:
                # 1013 "try again later" / 1011 "internal error" (RFC 6455); the reason
                # carries the reference (at most 123 bytes).
                with contextlib.suppress(Exception):
                    await send(
                        {
                            "type": "websocket.close",
                            "code": 1013 if unavailable else 1011,
                            "reason": message[:120],
                        }
                    )

    async def _health(self, send: Any) -> None:
        if not self.reports_database:
            await self._respond(send, 200, b'{"status":"ok"}', "application/json")
            return
        up = await sync_to_async(database_is_up)()
        body = orjson.dumps(
            {"status": "ok" if up else "unavailable", "database": "ok" if up else "unavailable"}
        )
        await self._respond(send, 200 if up else 503, body, "application/json")


class DatabaseLanes:
    """Up to ``DB_THREADS`` requests' database work at once, each on a thread of its own.

    ``sync_to_async`` is thread-sensitive by default, and the gateway path is no Django
    request: without this every ORM call of the process (authentication, every in-process
    subgraph's resolvers) queued for one thread. Each GraphQL request over HTTP now takes a
    lane (a one-thread executor kept for the process, so its database connection is kept
    too) for its thread-sensitive calls; requests beyond the lanes wait for one. One
    request's calls stay on one thread, as Django's ASGI handler keeps them.

    What runs in parallel is what leaves the GIL: waiting for PostgreSQL, SQLite's own
    work; SQLite's writes still take turns (IMMEDIATE transactions, busy timeout).
    Subscriptions (long-lived) stay on the shared thread. Code already inside
    ``async_to_sync`` from a sync thread (a test holding its transaction on the main
    thread) keeps using that thread, or it could not see its own uncommitted rows.
    """

    def __init__(self) -> None:
        # Per event loop (a server has one; each test its own), since a queue belongs to one.
        self._free: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Queue[ThreadPoolExecutor]
        ] = weakref.WeakKeyDictionary()

    def _lanes(self) -> asyncio.Queue[ThreadPoolExecutor]:
        loop = asyncio.get_running_loop()
        free = self._free.get(loop)
        if free is None:
            free = self._free[loop] = asyncio.Queue()
            for n in range(settings.DB_THREADS):
                free.put_nowait(ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"yui-db-{n}"))
        return free

    @contextlib.asynccontextmanager
    async def lane(self) -> AsyncIterator[None]:
        if settings.DB_THREADS < 1 or getattr(AsyncToSync.executors, "current", None):
            yield
            return
        free = self._lanes()
        executor = await free.get()
        try:
            async with ThreadSensitiveContext(executor=executor):
                yield
        finally:
            free.put_nowait(executor)


database_lanes = DatabaseLanes()


def _is_event_stream(scope: dict[str, Any]) -> bool:
    return any(
        name == b"accept" and b"text/event-stream" in value
        for name, value in scope.get("headers") or ()
    )


class YuiInProcessTransport(InProcessTransport):
    """In-process subgraph calls replace a connection that failed before they start.

    ``edge.authenticate`` does so for each request; a WebSocket's later operations come
    through here only (one connection, many operations).
    """

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        await arefresh_connections(health_check=False)
        return await super().execute(graph, document, variables, context)

    async def subscribe(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        await arefresh_connections(health_check=False)
        async for event in super().subscribe(graph, document, variables, context):
            yield event


@lru_cache(maxsize=1)
def embedded_app() -> GatewayApp:
    transports = {
        name: YuiInProcessTransport(subgraph_schema(name), edge.subgraph_context)
        for name in SUBGRAPHS
    }
    gateway = Gateway(supergraph_sdl(), transports)
    return YuiGatewayApp(
        gateway, path=GRAPHQL_PATH, authenticate=edge.authenticate, graphiql_html=graphiql_html
    )


def is_yui_supergraph(supergraph: Supergraph) -> bool:
    """Whether a supergraph is Yui's own: every subgraph it names is one of Yui's."""
    names = {graph.name for graph in supergraph.graphs.values()}
    return bool(names) and names <= set(SUBGRAPHS)


def _subgraph_headers(request_context: RequestContext) -> dict[str, str]:
    """The signed principal, and the client's language for the subgraph's own messages."""
    headers = dict(edge.signed_principal_headers(request_context))
    language = request_context.extra.get("language")
    if language:
        headers["Accept-Language"] = language
    address = request_context.extra.get("address")
    if address:
        headers[CLIENT_ADDRESS_HEADER] = sign_client_address(address)
    return headers


def distributed_app(
    supergraph: str,
    url_overrides: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    limits: Limits | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> GatewayApp:
    parsed = Supergraph(supergraph)
    # Yui's own services take a signed principal per operation: all subscriptions of this
    # process share one WebSocket per subgraph (gateway.transports, yui.subgraph_service).
    multiplex = is_yui_supergraph(parsed)
    transports: dict[str, Transport] = {
        graph.name: HttpTransport(
            (url_overrides or {}).get(graph.name) or graph.url,
            timeout=timeout,
            headers_factory=_subgraph_headers,
            multiplex=multiplex,
        )
        for graph in parsed.graphs.values()
    }
    gateway = Gateway(parsed, transports, limits=limits)
    app = YuiGatewayApp(
        gateway,
        path=GRAPHQL_PATH,
        authenticate=edge.authenticate,
        graphiql_html=graphiql_html,
        max_body_bytes=max_body_bytes,
    )
    # A gateway for another organisation's supergraph needs Yui's database only when a
    # Yui credential arrives; its health is its own, and it leaves no database behind.
    app.reports_database = is_yui_supergraph(parsed)
    return app
