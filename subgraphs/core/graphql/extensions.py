"""Schema extensions every subgraph uses.

The gateway sends each subgraph the same few documents over and over (one per plan
step, variables apart), so parsing and validating them once is enough: the caches key on
the document text (validation on the schema and the parsed document), and nothing a
request brings (principal, variables) changes whether a document is valid for the schema.
About 8 ms of a department week went to validating the gateway's documents before
(``benchmarks/calendar_week.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

from subgraphs.core.graphql.errors import GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED

# Distinct documents all subgraphs of a process see: the gateway's plans, the UI's own
# queries. Strawberry keeps one LRU per size for the process, shared by every schema.
CACHED_DOCUMENTS = 1024


class DocumentErrorCodes(SchemaExtension):
    """Errors in a client's document keep graphql-core's message and get a code.

    Only here is it known for sure that an error came from parsing or validation (a
    scalar's ValueError about a literal is wrapped in the validator's own message); the
    schema's ``process_errors`` gives the other errors theirs.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        self._code(GRAPHQL_PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        self._code(GRAPHQL_VALIDATION_FAILED)

    def _code(self, code: str) -> None:
        for error in self.execution_context.pre_execution_errors or ():
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": code}


def subgraph_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories, as Strawberry wants them: an extension per request, the caches shared."""
    return [
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
        DocumentErrorCodes,
    ]
