"""One subgraph asking another one: the only way a subgraph reaches data it does not own.

DESIGN rule 1 keeps tables apart, so when the calendar books a room it asks the
facilities subgraph, and when it expands "the whole 庶務係" into attendees it asks people.
``ask`` runs one GraphQL operation on the named subgraph **as the caller** (their
principal), so the other subgraph applies its own tenancy and permission checks:

- embedded (the default): the other subgraph's schema is executed in this process;
- distributed: when ``settings.SUBGRAPH_URLS`` (``YUI_SUBGRAPH_URLS``) names the
  subgraph, the operation is POSTed to its URL with the short-lived signed principal
  header, exactly as the gateway does (rule 4).

GraphQL errors are bugs or auth failures on the other side, not business results (those
are typed data, rule 5): they raise :class:`PeerUnavailable`.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from subgraphs.core.principal import Principal
from subgraphs.core.signing import HEADER, sign_principal

_client: Any = None


class PeerUnavailable(RuntimeError):
    """The other subgraph answered with GraphQL errors, or could not be reached."""


def _http_client() -> Any:
    global _client
    if _client is None:
        from gateway.http_client import HttpClient

        _client = HttpClient(timeout=15.0)
    return _client


async def ask(
    name: str, principal: Principal, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run ``query`` on subgraph ``name`` as ``principal``; its ``data``."""
    url = getattr(settings, "SUBGRAPH_URLS", {}).get(name)
    if url:
        return await _ask_over_http(name, url, principal, query, variables)
    from subgraphs.core.graphql.context import YuiContext
    from yui.registry import subgraph_schema

    result = await subgraph_schema(name).execute(
        query, variable_values=variables, context_value=YuiContext(principal=principal)
    )
    if result.errors:
        raise PeerUnavailable(f"{name} subgraph: {[e.message for e in result.errors]}")
    return result.data or {}


async def ask_field(
    name: str, principal: Principal, query: str, variables: dict[str, Any] | None = None
) -> Any:
    """``ask`` for an operation with one root field: that field's value."""
    data = await ask(name, principal, query, variables)
    return next(iter(data.values()))


async def _ask_over_http(
    name: str, url: str, principal: Principal, query: str, variables: dict[str, Any] | None
) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/graphql-response+json, application/json",
        HEADER: sign_principal(principal),
    }
    try:
        status, payload = await _http_client().post(url, body, headers)
    except (OSError, TimeoutError) as exc:
        raise PeerUnavailable(f"{name} subgraph at {url}: {exc}") from exc
    try:
        answer = json.loads(payload)
    except ValueError as exc:
        raise PeerUnavailable(f"{name} subgraph at {url}: HTTP {status}, not JSON") from exc
    if answer.get("errors") or status >= 400:
        messages = [e.get("message") for e in answer.get("errors") or []]
        raise PeerUnavailable(f"{name} subgraph at {url}: HTTP {status} {messages}")
    return answer.get("data") or {}
