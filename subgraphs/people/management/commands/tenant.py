"""``yui tenant add CODE NAME [--slug S] [--council NAME]`` and ``yui tenant list``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from subgraphs.people.actions import do_add_tenant
from subgraphs.people.models import Person, Tenant


class Command(BaseCommand):
    help = "Add or list tenants (municipalities)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add a municipality")
        add.add_argument("code", help="6-digit local government code, e.g. 402125")
        add.add_argument("name", help="e.g. 大川市")
        add.add_argument("--slug", help="short ASCII name used at sign-in (default: the code)")
        add.add_argument("--council", help="council (協議会) the municipality belongs to")
        sub.add_parser("list", help="list municipalities")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            outcome = do_add_tenant(
                options["code"],
                options["name"],
                options["slug"] or options["code"],
                options["council"],
            )
            if not outcome.ok:
                raise CommandError("; ".join(e.message for e in outcome.errors))
            tenant = outcome.obj
            self.stdout.write(f"added {tenant.code} {tenant.name} (slug {tenant.slug})")
            return
        for tenant in Tenant.objects.select_related("council").order_by("code"):
            staff = Person.objects.filter(tenant=tenant, is_active=True).count()
            council = f"  [{tenant.council.name}]" if tenant.council else ""
            self.stdout.write(
                f"{tenant.code}  {tenant.slug:<12} {tenant.name}  {staff} staff{council}"
            )
