"""The test bed's suites composed by OUR composition (gateway.composition) instead of
Apollo's: the composition accepts them, and our gateway over that supergraph gives every
case's expected response (in-process)."""

from __future__ import annotations

import importlib

import pytest

from gateway.composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.transports import InProcessTransport
from tests.gateway.fixtures.cases import assert_response_matches, load_cases
from tests.gateway.fixtures.suites import SUITES, subgraph_sdl, supergraph_sdl

SUITES_WE_COMPOSE = [
    "shop",
    "abstract",
    "external_keys",
    "requires",
    "return_types",
    "shared_root",
    "composite_keys",
    "nested_shared",
    "context",
]

_GATEWAYS: dict[str, Gateway] = {}


def _gateway(suite: str) -> Gateway:
    if suite not in _GATEWAYS:
        members = SUITES[suite]
        supergraph = compose(
            [SubgraphSource(m.name, m.placeholder_url, subgraph_sdl(m)) for m in members]
        )
        transports = {
            m.name: InProcessTransport(importlib.import_module(m.module).schema)  # type: ignore[arg-type]
            for m in members
        }
        _GATEWAYS[suite] = Gateway(supergraph, transports)
    return _GATEWAYS[suite]


@pytest.mark.parametrize(
    ("suite", "case"),
    [
        pytest.param(suite, case, id=f"{suite}:{case.name}")
        for suite in SUITES_WE_COMPOSE
        for case in load_cases(suite)
    ],
)
async def test_case_over_our_composition(suite, case):
    body = case.request_body()
    result = await _gateway(suite).execute(
        body["query"], body.get("variables"), body.get("operationName")
    )
    assert_response_matches(result.payload, case)


def test_context_suite_composes_to_apollos_supergraph() -> None:
    """@context / @fromContext: our supergraph is the one Apollo's composition committed,
    to the character (`@context(name: "subgraph__name")`, `contextArguments`, the context
    spec's link, directives and scalar, and no contextual argument in the fields)."""
    members = SUITES["context"]
    ours = compose([SubgraphSource(m.name, m.placeholder_url, subgraph_sdl(m)) for m in members])
    assert ours == supergraph_sdl("context")
