"""The Schema class every subgraph is built with.

Strawberry hands every error of an operation (parsing, validation, execution, each
subscription event) to ``process_errors`` before a client sees it: the one place where an
exception nobody raised on purpose becomes ``INTERNAL`` with a reference.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError

from subgraphs.core.graphql.errors import give_codes


class SubgraphSchema(strawberry.federation.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Instead of Strawberry's default (every error logged with its own text): the
        # unexpected ones are logged with their traceback under the reference the client
        # sees; errors in a client's document or raised on purpose are not server faults.
        give_codes(errors)
