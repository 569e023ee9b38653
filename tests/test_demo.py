"""`yui demo`: the demo staff of each town are colleagues of one 係 (so the department week
shows a team), the output names each account's department path, the README lists the same
accounts, and running it again changes nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from subgraphs.calendar.models import Event
from subgraphs.core.principal import ROLE_FACILITY_ADMIN
from subgraphs.facilities.models import Facility, Reservation
from subgraphs.people import actions
from subgraphs.people.models import Group, Link, Organization, Person, RoleAssignment, Tenant
from subgraphs.presence.models import PresenceStatus
from tests.conftest import GraphQLClient

README = Path(__file__).resolve().parents[1] / "README.md"
# "  402125 (okawa)  0656905 / yui-demo-staff   山口 花子 (係長, 建設部 > 建築課 > 庶務係)"
STAFF_LINE = re.compile(
    r"^\s+(?P<code>\d{6}) \(\w+\)\s+(?P<login>\d+) / yui-demo-staff\s+"
    r"(?P<name>.+?) \((?P<title>[^,]+), (?P<path>[^)]+)\)$"
)
MEMBERS = "query($id: ID!) { organization(id: $id) { name members { loginId } } }"


def run_demo() -> str:
    out = io.StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def printed_staff(output: str) -> dict[str, list[re.Match[str]]]:
    staff: dict[str, list[re.Match[str]]] = {}
    for line in output.splitlines():
        match = STAFF_LINE.match(line)
        if match:
            staff.setdefault(match["code"], []).append(match)
    return staff


def state() -> dict[str, object]:
    """What a second run could change, in a form that compares."""
    people = Person.objects.order_by("tenant__code", "login_id")
    return {
        "people": [(p.tenant_id, p.login_id, p.department_id, p.is_active) for p in people],
        "organizations": Organization.objects.count(),
        "roles": sorted(RoleAssignment.objects.values_list("person_id", "role")),
        "groups": [
            (g.name, sorted(str(i) for i in g.members.values_list("id", flat=True)))
            for g in Group.objects.order_by("tenant_id", "name")
        ],
        "events": sorted(Event.objects.values_list("organizer_id", "title")),
        "reservations": Reservation.objects.count(),
        "facilities": sorted(Facility.objects.values_list("name", "owning_department_id")),
        "presence": sorted(PresenceStatus.objects.values_list("person_id", "status", "version")),
        "links": sorted(Link.objects.values_list("tenant_id", "title", "url")),
    }


@pytest.mark.django_db
def test_demo_staff_are_one_team_printed_with_their_department_path():
    output = run_demo()
    staff = printed_staff(output)
    assert set(staff) == {"402125", "406210"}, output
    for code, lines in staff.items():
        tenant = Tenant.objects.get(code=code)
        assert len(lines) == 3, lines
        people = [Person.objects.get(tenant=tenant, login_id=m["login"]) for m in lines]
        department = people[0].department
        assert department is not None and department.name.endswith("係")
        assert {p.department_id for p in people} == {department.id}, code
        # The printed path is the department's place in the tree, from the 部 down.
        path = lines[0]["path"]
        assert {m["path"] for m in lines} == {path}
        assert path.count(" > ") == 2 and path.endswith(f" > {department.name}")
        assert path.split(" > ")[1] == department.parent.name
        assert [m["name"] for m in lines] == [p.name for p in people]
        # The department week (organization members through the API) shows the team.
        admin = Person.objects.get(tenant=tenant, login_id="admin")
        token = actions.do_create_access_token(admin, "demo test", None).extra["token"]
        week = GraphQLClient(token).data(MEMBERS, {"id": str(department.id)})["organization"]
        assert {p.login_id for p in people} <= {m["loginId"] for m in week["members"]}
        # The first of them is 施設管理者 of the 係 that owns the 大会議室.
        first = people[0]
        assert RoleAssignment.objects.filter(person=first, role=ROLE_FACILITY_ADMIN).exists()
        hall = Facility.objects.get(tenant_id=tenant.id, name="大会議室")
        assert hall.owning_department_id == department.id
        assert f"{first.login_id} is also 施設管理者" in output
        assert f"owned by {path}" in output


@pytest.mark.django_db
def test_running_the_demo_again_changes_nothing():
    first_output = run_demo()
    before = state()
    second_output = run_demo()
    assert state() == before
    assert printed_staff(second_output).keys() == printed_staff(first_output).keys()
    for code in ("402125", "406210"):
        assert f"{code} " in second_output
    added = re.findall(r": (?:presence|calendar|reservations|links) \+(\d+)", second_output)
    assert added and set(added) == {"0"}, second_output
    imported = re.findall(r": (?:organizations|staff) \+(\d+) ~(\d+)", second_output)
    assert imported and set(imported) == {("0", "0")}, second_output
    assert second_output.split("Demo accounts")[1] == first_output.split("Demo accounts")[1]


@pytest.mark.django_db
def test_the_readme_lists_the_accounts_the_demo_prints():
    staff = printed_staff(run_demo())
    readme = README.read_text(encoding="utf-8")
    for code, lines in staff.items():
        row = ", ".join(f"`{m['login']}`" for m in lines)
        assert f"| `{code}` | {row} | `yui-demo-staff` |" in readme, (code, row)
    firsts = ", ".join(f"`{lines[0]['login']}`" for lines in staff.values())
    assert f"The first staff account of each town ({firsts})" in readme


@pytest.mark.django_db
def test_a_database_loaded_by_an_older_demo_gets_the_room_back_to_the_team():
    run_demo()
    okawa = Tenant.objects.get(code="402125")
    # An older demo had the 大会議室 with 財政課 庶務係 (its first staff member's 係).
    elsewhere = Organization.objects.get(tenant=okawa, code="010401")
    Facility.objects.filter(tenant_id=okawa.id, name="大会議室").update(
        owning_department_id=elsewhere.id
    )
    output = run_demo()
    first = printed_staff(output)["402125"][0]
    team = Person.objects.get(tenant=okawa, login_id=first["login"]).department_id
    hall = Facility.objects.get(tenant_id=okawa.id, name="大会議室")
    assert hall.owning_department_id == team != elsewhere.id


@pytest.mark.django_db
def test_each_town_gets_its_link_collection_on_its_intranet():
    run_demo()
    for code, slug in (("402125", "okawa"), ("406210", "kanda")):
        tenant = Tenant.objects.get(code=code)
        admin = Person.objects.get(tenant=tenant, login_id="admin")
        token = actions.do_create_access_token(admin, "test", None).extra["token"]
        links = GraphQLClient(token).data("{ links { title url category } }")["links"]
        titles = [link["title"] for link in links]
        assert titles[:1] == ["財務会計システム"] and {"例規集", "庁内様式集"} <= set(titles)
        assert all(link["url"].startswith("http://") for link in links)
        assert all(f".{slug}.lgwan.local/" in link["url"] for link in links)
