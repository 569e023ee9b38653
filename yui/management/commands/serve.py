"""``yui serve``: the embedded server (one process, every subgraph in it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from gateway.server import serve


class Command(BaseCommand):
    help = "Serve Yui embedded on one port: sign-in, the federated /graphql, every subgraph."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--log-level", default="info")

    def handle(self, *args: Any, **options: Any) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not migrated: run `yui migrate` (or `yui demo`).")
        db: dict[str, Any] = settings.DATABASES["default"]
        where = f"{options['host']}:{options['port']}"
        self.stdout.write(
            f"Yui on http://{where}/  (database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}, "
            f"channel layer: {'redis' if settings.REDIS_URL else 'in-memory'})"
        )
        self.stdout.write(f"  sign in:  http://{where}/auth/login")
        self.stdout.write(f"  GraphiQL: http://{where}/graphql  (the federated API)")
        from yui import asgi

        # The first Ctrl+C stops the server: open subscriptions and SSE streams are ended.
        serve(
            asgi.application,
            stop=[asgi.gateway_app],
            host=options["host"],
            port=options["port"],
            log_level=options["log_level"],
            lifespan="off",
        )
