"""The iCalendar feed: a plain HTTP view, since calendar apps fetch it without a session.

Whose calendar it shows comes from the token's row alone; a revoked or unknown token is a
404, the same answer, so a URL cannot be told from a guess.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from subgraphs.calendar import actions, ical


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
