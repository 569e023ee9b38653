"""The HTTP endpoint of a subgraph.

A subgraph trusts exactly one source for the principal:
- ``trust="edge"`` (embedded ``yui serve``): the same process authenticated the request
  (session cookie or bearer token) with the ``authenticate`` callable it was given;
- ``trust="signed"`` (a subgraph as its own service): only the gateway's short-lived
  HMAC-signed principal header; anything else is refused with 401 (DESIGN rule 4).

Limits. An edge endpoint is reachable by clients as /graphql is, so it applies the
gateway's limits with the same code (``gateway.limits``): the request body size, tokens,
depth, aliases, root fields, selections after expanding fragments, cost.
A signed endpoint is reached only by the gateway, which applied those limits to the
client's operation; the documents it derives legitimately exceed them (batched
``_entities`` calls carry aliases, renamed fields and long representation lists), so a
signed endpoint checks only the body size, with room for representations
(``SIGNED_MAX_BODY_BYTES``), and refuses malformed bodies as every endpoint does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template.loader import render_to_string
from strawberry.django.views import AsyncGraphQLView
from strawberry.types import ExecutionResult

from gateway.limits import DEFAULT_MAX_BODY_BYTES, Limits, Refused, check_document
from subgraphs.audit.origin import (
    CLIENT_ADDRESS_HEADER,
    bind_request,
    client_address_from,
    unbind_request,
)
from subgraphs.core import signing
from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.principal import ANONYMOUS, AuthenticationFailed, Principal

_csrf = CsrfViewMiddleware(lambda request: HttpResponse())

# What the gateway may send a subgraph service: the client's body was at most
# DEFAULT_MAX_BODY_BYTES; entity representations of a big answer come on top.
SIGNED_MAX_BODY_BYTES = 16 * DEFAULT_MAX_BODY_BYTES
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _error_response(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status=status
    )


class SubgraphView(AsyncGraphQLView):
    trust: str = "edge"
    authenticate: Callable[[HttpRequest], Principal] | None = None
    title: str = "Yui"
    # None: no document limits (trust="signed", see the module's docstring).
    limits: Limits | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __init__(self, **kwargs: Any) -> None:
        self.trust = kwargs.pop("trust", self.trust)
        self.authenticate = kwargs.pop("authenticate", self.authenticate)
        self.title = kwargs.pop("title", self.title)
        if self.trust not in {"edge", "signed"}:
            raise ValueError(f"unknown trust mode {self.trust!r}")
        # The embedded gateway serves /graphql with Limits() and the same body limit.
        self.limits = kwargs.pop("limits", Limits() if self.trust == "edge" else None)
        self.max_body_bytes = kwargs.pop(
            "max_body_bytes",
            DEFAULT_MAX_BODY_BYTES if self.trust == "edge" else SIGNED_MAX_BODY_BYTES,
        )
        super().__init__(**kwargs)

    async def dispatch(  # type: ignore[override]  # Django's View.dispatch is sync-typed
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> Any:
        if request.method == "GET" and self._wants_ide(request):
            return await self.render_graphql_ide(request)
        refusal = await self._refuse_request(request)
        if refusal is not None:
            return refusal
        try:
            principal = await self._principal(request)
        except (AuthenticationFailed, signing.InvalidSignature) as exc:
            return JsonResponse(
                {"errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]},
                status=401,
            )
        if (
            self.trust == "edge"
            and principal.via == "session"
            and request.method not in {"GET", "HEAD", "OPTIONS"}
        ):
            # Cookies ride along with cross-site requests; bearer tokens and signed
            # headers do not, so only cookie-authenticated writes need the CSRF token.
            # A signed principal of a session was checked by the gateway, which saw the
            # browser's request; the gateway's own request here carries no CSRF token.
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
        # Signed requests come from the gateway, which says whose address it forwards.
        forwarded = (
            client_address_from(request.headers.get(CLIENT_ADDRESS_HEADER))
            if self.trust == "signed"
            else None
        )
        bound = bind_request(
            principal, forwarded or str(request.META.get("REMOTE_ADDR") or "unknown")
        )
        try:
            response = await super().dispatch(request, *args, **kwargs)
        finally:
            unbind_request(bound)  # a caller's context must not keep this request's origin
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

    async def _refuse_request(self, request: HttpRequest) -> HttpResponse | None:
        """A GraphQL error document for a request too big, malformed or over the limits,
        before Strawberry reads it (it answered some of these with an HTML 500)."""
        content_type = (request.content_type or "").lower()
        multipart = content_type == "multipart/form-data" and self.multipart_uploads_enabled
        # A multipart request carries a file (people's importCsv): Django's upload size.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE if multipart else self.max_body_bytes
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _error_response("Bad Content-Length.", "BAD_REQUEST", 400)
        if length > limit:
            return _error_response(
                f"The request body exceeds {limit} bytes.", "PAYLOAD_TOO_LARGE", 413
            )
        if request.method == "GET":
            params: Any = dict(request.GET.items())
            for name in ("variables", "extensions"):
                if name in params:
                    try:
                        params[name] = json.loads(params[name])
                    except ValueError:
                        return _error_response(f"{name} is not valid JSON.", "BAD_REQUEST", 400)
        elif request.method == "POST" and multipart:
            try:
                params = json.loads(request.POST.get("operations") or "null")
            except ValueError:
                return _error_response("operations is not valid JSON.", "BAD_REQUEST", 400)
        elif request.method == "POST" and content_type in {"application/json", GRAPHQL_RESPONSE}:
            try:
                params = orjson.loads(request.body or b"null")
            except orjson.JSONDecodeError:
                return _error_response("The body is not valid JSON.", "BAD_REQUEST", 400)
        else:
            return None  # Strawberry answers other methods and media types (405, 415)
        if not isinstance(params, dict):
            return _error_response(
                "Batched or non-object bodies are not supported.", "BAD_REQUEST", 400
            )
        query, variables = params.get("query"), params.get("variables")
        operation_name, extensions = params.get("operationName"), params.get("extensions")
        if (
            (query is not None and not isinstance(query, str))
            or (variables is not None and not isinstance(variables, dict))
            or (operation_name is not None and not isinstance(operation_name, str))
            or (extensions is not None and not isinstance(extensions, dict))
        ):
            return _error_response(
                "query, variables, operationName or extensions have the wrong type.",
                "BAD_REQUEST",
                400,
            )
        if self.limits is None or query is None:
            return None
        try:
            # Strawberry's Schema wraps graphql-core's; the limits read the latter.
            schema = self.schema._schema  # type: ignore[attr-defined]
            check_document(schema, query, operation_name, variables, self.limits)
        except Refused as exc:
            return JsonResponse({"errors": exc.errors}, status=self._request_error_status(request))
        return None

    def _request_error_status(self, request: HttpRequest) -> int:
        """As /graphql answers a request error: 400 for a client that accepts
        application/graphql-response+json (or says nothing), else 200 (application/json)."""
        accept = request.headers.get("Accept", "")
        media = {part.split(";")[0].strip().lower() for part in accept.split(",")}
        if not accept or media & {GRAPHQL_RESPONSE, "*/*"}:
            return 400
        return 200 if "application/json" in media else 400

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

    async def execute_operation(self, **kwargs: Any) -> Any:  # type: ignore[override]
        # Strawberry passes everything by keyword. A query's or mutation's context is
        # closed once it has answered (YuiContext.close: its loaders' rows are freed now,
        # not by the cycle collector); a stream (a subscription, @defer) still needs it.
        context = kwargs.get("context")
        result = None
        try:
            result = await super().execute_operation(**kwargs)
            return result
        finally:
            if isinstance(context, YuiContext) and (
                result is None or isinstance(result, ExecutionResult | list)
            ):
                context.close()

    async def get_context(self, request: HttpRequest, response: HttpResponse) -> YuiContext:  # type: ignore[override]
        principal = getattr(request, "yui_principal", ANONYMOUS)
        return YuiContext(principal=principal, request=request, response=response)

    async def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        # Our own GraphiQL page: every asset is served by this deployment (no CDN, rule 7).
        html = await sync_to_async(render_to_string)(
            "yui/graphiql.html", {"endpoint": request.path, "title": self.title}, request=request
        )
        return HttpResponse(html)
