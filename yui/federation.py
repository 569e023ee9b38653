"""Yui's subgraphs federated by the gateway, embedded (in-process) or distributed (HTTP).

Embedded ``yui serve`` composes the supergraph from the subgraphs' SDLs at start-up and
calls their schemas directly. Distributed ``yui gateway`` loads a supergraph file and
reaches each subgraph at its ``join__graph(url:)`` over HTTP with the signed principal.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from django.template.loader import render_to_string

from gateway.engine import Gateway, Limits
from gateway.executor import Transport
from gateway.server import GatewayApp
from gateway.supergraph import Supergraph
from gateway.transports import HttpTransport, InProcessTransport
from yui import edge
from yui.registry import SUBGRAPHS, subgraph_schema, subgraph_sdl

GRAPHQL_PATH = "/graphql"
# Where `yui subgraph NAME` listens by default; the committed supergraph names these URLs.
DEFAULT_PORTS = {name: 4001 + i for i, name in enumerate(SUBGRAPHS)}


def default_url(name: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[name]}/graphql"


def supergraph_sdl(urls: Mapping[str, str] | None = None) -> str:
    """Compose Yui's subgraphs (``schema/supergraph.graphql`` is this with default URLs)."""
    from gateway.composition import SubgraphSource, compose

    urls = urls or {}
    return compose(
        [
            SubgraphSource(
                name=name, url=urls.get(name) or default_url(name), sdl=subgraph_sdl(name)
            )
            for name in SUBGRAPHS
        ]
    )


def graphiql_html(endpoint: str) -> str:
    return render_to_string("yui/graphiql.html", {"endpoint": endpoint, "title": "Yui"})


@lru_cache(maxsize=1)
def embedded_app() -> GatewayApp:
    transports = {
        name: InProcessTransport(subgraph_schema(name), edge.subgraph_context) for name in SUBGRAPHS
    }
    gateway = Gateway(supergraph_sdl(), transports)
    return GatewayApp(
        gateway, path=GRAPHQL_PATH, authenticate=edge.authenticate, graphiql_html=graphiql_html
    )


def distributed_app(
    supergraph: str,
    url_overrides: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    limits: Limits | None = None,
    max_body_bytes: int = 1_000_000,
) -> GatewayApp:
    parsed = Supergraph(supergraph)
    transports: dict[str, Transport] = {
        graph.name: HttpTransport(
            (url_overrides or {}).get(graph.name) or graph.url,
            timeout=timeout,
            headers_factory=edge.signed_principal_headers,
        )
        for graph in parsed.graphs.values()
    }
    gateway = Gateway(parsed, transports, limits=limits)
    return GatewayApp(
        gateway,
        path=GRAPHQL_PATH,
        authenticate=edge.authenticate,
        graphiql_html=graphiql_html,
        max_body_bytes=max_body_bytes,
    )
