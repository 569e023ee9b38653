"""A cheaper way through graphql-core for the plainest fields: attributes that are scalars.

graphql-core treats every field alike: it builds a resolve-info tuple, calls the field's
resolver (for a Strawberry field without a resolver that is Strawberry's wrapper around
``getattr``), asks twice whether the result is awaitable and walks ``complete_value``'s
type checks before the scalar serialises its value. A department week has ~4,000 such
fields (title, start, end of each occurrence), and that machinery was a third of the
calendar subgraph's CPU (``benchmarks/calendar_week.py --profile``).

``PlainFieldExecutionContext`` gives a field the short way only when the outcome is the
same: no arguments, no middleware, Strawberry's plain attribute resolver (no resolver
function, no permission classes or field extensions, no exception handlers), a scalar or
enum return type. Typing stays as strict: the value still goes through the type's
``coerce_output_value``. Anything unusual (a null in a non-null field, a value the scalar refuses,
an exception) goes the ordinary way, which reports it with graphql-core's own error.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

_DEFINITION = "strawberry-definition"
# Strawberry's resolver for a field with no resolver function of its own (schema_converter).
_PLAIN_RESOLVER = "_get_basic_result"

# id(GraphQLField) -> (the field, how to read it or None); the field is kept so an id
# is never taken for another field's (schemas are built again in tests).
_plans: dict[int, tuple[GraphQLField, tuple[Any, str, Any, bool] | None]] = {}


def plain_attribute(field_def: GraphQLField) -> tuple[Any, str, Any, bool] | None:
    """(Strawberry field, attribute, leaf type, nullable) for a plain scalar attribute."""
    entry = _plans.get(id(field_def))
    if entry is not None and entry[0] is field_def:
        return entry[1]
    plan = None
    resolve = field_def.resolve
    strawberry_field = (field_def.extensions or {}).get(_DEFINITION)
    return_type: Any = field_def.type
    nullable = not isinstance(return_type, GraphQLNonNull)
    leaf = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    if (
        strawberry_field is not None
        and resolve is not None
        and getattr(resolve, "__name__", "") == _PLAIN_RESOLVER
        and getattr(resolve, "_is_default", False)
        and strawberry_field.is_basic_field
        and not field_def.args
        and is_leaf_type(leaf)
    ):
        plan = (strawberry_field, strawberry_field.python_name, leaf, nullable)
    _plans[id(field_def)] = (field_def, plan)
    return plan


class PlainFieldExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, with plain scalar attributes read directly."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        # Strawberry always passes a manager, empty unless an extension hooks `resolve`.
        middleware = self.middleware_manager
        if middleware is None or not middleware.middlewares:
            node = field_details_list[0].node
            field_def = self.schema.get_field(parent_type, node.name.value)
            plan = (
                plain_attribute(field_def) if field_def is not None and not node.arguments else None
            )
            if plan is not None:
                strawberry_field, attribute, leaf, nullable = plan
                try:
                    value = strawberry_field.default_resolver(source, attribute)
                    if value is None:
                        if nullable:
                            return None
                    elif not isinstance(value, Exception):
                        coerced = leaf.coerce_output_value(value)
                        if coerced is not None and coerced is not Undefined:
                            return coerced
                except Exception:  # noqa: S110 - the ordinary way below reports it
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
