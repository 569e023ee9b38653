"""``yui admin add --tenant CODE LOGIN_ID``: make (or promote) a tenant administrator."""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
from subgraphs.people import actions
from subgraphs.people.models import Person, RoleAssignment


class Command(BaseCommand):
    help = "Add a tenant administrator (the password is prompted, or read from stdin)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="add or promote an administrator")
        add.add_argument("login_id")
        add.add_argument("--tenant", required=True, help="local government code or slug")
        add.add_argument(
            "--name",
            help="display name (default for a new account: the login ID; an existing "
            "account keeps its name unless given)",
        )
        add.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = actions.find_tenant(options["tenant"])
        if tenant is None:
            raise CommandError(f"No tenant {options['tenant']!r}; see `yui tenant list`.")
        password = self._password(options["password_stdin"])
        with transaction.atomic():
            person = Person.objects.filter(tenant=tenant, login_id=options["login_id"]).first()
            system = Principal(tenant_id=tenant.id, person_id=None, via="cli")
            if person is None:
                outcome = actions.do_create_person(
                    system,
                    {
                        "login_id": options["login_id"],
                        "name": options["name"] or options["login_id"],
                        "password": password,
                    },
                )
                if not outcome.ok:
                    raise CommandError("; ".join(e.message for e in outcome.errors))
                person = outcome.obj
                # Not from the HR file: an import never deactivates this account.
                person.source = Person.Source.ADMIN
                person.save(update_fields=["source"])
                verb = "created"
            else:
                if options["name"] is not None:
                    # Same checks as an edit in the admin screen (a blank name is refused).
                    outcome = actions.do_update_person(system, person, {"name": options["name"]})
                    if not outcome.ok:
                        raise CommandError("; ".join(e.message for e in outcome.errors))
                outcome = actions.do_reset_password(person, password, must_change=False)
                if not outcome.ok:
                    raise CommandError("; ".join(e.message for e in outcome.errors))
                if not person.is_active:
                    person.is_active = True
                    person.save(update_fields=["is_active"])
                verb = "promoted"
            RoleAssignment.objects.get_or_create(
                tenant=tenant, person=person, role=ROLE_TENANT_ADMIN
            )
        self.stdout.write(f"{verb} administrator {person.login_id} of {tenant.code} {tenant.name}")

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        if not password:
            raise CommandError("Empty password.")
        return password
