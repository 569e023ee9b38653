"""Serving a ``Gateway`` over ASGI: GraphQL over HTTP, WebSocket and SSE.

- HTTP (GraphQL over HTTP): POST ``application/json``; GET for queries only (a mutation
  over GET is 405); responses as ``application/graphql-response+json`` when the client
  accepts it (request errors then get 400) or ``application/json`` (200).
- WebSocket: the ``graphql-transport-ws`` protocol, queries, mutations and subscriptions.
- SSE: POST with ``Accept: text/event-stream`` streams ``next`` events and ``complete``
  (the "distinct connections" mode of GraphQL over SSE).
- ``GET`` with ``Accept: text/html``: a GraphiQL page whose assets the integrator serves.
- ``/health``.

The integrator decides who is asking: ``authenticate(request) -> RequestContext`` may
raise ``Unauthorized`` (401), ``Forbidden`` (403) or ``gateway.limits.RateLimited`` (429
with ``Retry-After``; a WebSocket is closed with 4429).

Long-lived streams are bounded: subscriptions are capped per WebSocket connection and per
person (``subscriber(request, context)`` says who that is) across the connections of this
process; an SSE stream sends a keep-alive comment every ``keepalive_seconds`` and ends
when its client disconnects; a WebSocket gets a ``ping`` every ``keepalive_seconds`` and
is closed when nothing came back for as long. ``begin_shutdown()`` ends every open stream
(``serve()`` calls it when the server is asked to stop), so a server stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

from gateway import observability
from gateway.engine import Gateway, GatewayResponse
from gateway.executor import RequestContext, SubgraphUnavailable
from gateway.limits import DEFAULT_MAX_BODY_BYTES, RateLimited

logger = logging.getLogger("gateway")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MULTIPART = "multipart/mixed"  # incremental delivery of @defer (gateway.defer)
BOUNDARY = b"graphql"
SUBPROTOCOL = "graphql-transport-ws"


class Unauthorized(Exception):
    """Credentials were presented and are invalid."""


class Forbidden(Exception):
    """The request is refused (e.g. a failed CSRF check)."""


@dataclass
class IncomingRequest:
    """What ``authenticate`` sees of a request or a WebSocket connection."""

    scope: dict[str, Any]
    method: str
    headers: dict[str, str]
    init_payload: dict[str, Any] = field(default_factory=dict)  # WebSocket connection_init

    @property
    def is_websocket(self) -> bool:
        return self.scope["type"] == "websocket"


Authenticate = Callable[[IncomingRequest], Awaitable[RequestContext]]


async def anonymous(request: IncomingRequest) -> RequestContext:
    return RequestContext(headers=request.headers)


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers") or ():
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _accepts(accept: str, media: str) -> bool:
    return any(part.split(";")[0].strip() in {media, "*/*"} for part in accept.split(","))


def _dumps(payload: Any) -> bytes:
    return orjson.dumps(payload)


def _dumps_text(payload: Any) -> str:
    """A WebSocket text frame's or an SSE event's JSON (orjson writes UTF-8 as it is, as
    ``ensure_ascii=False`` did, in a fraction of the time: a change of presence writes one
    per subscriber)."""
    return orjson.dumps(payload).decode()


Subscriber = Callable[[IncomingRequest, RequestContext], Hashable]


def default_subscriber(request: IncomingRequest, context: RequestContext) -> Hashable:
    """Who a subscription counts against for the per-person cap: the signed-in person
    (a principal with ``person_id``), else the client's address.

    Anonymous clients are counted per address rather than all together, so one anonymous
    client cannot use up the budget of every other one.
    """
    principal = context.principal
    person = getattr(principal, "person_id", None)
    if person is not None:
        return ("person", getattr(principal, "tenant_id", None), person)
    client = request.scope.get("client")
    return ("address", client[0] if client else None)


def _error_entry(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extensions}}


def stream_failure(exc: BaseException) -> list[dict[str, Any]]:
    """The errors a client gets when its operation's stream fails: a subgraph that went
    away is named; anything else is ``INTERNAL`` with a reference the log carries."""
    if isinstance(exc, SubgraphUnavailable):
        extra = {"serviceName": exc.service} if exc.service else {}
        name = f"Subgraph {exc.service}" if exc.service else "A subgraph"
        return [_error_entry(f"{name} is unavailable: {exc}", "SUBREQUEST_HTTP_ERROR", **extra)]
    reference = uuid.uuid4().hex[:12]
    logger.error("An operation failed (reference %s)", reference, exc_info=exc)
    return [
        _error_entry(
            f"Internal server error (reference {reference}).", "INTERNAL", reference=reference
        )
    ]


def _log_task_failure(task: asyncio.Task[Any]) -> None:
    """Done-callback of background tasks: an exception nobody awaits is logged, never lost
    (asyncio would only say "Task exception was never retrieved" when it is collected)."""
    if not task.cancelled() and task.exception() is not None:
        logger.error("A background task failed", exc_info=task.exception())


class GatewayApp:
    """An ASGI application serving one ``Gateway``."""

    def __init__(
        self,
        gateway: Gateway,
        *,
        path: str = "/graphql",
        authenticate: Authenticate = anonymous,
        graphiql_html: Callable[[str], str] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        keepalive_seconds: float = 15.0,
        connection_init_timeout: float = 10.0,
        extra_headers: dict[str, str] | None = None,
        max_subscriptions_per_connection: int = 100,
        max_subscriptions_per_person: int = 200,
        subscriber: Subscriber = default_subscriber,
    ):
        self.gateway = gateway
        self.path = path.rstrip("/") or "/"
        self.authenticate = authenticate
        self.graphiql_html = graphiql_html
        self.max_body_bytes = max_body_bytes
        self.keepalive_seconds = keepalive_seconds
        self.connection_init_timeout = connection_init_timeout
        self.extra_headers = [(k.encode(), v.encode()) for k, v in (extra_headers or {}).items()]
        self.max_subscriptions_per_connection = max_subscriptions_per_connection
        self.max_subscriptions_per_person = max_subscriptions_per_person
        self.subscriber = subscriber
        # Open subscriptions (WebSocket and SSE) of each subscriber in this process.
        self.subscriptions: dict[Hashable, int] = {}
        self.stopping = False
        self._stop_events: dict[asyncio.AbstractEventLoop, asyncio.Event] = {}

    # --- limits and shutdown -------------------------------------------------------------

    def acquire_subscription(self, who: Hashable) -> bool:
        """Count one more open subscription of ``who``, unless that exceeds the cap."""
        count = self.subscriptions.get(who, 0)
        if count >= self.max_subscriptions_per_person:
            return False
        self.subscriptions[who] = count + 1
        return True

    def release_subscription(self, who: Hashable) -> None:
        count = self.subscriptions.get(who, 0) - 1
        if count > 0:
            self.subscriptions[who] = count
        else:
            self.subscriptions.pop(who, None)

    def person_limit_error(self) -> dict[str, Any]:
        return _error_entry(
            f"Too many open subscriptions: at most {self.max_subscriptions_per_person} "
            "per person. End one before starting another.",
            "MAX_SUBSCRIPTIONS_EXCEEDED",
        )

    def stop_event(self) -> asyncio.Event:
        """Set when the server stops (one event per event loop: tests run several)."""
        loop = asyncio.get_running_loop()
        event = self._stop_events.get(loop)
        if event is None:
            for old in [known for known in self._stop_events if known.is_closed()]:
                del self._stop_events[old]
            event = self._stop_events[loop] = asyncio.Event()
            if self.stopping:
                event.set()
        return event

    def begin_shutdown(self) -> None:
        """End every open SSE stream and WebSocket: the server is stopping. Call it from
        the event loop (``serve()`` does, before waiting for connections to close)."""
        self.stopping = True
        for event in self._stop_events.values():
            event.set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for transport in self.gateway.transports.values():
                    closer = getattr(transport, "aclose", None)
                    if closer is not None:
                        await closer()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- HTTP ----------------------------------------------------------------------------

    async def _respond(
        self,
        send: Any,
        status: int,
        body: bytes,
        content_type: str,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                    *self.extra_headers,
                    *(headers or []),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _error(
        self,
        send: Any,
        status: int,
        message: str,
        code: str,
        media: str = JSON,
        headers: Any = None,
    ) -> None:
        body = _dumps({"errors": [{"message": message, "extensions": {"code": code}}]})
        await self._respond(send, status, body, f"{media}; charset=utf-8", headers)

    async def _read_body(self, receive: Any) -> bytes | None:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope["path"].rstrip("/") or "/"
        method = scope["method"]
        if path == "/health":
            await self._respond(send, 200, b'{"status":"ok"}', JSON)
            return
        if path == "/metrics":
            await observability.metrics_endpoint(scope, send)
            return
        if path != self.path:
            await self._respond(send, 404, b'{"errors":[{"message":"Not found"}]}', JSON)
            return
        headers = _headers(scope)
        accept = headers.get("accept", "")
        media = GRAPHQL_RESPONSE if (not accept or _accepts(accept, GRAPHQL_RESPONSE)) else JSON
        if accept and not _accepts(accept, GRAPHQL_RESPONSE) and _accepts(accept, JSON):
            media = JSON
        if (
            method == "GET"
            and "text/html" in accept
            and not scope.get("query_string")
            and self.graphiql_html
        ):
            html = self.graphiql_html(self.path).encode()
            await self._respond(send, 200, html, "text/html; charset=utf-8")
            return
        if method not in {"GET", "POST"}:
            await self._error(
                send,
                405,
                "Use GET or POST.",
                "METHOD_NOT_ALLOWED",
                media,
                [(b"allow", b"GET, POST")],
            )
            return
        if method == "POST":
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in {JSON, GRAPHQL_RESPONSE, ""}:
                await self._error(
                    send, 415, "Send application/json.", "UNSUPPORTED_MEDIA_TYPE", media
                )
                return
            body = await self._read_body(receive)
            if body is None:
                await self._error(
                    send,
                    413,
                    f"The request body exceeds {self.max_body_bytes} bytes.",
                    "PAYLOAD_TOO_LARGE",
                    media,
                )
                return
            try:
                params = orjson.loads(body or b"null")
            except orjson.JSONDecodeError:
                await self._error(send, 400, "The body is not valid JSON.", "BAD_REQUEST", media)
                return
            if not isinstance(params, dict):
                await self._error(
                    send,
                    400,
                    "Batched or non-object bodies are not supported.",
                    "BAD_REQUEST",
                    media,
                )
                return
        else:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            params = {k: v[0] for k, v in query.items()}
            for name in ("variables", "extensions"):
                if name in params:
                    try:
                        params[name] = json.loads(params[name])
                    except ValueError:
                        await self._error(
                            send, 400, f"{name} is not valid JSON.", "BAD_REQUEST", media
                        )
                        return
        query_text = params.get("query")
        variables = params.get("variables")
        operation_name = params.get("operationName")
        extensions = params.get("extensions")
        if isinstance(params.get("documentId"), str) and isinstance(extensions, dict | None):
            # GraphQL over HTTP's persisted documents: a document id instead of the query.
            extensions = {**(extensions or {}), "documentId": params["documentId"]}
        if (
            (query_text is not None and not isinstance(query_text, str))
            or (variables is not None and not isinstance(variables, dict))
            or (operation_name is not None and not isinstance(operation_name, str))
            or (extensions is not None and not isinstance(extensions, dict))
        ):
            await self._error(
                send,
                400,
                "query, variables, operationName or extensions have the wrong type.",
                "BAD_REQUEST",
                media,
            )
            return
        request = IncomingRequest(scope=scope, method=method, headers=headers)
        try:
            context = await self.authenticate(request)
        except Unauthorized as exc:
            await self._error(send, 401, str(exc) or "Unauthorized", "UNAUTHENTICATED", media)
            return
        except Forbidden as exc:
            await self._error(send, 403, str(exc) or "Forbidden", "FORBIDDEN", media)
            return
        except RateLimited as exc:
            retry = [(b"retry-after", str(exc.retry_after).encode())]
            await self._error(send, 429, str(exc), "RATE_LIMITED", media, retry)
            return
        if (
            method == "POST"
            and _accepts(accept, "text/event-stream")
            and not _accepts(accept, JSON)
        ):
            who = self.subscriber(request, context)
            await self._sse(
                receive, send, query_text, variables, operation_name, extensions, context, who
            )
            return
        allowed = frozenset({"query"}) if method == "GET" else None
        # Only a client that names multipart/mixed (not */*) can read incremental delivery.
        multipart = any(p.split(";")[0].strip() == MULTIPART for p in accept.lower().split(","))
        if multipart:
            result, rest = await self.gateway.execute_incremental(
                query_text, variables, operation_name, context, extensions, allowed
            )
            if rest is not None:
                await self._multipart(send, result.payload, rest)
                return
        else:
            result = await self.gateway.execute(
                query_text, variables, operation_name, context, extensions, allowed
            )
        status = self._status(result, media, method)
        extra = [(b"allow", b"POST")] if status == 405 else None
        await self._respond(send, status, _dumps(result.payload), f"{media}; charset=utf-8", extra)

    async def _multipart(
        self, send: Any, first: dict[str, Any], rest: AsyncIterator[dict[str, Any]]
    ) -> None:
        """Incremental delivery (gateway.defer): each payload a part of a multipart/mixed
        body, as Apollo Router writes it; the client reads the first while the rest runs."""

        def part(payload: dict[str, Any]) -> bytes:
            return (
                b"\r\n--" + BOUNDARY + b"\r\ncontent-type: application/json; charset=utf-8"
                b"\r\n\r\n" + _dumps(payload)
            )

        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (
                        b"content-type",
                        b'multipart/mixed; boundary="' + BOUNDARY + b'"; deferSpec=20220824',
                    ),
                    *self.extra_headers,
                ],
            }
        )
        try:
            await send({"type": "http.response.body", "body": part(first), "more_body": True})
            async for payload in rest:
                await send({"type": "http.response.body", "body": part(payload), "more_body": True})
            await send({"type": "http.response.body", "body": b"\r\n--" + BOUNDARY + b"--\r\n"})
        except OSError:
            pass  # the client is gone
        finally:
            await _aclose(rest)

    def _status(self, result: GatewayResponse, media: str, method: str) -> int:
        if not result.request_error:
            return 200
        codes = {e.get("extensions", {}).get("code") for e in result.payload.get("errors", [])}
        if (
            method == "GET"
            and "OPERATION_NOT_ALLOWED" in codes
            and result.operation_type == "mutation"
        ):
            return 405
        if "PERSISTED_QUERY_NOT_FOUND" in codes:
            return 200  # clients (Apollo's APQ link) expect 200 and then resend the query
        return 400 if media == GRAPHQL_RESPONSE else 200

    # --- SSE -----------------------------------------------------------------------------

    async def _sse(
        self,
        receive: Any,
        send: Any,
        query: Any,
        variables: Any,
        operation_name: Any,
        extensions: Any,
        context: RequestContext,
        who: Hashable,
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                    *self.extra_headers,
                ],
            }
        )

        async def write(body: str) -> None:
            await send({"type": "http.response.body", "body": body.encode(), "more_body": True})

        events = self._sse_events(query, variables, operation_name, extensions, context, who)
        # The stream, the client going away and the server stopping are watched together;
        # between events a comment keeps proxies from timing the stream out and lets the
        # server notice a client that is gone.
        pending: asyncio.Future[Any] = asyncio.ensure_future(anext(events))
        gone: asyncio.Future[Any] = asyncio.ensure_future(_disconnected(receive))
        stopping: asyncio.Future[Any] = asyncio.ensure_future(self.stop_event().wait())
        try:
            while True:
                done, _ = await asyncio.wait(
                    {pending, gone, stopping},
                    timeout=self.keepalive_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if gone in done or stopping in done:
                    break
                if pending not in done:
                    await write(": keep-alive\n\n")
                    continue
                try:
                    kind, data = pending.result()
                except StopAsyncIteration:
                    break
                text = _dumps_text(data) if data is not None else ""
                await write(f"event: {kind}\ndata: {text}\n\n")
                pending = asyncio.ensure_future(anext(events))
        except OSError:
            pass  # the client is gone (the server's send raised): nothing left to tell it
        finally:
            await _settle([pending, gone, stopping])
            await _aclose(events)
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _sse_events(
        self,
        query: Any,
        variables: Any,
        operation_name: Any,
        extensions: Any,
        context: RequestContext,
        who: Hashable,
    ) -> AsyncIterator[tuple[str, Any]]:
        """The events of one SSE response: ``next`` payloads, then ``complete``. A failure
        of the stream (a subgraph that went away) is a ``next`` with the errors, then
        ``complete``: GraphQL over SSE has no other event for it."""
        if self._operation_type(query, operation_name, extensions) == "subscription":
            if not self.acquire_subscription(who):
                yield "next", {"errors": [self.person_limit_error()]}
                yield "complete", None
                return
            try:
                stream = self.gateway.subscribe(
                    query, variables, operation_name, context, extensions
                )
                try:
                    async for payload in stream:
                        yield "next", payload
                except Exception as exc:
                    yield "next", {"errors": stream_failure(exc)}
                finally:
                    await _aclose(stream)
            finally:
                self.release_subscription(who)
        else:
            try:
                # Deferred fragments follow as further ``next`` events (gateway.defer).
                result, rest = await self.gateway.execute_incremental(
                    query, variables, operation_name, context, extensions
                )
            except Exception as exc:
                yield "next", {"errors": stream_failure(exc)}
            else:
                yield "next", result.payload
                if rest is not None:
                    try:
                        async for later in rest:
                            yield "next", later
                    finally:
                        await _aclose(rest)
        yield "complete", None

    def _operation_type(self, query: Any, operation_name: Any, extensions: Any) -> str | None:
        try:
            text = self.gateway.resolve_query(query, extensions)
            return self.gateway.prepare(text, operation_name).operation.operation.value
        except Exception:
            return None

    # --- WebSocket (graphql-transport-ws) ------------------------------------------------

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        path = scope["path"].rstrip("/") or "/"
        subprotocols = scope.get("subprotocols") or []
        if path != self.path or SUBPROTOCOL not in subprotocols:
            await send({"type": "websocket.close", "code": 4406 if path == self.path else 4404})
            return
        await send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})
        session = _WsSession(self, scope, send)
        with observability.websocket_connection():
            await session.run(receive)


async def _disconnected(receive: Any) -> None:
    """Returns when the HTTP client has gone away (the request body was read before)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class _WsSession:
    """One graphql-transport-ws connection: its operations run as tasks, all of them ended
    (and awaited) when the connection ends, whoever ends it."""

    def __init__(self, app: GatewayApp, scope: dict[str, Any], send: Any):
        self.app = app
        self.scope = scope
        self._send = send
        self.context: RequestContext | None = None
        self.who: Hashable = None  # what the per-person cap counts, known after init
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.open_subscriptions = 0
        self.closed = False
        self.lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        try:
            async with self.lock:
                await self._send({"type": "websocket.send", "text": _dumps_text(message)})
        except Exception:  # servers raise their own kinds of error for a gone client
            # The client is gone (uvicorn raises ClientDisconnected): the receive loop
            # sees the disconnect and ends the session.
            self.closed = True

    async def close(self, code: int, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def run(self, receive: Any) -> None:
        """Reads messages until the client leaves, the socket is closed, or the server
        stops; pings the client every keep-alive interval and closes a socket from which
        nothing came back within one (a client that vanished without closing)."""
        loop = asyncio.get_running_loop()
        interval = self.app.keepalive_seconds
        init_deadline = loop.time() + self.app.connection_init_timeout
        next_ping = loop.time() + interval
        answered = True  # whether anything came since the last ping
        stopping: asyncio.Future[Any] = asyncio.ensure_future(self.app.stop_event().wait())
        receiving: asyncio.Future[Any] | None = None
        try:
            while not self.closed:
                if receiving is None:
                    receiving = asyncio.ensure_future(receive())
                wake = init_deadline if self.context is None else next_ping
                done, _ = await asyncio.wait(
                    {receiving, stopping},
                    timeout=max(0.0, wake - loop.time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if stopping in done:
                    await self.close(1001, "The server is shutting down")
                    break
                if receiving in done:
                    message, receiving = receiving.result(), None
                    answered = True
                    if message["type"] == "websocket.disconnect":
                        break
                    if message["type"] == "websocket.receive":
                        await self.receive_text(message)
                    continue
                if self.context is None:
                    await self.close(4408, "Connection initialisation timeout")
                    break
                if not answered:
                    await self.close(1001, "No answer within the keep-alive interval")
                    break
                answered = False
                next_ping = loop.time() + interval
                await self.send({"type": "ping"})
        finally:
            self.closed = True
            tasks: list[asyncio.Future[Any]] = [stopping, *self.operations.values()]
            if receiving is not None:
                tasks.append(receiving)
            # Operations end here, not later on their own: their subscriptions are
            # released and nothing of this connection outlives it (or the server).
            await _settle(tasks)

    async def receive_text(self, message: dict[str, Any]) -> None:
        raw = message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                raise ValueError("no type")
        except ValueError:
            await self.close(4400, "Invalid message")
            return
        await self.handle(data)

    async def handle(self, data: dict[str, Any]) -> None:
        kind = data["type"]
        if kind == "connection_init":
            if self.context is not None:
                await self.close(4429, "Too many initialisation requests")
                return
            payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
            request = IncomingRequest(
                scope=self.scope,
                method="GET",
                headers=_headers(self.scope),
                init_payload=payload or {},
            )
            try:
                context = await self.app.authenticate(request)
            except RateLimited as exc:
                await self.close(4429, str(exc))
                return
            except (Unauthorized, Forbidden) as exc:
                await self.close(4403, str(exc) or "Forbidden")
                return
            self.who = self.app.subscriber(request, context)
            self.context = context
            await self.send({"type": "connection_ack"})
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "subscribe":
            if self.context is None:
                await self.close(4401, "Unauthorized")
                return
            op_id = data.get("id")
            payload = data.get("payload")
            if not isinstance(op_id, str) or not isinstance(payload, dict):
                await self.close(4400, "Invalid subscribe message")
                return
            if op_id in self.operations:
                await self.close(4409, f"Subscriber for {op_id} already exists")
                return
            op_type = self.app._operation_type(
                payload.get("query"), payload.get("operationName"), payload.get("extensions")
            )
            counted = op_type == "subscription"
            if counted:
                refusal = self.refuse_subscription()
                if refusal is not None:
                    # Only this operation is refused; the socket and its others go on.
                    await self.send({"id": op_id, "type": "error", "payload": [refusal]})
                    return
            task = asyncio.ensure_future(self.operate(op_id, payload, counted))
            task.add_done_callback(_log_task_failure)
            self.operations[op_id] = task
        elif kind == "complete":
            running = self.operations.pop(str(data.get("id")), None)
            if running is not None:
                running.cancel()
        else:
            await self.close(4400, f"Unknown message type {kind}")

    def refuse_subscription(self) -> dict[str, Any] | None:
        """Counts a new subscription against the caps, or says which cap it exceeds."""
        limit = self.app.max_subscriptions_per_connection
        if self.open_subscriptions >= limit:
            return _error_entry(
                f"Too many open subscriptions on this connection: at most {limit}. "
                "End one before starting another.",
                "MAX_SUBSCRIPTIONS_EXCEEDED",
            )
        if not self.app.acquire_subscription(self.who):
            return self.app.person_limit_error()
        self.open_subscriptions += 1
        return None

    async def operate(self, op_id: str, payload: dict[str, Any], counted: bool) -> None:
        assert self.context is not None
        gateway = self.app.gateway
        query, variables = payload.get("query"), payload.get("variables")
        operation_name, extensions = payload.get("operationName"), payload.get("extensions")
        try:
            op_type = None
            try:
                text = gateway.resolve_query(query, extensions)
                op_type = gateway.prepare(text, operation_name).operation.operation.value
            except Exception as exc:
                # A refused document carries its coded errors; anything else is a bug whose
                # text stays in the log.
                errors = getattr(exc, "errors", None) or stream_failure(exc)
                await self.send({"id": op_id, "type": "error", "payload": errors})
                return
            if op_type == "subscription":
                stream = gateway.subscribe(
                    query, variables, operation_name, self.context, extensions
                )
                try:
                    async for event in stream:
                        if "data" not in event and event.get("errors"):
                            await self.send(
                                {"id": op_id, "type": "error", "payload": event["errors"]}
                            )
                            return
                        await self.send({"id": op_id, "type": "next", "payload": event})
                finally:
                    await _aclose(stream)
            else:
                # Deferred fragments follow as further ``next`` messages (gateway.defer).
                result, rest = await gateway.execute_incremental(
                    query, variables, operation_name, self.context, extensions
                )
                if result.request_error:
                    await self.send(
                        {"id": op_id, "type": "error", "payload": result.payload["errors"]}
                    )
                    return
                await self.send({"id": op_id, "type": "next", "payload": result.payload})
                if rest is not None:
                    try:
                        async for later in rest:
                            await self.send({"id": op_id, "type": "next", "payload": later})
                    finally:
                        await _aclose(rest)
            await self.send({"id": op_id, "type": "complete"})
        except Exception as exc:
            # The stream failed (a subgraph went away under it, or a bug): the client
            # hears of it at once, for this id, and may subscribe again.
            await self.send({"id": op_id, "type": "error", "payload": stream_failure(exc)})
        finally:
            if self.operations.get(op_id) is asyncio.current_task():
                del self.operations[op_id]
            if counted:
                self.open_subscriptions -= 1
                self.app.release_subscription(self.who)


async def _settle(tasks: list[asyncio.Future[Any]], timeout: float = 5.0) -> None:
    """Cancel ``tasks`` and wait (a bounded time) until they have ended; an exception one
    of them ended with is logged, not left for asyncio to report as never retrieved."""
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=timeout)
    for task in tasks:
        if task.done() and not task.cancelled():
            failure = task.exception()
            if failure is not None and not isinstance(failure, StopAsyncIteration):
                logger.error("A stream task failed", exc_info=failure)


async def _aclose(stream: Any) -> None:
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()


def serve(
    app: Any,
    *,
    stop: Iterable[GatewayApp] = (),
    graceful_seconds: int = 5,
    **config: Any,
) -> None:
    """Run ``app`` under uvicorn until SIGINT/SIGTERM, and stop on the first one.

    uvicorn waits for open connections to end before it stops, and open SSE streams and
    WebSockets would never end on their own: the ``stop`` apps are told to end theirs as
    soon as shutdown begins. Anything still running after ``graceful_seconds`` (a slow
    request) is cancelled.
    """
    import uvicorn

    apps = list(stop)

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            for gateway_app in apps:
                gateway_app.begin_shutdown()
            await super().shutdown(sockets)

    server = Server(uvicorn.Config(app, timeout_graceful_shutdown=graceful_seconds, **config))
    # uvicorn raises the signal it caught again once it has stopped (as uvicorn.run does,
    # that KeyboardInterrupt is the expected end, not an error).
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
