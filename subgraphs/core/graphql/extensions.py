"""Schema extensions every subgraph uses.

The gateway sends each subgraph the same few documents over and over (one per plan
step, variables apart), so parsing and validating them once is enough: the caches key on
the document text (validation on the schema and the parsed document), and nothing a
request brings (principal, variables) changes whether a document is valid for the schema.
About 8 ms of a department week went to validating the gateway's documents before
(``benchmarks/calendar_week.py``).

The caches are bounded by an estimate of bytes as well as entries: clients reach the
subgraphs' documents too (the per-subgraph endpoints, and the gateway's documents follow
its clients' operations), and 1,024 documents of 10,000 tokens were about 4 GB of AST in
Strawberry's entry-bounded LRUs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from graphql import GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.engine import LRU
from subgraphs.core.graphql.errors import GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED
from subgraphs.core.graphql.password_gate import PasswordChangeGate

# Distinct documents all subgraphs of a process see: the gateway's plans, the UI's own
# queries. Strawberry keeps one LRU per size for the process, shared by every schema.
CACHED_DOCUMENTS = 1024
# Parsed documents kept, estimated at ~120 bytes of AST per character of text (measured
# with tracemalloc on a 10,000-token document).
CACHED_DOCUMENT_BYTES = 64_000_000
_AST_BYTES_PER_CHAR = 120


# One of each for the process, shared by every schema, as Strawberry's were.
# The gateway's LRU: bounded by entries and by an estimate of bytes.
_parsed = LRU(CACHED_DOCUMENTS, CACHED_DOCUMENT_BYTES)
_validated = LRU(CACHED_DOCUMENTS, CACHED_DOCUMENT_BYTES // 4)


class BoundedParserCache(SchemaExtension):
    """Strawberry's ParserCache, bounded by bytes as well as entries."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        key = (query, tuple(sorted(context.parse_options.items())))
        document = _parsed.get(key)
        if document is None:
            document = parse(query, **context.parse_options)
            _parsed.put(key, document, len(query) * _AST_BYTES_PER_CHAR + 500)
        context.graphql_document = document
        yield


class BoundedValidationCache(SchemaExtension):
    """Strawberry's ValidationCache, keyed on the text (a document is a function of its
    text) so that it keeps no AST alive, bounded by bytes as well as entries."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        query = context.query or ""
        key = (
            id(context.schema._schema),
            query,
            tuple(sorted(context.parse_options.items())),
            context.validation_rules,
        )
        errors: list[GraphQLError] | None = _validated.get(key)
        if errors is None:
            errors = validate_document(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
            _validated.put(key, errors, len(query) + 200 + 2_000 * len(errors))
        context.pre_execution_errors = list(errors)
        yield


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
        BoundedParserCache,
        BoundedValidationCache,
        DocumentErrorCodes,
        PasswordChangeGate,
    ]
