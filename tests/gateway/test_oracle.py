"""Every case of the test bed, answered by Apollo Gateway (the reference implementation)
over the suite's subgraphs served over HTTP, must match its expected response."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

from .fixtures.cases import Case, load_cases, response_mismatches
from .fixtures.oracle import ApolloGateway, apollo_gateway, as_spec_response
from .fixtures.suites import APOLLO_GATEWAY_REFUSES, SUITES

CASES = [
    (suite, case)
    for suite in sorted(SUITES)
    if suite not in APOLLO_GATEWAY_REFUSES
    for case in load_cases(suite)
]


@pytest.fixture(scope="session")
def apollo_gateway_for(
    apollo_oracle: None, served_suite: Callable[[str], dict[str, str]]
) -> Iterator[Callable[[str], ApolloGateway]]:
    """`apollo_gateway_for("shop")`: Apollo Gateway over the served subgraphs (one a suite)."""
    gateways: dict[str, ApolloGateway] = {}
    with ExitStack() as stack:

        def get(suite: str) -> ApolloGateway:
            if suite not in gateways:
                try:
                    urls = served_suite(suite)
                except subprocess.CalledProcessError as error:
                    # Only the graphene subgraph installs anything (pip, in its own venv).
                    pytest.skip(f"cannot prepare the subgraphs of {suite}: {error}")
                gateways[suite] = stack.enter_context(apollo_gateway(suite, urls))
            return gateways[suite]

        yield get


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30.0) as client:
        yield client


@pytest.mark.parametrize(("suite", "case"), CASES, ids=[f"{s}-{c.name}" for s, c in CASES])
def test_apollo_gateway_agrees(
    suite: str,
    case: Case,
    apollo_gateway_for: Callable[[str], ApolloGateway],
    http: httpx.Client,
) -> None:
    actual = apollo_gateway_for(suite).execute(http, case)
    problems = response_mismatches(as_spec_response(actual, case), case)
    if case.apollo_gateway_wrong:
        # Apollo's known bug (see the case): it still gives another answer than the spec's.
        assert problems, f"{suite}/{case.name}: Apollo Gateway agrees now: drop the mark"
        return
    assert not problems, f"{suite}/{case.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("suite", sorted(APOLLO_GATEWAY_REFUSES))
def test_apollo_gateway_still_refuses(
    suite: str, apollo_oracle: None, served_suite: Callable[[str], dict[str, str]]
) -> None:
    """The suites left out above: Apollo Gateway still cannot load them (once it can,
    their cases belong in the oracle check)."""
    with (
        pytest.raises(RuntimeError, match="did not start"),
        apollo_gateway(suite, served_suite(suite)),
    ):
        pass
