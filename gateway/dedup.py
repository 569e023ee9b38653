"""Deduplication of identical in-flight subgraph queries, and of whole client queries.

When a fetch is about to go to a subgraph while an identical one is still on its way
(same subgraph, same document, same variables, same caller), it waits for that one's answer
instead of sending another request: a dashboard polled by many screens under one token,
or one person's tabs, cost the subgraph one request per distinct question. (Staff signed
in as different people are different callers: a department opening the portal together
shares nothing.)

- Queries only: a document that is a mutation (or a subscription) always goes out.
- "Same caller" is the request's principal (its value when hashable, so two requests of
  one person share, else its identity), its headers and its language: a subgraph may
  answer differently for each, so they never share an answer.
- The upstream request runs as a task of its own, so a caller that goes away (a client
  disconnecting) does not cancel it for the others.
- When several callers share an answer, each gets its own copy (the executor merges answers
  into its result tree in place).

``DeduplicatingTransport.upstream`` counts requests sent, ``joined`` fetches that waited
for another's answer.

Whole client queries are shared the same way (``InFlight`` with ``operation_key``, used by
``Gateway._run_shared``): the same document, operation, variables and caller, and the same
scopes the gateway grants (which decide what its access rules let through). Each request
is still parsed, admitted, limited, logged and counted on its own; only the execution of
the plan is shared, and each caller gets its own copy of the answer.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.executor import RequestContext
from gateway.supergraph import Graph


def _is_query(document: str) -> bool:
    head = document.lstrip()
    return not (head.startswith("mutation") or head.startswith("subscription"))


def _caller(context: RequestContext) -> Any:
    principal = context.principal
    try:
        hash(principal)
    except TypeError:
        principal = ("id", id(principal))
    return (
        principal,
        tuple(sorted(context.headers.items())),
        context.extra.get("language"),
    )


@dataclass
class _InFlight:
    task: asyncio.Future[dict[str, Any]]
    callers: int = 1


def _own_copy(result: dict[str, Any]) -> dict[str, Any]:
    try:
        return orjson.loads(orjson.dumps(result))  # type: ignore[no-any-return]
    except TypeError:
        return copy.deepcopy(result)


class InFlight:
    """Work in flight by key: the first caller starts it, later callers with the same key
    wait for its answer. It runs as a task of its own, so a caller that goes away does not
    cancel it for the others; when several callers shared an answer, each gets its own
    copy (callers may change what they get)."""

    def __init__(self) -> None:
        self.entries: dict[Any, _InFlight] = {}
        self.started = 0
        self.joined = 0

    async def share(
        self, key: Any, start: Callable[[], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        entry = self.entries.get(key)
        if entry is None:
            self.started += 1
            task = asyncio.ensure_future(start())
            entry = _InFlight(task)
            self.entries[key] = entry
            # Registered first, so it runs before any caller resumes: no one joins work
            # that has finished.
            task.add_done_callback(lambda done: self._finished(key, done))
        else:
            entry.callers += 1
            self.joined += 1
        result = await asyncio.shield(entry.task)
        return _own_copy(result) if entry.callers > 1 else result

    def _finished(self, key: Any, done: asyncio.Future[dict[str, Any]]) -> None:
        if self.entries.get(key) is not None and self.entries[key].task is done:
            del self.entries[key]
        if not done.cancelled():
            done.exception()  # retrieved, even when every caller went away


def operation_key(
    document: str, operation_name: str | None, variables: Mapping[str, Any], context: Any
) -> Any:
    """What makes two client operations the same question, or None when their variables
    cannot be written (then they are not shared): the document, the operation, the
    variables and the caller (``_caller``, and the scopes the gateway grants)."""
    try:
        written = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return None
    scopes = context.extra.get("scopes") or ()
    return (document, operation_name, written, _caller(context), tuple(sorted(scopes)))


class DeduplicatingTransport:
    """Wraps a transport; anything but ``execute`` (``subscribe``) passes through."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.shared = InFlight()
        self.sent_alone = 0

    @property
    def upstream(self) -> int:
        """Requests sent to the subgraph."""
        return self.shared.started + self.sent_alone

    @property
    def joined(self) -> int:
        """Fetches that waited for another's answer."""
        return self.shared.joined

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        if not _is_query(document):
            self.sent_alone += 1
            return await self.inner.execute(graph, document, variables, context)  # type: ignore[no-any-return]
        try:
            written = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a variable orjson cannot write: no sharing for this one
            self.sent_alone += 1
            return await self.inner.execute(graph, document, variables, context)  # type: ignore[no-any-return]
        key = (graph.name, document, written, _caller(context))
        return await self.shared.share(
            key, lambda: self.inner.execute(graph, document, variables, context)
        )


def deduplicating(transports: Mapping[str, Any]) -> dict[str, Any]:
    return {name: DeduplicatingTransport(transport) for name, transport in transports.items()}
