"""Circulation (回覧・レポート) end to end through the gateway (`/graphql`'s engine with
every subgraph in-process), and its folders, isolation and query counts on the notices
endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test.utils import CaptureQueriesContext

import yui.federation
from gateway.engine import Gateway
from gateway.executor import RequestContext
from gateway.transports import InProcessTransport
from subgraphs.people.models import Person
from tests.conftest import Municipality
from tests.notices import notices_api
from yui import edge
from yui.registry import SUBGRAPHS, subgraph_schema

pytestmark = pytest.mark.django_db

ERRORS = "errors { code field }"
SAVE = f"""mutation($input: SaveCirculationInput!) {{ saveCirculation(input: $input) {{
  circulation {{ id status title body }} {ERRORS} }} }}"""
CONFIRM = f"""mutation($id: ID!, $comment: String) {{ confirmCirculation(id: $id, comment: $comment) {{
  circulation {{ id myReceipt {{ confirmedAt }} }} {ERRORS} }} }}"""
COMMENT = f"""mutation($id: ID!, $body: String!) {{ commentOnCirculation(id: $id, body: $body) {{
  circulation {{ id }} {ERRORS} }} }}"""
REMIND = (
    f"""mutation($id: ID!) {{ remindCirculation(id: $id) {{ reminded {{ id name }} {ERRORS} }} }}"""
)
REMIND_IDS = (
    f"""mutation($id: ID!) {{ remindCirculation(id: $id) {{ reminded {{ id }} {ERRORS} }} }}"""
)
COMPLETE = f"""mutation($id: ID!) {{ completeCirculation(id: $id) {{ circulation {{ status completedAt }}
  {ERRORS} }} }}"""
OPEN = f"""mutation($id: ID!) {{ openCirculation(id: $id) {{ circulation {{ id }} {ERRORS} }} }}"""
WATCH = f"""mutation($id: ID!, $on: Boolean!) {{ setCirculationWatch(id: $id, watching: $on) {{
  circulation {{ isWatching }} {ERRORS} }} }}"""
DETAIL = """query($id: ID!) { circulation(id: $id) { title status sender { name }
  confirmed { person { name } confirmedAt } unconfirmed { person { name } lastRemindedAt }
  comments { person { name } body } } }"""
DETAIL_IDS = """query($id: ID!) { circulation(id: $id) { title } }"""
FOLDER = """query($folder: CirculationFolder!) { circulations(folder: $folder) { title } }"""
ME = "{ me { pendingCirculationCount } }"


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    transports = {
        name: InProcessTransport(subgraph_schema(name), edge.subgraph_context) for name in SUBGRAPHS
    }
    return Gateway(yui.federation.supergraph_sdl(), transports)


class Api:
    """One person's view through the gateway."""

    def __init__(self, gateway: Gateway, m: Municipality, person: Person):
        self.gateway, self.context = gateway, RequestContext(principal=m.principal(person))

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = async_to_sync(self.gateway.execute)(query, variables or {}, context=self.context)
        assert "errors" not in response.payload, response.payload
        return response.payload["data"]  # type: ignore[no-any-return]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def test_a_circulation_end_to_end_through_the_gateway(gateway, okawa):
    p = okawa.people
    kacho, kakari, shuji, jinji = (
        Api(gateway, okawa, p[k]) for k in ("kacho", "kakari", "shuji", "jinji")
    )
    shomu = str(okawa.orgs["shomu"].id)
    draft = kacho(
        SAVE,
        {
            "input": {
                "title": "年末年始の当番表",
                "body": '<p>ご確認ください<script>x()</script><a href="javascript:y()">表</a></p>',
                "audience": {"departments": [{"id": shomu}], "personIds": [str(p["jinji"].id)]},
            }
        },
    )["saveCirculation"]
    assert draft["errors"] == [] and draft["circulation"]["status"] == "DRAFT"
    cid = draft["circulation"]["id"]
    assert (
        draft["circulation"]["body"] == '<p>ご確認ください<a rel="noopener noreferrer">表</a></p>'
    )
    # A draft is the sender's alone.
    assert shuji(DETAIL, {"id": cid})["circulation"] is None
    assert kacho(FOLDER, {"folder": "DRAFTS"})["circulations"] == [{"title": "年末年始の当番表"}]
    sent = kacho(
        "mutation($id: ID!) { sendCirculation(id: $id) { circulation { status } errors { code } } }",
        {"id": cid},
    )
    assert sent["sendCirculation"] == {"circulation": {"status": "SENT"}, "errors": []}
    again = kacho(
        "mutation($id: ID!) { sendCirculation(id: $id) { errors { code } } }", {"id": cid}
    )
    assert codes(again["sendCirculation"]) == ["NOT_DRAFT"]

    assert shuji(ME) == {"me": {"pendingCirculationCount": 1}}
    assert shuji(FOLDER, {"folder": "NEW"})["circulations"] == [{"title": "年末年始の当番表"}]
    shuji(OPEN, {"id": cid})
    assert shuji(FOLDER, {"folder": "NEW"})["circulations"] == []
    assert shuji(FOLDER, {"folder": "UNCONFIRMED"})["circulations"] == [
        {"title": "年末年始の当番表"}
    ]

    assert (
        codes(shuji(CONFIRM, {"id": cid, "comment": "30日を担当します"})["confirmCirculation"])
        == []
    )
    assert codes(kakari(CONFIRM, {"id": cid})["confirmCirculation"]) == []
    assert shuji(FOLDER, {"folder": "CONFIRMED"})["circulations"] == [{"title": "年末年始の当番表"}]
    assert shuji(ME) == {"me": {"pendingCirculationCount": 0}}
    assert codes(kakari(COMMENT, {"id": cid, "body": "31日は私が"})["commentOnCirculation"]) == []
    # Only the sender reminds, and it reaches only the unconfirmed (鈴木).
    assert codes(shuji(REMIND, {"id": cid})["remindCirculation"]) == ["NOT_AUTHOR"]
    reminded = kacho(REMIND, {"id": cid})["remindCirculation"]
    assert reminded == {"reminded": [{"id": str(p["jinji"].id), "name": "鈴木 三郎"}], "errors": []}

    detail = kacho(DETAIL, {"id": cid})["circulation"]
    assert detail["sender"] == {"name": "髙橋 一郎"}
    assert [c["person"]["name"] for c in detail["confirmed"]] == ["佐藤 次郎", "山﨑 花子"]
    assert all(c["confirmedAt"] for c in detail["confirmed"])
    assert [(u["person"]["name"], bool(u["lastRemindedAt"])) for u in detail["unconfirmed"]] == [
        ("鈴木 三郎", True)
    ]
    assert [(c["person"]["name"], c["body"]) for c in detail["comments"]] == [
        ("佐藤 次郎", "30日を担当します"),
        ("山﨑 花子", "31日は私が"),
    ]
    # A recipient sees the comments but not who has confirmed.
    seen = shuji(DETAIL, {"id": cid})["circulation"]
    assert (seen["confirmed"], seen["unconfirmed"], len(seen["comments"])) == (None, None, 2)

    assert codes(shuji(COMPLETE, {"id": cid})["completeCirculation"]) == ["NOT_AUTHOR"]
    done = kacho(COMPLETE, {"id": cid})["completeCirculation"]
    assert done["circulation"]["status"] == "COMPLETED" and done["circulation"]["completedAt"]
    # Completed: no more comments, confirmations or reminders; each a typed error.
    assert codes(kakari(COMMENT, {"id": cid, "body": "追記"})["commentOnCirculation"]) == [
        "COMPLETED"
    ]
    assert codes(kacho(COMMENT, {"id": cid, "body": "追記"})["commentOnCirculation"]) == [
        "COMPLETED"
    ]
    assert codes(jinji(CONFIRM, {"id": cid, "comment": "遅れて確認"})["confirmCirculation"]) == [
        "COMPLETED"
    ]
    assert codes(kacho(REMIND, {"id": cid})["remindCirculation"]) == ["COMPLETED"]
    assert len(kacho(DETAIL, {"id": cid})["circulation"]["comments"]) == 2
    assert jinji(ME) == {"me": {"pendingCirculationCount": 0}}
    assert kacho(FOLDER, {"folder": "SENT"})["circulations"] == [{"title": "年末年始の当番表"}]
    assert kacho(FOLDER, {"folder": "DRAFTS"})["circulations"] == []


def test_watch_list_and_typed_errors(okawa):
    kacho, shuji = notices_api(okawa, "kacho"), notices_api(okawa, "shuji")
    audience = {"personIds": [str(okawa.people["shuji"].id)]}
    cid = kacho.data(SAVE, {"input": {"title": "回覧", "audience": audience, "send": True}})[
        "saveCirculation"
    ]["circulation"]["id"]
    assert shuji.data(WATCH, {"id": cid, "on": True})["setCirculationWatch"]["circulation"] == {
        "isWatching": True
    }
    assert shuji.data(FOLDER, {"folder": "WATCH"})["circulations"] == [{"title": "回覧"}]
    shuji.data(WATCH, {"id": cid, "on": False})
    assert shuji.data(FOLDER, {"folder": "WATCH"})["circulations"] == []
    # The sender confirming is not a recipient's confirmation.
    assert codes(kacho.data(CONFIRM, {"id": cid})["confirmCirculation"]) == ["NOT_RECIPIENT"]
    payload = kacho.data(SAVE, {"input": {"title": "", "audience": audience, "send": True}})
    assert codes(payload["saveCirculation"]) == ["REQUIRED"]
    payload = kacho.data(SAVE, {"input": {"title": "宛先なし", "send": True}})
    assert codes(payload["saveCirculation"]) == ["NO_RECIPIENTS"]
    payload = kacho.data(SAVE, {"input": {"id": cid, "title": "変更"}})
    assert codes(payload["saveCirculation"]) == ["NOT_DRAFT"]
    payload = shuji.data(COMMENT, {"id": cid, "body": "  "})
    assert codes(payload["commentOnCirculation"]) == ["REQUIRED"]
    shuji.data(CONFIRM, {"id": cid})
    assert codes(kacho.data(REMIND_IDS, {"id": cid})["remindCirculation"]) == ["EVERYONE_CONFIRMED"]


def test_another_municipalitys_circulation_is_invisible_and_unchangeable(okawa, kanda):
    kacho = notices_api(okawa, "kacho")
    audience = {"personIds": [str(okawa.people["shuji"].id)]}
    cid = kacho.data(
        SAVE, {"input": {"title": "大川市の回覧", "audience": audience, "send": True}}
    )["saveCirculation"]["circulation"]["id"]
    kanda_admin = notices_api(kanda, "admin")
    assert kanda_admin.data(DETAIL_IDS, {"id": cid})["circulation"] is None
    entities = kanda_admin.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Circulation { title } } }",
        {"r": [{"__typename": "Circulation", "id": cid}]},
    )
    assert entities["_entities"] == [None]
    for query, name, variables in (
        (CONFIRM, "confirmCirculation", {"id": cid}),
        (COMMENT, "commentOnCirculation", {"id": cid, "body": "x"}),
        (REMIND_IDS, "remindCirculation", {"id": cid}),
        (COMPLETE, "completeCirculation", {"id": cid}),
        (OPEN, "openCirculation", {"id": cid}),
        (WATCH, "setCirculationWatch", {"id": cid, "on": True}),
    ):
        assert codes(kanda_admin.data(query, variables)[name]) == ["NOT_FOUND"], name
    payload = kanda_admin.data(SAVE, {"input": {"id": cid, "title": "乗っ取り"}})
    assert codes(payload["saveCirculation"]) == ["NOT_FOUND"]
    # An audience of the other municipality's people is refused.
    payload = kanda_admin.data(SAVE, {"input": {"title": "x", "audience": audience, "send": True}})
    assert codes(payload["saveCirculation"]) == ["NOT_FOUND"]
    # Even okawa's administrator does not read a circulation not addressed to them.
    assert notices_api(okawa, "admin").data(DETAIL_IDS, {"id": cid})["circulation"] is None


FOLDER_FULL = """{ circulations(folder: SENT, first: 100) { id title body status version
  sentAt isSender isWatching myReceipt { confirmedAt } audience { persons { id } }
  comments { body person { id } } confirmed { confirmedAt } unconfirmed { person { id } } } }"""


def test_a_folder_of_1_or_100_circulations_costs_the_same_sql_queries(okawa):
    kacho, shuji = notices_api(okawa, "kacho"), notices_api(okawa, "shuji")
    audience = {"personIds": [str(okawa.people["shuji"].id), str(okawa.people["kakari"].id)]}

    def send(title: str) -> str:
        return kacho.data(SAVE, {"input": {"title": title, "audience": audience, "send": True}})[
            "saveCirculation"
        ]["circulation"]["id"]

    first = send("最初")
    shuji.data(CONFIRM, {"id": first, "comment": "確認しました"})
    kacho.data(FOLDER_FULL)
    with CaptureQueriesContext(connection) as queries:
        assert len(kacho.data(FOLDER_FULL)["circulations"]) == 1
    one = len(queries)
    for i in range(99):
        send(f"回覧 {i}")
    with CaptureQueriesContext(connection) as queries:
        assert len(kacho.data(FOLDER_FULL)["circulations"]) == 100
    assert len(queries) == one, [q["sql"][:100] for q in queries.captured_queries]
