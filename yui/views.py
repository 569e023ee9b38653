"""Server-level pages: the start page, health, and the assets this deployment ships."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.views.static import serve

from subgraphs.core.db import database_is_up

# Third-party browser assets come from web/ (npm ci, then `npm run build` copies them to
# web/dist/vendor); only these names are served.
VENDOR_DIR = Path(settings.BASE_DIR) / "web" / "dist" / "vendor"
VENDOR_FILES = {
    "graphiql.min.css",
    "graphiql.min.js",
    "graphql-ws.min.js",
    "react.production.min.js",
    "react-dom.production.min.js",
}
OWN_STATIC_DIR = Path(__file__).resolve().parent / "static"
# The SPA as Vite builds it (web/dist/spa): index.html, and files under /static/app/ whose
# names carry a content hash (assets/) or that change rarely (icon.svg).
SPA_DIR = Path(settings.BASE_DIR) / "web" / "dist" / "spa"
# Python's table lacks the type of a web app manifest.
mimetypes.add_type("application/manifest+json", ".webmanifest")
# What index.html loads from the build (scripts, styles, icons, the manifest): the shell
# the service worker keeps for opening offline.
_SHELL_URL = re.compile(r'(?:src|href)="(/static/app/[\w.\-/]+)"')
# Icons the manifest names, which index.html does not load itself.
_SHELL_EXTRA = ("/static/app/icon-192.png",)


def home(request: HttpRequest) -> HttpResponse:
    """The web portal: index.html of the built SPA, for / and every client-side route.

    The SPA decides itself whether someone is signed in (its first GraphQL request answers
    ``me: null`` otherwise), so the page is the same for everyone and is never cached: a new
    release is picked up on the next load, while its hashed files stay cached for a year.
    """
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        html = (SPA_DIR / "index.html").read_bytes()
    except FileNotFoundError:
        return HttpResponse(
            "The web portal is not built: run ./dev setup (or npm ci && npm run build in web/).\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


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


def app_asset(request: HttpRequest, path: str) -> HttpResponseBase:
    response = serve(request, path, document_root=str(SPA_DIR))
    # Hashed names never change content: cache for a year. Anything else, a day.
    if path.startswith("assets/"):
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response["Cache-Control"] = "public, max-age=86400"
    return response


def service_worker(request: HttpRequest) -> HttpResponse:
    """The SPA's service worker at /sw.js, so that its scope is the whole portal.

    ``self.YUI_SHELL`` in front of the worker's code names this build (a digest of its
    index.html) and the files of its shell: a new build changes the script's bytes, which
    is how a browser learns that it must install the new worker. Never cached by HTTP
    (browsers check a worker for updates themselves, and an hour-old one would hold back
    a release).
    """
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        html = (SPA_DIR / "index.html").read_bytes()
        code = (SPA_DIR / "sw.js").read_bytes()
    except FileNotFoundError as exc:
        raise Http404("the web portal is not built") from exc
    urls = list(dict.fromkeys(_SHELL_URL.findall(html.decode())))
    urls += [url for url in _SHELL_EXTRA if url not in urls]
    shell = {"build": hashlib.sha256(html + code).hexdigest()[:16], "urls": urls}
    prologue = f"self.YUI_SHELL = {json.dumps(shell)};\n".encode()
    response = HttpResponse(prologue + code, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store, must-revalidate"
    return response
