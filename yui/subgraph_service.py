"""One of Yui's subgraphs as its own ASGI service (``yui subgraph NAME``).

It trusts only the gateway: HTTP requests and WebSocket connections must carry the
short-lived HMAC-signed principal header (DESIGN rule 4); anything else gets 401 / 4401.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from strawberry.channels import GraphQLWSConsumer

from gateway.limits import limit_request_body
from subgraphs.core import signing
from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.graphql.views import SIGNED_MAX_BODY_BYTES, SubgraphView
from yui.heap import settle
from yui.registry import subgraph_schema


class SignedSubgraphConsumer(GraphQLWSConsumer):
    """graphql-transport-ws for a subgraph service; the principal is checked at connect."""

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
    websocket = SignedSubgraphConsumer.as_asgi(schema=subgraph_schema(name))
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
