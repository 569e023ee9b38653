"""The portal's one request through the gateway: people's fields with the notices
subgraph's unread count, and notices' authors resolved by people."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync

import yui.federation
from gateway.engine import Gateway
from gateway.executor import RequestContext
from gateway.transports import InProcessTransport
from subgraphs.people.models import Person
from tests.conftest import Municipality
from tests.notices import MARK_READ, create_category, notices_api, posted
from yui import edge
from yui.registry import SUBGRAPHS, subgraph_schema

PORTAL = """{ me { name unreadNoticeCount }
  notices { title isRead author { name } category { name } } }"""


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    transports = {
        name: InProcessTransport(subgraph_schema(name), edge.subgraph_context) for name in SUBGRAPHS
    }
    return Gateway(yui.federation.supergraph_sdl(), transports)


def run(gateway: Gateway, m: Municipality, viewer: Person, query: str) -> dict[str, Any]:
    context = RequestContext(principal=m.principal(viewer))
    response = async_to_sync(gateway.execute)(query, {}, context=context)
    assert "errors" not in response.payload, response.payload
    return response.payload["data"]  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_the_portal_gets_the_unread_count_and_the_board_in_one_request(gateway, okawa, kanda):
    category = create_category(okawa)
    kacho = notices_api(okawa, "kacho")
    shuji = okawa.people["shuji"]
    first = posted(kacho, category, {"personIds": [str(shuji.id)]}, title="防災訓練")
    posted(kacho, category, {"personIds": [str(shuji.id)]}, title="健康診断")
    data = run(gateway, okawa, shuji, PORTAL)
    assert data["me"] == {"name": "佐藤 次郎", "unreadNoticeCount": 2}
    assert {n["title"] for n in data["notices"]} == {"防災訓練", "健康診断"}
    assert {n["author"]["name"] for n in data["notices"]} == {"髙橋 一郎"}
    notices_api(okawa, "shuji").data(MARK_READ, {"id": first})
    data = run(gateway, okawa, shuji, PORTAL)
    assert data["me"]["unreadNoticeCount"] == 1
    assert [(n["title"], n["isRead"]) for n in data["notices"]] == [
        ("健康診断", False),
        ("防災訓練", True),
    ]
    # Another municipality's staff member with the same position sees nothing of it.
    other = run(gateway, kanda, kanda.people["shuji"], PORTAL)
    assert other == {"me": {"name": "佐藤 次郎", "unreadNoticeCount": 0}, "notices": []}
