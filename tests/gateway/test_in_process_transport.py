"""InProcessTransport closes a context that can be closed once its query has answered."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.engine import RequestContext
from gateway.supergraph import Graph
from gateway.transports import InProcessTransport


@strawberry.type
class Query:
    @strawberry.field
    def seen(self, info: strawberry.Info) -> list[str]:
        context = info.context
        assert not context.closed, "closed before the query ran"
        return sorted(context.held)

    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("the resolver fails")


class Closable:
    def __init__(self) -> None:
        self.held = {"loader": "rows"}
        self.closed = False

    def close(self) -> None:
        self.closed = True
        self.held.clear()


GRAPH = Graph(enum="TEST", name="test", url="")


async def test_the_context_is_closed_after_the_answer_even_an_error() -> None:
    made: list[Closable] = []

    def factory(_: Any) -> Closable:
        made.append(Closable())
        return made[-1]

    transport = InProcessTransport(strawberry.Schema(query=Query), factory)
    answer = await transport.execute(GRAPH, "{ seen }", {}, RequestContext())
    assert answer == {"data": {"seen": ["loader"]}}
    failed = await transport.execute(GRAPH, "{ broken }", {}, RequestContext())
    assert failed["data"] is None and failed["errors"][0]["message"] == "the resolver fails"
    assert [(c.closed, c.held) for c in made] == [(True, {}), (True, {})]


async def test_a_context_without_close_is_left_alone() -> None:
    @strawberry.type
    class Plain:
        @strawberry.field
        def value(self, info: strawberry.Info) -> int:
            return info.context["value"]

    context = {"value": 7}
    transport = InProcessTransport(strawberry.Schema(query=Plain), lambda _: context)
    assert await transport.execute(GRAPH, "{ value }", {}, RequestContext()) == {
        "data": {"value": 7}
    }
    assert context == {"value": 7}
