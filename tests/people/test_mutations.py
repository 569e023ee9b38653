"""Tenant administrators maintain staff, departments, groups and roles through GraphQL;
expected failures come back as typed errors, permission failures as GraphQL errors."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from subgraphs.people.models import Organization, Person

CREATE_PERSON = """
mutation($input: CreatePersonInput!) {
  createPerson(input: $input) {
    person { id loginId name nameKana department { code } additionalDepartments { code } hasPassword }
    errors { code field message }
  }
}
"""
UPDATE_PERSON = """
mutation($input: UpdatePersonInput!) {
  updatePerson(input: $input) { person { id name title department { code } isActive } errors { code field } }
}
"""


@pytest.mark.django_db
def test_admin_creates_a_staff_member_visible_to_colleagues(okawa):
    admin = okawa.api(okawa.admin)
    out = admin.data(
        CREATE_PERSON,
        {
            "input": {
                "loginId": "0100",
                "name": "濵田 德子",
                "nameKana": "はまだ のりこ",
                "departmentId": str(okawa.orgs["shomu"].id),
                "additionalDepartmentIds": [str(okawa.orgs["shiminka"].id)],
                "titleCode": "600",
            }
        },
    )["createPerson"]
    assert out["errors"] == []
    assert out["person"]["nameKana"] == "ハマダ ノリコ"
    assert out["person"]["department"] == {"code": "010101"}
    assert out["person"]["additionalDepartments"] == [{"code": "0201"}]
    assert out["person"]["hasPassword"] is False
    found = okawa.api("shuji").data('{ people(search: "濵田") { edges { node { loginId } } } }')
    assert found["people"]["edges"] == [{"node": {"loginId": "0100"}}]


@pytest.mark.django_db
def test_staff_mutations_report_expected_failures_as_data(okawa, kanda):
    admin = okawa.api(okawa.admin)
    duplicate = admin.data(CREATE_PERSON, {"input": {"loginId": "0003", "name": "重複"}})
    assert duplicate["createPerson"] == {
        "person": None,
        "errors": [
            {"code": "DUPLICATE", "field": "loginId", "message": "Login ID 0003 is used already."}
        ],
    }
    bad = admin.data(
        CREATE_PERSON,
        {
            "input": {
                "loginId": "0101",
                "name": " ",
                "email": "not-an-address",
                "departmentId": str(kanda.orgs["soumu"].id),
            }
        },
    )["createPerson"]
    assert {(e["code"], e["field"]) for e in bad["errors"]} == {
        ("REQUIRED", "name"),
        ("INVALID", "email"),
        ("NOT_FOUND", "departmentId"),
    }
    assert not Person.objects.filter(login_id="0101").exists()


@pytest.mark.django_db
def test_admin_updates_moves_and_deactivates_staff(okawa):
    admin = okawa.api(okawa.admin)
    target = okawa.people["shuji"]
    moved = admin.data(
        UPDATE_PERSON,
        {
            "input": {
                "id": str(target.id),
                "title": "主任",
                "departmentId": str(okawa.orgs["jinji"].id),
            }
        },
    )["updatePerson"]
    assert moved["person"] == {
        "id": str(target.id),
        "name": "佐藤 次郎",
        "title": "主任",
        "department": {"code": "010102"},
        "isActive": True,
    }
    gone = admin.data(
        "mutation($id: ID!) { deactivatePerson(id: $id) { person { isActive } errors { code } } }",
        {"id": str(target.id)},
    )
    assert gone["deactivatePerson"] == {"person": {"isActive": False}, "errors": []}
    itself = admin.data(
        "mutation($id: ID!) { deactivatePerson(id: $id) { errors { code } } }",
        {"id": str(okawa.admin.id)},
    )
    assert itself["deactivatePerson"]["errors"] == [{"code": "CONFLICT"}]


@pytest.mark.django_db
def test_ordinary_staff_get_forbidden_for_admin_mutations(okawa):
    staff = okawa.api("shuji")
    for query, variables in [
        (CREATE_PERSON, {"input": {"loginId": "x", "name": "x"}}),
        (UPDATE_PERSON, {"input": {"id": str(okawa.people["kacho"].id), "name": "x"}}),
        (
            'mutation { createOrganization(input: {code: "9", name: "x"}) { errors { code } } }',
            None,
        ),
        ('mutation { importCsv(input: {kind: STAFF, text: "a"}) { applied } }', None),
        ("{ exportCsv(kind: STAFF) { filename } }", None),
    ]:
        result = staff(query, variables)
        assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    assert Person.objects.get(id=okawa.people["kacho"].id).name == "髙橋 一郎"


@pytest.mark.django_db
def test_department_tree_maintenance(okawa):
    admin = okawa.api(okawa.admin)
    created = admin.data(
        'mutation($p: ID!) { createOrganization(input: {code: "010103", name: "文書係", nameKana: "ぶんしょがかり", parentId: $p, sortOrder: 3}) '
        "{ organization { id code nameKana depth parent { code } } errors { code } } }",
        {"p": str(okawa.orgs["soumuka"].id)},
    )["createOrganization"]
    assert created["organization"]["depth"] == 2
    assert created["organization"]["nameKana"] == "ブンショガカリ"
    assert created["organization"]["parent"] == {"code": "0101"}
    # A department cannot move below itself.
    loop = admin.data(
        "mutation($id: ID!, $p: ID!) { updateOrganization(input: {id: $id, parentId: $p}) { errors { code field } } }",
        {"id": str(okawa.orgs["soumu"].id), "p": str(okawa.orgs["shomu"].id)},
    )
    assert loop["updateOrganization"]["errors"] == [{"code": "INVALID", "field": "parentId"}]
    # Moving 市民課 under 総務部 moves its people in the directory too.
    admin.data(
        "mutation($id: ID!, $p: ID!) { updateOrganization(input: {id: $id, parentId: $p}) { errors { code } } }",
        {"id": str(okawa.orgs["shiminka"].id), "p": str(okawa.orgs["soumu"].id)},
    )
    under = okawa.api("shuji").data(
        "query($d: ID!) { people(departmentId: $d, includeSubDepartments: true) { edges { node { loginId } } } }",
        {"d": str(okawa.orgs["soumu"].id)},
    )
    assert "0005" in [e["node"]["loginId"] for e in under["people"]["edges"]]
    # Departments with active staff cannot be deactivated.
    busy = admin.data(
        "mutation($id: ID!) { deactivateOrganization(id: $id) { errors { code } } }",
        {"id": str(okawa.orgs["shiminka"].id)},
    )
    assert busy["deactivateOrganization"]["errors"] == [{"code": "CONFLICT"}]
    empty = admin.data(
        "mutation($id: ID!) { deactivateOrganization(id: $id) { organization { isActive } errors { code } } }",
        {"id": created["organization"]["id"]},
    )
    assert empty["deactivateOrganization"] == {"organization": {"isActive": False}, "errors": []}


@pytest.mark.django_db
def test_roles_and_groups(okawa):
    admin = okawa.api(okawa.admin)
    target = str(okawa.people["kacho"].id)
    granted = admin.data(
        "mutation($id: ID!) { setRoles(input: {personId: $id, roles: [TENANT_ADMIN]}) { person { roles } errors { code } } }",
        {"id": target},
    )["setRoles"]
    assert sorted(granted["person"]["roles"]) == ["STAFF", "TENANT_ADMIN"]
    # The new administrator can now administer.
    new_admin = okawa.api("kacho")
    out = new_admin.data(
        'mutation($m: [ID!]!) { saveGroup(input: {name: "広報委員会", memberIds: $m}) { group { name members { loginId } } errors { code } } }',
        {"m": [str(okawa.people["shimin"].id)]},
    )
    assert out["saveGroup"]["group"] == {"name": "広報委員会", "members": [{"loginId": "0005"}]}
    cannot = admin.data(
        "mutation($id: ID!) { setRoles(input: {personId: $id, roles: [STAFF]}) { errors { code } } }",
        {"id": str(okawa.admin.id)},
    )
    assert cannot["setRoles"]["errors"] == [{"code": "CONFLICT"}]


ORGS_CSV = "組織コード,組織名,組織名カナ,上位組織コード,表示順\r\n03,教育部,ｷｮｳｲｸﾌﾞ,,3\r\n0301,学校教育課,,03,1\r\n"


@pytest.mark.django_db
def test_csv_import_through_graphql_previews_then_applies(okawa):
    admin = okawa.api(okawa.admin)
    query = """
    mutation($input: ImportCsvInput!) {
      importCsv(input: $input) { applied encoding added updated deactivated unchangedCount errors { line column message } }
    }"""
    preview = admin.data(
        query, {"input": {"kind": "ORGANIZATIONS", "text": ORGS_CSV, "dryRun": True}}
    )
    assert preview["importCsv"]["applied"] is False
    assert preview["importCsv"]["added"] == ["03", "0301"]
    assert not Organization.objects.filter(tenant=okawa.tenant, code="03").exists()
    applied = admin.data(query, {"input": {"kind": "ORGANIZATIONS", "text": ORGS_CSV}})["importCsv"]
    assert applied["applied"] is True and applied["errors"] == []
    org = Organization.objects.get(tenant=okawa.tenant, code="03")
    assert org.name_kana == "キョウイクブ"
    rejected = admin.data(
        query,
        {
            "input": {
                "kind": "STAFF",
                "text": "ログインID,氏名,氏名カナ,メールアドレス,所属組織コード,兼務組織コード,役職,役職コード,内線番号,表示順\r\n0200,新人,,,99,,,,,1\r\n",
            }
        },
    )["importCsv"]
    assert rejected["applied"] is False
    assert rejected["errors"][0]["line"] == 2
    assert rejected["errors"][0]["column"] == "所属組織コード"
    assert not Person.objects.filter(login_id="0200").exists()


@pytest.mark.django_db
def test_csv_upload_and_export_through_graphql(okawa):
    admin = okawa.api(okawa.admin)
    import json

    operations = {
        "query": "mutation($f: Upload!) { importCsv(input: {kind: ORGANIZATIONS, file: $f}) { applied encoding added } }",
        "variables": {"f": None},
    }
    upload = SimpleUploadedFile("orgs.csv", ORGS_CSV.encode("cp932"), content_type="text/csv")
    response = admin.client.post(
        admin.url,
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.f"]}),
            "0": upload,
        },
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["importCsv"] == {
        "applied": True,
        "encoding": "cp932",
        "added": ["03", "0301"],
    }
    exported = admin.data("{ exportCsv(kind: ORGANIZATIONS) { filename encoding contentBase64 } }")
    content = base64.b64decode(exported["exportCsv"]["contentBase64"]).decode("cp932")
    assert exported["exportCsv"]["filename"] == "402125-organizations.csv"
    assert content.startswith("組織コード,組織名,組織名カナ,上位組織コード,表示順\r\n")
    assert "0301,学校教育課,,03,1\r\n" in content


@pytest.mark.django_db
def test_an_admin_cannot_deactivate_themselves_by_importing_a_file_without_them(okawa):
    # An administrator who is also staff of the HR file (an account of the import): an
    # account of `yui admin add` or made by hand is never the import's to deactivate.
    Person.objects.filter(id=okawa.admin.id).update(source="csv")
    admin = okawa.api(okawa.admin)
    header = "ログインID,氏名,氏名カナ,メールアドレス,所属組織コード,兼務組織コード,役職,役職コード,内線番号,表示順\r\n"
    rows = "".join(f"{p.login_id},{p.name},,,,,,,,1\r\n" for p in okawa.people.values())
    out = admin.data(
        "mutation($t: String!) { importCsv(input: {kind: STAFF, text: $t, deactivateMissing: true}) { applied errors { code message } } }",
        {"t": header + rows},
    )["importCsv"]
    assert out["applied"] is False
    # In Japanese: no Accept-Language asks for English (tests/people/test_messages.py).
    assert "あなた自身のアカウント" in out["errors"][0]["message"]
    assert out["errors"][0]["code"] == "SELF_DEACTIVATION"
    okawa.admin.refresh_from_db()
    assert okawa.admin.is_active
