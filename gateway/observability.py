"""What an operator sees of the gateway: Prometheus metrics, OpenTelemetry spans, and one
structured log line per operation.

- **Metrics** (``prometheus-client``), served at ``/metrics`` by ``metrics_endpoint``:
  operations by type and outcome, errors by ``extensions.code``, latency histograms per
  operation name and per subgraph fetch, open subscriptions and WebSocket connections.
  Labels never carry tenant data: operation names are bounded (the first
  ``MAX_LABEL_VALUES`` distinct names of valid operations, then ``other``), codes too.
  Under ``yui serve --workers N`` every process writes to ``PROMETHEUS_MULTIPROC_DIR``
  (the serve command sets one up) and ``/metrics`` sums them.
  Who may read ``/metrics``: with ``YUI_METRICS_TOKEN`` set, whoever sends
  ``Authorization: Bearer <token>``; without it, only loopback clients (127.0.0.1, ::1).
  ``YUI_METRICS=off`` turns collection and the endpoint off.
- **Traces** (OpenTelemetry): a span per operation (``graphql.operation``) with a child per
  subgraph fetch (``graphql.fetch``). Off unless the standard variables ask for an
  exporter (``OTEL_TRACES_EXPORTER`` or ``OTEL_EXPORTER_OTLP[_TRACES]_ENDPOINT``, and not
  ``OTEL_SDK_DISABLED=true``); when off, the SDK is not even imported and each operation
  pays one ``is None`` test. Tests install their own provider with ``configure_tracing``.
- **Logs**: the ``gateway.operations`` logger gets one record per operation (name, hash of
  the text, type, duration, error codes, tenant id, request id), never a person's name
  or the variables; ``yui.logging_json`` renders it as one JSON line
  (``YUI_LOG_FORMAT=json``). The record is built only when that logger is enabled.

Hooks: ``Gateway`` wraps its transports with ``observed_transports`` and its ``execute``
and ``subscribe`` with ``operation``; ``GatewayApp`` counts WebSocket connections with
``websocket_connection`` and answers ``/metrics``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

operations_log = logging.getLogger("gateway.operations")

# Distinct values a label takes from client input (operation names, error codes) before
# further ones count as "other": a client inventing names cannot grow the metrics.
MAX_LABEL_VALUES = 500
OTHER = "other"
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Seconds; from a cached query's ~1 ms to a slow subgraph's 10 s timeout.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def enabled() -> bool:
    return os.environ.get("YUI_METRICS", "on").strip().lower() not in {"off", "0", "false", "no"}


class _Bounded:
    """The label values seen so far, at most ``limit``; later new ones become ``other``."""

    def __init__(self, limit: int = MAX_LABEL_VALUES):
        self.limit = limit
        self.seen: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self.seen:
            return value
        if len(self.seen) >= self.limit:
            return OTHER
        self.seen.add(value)
        return value


class Metrics:
    """The gateway's metrics in one registry (a test makes its own)."""

    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry
        kw: dict[str, Any] = {"registry": registry} if registry is not None else {}
        self.requests = Counter(
            "yui_gateway_operations",
            "GraphQL operations answered, by type and outcome (ok, errors, refused).",
            ["type", "outcome"],
            **kw,
        )
        self.errors = Counter(
            "yui_gateway_errors",
            "GraphQL errors in responses, by extensions.code.",
            ["code"],
            **kw,
        )
        self.latency = Histogram(
            "yui_gateway_operation_seconds",
            "Time to answer an operation (queries and mutations), per operation name.",
            ["operation"],
            buckets=_BUCKETS,
            **kw,
        )
        self.fetch_latency = Histogram(
            "yui_gateway_subgraph_fetch_seconds",
            "Time of one subgraph request, per subgraph and outcome (ok, unavailable).",
            ["subgraph", "outcome"],
            buckets=_BUCKETS,
            **kw,
        )
        self.subscriptions = Gauge(
            "yui_gateway_active_subscriptions",
            "Subscriptions open now (WebSocket and SSE).",
            multiprocess_mode="livesum",
            **kw,
        )
        self.websockets = Gauge(
            "yui_gateway_websocket_connections",
            "WebSocket connections open now.",
            multiprocess_mode="livesum",
            **kw,
        )
        self.names = _Bounded()
        self.codes = _Bounded(100)


METRICS = Metrics()


def _forget_live_gauges() -> None:
    """At exit, this process's open connections and subscriptions stop counting."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import atexit

    atexit.register(_forget_live_gauges)

# --- tracing ----------------------------------------------------------------------------

_tracer: Any = None


def _tracing_requested() -> bool:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def configure_tracing(provider: Any = None) -> None:
    """Trace with ``provider`` (a ``TracerProvider``), or as the ``OTEL_*`` variables say,
    or not at all (``configure_tracing(None)`` with none of them set)."""
    global _tracer
    if provider is None and _tracing_requested():
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

        exporter: Any
        if os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "console":
            exporter = ConsoleSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()  # endpoint, headers, timeout from OTEL_EXPORTER_OTLP_*
        # OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES are read by Resource.create.
        provider = TracerProvider(resource=Resource.create({"service.name": "yui-gateway"}))
        provider.add_span_processor(BatchSpanProcessor(exporter))
    _tracer = provider.get_tracer("yui.gateway") if provider is not None else None


configure_tracing()


@contextlib.contextmanager
def _span(name: str, attributes: Mapping[str, Any]) -> Iterator[Any]:
    """A span, current for the block (children started inside it hang under it)."""
    with _tracer.start_as_current_span(name, attributes=dict(attributes)) as span:
        yield span


# --- operations -------------------------------------------------------------------------


def operation_hash(text: str | None) -> str:
    return hashlib.sha256((text or "").encode()).hexdigest()


def _codes(payload: Mapping[str, Any]) -> list[str]:
    codes = []
    for error in payload.get("errors") or ():
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) else "UNCODED")
    return codes


def _request_id(context: Any) -> str:
    headers = getattr(context, "headers", None) or {}
    given = headers.get("x-request-id", "")
    # A proxy's id is kept when it is a plain token (it goes into logs verbatim).
    if 0 < len(given) <= 64 and given.replace("-", "").isalnum():
        return given
    return uuid.uuid4().hex


class Observed:
    """One operation being answered: its timer, span and what the log line says."""

    __slots__ = ("context", "name", "plans", "query", "span", "started", "type")

    def __init__(self, query: str | None, name: str | None, context: Any, plans: Any = None):
        self.query = query
        self.name = name
        self.plans = plans
        self.context = context
        self.type: str | None = None
        self.span: Any = None
        self.started = time.perf_counter()

    def finish(self, payload: Mapping[str, Any], operation_type: str | None) -> None:
        self.type = operation_type
        if self.name is None and operation_type is not None and self.plans is not None:
            # No operationName sent: the document's own, from the plan cache (no parsing).
            prepared = self.plans.get((self.query, None))
            named = getattr(getattr(prepared, "operation", None), "name", None)
            self.name = named.value if named is not None else None
        codes = _codes(payload)
        if enabled():
            # refused: nothing ran (no data key: parse, validation, limits, variables)
            outcome = "refused" if "data" not in payload else "errors" if codes else "ok"
            METRICS.requests.labels(operation_type or "unknown", outcome).inc()
            for code in codes:
                METRICS.errors.labels(METRICS.codes(code)).inc()
        if self.span is not None:
            self.span.set_attribute("graphql.operation.name", self.name or "")
            self.span.set_attribute("graphql.operation.type", operation_type or "unknown")
            if codes:
                self.span.set_attribute("graphql.error.codes", codes)
                from opentelemetry.trace import Status, StatusCode

                self.span.set_status(Status(StatusCode.ERROR, codes[0]))
        self._log(codes)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def _log(self, codes: list[str]) -> None:
        if not operations_log.isEnabledFor(logging.INFO):
            return
        principal = getattr(self.context, "principal", None)
        tenant = getattr(principal, "tenant_id", None)
        operations_log.info(
            "operation %s",
            self.name or "(anonymous)",
            extra={
                "operation": {
                    "name": self.name,
                    "type": self.type,
                    "hash": operation_hash(self.query),
                    "duration_ms": round(self.elapsed() * 1000, 3),
                    "error_codes": codes,
                    "tenant_id": str(tenant) if tenant is not None else None,
                    "request_id": _request_id(self.context),
                }
            },
        )


@contextlib.contextmanager
def operation(
    query: str | None, name: str | None, context: Any, plans: Any = None
) -> Iterator[Observed]:
    """Around answering one query or mutation: the caller calls ``finish`` with the
    response; the latency is recorded per operation name here (the document's own name
    when the client sent none, looked up in ``plans``, the gateway's plan cache)."""
    observed = Observed(query, name, context, plans)
    if _tracer is None:
        yield observed
    else:
        attributes = {"graphql.operation.name": name or ""}
        with _span("graphql.operation", attributes) as span:
            observed.span = span
            yield observed
    if enabled() and observed.type in {"query", "mutation"}:
        label = METRICS.names(observed.name) if observed.name else "(anonymous)"
        METRICS.latency.labels(label).observe(observed.elapsed())


async def subscription(
    stream: AsyncIterator[dict[str, Any]], query: str | None, name: str | None, context: Any
) -> AsyncIterator[dict[str, Any]]:
    """A subscription's events, counted among the open subscriptions while it runs; its
    first payload (or the refusal) is logged and counted like an operation."""
    observed = Observed(query, name, context)
    counting = enabled()
    if counting:
        METRICS.subscriptions.inc()
    first = True
    try:
        async for event in stream:
            if first:
                first = False
                refused = "data" not in event
                observed.finish(event, None if refused else "subscription")
            yield event
    finally:
        if counting:
            METRICS.subscriptions.dec()
        closer = getattr(stream, "aclose", None)
        if closer is not None:
            await closer()


@contextlib.contextmanager
def websocket_connection() -> Iterator[None]:
    counting = enabled()
    if counting:
        METRICS.websockets.inc()
    try:
        yield
    finally:
        if counting:
            METRICS.websockets.dec()


# --- subgraph fetches -------------------------------------------------------------------


class ObservedTransport:
    """A transport whose requests are timed (and traced when tracing is on); subscribing,
    closing and anything else go straight to the transport it wraps."""

    def __init__(self, name: str, inner: Any):
        self.name = name
        self.inner = inner

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def execute(
        self, graph: Any, document: str, variables: dict[str, Any], context: Any
    ) -> dict[str, Any]:
        started = time.perf_counter()
        outcome = "unavailable"
        try:
            if _tracer is None:
                response: dict[str, Any] = await self.inner.execute(
                    graph, document, variables, context
                )
            else:
                with _span("graphql.fetch", {"graphql.subgraph.name": self.name}) as span:
                    try:
                        response = await self.inner.execute(graph, document, variables, context)
                    except Exception as exc:
                        from opentelemetry.trace import Status, StatusCode

                        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                        raise
            outcome = "ok"
            return response
        finally:
            if enabled():
                METRICS.fetch_latency.labels(self.name, outcome).observe(
                    time.perf_counter() - started
                )


def observed_transports(transports: Mapping[str, Any]) -> dict[str, Any]:
    return {name: ObservedTransport(name, transport) for name, transport in transports.items()}


# --- /metrics ---------------------------------------------------------------------------


def metrics_allowed(scope: Mapping[str, Any]) -> bool:
    """``YUI_METRICS_TOKEN`` set: the bearer token must match; else loopback clients only."""
    if not enabled():
        return False
    token = os.environ.get("YUI_METRICS_TOKEN", "")
    if token:
        for name, value in scope.get("headers") or ():
            if name.lower() == b"authorization":
                given = value.decode("latin-1").removeprefix("Bearer ").strip()
                return hmac.compare_digest(given.encode(), token.encode())
        return False
    client = scope.get("client") or ("",)
    return str(client[0]) in _LOOPBACK


def exposition(registry: CollectorRegistry | None = None) -> bytes:
    """The metrics in Prometheus' text format: of every process sharing
    ``PROMETHEUS_MULTIPROC_DIR`` when that is set, else of this one."""
    if registry is None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    if registry is None:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    return generate_latest(registry)


async def metrics_endpoint(scope: Mapping[str, Any], send: Any) -> None:
    """An ASGI answer to ``GET /metrics``: 404 when not allowed (the endpoint is not
    advertised to whoever may not read it)."""
    if not metrics_allowed(scope):
        status, body, media = 404, b"Not found\n", "text/plain; charset=utf-8"
    else:
        status, body, media = 200, exposition(), CONTENT_TYPE_LATEST
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
