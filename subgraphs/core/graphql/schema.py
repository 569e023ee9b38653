"""The Schema class every subgraph is built with.

Strawberry hands every error of an operation (parsing, validation, execution, each
subscription event) to ``process_errors`` before a client sees it: the one place where an
exception nobody raised on purpose becomes ``INTERNAL`` with a reference.

The federation union ``_Entity`` is told apart by the object's own type first
(``ExactEntityTypes``): Strawberry's resolver tries each member in turn, and the gateway
asks a subgraph for a hundred entities at a time (a department week's members).
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLUnionType
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from subgraphs.core.graphql.errors import give_codes

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


class ExactEntityTypes:
    """A type resolver for ``_Entity`` that names an object's type by its Strawberry
    definition when that definition is one of the union's own (non-generic) members: the
    answer Strawberry's resolver gives such an object, found in one lookup. Anything else
    (an object cast with ``strawberry.cast``, a generic type, a plain value) goes to
    Strawberry's resolver."""

    def __init__(self, union: GraphQLUnionType) -> None:
        assert union.resolve_type is not None
        self._strawberry = union.resolve_type
        # id(definition) -> (definition, type name); the definition is kept, so its id
        # cannot be taken for another's.
        self._names: dict[int, tuple[Any, str]] = {}
        for member in union.types:
            definition = (member.extensions or {}).get(_DEFINITION)
            if definition is not None and getattr(definition, "concrete_of", None) is None:
                self._names[id(definition)] = (definition, member.name)

    def __call__(self, root: Any, info: Any, abstract_type: Any) -> Any:
        definition = getattr(type(root), "__strawberry_definition__", None)
        if definition is not None and not hasattr(root, TYPE_CAST_ATTRIBUTE):
            found = self._names.get(id(definition))
            if found is not None and found[0] is definition:
                return found[1]
        return self._strawberry(root, info, abstract_type)


class SubgraphSchema(strawberry.federation.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entity = self._schema.type_map.get("_Entity")
        if isinstance(entity, GraphQLUnionType) and entity.resolve_type is not None:
            entity.resolve_type = ExactEntityTypes(entity)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Instead of Strawberry's default (every error logged with its own text): the
        # unexpected ones are logged with their traceback under the reference the client
        # sees; errors in a client's document or raised on purpose are not server faults.
        give_codes(errors)
