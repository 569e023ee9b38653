"""The per-subgraph endpoints (/subgraphs/<name>/graphql) a client can reach: the same
limits as /graphql (one implementation, gateway.limits), the same body size, and a GraphQL
error document with a code for a malformed request, never an HTML page."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync
from django.test import Client, RequestFactory

from gateway.limits import DEFAULT_MAX_BODY_BYTES
from subgraphs.core import signing
from subgraphs.core.graphql.views import SIGNED_MAX_BODY_BYTES
from tests.conftest import PEOPLE_URL, GraphQLClient
from yui.subgraph_service import urlpatterns_for

CALENDAR_URL = "/subgraphs/calendar/graphql"

# 19 connection fields with their page size in a variable: 19 * 500 people.
PAGES = (
    "query($n: Int!) { "
    + " ".join(f"p{i}: people(first: $n) {{ edges {{ node {{ id name }} }} }}" for i in range(19))
    + " }"
)


def post_raw(body: bytes, url: str = PEOPLE_URL, **headers: str) -> Any:
    return Client().post(url, data=body, content_type="application/json", headers=headers)


def error_code(response: Any) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b'"x"',
        b"12",
        b"\xff\xfe{",  # not UTF-8
        b"[" * 100_000,
        b"[]",
        b'[{"query": "{ me { id } }"}]',
        b'{"query": 12}',
        b'{"query": ["{ me { id } }"]}',
        b'{"query": "{ me { id } }", "variables": [1]}',
        b'{"query": "{ me { id } }", "operationName": 3}',
    ],
    ids=lambda b: repr(b[:24]),
)
@pytest.mark.parametrize("url", [PEOPLE_URL, CALENDAR_URL])
def test_a_malformed_body_is_a_graphql_error_with_400(db, body, url):
    response = post_raw(body, url)
    assert response.status_code == 400
    assert error_code(response) == "BAD_REQUEST"


def test_get_with_bad_parameters_is_a_graphql_error_with_400(db):
    client = Client()
    bad_variables = client.get(PEOPLE_URL, {"query": "{ me { id } }", "variables": "{nope"})
    assert bad_variables.status_code == 400
    assert error_code(bad_variables) == "BAD_REQUEST"
    list_variables = client.get(PEOPLE_URL, {"query": "{ me { id } }", "variables": "[1]"})
    assert list_variables.status_code == 400
    assert error_code(list_variables) == "BAD_REQUEST"
    bad_extensions = client.get(PEOPLE_URL, {"query": "{ me { id } }", "extensions": "x"})
    assert error_code(bad_extensions) == "BAD_REQUEST"
    no_query = client.get(PEOPLE_URL)
    assert no_query.status_code == 400
    assert error_code(no_query) == "BAD_REQUEST"
    fine = client.get(PEOPLE_URL, {"query": "{ me { id } }"})
    assert fine.status_code == 200 and fine.json() == {"data": {"me": None}}


def test_the_body_limit_is_the_gateways(db, okawa):
    padding = "x" * DEFAULT_MAX_BODY_BYTES
    body = json.dumps({"query": "{ me { id } }", "variables": {"pad": padding}}).encode()
    response = post_raw(body, Authorization=f"Bearer {okawa.api('kakari').token}")
    assert response.status_code == 413
    assert error_code(response) == "PAYLOAD_TOO_LARGE"
    assert str(DEFAULT_MAX_BODY_BYTES) in response.json()["errors"][0]["message"]


def test_aliases_depth_tokens_and_root_fields_are_limited(okawa):
    api = okawa.api("kakari")
    # The probe: 200 aliases of organizations { members } (2.5 MB answered before).
    probe = "{ " + " ".join(f"o{i}: organizations {{ members {{ name }} }}" for i in range(200))
    aliases = "{ organizations { " + " ".join(f"m{i}: members {{ name }}" for i in range(40))
    deep = "{ organizations { " + "parent { " * 41 + "id" + " }" * 41 + " } }"
    repeated = "{ me { " + "id " * 100_000 + "} }"
    roots = "{ " + " ".join(f"t{i}: tenant {{ name }}" for i in range(25)) + " }"
    for query, code in [
        (probe + " }", "MAX_ROOT_FIELDS_EXCEEDED"),
        (aliases + " } }", "MAX_ALIASES_EXCEEDED"),
        (deep, "MAX_DEPTH_EXCEEDED"),
        (repeated, "MAX_TOKENS_EXCEEDED"),
        (roots, "MAX_ROOT_FIELDS_EXCEEDED"),
    ]:
        response = api.post(query)
        assert response.status_code == 400, (code, response.content[:300])
        assert error_code(response) == code
    # A client that asks for plain JSON gets 200 with the errors, as from /graphql.
    plain = api.post(deep, HTTP_ACCEPT="application/json")
    assert plain.status_code == 200 and error_code(plain) == "MAX_DEPTH_EXCEEDED"


def test_fragments_that_double_are_refused_on_a_subgraph_endpoint(db):
    fragments = " ".join(
        f"fragment F{i} on Person {{ ...F{i + 1} ...F{i + 1} }}" for i in range(16)
    )
    query = f"{{ me {{ ...F0 }} }} {fragments} fragment F16 on Person {{ id }}"
    response = GraphQLClient().post(query)
    assert response.status_code == 400
    assert error_code(response) == "MAX_SELECTIONS_EXCEEDED"


def test_connection_cost_reads_variables_on_a_subgraph_endpoint(okawa):
    api = okawa.api("kakari")
    refused = api.post(PAGES, {"n": 500})
    assert refused.status_code == 400
    assert error_code(refused) == "MAX_COST_EXCEEDED"
    allowed = api(PAGES, {"n": 2})
    assert "errors" not in allowed
    assert len(allowed["data"]["p0"]["edges"]) == 2


def test_entities_cost_counts_the_representations(okawa):
    api = okawa.api("kakari")
    person = {"__typename": "Person", "id": str(okawa.people["shuji"].id)}
    query = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { "
        "name department { name members { name department { name } } } } } }"
    )
    assert error_code(api.post(query, {"r": [person] * 3000})) == "MAX_COST_EXCEEDED"
    found = api(query, {"r": [person]})["data"]["_entities"]
    assert found[0]["name"] == "佐藤 次郎"


def test_connection_cost_reads_variables_through_the_gateway(okawa):
    from yui.federation import embedded_app

    token = okawa.api("kakari").token

    async def post(variables: dict[str, Any]) -> httpx.Response:
        transport = httpx.ASGITransport(app=embedded_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
            return await client.post(
                "/graphql",
                json={"query": PAGES, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )

    refused = async_to_sync(post)({"n": 500})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def signed_request(body: bytes, **extra: Any) -> Any:
    from subgraphs.core.principal import ANONYMOUS

    return RequestFactory().post(
        "/graphql",
        data=body,
        content_type="application/json",
        headers={signing.HEADER: signing.sign_principal(ANONYMOUS)},
        **extra,
    )


def test_a_signed_endpoint_takes_the_gateways_documents_but_not_malformed_bodies(db):
    view = urlpatterns_for("people")[0].callback
    # The gateway's own documents may carry more aliases than a client may send.
    many = "{ " + " ".join(f"t{i}: me {{ id }}" for i in range(60)) + " }"
    response = async_to_sync(view)(signed_request(json.dumps({"query": many}).encode()))
    assert response.status_code == 200
    assert json.loads(response.content)["data"]["t0"] is None
    malformed = async_to_sync(view)(signed_request(b"12"))
    assert malformed.status_code == 400
    assert json.loads(malformed.content)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    too_big = async_to_sync(view)(
        signed_request(b"{}", CONTENT_LENGTH=str(SIGNED_MAX_BODY_BYTES + 1))
    )
    assert too_big.status_code == 413


def test_subgraph_document_caches_are_bounded_by_size(db, monkeypatch):
    from subgraphs.core.graphql import extensions

    monkeypatch.setattr(extensions._parsed, "max_bytes", 3_000_000)
    anonymous = GraphQLClient()
    for n in range(5):
        # Distinct valid documents of 10 KB (~1.2 MB of AST each): each is parsed and
        # answered, at most two stay cached.
        query = f'{{ person(id: "{n}{"0" * 10_000}") {{ id }} }}'
        assert anonymous(query)["data"] == {"person": None}
        assert extensions._parsed.bytes <= 3_000_000
    assert sum(1 for key in extensions._parsed.items if len(key[0]) > 10_000) <= 2


def test_a_body_too_big_is_refused_before_django_reads_it():
    from django.core.asgi import get_asgi_application

    from gateway.limits import limit_request_body

    seen: list[int] = []

    async def inner(scope, receive, send):  # what reads a body whole, as Django does
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                seen.append(-size)
                return
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                seen.append(size)
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def run() -> tuple[httpx.Response, httpx.Response]:
        django = limit_request_body(get_asgi_application(), 1_000)
        transport = httpx.ASGITransport(app=django)
        async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
            declared = await client.post(PEOPLE_URL, content=b"x" * 2_000)

        counted = limit_request_body(inner, 1_000)
        transport = httpx.ASGITransport(app=counted)
        async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
            small = await client.post(PEOPLE_URL, content=b"z" * 600)
        # A chunked body (no Content-Length) of 10 x 500 bytes.
        chunks = [{"type": "http.request", "body": b"y" * 500, "more_body": True}] * 10
        sent: list[dict] = []

        async def receive():
            return chunks.pop(0)

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": PEOPLE_URL, "headers": []}
        await counted(scope, receive, send)
        assert sent == [] and len(chunks) == 7  # no answer; three chunks were read
        return declared, small

    declared, small = async_to_sync(run)()
    assert declared.status_code == 413
    assert declared.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert small.status_code == 200
    # The small body arrived whole; the chunked one ended as a disconnect past 1,000 bytes.
    assert seen[0] == 600
    assert len(seen) == 2 and -seen[1] <= 1_000


def test_a_document_too_costly_to_validate_is_refused_whatever_its_operation_name(db):
    # Same-named fields make validation compare every pair; no operation is selected
    # (two anonymous ones), which the endpoint reports only after validating.
    same = " ".join("me { id name department { name } }" for _ in range(120))
    response = GraphQLClient().post(f"{{ {same} }} {{ {same} }}")
    assert response.status_code == 400
    assert error_code(response) == "GRAPHQL_VALIDATION_FAILED"
    assert response.json()["errors"][0]["message"] == "Validation aborted."


def test_a_query_context_is_closed_once_it_has_answered(okawa, monkeypatch):
    from subgraphs.core.graphql.context import YuiContext

    closed: list[bool] = []
    original = YuiContext.close

    def recorded(self: YuiContext) -> None:
        closed.append(bool(self._loaders))  # whether it held loaders when closed
        original(self)

    monkeypatch.setattr(YuiContext, "close", recorded)
    data = okawa.api("kakari").data("{ me { name department { name members { name } } } }")
    assert data["me"]["department"]["name"] == "庶務係"
    assert closed == [True]  # one operation, closed with its loaders, after the answer
