"""issueInitialPasswords: random readable passwords for imported staff, issued by a tenant
administrator in bulk (persons, a department with the ones below it, or everyone without
a password), shown once with a CP932 list for Excel, stored only as hashes, to be changed
at the first sign-in."""

from __future__ import annotations

import base64
import csv
import io
import json

import pytest
from django.test import Client

from subgraphs.core.principal import Principal
from subgraphs.people import actions
from subgraphs.people.models import Person
from tests.conftest import PASSWORD, Municipality

ISSUE = """
mutation($input: IssueInitialPasswordsInput!) {
  issueInitialPasswords(input: $input) {
    issued { password person { id loginId name department { name } } }
    csv { filename encoding contentBase64 lossy }
    errors { code field }
  }
}
"""
UNAMBIGUOUS = set(actions.READABLE_UPPER + actions.READABLE_LOWER + actions.READABLE_DIGITS)


def issue(m: Municipality, who: Person | None = None, **input: object) -> dict:
    api = m.api(who or m.admin)  # type: ignore[arg-type]
    return api.data(ISSUE, {"input": input})["issueInitialPasswords"]  # type: ignore[no-any-return]


def can_sign_in(login_id: str, password: str, tenant: str = "402125") -> bool:
    response = Client().post(
        "/auth/login",
        data=json.dumps({"tenant": tenant, "loginId": login_id, "password": password}),
        content_type="application/json",
    )
    return response.status_code == 200


def imported(m: Municipality, login_id: str, name: str, department: str) -> Person:
    """A staff member as an import makes them: no password yet."""
    system = Principal(tenant_id=m.tenant.id, person_id=None, via="test")
    outcome = actions.do_create_person(
        system, {"login_id": login_id, "name": name, "department_id": m.orgs[department].id}
    )
    assert outcome.ok, outcome.errors
    return outcome.obj  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_staff_may_not_issue_passwords(okawa):
    body = okawa.api("kacho")(ISSUE, {"input": {"onlyWithoutPassword": True}})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None


@pytest.mark.django_db
def test_issued_passwords_are_readable_shown_once_stored_hashed_and_must_be_changed(okawa):
    targets = [okawa.people["kakari"], okawa.people["shimin"]]

    result = issue(okawa, personIds=[str(p.id) for p in targets])

    assert result["errors"] == []
    issued = {i["person"]["loginId"]: i for i in result["issued"]}
    assert set(issued) == {"0002", "0005"}
    assert issued["0002"]["person"]["department"]["name"] == "庶務係"
    for login_id, item in issued.items():
        password = item["password"]
        assert len(password) == 12 and set(password) <= UNAMBIGUOUS, password
        stored = Person.objects.get(tenant=okawa.tenant, login_id=login_id)
        assert password not in stored.password and stored.password.startswith("md5$")
        assert stored.check_password(password) and stored.must_change_password
        assert can_sign_in(login_id, password)
        assert not can_sign_in(login_id, PASSWORD)
    assert issued["0002"]["password"] != issued["0005"]["password"]
    # Nobody else was touched.
    assert can_sign_in("0001", PASSWORD)

    # Issued again: new passwords; the first ones are gone (they were only in that answer).
    again = issue(okawa, personIds=[str(targets[0].id)])["issued"][0]["password"]
    assert again != issued["0002"]["password"]
    assert not can_sign_in("0002", issued["0002"]["password"])


@pytest.mark.django_db
def test_the_list_for_excel_is_cp932_with_one_line_per_person(okawa):
    result = issue(okawa, organizationId=str(okawa.orgs["shomu"].id))

    listing = result["csv"]
    assert listing["encoding"] == "cp932" and listing["lossy"] is False
    assert listing["filename"] == "402125-initial-passwords.csv"
    raw = base64.b64decode(listing["contentBase64"])
    assert b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("cp932"), newline="")))
    assert rows[0] == ["ログインID", "氏名", "所属", "初期パスワード"]
    expected = [
        [i["person"]["loginId"], i["person"]["name"], "庶務係", i["password"]]
        for i in result["issued"]
    ]
    assert rows[1:] == expected
    assert [r[1] for r in rows[1:]] == ["山﨑 花子", "佐藤 次郎"]  # directory order, 﨑 kept


@pytest.mark.django_db
def test_a_department_includes_the_ones_below_it_by_main_post(okawa):
    # 総務課 holds the 課長; 庶務係 and 人事係 are below it. 0004 (人事係) also has a post
    # in 市民課 (兼務): issuing for 市民課 is for its own staff only.
    by_soumuka = issue(okawa, organizationId=str(okawa.orgs["soumuka"].id))["issued"]
    by_shiminka = issue(okawa, organizationId=str(okawa.orgs["shiminka"].id))["issued"]

    assert [i["person"]["loginId"] for i in by_soumuka] == ["0001", "0002", "0003", "0004"]
    assert [i["person"]["loginId"] for i in by_shiminka] == ["0005"]


@pytest.mark.django_db
def test_everyone_imported_without_a_password_and_never_the_administrator(okawa):
    newcomers = [
        imported(okawa, "1001", "新人 一", "shomu"),
        imported(okawa, "1002", "新人 二", "shiminka"),
    ]
    okawa.admin.department = okawa.orgs["shomu"]
    okawa.admin.save()

    everyone = issue(okawa, onlyWithoutPassword=True)["issued"]
    of_shomu = issue(okawa, organizationId=str(okawa.orgs["shomu"].id))["issued"]

    assert [i["person"]["loginId"] for i in everyone] == ["1001", "1002"]
    assert all(Person.objects.get(id=p.id).must_change_password for p in newcomers)
    # The administrator sits in 庶務係 now, yet is not given a password they did not choose.
    assert "admin" not in [i["person"]["loginId"] for i in of_shomu]
    assert can_sign_in("admin", PASSWORD)
    # Now everyone has one: nothing left to issue.
    assert issue(okawa, onlyWithoutPassword=True)["issued"] == []


@pytest.mark.django_db
def test_another_municipalitys_people_and_departments_are_not_found(okawa, kanda):
    theirs = kanda.people["kakari"]
    mixed = issue(okawa, personIds=[str(okawa.people["kakari"].id), str(theirs.id)])
    department = issue(okawa, organizationId=str(kanda.orgs["shomu"].id))
    garbage = issue(okawa, personIds=["not-an-id"])

    assert (mixed["issued"], mixed["errors"]) == ([], [{"code": "NOT_FOUND", "field": "personIds"}])
    assert department["errors"] == [{"code": "NOT_FOUND", "field": "organizationId"}]
    assert garbage["errors"] == [{"code": "NOT_FOUND", "field": "personIds"}]
    # All or nothing: not even our own member of the mixed request got a new password.
    assert can_sign_in("0002", PASSWORD)
    assert can_sign_in("0002", PASSWORD, tenant="406210")
    assert not Person.objects.get(id=theirs.id).must_change_password


@pytest.mark.django_db
def test_whom_must_be_said_and_large_sets_go_by_department(okawa, monkeypatch):
    assert issue(okawa)["errors"] == [{"code": "REQUIRED", "field": "personIds"}]
    both = issue(
        okawa,
        personIds=[str(okawa.people["kakari"].id)],
        organizationId=str(okawa.orgs["shomu"].id),
    )
    assert both["errors"] == [{"code": "INVALID", "field": "personIds"}]
    monkeypatch.setattr(actions, "MAX_ISSUE", 3)
    too_many = issue(okawa, organizationId=str(okawa.orgs["soumu"].id))
    assert too_many["errors"] == [{"code": "TOO_MANY", "field": "organizationId"}]
    assert can_sign_in("0001", PASSWORD)


def test_generated_passwords_always_mix_capitals_small_letters_and_digits():
    for _ in range(200):
        password = actions.generate_readable_password()
        assert len(password) == 12 and set(password) <= UNAMBIGUOUS
        assert any(c.isupper() for c in password) and any(c.islower() for c in password)
        assert any(c.isdigit() for c in password)
    assert not UNAMBIGUOUS & set("0O1lIi5S2Z8B9gquv")
