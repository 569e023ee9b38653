"""@authenticated, @requiresScopes and @policy: composed into the supergraph and enforced
by the gateway as Apollo Router does (unauthorised fields never reach a subgraph, come
back null with an UNAUTHORIZED_FIELD_OR_TYPE error at their path, the rest is answered).

Test bed: tests/gateway/fixtures/auth_directives (accounts owns User with guarded fields,
billing adds invoices of a type that needs the scope `billing`)."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import print_schema

from gateway.authorization import Authorizer, Grants
from gateway.composition import CompositionFailed, SubgraphSource, compose
from gateway.engine import Gateway
from gateway.executor import RequestContext
from gateway.supergraph import Supergraph
from gateway.transports import InProcessTransport
from tests.gateway.fixtures.auth_directives import accounts, billing
from tests.gateway.fixtures.local import Recording, compose_local, sources

SUBGRAPHS = {"accounts": accounts.schema, "billing": billing.schema}


def _supergraph() -> str:
    return compose_local(SUBGRAPHS)


def _gateway(policies: Any = None) -> tuple[Gateway, list[tuple[str, str]]]:
    sent: list[tuple[str, str]] = []
    supergraph = Supergraph(_supergraph())
    authorizer = Authorizer(supergraph, policies=policies) if policies else None
    transports = {n: Recording(s, sent) for n, s in SUBGRAPHS.items()}
    return Gateway(supergraph, transports, authorizer=authorizer), sent


ANONYMOUS = RequestContext()


def _as(*scopes: str) -> RequestContext:
    return RequestContext(principal=object(), extra={"scopes": list(scopes)})


def _codes(payload: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    return [(e["extensions"]["code"], e["path"]) for e in payload.get("errors", [])]


def test_composition_carries_the_rules_and_the_api_schema_hides_them():
    sdl = _supergraph()
    assert '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)' in sdl
    assert '@requiresScopes(scopes: [["hr:read"], ["admin"]])' in sdl
    assert "email: String @join__field(graph: ACCOUNTS) @authenticated" in sdl
    assert '@policy(policies: [["self"]])' in sdl
    api = print_schema(Supergraph(sdl).api_schema)
    for hidden in ("requiresScopes", "authenticated", "policy", "__Scope"):
        assert hidden not in api
    assert "salary: Int" in api


def test_our_supergraph_is_apollos(apollo_oracle):
    from tests.gateway.fixtures.oracle import compose as apollo_compose

    assert _supergraph() == apollo_compose(sources(SUBGRAPHS))


def test_composition_joins_the_rules_of_one_field_from_two_subgraphs():
    head = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.6",'
        ' import: ["@key", "@shareable", "@requiresScopes", "@policy"])\n'
    )
    a = head + 'type Query { a: T } type T @key(fields: "id") { id: ID! x: Int @shareable'
    a += ' @requiresScopes(scopes: [["r1"], ["r2"]]) }'
    b = head + 'type Query { b: T } type T @key(fields: "id") { id: ID! x: Int @shareable'
    b += ' @requiresScopes(scopes: [["s"]]) @policy(policies: [["p"]]) }'
    sdl = compose([SubgraphSource("a", "http://a", a), SubgraphSource("b", "http://b", b)])
    # Both subgraphs' requirements hold: (r1 or r2) and s.
    assert '@requiresScopes(scopes: [["r1", "s"], ["r2", "s"]])' in sdl
    assert '@policy(policies: [["p"]])' in sdl


def test_a_malformed_rule_is_a_composition_error():
    sdl = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.5",'
        ' import: ["@requiresScopes"])\n'
        'type Query { a: Int @requiresScopes(scopes: ["flat"]) }'
    )
    with pytest.raises(CompositionFailed) as failed:
        compose([SubgraphSource("a", "http://a", sdl)])
    assert "list of lists of strings" in str(failed.value)


async def test_anonymous_caller_gets_public_fields_and_errors_for_the_rest():
    gateway, sent = _gateway()
    result = await gateway.execute("{ users { id name email } }", context=ANONYMOUS)
    assert result.payload["data"] == {
        "users": [
            {"id": "u1", "name": "Ada", "email": None},
            {"id": "u2", "name": "Alan", "email": None},
        ]
    }
    assert _codes(result.payload) == [
        ("UNAUTHORIZED_FIELD_OR_TYPE", ["users", 0, "email"]),
        ("UNAUTHORIZED_FIELD_OR_TYPE", ["users", 1, "email"]),
    ]
    assert all("email" not in document for _, document in sent)


async def test_authenticated_caller_sees_authenticated_fields_but_not_scoped_ones():
    gateway, sent = _gateway()
    result = await gateway.execute("{ me { email salary } }", context=_as())
    assert result.payload["data"] == {"me": {"email": "ada@example.org", "salary": None}}
    assert _codes(result.payload) == [("UNAUTHORIZED_FIELD_OR_TYPE", ["me", "salary"])]
    assert all("salary" not in document for _, document in sent)


@pytest.mark.parametrize("scope", ["hr:read", "admin"])
async def test_any_alternative_of_the_scopes_opens_the_field(scope: str):
    gateway, _ = _gateway()
    result = await gateway.execute("{ me { salary } }", context=_as(scope))
    assert result.payload == {"data": {"me": {"salary": 100}}}


async def test_scopes_without_authentication_open_nothing():
    gateway, _ = _gateway()
    context = RequestContext(extra={"scopes": ["admin"]})  # no principal
    result = await gateway.execute("{ me { salary } }", context=context)
    assert result.payload["data"] == {"me": {"salary": None}}


async def test_a_denied_non_null_field_nulls_its_parent_with_one_error():
    gateway, _ = _gateway()
    result = await gateway.execute("{ me { name notes } invoiceTotal }", context=_as("admin"))
    # The default policy hook denies every policy; notes is String!: me becomes null.
    assert result.payload["data"] == {"me": None, "invoiceTotal": 42}
    assert _codes(result.payload) == [("UNAUTHORIZED_FIELD_OR_TYPE", ["me", "notes"])]


async def test_the_policy_hook_decides_policies():
    asked: list[frozenset[str]] = []

    async def policies(context: RequestContext, names: frozenset[str]) -> list[str]:
        asked.append(names)
        return ["self"] if context.extra.get("person") == "u1" else []

    gateway, _ = _gateway(policies)
    mine = await gateway.execute(
        "{ me { notes } }", context=RequestContext(principal=object(), extra={"person": "u1"})
    )
    assert mine.payload == {"data": {"me": {"notes": "likes tea"}}}
    other = await gateway.execute(
        "{ me { notes } }", context=RequestContext(principal=object(), extra={"person": "u2"})
    )
    assert other.payload["data"] == {"me": None}
    assert asked == [frozenset({"self"}), frozenset({"self"})]


async def test_a_rule_on_a_type_guards_fields_returning_it_and_skips_the_fetch():
    gateway, sent = _gateway()
    query = "{ me { name invoiceCount invoices { amount } } }"
    denied = await gateway.execute(query, context=_as())
    assert denied.payload["data"] == {"me": {"name": "Ada", "invoiceCount": 2, "invoices": None}}
    assert _codes(denied.payload) == [("UNAUTHORIZED_FIELD_OR_TYPE", ["me", "invoices"])]
    assert all("invoices" not in document for _, document in sent)
    allowed = await gateway.execute(query, context=_as("billing"))
    assert allowed.payload == {
        "data": {
            "me": {"name": "Ada", "invoiceCount": 2, "invoices": [{"amount": 30}, {"amount": 12}]}
        }
    }


async def test_a_selection_left_empty_keeps_its_object():
    gateway, sent = _gateway()
    result = await gateway.execute("{ me { email } }", context=ANONYMOUS)
    assert result.payload["data"] == {"me": {"email": None}}
    assert [g for g, _ in sent] == ["accounts"]


async def test_fragments_aliases_and_variables_of_removed_fields():
    gateway, _ = _gateway()
    query = """
      query Q($withSalary: Boolean!) {
        me { ...Pay  pay: salary  name }
      }
      fragment Pay on User { salary @include(if: $withSalary) }
    """
    result = await gateway.execute(
        query, variables={"withSalary": True}, operation_name="Q", context=_as()
    )
    assert result.payload["data"] == {"me": {"salary": None, "pay": None, "name": "Ada"}}
    assert sorted(p for _, p in _codes(result.payload)) == [["me", "pay"], ["me", "salary"]]


async def test_grants_hook_maps_the_principal():
    supergraph = Supergraph(_supergraph())

    def grants(context: RequestContext) -> Grants:
        return Grants(True, frozenset({"hr:read"})) if context.principal == "hr" else Grants()

    transports = {n: InProcessTransport(s) for n, s in SUBGRAPHS.items()}
    gateway = Gateway(supergraph, transports, authorizer=Authorizer(supergraph, grants=grants))
    hr = await gateway.execute("{ me { salary } }", context=RequestContext(principal="hr"))
    assert hr.payload == {"data": {"me": {"salary": 100}}}
    other = await gateway.execute("{ me { salary } }", context=RequestContext(principal="x"))
    assert _codes(other.payload) == [("UNAUTHORIZED_FIELD_OR_TYPE", ["me", "salary"])]


async def test_subscription_events_are_filtered_too():
    gateway, sent = _gateway()
    query = "subscription { userChanged { name email invoiceCount } }"
    events = [e async for e in gateway.subscribe(query, context=ANONYMOUS)]
    assert [e["data"] for e in events] == [
        {"userChanged": {"name": "Ada", "email": None, "invoiceCount": 2}},
        {"userChanged": {"name": "Alan", "email": None, "invoiceCount": 0}},
    ]
    assert [_codes(e) for e in events] == [
        [("UNAUTHORIZED_FIELD_OR_TYPE", ["userChanged", "email"])]
    ] * 2
    assert all("email" not in document for _, document in sent)
    signed_in = [e async for e in gateway.subscribe(query, context=_as())]
    assert signed_in[0] == {
        "data": {"userChanged": {"name": "Ada", "email": "ada@example.org", "invoiceCount": 2}}
    }
