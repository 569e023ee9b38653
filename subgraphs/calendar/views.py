"""The iCalendar feed: a plain HTTP view, since calendar apps fetch it without a session.

Whose calendar it shows comes from the token's row alone; a revoked or unknown token is a
404, the same answer, so a URL cannot be told from a guess.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from subgraphs.calendar import actions, ical
from subgraphs.core.graphql.context import YuiContext

log = logging.getLogger(__name__)


def public_base(context: YuiContext) -> str | None:
    """Where the user reaches this deployment, for a URL a calendar app fetches.

    1. ``YUI_PUBLIC_URL`` when set (behind a reverse proxy, in distributed mode);
    2. else the scheme and host of the client's own request: the Django request of an
       embedded subgraph endpoint, or the origin the in-process gateway passed along
       (``YuiContext.origin``). A request signed by the gateway (a subgraph behind
       ``yui gateway``) came from the gateway, not from the user: its host is internal;
    3. else None: the caller gives the bare path and logs that YUI_PUBLIC_URL is missing.
    """
    if settings.PUBLIC_URL:
        return str(settings.PUBLIC_URL)
    request = context.request
    if isinstance(request, HttpRequest) and context.principal.via != "signed":
        try:
            return f"{request.scheme}://{request.get_host()}"
        except DisallowedHost:
            return None
    return context.origin


def absolute_url(context: YuiContext, path: str) -> str:
    """``path`` (starting with /) under ``public_base``; the bare path when unknown."""
    base = public_base(context)
    if base is None:
        # Never the path itself: the token in it is the feed's only credential.
        log.warning("YUI_PUBLIC_URL is not set and the client's address is unknown")
        return path
    return base + path


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    principal = actions.feed_principal(token)
    if principal is None:
        raise Http404("No such calendar feed.")
    response = HttpResponse(
        ical.export_person(principal), content_type="text/calendar; charset=utf-8"
    )
    # The URL is the secret: keep it, and the calendar, out of shared caches and indexes.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
