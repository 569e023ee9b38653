"""The portal's one request through the gateway: people's fields with mail's mailboxes and
counts; and the SQL a mail list costs does not grow with its length."""

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
from tests.mail import LIST, folder, mail_api, personal, sent
from yui import edge
from yui.registry import SUBGRAPHS, subgraph_schema

pytestmark = pytest.mark.django_db

PORTAL = """{ me { name unreadMailCount unreadDirectMessageCount
  mailboxes { kind address unreadCount } } }"""


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


def test_the_portal_gets_mailboxes_and_counts_in_one_request(gateway, okawa, kanda):
    kacho = mail_api(okawa, "kacho")
    sent(kacho, to=["0003@okawa.invalid"], subject="一")
    sent(kacho, to=["0003@okawa.invalid"], subject="二")
    data = run(gateway, okawa, okawa.people["shuji"], PORTAL)
    assert data["me"] == {
        "name": "佐藤 次郎",
        "unreadMailCount": 2,
        "unreadDirectMessageCount": 0,
        "mailboxes": [{"kind": "PERSONAL", "address": "0003@okawa.invalid", "unreadCount": 2}],
    }
    other = run(gateway, kanda, kanda.people["shuji"], PORTAL)
    assert other["me"]["unreadMailCount"] == 0
    assert other["me"]["mailboxes"] == [
        {"kind": "PERSONAL", "address": "0003@kanda.invalid", "unreadCount": 0}
    ]


def test_a_list_of_many_costs_the_queries_of_a_list_of_one(okawa):
    kacho, shuji = mail_api(okawa, "kacho"), mail_api(okawa, "shuji")
    sent(kacho, to=["0003@okawa.invalid"], subject="最初")
    box = personal(shuji)
    variables = {"mailbox": box["id"], "folder": folder(box, "INBOX")}

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            found = shuji.data(LIST, variables)["mailMessages"]
        return len(found["messages"]), len(queries)

    one, queries_for_one = cost()
    for i in range(19):
        sent(kacho, to=["0003@okawa.invalid"], cc=["0002@okawa.invalid"], subject=f"件名{i}")
    many, queries_for_many = cost()
    assert (one, many) == (1, 20)
    assert queries_for_many == queries_for_one


SENT_WITH_DELIVERIES = """query($mailbox: ID!, $folder: ID) {
  mailMessages(mailboxId: $mailbox, folderId: $folder) { messages { id
    deliveries { status } mailbox { address } folder { name } } } }"""


def test_the_sent_list_with_deliveries_costs_the_same_for_one_and_many(okawa):
    kacho = mail_api(okawa, "kacho")
    sent(kacho, to=["someone@example.com"], subject="外部へ")
    box = personal(kacho)
    variables = {"mailbox": box["id"], "folder": folder(box, "SENT")}

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            found = kacho.data(SENT_WITH_DELIVERIES, variables)["mailMessages"]["messages"]
        assert all(m["deliveries"] == [{"status": "PENDING"}] for m in found)
        return len(found), len(queries)

    one, queries_for_one = cost()
    for i in range(9):
        sent(kacho, to=[f"someone{i}@example.com"], subject=f"外部へ{i}")
    many, queries_for_many = cost()
    assert (one, many) == (1, 10)
    assert queries_for_many == queries_for_one
