"""``yui gateway --supergraph FILE``: the federation gateway as its own process.

It serves whatever subgraphs the supergraph's ``join__graph(url:)`` names (``--subgraph
NAME=URL`` overrides one), Yui's or not: requests without credentials go through as the
anonymous principal, so no Yui database is needed to federate another supergraph.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gateway.engine import Limits
from gateway.limits import DEFAULT_MAX_BODY_BYTES, foreign_supergraph_limits
from gateway.server import GatewayApp, serve
from gateway.supergraph import Supergraph, SupergraphError
from yui.federation import distributed_app, is_yui_supergraph
from yui.heap import settle

LIMIT_FLAGS = (
    "max_depth",
    "max_aliases",
    "max_root_fields",
    "max_cost",
    "max_tokens",
    "max_selections",
)


def choose_limits(supergraph: Supergraph, mode: str, flags: dict[str, int | None]) -> Limits:
    """The limits ``yui gateway`` applies. ``mode`` is ``yui`` (Yui's limits, as ``yui
    serve`` has them), ``foreign`` (see ``foreign_supergraph_limits``) or ``auto``: Yui's
    for Yui's own supergraph, else foreign. A ``--max-*`` flag given sets that one limit
    whatever the mode (so a foreign supergraph's operator opts into a cost limit)."""
    if mode == "auto":
        mode = "yui" if is_yui_supergraph(supergraph) else "foreign"
    base = Limits() if mode == "yui" else foreign_supergraph_limits()
    given = {name: value for name, value in flags.items() if value is not None}
    return replace(base, **given)


class Command(BaseCommand):
    help = "Serve the federated GraphQL API over HTTP, WebSocket and SSE from a supergraph file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--supergraph", required=True, help="supergraph SDL file")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=4000)
        parser.add_argument(
            "--subgraph",
            action="append",
            default=[],
            metavar="NAME=URL",
            help="override a subgraph URL",
        )
        parser.add_argument(
            "--timeout", type=float, default=10.0, help="subgraph request timeout (s)"
        )
        parser.add_argument("--log-level", default="warning")
        defaults = Limits()
        parser.add_argument(
            "--limits",
            choices=("auto", "yui", "foreign"),
            default="auto",
            help="auto (default): Yui's limits for Yui's own supergraph; for another one "
            "depth, alias, root-field and cost limits are off unless a --max-* flag sets them",
        )
        parser.add_argument("--max-depth", type=int, help=f"Yui's: {defaults.max_depth}")
        parser.add_argument("--max-aliases", type=int, help=f"Yui's: {defaults.max_aliases}")
        parser.add_argument(
            "--max-root-fields", type=int, help=f"Yui's: {defaults.max_root_fields}"
        )
        parser.add_argument("--max-cost", type=int, help=f"Yui's: {defaults.max_cost}")
        parser.add_argument("--max-tokens", type=int, help=f"default {defaults.max_tokens}")
        parser.add_argument(
            "--max-selections",
            type=int,
            help="fields and fragments of an operation once its fragments are expanded "
            f"(default {defaults.max_selections})",
        )
        parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
        app_defaults = GatewayApp.__init__.__kwdefaults__ or {}
        parser.add_argument(
            "--max-subscriptions-per-connection",
            type=int,
            default=app_defaults["max_subscriptions_per_connection"],
            help="open subscriptions one WebSocket may hold",
        )
        parser.add_argument(
            "--max-subscriptions-per-person",
            type=int,
            default=app_defaults["max_subscriptions_per_person"],
            help="open subscriptions one person may hold across the connections of this process",
        )
        parser.add_argument(
            "--keepalive",
            type=float,
            default=app_defaults["keepalive_seconds"],
            help="seconds between keep-alives of SSE streams and WebSockets (s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["supergraph"])
        if not path.exists():
            raise CommandError(f"no such file: {path}")
        overrides = {}
        for item in options["subgraph"]:
            name, sep, url = item.partition("=")
            if not sep or not url:
                raise CommandError(f"--subgraph wants NAME=URL, not {item!r}")
            overrides[name] = url
        try:
            supergraph = Supergraph(path.read_text(encoding="utf-8"))
            limits = choose_limits(
                supergraph, options["limits"], {name: options[name] for name in LIMIT_FLAGS}
            )
            app = distributed_app(
                supergraph.sdl,
                overrides,
                options["timeout"],
                limits=limits,
                max_body_bytes=options["max_body_bytes"],
            )
        except SupergraphError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        app.max_subscriptions_per_connection = options["max_subscriptions_per_connection"]
        app.max_subscriptions_per_person = options["max_subscriptions_per_person"]
        app.keepalive_seconds = options["keepalive"]
        names = ", ".join(
            f"{g.name}={overrides.get(g.name, g.url)}"
            for g in app.gateway.supergraph.graphs.values()
        )
        self.stdout.write(
            f"gateway on http://{options['host']}:{options['port']}/graphql -> {names}"
        )
        settle()
        # The first Ctrl+C stops it: open subscriptions and SSE streams are ended.
        serve(
            app,
            stop=[app],
            host=options["host"],
            port=options["port"],
            log_level=options["log_level"],
        )
