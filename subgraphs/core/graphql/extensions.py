"""Schema extensions every subgraph uses.

The gateway sends each subgraph the same few documents over and over (one per plan
step, variables apart), so parsing and validating them once is enough: the caches key on
the document text (validation on the schema and the parsed document), and nothing a
request brings (principal, variables) changes whether a document is valid for the schema.
About 8 ms of a department week went to validating the gateway's documents before
(``benchmarks/calendar_week.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

# Distinct documents all subgraphs of a process see: the gateway's plans, the UI's own
# queries. Strawberry keeps one LRU per size for the process, shared by every schema.
CACHED_DOCUMENTS = 1024


def subgraph_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories, as Strawberry wants them: an extension per request, the caches shared."""
    return [
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
    ]
