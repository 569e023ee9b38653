"""``yui leavers``: people who left (退職).

``yui leavers purge [--tenant CODE] [--dry-run]``: remove the personal data of leavers whose
retention period is over (the embedded worker does this once a day); ``--dry-run`` lists
whom it would touch and changes nothing.
``yui leavers report --tenant CODE``: each leaver, when they left, when their data goes or
went, what was removed and what is kept and why.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from subgraphs.people import leavers
from subgraphs.people.actions import find_tenant
from subgraphs.people.models import Tenant


class Command(BaseCommand):
    help = "Purge leavers' personal data after the retention period, or report on leavers."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("what", choices=["purge", "report"])
        parser.add_argument("--tenant", help="municipality code or slug (purge: default all)")
        parser.add_argument("--dry-run", action="store_true", help="purge: list, change nothing")

    def _tenant(self, code: str | None) -> Tenant | None:
        if not code:
            return None
        tenant = find_tenant(code)
        if tenant is None:
            raise CommandError(f"No municipality {code!r}.")
        return tenant

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = self._tenant(options["tenant"])
        if options["what"] == "purge":
            self._purge(tenant, options["dry_run"])
        else:
            if tenant is None:
                raise CommandError("report needs --tenant CODE.")
            self._report(tenant)

    def _purge(self, tenant: Tenant | None, dry_run: bool) -> None:
        result = leavers.purge_due(tenant, dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        for line in result.purged:
            removed = line.get("removed")
            detail = (
                ""
                if removed is None
                else " (" + ", ".join(f"{k} {n}" for k, n in removed.items() if n) + ")"
            )
            self.stdout.write(
                f"{line['tenant']} {line['loginId']} {line['name']}: {verb} personal data{detail}"
            )
        self.stdout.write(
            f"{len(result.purged)} leaver(s) {verb}; {result.waiting} within the retention period."
        )

    def _report(self, tenant: Tenant) -> None:
        days = leavers.retention_days(tenant)
        self.stdout.write(f"{tenant.code} {tenant.name}: personal data kept {days} days")
        local = timezone.localtime
        for row in leavers.report(tenant):
            leaver = row.leaver
            state = (
                f"removed {local(leaver.purged_at):%Y-%m-%d}"
                if leaver.purged_at
                else f"due {local(row.purge_due_at):%Y-%m-%d}"
            )
            mailbox = leaver.get_mailbox_display()
            if leaver.successor is not None:
                mailbox += f" → {leaver.successor.login_id} {leaver.successor.name}"
            self.stdout.write(
                f"- {leaver.person.login_id} {leaver.person.name}{leavers.LEAVER_MARK} "
                f"left {local(leaver.left_at):%Y-%m-%d}, {state}, mailbox: {mailbox}"
            )
            removed = ", ".join(f"{k} {n}" for k, n in row.removed.items() if n)
            if removed:
                self.stdout.write(f"    removed: {removed}")
            for kind, reason in row.kept:
                self.stdout.write(f"    kept {kind}: {reason}")
