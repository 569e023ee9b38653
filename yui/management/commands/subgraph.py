"""``yui subgraph NAME [--host H] [--port N]``: serve one subgraph on its own (distributed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gateway.server import serve
from yui.federation import DEFAULT_PORTS
from yui.registry import SUBGRAPHS
from yui.subgraph_service import application


class Command(BaseCommand):
    help = "Serve one of Yui's subgraphs as its own service; it accepts only the gateway."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", choices=sorted(SUBGRAPHS))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int)
        parser.add_argument("--log-level", default="warning")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"]
        if name not in SUBGRAPHS:
            raise CommandError(f"unknown subgraph {name}")
        port = options["port"] or DEFAULT_PORTS[name]
        self.stdout.write(
            f"subgraph {name} on http://{options['host']}:{port}/graphql (signed requests only)"
        )
        # The first Ctrl+C stops it; the gateway's WebSockets to it are closed (1012), so
        # the gateway tells each client of them at once.
        serve(
            application(name),
            host=options["host"],
            port=port,
            log_level=options["log_level"],
            lifespan="off",
        )
