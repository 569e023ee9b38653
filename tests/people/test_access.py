"""Tenant isolation: staff of one municipality can neither read nor change another's data,
by ID, search, nested field or `_entities` representation."""

from __future__ import annotations

import pytest

PERSON_BY_ID = "query($id: ID!) { person(id: $id) { id name } }"
ORG_BY_ID = "query($id: ID!) { organization(id: $id) { id name members { name } } }"
ENTITIES = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    __typename
    ... on Person { id name }
    ... on Organization { id name }
  }
}
"""


@pytest.mark.django_db
def test_person_and_organization_of_another_tenant_are_invisible_by_id(okawa, kanda):
    api = kanda.api("kacho")
    assert api.data(PERSON_BY_ID, {"id": str(okawa.people["kacho"].id)})["person"] is None
    assert api.data(ORG_BY_ID, {"id": str(okawa.orgs["soumu"].id)})["organization"] is None
    # The same queries for the own tenant do answer, so the nulls above mean "hidden".
    own = api.data(PERSON_BY_ID, {"id": str(kanda.people["kacho"].id)})["person"]
    assert own["name"] == "髙橋 一郎"


@pytest.mark.django_db
def test_search_and_lists_show_only_the_own_tenant(okawa, kanda):
    api = okawa.api("shuji")
    data = api.data(
        "{ people(first: 100) { totalCount edges { node { id } } } organizations { id } groups { id } }"
    )
    ids = {e["node"]["id"] for e in data["people"]["edges"]}
    assert ids == {str(p.id) for p in [*okawa.people.values(), okawa.admin]}
    assert {o["id"] for o in data["organizations"]} == {str(o.id) for o in okawa.orgs.values()}
    # Both tenants hold a 髙橋; searching finds only ours.
    found = api.data('{ people(search: "髙橋") { edges { node { id } } } }')
    assert [e["node"]["id"] for e in found["people"]["edges"]] == [str(okawa.people["kacho"].id)]


@pytest.mark.django_db
def test_filtering_by_another_tenants_department_yields_nobody(okawa, kanda):
    api = okawa.api("shuji")
    data = api.data(
        "query($d: ID!) { people(departmentId: $d, includeSubDepartments: true) { totalCount } }",
        {"d": str(kanda.orgs["soumu"].id)},
    )
    assert data["people"]["totalCount"] == 0


@pytest.mark.django_db
def test_entities_representations_of_another_tenant_resolve_to_null(okawa, kanda):
    api = kanda.api("shuji")
    reps = [
        {"__typename": "Person", "id": str(okawa.people["kacho"].id)},
        {"__typename": "Organization", "id": str(okawa.orgs["soumuka"].id)},
        {"__typename": "Person", "id": str(kanda.people["kacho"].id)},
    ]
    entities = api.data(ENTITIES, {"reps": reps})["_entities"]
    assert entities[0] is None
    assert entities[1] is None
    assert entities[2] == {
        "__typename": "Person",
        "id": str(kanda.people["kacho"].id),
        "name": "髙橋 一郎",
    }


@pytest.mark.django_db
def test_nested_fields_never_cross_tenants(okawa, kanda):
    # A forged cross-tenant link in the database (which no API can create) still does
    # not leak through nested fields: every loader applies the tenant scope.
    from subgraphs.people.models import Group, GroupMembership

    group = Group.objects.create(tenant=kanda.tenant, name="混在")
    GroupMembership.objects.create(tenant=kanda.tenant, group=group, person=okawa.people["kacho"])
    GroupMembership.objects.create(tenant=kanda.tenant, group=group, person=kanda.people["kacho"])
    api = kanda.api("shuji")
    data = api.data("{ groups { name members { id name department { id } } } }")
    members = data["groups"][0]["members"]
    assert [m["id"] for m in members] == [str(kanda.people["kacho"].id)]


@pytest.mark.django_db
def test_admin_cannot_change_another_tenants_staff(okawa, kanda):
    api = kanda.api(kanda.admin)
    victim = okawa.people["shuji"]
    result = api.data(
        'mutation($id: ID!) { updatePerson(input: {id: $id, name: "乗っ取り"}) '
        "{ person { id } errors { code } } }",
        {"id": str(victim.id)},
    )
    assert result["updatePerson"] == {"person": None, "errors": [{"code": "NOT_FOUND"}]}
    for mutation in ("deactivatePerson", "deactivateOrganization"):
        target = victim.id if mutation == "deactivatePerson" else okawa.orgs["shiminka"].id
        out = api.data(
            f"mutation($id: ID!) {{ {mutation}(id: $id) {{ errors {{ code }} }} }}",
            {"id": str(target)},
        )
        assert out[mutation]["errors"] == [{"code": "NOT_FOUND"}]
    reset = api.data(
        'mutation($id: ID!) { resetPassword(personId: $id, newPassword: "another-long-pass") '
        "{ ok errors { code } } }",
        {"id": str(victim.id)},
    )
    assert reset["resetPassword"] == {"ok": False, "errors": [{"code": "NOT_FOUND"}]}
    victim.refresh_from_db()
    assert victim.name == "佐藤 次郎" and victim.is_active
    okawa.orgs["shiminka"].refresh_from_db()
    assert okawa.orgs["shiminka"].is_active


@pytest.mark.django_db
def test_anonymous_sees_nothing(okawa, anonymous):
    data = anonymous.data(
        "query($id: ID!) { me { id } person(id: $id) { id } people { totalCount } organizations { id } }",
        {"id": str(okawa.people["kacho"].id)},
    )
    assert data == {"me": None, "person": None, "people": {"totalCount": 0}, "organizations": []}
    result = anonymous('mutation { createAccessToken(name: "x") { token } }')
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
