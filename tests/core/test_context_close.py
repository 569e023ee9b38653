"""YuiContext.close: an operation that has answered lets go of its loaders."""

from __future__ import annotations

from subgraphs.core.graphql.context import YuiContext


class Counting:
    made = 0

    def __init__(self, context: YuiContext) -> None:
        Counting.made += 1
        self.rows = ["a row"]


def test_close_lets_go_of_the_loaders_and_a_later_ask_reads_afresh() -> None:
    Counting.made = 0
    context = YuiContext()
    first = context.loader(Counting)
    assert context.loader(Counting) is first  # one per operation
    context.close()
    again = context.loader(Counting)
    assert again is not first and Counting.made == 2
