"""``yui audit``: the operator's view of the audit trail (監査ログ), every municipality.

``yui audit verify [--tenant CODE]``: walk the hash chains, report any edited, deleted or
inserted record (exit 1). ``yui audit list [--tenant CODE] [--limit N]``: newest first.
``yui audit export --tenant CODE -o FILE``: CSV (CP932) as a tenant administrator gets it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from subgraphs.audit import actions as audit
from subgraphs.audit.models import DEPLOYMENT_CHAIN, AuditRecord


class Command(BaseCommand):
    # An operator's tool: it runs whatever state the URL map or a half-deployed app is in.
    requires_system_checks: list[str] = []
    help = "Verify, list or export the audit trail."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("what", choices=["verify", "list", "export"])
        parser.add_argument("--tenant", help="municipality code or slug (default: all)")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("-o", "--output", help="export: the CSV file to write")
        parser.add_argument("--encoding", default="cp932")

    def _tenant_id(self, options: dict[str, Any]) -> Any:
        if not options["tenant"]:
            return None
        from subgraphs.people.actions import find_tenant

        tenant = find_tenant(options["tenant"])
        if tenant is None:
            raise CommandError(f"No municipality {options['tenant']!r}.")
        return tenant.id

    def handle(self, *args: Any, **options: Any) -> None:
        tenant_id = self._tenant_id(options)
        if options["what"] == "verify":
            chains = audit.chains(tenant_id)
            problems = audit.verify(tenant_id)
            count = AuditRecord.objects.filter(chain__in=chains).count()
            if problems:
                raise CommandError(
                    f"{len(problems)} problem(s) in the audit trail:\n  "
                    + "\n  ".join(str(p) for p in problems)
                )
            self.stdout.write(f"audit trail intact: {len(chains)} chain(s), {count} records")
        elif options["what"] == "list":
            qs = AuditRecord.objects.order_by("-at", "-seq")
            if tenant_id is not None:
                qs = qs.filter(tenant_id=tenant_id)
            for rec in qs[: options["limit"]]:
                chain = "deployment" if rec.chain == DEPLOYMENT_CHAIN else rec.chain[:8]
                self.stdout.write(
                    f"{rec.at.isoformat()} {chain}#{rec.seq} {rec.action} "
                    f"{rec.actor or '-'} {rec.address or '-'} {rec.summary}"
                )
        else:
            if tenant_id is None or not options["output"]:
                raise CommandError("yui audit export --tenant CODE -o FILE")
            records = audit.records_of(tenant_id).order_by("seq").iterator(chunk_size=2000)
            try:
                data = audit.export_csv(records, options["encoding"])
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
            Path(options["output"]).write_bytes(data)
            self.stdout.write(f"{options['output']}: {len(data)} bytes")
