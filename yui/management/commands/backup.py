"""``yui backup -o FILE``: one archive of the database and the stored files, consistent
while users write (yui.backup says how). ``yui backup --verify FILE`` checks an archive's
rows and files against its manifest without restoring; ``yui backup --compare FILE``
checks that this deployment holds exactly the archive's rows and files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from yui.backup import (
    BackupError,
    compare_with_manifest,
    create_backup,
    read_manifest,
    verify_backup,
)


class Command(BaseCommand):
    # An operator's tool: it runs whatever state the URL map or a half-deployed app is in.
    requires_system_checks: list[str] = []
    help = "Write a backup archive (-o FILE), or check one (--verify FILE)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("-o", "--output", help="the archive to write (e.g. yui.tar.gz)")
        parser.add_argument("--verify", metavar="FILE", help="check an archive, write nothing")
        parser.add_argument(
            "--compare",
            metavar="FILE",
            help="check that this deployment's rows and files are exactly an archive's "
            "(a restore drill)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] > 1
        say = self.stdout.write if verbose else None
        if options["compare"]:
            try:
                problems = compare_with_manifest(read_manifest(options["compare"]))
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
            if problems:
                raise CommandError("differs from the archive:\n  " + "\n  ".join(problems))
            self.stdout.write(f"this deployment holds exactly {options['compare']}")
            return
        if options["verify"]:
            try:
                problems = verify_backup(options["verify"])
                manifest = read_manifest(options["verify"])
            except BackupError as exc:
                raise CommandError(str(exc)) from exc
            if problems:
                raise CommandError("damaged archive:\n  " + "\n  ".join(problems))
            rows = sum(t["rows"] for t in manifest.tables.values())
            self.stdout.write(
                f"{options['verify']}: whole ({len(manifest.tables)} tables, {rows} rows, "
                f"{len(manifest.files)} files; {manifest.data['source']}, "
                f"Yui {manifest.data['yui_version']}, {manifest.data['created_at']})"
            )
            return
        if not options["output"]:
            raise CommandError("Name the archive: yui backup -o FILE (or --verify FILE).")
        output = Path(options["output"])
        if output.is_dir():
            raise CommandError(f"{output} is a directory; name a file.")
        started = time.monotonic()
        try:
            manifest = create_backup(output, progress=say)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(t["rows"] for t in manifest.tables.values())
        self.stdout.write(
            f"{output}: {len(manifest.tables)} tables, {rows} rows, {len(manifest.files)} "
            f"files, {output.stat().st_size} bytes in {time.monotonic() - started:.1f} s"
        )
