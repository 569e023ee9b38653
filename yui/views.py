"""Server-level pages: the start page, health, and the assets this deployment ships."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.static import serve

from subgraphs.core.db import database_is_up
from subgraphs.core.principal import ANONYMOUS, AuthenticationFailed
from subgraphs.people.auth import authenticate_request
from subgraphs.people.models import Person

# Third-party browser assets come from web/ (npm ci, then `npm run build` copies them to
# web/dist/vendor); only these names are served.
VENDOR_DIR = Path(settings.BASE_DIR) / "web" / "dist" / "vendor"
VENDOR_FILES = {
    "graphiql.min.css",
    "graphiql.min.js",
    "react.production.min.js",
    "react-dom.production.min.js",
}
OWN_STATIC_DIR = Path(__file__).resolve().parent / "static"


def home(request: HttpRequest) -> HttpResponse:
    try:
        principal = authenticate_request(request)
    except AuthenticationFailed:
        principal = ANONYMOUS
    person = (
        Person.objects.filter(id=principal.person_id).first()
        if principal.is_authenticated
        else None
    )
    return render(request, "yui/home.html", {"person": person})


def health(request: HttpRequest) -> JsonResponse:
    """200 when this process can serve; 503 while the database is down (a load balancer
    then sends requests elsewhere, and the operator sees why)."""
    up = database_is_up()
    state = "ok" if up else "unavailable"
    return JsonResponse({"status": state, "database": state}, status=200 if up else 503)


def vendor_asset(request: HttpRequest, name: str) -> HttpResponseBase:
    if name not in VENDOR_FILES:
        raise Http404(name)
    response = serve(request, name, document_root=str(VENDOR_DIR))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def own_asset(request: HttpRequest, path: str) -> HttpResponseBase:
    return serve(request, path, document_root=str(OWN_STATIC_DIR))
