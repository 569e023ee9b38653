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
raise ``Unauthorized`` (401) or ``Forbidden`` (403).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

from gateway.engine import Gateway, GatewayResponse
from gateway.executor import RequestContext

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
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


class GatewayApp:
    """An ASGI application serving one ``Gateway``."""

    def __init__(
        self,
        gateway: Gateway,
        *,
        path: str = "/graphql",
        authenticate: Authenticate = anonymous,
        graphiql_html: Callable[[str], str] | None = None,
        max_body_bytes: int = 1_000_000,
        keepalive_seconds: float = 15.0,
        connection_init_timeout: float = 10.0,
        extra_headers: dict[str, str] | None = None,
    ):
        self.gateway = gateway
        self.path = path.rstrip("/") or "/"
        self.authenticate = authenticate
        self.graphiql_html = graphiql_html
        self.max_body_bytes = max_body_bytes
        self.keepalive_seconds = keepalive_seconds
        self.connection_init_timeout = connection_init_timeout
        self.extra_headers = [(k.encode(), v.encode()) for k, v in (extra_headers or {}).items()]

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
        if (
            method == "POST"
            and _accepts(accept, "text/event-stream")
            and not _accepts(accept, JSON)
        ):
            await self._sse(send, query_text, variables, operation_name, extensions, context)
            return
        allowed = frozenset({"query"}) if method == "GET" else None
        result = await self.gateway.execute(
            query_text, variables, operation_name, context, extensions, allowed_operations=allowed
        )
        status = self._status(result, media, method)
        extra = [(b"allow", b"POST")] if status == 405 else None
        await self._respond(send, status, _dumps(result.payload), f"{media}; charset=utf-8", extra)

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
        send: Any,
        query: Any,
        variables: Any,
        operation_name: Any,
        extensions: Any,
        context: RequestContext,
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

        async def event(kind: str, data: Any) -> None:
            text = json.dumps(data, ensure_ascii=False) if data is not None else ""
            body = f"event: {kind}\ndata: {text}\n\n"
            await send({"type": "http.response.body", "body": body.encode(), "more_body": True})

        try:
            prepared_type = self._operation_type(query, operation_name, extensions)
            if prepared_type == "subscription":
                async for payload in self.gateway.subscribe(
                    query, variables, operation_name, context, extensions
                ):
                    await event("next", payload)
            else:
                result = await self.gateway.execute(
                    query, variables, operation_name, context, extensions
                )
                await event("next", result.payload)
            await event("complete", None)
        finally:
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

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
        await session.run(receive)


class _WsSession:
    def __init__(self, app: GatewayApp, scope: dict[str, Any], send: Any):
        self.app = app
        self.scope = scope
        self._send = send
        self.context: RequestContext | None = None
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.closed = False
        self.lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        if self.closed:
            return
        async with self.lock:
            await self._send(
                {"type": "websocket.send", "text": json.dumps(message, ensure_ascii=False)}
            )

    async def close(self, code: int, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def run(self, receive: Any) -> None:
        init_timer = asyncio.get_running_loop().call_later(
            self.app.connection_init_timeout,
            lambda: asyncio.ensure_future(self._init_timeout()),
        )
        try:
            while not self.closed:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message["type"] != "websocket.receive":
                    continue
                raw = message.get("text") or (message.get("bytes") or b"").decode(
                    "utf-8", "replace"
                )
                try:
                    data = json.loads(raw)
                    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
                        raise ValueError("no type")
                except ValueError:
                    await self.close(4400, "Invalid message")
                    break
                await self.handle(data, init_timer)
        finally:
            init_timer.cancel()
            self.closed = True
            for task in self.operations.values():
                task.cancel()

    async def _init_timeout(self) -> None:
        if self.context is None:
            await self.close(4408, "Connection initialisation timeout")

    async def handle(self, data: dict[str, Any], init_timer: asyncio.TimerHandle) -> None:
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
                self.context = await self.app.authenticate(request)
            except (Unauthorized, Forbidden) as exc:
                await self.close(4403, str(exc) or "Forbidden")
                return
            init_timer.cancel()
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
            self.operations[op_id] = asyncio.ensure_future(self.operate(op_id, payload))
        elif kind == "complete":
            task = self.operations.pop(str(data.get("id")), None)
            if task is not None:
                task.cancel()
        else:
            await self.close(4400, f"Unknown message type {kind}")

    async def operate(self, op_id: str, payload: dict[str, Any]) -> None:
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
                errors = getattr(exc, "errors", None) or [{"message": str(exc)}]
                await self.send({"id": op_id, "type": "error", "payload": errors})
                return
            if op_type == "subscription":
                async for event in gateway.subscribe(
                    query, variables, operation_name, self.context, extensions
                ):
                    if "data" not in event and event.get("errors"):
                        await self.send({"id": op_id, "type": "error", "payload": event["errors"]})
                        return
                    await self.send({"id": op_id, "type": "next", "payload": event})
            else:
                result = await gateway.execute(
                    query, variables, operation_name, self.context, extensions
                )
                if result.request_error:
                    await self.send(
                        {"id": op_id, "type": "error", "payload": result.payload["errors"]}
                    )
                    return
                await self.send({"id": op_id, "type": "next", "payload": result.payload})
            await self.send({"id": op_id, "type": "complete"})
        except asyncio.CancelledError:
            raise
        finally:
            self.operations.pop(op_id, None)
