"""OpenTelemetry spans of the gateway (gateway.observability): one span per operation with
a child per subgraph fetch, for a query across subgraphs served over HTTP; tracing is off
unless the standard OTEL_* variables ask for it."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway import observability
from gateway.engine import Gateway
from gateway.server import GatewayApp
from gateway.transports import HttpTransport
from tests.gateway.fixtures.suites import supergraph_path

TOP = "query Top { topProducts(first: 2) { name reviews { body author { username } } } }"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    observability.configure_tracing(provider)
    yield exporter
    observability.configure_tracing(None)
    provider.shutdown()


def served_gateway(urls: dict[str, str], **overrides: str) -> httpx.AsyncClient:
    transports = {
        name: HttpTransport(overrides.get(name, url), timeout=2) for name, url in urls.items()
    }
    gateway = Gateway(supergraph_path("shop").read_text(encoding="utf-8"), transports)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=GatewayApp(gateway)), base_url="http://gw"
    )


async def test_a_cross_subgraph_query_is_one_trace_with_a_span_per_fetch(served_suite, spans):
    client = served_gateway(served_suite("shop"))
    body = (await client.post("/graphql", json={"query": TOP, "operationName": "Top"})).json()
    assert "errors" not in body
    finished = spans.get_finished_spans()
    [operation] = [s for s in finished if s.name == "graphql.operation"]
    fetches = [s for s in finished if s.name == "graphql.fetch"]
    assert operation.parent is None
    assert operation.attributes["graphql.operation.name"] == "Top"
    assert operation.attributes["graphql.operation.type"] == "query"
    # products first (topProducts), then reviews for the products' reviews
    assert [s.attributes["graphql.subgraph.name"] for s in fetches] == ["products", "reviews"]
    for fetch in fetches:
        assert fetch.context.trace_id == operation.context.trace_id
        assert fetch.parent is not None and fetch.parent.span_id == operation.context.span_id
        assert operation.start_time <= fetch.start_time <= fetch.end_time <= operation.end_time
    # the reviews fetch waits for the products fetch it depends on
    assert fetches[0].end_time <= fetches[1].start_time


async def test_a_failed_fetch_and_a_refused_operation_are_marked_as_errors(served_suite, spans):
    from opentelemetry.trace import StatusCode

    client = served_gateway(served_suite("shop"), reviews="http://127.0.0.1:9/graphql")
    body = (await client.post("/graphql", json={"query": TOP})).json()
    assert body["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    await client.post("/graphql", json={"query": "{ nope }"})
    finished = spans.get_finished_spans()
    failed_fetch = next(
        s
        for s in finished
        if s.name == "graphql.fetch" and s.attributes["graphql.subgraph.name"] == "reviews"
    )
    assert failed_fetch.status.status_code == StatusCode.ERROR
    operations = [s for s in finished if s.name == "graphql.operation"]
    assert [s.attributes["graphql.error.codes"] for s in operations] == [
        ("SUBREQUEST_HTTP_ERROR",) * len(operations[0].attributes["graphql.error.codes"]),
        ("GRAPHQL_VALIDATION_FAILED",),
    ]
    assert all(s.status.status_code == StatusCode.ERROR for s in operations)


def test_tracing_is_off_unless_the_otel_variables_ask_for_it(monkeypatch):
    for name in (
        "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_SDK_DISABLED",
    ):
        monkeypatch.delenv(name, raising=False)
    assert not observability._tracing_requested()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert observability._tracing_requested()
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert not observability._tracing_requested()
    monkeypatch.delenv("OTEL_SDK_DISABLED")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert not observability._tracing_requested()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    observability.configure_tracing()
    try:
        assert observability._tracer is not None
    finally:
        observability.configure_tracing(None)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT")
    observability.configure_tracing()
    assert observability._tracer is None
