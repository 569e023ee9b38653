"""Deduplication of identical in-flight subgraph queries.

When a fetch is about to go to a subgraph while an identical one is still on its way
(same subgraph, same document, same variables, same caller), it waits for that one's answer
instead of sending another request: a portal opened by a whole department at 8:30, or a
dashboard polled by many screens, costs the subgraph one request per distinct question.

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
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Mapping
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


class DeduplicatingTransport:
    """Wraps a transport; anything but ``execute`` (``subscribe``) passes through."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.in_flight: dict[Any, _InFlight] = {}
        self.upstream = 0
        self.joined = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        if not _is_query(document):
            self.upstream += 1
            return await self.inner.execute(graph, document, variables, context)  # type: ignore[no-any-return]
        try:
            written = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a variable orjson cannot write: no sharing for this one
            self.upstream += 1
            return await self.inner.execute(graph, document, variables, context)  # type: ignore[no-any-return]
        key = (graph.name, document, written, _caller(context))
        entry = self.in_flight.get(key)
        if entry is None:
            self.upstream += 1
            task = asyncio.ensure_future(self.inner.execute(graph, document, variables, context))
            entry = _InFlight(task)
            self.in_flight[key] = entry
            # Registered first, so it runs before any caller resumes: no one joins a
            # request that has finished.
            task.add_done_callback(lambda done: self._finished(key, done))
        else:
            entry.callers += 1
            self.joined += 1
        result = await asyncio.shield(entry.task)
        if entry.callers > 1:
            try:
                return orjson.loads(orjson.dumps(result))  # type: ignore[no-any-return]
            except TypeError:
                return copy.deepcopy(result)
        return result

    def _finished(self, key: Any, done: asyncio.Future[dict[str, Any]]) -> None:
        self.in_flight.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved, even when every caller went away


def deduplicating(transports: Mapping[str, Any]) -> dict[str, Any]:
    return {name: DeduplicatingTransport(transport) for name, transport in transports.items()}
