"""URL map of the embedded server.

The federated API is /graphql (routed to the gateway in yui.asgi, before Django). Each
subgraph also answers on its own at /subgraphs/<name>/graphql, authenticated here by
session cookie or bearer token like /graphql.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from subgraphs.calendar import views as calendar_views
from subgraphs.core.graphql.views import SubgraphView
from subgraphs.mail import views as mail_views
from subgraphs.notices import views as notices_views
from subgraphs.people import views as people_views
from subgraphs.people.auth import authenticate_request
from subgraphs.people.municipality_list import municipalities_view
from yui import views
from yui.registry import SUBGRAPHS, subgraph_schema


def subgraph_endpoint(name: str) -> Callable[..., Any]:
    # CSRF is checked inside the view, for cookie-authenticated requests only.
    return csrf_exempt(
        SubgraphView.as_view(
            schema=subgraph_schema(name),
            trust="edge",
            authenticate=authenticate_request,
            # CSV files are uploaded to people's importCsv.
            multipart_uploads_enabled=name == "people",
            title=f"{name} subgraph",
        )
    )


urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    # The portal's service worker: at the root, so its scope is every page of the portal.
    path("sw.js", views.service_worker, name="service-worker"),
    path("auth/login", people_views.login_view, name="login"),
    path("auth/logout", people_views.logout_view, name="logout"),
    # The municipalities of the deployment, for the sign-in page's typeahead (public).
    path("auth/municipalities", municipalities_view, name="municipalities"),
    *(
        path(f"subgraphs/{name}/graphql", subgraph_endpoint(name), name=f"{name}-graphql")
        for name in SUBGRAPHS
    ),
    # A private iCalendar feed: the token in the path is the only credential.
    path("calendar/feed/<str:token>.ics", calendar_views.calendar_feed, name="calendar-feed"),
    # Attachments of notices and circulations: upload, and download (signed link or session).
    path("files/notices", notices_views.upload, name="notices-upload"),
    path("files/notices/<uuid:attachment_id>", notices_views.download, name="notices-download"),
    # Attachments of mail: uploads for compose, and files of messages (held ones: nobody).
    path("files/mail", mail_views.upload, name="mail-upload"),
    path("files/mail/<uuid:attachment_id>", mail_views.download, name="mail-download"),
    re_path(r"^static/vendor/(?P<name>[\w.\-]+)$", views.vendor_asset),
    re_path(r"^static/(?P<path>yui/[\w.\-/]+)$", views.own_asset),
    re_path(r"^static/app/(?P<path>(?:assets/)?[\w.\-]+)$", views.app_asset),
    # Client-side routes of the web portal (/login, /schedule, ...): index.html, and the SPA
    # shows the screen. Paths the server owns and anything with a file extension stay 404.
    re_path(
        r"^(?!(?:auth|subgraphs|static|calendar|files|graphql|health)(?:/|$))[\w\-]+(?:/[\w\-]+)*/?$",
        views.home,
        name="web-portal",
    ),
]
