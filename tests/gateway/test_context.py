"""Contextual arguments (@context / @fromContext, Federation 2.8) through our gateway, beyond
the cases of the test bed suite `context` (tests/gateway/fixtures/context):

- a contextual argument is never part of the API schema;
- what the plan sends: the context's selection on the ancestor, an `_entities` fetch with
  one declared variable per context;
- entities with different context values go in aliased groups of one request, each
  entity once in its group, and an error of one group lands at that group's entities;
- the cases' expected answers agree with the subgraphs asked directly with the argument
  given (Apollo Gateway cannot run this suite, so this is their independent check);
- a context set by an interface reaches the argument of a field below its implementations;
- planning refusals stay GraphQL errors.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

import pytest
import strawberry
from graphql import GraphQLObjectType
from strawberry.federation.schema_directives import Context, FromContext

from gateway.composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.executor import RequestContext, SubgraphUnavailable
from gateway.supergraph import Graph, Supergraph
from gateway.transports import InProcessTransport
from tests.gateway.fixtures.cases import load_cases
from tests.gateway.fixtures.suites import SUITES, load_schema, subgraph_sdl, supergraph_sdl


class Recording:
    """An in-process transport that records each request (and can fail some)."""

    def __init__(self, schema: Any, fail_when: Any = None, tamper: Any = None):
        self.inner = InProcessTransport(schema)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_when = fail_when
        self.tamper = tamper

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        self.calls.append((document, copy.deepcopy(variables)))
        if self.fail_when is not None and self.fail_when(variables):
            raise SubgraphUnavailable("connection refused")
        response = await self.inner.execute(graph, document, variables, context)
        return self.tamper(response, variables) if self.tamper else response


def _gateway(
    supergraph: str | None = None, fail_when: Any = None, tamper: Any = None
) -> tuple[Gateway, dict[str, Recording]]:
    """Our gateway over the suite, in process; ``fail_when`` / ``tamper`` act on ledger."""
    transports = {
        m.name: Recording(load_schema(m))
        if m.name != "ledger"
        else Recording(load_schema(m), fail_when, tamper)
        for m in SUITES["context"]
    }
    gateway = Gateway(supergraph or supergraph_sdl("context"), transports, deduplicate=False)
    return gateway, transports


def _ours() -> str:
    return compose(
        [SubgraphSource(m.name, m.placeholder_url, subgraph_sdl(m)) for m in SUITES["context"]]
    )


@pytest.mark.parametrize("composed_by", ["apollo", "ours"])
def test_contextual_arguments_are_not_in_the_api_schema(composed_by: str) -> None:
    sdl = supergraph_sdl("context") if composed_by == "apollo" else _ours()
    supergraph = Supergraph(sdl)
    transaction = supergraph.api_schema.type_map["Transaction"]
    assert isinstance(transaction, GraphQLObjectType)
    assert set(transaction.fields["amount"].args) == {"decimals"}
    assert set(transaction.fields["memo"].args) == {"upper"}
    # Nor the context spec's directives and types.
    assert "context" not in supergraph.api_sdl.replace("Context", "")
    assert not any(name.startswith("context__") for name in supergraph.api_schema.type_map)
    # ...while the supergraph still says where the values come from.
    entry = supergraph.types["Transaction"].fields["amount"].joins[0]
    assert [(a.context, a.name, a.type) for a in entry.context_arguments] == [
        ("ledger__payer", "currency", "String")
    ]
    assert supergraph.context_setters["accounts__owner"] == {"User", "Team"}


async def test_a_client_cannot_pass_a_contextual_argument() -> None:
    gateway, _ = _gateway()
    result = await gateway.execute('{ users { transactions { amount(currency: "USD") } } }')
    assert "data" not in result.payload or result.payload["data"] is None
    assert result.payload["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_the_plan_fetches_the_context_on_the_ancestor_and_passes_a_variable() -> None:
    gateway, transports = _gateway()
    result = await gateway.execute('{ user(id: "u2") { transactions { amount } } }')
    assert result.payload == {
        "data": {"user": {"transactions": [{"amount": "-2.70 EUR"}, {"amount": "0.89 EUR"}]}}
    }
    (root, _), *_ = transports["accounts"].calls
    # The user's currency comes with the user (internally aliased), with its __typename.
    assert "_context_currency: currency" in root
    assert "__typename" in root
    (document, variables), *more = transports["ledger"].calls
    assert not more
    assert "_entities(representations: $representations)" in document
    assert "$contextualArgument_1_0: String" in document
    assert "amount(currency: $contextualArgument_1_0)" in document
    assert variables["contextualArgument_1_0"] == "EUR"
    # The internal fields never show.
    again = await gateway.execute('{ user(id: "u2") { currency transactions { amount } } }')
    assert again.payload["data"]["user"]["currency"] == "EUR"
    assert "_context_currency" not in str(again.payload)


async def test_one_request_an_aliased_group_per_context_value() -> None:
    gateway, transports = _gateway()
    result = await gateway.execute("{ users { id transactions { id amount } } }")
    assert "errors" not in result.payload
    ((document, variables),) = transports["ledger"].calls
    assert "$contextualArgument_1_0: " not in document  # only the grouped variables
    groups = {}
    for i in range(3):
        assert f"_{i}: _entities(representations: $r{i})" in document
        assert f"amount(currency: $contextualArgument_1_0_{i})" in document
        assert f"$contextualArgument_1_0_{i}: String" in document
        groups[variables[f"contextualArgument_1_0_{i}"]] = sorted(
            r["id"] for r in variables[f"r{i}"]
        )
    # u1 (JPY) has t1 t2, u2 (EUR) t2 t4, u3 (no currency) t5: t2 is asked once per value.
    assert groups == {"JPY": ["t1", "t2"], "EUR": ["t2", "t4"], None: ["t5"]}
    # The same query again: the same plan (cached) and document, the same answer.
    second = await gateway.execute("{ users { id transactions { id amount } } }")
    assert second.payload == result.payload
    assert transports["ledger"].calls[1][0] == document


async def test_a_failed_group_leaves_the_others_answered() -> None:
    gateway, _ = _gateway(fail_when=lambda v: "EUR" in v.values())
    result = await gateway.execute(
        '{ u1: user(id: "u1") { transactions { id amount } } '
        'u2: user(id: "u2") { transactions { id amount } } }'
    )
    # amount and the list's items are non-null: u2's failure nulls u2 (nullable), not u1.
    assert result.payload["data"] == {
        "u1": {
            "transactions": [
                {"id": "t1", "amount": "1875.00 JPY"},
                {"id": "t2", "amount": "-450.00 JPY"},
            ]
        },
        "u2": None,
    }
    paths = [e.get("path") for e in result.payload["errors"]]
    assert ["u2", "transactions", 0, "amount"] in paths
    assert ["u2", "transactions", 1, "amount"] in paths
    assert not any(path and path[0] == "u1" for path in paths)
    assert {e["extensions"]["code"] for e in result.payload["errors"]} == {"SUBREQUEST_HTTP_ERROR"}

    # One request, three groups, one answered with an error: the error goes to that
    # group's entity, none to the others.
    def break_eur(response: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
        alias = next(f"_{i}" for i in range(3) if variables[f"contextualArgument_1_0_{i}"] == "EUR")
        response["data"][alias] = None
        response["errors"] = [{"message": "no rate for EUR", "path": [alias, 1, "amount"]}]
        return response

    gateway, _ = _gateway(tamper=break_eur)
    result = await gateway.execute("{ teams { id } users { transactions { amount } } }")
    assert result.payload["errors"][0]["message"] == "no rate for EUR"
    assert result.payload["errors"][0]["path"] == ["users", 1, "transactions", 1, "amount"]
    assert not any(e["path"][:2] in (["users", 0], ["users", 2]) for e in result.payload["errors"])


async def test_a_reserved_variable_name_is_refused_as_a_graphql_error() -> None:
    gateway, _ = _gateway()
    result = await gateway.execute(
        "query($contextualArgument_1_0: Int!) { users { transactions "
        "{ amount(decimals: $contextualArgument_1_0) } } }",
        {"contextualArgument_1_0": 1},
    )
    (error,) = result.payload["errors"]
    assert error["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    assert "reserved" in error["message"]


async def test_the_same_answers_over_our_composition() -> None:
    gateway, _ = _gateway(_ours())
    result = await gateway.execute("{ teams { transactions { amount memo(upper: true) } } }")
    assert result.payload == {
        "data": {
            "teams": [
                {
                    "transactions": [
                        {"amount": "12.50 USD", "memo": "FEE BY ROADS"},
                        {"amount": "0.99 USD", "memo": "FEE BY ROADS"},
                    ]
                }
            ]
        }
    }


# --- the expected answers, checked against the subgraphs themselves --------------------


def _direct(subgraph: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    member = next(m for m in SUITES["context"] if m.name == subgraph)
    result = load_schema(member).execute_sync(query, variable_values=variables)
    assert not result.errors, result.errors
    return result.data


def _amount(transaction: str, currency: str | None, decimals: int = 2) -> str:
    data = _direct(
        "ledger",
        "query($r: [_Any!]!, $c: String, $d: Int!) { _entities(representations: $r) "
        "{ ... on Transaction { amount(currency: $c, decimals: $d) } } }",
        {"r": [{"__typename": "Transaction", "id": transaction}], "c": currency, "d": decimals},
    )
    return str(data["_entities"][0]["amount"])


def _memo(transaction: str, by: str | None) -> str:
    data = _direct(
        "accounts",
        "query($r: [_Any!]!, $b: String) { _entities(representations: $r) "
        "{ ... on Transaction { memo(by: $b) } } }",
        {"r": [{"__typename": "Transaction", "id": transaction}], "b": by},
    )
    return str(data["_entities"][0]["memo"])


def test_expected_answers_agree_with_the_subgraphs_asked_directly() -> None:
    cases = {case.name: case for case in load_cases("context")}
    owners = _direct(
        "accounts",
        "{ users { id name currency transactions { id } wallet { transactions { id } } } "
        "teams { name budgetCurrency transactions { id } } }",
    )
    expected_users = [
        {
            "id": user["id"],
            "transactions": [
                {"id": t["id"], "amount": _amount(t["id"], user["currency"])}
                for t in user["transactions"]
            ],
        }
        for user in owners["users"]
    ]
    assert cases["parents_with_different_context_values"].expected == {
        "data": {"users": expected_users}
    }
    expected_wallets = [
        {
            "id": user["id"],
            "wallet": {
                "transactions": [
                    {
                        "id": t["id"],
                        "amount": _amount(t["id"], user["currency"]),
                        "memo": _memo(t["id"], user["name"]),
                    }
                    for t in user["wallet"]["transactions"]
                ]
            },
        }
        for user in owners["users"]
    ]
    assert cases["context_two_levels_up_through_a_type_without_context"].expected == {
        "data": {"users": expected_wallets}
    }
    team = owners["teams"][0]
    assert cases["context_set_by_two_types"].expected["data"]["teams"] == [
        {
            "name": team["name"],
            "transactions": [
                {
                    "id": t["id"],
                    "amount": _amount(t["id"], team["budgetCurrency"]),
                    "memo": _memo(t["id"], team["name"]),
                }
                for t in team["transactions"]
            ],
        }
    ]
    aiko = owners["users"][0]
    twice = cases["same_contextual_field_twice_with_other_arguments"].expected
    assert [(t["whole"], t["fine"], t["memo"]) for t in twice["data"]["user"]["transactions"]] == [
        (_amount(t["id"], "JPY", 0), _amount(t["id"], "JPY", 3), _memo(t["id"], "Aiko"))
        for t in aiko["transactions"]
    ]
    chie = owners["users"][2]
    assert chie["currency"] is None
    assert cases["null_context_value"].expected["data"]["user"]["transactions"] == [
        {"amount": _amount("t5", None), "memo": _memo("t5", "Chie")}
    ]


# --- a context set by an interface -----------------------------------------------------


@strawberry.interface(directives=[Context(name="place")])
class Place:
    id: strawberry.ID
    tz: str


@strawberry.federation.type(keys=["id"])
class Office(Place):
    id: strawberry.ID
    tz: str
    events: list[Event]


@strawberry.federation.type(keys=["id"])
class Site(Place):
    id: strawberry.ID
    tz: str
    events: list[Event]


@strawberry.federation.type(keys=["id"])
class Event:
    id: strawberry.ID

    @strawberry.field
    def starts(
        self,
        tz: Annotated[
            str | None, strawberry.argument(directives=[FromContext(field="$place { tz }")])
        ],
    ) -> str:
        return f"{self.id}@{tz}"

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Event:
        return Event(id=id)


@strawberry.type
class PlacesQuery:
    @strawberry.field
    def places(self) -> list[Place]:
        e1, e2 = Event(id=strawberry.ID("e1")), Event(id=strawberry.ID("e2"))
        return [
            Office(id=strawberry.ID("o1"), tz="Asia/Tokyo", events=[e1, e2]),
            Site(id=strawberry.ID("s1"), tz="UTC", events=[e1]),
        ]

    @strawberry.field
    def offices(self) -> list[Office]:
        """Six offices, six time zones: more groups than the plan keeps documents for."""
        return [
            Office(id=strawberry.ID(f"o{i}"), tz=f"UTC+{i}", events=[Event(id=strawberry.ID("e1"))])
            for i in range(6)
        ]


places = strawberry.federation.Schema(
    query=PlacesQuery, types=[Office, Site], federation_version="2.8"
)


async def test_a_context_set_by_an_interface() -> None:
    sdl = places.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]  # type: ignore[index]
    assert '@context(name: "place")' in sdl
    supergraph = compose([SubgraphSource("places", "http://places.invalid/graphql", sdl)])
    assert Supergraph(supergraph).context_setters["places__place"] == {"Place", "Office", "Site"}
    gateway = Gateway(supergraph, {"places": InProcessTransport(places)})
    result = await gateway.execute(
        "{ places { id ... on Office { events { starts } } ... on Site { events { starts } } } }"
    )
    assert result.payload == {
        "data": {
            "places": [
                {"id": "o1", "events": [{"starts": "e1@Asia/Tokyo"}, {"starts": "e2@Asia/Tokyo"}]},
                {"id": "s1", "events": [{"starts": "e1@UTC"}]},
            ]
        }
    }
    # Six values in one fetch: six aliased groups in one request, twice (built each time).
    recording = Recording(places)
    gateway = Gateway(supergraph, {"places": recording}, deduplicate=False)
    for _ in range(2):
        result = await gateway.execute("{ offices { events { starts } } }")
        assert result.payload == {
            "data": {"offices": [{"events": [{"starts": f"e1@UTC+{i}"}]} for i in range(6)]}
        }
    entity_calls = [d for d, _ in recording.calls if "_entities" in d]
    assert len(entity_calls) == 2
    assert "_5: _entities(representations: $r5)" in entity_calls[0]
