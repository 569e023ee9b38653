"""Limits that keep one hostile document from stalling the gateway: fragments that expand
exponentially, repeated fields, page sizes hidden in variables or connections, and a plan
cache that big documents cannot inflate. Every refusal happens before any subgraph call."""

from __future__ import annotations

import time

import pytest
from graphql import get_introspection_query, parse

import gateway.engine as engine_module
from gateway import limits as limits_module
from gateway.engine import Gateway, Limits
from tests.gateway.test_http import Switchable, make_gateway


def doubling_fragments(levels: int) -> str:
    """About 1 KB: each fragment spreads the next twice, so the last is reached 2**levels
    times once expanded."""
    fragments = "\n".join(
        f"fragment F{i} on Product {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    return f"{{ topProducts {{ ...F0 }} }}\n{fragments}\nfragment F{levels} on Product {{ upc }}"


def code_of(payload: dict) -> str:
    return payload["errors"][0]["extensions"]["code"]  # type: ignore[no-any-return]


@pytest.fixture
def counted(monkeypatch):
    """The gateway, counting what it validates and plans."""
    gateway, _ = make_gateway()
    calls = {"validate": 0, "plan": 0}
    real_validate, real_plan = limits_module.validate, gateway.planner.plan

    def validate(*args, **kwargs):
        calls["validate"] += 1
        return real_validate(*args, **kwargs)

    def plan(*args, **kwargs):
        calls["plan"] += 1
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(limits_module, "validate", validate)
    monkeypatch.setattr(gateway.planner, "plan", plan)
    Switchable.calls = 0
    return gateway, calls


async def test_fragments_that_double_are_refused_before_validation_and_planning(counted):
    gateway, calls = counted
    query = doubling_fragments(16)
    assert len(query) < 1200
    started = time.perf_counter()
    result = await gateway.execute(query)
    elapsed = time.perf_counter() - started
    assert result.request_error
    assert code_of(result.payload) == "MAX_SELECTIONS_EXCEEDED"
    assert "once its fragments are expanded" in result.payload["errors"][0]["message"]
    assert calls == {"validate": 0, "plan": 0}
    assert Switchable.calls == 0
    # A guard against hangs only (expanding took seconds); the bound is the count below.
    assert elapsed < 1.0


def test_the_limit_check_visits_each_fragment_once():
    gateway, _ = make_gateway()
    for levels in (8, 16, 40):
        document = parse(doubling_fragments(levels))
        operation = document.definitions[0]
        measured = limits_module.measure(gateway.schema, document, operation, Limits())
        # Two spreads per fragment, the last fragment's field, the operation's two nodes:
        # linear in the document, while the expansion has 2**levels fields.
        assert measured.visited == 2 * levels + 3
        assert measured.selections > 2**levels


async def test_a_chain_of_many_fragments_and_a_cycle_do_not_crash(counted):
    gateway, _ = counted
    chain = "\n".join(f"fragment C{i} on Product {{ ...C{i + 1} }}" for i in range(1100))
    long_chain = f"{{ topProducts {{ ...C0 }} }}\n{chain}\nfragment C1100 on Product {{ upc }}"
    result = await gateway.execute(long_chain)
    # Valid and small once expanded: graphql-core refuses nesting this deep, with a code.
    assert code_of(result.payload) == "GRAPHQL_VALIDATION_FAILED"
    cycle = (
        "{ topProducts { ...A } } fragment A on Product { upc ...B } "
        "fragment B on Product { name ...A }"
    )
    result = await gateway.execute(cycle)
    assert code_of(result.payload) == "GRAPHQL_VALIDATION_FAILED"
    assert "Cannot spread fragment" in result.payload["errors"][0]["message"]


async def test_repeated_fields_are_refused_by_token_count_before_validation(counted):
    gateway, calls = counted
    query = "{ me { " + "id " * 100_000 + "} }"
    assert len(query) > 300_000
    result = await gateway.execute(query)
    assert result.request_error
    assert code_of(result.payload) == "MAX_TOKENS_EXCEEDED"
    assert "10000 tokens" in result.payload["errors"][0]["message"]
    assert calls == {"validate": 0, "plan": 0}
    # Comments count too: a document padded with a comment per line is refused alike.
    padded = "{ me { id } }" + "\n#" * 20_000
    assert code_of((await gateway.execute(padded)).payload) == "MAX_TOKENS_EXCEEDED"


async def test_legitimate_big_documents_pass():
    gateway, _ = make_gateway()
    # GraphiQL's introspection query (fragments, ~13 levels deep, answered locally).
    introspection = await gateway.execute(get_introspection_query(descriptions=True))
    assert "errors" not in introspection.payload
    assert introspection.payload["data"]["__schema"]["queryType"]["name"] == "Query"
    # A page of many distinct fields, well under the token limit.
    fields = " ".join(["upc name price weight inStock"] * 40)
    wide = await gateway.execute(f"{{ topProducts(first: 2) {{ {fields} }} }}")
    assert "errors" not in wide.payload


async def test_the_selection_limit_counts_expanded_fields():
    gateway, _ = make_gateway(Limits(max_selections=50))
    spread_often = "{ topProducts { " + "...P " * 30 + "} } fragment P on Product { upc name }"
    result = await gateway.execute(spread_often)
    assert code_of(result.payload) == "MAX_SELECTIONS_EXCEEDED"
    ok = await gateway.execute("{ topProducts { ...P ...P } } fragment P on Product { upc name }")
    assert "errors" not in ok.payload


async def test_cost_reads_page_sizes_from_variables():
    gateway, _ = make_gateway(Limits(max_cost=50))
    query = "query($n: Int!) { topProducts(first: $n) { reviews { author { name } } } }"
    refused = await gateway.execute(query, {"n": 1000})
    assert refused.request_error
    assert code_of(refused.payload) == "MAX_COST_EXCEEDED"
    allowed = await gateway.execute(query, {"n": 1})
    assert "errors" not in allowed.payload, allowed.payload
    # A variable's default counts as given; an omitted argument costs its schema default.
    defaulted = "query($n: Int! = 1000) { topProducts(first: $n) { reviews { body } } }"
    assert code_of((await gateway.execute(defaulted)).payload) == "MAX_COST_EXCEEDED"


async def test_limits_apply_to_persisted_queries_and_subscriptions():
    gateway, _ = make_gateway(Limits(max_depth=2))
    deep = "{ topProducts { reviews { author { name } } } }"
    import hashlib

    ext = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(deep.encode()).hexdigest()}
    }
    registered = await gateway.execute(deep, extensions=ext)
    assert code_of(registered.payload) == "MAX_DEPTH_EXCEEDED"
    by_hash = await gateway.execute(None, extensions=ext)
    assert code_of(by_hash.payload) == "MAX_DEPTH_EXCEEDED"
    events = [e async for e in gateway.subscribe("subscription { " + "x " * 20_000 + "}")]
    assert code_of(events[0]) == "MAX_TOKENS_EXCEEDED"


def test_graphql_core_validation_runs_with_a_smaller_budget():
    gateway, _ = make_gateway()
    # Many same-named fields make graphql-core compare every pair (its default budget
    # lets this cost ~0.6 s); within our budget it is refused after a tenth of the work.
    same_named = parse(
        "{ " + " ".join("me { id name organization { name } }" for _ in range(200)) + " }"
    )
    from graphql import validate

    assert validate(gateway.schema, same_named) == []
    errors = limits_module.validate_document(gateway.schema, same_named, Limits())
    assert [e.message for e in errors] == ["Validation aborted."]


async def test_the_plan_cache_is_bounded_by_size_as_well_as_entries():
    shop, transports = make_gateway()
    gateway = Gateway(shop.supergraph, transports, plan_cache_size=1000, plan_cache_bytes=1_000_000)
    for n in range(3):
        # Distinct valid documents of 400 KB each (a long argument), each parsed and planned.
        upc = str(n) * 400_000
        result = await gateway.execute(f'{{ product(upc: "{upc}") {{ upc name }} }}')
        assert result.payload == {"data": {"product": None}}
        assert gateway.plans.bytes <= 1_000_000
    assert len(gateway.plans.items) <= 2
    # A document bigger than the whole budget is answered, not kept.
    huge = await gateway.execute('{ product(upc: "' + "x" * 1_200_000 + '") { upc } }')
    assert huge.payload == {"data": {"product": None}}
    assert gateway.plans.bytes <= 1_000_000
    small = await gateway.execute("{ topProducts(first: 1) { upc } }")
    assert "errors" not in small.payload
    assert gateway.plans.get(("{ topProducts(first: 1) { upc } }", None)) is not None


def test_engine_reexports_limits():
    assert engine_module.Limits is limits_module.Limits


async def test_introspection_that_nests_lists_of_types_stays_refused():
    # Introspection is outside the depth and cost limits: graphql-core's rule must stay
    # among the rules validate_document runs.
    gateway, _ = make_gateway()
    nested = (
        "{ __schema { types { fields { type { fields { type { fields { type { fields "
        "{ type { fields { name } } } } } } } } } } } }"
    )
    result = await gateway.execute(nested)
    assert result.request_error
    assert code_of(result.payload) == "GRAPHQL_VALIDATION_FAILED"
    assert "introspection depth" in result.payload["errors"][0]["message"]


async def test_the_persisted_query_cache_is_bounded_by_size():
    shop, transports = make_gateway()
    gateway = Gateway(shop.supergraph, transports, persisted_query_cache_bytes=1_000_000)
    import hashlib

    for n in range(3):
        query = f'{{ product(upc: "{str(n) * 400_000}") {{ upc }} }}'
        digest = hashlib.sha256(query.encode()).hexdigest()
        ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        await gateway.execute(query, extensions=ext)
        assert gateway.persisted.bytes <= 1_000_000
    assert len(gateway.persisted.items) == 2
