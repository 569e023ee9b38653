"""Logs as one JSON object per line (``YUI_LOG_FORMAT=json``), for a log collector.

Every record becomes ``{"time", "level", "logger", "message"}`` plus, for the gateway's
per-operation records (``gateway.operations``, see ``gateway.observability``), the
operation's fields at the top level: ``operation`` (name), ``operation_type``, ``hash``
(sha256 of the text), ``duration_ms``, ``error_codes``, ``tenant_id``, ``request_id``.
A traceback, when there is one, is in ``exception``. Nothing else of the request is
added: no variables, no person names.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

import orjson

OPERATIONS_LOGGER = "gateway.operations"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        operation = getattr(record, "operation", None)
        if isinstance(operation, dict):
            entry["operation"] = operation.get("name")
            entry["operation_type"] = operation.get("type")
            for key in ("hash", "duration_ms", "error_codes", "tenant_id", "request_id"):
                entry[key] = operation.get(key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def logging_config(level: str, log_format: str) -> dict[str, Any]:
    """Django's ``LOGGING``: plain text by default; with ``json``, JSON lines and the
    gateway's per-operation line (INFO) whatever the level of the rest."""
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"console": {"class": "logging.StreamHandler"}},
        "root": {"handlers": ["console"], "level": level},
    }
    if log_format == "json":
        config["formatters"] = {"json": {"()": f"{__name__}.JsonFormatter"}}
        config["handlers"]["console"]["formatter"] = "json"
        config["loggers"] = {OPERATIONS_LOGGER: {"level": "INFO"}}
    return config


def from_environment() -> dict[str, Any]:
    return logging_config(
        os.environ.get("YUI_LOG_LEVEL", "WARNING"),
        os.environ.get("YUI_LOG_FORMAT", "text").strip().lower(),
    )
