"""The ASGI application `yui serve` runs: the federated /graphql (HTTP, WebSocket, SSE)
through the embedded gateway, everything else through Django."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yui.settings")

from django.core.asgi import get_asgi_application

django_app = get_asgi_application()

from django.conf import settings  # noqa: E402

from gateway.limits import limit_request_body  # noqa: E402
from gateway.observability import metrics_endpoint  # noqa: E402
from yui.federation import GRAPHQL_PATH, embedded_app  # noqa: E402
from yui.heap import settle  # noqa: E402
from yui.middleware import CONTENT_SECURITY_POLICY  # noqa: E402

gateway_app = embedded_app()
gateway_app.extra_headers += [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]

# Django reads a body whole before a view runs: refuse one larger than anything Yui
# takes (a staff CSV upload) before that; GraphQL endpoints refuse above 1 MB themselves.
django_app = limit_request_body(django_app, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

settle()


async def application(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] in {"http", "websocket"} and scope["path"].rstrip("/") == GRAPHQL_PATH:
        await gateway_app(scope, receive, send)
    elif scope["type"] == "http" and scope["path"].rstrip("/") == "/metrics":
        await metrics_endpoint(scope, send)
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 4404})
    else:
        await django_app(scope, receive, send)
