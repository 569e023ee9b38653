"""One of Yui's subgraphs as its own ASGI service (``yui subgraph NAME``).

It trusts only the gateway: HTTP requests and WebSocket connections must carry the
short-lived HMAC-signed principal header (DESIGN rule 4); anything else gets 401 / 4401.
"""

from __future__ import annotations

import contextvars
from typing import Any

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError
from strawberry.channels import GraphQLWSConsumer
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage

from gateway.limits import limit_request_body
from subgraphs.core import signing
from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.graphql.views import SIGNED_MAX_BODY_BYTES, SubgraphView
from yui.heap import settle
from yui.registry import subgraph_schema

# The context of the operation being started on a multiplexed connection (see below).
_OPERATION_CONTEXT: contextvars.ContextVar[YuiContext | None] = contextvars.ContextVar(
    "yui_operation_context", default=None
)


class PerOperationPrincipalHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws where each operation may carry its own signed principal.

    The gateway multiplexes (``gateway.transports``): one connection per subgraph carries
    the subscriptions of all its clients, each ``subscribe`` with the client's signed
    principal in ``payload.extensions.headers``. That operation runs with a context of
    its own (principal, DataLoaders), never the connection's nor another client's. An
    operation without one runs with the connection's principal (one client's socket).
    """

    @property  # type: ignore[override]
    def context(self) -> Any:
        # An operation's task was started with its context set (tasks copy contextvars).
        return _OPERATION_CONTEXT.get() or self._connection_context

    @context.setter
    def context(self, value: Any) -> None:
        self._connection_context = value

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload")
        extensions = payload.get("extensions") if isinstance(payload, dict) else None
        headers = extensions.get("headers") if isinstance(extensions, dict) else None
        if not isinstance(headers, dict):
            await super().handle_subscribe(message)
            return
        signed = {str(k).lower(): v for k, v in headers.items()}.get(signing.HEADER.lower())
        try:
            principal = signing.verify_principal(signed if isinstance(signed, str) else None)
        except signing.InvalidSignature:
            error = GraphQLError("Unauthorized", extensions={"code": "UNAUTHENTICATED"})
            await self.send_message(
                ErrorMessage(id=message["id"], type="error", payload=[error.formatted])
            )
            return
        request = getattr(self._connection_context, "request", None)
        token = _OPERATION_CONTEXT.set(YuiContext(principal=principal, request=request))
        try:
            await super().handle_subscribe(message)
        finally:
            _OPERATION_CONTEXT.reset(token)


class SignedSubgraphConsumer(GraphQLWSConsumer):
    """graphql-transport-ws for a subgraph service; the principal is checked at connect,
    and per operation when the gateway multiplexes (``PerOperationPrincipalHandler``)."""

    graphql_transport_ws_handler_class = PerOperationPrincipalHandler
    principal: Any = None

    async def connect(self) -> None:
        headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.scope["headers"]
        }
        try:
            self.principal = signing.verify_principal(headers.get(signing.HEADER.lower()))
        except signing.InvalidSignature:
            await self.close(code=4401)
            return
        await super().connect()

    async def get_context(self, request: Any, response: Any) -> YuiContext:  # type: ignore[override]
        return YuiContext(principal=self.principal, request=request)


def urlpatterns_for(name: str) -> list[Any]:
    from yui.views import health

    view = SubgraphView.as_view(schema=subgraph_schema(name), trust="signed", graphql_ide=None)
    # /health for the load balancer: 503 while the database is down (it says nothing else).
    return [path("graphql", csrf_exempt(view)), path("health", health)]


def application(name: str) -> Any:
    import sys
    import types

    # A URLconf module for just this subgraph, so Django's middleware stays in front of it.
    module = types.ModuleType("yui_subgraph_urls")
    module.urlpatterns = urlpatterns_for(name)  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    # Django would read a body whole before the view could refuse it.
    http = limit_request_body(get_asgi_application(), SIGNED_MAX_BODY_BYTES)
    # One connection carries every subscription of a gateway process (multiplexed): the
    # gateway caps them per client; here a connection has no cap of its own.
    websocket = SignedSubgraphConsumer.as_asgi(
        schema=subgraph_schema(name), max_subscriptions_per_connection=None
    )
    settle()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            if scope["path"].rstrip("/") != "/graphql":
                await send({"type": "websocket.close", "code": 4404})
                return
            await websocket(scope, receive, send)
        else:
            await http(scope, receive, send)

    return app
