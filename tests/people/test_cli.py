"""Standing up a municipality from the command line, without the demo."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from subgraphs.people.models import Person, RoleAssignment, Tenant


def run(*args, stdin: str | None = None, monkeypatch=None) -> str:
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_operator_adds_a_tenant_and_an_admin_who_can_sign_in(monkeypatch):
    assert "added 402125 大川市 (slug okawa)" in run(
        "tenant", "add", "402125", "大川市", "--slug", "okawa", "--council", "県南協議会"
    )
    assert Tenant.objects.get(code="402125").council.name == "県南協議会"
    out = run(
        "admin",
        "add",
        "--tenant",
        "okawa",
        "itkanri",
        "--password-stdin",
        stdin="a-long-admin-password\n",
        monkeypatch=monkeypatch,
    )
    assert "created administrator itkanri of 402125 大川市" in out
    person = Person.objects.get(login_id="itkanri")
    assert RoleAssignment.objects.filter(person=person, role="tenant_admin").exists()
    signed_in = Client().post(
        "/auth/login",
        data=json.dumps(
            {"tenant": "402125", "loginId": "itkanri", "password": "a-long-admin-password"}
        ),
        content_type="application/json",
    )
    assert signed_in.status_code == 200
    listing = run("tenant", "list")
    assert "402125  okawa" in listing and "1 staff" in listing and "[県南協議会]" in listing


@pytest.mark.django_db
def test_tenant_add_refuses_bad_and_duplicate_codes():
    with pytest.raises(CommandError, match="6 digits"):
        run("tenant", "add", "4021", "大川市")
    run("tenant", "add", "402125", "大川市")
    with pytest.raises(CommandError, match="exists already"):
        run("tenant", "add", "402125", "大川市", "--slug", "other")


@pytest.mark.django_db
def test_admin_add_refuses_weak_passwords_and_unknown_tenants(monkeypatch):
    run("tenant", "add", "402125", "大川市")
    with pytest.raises(CommandError, match="No tenant"):
        run(
            "admin",
            "add",
            "--tenant",
            "999999",
            "x",
            "--password-stdin",
            stdin="a-long-pass-word\n",
            monkeypatch=monkeypatch,
        )
    with pytest.raises(CommandError, match="短すぎ"):
        run(
            "admin",
            "add",
            "--tenant",
            "402125",
            "x",
            "--password-stdin",
            stdin="12345\n",
            monkeypatch=monkeypatch,
        )
    assert not Person.objects.filter(login_id="x").exists()


@pytest.mark.django_db
def test_admin_add_on_an_existing_login_renames_promotes_and_reactivates(monkeypatch):
    run("tenant", "add", "402125", "大川市", "--slug", "okawa")

    def admin_add(*extra: str, password: str = "a-long-admin-password") -> str:  # noqa: S107 - a test password
        return run(
            "admin",
            "add",
            "--tenant",
            "okawa",
            "itkanri",
            *extra,
            "--password-stdin",
            stdin=password + "\n",
            monkeypatch=monkeypatch,
        )

    admin_add()
    assert Person.objects.get(login_id="itkanri").name == "itkanri"
    person = Person.objects.get(login_id="itkanri")
    person.is_active = False
    person.save()
    out = admin_add("--name", "情報政策課 システム担当", password="another-long-password")
    assert "promoted administrator itkanri" in out
    person.refresh_from_db()
    assert person.name == "情報政策課 システム担当"
    assert person.is_active and person.check_password("another-long-password")
    assert RoleAssignment.objects.filter(person=person, role="tenant_admin").count() == 1
    # Without --name the name someone gave the account stays as it is.
    admin_add(password="a-third-long-password")
    person.refresh_from_db()
    assert person.name == "情報政策課 システム担当"
    # A blank name is refused, not stored.
    with pytest.raises(CommandError, match="name"):
        admin_add("--name", "  ")
    person.refresh_from_db()
    assert person.name == "情報政策課 システム担当"


@pytest.mark.django_db
def test_django_commands_are_reachable_through_yui():
    # `yui migrate` is Django's migrate; --check exits non-zero when something is unapplied.
    call_command("migrate", "--check", verbosity=0)
