"""A new, empty PostgreSQL database for one run, dropped afterwards: what the end-to-end
tests and the benchmarks run a real server against (`yui serve` needs a database of its
own while it is measured or tested)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from yui.config import POSTGRES_SCHEMES


def is_postgres(url: str) -> bool:
    return urlsplit(url).scheme.lower() in POSTGRES_SCHEMES


def _server_params(url: str) -> dict[str, Any]:
    """Connection parameters of the server in ``url``, on its maintenance database."""
    parts = urlsplit(url)
    params: dict[str, Any] = {"dbname": "postgres", "connect_timeout": 10}
    if parts.hostname:
        params["host"] = parts.hostname
    if parts.port:
        params["port"] = parts.port
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    return params


@contextlib.contextmanager
def scratch_postgres(url: str, prefix: str) -> Iterator[str]:
    """The URL of a new database ``<prefix>_<random>`` on the server of ``url`` (a database
    name in ``url`` is ignored, so no existing database is used, let alone dropped)."""
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{secrets.token_hex(6)}"
    params = _server_params(url)
    with psycopg.connect(autocommit=True, **params) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}", query=""))
    finally:
        with psycopg.connect(autocommit=True, **params) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
