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

An object whose selection holds nothing but such fields (and ``__typename``), as each of
a week's occurrences (``title start end``) does, is read in one loop without graphql-core's
per-field steps (a response path, a call, an awaitable check per field): the selection's
plan is worked out once per operation. When any of its values is unusual the whole object
goes the ordinary way, which reads the same attributes again and reports what is wrong.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter

_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
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
        if isinstance(leaf, CustomGraphQLEnumType):
            leaf = _EnumNames(leaf)
        plan = (strawberry_field, strawberry_field.python_name, leaf, nullable)
    _plans[id(field_def)] = (field_def, plan)
    return plan


class _EnumNames:
    """A Strawberry enum's ``coerce_output_value`` for the values a resolver returns, its
    Python enum's members, by one dictionary lookup. Strawberry's compares the member's
    ``.value`` with each GraphQL value in turn (Python's enum ``.value`` is a descriptor,
    slow to read): 1.13 µs against 0.15 µs for a presence status, measured alone; small
    beside a delivery's 250 µs, but paid for every enum value of every event and row.
    Anything else (a raw value) still goes to Strawberry's own."""

    def __init__(self, enum_type: CustomGraphQLEnumType) -> None:
        self.enum_type = enum_type
        self.wrapped_cls: Any = enum_type.wrapped_cls
        self.names: dict[Any, str] = {}
        members: list[Any] = list(self.wrapped_cls)
        for member in members:
            for name, value in enum_type.values.items():
                if member.value == value.value:  # the first, as Strawberry's loop finds
                    self.names[member] = name
                    break

    def coerce_output_value(self, value: Any) -> Any:
        if type(value) is self.wrapped_cls:
            name = self.names.get(value)
            if name is not None:
                return name
        return self.enum_type.coerce_output_value(value)


# A selection's plan: per response name, how to read it; None for `__typename`.
_ObjectPlan = tuple[tuple[str, tuple[Any, str, Any, bool] | None], ...]


class PlainFieldExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's execution, with plain scalar attributes read directly."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(grouped field set) -> (that set, its type, its plan or None). graphql-core
        # memoises the sets of one operation, so the objects of one list share one;
        # keeping the set alive here means its id cannot stand for another set.
        self._object_plans: dict[int, tuple[Any, GraphQLObjectType, _ObjectPlan | None]] = {}
        # (object type, id of each field node) -> collected subfields (collect_subfields);
        # shared with the executors of a subscription's events, which are shallow copies.
        self._subfields: dict[tuple[Any, ...], Any] = {}

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: Any) -> Any:
        """graphql-core's subfields of an object, remembered by the field nodes of the
        operation (the same for every event of a subscription) rather than by the identity
        of the list holding them (a new list for every event).

        graphql-core remembers them by the list's identity, in a dictionary that the
        executors of a subscription's events share: so each event collected every object's
        subfields again and added its entries for good: about 3 KiB per event and
        subscriber of presence, so the embedded server grew by 3.1 MiB per change with
        1,000 subscribers (``benchmarks.subscriptions``). Here the key is the nodes, which
        the operation's document holds for as long as the executor, so it has one entry
        per selection of the document. Lists with @defer usages or fragment variables
        (made afresh per collection) keep graphql-core's own way."""
        nodes = []
        for details in field_details_list:
            if details.defer_usage is not None or details.fragment_variable_values is not None:
                return super().collect_subfields(return_type, field_details_list)
            nodes.append(id(details.node))
        key = (return_type, *nodes)
        found = self._subfields.get(key)
        if found is None:
            found = self._subfields[key] = super().collect_subfields(
                return_type, field_details_list
            )
        return found

    def _object_plan(self, parent_type: GraphQLObjectType, fields: Any) -> _ObjectPlan | None:
        entry = self._object_plans.get(id(fields))
        if entry is not None and entry[0] is fields and entry[1] is parent_type:
            return entry[2]
        found = self._plan_of(parent_type, fields)
        self._object_plans[id(fields)] = (fields, parent_type, found)
        return found

    def _plan_of(self, parent_type: GraphQLObjectType, fields: Any) -> _ObjectPlan | None:
        steps: list[tuple[str, tuple[Any, str, Any, bool] | None]] = []
        for response_name, field_details_list in fields.items():
            node = field_details_list[0].node
            if len(field_details_list) != 1 or node.directives or node.arguments:
                return None
            if node.name.value == "__typename":
                steps.append((response_name, None))
                continue
            field_def = self.schema.get_field(parent_type, node.name.value)
            plan = plain_attribute(field_def) if field_def is not None else None
            if plan is None:  # also every field with a selection of its own
                return None
            steps.append((response_name, plan))
        return tuple(steps) or None

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        middleware = self.middleware_manager
        # Not for the root object (no path): one per operation, nothing to share, and its
        # field set is new for every event of a subscription.
        if (
            path is not None
            and position_context is None
            and (middleware is None or not middleware.middlewares)
        ):
            steps = self._object_plan(parent_type, grouped_field_set)
            if steps is not None:
                results = _read_plain(parent_type, source_value, steps)
                if results is not None:
                    return results
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

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
                value = _plain_value(plan, source)
                if value is not _ORDINARY:
                    return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


# What `_plain_value` answers when the value needs graphql-core's ordinary way.
_ORDINARY = object()


def _plain_value(plan: tuple[Any, str, Any, bool], source: Any) -> Any:
    """A plain attribute's serialised value, or ``_ORDINARY`` for anything unusual (a null
    in a non-null field, a value the scalar refuses, an exception): the ordinary way then
    reads it again and reports it with graphql-core's own error."""
    strawberry_field, attribute, leaf, nullable = plan
    try:
        value = strawberry_field.default_resolver(source, attribute)
        if value is None:
            return None if nullable else _ORDINARY
        if isinstance(value, Exception):
            return _ORDINARY
        coerced = leaf.coerce_output_value(value)
    except Exception:
        return _ORDINARY
    return _ORDINARY if coerced is None or coerced is Undefined else coerced


def _read_plain(parent_type: GraphQLObjectType, source: Any, steps: _ObjectPlan) -> Any:
    """The object's answer, or None when a value needs the ordinary way."""
    results: dict[str, Any] = {}
    for response_name, plan in steps:
        value = parent_type.name if plan is None else _plain_value(plan, source)
        if value is _ORDINARY:
            return None
        results[response_name] = value
    return results
