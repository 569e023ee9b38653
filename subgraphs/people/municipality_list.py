"""``GET /auth/municipalities``: the deployment's municipalities, for the sign-in page's
typeahead (a municipality by code, name or short name).

Public, like the sign-in page itself: nobody is signed in yet. What it tells is what the
sign-in page asks anyway and what a council publishes (which municipalities share the
cloud): code, name, short name; no IDs, nothing else. It is the same answer for everyone,
so it is kept for a minute in the process and may be cached by the browser for five:
a flood of requests costs a dictionary lookup each, and no rate limit is needed for it
(the sign-in itself stays throttled per account and address).
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse, JsonResponse

from subgraphs.people.messages import t
from subgraphs.people.models import Tenant

CACHE_SECONDS = 60.0
BROWSER_CACHE_SECONDS = 300
_cached: tuple[float, list[dict[str, str]]] | None = None


def municipality_list() -> list[dict[str, str]]:
    """Every municipality of the deployment by code: ``code``, ``name``, ``slug``."""
    global _cached
    now = time.monotonic()
    if _cached is None or now - _cached[0] >= CACHE_SECONDS:
        rows = Tenant.objects.order_by("code").values_list("code", "name", "slug")
        _cached = (now, [{"code": c, "name": n, "slug": s} for c, n, s in rows])
    return _cached[1]


def forget_cached_list() -> None:
    """A municipality was added or renamed (and tests): the next request reads again."""
    global _cached
    _cached = None


def municipalities_view(request: HttpRequest) -> HttpResponse:
    if request.method not in {"GET", "HEAD"}:
        response = JsonResponse(
            {"ok": False, "error": "method_not_allowed", "message": t("Ask with GET.")}, status=405
        )
        response["Allow"] = "GET, HEAD"
        return response
    response = JsonResponse({"municipalities": municipality_list()})
    response["Cache-Control"] = f"public, max-age={BROWSER_CACHE_SECONDS}"
    return response
