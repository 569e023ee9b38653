"""Tenant isolation and sign-in: staff of one municipality learn nothing of another's
presence, by ID or `_entities`; the signed-out get UNAUTHENTICATED (federation's `_service`
and the key-only `_entities` excepted); cookie sessions need the CSRF header to write."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from subgraphs.presence.actions import do_set_presence
from tests.conftest import PASSWORD, GraphQLClient
from tests.presence import (
    ENTITIES,
    MY_PRESENCE,
    PRESENCE_URL,
    PRESENCES,
    SET_MY_PRESENCE,
    presence_api,
    principal_of,
    unset,
)


@pytest.mark.django_db
def test_another_municipalitys_presence_cannot_be_read_by_person_id(okawa, kanda):
    target = okawa.people["kacho"]
    do_set_presence(principal_of(target), "MEETING", "市長協議 15時まで")
    # A colleague in 大川市 sees it, so what 苅田町 gets below is the default, not absence.
    own = presence_api(okawa, "shuji").data(PRESENCES, {"ids": [str(target.id)]})
    assert own["presences"][0]["message"] == "市長協議 15時まで"
    foreign = presence_api(kanda, "shuji").data(PRESENCES, {"ids": [str(target.id)]})
    assert foreign["presences"] == [unset(target)]


@pytest.mark.django_db
def test_entities_of_another_municipality_carry_nothing_readable(okawa, kanda):
    theirs, ours = okawa.people["kacho"], kanda.people["kacho"]
    do_set_presence(principal_of(theirs), "TRIP", "県庁")
    do_set_presence(principal_of(ours), "OUT", "現地調査")
    reps = [{"__typename": "Person", "id": str(p.id)} for p in (theirs, ours)]
    entities = presence_api(kanda, "shuji").data(ENTITIES, {"reps": reps})["_entities"]
    assert entities == [
        {
            "__typename": "Person",
            "id": str(theirs.id),
            "presence": {"status": "UNSET", "message": "", "version": 0},
        },
        {
            "__typename": "Person",
            "id": str(ours.id),
            "presence": {"status": "OUT", "message": "現地調査", "version": 1},
        },
    ]


@pytest.mark.django_db
def test_setting_my_presence_never_touches_another_municipality(okawa, kanda):
    # Both towns have a 0003 佐藤 次郎; each sets only their own.
    okawa_api, kanda_api = presence_api(okawa, "shuji"), presence_api(kanda, "shuji")
    okawa_api.data(SET_MY_PRESENCE, {"input": {"status": "LEAVE", "message": "年休"}})
    kanda_api.data(SET_MY_PRESENCE, {"input": {"status": "REMOTE"}})
    assert okawa_api.data(MY_PRESENCE)["myPresence"]["label"] == "休暇"
    assert kanda_api.data(MY_PRESENCE)["myPresence"]["label"] == "在宅勤務"


@pytest.mark.django_db
def test_signed_out_callers_get_unauthenticated(okawa):
    anonymous = GraphQLClient(url=PRESENCE_URL)
    person = okawa.people["kacho"]
    do_set_presence(principal_of(person), "MEETING", "第1会議室")
    for query, variables, data in [
        (MY_PRESENCE, None, {"myPresence": None}),
        (PRESENCES, {"ids": [str(person.id)]}, None),
        (SET_MY_PRESENCE, {"input": {"status": "OUT"}}, None),
    ]:
        result = anonymous(query, variables)
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", query
        assert result["data"] == data
    # A key-only Person from `_entities` tells nothing (the gateway sends keys it has read
    # already); its presence does, so that is refused.
    entities = anonymous(ENTITIES, {"reps": [{"__typename": "Person", "id": str(person.id)}]})
    assert entities["data"]["_entities"] == [
        {"__typename": "Person", "id": str(person.id), "presence": None}
    ]
    assert entities["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "第1会議室" not in json.dumps(entities, ensure_ascii=False)
    sdl = anonymous.data("{ _service { sdl } }")["_service"]["sdl"]
    assert "presence: Presence" in sdl


@pytest.mark.django_db
def test_a_cookie_session_writes_only_with_the_csrf_header(okawa):
    browser = Client(enforce_csrf_checks=True)
    signed_in = browser.post(
        "/auth/login",
        data=json.dumps({"tenant": "402125", "loginId": "0003", "password": PASSWORD}),
        content_type="application/json",
    )
    assert signed_in.status_code == 200
    body = json.dumps({"query": SET_MY_PRESENCE, "variables": {"input": {"status": "AWAY"}}})
    refused = browser.post(PRESENCE_URL, data=body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    csrf = {"X-CSRFToken": browser.cookies["yui_csrftoken"].value}
    accepted = browser.post(PRESENCE_URL, data=body, content_type="application/json", headers=csrf)
    assert accepted.json()["data"]["setMyPresence"]["presence"]["version"] == 1
