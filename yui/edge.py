"""The edge of a Yui deployment: who is asking, for the gateway (DESIGN rule 4).

The gateway authenticates a session cookie or a personal access token into a Principal,
checks CSRF for cookie-authenticated writes and the Origin of cookie-authenticated
WebSockets, then hands the principal to subgraphs: in-process as an object, over the
network as the short-lived signed header. Requests without credentials go through as the
anonymous principal (Yui's subgraphs then show nothing private).
"""

from __future__ import annotations

import io
import time
from importlib import import_module
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.csrf import CsrfViewMiddleware

from gateway.executor import RequestContext
from gateway.limits import RateLimiter
from gateway.server import Forbidden, IncomingRequest, Unauthorized
from gateway.trusted import CLIENT_POLICY, ClientPolicy
from subgraphs.audit.origin import bind_request
from subgraphs.core import signing
from subgraphs.core.db import refresh_connections
from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.i18n import language_from_accept, set_language
from subgraphs.core.principal import ANONYMOUS, AuthenticationFailed, Principal
from subgraphs.people import scopes as token_scopes
from subgraphs.people.auth import TokenPolicy, authenticate_gateway_request

_csrf = CsrfViewMiddleware(lambda request: HttpResponse())


def _django_request(incoming: IncomingRequest) -> ASGIRequest:
    scope = dict(incoming.scope)
    scope.setdefault("method", incoming.method)
    request = ASGIRequest(scope, io.BytesIO(b""))
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    return request


def _bearer_from_init(payload: dict[str, Any]) -> str | None:
    """WebSocket clients cannot set headers in browsers: accept the token in connection_init."""
    for key in ("authorization", "Authorization"):
        value = payload.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _authenticate_sync(
    incoming: IncomingRequest,
) -> tuple[Principal, Any, TokenPolicy | None]:
    """The principal, for a session cookie its session store, for a token its policy."""
    return _principal_and_session(incoming)


def _principal_and_session(incoming: IncomingRequest) -> tuple[Principal, Any, TokenPolicy | None]:
    # Every request through the gateway starts here, on the thread that does the ORM work
    # of the gateway path (authentication, in-process subgraphs): the place to drop a
    # connection a database restart broke, as Django does when its requests start.
    refresh_connections()
    if not _has_credentials(incoming):
        return ANONYMOUS, None, None
    request = _django_request(incoming)
    init_authorization = _bearer_from_init(incoming.init_payload)
    if init_authorization and "HTTP_AUTHORIZATION" not in request.META:
        request.META["HTTP_AUTHORIZATION"] = init_authorization
    try:
        principal, policy = authenticate_gateway_request(request)
    except AuthenticationFailed as exc:
        raise Unauthorized(str(exc)) from exc
    if principal.via != "session":
        return principal, None, policy
    if incoming.is_websocket:
        # Cross-site WebSocket hijacking: a cookie rides along from any page, so the page
        # must come from this deployment.
        origin = incoming.headers.get("origin")
        host = incoming.headers.get("host", "")
        if origin is None or urlsplit(origin).netloc != host:
            raise Forbidden("This WebSocket must be opened from Yui's own pages.")
    elif incoming.method not in {"GET", "HEAD", "OPTIONS"}:
        refusal = _csrf.process_view(request, None, (), {})  # type: ignore[arg-type]
        if refusal is not None:
            raise Forbidden("CSRF check failed: send the X-CSRFToken header.")
    return principal, request.session, None


def _has_credentials(incoming: IncomingRequest) -> bool:
    return bool(
        "authorization" in incoming.headers
        or settings.SESSION_COOKIE_NAME in incoming.headers.get("cookie", "")
        or _bearer_from_init(incoming.init_payload)
    )


async def authenticate(incoming: IncomingRequest) -> RequestContext:
    """The gateway's ``authenticate`` hook for Yui.

    A database that is down raises ``DatabaseError`` here; ``yui.federation`` answers
    that as SERVICE_UNAVAILABLE (503), not as a crashed request.
    """
    principal, session, policy = await sync_to_async(_authenticate_sync)(incoming)
    extra: dict[str, Any] = {"scopes": token_scopes.request_scopes(principal)}
    if policy is not None and principal.scopes is not None:
        if policy.rate_limit_per_minute is not None:
            await _rate_limiter().hit(f"token:{principal.token_id}", policy.rate_limit_per_minute)
        if token_scopes.is_restricted(principal.scopes) or policy.documents is not None:
            extra[CLIENT_POLICY] = ClientPolicy(
                read_only=token_scopes.WRITE not in principal.scopes,
                documents=policy.documents,
                subgraphs=token_scopes.readable_subgraphs(principal.scopes),
            )
    address = _client_address(incoming)
    bind_request(principal, address)
    # The language of the server's own messages (CSV import): the in-process subgraphs run
    # in this task's context; subgraphs over HTTP get it as Accept-Language.
    language = language_from_accept(incoming.headers.get("accept-language"))
    set_language(language)
    return RequestContext(
        principal=principal,
        extra={
            **extra,
            "origin": _origin(incoming),
            "language": language,
            "address": address,
            "session": session,
        },
    )


_limiter: list[RateLimiter] = []


def _rate_limiter() -> RateLimiter:
    """Per-token rate limits, counted in Redis when the deployment has it (shared by every
    gateway process), else in this process."""
    if not _limiter:
        _limiter.append(RateLimiter(settings.REDIS_URL or None))
    return _limiter[0]


def _client_address(incoming: IncomingRequest) -> str:
    # As people.auth.client_address: the socket's peer (a reverse proxy must set it right).
    client = incoming.scope.get("client") or ("unknown",)
    return str(client[0])


def _origin(incoming: IncomingRequest) -> str | None:
    """``scheme://host`` the client reached the gateway at (for absolute links such as a
    calendar feed URL when YUI_PUBLIC_URL is unset); None for a host ALLOWED_HOSTS refuses."""
    host = incoming.headers.get("host", "")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = incoming.scope.get("scheme") or "http"
    scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    return f"{scheme}://{host}"


def subgraph_context(request_context: RequestContext) -> YuiContext:
    """In-process transports build each subgraph call's context from the principal object
    (and the client's origin, which over HTTP a subgraph does not learn)."""
    return YuiContext(
        principal=request_context.principal or ANONYMOUS,
        origin=request_context.extra.get("origin"),
        session=request_context.extra.get("session"),
    )


_SIGNED: dict[Principal, tuple[float, dict[str, str]]] = {}
_RESIGN_AFTER = signing.DEFAULT_TTL_SECONDS / 2


def signed_principal_headers(request_context: RequestContext) -> dict[str, str]:
    """HTTP/WebSocket transports carry the principal as the short-lived signed header.

    A header is valid for a minute; one is reused for half of that, so a busy gateway
    signs once per principal per 30 s instead of on every subgraph request.
    """
    principal = request_context.principal or ANONYMOUS
    now = time.monotonic()
    cached = _SIGNED.get(principal)
    if cached is not None and now - cached[0] < _RESIGN_AFTER:
        return cached[1]
    if len(_SIGNED) > 10_000:
        _SIGNED.clear()
    headers = {signing.HEADER: signing.sign_principal(principal)}
    _SIGNED[principal] = (now, headers)
    return headers
