"""Fixtures of the gateway tests: the federation test bed (tests/gateway/fixtures).

- `served_suite(name)` serves every subgraph of a suite over HTTP on free localhost ports
  (once per session) and returns `{subgraph name: URL}`.
- `apollo_oracle` makes sure Node and Apollo's packages are there (`npm ci` if needed), or
  skips with the reason.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator

import pytest

from .fixtures.oracle import (
    install_node_modules,
    node_executable,
    node_modules_installed,
    oracle_unavailable_reason,
)
from .fixtures.serve import ServedSuite


@pytest.fixture(scope="session")
def served_suite() -> Iterator[Callable[[str], dict[str, str]]]:
    """`served_suite("shop")` -> {"products": "http://127.0.0.1:PORT/graphql", ...}.

    The subgraphs keep running (sharing their in-memory data) until the session ends; the
    `shop_graphene` suite also starts the graphene subgraph, making its venv on first use.
    """
    started: dict[str, ServedSuite] = {}
    failed: dict[str, BaseException] = {}

    def serve(name: str) -> dict[str, str]:
        if name in failed:  # fail fast: do not wait for a broken suite again
            raise failed[name]
        if name not in started:
            suite = ServedSuite(name)
            try:
                suite.start()
            except BaseException as error:
                failed[name] = error
                raise
            started[name] = suite
        return dict(started[name].urls)

    yield serve
    for suite in started.values():
        suite.stop()


@pytest.fixture(scope="session")
def apollo_oracle() -> None:
    """Skips unless Apollo's composition and gateway can run (installs them if npm can)."""
    if node_executable() is None:
        pytest.skip("node is not installed: Apollo's composition and gateway cannot run")
    if not node_modules_installed():
        try:
            install_node_modules()
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            pytest.skip(f"cannot install Apollo's packages with npm ci: {error}")
    reason = oracle_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
