"""``yui export {organizations|staff} --tenant CODE [-o FILE]``: the tenant's active
departments or staff as CSV in the import format (CP932 by default, for Excel)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from subgraphs.people.actions import find_tenant
from subgraphs.people.csv_io import KINDS, export_csv

ENCODINGS = ("cp932", "utf-8-sig", "utf-8")


class Command(BaseCommand):
    help = "Export the active departments or staff of one tenant as CSV (the import format)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("--tenant", required=True, help="local government code or slug")
        parser.add_argument("-o", "--output", help="write to this file (default: stdout)")
        parser.add_argument(
            "--encoding",
            choices=ENCODINGS,
            default="cp932",
            help="cp932 opens in Japanese Excel; utf-8-sig holds every character",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = find_tenant(options["tenant"])
        if tenant is None:
            raise CommandError(f"No tenant with code or slug {options['tenant']!r}.")
        try:
            data = export_csv(tenant, options["kind"], encoding=options["encoding"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["output"]:
            path = Path(options["output"])
            try:
                path.write_bytes(data)
            except OSError as exc:
                raise CommandError(f"Cannot write {path}: {exc.strerror or exc}") from exc
            lines = data.count(b"\n") - 1
            self.stderr.write(f"Wrote {lines} rows to {path} ({options['encoding']}).")
            return
        # The bytes go out as encoded; a text stream (tests, call_command(stdout=...)) gets
        # the decoded text instead.
        stream = options.get("stdout") or sys.stdout
        binary = getattr(stream, "buffer", None)
        if binary is not None:
            stream.flush()
            binary.write(data)
            binary.flush()
        else:
            stream.write(data.decode(options["encoding"]))
