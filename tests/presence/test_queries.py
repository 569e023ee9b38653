"""Reading presence: my own, a list of colleagues in the order asked, and presence added to
people through federation (`_entities`), at a cost that does not grow with the list."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subgraphs.people import actions as people_actions
from subgraphs.presence.actions import do_set_presence
from tests.presence import (
    ENTITIES,
    MY_PRESENCE,
    PRESENCES,
    presence_api,
    principal_of,
    unset,
)


@pytest.mark.django_db
def test_someone_who_never_set_a_status_is_shown_unset_with_version_0(okawa):
    me = okawa.people["shuji"]
    data = presence_api(okawa, "shuji").data(MY_PRESENCE)
    assert data["myPresence"] == unset(me)


@pytest.mark.django_db
def test_my_presence_shows_what_i_set(okawa):
    me = okawa.people["shuji"]
    back = timezone.now() + timedelta(hours=2)
    do_set_presence(principal_of(me), "OUT", "市民課窓口 → 現地調査", back)
    presence = presence_api(okawa, "shuji").data(MY_PRESENCE)["myPresence"]
    assert presence["status"] == "OUT"
    assert presence["label"] == "外出"
    assert presence["message"] == "市民課窓口 → 現地調査"
    assert datetime.fromisoformat(presence["backAt"]) == back
    assert presence["updatedAt"] is not None
    assert presence["version"] == 1
    assert presence["person"] == {"id": str(me.id)}


@pytest.mark.django_db
def test_presences_answer_in_the_order_asked_with_the_default_for_the_unset(okawa):
    kacho, kakari, shuji = (okawa.people[k] for k in ("kacho", "kakari", "shuji"))
    do_set_presence(principal_of(kacho), "MEETING", "第1会議室 15時まで")
    do_set_presence(principal_of(shuji), "REMOTE")
    ids = [str(p.id) for p in (shuji, kakari, kacho, shuji)]
    board = presence_api(okawa, "jinji").data(PRESENCES, {"ids": ids})["presences"]
    assert [(p["person"]["id"], p["label"], p["message"]) for p in board] == [
        (str(shuji.id), "在宅勤務", ""),
        (str(kakari.id), "未設定", ""),
        (str(kacho.id), "会議中", "第1会議室 15時まで"),
        (str(shuji.id), "在宅勤務", ""),
    ]
    assert board[1] == unset(kakari)
    assert presence_api(okawa, "jinji").data(PRESENCES, {"ids": []}) == {"presences": []}


@pytest.mark.django_db
def test_presences_refuse_ids_that_are_not_ids_and_overlong_lists(okawa):
    api = presence_api(okawa, "shuji")
    bad = api(PRESENCES, {"ids": [str(okawa.people["kacho"].id), "0003"]})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "0003" in bad["errors"][0]["message"]
    too_many = api(PRESENCES, {"ids": [str(okawa.people["kacho"].id)] * 501})
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.django_db
def test_entities_add_presence_to_people_of_the_people_subgraph(okawa):
    kacho, shimin = okawa.people["kacho"], okawa.people["shimin"]
    do_set_presence(principal_of(kacho), "TRIP", "県庁（福岡市）")
    reps = [{"__typename": "Person", "id": str(p.id)} for p in (shimin, kacho)]
    entities = presence_api(okawa, "shuji").data(ENTITIES, {"reps": reps})["_entities"]
    assert entities == [
        {
            "__typename": "Person",
            "id": str(shimin.id),
            "presence": {"status": "UNSET", "message": "", "version": 0},
        },
        {
            "__typename": "Person",
            "id": str(kacho.id),
            "presence": {"status": "TRIP", "message": "県庁（福岡市）", "version": 1},
        },
    ]


@pytest.mark.django_db
def test_entities_for_1_or_50_people_cost_the_same_sql_queries(okawa):
    people = []
    for i in range(50):
        outcome = people_actions.do_create_person(
            principal_of(okawa.admin), {"login_id": f"9{i:03}", "name": f"職員 {i}"}
        )
        people.append(outcome.obj)
    for person in people[::2]:
        do_set_presence(principal_of(person), "AWAY", "すぐ戻ります")
    reps = [{"__typename": "Person", "id": str(p.id)} for p in people]
    api = presence_api(okawa, "shuji")
    api.data(MY_PRESENCE)  # the token's first use records last_used_at once
    counts = {}
    for size in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            entities = api.data(ENTITIES, {"reps": reps[:size]})["_entities"]
        assert [e["id"] for e in entities] == [r["id"] for r in reps[:size]]
        counts[size] = len(queries)
    assert [e["presence"]["status"] for e in entities[:4]] == ["AWAY", "UNSET", "AWAY", "UNSET"]
    assert counts[1] == counts[50], counts
    presence_selects = [
        q for q in queries.captured_queries if "presence_presencestatus" in q["sql"]
    ]
    assert len(presence_selects) == 1, [q["sql"][:120] for q in presence_selects]
