"""CSV import and export of departments and staff, through ``csv_io`` and the ``yui import``
/ ``yui export`` commands, as an administrator loading the personnel system's files sees it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

import subgraphs.people
from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
from subgraphs.people import actions
from subgraphs.people.csv_io import do_import_csv, export_csv
from subgraphs.people.kana import normalize_kana
from subgraphs.people.models import (
    AccessToken,
    Organization,
    Person,
    PersonAdditionalDepartment,
    RoleAssignment,
    Tenant,
)
from tests.conftest import GraphQLClient

DEMO = Path(subgraphs.people.__file__).parent / "demo_data"
ORG_HEADER = "組織コード,組織名,組織名カナ,上位組織コード,表示順"
STAFF_HEADER = (
    "ログインID,氏名,氏名カナ,メールアドレス,所属組織コード,兼務組織コード,"
    "役職,役職コード,内線番号,表示順"
)
# A valid new staff member of 大川市 (402125), for files that must fail for another reason.
NEW_STAFF = (
    "9000001,髙木 一郎,ﾀｶｷﾞ ｲﾁﾛｳ,ichiro.takagi@city.okawa.lg.jp,010101,0102;0103,主事,600,1234,500"
)


def manifest() -> list[dict[str, str]]:
    with (DEMO / "MANIFEST.tsv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def sample(code: str, kind: str) -> bytes:
    return (DEMO / f"{code}-{kind}.csv").read_bytes()


def csv_bytes(header: str, *rows: str, encoding: str = "cp932") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def snapshot() -> tuple[list[str], list[str], list[str]]:
    """Everything an import may change, to prove a rejected one changed nothing."""
    orgs = Organization.objects.values_list(
        "tenant_id", "code", "name", "name_kana", "parent_id", "sort_order", "is_active"
    )
    people = Person.objects.values_list(
        "tenant_id",
        "login_id",
        "name",
        "name_kana",
        "email",
        "department_id",
        "title",
        "title_code",
        "extension",
        "sort_order",
        "is_active",
    )
    links = PersonAdditionalDepartment.objects.values_list(
        "person_id", "organization_id", "sort_order"
    )
    return (sorted(map(str, orgs)), sorted(map(str, people)), sorted(map(str, links)))


def person(tenant: Tenant, login_id: str) -> Person:
    return Person.objects.get(tenant=tenant, login_id=login_id)


def additional_codes(p: Person) -> list[str]:
    return list(
        PersonAdditionalDepartment.objects.filter(person=p)
        .order_by("sort_order")
        .values_list("organization__code", flat=True)
    )


@pytest.fixture
def okawa(db: None) -> Tenant:
    """大川市 with its sample departments (no staff yet)."""
    tenant = Tenant.objects.create(code="402125", slug="okawa", name="大川市")
    report = do_import_csv(tenant, "organizations", sample("402125", "organizations"))
    assert report.applied, report.errors
    return tenant


@pytest.fixture
def okawa_staffed(okawa: Tenant) -> Tenant:
    report = do_import_csv(okawa, "staff", sample("402125", "staff"))
    assert report.applied, report.errors
    return okawa


# --- the sample files -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["code"])
def test_sample_files_import_with_the_manifest_counts(entry: dict[str, str]) -> None:
    tenant = Tenant.objects.create(code=entry["code"], slug=f"t{entry['code']}", name=entry["name"])

    orgs = do_import_csv(tenant, "organizations", sample(entry["code"], "organizations"))
    staff = do_import_csv(tenant, "staff", sample(entry["code"], "staff"))

    for report, kind in ((orgs, "organizations"), (staff, "staff")):
        assert report.errors == []
        assert report.applied
        assert report.encoding == entry["encoding"]
        assert len(report.added) == int(entry[kind])
        assert (report.updated, report.deactivated, report.unchanged) == ([], [], 0)
    assert Organization.objects.filter(tenant=tenant, is_active=True).count() == int(
        entry["organizations"]
    )
    assert Person.objects.filter(tenant=tenant, is_active=True).count() == int(entry["staff"])


@pytest.mark.django_db
def test_utf8_sample_values_are_stored_as_written(okawa_staffed: Tenant) -> None:
    takahashi = person(okawa_staffed, "0552161")  # leading zero kept
    assert takahashi.name == "髙橋 洋介"
    assert person(okawa_staffed, "0307198").name == "山﨑 稔"
    assert person(okawa_staffed, "0438054").name == "濵田 あすか"
    # Half-width kana readings are stored as full-width katakana.
    yamashita = person(okawa_staffed, "0958552")
    assert yamashita.name_kana == "ヤマシタ サトミ"
    assert yamashita.department.code == "060102"
    assert yamashita.title_code == "600"
    # 兼務
    assert additional_codes(person(okawa_staffed, "0364435")) == ["030102"]
    # Codes keep their leading zeros, and the tree is built from the parent codes.
    section = Organization.objects.get(tenant=okawa_staffed, code="010101")
    assert section.parent.code == "0101"
    assert section.parent.parent.code == "01"
    assert section.depth == 2
    # Imported staff cannot sign in until a password is set.
    assert not takahashi.has_usable_password()


@pytest.mark.django_db
def test_cp932_sample_values_are_stored_as_written() -> None:
    tenant = Tenant.objects.create(code="406210", slug="kanda", name="苅田町")
    do_import_csv(tenant, "organizations", sample("406210", "organizations"))
    report = do_import_csv(tenant, "staff", sample("406210", "staff"))

    assert report.encoding == "cp932"
    assert person(tenant, "0975278").name == "德永 智也"
    assert person(tenant, "0532078").name_kana == "コンドウ ジュン"
    assert additional_codes(person(tenant, "0139154")) == ["030301"]
    assert Organization.objects.get(tenant=tenant, code="01").name_kana == "ソウムブ"


# --- encodings --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "data_encoding"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp932", "cp932")],
)
def test_encoding_is_detected(okawa: Tenant, encoding: str, data_encoding: str) -> None:
    # ① and 髙 are where strict Shift_JIS fails and CP932 does not.
    data = csv_bytes(
        STAFF_HEADER,
        "9000002,髙田 ①子,ﾀｶﾀﾞ ｲﾁｺ,,010101,,主事,600,,1",
        encoding=data_encoding,
    )
    report = do_import_csv(okawa, "staff", data)

    assert report.errors == []
    assert report.encoding == encoding
    stored = person(okawa, "9000002")
    assert (stored.name, stored.name_kana) == ("髙田 ①子", "タカダ イチコ")


@pytest.mark.django_db
def test_encoding_override(okawa: Tenant) -> None:
    data = csv_bytes(STAFF_HEADER, "9000003,髙木 二郎,,,010101,,,,,", encoding="utf-16")

    detected = do_import_csv(okawa, "staff", data, dry_run=True)
    overridden = do_import_csv(okawa, "staff", data, encoding="utf-16")

    # UTF-16 with a BOM is detected; naming it works too.
    assert (detected.errors, detected.encoding, detected.added) == ([], "utf-16-le", ["9000003"])
    assert overridden.errors == []
    assert overridden.encoding == "utf-16"
    assert person(okawa, "9000003").name == "髙木 二郎"


@pytest.mark.django_db
def test_strict_shift_jis_override_fails_on_the_line_with_taka(okawa: Tenant) -> None:
    data = csv_bytes(
        STAFF_HEADER, "9000004,山田 花子,,,010101,,,,,", "9000005,髙木 三郎,,,010101,,,,,"
    )
    before = snapshot()

    report = do_import_csv(okawa, "staff", data, encoding="shift_jis")

    assert [(e.line, e.column) for e in report.errors] == [(3, None)]
    assert "shift_jis" in report.errors[0].message
    assert report.errors[0].code == "BAD_ENCODING"
    assert snapshot() == before


def excel_unicode_text(data: bytes, *, encoding: str = "utf-16-le", bom: bool = True) -> bytes:
    """A CSV sample saved as Excel's "Unicode テキスト": UTF-16 (LE, with a BOM), cells
    separated by tabs, CRLF line ends; a cell with a tab or a quote in double quotes."""
    text = data.decode("utf-8-sig")
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\r\n")
    writer.writerows(csv.reader(io.StringIO(text, newline="")))
    return (("\ufeff" if bom else "") + out.getvalue()).encode(encoding)


@pytest.mark.django_db
def test_excel_unicode_text_is_imported(okawa: Tenant) -> None:
    data = excel_unicode_text(sample("402125", "staff"))
    assert data.startswith(b"\xff\xfe") and b"\t\x00" in data and b"\r\x00\n\x00" in data

    report = do_import_csv(okawa, "staff", data)

    assert report.errors == []
    assert (report.encoding, report.delimiter) == ("utf-16-le", "\t")
    assert len(report.added) == 120
    assert person(okawa, "0552161").name == "髙橋 洋介"
    assert additional_codes(person(okawa, "0364435")) == ["030102"]
    # Importing the same people from the CSV sample finds nothing to change.
    again = do_import_csv(okawa, "staff", sample("402125", "staff"))
    assert (again.updated, again.unchanged) == ([], 120)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [
        ("utf-16-be", True, "utf-16-be"),
        ("utf-16-le", False, "utf-16-le"),
        ("utf-16-be", False, "utf-16-be"),
    ],
)
def test_utf16_big_endian_and_without_bom(
    db: None, encoding: str, bom: bool, detected: str
) -> None:
    data = excel_unicode_text(sample("402125", "organizations"), encoding=encoding, bom=bom)
    report = do_import_csv(
        Tenant.objects.create(code="406210", slug="k", name="苅田町"), "organizations", data
    )

    assert report.errors == []
    assert (report.encoding, report.delimiter, len(report.added)) == (detected, "\t", 65)


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"])
def test_tab_separated_files_in_every_encoding(okawa: Tenant, encoding: str) -> None:
    # A comma inside a tab-separated cell is part of the value.
    data = csv_bytes(
        STAFF_HEADER.replace(",", "\t"),
        "9000002\t髙田 ①子\tﾀｶﾀﾞ ｲﾁｺ\t\t010101\t0102;0103\t主事, 兼 庶務\t600\t\t1",
        encoding=encoding,
    )

    report = do_import_csv(okawa, "staff", data)

    assert report.errors == []
    assert (report.encoding, report.delimiter) == (encoding, "\t")
    stored = person(okawa, "9000002")
    assert (stored.name, stored.title) == ("髙田 ①子", "主事, 兼 庶務")
    assert additional_codes(stored) == ["0102", "0103"]


@pytest.mark.django_db
def test_utf16_errors_point_at_their_line(okawa: Tenant) -> None:
    data = excel_unicode_text(
        csv_bytes(STAFF_HEADER, NEW_STAFF, "9000010,山田 太郎,,,010101,,,,,", encoding="utf-8")
    )
    # A high surrogate followed by no low one: not UTF-16 at all, on line 3.
    damaged = data.replace("山田".encode("utf-16-le"), b"\x00\xd8A\x00")
    tab_errors = do_import_csv(
        okawa,
        "staff",
        excel_unicode_text(
            csv_bytes(STAFF_HEADER, "9000010,山田 太郎,,,999999,,,,,", encoding="utf-8")
        ),
    )

    report = do_import_csv(okawa, "staff", damaged)

    assert [(e.line, e.column, e.code) for e in report.errors] == [(3, None, "BAD_ENCODING")]
    assert "utf-16-le" in report.errors[0].message
    # Errors of a tab-separated file name its columns and lines as a CSV's do.
    assert [(e.line, e.column, e.code) for e in tab_errors.errors] == [
        (2, "所属組織コード", "UNKNOWN_DEPARTMENT")
    ]
    assert Person.objects.filter(tenant=okawa).count() == 0


@pytest.mark.django_db
def test_unknown_encoding_name_is_an_error(okawa: Tenant) -> None:
    for name in ("klingon", "base64"):
        report = do_import_csv(okawa, "staff", csv_bytes(STAFF_HEADER, NEW_STAFF), encoding=name)
        assert not report.applied
        assert "Unknown encoding" in report.errors[0].message
        assert report.errors[0].code == "UNKNOWN_ENCODING"
    assert not Person.objects.filter(login_id="9000001").exists()


# --- rejected files ---------------------------------------------------------------------

STAFF_CASES = {
    "unknown department": (
        [NEW_STAFF, "9000010,山田 太郎,,,999999,,,,,"],
        (3, "所属組織コード", "Unknown department code 999999", "UNKNOWN_DEPARTMENT"),
    ),
    "unknown additional department": (
        [NEW_STAFF, "9000010,山田 太郎,,,010101,0101;999998,,,,"],
        (3, "兼務組織コード", "Unknown department code 999998", "UNKNOWN_DEPARTMENT"),
    ),
    "duplicate login ID": (
        [NEW_STAFF, "9000010,山田 太郎,,,010101,,,,,", "9000010,山田 次郎,,,010101,,,,,"],
        (4, "ログインID", "also on line 3", "DUPLICATE_LOGIN_ID"),
    ),
    "missing name": (
        [NEW_STAFF, "9000010,,ﾔﾏﾀﾞ,,010101,,,,,"],
        (3, "氏名", "required", "REQUIRED"),
    ),
    "missing login ID": (
        [NEW_STAFF, ",山田 太郎,,,010101,,,,,"],
        (3, "ログインID", "required", "REQUIRED"),
    ),
    "bad e-mail": (
        [NEW_STAFF, "9000010,山田 太郎,,taro.yamada@,010101,,,,,"],
        (3, "メールアドレス", "Not an e-mail address", "INVALID_EMAIL"),
    ),
    "wrong column count": (
        [NEW_STAFF, "9000010,山田 太郎,,,010101,,,,"],
        (3, None, "Expected 10 columns", "COLUMN_COUNT"),
    ),
    "non-integer sort order": (
        [NEW_STAFF, "9000010,山田 太郎,,,010101,,,,,1.5"],
        (3, "表示順", "Not a whole number", "NOT_INTEGER"),
    ),
    "value too long": (
        [NEW_STAFF, "9000010,山田 太郎,,,010101,,,,0123456789012345678901234567890,"],
        (3, "内線番号", "Longer than 30", "TOO_LONG"),
    ),
    "NUL character": (
        [NEW_STAFF, "9000010,山田\x00太郎,,,010101,,,,,"],
        (3, "氏名", "control character U+0000", "CONTROL_CHARACTER"),
    ),
    "unclosed quote": (
        [NEW_STAFF, '9000010,"山田 太郎,,,010101,,,,,'],
        (3, None, "Malformed CSV", "MALFORMED_CSV"),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(STAFF_CASES))
def test_invalid_staff_file_is_rejected_with_line_and_column(
    okawa_staffed: Tenant, case: str
) -> None:
    rows, (line, column, message, code) = STAFF_CASES[case]
    before = snapshot()

    report = do_import_csv(okawa_staffed, "staff", csv_bytes(STAFF_HEADER, *rows))

    assert not report.applied
    assert (report.added, report.updated) == ([], [])
    matching = [e for e in report.errors if message in e.message]
    assert matching, report.errors
    assert (matching[0].line, matching[0].column, matching[0].code) == (line, column, code)
    assert snapshot() == before


@pytest.mark.django_db
def test_every_error_of_a_file_is_reported_at_once(okawa: Tenant) -> None:
    report = do_import_csv(
        okawa,
        "staff",
        csv_bytes(
            STAFF_HEADER,
            "9000010,,,not-mail,010101,,,,,x",
            NEW_STAFF,
            "9000011,山田 太郎,,,123,,,,,",
        ),
    )

    assert [(e.line, e.column) for e in report.errors] == [
        (2, "氏名"),
        (2, "表示順"),
        (2, "メールアドレス"),
        (4, "所属組織コード"),
    ]
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_undecodable_bytes_are_reported_on_their_line(okawa_staffed: Tenant) -> None:
    data = csv_bytes(
        STAFF_HEADER, NEW_STAFF, "9000010,山田 太郎,,,010101,,,,,", "9000011,x,,,,,,,,"
    )
    damaged = data.replace("山田".encode("cp932"), b"\x85\x40")  # an unassigned CP932 row
    before = snapshot()

    report = do_import_csv(okawa_staffed, "staff", damaged)

    assert [(e.line, e.column) for e in report.errors] == [(3, None)]
    assert "85" in report.errors[0].message
    assert report.errors[0].code == "BAD_ENCODING"
    assert snapshot() == before


@pytest.mark.django_db
def test_unknown_and_missing_headers_are_named(okawa_staffed: Tenant) -> None:
    before = snapshot()

    unknown = do_import_csv(
        okawa_staffed, "staff", csv_bytes("ログインID,氏名,部署", "9000010,山田 太郎,総務課")
    )
    missing = do_import_csv(okawa_staffed, "staff", csv_bytes("ログインID,内線番号", "9000010,1"))

    assert unknown.errors[0].line == 1
    assert "部署" in unknown.errors[0].message
    assert missing.errors[0].line == 1
    assert "氏名" in missing.errors[0].message
    assert [e.code for e in unknown.errors] == ["UNKNOWN_COLUMN"]
    assert [e.code for e in missing.errors] == ["MISSING_COLUMN"]
    twice = do_import_csv(okawa_staffed, "staff", csv_bytes("ログインID,氏名,login_id", "1,a,1"))
    assert [(e.line, e.column, e.code) for e in twice.errors] == [
        (1, "login_id", "DUPLICATE_COLUMN")
    ]
    assert snapshot() == before


@pytest.mark.django_db
def test_empty_files_change_nothing(okawa_staffed: Tenant) -> None:
    before = snapshot()

    empty = do_import_csv(okawa_staffed, "staff", b"")
    header_only = do_import_csv(okawa_staffed, "staff", csv_bytes(STAFF_HEADER))
    wipe = do_import_csv(okawa_staffed, "staff", csv_bytes(STAFF_HEADER), deactivate_missing=True)

    assert empty.errors[0].message == "The file is empty."
    assert (empty.errors[0].code, wipe.errors[0].code) == ("EMPTY_FILE", "NO_ROWS")
    assert (header_only.applied, len(header_only.missing), header_only.deactivated) == (
        True,
        120,
        [],
    )
    assert not wipe.applied
    assert "refusing to deactivate" in wipe.errors[0].message
    assert snapshot() == before


@pytest.mark.django_db
def test_inactive_department_is_refused_for_staff(okawa: Tenant) -> None:
    Organization.objects.filter(tenant=okawa, code="010102").update(is_active=False)

    report = do_import_csv(
        okawa, "staff", csv_bytes(STAFF_HEADER, "9000010,山田 太郎,,,010102,,,,,")
    )

    assert [(e.line, e.column) for e in report.errors] == [(2, "所属組織コード")]
    assert "inactive" in report.errors[0].message
    assert report.errors[0].code == "INACTIVE_DEPARTMENT"


@pytest.mark.django_db
def test_errors_name_the_columns_as_the_file_spells_them(okawa: Tenant) -> None:
    report = do_import_csv(
        okawa,
        "staff",
        csv_bytes("name,Login_ID,email", "山田 太郎,9000010,nope", encoding="utf-8"),
    )

    assert [(e.line, e.column) for e in report.errors] == [(2, "email")]


ORG_CASES = {
    "parent cycle": (
        ["90,企画部,,91,1", "91,企画課,,90,1"],
        (2, "上位組織コード", "cycle: 90 → 91 → 90", "PARENT_CYCLE"),
    ),
    "own parent": (["90,企画部,,90,1"], (2, "上位組織コード", "cycle: 90 → 90", "PARENT_CYCLE")),
    # 0101 sits below 01 in the database; moving 01 below 0101 closes a loop.
    "cycle through the database": (
        ["01,総務部,,0101,1"],
        (2, "上位組織コード", "cycle", "PARENT_CYCLE"),
    ),
    "unknown parent": (
        ["90,企画部,,,1", "9001,企画課,,99,1"],
        (3, "上位組織コード", "Unknown parent department code 99", "UNKNOWN_PARENT"),
    ),
    "duplicate code": (
        ["90,企画部,,,1", "90,企画課,,,2"],
        (3, "組織コード", "also on line 2", "DUPLICATE_CODE"),
    ),
    "missing code": (["90,企画部,,,1", ",企画課,,90,2"], (3, "組織コード", "required", "REQUIRED")),
    "missing name": (["90,,,,1"], (2, "組織名", "required", "REQUIRED")),
    "non-integer sort order": (
        ["90,企画部,,,一"],
        (2, "表示順", "Not a whole number", "NOT_INTEGER"),
    ),
    "sort order out of range": (
        ["90,企画部,,,99999999999"],
        (2, "表示順", "Out of range", "OUT_OF_RANGE"),
    ),
    "wrong column count": (
        ["90,企画部,,,1,extra"],
        (2, None, "Expected 5 columns", "COLUMN_COUNT"),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", list(ORG_CASES))
def test_invalid_organization_file_is_rejected_with_line_and_column(
    okawa_staffed: Tenant, case: str
) -> None:
    rows, (line, column, message, code) = ORG_CASES[case]
    before = snapshot()

    report = do_import_csv(okawa_staffed, "organizations", csv_bytes(ORG_HEADER, *rows))

    assert not report.applied
    matching = [e for e in report.errors if message in e.message]
    assert matching, report.errors
    assert (matching[0].line, matching[0].column, matching[0].code) == (line, column, code)
    assert snapshot() == before


# --- plans: dry run, deactivation, updates ----------------------------------------------


def admin_client(tenant: Tenant, login_id: str = "itkanri") -> GraphQLClient:
    """A tenant administrator made as `createPerson` makes accounts (not by an import)."""
    system = Principal(tenant_id=tenant.id, person_id=None, via="test")
    admin = actions.do_create_person(system, {"login_id": login_id, "name": "情報 管理"}).obj
    RoleAssignment.objects.create(tenant=tenant, person=admin, role=ROLE_TENANT_ADMIN)
    return GraphQLClient(actions.do_create_access_token(admin, "tests", None).extra["token"])


IMPORT_CSV = """
mutation($input: ImportCsvInput!) {
  importCsv(input: $input) {
    applied added updated deactivated notFromImport unchangedCount
    errors { line column code message }
  }
}
"""


def staff_sample_lines() -> list[str]:
    return sample("402125", "staff").decode("utf-8-sig").splitlines()


@pytest.mark.django_db
def test_dry_run_reports_the_plan_and_writes_nothing(okawa_staffed: Tenant) -> None:
    header, *rows = staff_sample_lines()
    rows[0] = rows[0].replace(",1976,", ",1977,")  # 0669950's extension
    data = csv_bytes(header, *rows[:-2], NEW_STAFF, encoding="utf-8")
    before = snapshot()

    report = do_import_csv(okawa_staffed, "staff", data, dry_run=True, deactivate_missing=True)

    assert report.ok
    assert not report.applied
    assert report.added == ["9000001"]
    assert report.updated == ["0669950"]
    assert report.unchanged == 117
    assert sorted(report.deactivated) == sorted(r.split(",")[0] for r in rows[-2:])
    assert snapshot() == before


@pytest.mark.django_db
def test_missing_staff_are_deactivated_only_when_asked(okawa_staffed: Tenant) -> None:
    header, *rows = staff_sample_lines()
    leaving = rows[-1].split(",")[0]
    AccessToken.objects.create(
        tenant=okawa_staffed,
        person=person(okawa_staffed, leaving),
        name="phone",
        token_hash="0" * 64,
        hint="yui_pat_abcd",
    )
    data = csv_bytes(header, *rows[:-1], encoding="utf-8")

    kept = do_import_csv(okawa_staffed, "staff", data)
    assert (kept.deactivated, kept.missing, kept.unchanged) == ([], [leaving], 119)
    assert person(okawa_staffed, leaving).is_active

    removed = do_import_csv(okawa_staffed, "staff", data, deactivate_missing=True)
    assert removed.applied
    assert removed.deactivated == [leaving]
    assert not person(okawa_staffed, leaving).is_active
    assert AccessToken.objects.get(person__login_id=leaving).revoked_at is not None

    # Back in the file: active again, counted as an update.
    back = do_import_csv(okawa_staffed, "staff", sample("402125", "staff"))
    assert (back.updated, back.unchanged) == ([leaving], 119)
    assert person(okawa_staffed, leaving).is_active


@pytest.mark.django_db
def test_accounts_not_from_the_import_are_never_deactivated_by_it(okawa_staffed: Tenant) -> None:
    header, *rows = staff_sample_lines()
    leaving = rows[-1].split(",")[0]
    api = admin_client(okawa_staffed)
    created = api.data(
        'mutation { createPerson(input: {loginId: "kansa01", name: "監査 用"}) { errors { code } } }'
    )
    assert created["createPerson"]["errors"] == []
    data = csv_bytes(header, *rows[:-1], encoding="utf-8").decode("utf-8")
    before = snapshot()

    preview = api.data(
        IMPORT_CSV,
        {"input": {"kind": "STAFF", "text": data, "dryRun": True, "deactivateMissing": True}},
    )["importCsv"]
    assert snapshot() == before
    applied = api.data(
        IMPORT_CSV, {"input": {"kind": "STAFF", "text": data, "deactivateMissing": True}}
    )["importCsv"]

    # Only the staff member the HR file no longer lists; not the administrator, not the
    # account made through the API.
    assert (preview["applied"], preview["deactivated"]) == (False, [leaving])
    assert preview["notFromImport"] == ["itkanri", "kansa01"]
    assert (applied["applied"], applied["deactivated"], applied["errors"]) == (True, [leaving], [])
    assert not person(okawa_staffed, leaving).is_active
    assert person(okawa_staffed, "itkanri").is_active
    assert person(okawa_staffed, "kansa01").is_active
    assert {p.source for p in Person.objects.filter(tenant=okawa_staffed)} == {"csv", "manual"}


@pytest.mark.django_db
def test_an_account_the_file_lists_becomes_the_imports(okawa_staffed: Tenant) -> None:
    # Made by hand first, then the personnel system sends the same login ID: from then on
    # the HR file manages it, and a later file without it deactivates it.
    system = Principal(tenant_id=okawa_staffed.id, person_id=None, via="test")
    actions.do_create_person(system, {"login_id": "9000001", "name": "髙木 一郎"})
    header, *rows = staff_sample_lines()

    listed = do_import_csv(okawa_staffed, "staff", csv_bytes(header, *rows, NEW_STAFF))
    dropped = do_import_csv(
        okawa_staffed, "staff", csv_bytes(header, *rows), deactivate_missing=True, dry_run=True
    )

    assert listed.updated == ["9000001"]
    assert person(okawa_staffed, "9000001").source == "csv"
    assert dropped.deactivated == ["9000001"]


@pytest.mark.django_db
def test_graphql_import_errors_carry_codes(okawa: Tenant) -> None:
    api = admin_client(okawa)
    text = "\r\n".join([STAFF_HEADER, NEW_STAFF, "9000010,山田 太郎,,,999999,,,,,", ""])

    result = api.data(IMPORT_CSV, {"input": {"kind": "STAFF", "text": text}})["importCsv"]
    nothing = api.data(IMPORT_CSV, {"input": {"kind": "STAFF"}})["importCsv"]

    assert result["applied"] is False
    assert [(e["line"], e["column"], e["code"]) for e in result["errors"]] == [
        (3, "所属組織コード", "UNKNOWN_DEPARTMENT")
    ]
    assert "999999" in result["errors"][0]["message"]
    assert [e["code"] for e in nothing["errors"]] == ["NO_INPUT"]


@pytest.mark.django_db
def test_departments_with_staff_are_not_deactivated(okawa_staffed: Tenant) -> None:
    lines = sample("402125", "organizations").decode("utf-8-sig").splitlines()
    without = [line for line in lines if not line.startswith("0601")]  # 0601 and its sections
    before = snapshot()

    report = do_import_csv(
        okawa_staffed, "organizations", csv_bytes(*without), deactivate_missing=True
    )

    assert not report.applied
    assert any("060102" in e.message and "active staff" in e.message for e in report.errors)
    assert {e.code for e in report.errors} == {"DEPARTMENT_HAS_STAFF"}
    assert snapshot() == before


@pytest.mark.django_db
def test_parent_missing_from_the_file_is_not_deactivated_under_its_children(
    okawa: Tenant,
) -> None:
    lines = sample("402125", "organizations").decode("utf-8-sig").splitlines()
    without = [line for line in lines if not line.startswith("0601,")]  # its sections stay

    report = do_import_csv(okawa, "organizations", csv_bytes(*without), deactivate_missing=True)
    kept = do_import_csv(okawa, "organizations", csv_bytes(*without))

    line = next(i for i, text in enumerate(without, 1) if text.startswith("060101,"))
    assert (report.errors[0].line, report.errors[0].column) == (line, "上位組織コード")
    assert "0601" in report.errors[0].message
    assert report.errors[0].code == "PARENT_NOT_IN_FILE"
    # Without --deactivate-missing the file is fine: 0601 just stays as it is.
    assert (kept.applied, kept.missing, kept.unchanged) == (True, ["0601"], 64)
    assert Organization.objects.get(tenant=okawa, code="0601").is_active


@pytest.mark.django_db
def test_departments_held_as_additional_are_not_deactivated(okawa: Tenant) -> None:
    do_import_csv(okawa, "staff", csv_bytes(STAFF_HEADER, NEW_STAFF))  # 兼務 0102;0103
    lines = sample("402125", "organizations").decode("utf-8-sig").splitlines()
    without = [line for line in lines if not line.startswith("0103")]

    report = do_import_csv(okawa, "organizations", csv_bytes(*without), deactivate_missing=True)

    assert [e.message.split(" is ")[0] for e in report.errors] == ["Department 0103 情報政策課"]
    assert Organization.objects.get(tenant=okawa, code="0103").is_active


@pytest.mark.django_db
def test_empty_departments_missing_from_the_file_are_deactivated(okawa: Tenant) -> None:
    lines = sample("402125", "organizations").decode("utf-8-sig").splitlines()
    without = [line for line in lines if not line.startswith("0601")]

    report = do_import_csv(okawa, "organizations", csv_bytes(*without), deactivate_missing=True)

    assert report.applied
    assert report.deactivated[0] == "0601"
    assert set(report.deactivated) == {"0601", "060101", "060102"}
    assert not Organization.objects.get(tenant=okawa, code="060101").is_active
    assert b"060101" not in export_csv(okawa, "organizations")


@pytest.mark.django_db
def test_departments_made_by_hand_are_not_deactivated_by_an_import(okawa: Tenant) -> None:
    api = admin_client(okawa)
    soumu = Organization.objects.get(tenant=okawa, code="01")
    made = api.data(
        'mutation($p: ID!) { createOrganization(input: {code: "PT01", name: "DX推進チーム",'
        " parentId: $p}) { errors { code } } }",
        {"p": str(soumu.id)},
    )
    assert made["createOrganization"]["errors"] == []
    lines = sample("402125", "organizations").decode("utf-8-sig").splitlines()
    data = csv_bytes(*[line for line in lines if not line.startswith("0601")])

    applied = do_import_csv(okawa, "organizations", data, deactivate_missing=True)

    assert applied.errors == []
    assert set(applied.deactivated) == {"0601", "060101", "060102"}
    assert applied.unmanaged == ["PT01"]
    assert Organization.objects.get(tenant=okawa, code="PT01").is_active


@pytest.mark.django_db
def test_a_department_is_not_deactivated_above_one_made_by_hand(okawa: Tenant) -> None:
    system = Principal(tenant_id=okawa.id, person_id=None, via="test")
    parent = Organization.objects.get(tenant=okawa, code="0601")
    actions.do_create_organization(system, {"code": "PT02", "name": "班", "parent_id": parent.id})
    lines = sample("402125", "organizations").decode("utf-8-sig").splitlines()
    data = csv_bytes(*[line for line in lines if not line.startswith("0601")])
    before = snapshot()

    report = do_import_csv(okawa, "organizations", data, deactivate_missing=True)

    assert not report.applied
    assert [(e.code, e.line) for e in report.errors] == [("DEPARTMENT_HAS_CHILDREN", None)]
    assert "0601" in report.errors[0].message and "PT02" in report.errors[0].message
    assert snapshot() == before
    # Listing the department takes it over: a later file without it deactivates it.
    taken = do_import_csv(okawa, "organizations", csv_bytes(*lines, "PT02,班,,0601,9"))
    assert taken.updated == ["PT02"]
    again = do_import_csv(okawa, "organizations", csv_bytes(*lines), deactivate_missing=True)
    assert again.deactivated == ["PT02"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new", "check"),
    [
        (",1976,", ",1977,", lambda p: p.extension == "1977"),
        (",010401,,", ",010402,,", lambda p: p.department.code == "010402"),
        (",010401,,", ",010401,0101;02,", lambda p: additional_codes(p) == ["0101", "02"]),
        (",課長,200,", ",部長,100,", lambda p: (p.title, p.title_rank) == ("部長", 100)),
        (
            "ナカムラ ソウタロウ",
            "なかむら そうたろう",
            lambda p: p.name_kana == "ナカムラ ソウタロウ",
        ),
    ],
    ids=["extension", "department", "additional", "title", "same reading in hiragana"],
)
def test_only_changed_rows_are_updated(okawa_staffed: Tenant, old, new, check) -> None:
    header, *rows = staff_sample_lines()
    assert rows[0].startswith("0669950,")
    rows[0] = rows[0].replace(old, new)

    report = do_import_csv(okawa_staffed, "staff", csv_bytes(header, *rows))

    same_reading = old.startswith("ナ")
    assert report.updated == ([] if same_reading else ["0669950"])
    assert report.unchanged == (120 if same_reading else 119)
    assert check(person(okawa_staffed, "0669950"))


@pytest.mark.django_db
def test_organization_move_is_an_update(okawa: Tenant) -> None:
    lines = sample("402125", "organizations").decode("utf-8-sig").splitlines()
    moved = [line.replace("010102,庶務係,,0101,2", "010102,庶務係,,0102,3") for line in lines]

    report = do_import_csv(okawa, "organizations", csv_bytes(*moved))

    assert (report.updated, report.unchanged) == (["010102"], 64)
    org = Organization.objects.get(tenant=okawa, code="010102")
    assert org.parent.code == "0102"
    assert org.tree_path.startswith(org.parent.tree_path)


@pytest.mark.django_db
def test_columns_left_out_are_left_alone(okawa_staffed: Tenant) -> None:
    report = do_import_csv(
        okawa_staffed,
        "staff",
        csv_bytes("内線番号,ログインID,氏名", "9999,0364435,池田 康弘", encoding="utf-8"),
    )

    assert report.updated == ["0364435"]
    ikeda = person(okawa_staffed, "0364435")
    assert ikeda.extension == "9999"
    assert ikeda.department.code == "010501"
    assert additional_codes(ikeda) == ["030102"]


@pytest.mark.django_db
def test_english_headers_in_any_order(okawa: Tenant) -> None:
    data = csv_bytes(
        "sort_order,name,login_id,department_code,additional_department_codes,name_kana",
        "7,髙木 一郎,9000001,010101,0102; 0103,ﾀｶｷﾞ ｲﾁﾛｳ",
        encoding="utf-8",
    )

    report = do_import_csv(okawa, "staff", data)

    assert report.added == ["9000001"]
    takagi = person(okawa, "9000001")
    assert (takagi.sort_order, takagi.name_kana) == (7, "タカギ イチロウ")
    assert additional_codes(takagi) == ["0102", "0103"]


@pytest.mark.django_db
def test_tenants_do_not_see_each_others_rows(okawa_staffed: Tenant) -> None:
    kanda = Tenant.objects.create(code="406210", slug="kanda", name="苅田町")
    do_import_csv(kanda, "organizations", sample("406210", "organizations"))

    report = do_import_csv(kanda, "staff", csv_bytes(STAFF_HEADER, NEW_STAFF))

    # Same department codes, other tenant: 0102 exists in 苅田町 too, so this imports
    # there as a new person, and 大川市 is untouched.
    assert report.added == ["9000001"]
    assert report.missing == []
    assert Person.objects.filter(login_id="9000001").get().tenant == kanda
    assert Person.objects.filter(tenant=okawa_staffed, is_active=True).count() == 120


@pytest.mark.django_db
def test_import_does_not_query_per_row(okawa: Tenant) -> None:
    def staff_file(first: int, count: int) -> bytes:
        rows = [
            f"{first + i:07d},髙橋 {i},ﾀｶﾊｼ,t{i}@city.okawa.lg.jp,010101,0102;0103,主事,600,{i},{i}"
            for i in range(count)
        ]
        return csv_bytes(STAFF_HEADER, *rows)

    do_import_csv(okawa, "staff", staff_file(1_000_000, 20))
    with CaptureQueriesContext(connection) as queries:
        report = do_import_csv(okawa, "staff", staff_file(2_000_000, 400), deactivate_missing=True)

    assert (len(report.added), len(report.deactivated)) == (400, 20)
    assert Person.objects.filter(tenant=okawa, is_active=True).count() == 400
    # Three reads, then batched writes (SQLite caps the rows of one INSERT by its limit on
    # query parameters, so batches are smaller there): far fewer statements than rows.
    assert len(queries) < 400 / 10


@pytest.mark.django_db
def test_progress_reaches_the_total(okawa: Tenant) -> None:
    calls: list[tuple[int, int]] = []

    do_import_csv(
        okawa, "staff", sample("402125", "staff"), progress=lambda d, t: calls.append((d, t))
    )

    assert calls[-1][0] == calls[-1][1] == 240  # 120 rows checked, 120 rows written
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


# --- export and round trip --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["code"])
def test_export_reproduces_the_sample_files(entry: dict[str, str]) -> None:
    code, encoding = entry["code"], entry["encoding"]
    tenant = Tenant.objects.create(code=code, slug=f"t{code}", name=entry["name"])
    for kind in ("organizations", "staff"):
        do_import_csv(tenant, kind, sample(code, kind))

    assert export_csv(tenant, "organizations", encoding=encoding) == sample(code, "organizations")
    # Staff readings in half-width kana come back full-width, as they are stored; apart
    # from that the file is byte for byte the one imported.
    original = sample(code, "staff").decode(encoding)
    rows = list(csv.reader(io.StringIO(original, newline="")))
    for row in rows[1:]:
        row[2] = normalize_kana(row[2])
    expected = "".join(",".join(row) + "\r\n" for row in rows)
    assert export_csv(tenant, "staff", encoding=encoding) == expected.encode(encoding)


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"])
def test_importing_an_export_changes_nothing(okawa_staffed: Tenant, encoding: str) -> None:
    # One person with two additional departments, in a non-sorted order.
    do_import_csv(
        okawa_staffed,
        "staff",
        csv_bytes("ログインID,氏名,兼務組織コード", "0669950,中村 聡太郎,0102;0101"),
    )
    before = snapshot()

    for kind, count in (("organizations", 65), ("staff", 120)):
        report = do_import_csv(
            okawa_staffed, kind, export_csv(okawa_staffed, kind, encoding=encoding)
        )
        assert report.errors == []
        assert report.encoding == encoding
        assert (report.added, report.updated, report.deactivated) == ([], [], [])
        assert report.unchanged == count
    assert snapshot() == before


@pytest.mark.django_db
def test_export_format(okawa_staffed: Tenant) -> None:
    default = export_csv(okawa_staffed, "staff")
    bom = export_csv(okawa_staffed, "staff", encoding="utf-8-sig")

    assert default.decode("cp932").startswith(STAFF_HEADER + "\r\n")
    assert bom.startswith(b"\xef\xbb\xbf" + STAFF_HEADER.encode())
    assert default.decode("cp932") == bom.decode("utf-8-sig")
    assert default.count(b"\r\n") == default.count(b"\n") == 121
    orgs = export_csv(okawa_staffed, "organizations").decode("cp932").splitlines()
    assert orgs[1:4] == ["01,総務部,ソウムブ,,1", "0101,総務課,,01,1", "010101,管理係,,0101,1"]


@pytest.mark.django_db
def test_export_names_the_row_a_character_does_not_fit(okawa_staffed: Tenant) -> None:
    Person.objects.filter(login_id="0552161").update(name="𠮷田 洋介")

    with pytest.raises(ValueError, match=r"0552161.*氏名"):
        export_csv(okawa_staffed, "staff")
    assert "𠮷田 洋介" in export_csv(okawa_staffed, "staff", encoding="utf-8-sig").decode(
        "utf-8-sig"
    )


# --- the commands -----------------------------------------------------------------------


@pytest.mark.django_db
def test_import_command_imports_and_summarises(okawa: Tenant) -> None:
    path = str(DEMO / "402125-staff.csv")
    first, again = io.StringIO(), io.StringIO()

    call_command("import", "staff", path, tenant="okawa", stdout=first)
    call_command("import", "staff", path, tenant="402125", stdout=again)

    assert "Imported 120 staff rows" in first.getvalue()
    assert "(encoding utf-8-sig)" in first.getvalue()
    assert "added: 120" in first.getvalue()
    # A re-run changes nothing and says so.
    assert "added: 0" in again.getvalue()
    assert "unchanged: 120" in again.getvalue()
    assert Person.objects.filter(tenant=okawa).count() == 120


@pytest.mark.django_db
def test_import_command_dry_run_shows_the_plan(okawa_staffed: Tenant, tmp_path: Path) -> None:
    header, *rows = staff_sample_lines()
    rows[0] = rows[0].replace(",1976,", ",1977,")
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(header, *rows[:-1], NEW_STAFF))
    out = io.StringIO()
    before = snapshot()

    call_command(
        "import",
        "staff",
        str(path),
        tenant="402125",
        dry_run=True,
        deactivate_missing=True,
        stdout=out,
    )

    text = out.getvalue()
    assert "encoding cp932" in text
    assert "would be added: 1 (9000001)" in text
    assert "would be updated: 1 (0669950)" in text
    assert f"would be deactivated: 1 ({rows[-1].split(',')[0]})" in text
    assert "Nothing was written" in text
    assert snapshot() == before


@pytest.mark.django_db
def test_import_command_rejects_a_bad_file_with_file_line_column(
    okawa: Tenant, tmp_path: Path
) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(STAFF_HEADER, NEW_STAFF, "9000010,山田 太郎,,,999999,,,,,"))
    err = io.StringIO()

    with pytest.raises(CommandError, match="rejected with 1 error"):
        call_command("import", "staff", str(path), tenant="402125", stderr=err)

    assert (
        f"{path}:3: [所属組織コード] UNKNOWN_DEPARTMENT Unknown department code 999999"
        in err.getvalue()
    )
    assert Person.objects.count() == 0


@pytest.mark.django_db
def test_import_command_exits_non_zero(
    okawa: Tenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(csv_bytes(STAFF_HEADER, "9000010,,,,,,,,,"))
    # run_from_argv closes the connections when done, which would end the test's
    # transaction on PostgreSQL.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["yui", "import", "staff", str(path), "--tenant", "402125"]).execute()

    assert exited.value.code == 1
    assert f"{path}:2: [氏名] REQUIRED A value is required." in capsys.readouterr().err


@pytest.mark.django_db
def test_commands_refuse_an_unknown_tenant(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No tenant"):
        call_command("import", "staff", str(DEMO / "402125-staff.csv"), tenant="999999")
    with pytest.raises(CommandError, match="No tenant"):
        call_command("export", "staff", tenant="nowhere")


@pytest.mark.django_db
def test_export_command_writes_the_file(okawa_staffed: Tenant, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"

    call_command(
        "export",
        "staff",
        tenant="okawa",
        output=str(path),
        encoding="utf-8-sig",
        stderr=io.StringIO(),
    )
    out = io.StringIO()
    call_command("export", "organizations", tenant="402125", stdout=out)

    assert path.read_bytes() == export_csv(okawa_staffed, "staff", encoding="utf-8-sig")
    assert out.getvalue() == export_csv(okawa_staffed, "organizations").decode("cp932")
