"""What staff read from the people subgraph: themselves, the directory, the tree, groups."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subgraphs.core.principal import Principal
from subgraphs.people import actions

DIRECTORY = """
query($dept: ID, $sub: Boolean!, $search: String, $first: Int!, $after: String) {
  people(departmentId: $dept, includeSubDepartments: $sub, search: $search, first: $first, after: $after) {
    totalCount
    edges { cursor node { loginId name title department { code name } additionalDepartments { code } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


def directory(api, **variables):
    defaults = {"dept": None, "sub": False, "search": None, "first": 50, "after": None}
    return api.data(DIRECTORY, {**defaults, **variables})["people"]


def login_ids(page):
    return [edge["node"]["loginId"] for edge in page["edges"]]


@pytest.mark.django_db
def test_me_answers_for_the_signed_in_person(okawa):
    data = okawa.api("kakari").data(
        "{ me { name nameKana title department { name parent { name } } roles tenant { code name council { name } } } }"
    )
    assert data["me"] == {
        "name": "山﨑 花子",
        "nameKana": "ヤマザキ ハナコ",  # typed as half-width kana, stored full-width
        "title": "係長",
        "department": {"name": "庶務係", "parent": {"name": "総務課"}},
        "roles": ["STAFF"],
        "tenant": {"code": "402125", "name": "大川市", "council": {"name": "テスト協議会"}},
    }


@pytest.mark.django_db
def test_directory_orders_by_department_then_rank_then_display_order(okawa):
    page = directory(okawa.api("shuji"))
    # 総務課 (課長) → 庶務係 (係長 300, 主事 600) → 人事係 → 市民課; the admin has no department.
    assert login_ids(page) == ["0001", "0002", "0003", "0004", "0005", "admin"]


@pytest.mark.django_db
def test_department_filter_with_and_without_sub_departments(okawa):
    api = okawa.api("shuji")
    soumuka = str(okawa.orgs["soumuka"].id)
    assert login_ids(directory(api, dept=soumuka)) == ["0001"]
    assert login_ids(directory(api, dept=soumuka, sub=True)) == ["0001", "0002", "0003", "0004"]
    # 兼務: 鈴木 (人事係) also holds a post in 市民課 and is listed there.
    shiminka = directory(api, dept=str(okawa.orgs["shiminka"].id))
    assert login_ids(shiminka) == ["0004", "0005"]
    assert shiminka["edges"][0]["node"]["additionalDepartments"] == [{"code": "0201"}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("髙橋", ["0001"]),
        ("高橋", []),  # a different character; variant folding is not attempted
        ("ﾀｶﾊｼ", ["0001"]),  # half-width katakana
        ("たかはし", ["0001"]),  # hiragana
        ("タカハシ", ["0001"]),
        ("山﨑花子", ["0002"]),  # without the space
        ("さとう じろう", ["0003"]),  # every word must match
        ("さとう 花子", []),
        ("ｻﾌﾞﾛｳ", ["0004"]),  # voiced half-width kana
        ("0005", ["0005"]),  # login ID
    ],
)
def test_search_by_name_or_reading_is_width_and_kana_insensitive(okawa, search, expected):
    assert login_ids(directory(okawa.api("shuji"), search=search)) == expected


@pytest.mark.django_db
def test_cursor_pagination_walks_the_whole_directory(okawa):
    api = okawa.api("shuji")
    seen, after, pages = [], None, 0
    while True:
        page = directory(api, first=2, after=after)
        assert page["totalCount"] == 6
        seen += login_ids(page)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert page["pageInfo"]["hasPreviousPage"] == (pages > 1)
    assert pages == 3
    assert seen == login_ids(directory(api))


@pytest.mark.django_db
def test_bad_cursor_and_page_size_are_graphql_errors(okawa):
    api = okawa.api("shuji")
    result = api(DIRECTORY, {"sub": False, "first": 5, "after": "not-a-cursor"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    result = api(DIRECTORY, {"sub": False, "first": 501})
    assert "between 0 and" in result["errors"][0]["message"]
    # A page far beyond the largest is refused by the cost limit before it runs.
    refused = api.post(DIRECTORY, {"sub": False, "first": 100000})
    assert refused.json()["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


@pytest.mark.django_db
def test_inactive_staff_are_hidden_unless_asked_for(okawa):
    actions.do_deactivate_person(okawa.principal(okawa.admin), okawa.people["shimin"])
    api = okawa.api("shuji")
    assert "0005" not in login_ids(directory(api))
    data = api.data("{ people(includeInactive: true) { edges { node { loginId isActive } } } }")
    assert {"loginId": "0005", "isActive": False} in [e["node"] for e in data["people"]["edges"]]


@pytest.mark.django_db
def test_organizations_come_as_a_tree_in_display_order(okawa):
    api = okawa.api("shuji")
    flat = api.data("{ organizations { code depth parent { code } } }")["organizations"]
    assert [(o["code"], o["depth"]) for o in flat] == [
        ("01", 0),
        ("0101", 1),
        ("010101", 2),
        ("010102", 2),
        ("02", 0),
        ("0201", 1),
    ]
    tree = api.data(
        "{ organizations(rootsOnly: true) { code children { code children { code } } } }"
    )["organizations"]
    assert tree[0]["code"] == "01"
    assert [c["code"] for c in tree[0]["children"][0]["children"]] == ["010101", "010102"]
    assert tree[1]["children"] == [{"code": "0201", "children": []}]
    # Members one level at a time: three nested lists with members cost more than the
    # API's limit (10 x 10 x 10 members), as they would through /graphql.
    section = api.data(
        "query($id: ID!) { organization(id: $id) { children { code members { loginId } } } }",
        {"id": str(okawa.orgs["soumuka"].id)},
    )["organization"]
    assert section["children"][0] == {
        "code": "010101",
        "members": [{"loginId": "0002"}, {"loginId": "0003"}],
    }


@pytest.mark.django_db
def test_reordering_departments_reorders_the_directory(okawa):
    admin = okawa.principal(okawa.admin)
    actions.do_update_organization(admin, okawa.orgs["shimin"], {"sort_order": 0})
    page = directory(okawa.api("shuji"))
    assert login_ids(page)[:2] == ["0005", "0001"]


@pytest.mark.django_db
def test_groups_list_their_members(okawa):
    admin = okawa.principal(okawa.admin)
    actions.do_save_group(
        admin,
        None,
        "防災チーム",
        "部署横断",
        [str(okawa.people["shimin"].id), str(okawa.people["kacho"].id)],
    )
    data = okawa.api("shuji").data("{ groups { name description members { loginId } } }")
    assert data["groups"] == [
        {
            "name": "防災チーム",
            "description": "部署横断",
            "members": [{"loginId": "0001"}, {"loginId": "0005"}],
        }
    ]
    mine = okawa.api("shimin").data("{ me { groups { name } } }")
    assert mine["me"]["groups"] == [{"name": "防災チーム"}]


def _add_staff(municipality, count: int) -> None:
    system = Principal(tenant_id=municipality.tenant.id, person_id=None, via="test")
    depts = list(municipality.orgs.values())
    for i in range(count):
        outcome = actions.do_create_person(
            system,
            {
                "login_id": f"9{i:04d}",
                "name": f"職員 {i}",
                "department_id": depts[i % len(depts)].id,
                "additional_department_ids": [depts[(i + 1) % len(depts)].id],
                "title_code": "600",
            },
        )
        assert outcome.ok


QUERY_FOR_COUNTING = """
query($first: Int!) {
  people(first: $first) {
    totalCount
    edges { node { name department { name parent { name } } additionalDepartments { name } roles groups { name } } }
  }
}
"""


@pytest.mark.django_db
def test_listing_1_or_100_people_with_departments_costs_the_same_sql_queries(okawa):
    _add_staff(okawa, 100)
    api = okawa.api("shuji")
    api.data("{ me { id } }")  # the token's first use records last_used_at once
    counts = {}
    for first in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            data = api.data(QUERY_FOR_COUNTING, {"first": first})
        assert len(data["people"]["edges"]) == first
        assert all(e["node"]["department"] for e in data["people"]["edges"])
        counts[first] = len(queries)
    assert counts[1] == counts[100], counts


@pytest.mark.django_db
def test_entities_batch_costs_one_query_per_type(okawa):
    _add_staff(okawa, 30)
    from subgraphs.people.models import Person

    reps = [
        {"__typename": "Person", "id": str(p.id)}
        for p in Person.objects.filter(tenant=okawa.tenant)
    ]
    api = okawa.api("shuji")
    api.data("{ me { id } }")
    query = "query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { name } } }"
    with CaptureQueriesContext(connection) as few:
        api.data(query, {"r": reps[:2]})
    with CaptureQueriesContext(connection) as many:
        result = api.data(query, {"r": reps})
    assert len(result["_entities"]) == len(reps) == 36
    assert all(e and e["name"] for e in result["_entities"])
    assert len(few) == len(many)
    people_selects = [
        q
        for q in many.captured_queries
        if 'FROM "people_person"' in q["sql"] and "access_token" not in q["sql"]
    ]
    assert len(people_selects) == 1, [q["sql"][:120] for q in people_selects]
