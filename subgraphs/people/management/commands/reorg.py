"""``yui reorg apply --due`` / ``yui reorg list [--tenant CODE]``: staged personnel changes
(人事異動). The worker of ``yui serve`` (or ``yui worker``) applies them on their day by
itself; ``apply --due`` is the same for a cron job, e.g. at 00:05 on 1 April."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from subgraphs.people import reorg
from subgraphs.people.actions import find_tenant
from subgraphs.people.models import Reorganisation


class Command(BaseCommand):
    help = "Apply the personnel changes whose day has come, or list the staged ones."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        apply = sub.add_parser("apply", help="apply what is due (Japan time)")
        apply.add_argument("--due", action="store_true", required=True, help="every due change")
        listing = sub.add_parser("list", help="the staged changes and their state")
        listing.add_argument("--tenant", help="local government code or slug (default: all)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "apply":
            done = reorg.apply_due()
            for row in done:
                result = row.result or {}
                if row.state == Reorganisation.State.APPLIED:
                    self.stdout.write(
                        f"{row.tenant.code} {row.effective_date} applied: {result.get('moves', 0)} "
                        f"moves, {result.get('joined', 0)} joining, {result.get('left', 0)} leaving"
                    )
                else:
                    self.stderr.write(f"{row.tenant.code} {row.effective_date} FAILED:")
                    for e in result.get("errors", []):
                        where = f"{e.get('file') or ''}:{e.get('line') or ''}"
                        self.stderr.write(f"  {where} {e['code']} {e['message']}")
            if not done:
                self.stdout.write("nothing due")
            if any(row.state == Reorganisation.State.FAILED for row in done):
                raise CommandError("a reorganisation failed; nothing of it was applied")
            return
        rows = Reorganisation.objects.select_related("tenant").defer(
            "organizations_csv", "staff_csv"
        )
        if options.get("tenant"):
            tenant = find_tenant(options["tenant"])
            if tenant is None:
                raise CommandError(f"No tenant with code or slug {options['tenant']!r}.")
            rows = rows.filter(tenant=tenant)
        for row in rows:
            self.stdout.write(
                f"{row.tenant.code} {row.effective_date} {row.state} {row.id} "
                f"{row.organizations_filename} {row.staff_filename}"
            )
