"""Response headers every page and API answer carries (DESIGN rule 7: nothing leaves)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from subgraphs.core.graphql.errors import SERVICE_UNAVAILABLE, unexpected_error_payload
from subgraphs.core.i18n import language_from_accept, use_language

CONTENT_SECURITY_POLICY = (
    # GraphiQL's stylesheet embeds its fonts as data: URLs.
    "default-src 'self'; img-src 'self' data:; font-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    async_capable = True
    sync_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]
    ):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _decorate(self, response: HttpResponse) -> HttpResponse:
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("X-Content-Type-Options", "nosniff")
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Frame-Options", "DENY")
        return response

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._decorate_async(request)
        return self._decorate(self.get_response(request))  # type: ignore[arg-type]

    async def _decorate_async(self, request: HttpRequest) -> HttpResponse:
        return self._decorate(await self.get_response(request))  # type: ignore[misc]


class LanguageMiddleware:
    """The server's own messages (sign-in, CSV import) in the language the request asks
    for with Accept-Language: Japanese unless English is preferred (subgraphs.core.i18n).
    A subgraph behind a gateway gets the client's header passed on."""

    async_capable = True
    sync_capable = True

    def __init__(
        self, get_response: Callable[[HttpRequest], HttpResponse | Awaitable[HttpResponse]]
    ):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._call_async(request)
        with use_language(language_from_accept(request.headers.get("Accept-Language"))):
            return self.get_response(request)  # type: ignore[return-value]

    async def _call_async(self, request: HttpRequest) -> HttpResponse:
        with use_language(language_from_accept(request.headers.get("Accept-Language"))):
            return await self.get_response(request)  # type: ignore[misc, no-any-return]


class ApiErrorMiddleware(MiddlewareMixin):
    """An exception that escapes a view of the API (a subgraph endpoint, JSON sign-in)
    answers as a GraphQL error with a code, never as Django's HTML error page: typically
    the database being down while the request is authenticated. SERVICE_UNAVAILABLE (503)
    or INTERNAL (500), with a reference the log carries, never the exception's text.
    Pages for people (the sign-in form) keep Django's own error page.
    """

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _wants_json(request):
            return None
        message, extensions = unexpected_error_payload(exception)
        status = 503 if extensions["code"] == SERVICE_UNAVAILABLE else 500
        return JsonResponse(
            {"errors": [{"message": message, "extensions": extensions}]}, status=status
        )


def _wants_json(request: HttpRequest) -> bool:
    return (
        request.path.rstrip("/").endswith("/graphql")
        or request.content_type == "application/json"
        or "json" in request.headers.get("Accept", "")
    )
