"""``yui restore FILE``: bring this deployment's database (SQLite or PostgreSQL, whichever
made the archive) and stored files to an archive's state. Refuses a target that holds data
unless ``--force``, which replaces everything in it."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yui.backup import BackupError, restore_backup


class Command(BaseCommand):
    # An operator's tool: it runs whatever state the URL map or a half-deployed app is in.
    requires_system_checks: list[str] = []
    help = "Restore a backup archive into this (empty) deployment."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive")
        parser.add_argument(
            "--force", action="store_true", help="replace the data of a non-empty target"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        say = self.stdout.write if options["verbosity"] > 1 else None
        try:
            manifest = restore_backup(options["archive"], force=options["force"], progress=say)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(t["rows"] for t in manifest.tables.values())
        self.stdout.write(
            f"restored {rows} rows of {len(manifest.tables)} tables and "
            f"{len(manifest.files)} files from {manifest.data['created_at']} "
            f"in {time.monotonic() - started:.1f} s"
        )
