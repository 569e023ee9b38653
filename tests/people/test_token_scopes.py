"""Scoped access tokens for external dashboards, through the gateway's HTTP endpoint:
read-only tokens, tokens limited to a subgraph, trusted documents (an allow-list managed
by administrators, run by hash in Apollo's persisted-query shape) and per-token rate limits
(429 with Retry-After). Administration is tenant-scoped and audited."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
from asgiref.sync import async_to_sync

from subgraphs.audit.models import AuditRecord
from subgraphs.core.principal import Principal
from subgraphs.people import actions
from subgraphs.people.models import AccessToken
from subgraphs.people.scopes import request_scopes

pytestmark = pytest.mark.django_db

ME = "{ me { name } }"
CREATE = """mutation($name: String!, $scopes: [String!]) {
  createAccessToken(name: $name, scopes: $scopes) {
    token accessToken { id scopes } errors { code field }
  }
}"""
ADD = """mutation($id: ID!, $name: String!, $document: String!) {
  addTrustedDocument(tokenId: $id, name: $name, document: $document) {
    accessToken { trustedDocuments { sha256 name } } errors { code }
  }
}"""
REMOVE = """mutation($id: ID!, $sha: String!) {
  removeTrustedDocument(tokenId: $id, sha256: $sha) { errors { code } }
}"""
RATE = """mutation($id: ID!, $n: Int) {
  setAccessTokenRateLimit(id: $id, perMinute: $n) {
    accessToken { rateLimitPerMinute } errors { code field }
  }
}"""
TENANT_TOKENS = "{ tenantAccessTokens { id name scopes } }"


def gateway_post(token: str, body: dict[str, Any]) -> httpx.Response:
    from yui.federation import embedded_app

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=embedded_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
            return await client.post(
                "/graphql", json=body, headers={"Authorization": f"Bearer {token}"}
            )

    return async_to_sync(post)()


def gql(token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = gateway_post(token, {"query": query, "variables": variables or {}})
    # graphql-response+json: a refused request (FORBIDDEN, not in the list) is a 400.
    assert response.status_code in (200, 400), response.content
    return response.json()  # type: ignore[no-any-return]


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def token_for(municipality: Any, who: str, scopes: list[str]) -> tuple[str, str]:
    person = municipality.people.get(who, municipality.admin)
    outcome = actions.do_create_access_token(person, f"dashboard {who}", None, scopes)
    assert outcome.ok, outcome.errors
    return outcome.extra["token"], str(outcome.obj.id)


def admin_token(municipality: Any) -> str:
    return municipality.api(municipality.admin).token  # type: ignore[no-any-return]


def test_tokens_are_made_with_scopes_and_unknown_scopes_are_refused(okawa):
    full = okawa.api("kakari").token
    made = gql(full, CREATE, {"name": "board", "scopes": ["read:calendar", "read"]})
    assert made["data"]["createAccessToken"]["accessToken"]["scopes"] == ["read", "read:calendar"]
    default = gql(full, CREATE, {"name": "app"})["data"]["createAccessToken"]
    assert default["accessToken"]["scopes"] == ["read", "write"]
    for bad in (["admin"], [], ["read:"], ["READ"]):
        refused = gql(full, CREATE, {"name": "x", "scopes": bad})["data"]["createAccessToken"]
        assert refused["errors"] == [{"code": "INVALID_SCOPE", "field": "scopes"}], bad
        assert refused["token"] is None


def test_a_read_only_token_reads_but_never_runs_a_mutation(okawa):
    token, _ = token_for(okawa, "kakari", ["read"])
    assert gql(token, ME)["data"] == {"me": {"name": "山﨑 花子"}}
    before = AccessToken.objects.count()
    refused = gql(token, CREATE, {"name": "escalate"})
    assert codes(refused) == ["FORBIDDEN"]
    assert "data" not in refused
    assert AccessToken.objects.count() == before


def test_a_limited_token_works_only_at_the_gateway(okawa):
    from tests.conftest import GraphQLClient

    token, _ = token_for(okawa, "kakari", ["read"])
    response = GraphQLClient(token).post(ME)
    assert response.status_code == 401
    assert "/graphql" in response.content.decode()


def test_a_subgraph_read_scope_reaches_only_that_subgraph(okawa):
    token, _ = token_for(okawa, "kakari", ["read:people"])
    assert gql(token, ME)["data"] == {"me": {"name": "山﨑 花子"}}
    refused = gql(token, "{ me { name presence { status } } }")
    assert codes(refused) == ["FORBIDDEN"]
    assert "presence" in refused["errors"][0]["message"]
    both, _ = token_for(okawa, "kakari", ["read:people", "read:presence"])
    assert "errors" not in gql(both, "{ me { name presence { status } } }")


def test_trusted_documents_by_hash_in_full_and_nothing_else(okawa):
    token, token_id = token_for(okawa, "kakari", ["read"])
    admin = admin_token(okawa)
    added = gql(admin, ADD, {"id": token_id, "name": "my name", "document": ME})
    sha = hashlib.sha256(ME.encode()).hexdigest()
    assert added["data"]["addTrustedDocument"]["accessToken"]["trustedDocuments"] == [
        {"sha256": sha, "name": "my name"}
    ]
    # Apollo's persisted-query request shape, no query text.
    by_hash = gateway_post(
        token, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}
    )
    assert by_hash.json() == {"data": {"me": {"name": "山﨑 花子"}}}
    # GraphQL over HTTP's persisted documents: a document id in the body.
    by_id = gateway_post(token, {"documentId": f"sha256:{sha}"})
    assert by_id.json() == {"data": {"me": {"name": "山﨑 花子"}}}
    assert gql(token, ME)["data"] == {"me": {"name": "山﨑 花子"}}
    other = gql(token, "{ me { name loginId } }")
    assert codes(other) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    unknown = gateway_post(
        token, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}
    )
    assert codes(unknown.json()) == ["PERSISTED_QUERY_NOT_IN_LIST"]
    assert gql(admin, REMOVE, {"id": token_id, "sha": sha})["data"] == {
        "removeTrustedDocument": {"errors": []}
    }
    assert gql(token, "{ me { loginId } }")["data"] == {"me": {"loginId": "0002"}}
    logged = set(AuditRecord.objects.filter(target_id=token_id).values_list("action", flat=True))
    assert {"token.created", "token.document_added", "token.document_removed"} <= logged


def test_a_trusted_document_must_be_graphql(okawa):
    _, token_id = token_for(okawa, "kakari", ["read"])
    bad = gql(admin_token(okawa), ADD, {"id": token_id, "name": "x", "document": "{ me "})
    assert bad["data"]["addTrustedDocument"]["errors"] == [{"code": "INVALID"}]


def test_rate_limit_answers_429_with_retry_after(okawa):
    token, token_id = token_for(okawa, "kakari", ["read"])
    admin = admin_token(okawa)
    limited = gql(admin, RATE, {"id": token_id, "n": 3})["data"]["setAccessTokenRateLimit"]
    assert limited == {"accessToken": {"rateLimitPerMinute": 3}, "errors": []}
    statuses = [gateway_post(token, {"query": ME}).status_code for _ in range(3)]
    refused = gateway_post(token, {"query": ME})
    if statuses != [200, 200, 200]:
        # The minute turned between requests: a fresh window, so one more try is in it.
        statuses = [gateway_post(token, {"query": ME}).status_code for _ in range(3)]
        refused = gateway_post(token, {"query": ME})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    # Other tokens are counted on their own.
    assert gateway_post(admin, {"query": ME}).status_code == 200
    invalid = gql(admin, RATE, {"id": token_id, "n": 0})["data"]["setAccessTokenRateLimit"]
    assert invalid["errors"] == [{"code": "INVALID", "field": "perMinute"}]
    assert "token.rate_limited" in set(
        AuditRecord.objects.filter(target_id=token_id).values_list("action", flat=True)
    )


def test_administration_is_for_administrators_of_the_same_municipality(okawa, kanda):
    _, token_id = token_for(okawa, "kakari", ["read"])
    staff = okawa.api("shuji").token
    assert codes(gql(staff, ADD, {"id": token_id, "name": "x", "document": ME})) == ["FORBIDDEN"]
    assert codes(gql(staff, TENANT_TOKENS)) == ["FORBIDDEN"]
    other_admin = admin_token(kanda)
    elsewhere = gql(other_admin, RATE, {"id": token_id, "n": 5})["data"]
    assert elsewhere["setAccessTokenRateLimit"]["errors"] == [{"code": "NOT_FOUND", "field": "id"}]
    assert token_id not in {
        t["id"] for t in gql(other_admin, TENANT_TOKENS)["data"]["tenantAccessTokens"]
    }
    assert token_id in {
        t["id"] for t in gql(admin_token(okawa), TENANT_TOKENS)["data"]["tenantAccessTokens"]
    }


def test_request_scopes_for_requires_scopes():
    import uuid

    tenant, person = uuid.uuid4(), uuid.uuid4()
    session = Principal(tenant, person, frozenset({"tenant_admin"}), via="session")
    assert request_scopes(session) == {"read", "write", "role:tenant_admin"}
    token = Principal(tenant, person, frozenset({"staff"}), via="token", scopes=frozenset({"read"}))
    assert request_scopes(token) == {"read", "role:staff"}
    assert request_scopes(Principal(None, None)) == frozenset()


def test_the_edge_gives_the_gateway_a_tokens_scopes_roles_and_policy(okawa):
    from gateway.server import IncomingRequest
    from gateway.trusted import CLIENT_POLICY, ClientPolicy
    from yui import edge

    def context_for(token: str) -> Any:
        header = f"Bearer {token}"
        incoming = IncomingRequest(
            scope={
                "type": "http",
                "method": "POST",
                "path": "/graphql",
                "headers": [(b"authorization", header.encode())],
            },
            method="POST",
            headers={"authorization": header},
        )
        return async_to_sync(edge.authenticate)(incoming)

    limited, _ = token_for(okawa, "kakari", ["read:calendar"])
    context = context_for(limited)
    assert context.extra["scopes"] == {"read:calendar", "role:staff"}
    assert context.extra[CLIENT_POLICY] == ClientPolicy(
        read_only=True, documents=None, subgraphs=frozenset({"calendar"})
    )
    admin = context_for(admin_token(okawa))
    assert admin.extra["scopes"] == {"read", "write", "role:staff", "role:tenant_admin"}
    assert CLIENT_POLICY not in admin.extra
