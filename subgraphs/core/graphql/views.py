"""The HTTP endpoint of a subgraph.

A subgraph trusts exactly one source for the principal:
- ``trust="edge"`` (embedded ``yui serve``): the same process authenticated the request
  (session cookie or bearer token) with the ``authenticate`` callable it was given;
- ``trust="signed"`` (a subgraph as its own service): only the gateway's short-lived
  HMAC-signed principal header; anything else is refused with 401 (DESIGN rule 4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template.loader import render_to_string
from strawberry.django.views import AsyncGraphQLView

from subgraphs.core import signing
from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.principal import ANONYMOUS, AuthenticationFailed, Principal

_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


class SubgraphView(AsyncGraphQLView):
    trust: str = "edge"
    authenticate: Callable[[HttpRequest], Principal] | None = None
    title: str = "Yui"

    def __init__(self, **kwargs: Any) -> None:
        self.trust = kwargs.pop("trust", self.trust)
        self.authenticate = kwargs.pop("authenticate", self.authenticate)
        self.title = kwargs.pop("title", self.title)
        if self.trust not in {"edge", "signed"}:
            raise ValueError(f"unknown trust mode {self.trust!r}")
        super().__init__(**kwargs)

    async def dispatch(  # type: ignore[override]  # Django's View.dispatch is sync-typed
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> Any:
        if request.method == "GET" and self._wants_ide(request):
            return await self.render_graphql_ide(request)
        try:
            principal = await self._principal(request)
        except (AuthenticationFailed, signing.InvalidSignature) as exc:
            return JsonResponse(
                {"errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]},
                status=401,
            )
        if principal.via == "session" and request.method not in {"GET", "HEAD", "OPTIONS"}:
            # Cookies ride along with cross-site requests; bearer tokens and signed
            # headers do not, so only cookie-authenticated writes need the CSRF token.
            refusal = await sync_to_async(_csrf.process_view)(request, None, (), {})  # type: ignore[arg-type]
            if refusal is not None:
                return JsonResponse(
                    {
                        "errors": [
                            {
                                "message": "CSRF check failed: send the X-CSRFToken header.",
                                "extensions": {"code": "CSRF_FAILED"},
                            }
                        ]
                    },
                    status=403,
                )
        request.yui_principal = principal  # type: ignore[attr-defined]
        response = await super().dispatch(request, *args, **kwargs)
        if response.status_code >= 400 and response.get("Content-Type", "").startswith(
            "text/plain"
        ):
            # Strawberry answers malformed requests (bad JSON, wrong method) in plain text;
            # clients of a GraphQL API expect a GraphQL error document.
            return JsonResponse(
                {
                    "errors": [
                        {
                            "message": getattr(response, "content", b"").decode("utf-8", "replace"),
                            "extensions": {"code": "BAD_REQUEST"},
                        }
                    ]
                },
                status=response.status_code,
            )
        return response

    def _wants_ide(self, request: HttpRequest) -> bool:
        return (
            self.graphql_ide is not None
            and "query" not in request.GET
            and "text/html" in request.headers.get("Accept", "")
        )

    async def _principal(self, request: HttpRequest) -> Principal:
        if self.trust == "signed":
            return signing.verify_principal(request.headers.get(signing.HEADER))
        if self.authenticate is None:
            return ANONYMOUS
        return await sync_to_async(self.authenticate)(request)

    async def get_context(self, request: HttpRequest, response: HttpResponse) -> YuiContext:  # type: ignore[override]
        principal = getattr(request, "yui_principal", ANONYMOUS)
        return YuiContext(principal=principal, request=request, response=response)

    async def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        # Our own GraphiQL page: every asset is served by this deployment (no CDN, rule 7).
        html = await sync_to_async(render_to_string)(
            "yui/graphiql.html", {"endpoint": request.path, "title": self.title}, request=request
        )
        return HttpResponse(html)
