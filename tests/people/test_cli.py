"""Standing up a municipality from the command line, without the demo."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

import subgraphs.people
from subgraphs.people.models import Person, RoleAssignment, Tenant

SAMPLES = Path(subgraphs.people.__file__).parent / "demo_data"


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


def _stand_up_okawa(monkeypatch) -> list[str]:
    """大川市 as the README stands it up: tenant, `yui admin add`, the sample files."""
    run("tenant", "add", "402125", "大川市", "--slug", "okawa")
    run(
        "admin",
        "add",
        "--tenant",
        "402125",
        "itkanri",
        "--password-stdin",
        stdin="a-long-admin-password\n",
        monkeypatch=monkeypatch,
    )
    run("import", "organizations", str(SAMPLES / "402125-organizations.csv"), "--tenant", "402125")
    run("import", "staff", str(SAMPLES / "402125-staff.csv"), "--tenant", "402125")
    return (SAMPLES / "402125-staff.csv").read_bytes().decode("utf-8-sig").splitlines()


@pytest.mark.django_db
def test_deactivate_missing_leaves_the_administrator_of_yui_admin_add(monkeypatch, tmp_path):
    header, *rows = _stand_up_okawa(monkeypatch)
    leaving = rows[-1].split(",")[0]
    path = tmp_path / "staff.csv"
    path.write_text("\r\n".join([header, *rows[:-1], ""]), encoding="cp932")
    args = ("import", "staff", str(path), "--tenant", "402125", "--deactivate-missing")

    preview = run(*args, "--dry-run")
    out = run(*args)

    # The preview names who would go, and says the administrator stays.
    assert f"would be deactivated: 1 ({leaving})" in preview
    assert "1 active accounts are not in the file but were not made by an import" in preview
    assert "(itkanri)" in preview
    assert f"deactivated: 1 ({leaving})" in out
    assert not Person.objects.get(login_id=leaving).is_active
    admin = Person.objects.get(login_id="itkanri")
    assert admin.is_active and admin.source == "admin"
    signed_in = Client().post(
        "/auth/login",
        data=json.dumps(
            {"tenant": "402125", "loginId": "itkanri", "password": "a-long-admin-password"}
        ),
        content_type="application/json",
    )
    assert signed_in.status_code == 200


@pytest.mark.django_db
def test_import_reads_excel_unicode_text(monkeypatch, tmp_path):
    run("tenant", "add", "402125", "大川市", "--slug", "okawa")
    run("import", "organizations", str(SAMPLES / "402125-organizations.csv"), "--tenant", "okawa")
    # Excel's "Unicode テキスト (*.txt)": UTF-16 LE with a BOM, tabs, CRLF.
    text = (SAMPLES / "402125-staff.csv").read_bytes().decode("utf-8-sig")
    path = tmp_path / "職員.txt"
    path.write_bytes(("\ufeff" + text.replace(",", "\t").replace("\n", "\r\n")).encode("utf-16-le"))

    out = run("import", "staff", str(path), "--tenant", "okawa")

    assert "Imported 120 staff rows" in out
    assert "(encoding utf-16-le, tab-separated)" in out
    assert Person.objects.get(login_id="0552161").name == "髙橋 洋介"


@pytest.mark.django_db
def test_import_errors_name_file_line_column_and_code(tmp_path):
    run("tenant", "add", "402125", "大川市", "--slug", "okawa")
    path = tmp_path / "組織.csv"
    path.write_bytes("組織コード,組織名,表示順\r\n01,総務部,1\r\n01,,x\r\n".encode("cp932"))
    err = io.StringIO()

    with pytest.raises(CommandError, match="rejected with 3 error"):
        call_command("import", "organizations", str(path), tenant="okawa", stderr=err)

    assert err.getvalue().splitlines() == [
        f"{path}:3: [組織名] REQUIRED A value is required.",
        f"{path}:3: [表示順] NOT_INTEGER Not a whole number: 'x'.",
        f"{path}:3: [組織コード] DUPLICATE_CODE Code 01 is also on line 2.",
    ]
