"""Prometheus metrics of the gateway (gateway.observability): what /metrics counts after
real requests to the shop suite's subgraphs served over HTTP, who may read it, that its
labels stay bounded and free of request data, and that worker processes add up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway import observability
from gateway.engine import Gateway
from gateway.server import GatewayApp
from gateway.transports import HttpTransport
from tests.gateway.fixtures.suites import supergraph_path

TOP = "query Top { topProducts(first: 2) { name reviews { body author { username } } } }"


@pytest.fixture
def gateway_client(served_suite):
    urls = served_suite("shop")
    transports = {name: HttpTransport(url) for name, url in urls.items()}
    gateway = Gateway(supergraph_path("shop").read_text(encoding="utf-8"), transports)
    app = GatewayApp(gateway)
    # httpx's ASGI transport presents the client as 127.0.0.1 (a loopback client).
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw"), app


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client: httpx.AsyncClient, **kwargs) -> dict:
    response = await client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_operations_errors_and_latencies_per_operation_and_subgraph(gateway_client):
    client, _ = gateway_client
    before = await scrape(client)
    answered = await client.post("/graphql", json={"query": TOP, "operationName": "Top"})
    assert "errors" not in answered.json()
    invalid = await client.post("/graphql", json={"query": "{ nope }"})
    assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("yui_gateway_operations_total", type="query", outcome="ok") == 1
    assert delta("yui_gateway_operations_total", type="query", outcome="refused") == 1
    assert delta("yui_gateway_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert delta("yui_gateway_operation_seconds_count", operation="Top") == 1
    # without operationName, the document's own name (from the plan cache)
    await client.post("/graphql", json={"query": TOP})
    named = await scrape(client)
    assert (
        value(named, "yui_gateway_operation_seconds_count", operation="Top")
        == value(after, "yui_gateway_operation_seconds_count", operation="Top") + 1
    )
    # the cross-subgraph query made one request to products and one to reviews
    for subgraph in ("products", "reviews"):
        assert delta("yui_gateway_subgraph_fetch_seconds_count", subgraph=subgraph, outcome="ok")
        assert delta("yui_gateway_subgraph_fetch_seconds_sum", subgraph=subgraph, outcome="ok") > 0


async def test_a_subgraph_that_does_not_answer_is_counted_unavailable(served_suite):
    urls = served_suite("shop")
    transports = {name: HttpTransport(url) for name, url in urls.items()}
    transports["reviews"] = HttpTransport("http://127.0.0.1:9/graphql", timeout=2)
    app = GatewayApp(Gateway(supergraph_path("shop").read_text(encoding="utf-8"), transports))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")
    before = await scrape(client)
    body = (await client.post("/graphql", json={"query": TOP})).json()
    assert body["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    after = await scrape(client)
    key = ("yui_gateway_subgraph_fetch_seconds_count",)
    labels = {"subgraph": "reviews", "outcome": "unavailable"}
    assert value(after, *key, **labels) - value(before, *key, **labels) == 1
    assert value(after, "yui_gateway_operations_total", type="query", outcome="errors") >= 1


async def test_metrics_are_for_loopback_clients_unless_a_token_is_set(gateway_client, monkeypatch):
    _, app = gateway_client
    remote = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5000)),
        base_url="http://gw",
    )
    assert (await remote.get("/metrics")).status_code == 404
    monkeypatch.setenv("YUI_METRICS_TOKEN", "s3cret-metrics")
    assert (await remote.get("/metrics")).status_code == 404
    wrong = await remote.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
    allowed = await remote.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert allowed.status_code == 200 and "yui_gateway_operations_total" in allowed.text
    # with a token, loopback needs it too (a proxy on the same host is loopback)
    local, _ = gateway_client
    assert (await local.get("/metrics")).status_code == 404
    monkeypatch.delenv("YUI_METRICS_TOKEN")
    monkeypatch.setenv("YUI_METRICS", "off")
    assert (await local.get("/metrics")).status_code == 404


async def test_labels_carry_no_request_data_and_stay_bounded(gateway_client, monkeypatch):
    client, _ = gateway_client
    monkeypatch.setattr(observability.METRICS, "names", observability._Bounded(limit=3))
    secret = "山田太郎-0656905"
    for i in range(6):
        await client.post(
            "/graphql",
            json={
                "query": f"query Op{i}($n: Int!) {{ topProducts(first: $n) {{ name }} }}",
                "variables": {"n": 1},
                "operationName": f"Op{i}",
            },
        )
    await client.post("/graphql", json={"query": f'{{ product(upc: "{secret}") {{ name }} }}'})
    text = (await client.get("/metrics")).text
    assert secret not in text
    names = {
        labels["operation"]
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "yui_gateway_operation_seconds_count"
        for labels in [sample.labels]
    }
    assert {"Op0", "Op1", "Op2", "other"} <= names
    assert not names & {"Op3", "Op4", "Op5"}


WORKER = """
import sys
from gateway import observability
for _ in range(int(sys.argv[1])):
    observability.METRICS.requests.labels("query", "ok").inc()
observability.METRICS.websockets.inc()
"""

READER = """
import sys
from gateway import observability
sys.stdout.write(observability.exposition().decode())
"""


def test_worker_processes_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """`yui serve --workers N`: every worker writes to PROMETHEUS_MULTIPROC_DIR and the
    one that answers /metrics sums them; a worker that has ended no longer counts in
    the gauges of live connections."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    root = Path(__file__).resolve().parents[2]
    for count in ("3", "4"):
        subprocess.run(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-c", WORKER, count], env=env, cwd=root, check=True
        )
    out = subprocess.run(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", READER], env=env, cwd=root, check=True, capture_output=True
    ).stdout.decode()
    found = samples(out)
    assert value(found, "yui_gateway_operations_total", type="query", outcome="ok") == 7
    assert value(found, "yui_gateway_websocket_connections") == 0
