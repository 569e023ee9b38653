"""``@defer``: the top of an answer at once, the deferred fragments after it.

A client that accepts incremental delivery (``multipart/mixed`` over HTTP, several ``next``
messages over a WebSocket or SSE) and marks fragments ``@defer`` gets two payloads: the
operation without the deferred fragments (``hasNext: true``), then one payload with an
``incremental`` item per place a deferred fragment applies (its ``path``, ``label`` and
the fragment's fields as ``data``), ``hasNext: false``. This is the format of
``deferSpec=20220824``, which Apollo Router sends and Apollo Client, urql and Relay read.

How it runs: the document is split in two, and both are ordinary documents, planned and
cached as any other (``Gateway.prepare``):

- the **primary** document leaves the deferred fragments out (variables and fragment
  definitions that only they used go too);
- the **complete** document keeps every fragment, without ``@defer``.

Both ask ``__typename`` under an internal alias in every selection set that holds a
fragment: it tells which fragments apply to an object (type conditions on interfaces and
unions), keeps a selection set whose only content was deferred valid, and is taken out of
every answer. Both start at once. Where the deferred fragments apply (their paths) is read
off the primary answer, which is then sent; each item's fields are read out of the
complete answer at that path. A place the complete answer lost (an error's null reached
it) is an item with ``data: null`` and the errors. Fields of the primary part are therefore
fetched twice: the simple design costs subgraph work, not latency, and a deferred item is
always consistent within itself. A nested ``@defer`` arrives with its enclosing one (the
spec lets a server deliver a deferred fragment earlier than asked). ``@defer(if: false)``
is not deferred; ``if`` may be a variable. Mutations and subscriptions run with ``@defer``
ignored, as does a client that does not accept incremental delivery: it gets one answer.

``@defer`` is not in the API schema Yui publishes (it is not a type-system change);
``strip`` checks where it is used before validation sees the document.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql.language import ast

DEFER = "defer"
# The internal alias of the __typename both documents ask. A client could write it too
# (a name may not start with "__", so it ends with it): in an operation that defers, a
# field of its own under this alias would be taken out of the answer.
TYPENAME = "yuiDeferType__"


class DeferMisused(Exception):
    """``@defer`` where the spec does not allow it (the request is refused)."""


# ``@`` then the name ``defer``, with what GraphQL ignores between tokens in between
# (white space, line ends, commas, a byte order mark, comments).
_DEFER_DIRECTIVE = re.compile(r"@(?:[\s,\ufeff]|#[^\n\r]*)*defer(?![_0-9A-Za-z])")


def uses_defer(text: str) -> bool:
    """A cheap first look: documents without ``@defer`` take the ordinary path untouched.
    It may say yes too often (``"@defer"`` inside a string), never too rarely."""
    return _DEFER_DIRECTIVE.search(text) is not None


def _defer_of(node: Any) -> ast.DirectiveNode | None:
    for directive in node.directives or ():
        if directive.name.value == DEFER:
            return directive
    return None


def _without_defer(node: Any) -> tuple[ast.DirectiveNode, ...]:
    return tuple(d for d in node.directives or () if d.name.value != DEFER)


def _argument(directive: ast.DirectiveNode, name: str) -> ast.ValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def is_deferred(directive: ast.DirectiveNode | None, variables: Mapping[str, Any]) -> bool:
    """Whether a fragment with this ``@defer`` is deferred (``if`` absent or true)."""
    if directive is None:
        return False
    condition = _argument(directive, "if")
    if condition is None:
        return True
    if isinstance(condition, ast.BooleanValueNode):
        return bool(condition.value)
    if isinstance(condition, ast.VariableNode):
        return variables.get(condition.name.value) is not False
    return True


def _label(directive: ast.DirectiveNode) -> str | None:
    label = _argument(directive, "label")
    return label.value if isinstance(label, ast.StringValueNode) else None


def check(document: ast.DocumentNode) -> None:
    """Refuses ``@defer`` on anything but a fragment spread or an inline fragment, and
    arguments other than ``label`` (a string) and ``if``."""

    def visit(node: Any) -> None:
        directive = _defer_of(node)
        if directive is not None:
            if not isinstance(node, ast.FragmentSpreadNode | ast.InlineFragmentNode):
                raise DeferMisused(
                    "@defer may only be used on fragment spreads and inline fragments."
                )
            for argument in directive.arguments or ():
                if argument.name.value not in {"label", "if"}:
                    raise DeferMisused(f'@defer has no argument "{argument.name.value}".')
            label = _argument(directive, "label")
            if label is not None and not isinstance(label, ast.StringValueNode):
                raise DeferMisused("@defer(label:) takes a string.")
        for selection in getattr(getattr(node, "selection_set", None), "selections", ()) or ():
            visit(selection)

    for definition in document.definitions:
        if isinstance(definition, ast.ExecutableDefinitionNode):
            visit(definition)  # an operation or fragment definition with @defer is refused


def _map_selections(
    selection_set: ast.SelectionSetNode | None, change: Any
) -> ast.SelectionSetNode | None:
    if selection_set is None:
        return None
    selections: list[ast.SelectionNode] = []
    for selection in selection_set.selections:
        changed = change(selection)
        if changed is not None:
            selections.append(changed)
    return ast.SelectionSetNode(selections=tuple(selections))


def _typename(alias: str) -> ast.FieldNode:
    return ast.FieldNode(
        alias=ast.NameNode(value=alias),
        name=ast.NameNode(value="__typename"),
        arguments=(),
        directives=(),
    )


def strip(document: ast.DocumentNode, checked: bool = False) -> ast.DocumentNode:
    """The document with every ``@defer`` removed (what runs when nothing is deferred)."""
    if not checked:
        check(document)

    return _conditions_removed(document, _without_defers(document, lambda node: False))


def _without_defers(document: ast.DocumentNode, leave_out: Any) -> ast.DocumentNode:
    """The document without ``@defer`` directives, and without the fragments for which
    ``leave_out(fragment)`` is true."""

    def change(node: Any) -> Any:
        if isinstance(node, ast.InlineFragmentNode | ast.FragmentSpreadNode) and leave_out(node):
            return None
        if isinstance(node, ast.FieldNode):
            return _copy(node, selection_set=_map_selections(node.selection_set, change))
        if isinstance(node, ast.InlineFragmentNode):
            inner = _map_selections(node.selection_set, change)
            return _copy(node, selection_set=inner, directives=_without_defer(node))
        if isinstance(node, ast.FragmentSpreadNode):
            return _copy(node, directives=_without_defer(node))
        return node

    return _document(document, change)


def _conditions_removed(original: ast.DocumentNode, stripped: ast.DocumentNode) -> ast.DocumentNode:
    """A variable only ``@defer(if:)`` used is unused once ``@defer`` is gone, which
    validation would refuse: its definition goes too."""
    conditions: set[str] = set()

    def collect(node: Any) -> None:
        directive = _defer_of(node) if hasattr(node, "directives") else None
        condition = _argument(directive, "if") if directive is not None else None
        if isinstance(condition, ast.VariableNode):
            conditions.add(condition.name.value)
        for key in node.keys:
            value = getattr(node, key)
            for child in value if isinstance(value, tuple | list) else (value,):
                if isinstance(child, ast.Node):
                    collect(child)

    collect(original)
    if not conditions:
        return stripped
    return _unused_removed(stripped, only=conditions, fragments_too=False)


def _copy(node: Any, **changes: Any) -> Any:
    values = {key: getattr(node, key) for key in node.keys if key != "loc"}
    values.update(changes)
    return type(node)(**values)


def _document(document: ast.DocumentNode, change: Any) -> ast.DocumentNode:
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, ast.OperationDefinitionNode | ast.FragmentDefinitionNode):
            inner = _map_selections(definition.selection_set, change)
            definitions.append(_copy(definition, selection_set=inner))
        else:
            definitions.append(definition)
    return ast.DocumentNode(definitions=tuple(definitions))


def primary(document: ast.DocumentNode, variables: Mapping[str, Any]) -> ast.DocumentNode:
    """The document without its deferred fragments (see the module docstring). It asks
    ``__typename`` (internal alias) where the complete document does: where the deferred
    fragments were is read off its answer, and a selection set left with nothing else is
    still a valid one."""

    return _unused_removed(
        _without_defers(
            _with_typenames(document), lambda node: is_deferred(_defer_of(node), variables)
        )
    )


def _unused_removed(
    document: ast.DocumentNode, only: set[str] | None = None, fragments_too: bool = True
) -> ast.DocumentNode:
    """Fragment definitions no operation reaches and variables no operation uses are
    dropped (validation refuses both); ``only``: just these variables may go, and without
    ``fragments_too`` every fragment stays (what the client wrote wrong is still refused)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, ast.FragmentDefinitionNode)
    }

    def spreads_and_variables(node: Any, spreads: set[str], variables: set[str]) -> None:
        if isinstance(node, ast.FragmentSpreadNode) and node.name.value not in spreads:
            spreads.add(node.name.value)
            if node.name.value in fragments:
                spreads_and_variables(fragments[node.name.value], spreads, variables)
        if isinstance(node, ast.VariableNode):
            variables.add(node.name.value)
        for key in node.keys:
            if key in {"loc", "variable_definitions"}:
                continue
            value = getattr(node, key)
            if isinstance(value, ast.Node):
                spreads_and_variables(value, spreads, variables)
            elif isinstance(value, tuple | list):
                for item in value:
                    if isinstance(item, ast.Node):
                        spreads_and_variables(item, spreads, variables)

    reached: set[str] = set()
    definitions: list[ast.DefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, ast.OperationDefinitionNode):
            used: set[str] = set()
            spreads: set[str] = set()  # each operation walks its fragments for its variables
            spreads_and_variables(definition, spreads, used)
            reached |= spreads
            kept = tuple(
                v
                for v in definition.variable_definitions or ()
                if v.variable.name.value in used
                or (only is not None and v.variable.name.value not in only)
            )
            definitions.append(_copy(definition, variable_definitions=kept))
        else:
            definitions.append(definition)
    return ast.DocumentNode(
        definitions=tuple(
            d
            for d in definitions
            if not (fragments_too and isinstance(d, ast.FragmentDefinitionNode))
            or d.name.value in reached
        )
    )


def _with_typenames(document: ast.DocumentNode) -> ast.DocumentNode:
    """``__typename`` (internal alias) in every selection set that holds a fragment, so an
    answer shows which fragments applied."""

    def with_typename(selection_set: ast.SelectionSetNode | None) -> ast.SelectionSetNode | None:
        if selection_set is None:
            return None
        if any(
            isinstance(s, ast.InlineFragmentNode | ast.FragmentSpreadNode)
            for s in selection_set.selections
        ):
            return ast.SelectionSetNode(selections=(*selection_set.selections, _typename(TYPENAME)))
        return selection_set

    def change(node: Any) -> Any:
        if isinstance(node, ast.FieldNode | ast.InlineFragmentNode):
            inner = with_typename(_map_selections(node.selection_set, change))
            return _copy(node, selection_set=inner)
        return node

    changed = _document(document, change)
    return ast.DocumentNode(
        definitions=tuple(
            _copy(d, selection_set=with_typename(d.selection_set))
            if isinstance(d, ast.OperationDefinitionNode | ast.FragmentDefinitionNode)
            else d
            for d in changed.definitions
        )
    )


def complete(document: ast.DocumentNode) -> ast.DocumentNode:
    """The document without ``@defer``, asking ``__typename`` where ``primary`` does."""
    return strip(_with_typenames(document), checked=True)


def without_internal(value: Any, key: str) -> Any:
    """``value`` with the internal alias ``key`` taken out of every object, in place."""
    if isinstance(value, dict):
        value.pop(key, None)
        for item in value.values():
            without_internal(item, key)
    elif isinstance(value, list):
        for item in value:
            without_internal(item, key)
    return value


@dataclass
class _Item:
    path: list[str | int]
    label: str | None
    keys: list[str] = field(default_factory=list)


class _Reader:
    """Finds the deferred fragments of the client's document in the complete answer."""

    def __init__(self, document: ast.DocumentNode, variables: Mapping[str, Any], schema: Any):
        self.fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, ast.FragmentDefinitionNode)
        }
        self.variables = variables
        self.schema = schema
        self.items: list[_Item] = []

    def _included(self, node: Any) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in {"skip", "include"}:
                continue
            value = _argument(directive, "if")
            if isinstance(value, ast.VariableNode):
                flag = bool(self.variables.get(value.name.value))
            else:
                flag = bool(getattr(value, "value", False))
            if (name == "skip") == flag:
                return False
        return True

    def _applies(self, condition: ast.NamedTypeNode | None, data: dict[str, Any]) -> bool:
        if condition is None:
            return True
        typename = data.get(TYPENAME)
        if typename is None:
            return True  # the selection set has no fragment of its own to tell apart
        wanted = condition.name.value
        if typename == wanted:
            return True
        abstract = self.schema.get_type(wanted)
        concrete = self.schema.get_type(typename)
        if abstract is None or concrete is None or not hasattr(abstract, "fields"):
            return False
        try:
            return bool(self.schema.is_sub_type(abstract, concrete))
        except (TypeError, AttributeError):
            return False

    def keys(self, selection_set: ast.SelectionSetNode, data: dict[str, Any]) -> list[str]:
        """The response keys a selection set yields on ``data`` (nested fragments too)."""
        found: list[str] = []
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, ast.FieldNode):
                key = (selection.alias or selection.name).value
                if key not in found:
                    found.append(key)
            elif isinstance(selection, ast.InlineFragmentNode):
                if self._applies(selection.type_condition, data):
                    found += [k for k in self.keys(selection.selection_set, data) if k not in found]
            elif isinstance(selection, ast.FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None and self._applies(fragment.type_condition, data):
                    found += [k for k in self.keys(fragment.selection_set, data) if k not in found]
        return found

    def read(self, selection_set: ast.SelectionSetNode, data: Any, path: list[str | int]) -> None:
        if isinstance(data, list):
            for index, item in enumerate(data):
                self.read(selection_set, item, [*path, index])
            return
        if not isinstance(data, dict):
            return
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, ast.FieldNode):
                key = (selection.alias or selection.name).value
                if selection.selection_set is not None and data.get(key) is not None:
                    self.read(selection.selection_set, data[key], [*path, key])
                continue
            if isinstance(selection, ast.InlineFragmentNode):
                condition, inner = selection.type_condition, selection.selection_set
            elif isinstance(selection, ast.FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                continue
            if not self._applies(condition, data):
                continue
            directive = _defer_of(selection)
            if is_deferred(directive, self.variables):
                assert directive is not None
                keys = self.keys(inner, data)
                self.items.append(_Item(path=path, label=_label(directive), keys=keys))
            else:
                self.read(inner, data, path)


def locate(
    document: ast.DocumentNode,
    operation: ast.OperationDefinitionNode,
    variables: Mapping[str, Any],
    schema: Any,
    first: Any,
) -> list[_Item]:
    """Where the deferred fragments apply, read off the primary answer (its internal
    aliases still in): a path and the response keys the fragment yields there."""
    reader = _Reader(document, variables, schema)
    if isinstance(first, dict):
        reader.read(operation.selection_set, first, [])
    return reader.items


def fill(items: list[_Item], whole: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``incremental`` items: each place's fields out of the complete answer, with the
    errors that arose inside them. A place the complete answer has no object for (an
    error's null reached it or beyond) is an item with ``data: null`` and the errors."""
    data = whole.get("data")
    errors = list(whole.get("errors") or ())
    told: set[int] = set()
    entries: list[dict[str, Any]] = []
    for item in items:
        target: Any = data
        for key in item.path:
            if isinstance(target, dict) and isinstance(key, str):
                target = target.get(key)
            elif isinstance(target, list) and isinstance(key, int) and key < len(target):
                target = target[key]
            else:
                target = None
        if isinstance(target, dict):
            entry: dict[str, Any] = {
                "data": without_internal(
                    {k: target[k] for k in item.keys if k in target}, TYPENAME
                ),
                "path": item.path,
            }
            inside = [i for i, e in enumerate(errors) if _within(e.get("path"), item, True)]
        else:
            entry = {"data": None, "path": item.path}
            inside = [i for i, e in enumerate(errors) if _within(e.get("path"), item, False)]
        if item.label is not None:
            entry["label"] = item.label
        if inside:
            entry["errors"] = [errors[i] for i in inside]
            told.update(inside)
        entries.append(entry)
    if entries and data is None:
        # A failure of the whole (no path of any item): the first item carries it.
        rest = [e for i, e in enumerate(errors) if i not in told]
        if rest:
            entries[0]["data"] = None
            entries[0]["errors"] = [*entries[0].get("errors", []), *rest]
    return entries


def _within(path: Any, item: _Item, own_keys: bool) -> bool:
    """Whether an error at ``path`` arose in the item (below one of its keys; or anywhere
    below its place, ``own_keys`` false, when the place itself was lost)."""
    if not isinstance(path, list) or len(path) <= len(item.path):
        return False
    if path[: len(item.path)] != item.path:
        return False
    return not own_keys or path[len(item.path)] in item.keys
