"""Setting my presence through the API: colleagues see it, every change bumps the version,
expected failures come back as typed errors and change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.presence import MY_PRESENCE, PRESENCES, SET_MY_PRESENCE, presence_api


def set_my_presence(api, **input_fields):
    return api.data(SET_MY_PRESENCE, {"input": input_fields})["setMyPresence"]


@pytest.mark.django_db
def test_what_i_set_is_what_my_colleagues_see(okawa):
    me = okawa.people["shuji"]
    back = (timezone.now() + timedelta(hours=2)).astimezone(timezone.get_current_timezone())
    out = set_my_presence(
        presence_api(okawa, "shuji"),
        status="MEETING",
        message="第1会議室 15時まで",
        backAt=back.isoformat(),  # with the +09:00 offset of a browser in Japan
    )
    assert out["errors"] == []
    mine = out["presence"]
    assert (mine["status"], mine["label"], mine["message"]) == (
        "MEETING",
        "会議中",
        "第1会議室 15時まで",
    )
    assert datetime.fromisoformat(mine["backAt"]) == back
    assert mine["version"] == 1 and mine["updatedAt"] is not None
    assert mine["person"] == {"id": str(me.id)}
    seen = presence_api(okawa, "kacho").data(PRESENCES, {"ids": [str(me.id)]})["presences"]
    assert seen == [mine]


@pytest.mark.django_db
def test_each_change_counts_up_and_setting_the_same_again_changes_nothing(okawa):
    api = presence_api(okawa, "shuji")
    first = set_my_presence(api, status="AWAY", message="すぐ戻ります")["presence"]
    second = set_my_presence(api, status="OUT", message="現地調査")["presence"]
    again = set_my_presence(api, status="OUT", message="現地調査")["presence"]
    back = set_my_presence(api, status="IN")["presence"]
    assert [p["version"] for p in (first, second, again, back)] == [1, 2, 2, 3]
    assert again["updatedAt"] == second["updatedAt"]
    assert (back["label"], back["message"], back["backAt"]) == ("在席", "", None)
    assert api.data(MY_PRESENCE)["myPresence"] == back


@pytest.mark.django_db
def test_a_message_too_long_or_a_return_time_passed_is_refused_as_data(okawa):
    api = presence_api(okawa, "shuji")
    before = set_my_presence(api, status="REMOTE", message="在宅で資料作成")["presence"]
    long = set_my_presence(api, status="OUT", message="あ" * 101)
    assert long["presence"] is None
    assert long["errors"] == [
        {
            "code": "TOO_LONG",
            "field": "message",
            "message": "Keep the message to 100 characters (101 now).",
        }
    ]
    passed = (timezone.now() - timedelta(minutes=5)).isoformat()
    both = set_my_presence(api, status="OUT", message="い" * 120, backAt=passed)
    assert both["presence"] is None
    assert [(e["code"], e["field"]) for e in both["errors"]] == [
        ("TOO_LONG", "message"),
        ("IN_THE_PAST", "backAt"),
    ]
    assert api.data(MY_PRESENCE)["myPresence"] == before


@pytest.mark.django_db
def test_the_limits_themselves_are_accepted(okawa):
    api = presence_api(okawa, "shuji")
    # 100 characters exactly, and a return time that passed a moment ago (a slow network).
    just_passed = (timezone.now() - timedelta(seconds=30)).isoformat()
    out = set_my_presence(api, status="AWAY", message="う" * 100, backAt=just_passed)
    assert out["errors"] == []
    assert len(out["presence"]["message"]) == 100


@pytest.mark.django_db
def test_a_return_time_without_offset_is_japan_time_and_comes_back_in_utc(okawa):
    api = presence_api(okawa, "shuji")
    out = set_my_presence(api, status="TRIP", message="東京出張", backAt="2099-04-01T17:30:00")
    assert out["errors"] == []
    assert out["presence"]["backAt"] == "2099-04-01T08:30:00+00:00"
    assert datetime.fromisoformat(out["presence"]["backAt"]) == datetime(
        2099, 4, 1, 8, 30, tzinfo=UTC
    )


@pytest.mark.django_db
def test_a_message_stays_on_one_line_without_surrounding_blanks(okawa):
    api = presence_api(okawa, "shuji")
    out = set_my_presence(api, status="MEETING", message="  庁議\n第2会議室\r\n16時まで  ")
    assert out["presence"]["message"] == "庁議 第2会議室 16時まで"


@pytest.mark.django_db
def test_my_presence_is_mine_alone(okawa):
    # Setting mine leaves everyone else's as it was: there is no way to name another person.
    set_my_presence(presence_api(okawa, "shuji"), status="LEAVE", message="年休")
    others = [okawa.people[k] for k in ("kacho", "kakari", "jinji", "shimin")]
    board = presence_api(okawa, "kacho").data(PRESENCES, {"ids": [str(p.id) for p in others]})
    assert {p["label"] for p in board["presences"]} == {"未設定"}
