"""The forced password change, enforced by every subgraph.

An administrator who issues or resets a password knows it, so until the person has chosen
their own (``changePassword``) the account may sign in but do nothing else: an operation
asking for any root field but ``me`` (enough to show who is signed in) and
``changePassword`` is refused as a whole with ``PASSWORD_CHANGE_REQUIRED``. Signing out is
``/auth/logout``, not GraphQL.

The check lives in the subgraphs, not only in the gateway: the flag travels in the principal
(in-process object or the signed header), so the embedded per-subgraph endpoints, a subgraph
served on its own and every subscription are covered by the same few lines. Fields another
subgraph adds to ``me`` (presence, events) arrive as ``_entities`` calls, which are refused
like any other root field: the page that asks a person to choose a password reads only
people's own fields of ``me``.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionNode,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"  # noqa: S105 - an error code

# Root fields answered while the password must be changed. Introspection reveals nothing
# of the municipality and keeps GraphiQL usable for changing the password there.
ALLOWED_ROOT_FIELDS = frozenset({"me", "changePassword", "__typename", "__schema", "__type"})


class PasswordChangeRequired(GraphQLError):
    def __init__(self) -> None:
        super().__init__(
            "An administrator issued your password: choose your own with changePassword "
            "before anything else.",
            extensions={"code": PASSWORD_CHANGE_REQUIRED},
        )


def root_field_names(document: DocumentNode, operation_name: str | None) -> set[str]:
    """The names of the fields the chosen operation asks at its root (through fragments)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return set()
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    names: set[str] = set()
    expanded: set[str] = set()
    pending: list[SelectionNode] = list(operation.selection_set.selections)
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in expanded:
                expanded.add(name)
                pending.extend(fragment.selection_set.selections)
    return names


class PasswordChangeGate(SchemaExtension):
    """Refuses the operation of a principal whose password an administrator issued, unless
    it asks only for the allowed root fields (the document is valid by now)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        if getattr(principal, "must_change_password", False):
            assert context.graphql_document is not None
            asked = root_field_names(context.graphql_document, context.operation_name)
            if asked - ALLOWED_ROOT_FIELDS:
                raise PasswordChangeRequired()
        yield
