"""What a client sees when something goes wrong: always an ``extensions.code``, never the
text of an exception nobody raised on purpose (it may name SQL, hosts, other tenants)."""

from __future__ import annotations

import base64
import logging
import re

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError, connection, connections
from django.test import Client

from subgraphs.people import actions as people_actions
from subgraphs.people.graphql import queries as people_queries
from tests.conftest import Municipality

PEOPLE = "query($after: String) { people(first: 2, after: $after) { totalCount edges { cursor } } }"
REFERENCE = re.compile(r"^Internal error \(reference ([0-9A-F]{8})\)$")
SECRET = 'connection to server at "10.9.8.7", port 5432 failed: tenant 406210'


def only_error(body: dict) -> dict:
    assert len(body.get("errors") or []) == 1, body
    return body["errors"][0]  # type: ignore[no-any-return]


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_a_cursor_out_of_range_or_garbled_is_bad_user_input(okawa: Municipality) -> None:
    api = okawa.api("kacho")
    for after in (cursor("o:99999999999999999999"), cursor("o:-1"), cursor("x:1"), "%%%"):
        error = only_error(api(PEOPLE, {"after": after}))
        assert error["extensions"]["code"] == "BAD_USER_INPUT", error
        assert error["message"] == "Invalid cursor.", error
    first = api(PEOPLE)["data"]["people"]
    second = api(PEOPLE, {"after": first["edges"][-1]["cursor"]})
    assert "errors" not in second and len(second["data"]["people"]["edges"]) == 2


def test_an_unexpected_exception_is_internal_with_a_reference_the_log_carries(
    okawa: Municipality, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError(SECRET)

    monkeypatch.setattr(people_queries, "search_people", broken)
    with caplog.at_level(logging.ERROR):
        body = okawa.api("kacho")(PEOPLE)
    error = only_error(body)
    assert error["extensions"]["code"] == "INTERNAL", error
    match = REFERENCE.match(error["message"])
    assert match, error
    assert error["extensions"]["reference"] == match[1]
    assert "10.9.8.7" not in str(body) and "406210" not in str(body)
    logged = [r for r in caplog.records if match[1] in r.getMessage()]
    assert len(logged) == 1, [r.getMessage() for r in caplog.records]
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info and logged[0].exc_info[0] is ZeroDivisionError
    assert "ZeroDivisionError" in caplog.text and "search_people" in str(caplog.text)


def test_a_database_outage_is_service_unavailable_without_the_address(
    okawa: Municipality, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def down(*args: object, **kwargs: object) -> None:
        raise OperationalError(SECRET)

    monkeypatch.setattr(people_queries, "search_people", down)
    body = okawa.api("kacho")(PEOPLE)
    error = only_error(body)
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
    assert error["extensions"]["reference"] in error["message"]
    assert "10.9.8.7" not in str(body)
    assert error["extensions"]["reference"] in caplog.text


def test_errors_in_the_document_keep_their_message_and_get_a_code(
    okawa: Municipality,
) -> None:
    api = okawa.api("kacho")
    unknown = only_error(api("{ peopel { totalCount } }"))
    assert unknown["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Cannot query field 'peopel'" in unknown["message"]
    syntax = only_error(api("{ people( }"))
    assert syntax["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert syntax["message"].startswith("Syntax Error")
    wrong_type = only_error(
        api("query($n: Int!) { people(first: $n) { totalCount } }", {"n": "many"})
    )
    assert wrong_type["extensions"]["code"] == "BAD_USER_INPUT"
    assert wrong_type["message"].startswith("Variable '$n' has invalid value")
    literal = only_error(api('{ people(first: "many") { totalCount } }'))
    assert literal["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    on_purpose = only_error(api("{ people(first: 501) { totalCount } }"))
    assert on_purpose["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 0 and 500" in on_purpose["message"]


def test_health_reports_the_database(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    http = Client()
    healthy = http.get("/health")
    assert (healthy.status_code, healthy.json()) == (200, {"status": "ok", "database": "ok"})

    def down() -> None:
        raise OperationalError(SECRET)

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", down)
        broken = http.get("/health")
    assert broken.status_code == 503
    assert broken.json() == {"status": "unavailable", "database": "unavailable"}


def test_a_subgraph_endpoint_answers_a_graphql_error_while_the_database_is_down(
    okawa: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Authentication fails before Strawberry runs: still no HTML page, no address."""
    api = okawa.api("kacho")

    def down() -> None:
        raise OperationalError(SECRET)

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", down)
        response = api.post("{ me { name } }")
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/json")
    error = only_error(response.json())
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "10.9.8.7" not in response.content.decode()
    assert api.data("{ me { name } }") == {"me": {"name": "髙橋 一郎"}}  # and back again


# --- through the gateway (embedded: subgraphs in-process, the edge authenticating) ---------


@pytest.fixture
async def _close_worker_connections():
    # The gateway's ORM work runs on sync_to_async's worker thread; PostgreSQL refuses to
    # drop the test database while its connection stays open.
    yield
    await sync_to_async(connections.close_all)()


@pytest.fixture
async def gateway(_close_worker_connections: None) -> httpx.AsyncClient:
    from yui.federation import embedded_app

    transport = httpx.ASGITransport(app=embedded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
        yield client


async def _token(m: Municipality, key: str) -> str:
    outcome = await sync_to_async(people_actions.do_create_access_token)(
        m.people[key], "errors", None
    )
    return outcome.extra["token"]  # type: ignore[no-any-return]


@pytest.mark.django_db(transaction=True)
async def test_through_the_gateway_an_unexpected_exception_is_internal(
    gateway: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    okawa = await sync_to_async(_okawa)()
    token = await _token(okawa, "kacho")

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError(SECRET)

    monkeypatch.setattr(people_queries, "search_people", broken)
    response = await gateway.post(
        "/graphql",
        json={"query": "{ people(first: 1) { totalCount } }"},
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    body = response.json()
    error = only_error(body)
    assert error["extensions"]["code"] == "INTERNAL"
    match = REFERENCE.match(error["message"])
    assert match, error
    assert "10.9.8.7" not in response.text
    assert match[1] in caplog.text and "ZeroDivisionError" in caplog.text


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [(OperationalError(SECRET), 503, "SERVICE_UNAVAILABLE"), (KeyError(SECRET), 500, "INTERNAL")],
)
async def test_a_failure_of_the_edge_is_a_graphql_error_with_a_code(
    gateway: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
    status: int,
    code: str,
) -> None:
    """The database down while the gateway authenticates: no HTML page, no address."""
    from yui import edge

    def fail(request: object) -> None:
        raise failure

    monkeypatch.setattr(edge, "authenticate_gateway_request", fail)
    response = await gateway.post(
        "/graphql",
        json={"query": "{ me { name } }"},
        headers={"Authorization": "Bearer yui_pat_whatever"},
    )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    error = only_error(response.json())
    assert error["extensions"]["code"] == code
    assert error["extensions"]["reference"] in error["message"]
    assert error["extensions"]["reference"] in caplog.text
    assert "10.9.8.7" not in response.text


def _okawa() -> Municipality:
    from tests.conftest import build_municipality

    return build_municipality("402125", "okawa", "大川市")


@pytest.mark.django_db(transaction=True)
async def test_a_websocket_whose_edge_fails_is_closed_with_try_again_later(
    _close_worker_connections: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import json

    from yui import edge
    from yui.federation import embedded_app

    def fail(request: object) -> None:
        raise OperationalError(SECRET)

    monkeypatch.setattr(edge, "authenticate_gateway_request", fail)
    incoming: asyncio.Queue[dict] = asyncio.Queue()
    sent: list[dict] = []
    for message in (
        {"type": "websocket.connect"},
        {
            "type": "websocket.receive",
            "text": json.dumps(
                {"type": "connection_init", "payload": {"authorization": "Bearer yui_pat_x"}}
            ),
        },
    ):
        incoming.put_nowait(message)

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "websocket.close":
            incoming.put_nowait({"type": "websocket.disconnect", "code": message["code"]})

    scope = {
        "type": "websocket",
        "path": "/graphql",
        "headers": [],
        "subprotocols": ["graphql-transport-ws"],
        "query_string": b"",
        "client": ("127.0.0.1", 5000),
    }
    await asyncio.wait_for(embedded_app()(scope, incoming.get, send), 10)
    closed = [m for m in sent if m["type"] == "websocket.close"]
    assert closed and closed[0]["code"] == 1013, sent
    assert "10.9.8.7" not in str(sent)
