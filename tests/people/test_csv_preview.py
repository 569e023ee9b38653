"""The import preview the administration screen shows: a file sent as base64 bytes (as a
browser reads a CP932 file), each row to add / change / deactivate with its name, every
change column by column (before -> after), errors by line, and nothing written until the
import is asked for without dryRun."""

from __future__ import annotations

import base64

import pytest

from subgraphs.people.models import Organization, Person
from tests.conftest import Municipality

STAFF_HEADER = "ログインID,氏名,氏名カナ,メールアドレス,所属組織コード,兼務組織コード,役職,役職コード,内線番号,表示順"
ORG_HEADER = "組織コード,組織名,組織名カナ,上位組織コード,表示順"
IMPORT = """
mutation($input: ImportCsvInput!) {
  importCsv(input: $input) {
    applied encoding added updated deactivated unchangedCount
    addedRows { key name changes { field } }
    updatedRows { key name changes { field before after } }
    deactivatedRows { key name }
    notFromImportRows { key name }
    errors { line column code }
  }
}
"""


def encoded(*lines: str, encoding: str = "cp932") -> str:
    return base64.b64encode(("\r\n".join(lines) + "\r\n").encode(encoding)).decode()


def run(m: Municipality, kind: str, content: str, **flags: object) -> dict:
    api = m.api(m.admin)
    payload = {"kind": kind, "contentBase64": content, **flags}
    return api.data(IMPORT, {"input": payload})["importCsv"]  # type: ignore[no-any-return]


def staff_state(m: Municipality) -> list[tuple]:
    return list(
        Person.objects.filter(tenant=m.tenant)
        .order_by("login_id")
        .values_list("login_id", "name", "department__code", "title", "is_active", "source")
    )


@pytest.mark.django_db
def test_a_staff_preview_lists_adds_changes_before_and_after_and_deactivations(okawa):
    # The HR file takes 0002 and 0003 over first (both in 庶務係).
    first = run(
        okawa,
        "STAFF",
        encoded(
            STAFF_HEADER,
            "0002,山﨑 花子,ヤマザキ ハナコ,,010101,,係長,300,,1",
            "0003,佐藤 次郎,サトウ ジロウ,,010101,,主事,600,,2",
        ),
    )
    assert first["applied"] and first["encoding"] == "cp932", first
    before = staff_state(okawa)

    # Then 0002 moves to 市民課 with a 兼務 in 人事係 and a new title, 1001 joins, 0003 is
    # no longer in the file.
    preview = run(
        okawa,
        "STAFF",
        encoded(
            STAFF_HEADER,
            "0002,山﨑 花子,ヤマザキ ハナコ,,0201,010102,課長補佐,250,,1",
            "1001,髙田 新,タカダ アラタ,,0201,,主事,600,,3",
        ),
        dryRun=True,
        deactivateMissing=True,
    )

    assert preview["applied"] is False and preview["errors"] == []
    assert staff_state(okawa) == before  # a preview writes nothing
    assert preview["addedRows"] == [{"key": "1001", "name": "髙田 新", "changes": []}]
    assert preview["deactivatedRows"] == [{"key": "0003", "name": "佐藤 次郎"}]
    # Accounts made by hand stay; the preview names them.
    kept = {row["key"]: row["name"] for row in preview["notFromImportRows"]}
    assert kept["0001"] == "髙橋 一郎" and "admin" in kept
    [updated] = preview["updatedRows"]
    assert (updated["key"], updated["name"]) == ("0002", "山﨑 花子")
    assert {c["field"]: (c["before"], c["after"]) for c in updated["changes"]} == {
        "department_code": ("010101", "0201"),
        "title": ("係長", "課長補佐"),
        "title_code": ("300", "250"),
        "additional_department_codes": ("", "010102"),
    }

    applied = run(
        okawa,
        "STAFF",
        encoded(
            STAFF_HEADER,
            "0002,山﨑 花子,ヤマザキ ハナコ,,0201,010102,課長補佐,250,,1",
            "1001,髙田 新,タカダ アラタ,,0201,,主事,600,,3",
        ),
        deactivateMissing=True,
    )
    assert applied["applied"] is True
    assert Person.objects.get(tenant=okawa.tenant, login_id="0002").department.code == "0201"
    assert not Person.objects.get(tenant=okawa.tenant, login_id="0003").is_active


@pytest.mark.django_db
def test_an_organisation_preview_shows_a_move_and_a_department_taken_over(okawa):
    preview = run(
        okawa,
        "ORGANIZATIONS",
        encoded(ORG_HEADER, "010102,人事係,ジンジカカリ,0201,2", "03,建設部,ケンセツブ,,3"),
        dryRun=True,
    )

    assert preview["added"] == ["03"] and preview["addedRows"][0]["name"] == "建設部"
    [moved] = preview["updatedRows"]
    changes = {c["field"]: (c["before"], c["after"]) for c in moved["changes"]}
    assert moved["key"] == "010102" and moved["name"] == "人事係"
    # Made with createOrganization (manual), now the HR file's (csv); moved under 市民課.
    assert changes["parent_code"] == ("0101", "0201")
    assert changes["source"] == ("manual", "csv")
    assert changes["name_kana"] == ("", "ジンジカカリ")
    assert not Organization.objects.filter(tenant=okawa.tenant, code="03").exists()


@pytest.mark.django_db
def test_errors_come_by_line_and_nothing_is_listed_or_written(okawa):
    before = staff_state(okawa)
    preview = run(
        okawa,
        "STAFF",
        encoded(
            STAFF_HEADER,
            "1001,髙田 新,タカダ アラタ,,0201,,主事,600,,3",
            "1002,,,,999999,,,,,",
        ),
        dryRun=True,
    )

    assert [(e["line"], e["column"], e["code"]) for e in preview["errors"]] == [
        (3, "氏名", "REQUIRED"),
        (3, "所属組織コード", "UNKNOWN_DEPARTMENT"),
    ]
    assert preview["addedRows"] == [] and preview["added"] == []
    assert staff_state(okawa) == before


@pytest.mark.django_db
def test_base64_that_is_not_and_two_inputs_at_once_are_refused(okawa):
    garbled = run(okawa, "STAFF", "%%% not base64 %%%")
    assert [e["code"] for e in garbled["errors"]] == ["BAD_ENCODING"]
    api = okawa.api(okawa.admin)
    both = api.data(
        IMPORT,
        {"input": {"kind": "STAFF", "text": STAFF_HEADER, "contentBase64": encoded(STAFF_HEADER)}},
    )["importCsv"]
    assert [e["code"] for e in both["errors"]] == ["NO_INPUT"]


@pytest.mark.django_db
def test_a_utf8_file_from_excel_with_its_bom_is_read_too(okawa):
    content = base64.b64encode(
        ("\ufeff" + STAFF_HEADER + "\r\n1001,髙田 新,,,0201,,,,,\r\n").encode("utf-8")
    ).decode()
    preview = run(okawa, "STAFF", content, dryRun=True)
    assert preview["encoding"] == "utf-8-sig" and preview["added"] == ["1001"]


@pytest.mark.django_db
def test_staff_may_not_import(okawa):
    body = okawa.api("kacho")(
        IMPORT, {"input": {"kind": "STAFF", "contentBase64": encoded(STAFF_HEADER)}}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
