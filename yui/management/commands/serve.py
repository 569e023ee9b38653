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
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="Processes sharing the port (one per core at most); more than one needs "
            "YUI_REDIS_URL, so live updates and sign-in throttling are shared.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"]
        if workers < 1:
            raise CommandError("--workers: at least 1")
        if workers > 1 and not settings.REDIS_URL:
            # Each process would have its own in-memory channel layer and cache: an event
            # published in one would never reach a subscriber of another, and each would
            # count sign-in failures on its own (N times the allowance).
            raise CommandError(
                "--workers above 1 needs YUI_REDIS_URL (subscriptions and sign-in "
                "throttling must be shared between the processes)."
            )
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not migrated: run `yui migrate` (or `yui demo`).")
        db: dict[str, Any] = settings.DATABASES["default"]
        where = f"{options['host']}:{options['port']}"
        self.stdout.write(
            f"Yui on http://{where}/  (database: {db['ENGINE'].rsplit('.', 1)[-1]} {db['NAME']}, "
            f"channel layer: {'redis' if settings.REDIS_URL else 'in-memory'}"
            f"{f', {workers} processes' if workers > 1 else ''})"
        )
        self.stdout.write(f"  portal:   http://{where}/  (sign in there)")
        self.stdout.write(f"  GraphiQL: http://{where}/graphql  (the federated API)")
        mail_worker = None
        if settings.MAIL_EMBEDDED_WORKER:
            # The mail outbox's worker in a thread of this process (YUI_MAIL_WORKER=false
            # when `yui worker` runs elsewhere; both at once are safe, only wasteful).
            from subgraphs.mail.outbox import OutboxWorker

            mail_worker = OutboxWorker().start()
        try:
            if workers > 1:
                self._serve_workers(options)
                return
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
        finally:
            if mail_worker is not None:
                mail_worker.stop()

    def _serve_workers(self, options: dict[str, Any]) -> None:
        """uvicorn's supervisor: ``--workers`` processes accept on one socket, each imports
        ``yui.asgi`` itself (a process per core is how Python uses more than one: the
        GIL keeps one process's GraphQL execution and ORM work on one core at a time).

        Its workers are plain uvicorn servers: at shutdown open SSE streams are not told
        to end first, so they are cut after the same 5 s grace as one process's slow
        requests; WebSocket clients reconnect either way.
        """
        import os
        import shutil
        import tempfile

        import uvicorn
        from uvicorn.supervisors import Multiprocess

        # /metrics sums the workers' metrics (gateway/observability.py): each writes its
        # own files here; a fresh directory per start (removed at the end), unless the
        # operator chose one.
        made = None
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="yui-metrics-")
        config = uvicorn.Config(
            "yui.asgi:application",
            host=options["host"],
            port=options["port"],
            log_level=options["log_level"],
            lifespan="off",
            workers=options["workers"],
            timeout_graceful_shutdown=5,
        )
        try:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        finally:
            if made is not None:
                shutil.rmtree(made, ignore_errors=True)
