"""Every case of the federation test bed through OUR gateway, with the response Apollo
Gateway gives (the expected results are checked against it by test_oracle.py).

Each case runs twice: with the subgraphs called in-process, and over HTTP against the
subgraphs served by uvicorn (the graphene-django subgraph only over HTTP, from its own
virtual environment), through the gateway's ASGI server.
"""

from __future__ import annotations

import importlib

import httpx
import pytest

from gateway.engine import Gateway
from gateway.server import GatewayApp
from gateway.transports import HttpTransport, InProcessTransport
from tests.gateway.fixtures.cases import assert_response_matches, load_cases
from tests.gateway.fixtures.suites import SUITES, supergraph_path

IN_PROCESS_SUITES = [name for name in SUITES if all(s.module for s in SUITES[name])]
ALL = [
    pytest.param(suite, case, id=f"{suite}:{case.name}")
    for suite in SUITES
    for case in load_cases(suite)
]


_GATEWAYS: dict[tuple[str, str], Gateway] = {}


def in_process_gateway(suite: str) -> Gateway:
    key = (suite, "in-process")
    if key not in _GATEWAYS:
        transports = {
            s.name: InProcessTransport(importlib.import_module(s.module).schema)  # type: ignore[arg-type]
            for s in SUITES[suite]
        }
        _GATEWAYS[key] = Gateway(supergraph_path(suite).read_text(encoding="utf-8"), transports)
    return _GATEWAYS[key]


@pytest.mark.parametrize(("suite", "case"), [p for p in ALL if p.values[0] in IN_PROCESS_SUITES])
async def test_case_in_process(suite, case):
    gateway = in_process_gateway(suite)
    body = case.request_body()
    result = await gateway.execute(body["query"], body.get("variables"), body.get("operationName"))
    assert_response_matches(result.payload, case)


@pytest.mark.parametrize(("suite", "case"), ALL)
async def test_case_over_http(suite, case, served_suite):
    urls = served_suite(suite)
    key = (suite, "http")
    if key not in _GATEWAYS:
        transports = {name: HttpTransport(url) for name, url in urls.items()}
        _GATEWAYS[key] = Gateway(supergraph_path(suite).read_text(encoding="utf-8"), transports)
    app = GatewayApp(_GATEWAYS[key])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        response = await client.post(
            "/graphql", json=case.request_body(), headers={"accept": "application/json"}
        )
    assert_response_matches(response.json(), case)


async def test_an_aliased_typename_still_tells_the_shaper_the_type():
    """A client's ``x: __typename`` on a field whose subgraph type is narrower than the
    API's (``media`` is a ``Book`` in archive, a ``Media`` in the API) is no __typename for
    the shaper: the planner still asks the real one (the object was null before)."""
    gateway = in_process_gateway("return_types")
    result = await gateway.execute("{ media { x: __typename id } }")
    assert result.payload == {"data": {"media": {"x": "Book", "id": "b1"}}}
