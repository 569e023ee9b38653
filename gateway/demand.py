"""Demand control: the cost of an operation from the supergraph's ``@cost`` and
``@listSize`` (the IBM GraphQL cost directive specification, as Apollo Router applies it).

Used when the supergraph carries them (``@link(url: "https://specs.apollo.dev/cost/…")``);
then this estimate, not Yui's own list model (``gateway.limits``), is checked against
``Limits.max_cost``. Yui's own supergraph has no ``@cost``, so its limits are unchanged.

The estimate, per field of the operation (fragments expanded):

- a field's own weight: its ``@cost(weight:)``, else its return type's ``@cost``, else 1
  for an object, interface or union and 0 for a scalar or enum; a root mutation field
  weighs 10;
- plus the ``@cost`` of each argument given;
- a list multiplies its type weight and its selections' cost by its size: the largest
  ``slicingArguments`` value given (literal or variable), else ``assumedSize``, else
  ``Limits.default_list_size``; with ``sizedFields`` the size applies to those child
  fields instead (connections: ``edges``, ``nodes``);
- ``requireOneSlicingArgument`` (default true) asks for exactly one slicing argument, as
  the specification says: anything else is refused (``GRAPHQL_VALIDATION_FAILED``);
- for an abstract type, the costliest of the type conditions is counted.

Over the limit: ``COST_ESTIMATED_TOO_EXPENSIVE`` with the estimate, Apollo Router's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationType,
    get_named_type,
    is_composite_type,
    value_from_ast_untyped,
)
from graphql.language import ast
from graphql.pyutils import Undefined

from gateway.limits import Limits, Refused, error
from gateway.supergraph import Supergraph

COST_SPEC = "https://specs.apollo.dev/cost/"
MUTATION_WEIGHT = 10


@dataclass(frozen=True)
class ListSize:
    assumed_size: int | None = None
    slicing_arguments: tuple[str, ...] = ()
    sized_fields: tuple[str, ...] = ()
    require_one_slicing_argument: bool = True


def _directive_args(directive: ast.ConstDirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


class DemandControl:
    def __init__(self, supergraph: Supergraph, limits: Limits):
        self.schema: GraphQLSchema = supergraph.api_schema
        self.max_cost = limits.max_cost
        self.default_list_size = limits.default_list_size
        names = {"cost": "cost", "listSize": "listSize", "cost__listSize": "listSize"}
        self.type_weights: dict[str, int] = {}
        self.field_weights: dict[tuple[str, str], int] = {}
        self.argument_weights: dict[tuple[str, str, str], int] = {}
        self.list_sizes: dict[tuple[str, str], ListSize] = {}
        self._fixed: dict[int, tuple[ast.DocumentNode, int]] = {}
        self.active = any(
            isinstance(d, ast.SchemaDefinitionNode | ast.SchemaExtensionNode)
            and any(
                str(_directive_args(link).get("url", "")).startswith(COST_SPEC)
                for link in d.directives or ()
            )
            for d in supergraph.document.definitions
        )
        if not self.active:
            return
        for definition in supergraph.document.definitions:
            if not isinstance(definition, ast.TypeDefinitionNode | ast.TypeExtensionNode):
                continue
            type_name = definition.name.value  # type: ignore[attr-defined]
            weight = _weight(definition.directives, names)  # type: ignore[attr-defined]
            if weight is not None:
                self.type_weights[type_name] = weight
            for fdef in getattr(definition, "fields", None) or ():
                coordinate = (type_name, fdef.name.value)
                weight = _weight(fdef.directives, names)
                if weight is not None:
                    self.field_weights[coordinate] = weight
                for argument in getattr(fdef, "arguments", None) or ():
                    weight = _weight(argument.directives, names)
                    if weight is not None:
                        self.argument_weights[(*coordinate, argument.name.value)] = weight
                for directive in fdef.directives or ():
                    if names.get(directive.name.value) == "listSize":
                        args = _directive_args(directive)
                        self.list_sizes[coordinate] = ListSize(
                            args.get("assumedSize"),
                            tuple(args.get("slicingArguments") or ()),
                            tuple(args.get("sizedFields") or ()),
                            args.get("requireOneSlicingArgument", True) is not False,
                        )

    # --- the estimate ----------------------------------------------------------------------

    def estimate(
        self,
        document: ast.DocumentNode,
        operation: ast.OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> int:
        fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, ast.FragmentDefinitionNode)
        }
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        walk = _Walk(self, fragments, variables, operation.operation == OperationType.MUTATION)
        return walk.selections(operation.selection_set, root, None, root=True)

    def check(
        self,
        document: ast.DocumentNode,
        operation: ast.OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> int:
        """The estimate; raises ``Refused`` over ``max_cost`` (memoised without variables)."""
        cached = self._fixed.get(id(document))
        if cached is not None and cached[0] is document:
            cost = cached[1]
        else:
            cost = self.estimate(document, operation, variables)
            if not operation.variable_definitions:
                if len(self._fixed) > 2000:
                    self._fixed.clear()
                self._fixed[id(document)] = (document, cost)
        if cost > self.max_cost:
            raise Refused(
                [
                    error(
                        f"The operation's estimated cost is {cost} (at most {self.max_cost}).",
                        "COST_ESTIMATED_TOO_EXPENSIVE",
                        cost=cost,
                    )
                ]
            )
        return cost


def _default(argument: Any) -> Any:
    """An argument's default value (the SDL's, which graphql-core keeps on the AST)."""
    if argument.default_value is not Undefined:
        return argument.default_value
    node = argument.ast_node
    if node is not None and node.default_value is not None:
        return value_from_ast_untyped(node.default_value)
    return None


def _weight(directives: Any, names: Mapping[str, str]) -> int | None:
    for directive in directives or ():
        if names.get(directive.name.value) == "cost":
            weight = _directive_args(directive).get("weight")
            if isinstance(weight, int):
                return weight
    return None


class _Walk:
    def __init__(
        self,
        demand: DemandControl,
        fragments: Mapping[str, ast.FragmentDefinitionNode],
        variables: Mapping[str, Any],
        mutation: bool,
    ):
        self.demand = demand
        self.fragments = fragments
        self.variables = variables
        self.mutation = mutation

    def value(self, node: ast.ValueNode) -> Any:
        if isinstance(node, ast.VariableNode):
            return self.variables.get(node.name.value)
        return value_from_ast_untyped(node, dict(self.variables))

    def selections(
        self,
        selection_set: ast.SelectionSetNode,
        parent: Any,
        sized: tuple[tuple[str, ...], int] | None,
        root: bool = False,
        spreading: frozenset[str] = frozenset(),
    ) -> int:
        """Fields add up; fragments on other type conditions count the costliest."""
        total = 0
        conditional: dict[str, int] = {}
        for selection in selection_set.selections:
            if isinstance(selection, ast.FieldNode):
                total += self.field(selection, parent, sized, root)
                continue
            if isinstance(selection, ast.FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None or fragment.name.value in spreading:
                    continue
                condition_name = fragment.type_condition.name.value
                inner = fragment.selection_set
                spreading = spreading | {fragment.name.value}
            else:
                assert isinstance(selection, ast.InlineFragmentNode)
                condition_name = (
                    selection.type_condition.name.value if selection.type_condition else parent.name
                )
                inner = selection.selection_set
            condition = self.demand.schema.get_type(condition_name) or parent
            cost = self.selections(inner, condition, sized, root, spreading)
            if condition_name == parent.name:
                total += cost
            else:
                conditional[condition_name] = conditional.get(condition_name, 0) + cost
        return total + max(conditional.values(), default=0)

    def field(
        self,
        node: ast.FieldNode,
        parent: Any,
        sized: tuple[tuple[str, ...], int] | None,
        root: bool,
    ) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        fdef = getattr(parent, "fields", {}).get(name)
        if fdef is None:
            return 0
        demand = self.demand
        coordinate = (parent.name, name)
        named = get_named_type(fdef.type)
        weight = demand.field_weights.get(coordinate)
        if weight is None:
            weight = demand.type_weights.get(named.name)
        if weight is None:
            weight = MUTATION_WEIGHT if root and self.mutation else int(is_composite_type(named))
        arguments = 0
        given: dict[str, Any] = {}
        for argument in node.arguments or ():
            given[argument.name.value] = self.value(argument.value)
            arguments += demand.argument_weights.get((*coordinate, argument.name.value), 0)
        for argument_name, argument_def in fdef.args.items():
            if given.get(argument_name) is None:
                default = _default(argument_def)
                if default is not None:
                    given[argument_name] = default  # a default counts as given
        list_size = demand.list_sizes.get(coordinate)
        size = self.size(list_size, given, coordinate)
        inner_sized = None
        if list_size is not None and list_size.sized_fields:
            inner_sized = (list_size.sized_fields, size)
        children = 0
        if node.selection_set is not None:
            children = self.selections(node.selection_set, named, inner_sized)
        field_type = fdef.type.of_type if isinstance(fdef.type, GraphQLNonNull) else fdef.type
        multiplier = 1
        if sized is not None and name in sized[0]:
            multiplier = sized[1]
        elif isinstance(field_type, GraphQLList) and not (
            list_size is not None and list_size.sized_fields
        ):
            multiplier = size
        return (weight + children) * multiplier + arguments

    def size(self, list_size: ListSize | None, given: Mapping[str, Any], coordinate: Any) -> int:
        default = self.demand.default_list_size
        if list_size is None:
            return default
        slicing = [given[a] for a in list_size.slicing_arguments if given.get(a) is not None]
        if (
            list_size.slicing_arguments
            and list_size.require_one_slicing_argument
            and len(slicing) != 1
        ):
            raise Refused(
                [
                    error(
                        f"{coordinate[0]}.{coordinate[1]} needs exactly one of the"
                        f" arguments {', '.join(list_size.slicing_arguments)}.",
                        "GRAPHQL_VALIDATION_FAILED",
                    )
                ]
            )
        sizes = [int(v) for v in slicing if isinstance(v, int)]
        if sizes:
            return max(sizes)
        if list_size.assumed_size is not None:
            return int(list_size.assumed_size)
        return default
