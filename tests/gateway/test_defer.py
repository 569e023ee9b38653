"""``@defer`` (gateway.defer): the primary part first, the deferred fragments after it, over
HTTP (multipart/mixed), a WebSocket and SSE; what a client merges is the whole answer."""

from __future__ import annotations

import copy
import json
import re

import httpx
import pytest

from gateway.server import GatewayApp
from tests.gateway.fixtures.cases import load_cases
from tests.gateway.test_cases import IN_PROCESS_SUITES, in_process_gateway
from tests.gateway.test_http import make_gateway
from tests.gateway.test_websocket import Socket

MULTIPART = "multipart/mixed; deferSpec=20220824, application/json"


@pytest.fixture
def shop():
    gateway, transports = make_gateway()
    app = GatewayApp(gateway)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
    return client, app, transports


def parts(response: httpx.Response) -> list[dict]:
    """The JSON payloads of a multipart/mixed body, checked for its framing."""
    boundary = re.search(r'boundary="([^"]+)"', response.headers["content-type"]).group(1)
    body = response.text
    assert body.endswith(f"\r\n--{boundary}--\r\n")
    chunks = body[: -len(f"\r\n--{boundary}--\r\n")].split(f"\r\n--{boundary}\r\n")
    assert chunks[0] == ""
    payloads = []
    for chunk in chunks[1:]:
        head, _, text = chunk.partition("\r\n\r\n")
        assert head.lower() == "content-type: application/json; charset=utf-8"
        payloads.append(json.loads(text))
    return payloads


def merged(payloads: list[dict]) -> dict:
    """What a client builds from the payloads: each item's data put in at its path."""
    first = copy.deepcopy(payloads[0])
    data, errors = first.get("data"), list(first.get("errors", []))
    for later in payloads[1:]:
        for item in later["incremental"]:
            errors += item.get("errors", [])
            if item["data"] is None:
                continue
            target = data
            for key in item["path"]:
                target = target[key]
            _merge(target, item["data"])
    result = {"data": data}
    if errors:
        result["errors"] = errors
    return result


def _merge(target: dict, addition: dict) -> None:
    for key, value in addition.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        elif isinstance(value, list) and isinstance(target.get(key), list):
            for mine, theirs in zip(target[key], value, strict=True):
                if isinstance(mine, dict) and isinstance(theirs, dict):
                    _merge(mine, theirs)
        else:
            target[key] = value


async def post(client: httpx.AsyncClient, query: str, variables=None, accept=MULTIPART):
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"accept": accept}
    )


TOP_DEFERRED = """query($n: Int!) {
  topProducts(first: $n) {
    upc name
    ... @defer(label: "reviews") { reviews { body author { username } } }
  }
  me { id ...Mine @defer }
}
fragment Mine on User { username reviews { body } }"""


async def test_the_primary_part_comes_first_and_the_rest_completes_it(shop):
    client, _, _ = shop
    response = await post(client, TOP_DEFERRED, {"n": 2})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("multipart/mixed")
    assert "deferSpec=20220824" in response.headers["content-type"]
    first, rest = parts(response)
    assert first == {
        "data": {
            "topProducts": [{"upc": "1", "name": "Table"}, {"upc": "2", "name": "Couch"}],
            "me": {"id": "1"},
        },
        "hasNext": True,
    }
    assert rest["hasNext"] is False
    items = {(tuple(i["path"]), i.get("label")) for i in rest["incremental"]}
    assert items == {
        (("topProducts", 0), "reviews"),
        (("topProducts", 1), "reviews"),
        (("me",), None),
    }
    mine = next(i for i in rest["incremental"] if i["path"] == ["me"])
    assert mine["data"]["username"] == "ada"
    # Nothing of the internal aliases reaches the client.
    assert "yui" not in response.text
    whole = await post(client, TOP_DEFERRED, {"n": 2}, accept="application/json")
    assert merged([first, rest]) == whole.json()


async def test_a_client_without_multipart_gets_one_answer(shop):
    client, _, _ = shop
    for accept in ("application/json", "*/*", "application/graphql-response+json"):
        response = await post(client, TOP_DEFERRED, {"n": 1}, accept=accept)
        assert not response.headers["content-type"].startswith("multipart"), accept
        body = response.json()
        assert body["data"]["topProducts"][0]["reviews"], accept
        assert "hasNext" not in body


@pytest.mark.parametrize(
    ("condition", "variables", "deferred"),
    [
        ("if: false", {}, False),
        ("if: true", {}, True),
        ("if: $d", {"d": False}, False),
        ("if: $d", {"d": True}, True),
    ],
)
async def test_defer_if(shop, condition, variables, deferred):
    client, _, _ = shop
    query = f"query($d: Boolean!) {{ me {{ id ... @defer({condition}) {{ username }} }} }}"
    if "$d" not in condition:
        query = query.replace("($d: Boolean!)", "")
    response = await post(client, query, variables)
    assert response.headers["content-type"].startswith("multipart/mixed") is deferred
    if deferred:
        assert parts(response)[0] == {"data": {"me": {"id": "1"}}, "hasNext": True}
    else:
        assert response.json() == {"data": {"me": {"id": "1", "username": "ada"}}}


async def test_a_selection_left_empty_and_a_variable_only_the_deferred_part_uses(shop):
    client, _, _ = shop
    query = """query($id: ID!) {
      me { ... @defer { username } }
      ... @defer { user(id: $id) { username } }
    }"""
    first, rest = parts(await post(client, query, {"id": "2"}))
    assert first == {"data": {"me": {}}, "hasNext": True}
    assert merged([first, rest]) == {
        "data": {"me": {"username": "ada"}, "user": {"username": "alan"}}
    }


async def test_nested_defers_arrive_with_the_enclosing_one(shop):
    client, _, _ = shop
    query = """{ me { id ... @defer(label: "outer") {
        username ... @defer(label: "inner") { reviews { body } } } } }"""
    first, rest = parts(await post(client, query))
    assert [i.get("label") for i in rest["incremental"]] == ["outer"]
    assert rest["incremental"][0]["data"]["reviews"]
    whole = await post(client, query, accept="application/json")
    assert merged([first, rest]) == whole.json()


async def test_errors_of_a_deferred_part_go_with_its_item(shop):
    client, _, transports = shop
    transports["reviews"].down = True
    try:
        response = await post(
            client, "{ topProducts(first: 1) { name ... @defer { reviewCount } } }"
        )
    finally:
        transports["reviews"].down = False
    first, rest = parts(response)
    assert first == {"data": {"topProducts": [{"name": "Table"}]}, "hasNext": True}
    (item,) = rest["incremental"]
    assert item["path"] == ["topProducts", 0]
    assert item["errors"], item
    assert all(e["path"][:2] == ["topProducts", 0] for e in item["errors"])


@pytest.mark.parametrize(
    "query",
    [
        "{ me @defer { id } }",
        "query @defer { me { id } }",
        "{ me { id ... @defer(label: 3) { username } } }",
        "{ me { id ... @defer(later: true) { username } } }",
    ],
)
async def test_defer_where_it_cannot_be_is_refused(shop, query):
    client, _, _ = shop
    for accept in (MULTIPART, "application/json"):
        body = (await post(client, query, accept=accept)).json()
        assert "data" not in body or body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "@defer" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "spelling", ["@ defer", "@\n  defer", "@ , defer", "@ # a comment\n defer", "@\ufeffdefer"]
)
async def test_defer_is_found_however_the_document_spaces_it(shop, spelling):
    client, _, _ = shop
    query = f'{{ me {{ id ... {spelling}(label: "later") {{ username }} }} }}'
    first, rest = parts(await post(client, query))
    assert first == {"data": {"me": {"id": "1"}}, "hasNext": True}
    assert rest["incremental"] == [{"path": ["me"], "label": "later", "data": {"username": "ada"}}]


async def test_a_field_named_like_defer_is_not_taken_for_it(shop):
    client, _, _ = shop
    # "@deferred" is no @defer: the ordinary path, which knows no such directive.
    body = (await post(client, "{ me @deferred { id } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "deferred" in body["errors"][0]["message"]


async def test_a_mutation_runs_with_defer_ignored(shop):
    client, _, _ = shop
    mutation = 'mutation { setInStock(upc: "1", inStock: true) { upc ... @defer { inStock } } }'
    response = await post(client, mutation)
    assert not response.headers["content-type"].startswith("multipart")
    assert response.json() == {"data": {"setInStock": {"upc": "1", "inStock": True}}}


async def test_over_a_websocket_and_sse(shop):
    client, app, _ = shop
    socket = Socket(app)
    await socket.accepted()
    await socket.send({"type": "connection_init", "payload": {}})
    assert await socket.receive() == {"type": "connection_ack"}
    await socket.send(
        {"id": "1", "type": "subscribe", "payload": {"query": TOP_DEFERRED, "variables": {"n": 1}}}
    )
    first, rest, done = (await socket.receive(), await socket.receive(), await socket.receive())
    assert first["type"] == rest["type"] == "next"
    assert first["payload"]["hasNext"] is True
    assert "reviews" not in first["payload"]["data"]["topProducts"][0]
    assert rest["payload"]["hasNext"] is False
    assert done == {"id": "1", "type": "complete"}
    await socket.close()
    sse = await client.post(
        "/graphql",
        json={"query": TOP_DEFERRED, "variables": {"n": 1}},
        headers={"accept": "text/event-stream"},
    )
    events = [block for block in sse.text.split("\n\n") if block]
    assert [e.split("\n")[0] for e in events] == ["event: next", "event: next", "event: complete"]
    payloads = [json.loads(e.split("\ndata: ", 1)[1]) for e in events[:2]]
    assert merged(payloads) == merged([first["payload"], rest["payload"]])


def _deferred_everywhere(query: str) -> str:
    """The query with every inline fragment that has a type condition (and no directive
    of its own) deferred."""
    deferred = re.sub(r"\.\.\.\s*on\s+(\w+)\s*\{", r"... on \1 @defer {", query)
    assert deferred != query
    return deferred


CASES_WITH_FRAGMENTS = [
    pytest.param(suite, case, id=f"{suite}:{case.name}")
    for suite in IN_PROCESS_SUITES
    for case in load_cases(suite)
    if "... on" in case.query and not case.query.lstrip().startswith(("mutation", "subscription"))
]


@pytest.mark.parametrize(("suite", "case"), CASES_WITH_FRAGMENTS)
async def test_every_fragment_of_the_test_bed_deferred_merges_to_the_same_answer(suite, case):
    """Interfaces, unions and type conditions of every suite: deferring each inline
    fragment changes when fields arrive, never what the client ends up with."""
    gateway = in_process_gateway(suite)
    app = GatewayApp(gateway)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gw"
    ) as client:
        plain = (await post(client, case.query, case.variables, accept="application/json")).json()
        response = await post(client, _deferred_everywhere(case.query), case.variables)
    if not response.headers["content-type"].startswith("multipart"):
        assert response.json() == plain  # the primary part came back null: nothing to add
        return
    payloads = parts(response)
    assert payloads[0]["hasNext"] is True
    assert merged(payloads)["data"] == plain["data"]
