"""The federation test bed itself: subgraphs, cases and the committed supergraphs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from graphql import build_schema, parse, validate

from .fixtures.build_supergraphs import GRAPHENE_SDL, stale_files
from .fixtures.cases import Case, load_cases, response_mismatches
from .fixtures.suites import SUITES, load_schema, subgraph_sdl, supergraph_sdl

PYTHON_SUBGRAPHS = sorted(
    {m for members in SUITES.values() for m in members if not m.is_graphene}, key=str
)


@pytest.mark.parametrize("subgraph", PYTHON_SUBGRAPHS, ids=lambda m: m.module)
def test_python_subgraph_is_a_federation_2_schema(subgraph):
    sdl = subgraph_sdl(subgraph)
    assert re.search(r'@link\(url: "https://specs\.apollo\.dev/federation/v2\.\d+"', sdl)
    # `_service` answers over the schema every subgraph module exposes.
    assert load_schema(subgraph).execute_sync("{ __typename }").data == {"__typename": "Query"}


def test_graphene_sdl_is_committed_for_composition():
    sdl = GRAPHENE_SDL.read_text(encoding="utf-8")
    assert "federation/v2.5" in sdl
    assert 'type Product  @key(fields: "upc")' in sdl or 'type Product @key(fields: "upc")' in sdl


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_supergraph_names_placeholder_urls(suite):
    urls = re.findall(r'@join__graph\(name: "([^"]+)", url: "([^"]+)"\)', supergraph_sdl(suite))
    assert sorted(urls) == sorted((m.name, m.placeholder_url) for m in SUITES[suite])


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_cases_are_well_formed(suite):
    cases = load_cases(suite)
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    # The first two suites cover the whole field; the later ones each one feature.
    minimum = 15 if suite in {"shop", "abstract"} else 5
    assert minimum <= len(cases) <= 30
    supergraph = build_schema(supergraph_sdl(suite))
    for case in cases:
        assert "data" in case.expected or case.expected.get("errors"), case.name
        if "data" in case.expected:
            # Valid against the supergraph (the API schema, which hides @inaccessible
            # elements, is checked by Apollo Gateway in test_oracle.py).
            errors = validate(supergraph, parse(case.query))
            assert not errors, f"{case.name}: {errors}"
        # A case matches its own expectation.
        assert response_mismatches(case.expected, case) == [], case.name


def test_response_comparison_is_strict_on_data_and_lenient_on_errors():
    case = Case(
        name="example",
        query="{ a }",
        variables=None,
        expected={
            "data": {"a": None, "list": [2, 1]},
            "errors": [{"message": 'Bad "a"', "path": ["a"], "extensions": {"code": "X"}}],
        },
        unordered=("list",),
    )
    actual: dict[str, Any] = {
        "data": {"a": None, "list": [1, 2]},
        "errors": [
            {
                "message": "Bad 'a'",
                "path": ["a"],
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "X", "serviceName": "s"},
            }
        ],
    }
    assert response_mismatches(actual, case) == []
    assert response_mismatches({**actual, "data": {"a": 1, "list": [1, 2]}}, case)
    assert response_mismatches({**actual, "errors": []}, case)
    wrong_code = [{**actual["errors"][0], "extensions": {"code": "Y"}}]
    assert response_mismatches({**actual, "errors": wrong_code}, case)
    wrong_path = [{**actual["errors"][0], "path": ["b"]}]
    assert response_mismatches({**actual, "errors": wrong_path}, case)
    assert response_mismatches({"errors": actual["errors"]}, case)


@pytest.mark.usefixtures("apollo_oracle")
def test_committed_supergraphs_are_up_to_date():
    stale = stale_files(sorted(SUITES))
    assert not stale, (
        "rebuild with `.venv/bin/python -m tests.gateway.fixtures.build_supergraphs`: "
        + ", ".join(stale)
    )
