"""未設定 until a status is chosen, and again after the nightly reset (04:00 Japan time by
default, ``YUI_PRESENCE_RESET_HOUR``), worked out when read: every way of reading presence
agrees. Time is frozen by replacing the presence clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from subgraphs.presence import clock as presence_clock
from tests.presence import ENTITIES, presence_api
from yui import config

JST = ZoneInfo("Asia/Tokyo")
FIELDS = "status label message backAt updatedAt version resetAt"
MINE = f"{{ myPresence {{ {FIELDS} }} }}"
BOARD = f"query($ids: [ID!]!) {{ presences(personIds: $ids) {{ {FIELDS} }} }}"
SET = f"""
mutation($input: SetPresenceInput!) {{
  setMyPresence(input: $input) {{ presence {{ {FIELDS} }} errors {{ code field }} }}
}}
"""


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


@pytest.fixture
def clock(monkeypatch):
    """The presence clock, frozen at Thursday 2026-12-03 17:30 Japan time; set ``.now``."""

    class Frozen:
        now = jst("2026-12-03T17:30")

    monkeypatch.setattr(presence_clock, "now", lambda: Frozen.now)
    return Frozen


def set_mine(api, **fields):
    return api.data(SET, {"input": fields})["setMyPresence"]


def seen_by_colleague(okawa, person_key):
    """What a colleague's board shows of ``person_key``: presences and Person.presence."""
    target = str(okawa.people[person_key].id)
    api = presence_api(okawa, "kacho")
    board = api.data(BOARD, {"ids": [target]})["presences"][0]
    entity = api.data(ENTITIES, {"reps": [{"__typename": "Person", "id": target}]})
    presence = entity["_entities"][0]["presence"]
    assert (presence["status"], presence["version"]) == (board["status"], board["version"])
    return board


@pytest.mark.django_db
def test_a_status_never_chosen_is_unset(okawa, clock):
    mine = presence_api(okawa, "shuji").data(MINE)["myPresence"]
    assert mine == {
        "status": "UNSET",
        "label": "未設定",
        "message": "",
        "backAt": None,
        "updatedAt": None,
        "version": 0,
        "resetAt": None,
    }


@pytest.mark.django_db
def test_yesterdays_status_reads_unset_from_the_reset_hour(okawa, clock):
    api = presence_api(okawa, "shuji")
    out = set_mine(api, status="MEETING", message="議会対応 第2委員会室")["presence"]
    assert out["label"] == "会議中"
    assert datetime.fromisoformat(out["resetAt"]) == jst("2026-12-04T04:00")

    clock.now = jst("2026-12-04T03:59")
    assert seen_by_colleague(okawa, "shuji")["label"] == "会議中"

    clock.now = jst("2026-12-04T04:00")
    mine = api.data(MINE)["myPresence"]
    assert mine["status"] == "UNSET" and mine["label"] == "未設定"
    assert (mine["message"], mine["backAt"], mine["resetAt"]) == ("", None, None)
    # When they last chose something, and how often, stay true.
    assert (mine["updatedAt"], mine["version"]) == (out["updatedAt"], 1)
    assert seen_by_colleague(okawa, "shuji") == mine

    # The next morning the same choice again is a change: shown, counted, dated today.
    clock.now = jst("2026-12-04T08:30")
    again = set_mine(api, status="MEETING", message="議会対応 第2委員会室")["presence"]
    assert (again["label"], again["version"]) == ("会議中", 2)
    assert datetime.fromisoformat(again["updatedAt"]) == jst("2026-12-04T08:30")
    assert seen_by_colleague(okawa, "shuji") == again


@pytest.mark.django_db
def test_a_status_set_after_midnight_lasts_until_the_next_reset(okawa, clock):
    clock.now = jst("2026-12-04T02:00")  # a night shift at the 防災 desk
    set_mine(presence_api(okawa, "shuji"), status="OUT", message="避難所巡回")
    clock.now = jst("2026-12-04T03:59")
    assert seen_by_colleague(okawa, "shuji")["label"] == "外出"
    clock.now = jst("2026-12-04T04:00")
    assert seen_by_colleague(okawa, "shuji")["label"] == "未設定"


@pytest.mark.django_db
def test_a_return_time_keeps_the_status_until_the_reset_after_it(okawa, clock):
    api = presence_api(okawa, "shuji")
    out = set_mine(api, status="TRIP", message="東京出張", backAt="2026-12-05T17:00:00+09:00")
    assert datetime.fromisoformat(out["presence"]["resetAt"]) == jst("2026-12-06T04:00")
    for moment in ("2026-12-04T09:00", "2026-12-05T04:30", "2026-12-06T03:59"):
        clock.now = jst(moment)
        assert seen_by_colleague(okawa, "shuji")["label"] == "出張", moment
    clock.now = jst("2026-12-06T04:00")
    assert seen_by_colleague(okawa, "shuji")["label"] == "未設定"


@pytest.mark.django_db
def test_the_reset_hour_is_a_setting(okawa, clock, settings):
    settings.PRESENCE_RESET_HOUR = 6
    set_mine(presence_api(okawa, "shuji"), status="REMOTE")
    clock.now = jst("2026-12-04T05:59")
    assert seen_by_colleague(okawa, "shuji")["label"] == "在宅勤務"
    clock.now = jst("2026-12-04T06:00")
    assert seen_by_colleague(okawa, "shuji")["label"] == "未設定"


@pytest.mark.django_db
def test_unset_cannot_be_chosen(okawa, clock):
    api = presence_api(okawa, "shuji")
    set_mine(api, status="IN")
    refused = set_mine(api, status="UNSET")
    assert refused == {"presence": None, "errors": [{"code": "INVALID", "field": "status"}]}
    assert api.data(MINE)["myPresence"]["label"] == "在席"


def test_the_reset_hour_setting_is_checked(monkeypatch):
    monkeypatch.delenv("YUI_PRESENCE_RESET_HOUR", raising=False)
    assert config.hour_of_day("YUI_PRESENCE_RESET_HOUR", 4) == 4
    monkeypatch.setenv("YUI_PRESENCE_RESET_HOUR", " 5 ")
    assert config.hour_of_day("YUI_PRESENCE_RESET_HOUR", 4) == 5
    for bad in ("24", "-1", "4:30", "four", "４"):
        monkeypatch.setenv("YUI_PRESENCE_RESET_HOUR", bad)
        with pytest.raises(ImproperlyConfigured, match=r"YUI_PRESENCE_RESET_HOUR=.*0 to 23"):
            config.hour_of_day("YUI_PRESENCE_RESET_HOUR", 4)


def test_production_settings_reset_presence_at_four_by_default():
    import yui.settings as production

    assert production.PRESENCE_RESET_HOUR == 4


def test_the_last_reset_is_right_on_either_side_of_each_boundary(settings):
    """``last_reset`` keeps its last answer for the day it covers: asked one moment after
    another, around the reset hour, going back in time and after the setting changed, it
    must give what working it out afresh gives."""
    settings.PRESENCE_RESET_HOUR = 4
    moments = [
        ("2026-12-03T17:30", "2026-12-03T04:00"),
        ("2026-12-04T03:59:59.999999", "2026-12-03T04:00"),
        ("2026-12-04T04:00", "2026-12-04T04:00"),
        ("2026-12-04T04:00:00.000001", "2026-12-04T04:00"),
        ("2026-12-03T03:00", "2026-12-02T04:00"),  # back in time
        ("2026-12-04T12:00", "2026-12-04T04:00"),
    ]
    for at, expected in moments:
        assert presence_clock.last_reset(jst(at)) == jst(expected), at
    # The answer is the same moment in UTC as well (the cache compares aware times).
    utc = datetime.fromisoformat("2026-12-03T19:00:00+00:00")  # 04:00 on the 4th in Japan
    assert presence_clock.last_reset(utc) == jst("2026-12-04T04:00")
    settings.PRESENCE_RESET_HOUR = 6
    assert presence_clock.last_reset(jst("2026-12-04T05:00")) == jst("2026-12-03T06:00")
    assert presence_clock.last_reset(jst("2026-12-04T06:00")) == jst("2026-12-04T06:00")
