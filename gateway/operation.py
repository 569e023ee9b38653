"""Client operations, normalised for planning and result shaping.

Named fragments are inlined, so a selection is a tree of ``Field`` and ``Fragment``
(inline fragment) nodes. Arguments and directives keep their AST and a printed form, so
subgraph documents are assembled from strings without re-printing the client's AST.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graphql import print_ast
from graphql.language import ast

Selection = "Field | Fragment"


@dataclass(eq=False, slots=True)
class Field:
    name: str
    alias: str | None = None
    arguments: tuple[ast.ArgumentNode, ...] = ()
    directives: tuple[ast.DirectiveNode, ...] = ()
    selections: list[Field | Fragment] | None = None
    args_text: str = ""
    directives_text: str = ""
    variables: frozenset[str] = frozenset()
    internal: bool = False  # added by the planner (keys, requirements), never shown
    # Set when the planner renamed the field in a subgraph document to avoid a conflict;
    # the executor puts the value back under this key.
    original_key: str | None = None

    @property
    def key(self) -> str:
        return self.alias or self.name

    def copy(self, selections: list[Field | Fragment] | None = None, **changes: Any) -> Field:
        clone = Field(
            name=self.name,
            alias=self.alias,
            arguments=self.arguments,
            directives=self.directives,
            selections=selections if selections is not None else self.selections,
            args_text=self.args_text,
            directives_text=self.directives_text,
            variables=self.variables,
            internal=self.internal,
        )
        for name, value in changes.items():
            setattr(clone, name, value)
        return clone

    def signature(self) -> tuple[str, str, str]:
        """Fields with the same signature merge into one in a selection set."""
        return (self.key, self.name + self.args_text, self.directives_text)


@dataclass(eq=False, slots=True)
class Fragment:
    type_condition: str | None
    directives: tuple[ast.DirectiveNode, ...] = ()
    selections: list[Field | Fragment] = field(default_factory=list)
    directives_text: str = ""
    variables: frozenset[str] = frozenset()


def variables_in(nodes: Iterable[ast.Node]) -> frozenset[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, ast.VariableNode):
            found.add(node.name.value)
            return
        if isinstance(node, ast.Node):
            for key in node.keys:
                value = getattr(node, key, None)
                if isinstance(value, tuple | list):
                    for item in value:
                        walk(item)
                elif isinstance(value, ast.Node):
                    walk(value)

    for node in nodes:
        walk(node)
    return frozenset(found)


def _directives_text(directives: tuple[ast.DirectiveNode, ...]) -> str:
    return "".join(" " + print_ast(d) for d in directives)


def normalize_selections(
    selection_set: ast.SelectionSetNode | None,
    fragments: dict[str, ast.FragmentDefinitionNode],
) -> list[Field | Fragment]:
    if selection_set is None:
        return []
    result: list[Field | Fragment] = []
    for node in selection_set.selections:
        if isinstance(node, ast.FieldNode):
            arguments = tuple(node.arguments or ())
            directives = tuple(node.directives or ())
            result.append(
                Field(
                    name=node.name.value,
                    alias=node.alias.value if node.alias else None,
                    arguments=arguments,
                    directives=directives,
                    selections=(
                        normalize_selections(node.selection_set, fragments)
                        if node.selection_set
                        else None
                    ),
                    args_text=(
                        "(" + ", ".join(print_ast(a) for a in arguments) + ")" if arguments else ""
                    ),
                    directives_text=_directives_text(directives),
                    variables=variables_in((*arguments, *directives)),
                )
            )
        elif isinstance(node, ast.InlineFragmentNode):
            directives = tuple(node.directives or ())
            result.append(
                Fragment(
                    type_condition=node.type_condition.name.value if node.type_condition else None,
                    directives=directives,
                    selections=normalize_selections(node.selection_set, fragments),
                    directives_text=_directives_text(directives),
                    variables=variables_in(directives),
                )
            )
        elif isinstance(node, ast.FragmentSpreadNode):
            definition = fragments[node.name.value]
            directives = tuple(node.directives or ())
            result.append(
                Fragment(
                    type_condition=definition.type_condition.name.value,
                    directives=directives,
                    selections=normalize_selections(definition.selection_set, fragments),
                    directives_text=_directives_text(directives),
                    variables=variables_in(directives),
                )
            )
    return result


def print_selections(selections: Iterable[Field | Fragment]) -> str:
    parts = []
    for sel in selections:
        if isinstance(sel, Field):
            head = f"{sel.alias}: {sel.name}" if sel.alias else sel.name
            text = head + sel.args_text + sel.directives_text
            if sel.selections is not None:
                text += " " + print_selections(sel.selections)
            parts.append(text)
        else:
            condition = f" on {sel.type_condition}" if sel.type_condition else ""
            parts.append(f"...{condition}{sel.directives_text} {print_selections(sel.selections)}")
    return "{ " + " ".join(parts) + " }"


def variables_used(selections: Iterable[Field | Fragment]) -> set[str]:
    found: set[str] = set()
    stack = list(selections)
    while stack:
        sel = stack.pop()
        found |= sel.variables
        if sel.selections:
            stack.extend(sel.selections)
    return found


def iter_fields(selections: Iterable[Field | Fragment]) -> Iterator[Field]:
    for sel in selections:
        if isinstance(sel, Field):
            yield sel
        else:
            yield from iter_fields(sel.selections)


def field_set_selections(selection_set: ast.SelectionSetNode) -> list[Field | Fragment]:
    """A @key / @requires / @provides field set as planner-internal selections."""
    selections = normalize_selections(selection_set, {})

    def mark(items: list[Field | Fragment]) -> None:
        for item in items:
            if isinstance(item, Field):
                item.internal = True
            if item.selections:
                mark(item.selections)

    mark(selections)
    return selections
