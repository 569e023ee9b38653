"""URL map of the embedded server.

/subgraphs/people/graphql is the people subgraph; in this embedded server it is reached
directly, authenticated here by session cookie or bearer token. The federated /graphql
endpoint arrives with the gateway.
"""

from __future__ import annotations

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from subgraphs.calendar.graphql.schema import schema as calendar_schema
from subgraphs.core.graphql.views import SubgraphView
from subgraphs.facilities.graphql.schema import schema as facilities_schema
from subgraphs.people import views as people_views
from subgraphs.people.auth import authenticate_request
from subgraphs.people.graphql.schema import schema as people_schema
from subgraphs.presence.graphql.schema import schema as presence_schema
from yui import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health", views.health, name="health"),
    path("auth/login", people_views.login_view, name="login"),
    path("auth/logout", people_views.logout_view, name="logout"),
    path(
        "subgraphs/people/graphql",
        # CSRF is checked inside the view, for cookie-authenticated requests only.
        csrf_exempt(
            SubgraphView.as_view(
                schema=people_schema,
                trust="edge",
                authenticate=authenticate_request,
                multipart_uploads_enabled=True,
                title="people subgraph",
            )
        ),
        name="people-graphql",
    ),
    path(
        "subgraphs/presence/graphql",
        csrf_exempt(
            SubgraphView.as_view(
                schema=presence_schema,
                trust="edge",
                authenticate=authenticate_request,
                title="presence subgraph",
            )
        ),
        name="presence-graphql",
    ),
    path(
        "subgraphs/facilities/graphql",
        csrf_exempt(
            SubgraphView.as_view(
                schema=facilities_schema,
                trust="edge",
                authenticate=authenticate_request,
                title="facilities subgraph",
            )
        ),
        name="facilities-graphql",
    ),
    path(
        "subgraphs/calendar/graphql",
        csrf_exempt(
            SubgraphView.as_view(
                schema=calendar_schema,
                trust="edge",
                authenticate=authenticate_request,
                title="calendar subgraph",
            )
        ),
        name="calendar-graphql",
    ),
    re_path(r"^static/vendor/(?P<name>[\w.\-]+)$", views.vendor_asset),
    re_path(r"^static/(?P<path>yui/[\w.\-/]+)$", views.own_asset),
]
