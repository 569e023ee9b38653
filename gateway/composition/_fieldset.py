"""Field sets (the ``fields:`` of @key, @requires and @provides): parsing and checking."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from graphql import GraphQLSyntaxError, parse
from graphql.language import ast

# A field set is read as the selection set of an anonymous query: "id org { id }".


def parse_field_set(text: str) -> ast.SelectionSetNode:
    """Parse ``text`` as a selection set; raises ValueError with the reason."""
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLSyntaxError as error:
        raise ValueError(error.message) from None
    operation = document.definitions[0]
    if len(document.definitions) != 1 or not isinstance(operation, ast.OperationDefinitionNode):
        raise ValueError("a field set is a single selection set")
    return operation.selection_set


@dataclass
class FieldSetVisit:
    """What a field set selects: every (type, field) it reaches, and the problems."""

    selected: list[tuple[str, str]] = field(default_factory=list)  # every level
    top_level: list[tuple[str, str]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (error code, message)


@dataclass(frozen=True)
class FieldInfo:
    """What the walker needs to know about one field of the subgraph."""

    has_arguments: bool
    return_type: str  # base (named) type
    external: bool


@dataclass
class FieldSetContext:
    """Lookups into one subgraph, supplied by the subgraph model."""

    kind_of: Callable[[str], str | None]  # type name -> OBJECT / INTERFACE / ... / None
    field_of: Callable[[str, str], FieldInfo | None]
    possible_types: Callable[[str], set[str]]  # abstract type -> object types


def visit_field_set(
    directive: str,  # key / requires / provides
    prefix: str,  # 'On type "T", for @key(fields: "id"): '
    parent: str,
    selection_set: ast.SelectionSetNode,
    context: FieldSetContext,
) -> FieldSetVisit:
    visit = FieldSetVisit()
    code_invalid = f"{directive.upper()}_INVALID_FIELDS"
    if directive == "key":
        missing_hint = (
            "the field should either be added to this subgraph or, if it should not be"
            " resolved by this subgraph, you need to add it to this subgraph with @external"
        )
    else:
        missing_hint = (
            "if the field is defined in another subgraph, you need to add it to this subgraph"
            " with @external"
        )

    def walk(type_name: str, selections: ast.SelectionSetNode, depth: int) -> None:
        for selection in selections.selections:
            if isinstance(selection, ast.FragmentSpreadNode):
                visit.problems.append(
                    (code_invalid, f"{prefix}fragment spreads are not allowed in a field set")
                )
                continue
            if selection.directives:
                visit.problems.append(
                    (
                        f"{directive.upper()}_DIRECTIVE_IN_FIELDS_ARG",
                        f"{prefix}cannot have directive applications in the @{directive}"
                        f"(fields:) argument",
                    )
                )
                continue
            if isinstance(selection, ast.InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                target = condition or type_name
                if context.kind_of(target) is None:
                    visit.problems.append((code_invalid, f'{prefix}Unknown type "{target}"'))
                    continue
                if target != type_name and target not in context.possible_types(type_name):
                    visit.problems.append(
                        (
                            code_invalid,
                            f"{prefix}Fragment cannot be spread here as objects of type"
                            f' "{type_name}" can never be of type "{target}".',
                        )
                    )
                    continue
                walk(target, selection.selection_set, depth)
                continue
            assert isinstance(selection, ast.FieldNode)
            name = selection.name.value
            if selection.alias is not None:
                visit.problems.append(
                    (code_invalid, f'{prefix}aliases are not allowed in a field set ("{name}")')
                )
                continue
            if name == "__typename":
                if directive == "key":
                    visit.problems.append(
                        (code_invalid, f'{prefix}"__typename" is not allowed in a @key')
                    )
                continue
            info = context.field_of(type_name, name)
            if info is None:
                visit.problems.append(
                    (
                        code_invalid,
                        f'{prefix}Cannot query field "{name}" on type "{type_name}"'
                        f" ({missing_hint}).",
                    )
                )
                continue
            coordinate = f"{type_name}.{name}"
            # Since federation 2.1.1 a @requires may select fields with arguments.
            if directive != "requires" and (info.has_arguments or selection.arguments):
                visit.problems.append(
                    (
                        f"{directive.upper()}_FIELDS_HAS_ARGS",
                        f"{prefix}field {coordinate} cannot be included because it has arguments"
                        f" (fields with argument are not allowed in @{directive})",
                    )
                )
                continue
            kind = context.kind_of(info.return_type)
            if directive == "key" and kind in ("INTERFACE", "UNION"):
                label = "Interface" if kind == "INTERFACE" else "Union"
                visit.problems.append(
                    (
                        "KEY_FIELDS_SELECT_INVALID_TYPE",
                        f'{prefix}field "{coordinate}" is a {label} type which is not allowed'
                        " in @key",
                    )
                )
                continue
            composite = kind in ("OBJECT", "INTERFACE", "UNION")
            if composite and selection.selection_set is None:
                visit.problems.append(
                    (
                        code_invalid,
                        f'{prefix}Invalid empty selection set for field "{coordinate}" of'
                        f" non-leaf type {info.return_type}",
                    )
                )
                continue
            if not composite and selection.selection_set is not None:
                visit.problems.append(
                    (
                        code_invalid,
                        f'{prefix}Field "{name}" must not have a selection since type'
                        f' "{info.return_type}" has no subfields.',
                    )
                )
                continue
            visit.selected.append((type_name, name))
            if depth == 0:
                visit.top_level.append((type_name, name))
            if selection.selection_set is not None:
                walk(info.return_type, selection.selection_set, depth + 1)

    walk(parent, selection_set, 0)
    return visit


def external_problems(
    directive: str,
    prefix: str,
    parent: str,
    selection_set: ast.SelectionSetNode,
    context: FieldSetContext,
) -> list[tuple[str, str]]:
    """Fields of a @requires / @provides that this subgraph already resolves itself.

    A selected field must be @external, unless it sits below an @external field, or it is
    an object-typed local field whose own sub-selection reaches external fields.
    """
    offending: list[tuple[str, str]] = []

    def walk(type_name: str, selections: ast.SelectionSetNode, under_external: bool) -> None:
        for selection in selections.selections:
            if isinstance(selection, ast.InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                walk(condition or type_name, selection.selection_set, under_external)
                continue
            if not isinstance(selection, ast.FieldNode) or selection.name.value == "__typename":
                continue
            info = context.field_of(type_name, selection.name.value)
            if info is None:
                continue
            if info.external or under_external:
                if selection.selection_set is not None:
                    walk(info.return_type, selection.selection_set, True)
                continue
            if selection.selection_set is not None:
                walk(info.return_type, selection.selection_set, False)
                continue
            offending.append((type_name, selection.name.value))

    walk(parent, selection_set, False)
    code = f"{directive.upper()}_FIELDS_MISSING_EXTERNAL"
    return [
        (
            code,
            f'{prefix}field "{type_name}.{name}" should not be part of a @{directive} since it is'
            " already provided by this subgraph (it is not marked @external)",
        )
        for type_name, name in offending
    ]


def without_fields(
    selection_set: ast.SelectionSetNode,
    parent: str,
    drop: set[tuple[str, str]],
    context: FieldSetContext,
) -> str:
    """Print the field set again, leaving out the top-level ``drop`` fields (fed1 upgrade)."""
    parts: list[str] = []
    for selection in selection_set.selections:
        if isinstance(selection, ast.FieldNode) and (parent, selection.name.value) in drop:
            continue
        parts.append(_print_selection(selection))
    return " ".join(parts)


def _print_selection(selection: ast.SelectionNode) -> str:
    if isinstance(selection, ast.FieldNode):
        text = selection.name.value
        if selection.selection_set is not None:
            inner = " ".join(_print_selection(s) for s in selection.selection_set.selections)
            text += " { " + inner + " }"
        return text
    if isinstance(selection, ast.InlineFragmentNode):
        condition = selection.type_condition.name.value if selection.type_condition else ""
        inner = " ".join(_print_selection(s) for s in selection.selection_set.selections)
        return ("... on " + condition if condition else "...") + " { " + inner + " }"
    return ""
