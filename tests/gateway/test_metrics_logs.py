"""The gateway's per-operation log line as JSON (YUI_LOG_FORMAT=json, yui.logging_json):
one line per operation with its name, hash, type, duration, error codes, tenant and
request id, and nothing of what the request carried."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import uuid
from dataclasses import dataclass

import pytest

from gateway.engine import Gateway
from gateway.executor import RequestContext
from gateway.transports import HttpTransport
from tests.gateway.fixtures.suites import supergraph_path
from yui.logging_json import JsonFormatter, logging_config

TOP = "query Top($n: Int!) { topProducts(first: $n) { name reviews { body } } }"


@dataclass(frozen=True)
class Someone:
    tenant_id: uuid.UUID
    person_id: uuid.UUID


@pytest.fixture
def json_lines():
    """The gateway.operations logger as YUI_LOG_FORMAT=json sets it up, into a buffer."""
    config = logging_config("WARNING", "json")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    operations = logging.getLogger("gateway.operations")
    operations.setLevel(config["loggers"]["gateway.operations"]["level"])
    operations.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    operations.removeHandler(handler)
    operations.setLevel(logging.NOTSET)


async def test_one_json_line_per_operation(served_suite, json_lines):
    urls = served_suite("shop")
    gateway = Gateway(
        supergraph_path("shop").read_text(encoding="utf-8"),
        {name: HttpTransport(url) for name, url in urls.items()},
    )
    someone = Someone(uuid.uuid4(), uuid.uuid4())
    context = RequestContext(principal=someone, headers={"x-request-id": "req-42"})
    answered = await gateway.execute(TOP, {"n": 1}, "Top", context)
    assert "errors" not in answered.payload
    await gateway.execute('{ product(upc: "山田太郎") { nope } }', None, None, RequestContext())
    first, second = json_lines()
    assert first["logger"] == "gateway.operations" and first["level"] == "info"
    assert first["operation"] == "Top" and first["operation_type"] == "query"
    assert first["hash"] == hashlib.sha256(TOP.encode()).hexdigest()
    assert first["error_codes"] == [] and first["duration_ms"] > 0
    assert first["tenant_id"] == str(someone.tenant_id)
    assert first["request_id"] == "req-42"
    assert str(someone.person_id) not in json.dumps(first)
    assert second["operation"] is None and second["tenant_id"] is None
    assert second["error_codes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert len(second["request_id"]) == 32  # generated when the client sent none
    assert "山田太郎" not in json.dumps(second)


def test_text_logging_stays_the_default():
    config = logging_config("WARNING", "text")
    assert "formatters" not in config and "loggers" not in config
