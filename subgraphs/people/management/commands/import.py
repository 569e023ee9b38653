"""``yui import {organizations|staff} FILE --tenant CODE``: load a CSV from the personnel
system. All or nothing: a file with any error writes nothing and exits non-zero."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from subgraphs.core.i18n import use_language
from subgraphs.people.actions import find_tenant
from subgraphs.people.csv_io import KINDS, ImportReport, do_import_csv

# Up to this many keys are listed after each count; beyond it only the count is useful.
SHOW_KEYS = 20


class Command(BaseCommand):
    help = (
        "Import departments or staff of one tenant from CSV (CP932 or UTF-8, detected). "
        "Rows are matched by department code / login ID; nothing is written when any row "
        "has an error."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file", help="the CSV file")
        parser.add_argument("--tenant", required=True, help="local government code or slug")
        parser.add_argument(
            "--encoding",
            help="the file's encoding (default: detect a BOM (UTF-8, UTF-16), UTF-8, CP932)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and show the changes, write nothing"
        )
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="deactivate active rows of the tenant that are not in the file, of those an "
            "import made (never the account of `yui admin add`, nor rows made by hand)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = find_tenant(options["tenant"])
        if tenant is None:
            raise CommandError(f"No tenant with code or slug {options['tenant']!r}.")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc

        bar = _ProgressBar(enabled=not options["no_progress"] and sys.stderr.isatty())
        try:
            # The command line speaks English whatever a request earlier in this context
            # chose (subgraphs.core.i18n): operators' scripts and logs read these lines.
            with use_language("en"):
                report = do_import_csv(
                    tenant,
                    options["kind"],
                    data,
                    encoding=options["encoding"],
                    dry_run=options["dry_run"],
                    deactivate_missing=options["deactivate_missing"],
                    progress=bar.update,
                )
        finally:
            bar.close()

        if not report.ok:
            for error in report.errors:
                # FILE:LINE: [COLUMN] CODE message; the code is what the UI translates.
                where = str(path)
                if error.line is not None:
                    where += f":{error.line}"
                column = f" [{error.column}]" if error.column else ""
                self.stderr.write(f"{where}:{column} {error.code} {error.message}")
            raise CommandError(
                f"{path}: rejected with {len(report.errors)} error(s); nothing was written."
            )
        self._summary(report, tenant_label=f"{tenant.code} {tenant.name}", path=path)

    def _summary(self, report: ImportReport, *, tenant_label: str, path: Path) -> None:
        what = "department" if report.kind == "organizations" else "staff"
        if report.applied:
            head = f"Imported {report.rows} {what} rows from {path} into {tenant_label}"
        else:
            head = f"Dry run: {report.rows} {what} rows from {path} for {tenant_label}"
        separated = ", tab-separated" if report.delimiter == "\t" else ""
        self.stdout.write(f"{head} (encoding {report.encoding}{separated}).")
        verb = "" if report.applied else "would be "
        for label, keys in (("added", report.added), ("updated", report.updated)):
            self.stdout.write(f"  {verb}{label}: {len(keys)}{_keys(keys)}")
        self.stdout.write(f"  unchanged: {report.unchanged}")
        self.stdout.write(
            f"  {verb}deactivated: {len(report.deactivated)}{_keys(report.deactivated)}"
        )
        kept = [key for key in report.missing if key not in set(report.deactivated)]
        if kept:
            self.stdout.write(
                f"  {len(kept)} active rows are not in the file and stay active "
                f"(--deactivate-missing deactivates them){_keys(kept)}"
            )
        if report.unmanaged:
            rows = "departments" if report.kind == "organizations" else "accounts"
            self.stdout.write(
                f"  {len(report.unmanaged)} active {rows} are not in the file but were not "
                f"made by an import, so no import deactivates them{_keys(report.unmanaged)}"
            )
        if not report.applied:
            self.stdout.write("Nothing was written (--dry-run).")


def _keys(keys: list[str]) -> str:
    if not keys or len(keys) > SHOW_KEYS:
        return ""
    return " (" + ", ".join(keys) + ")"


class _ProgressBar:
    """A tqdm bar on stderr, created on the first report and shown only when the import
    runs longer than half a second (small files stay quiet)."""

    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self.bar: Any = None

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="rows", file=sys.stderr, delay=0.5, leave=False)
        self.bar.total = total
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
