"""Access rules of the supergraph, enforced by the gateway: ``@authenticated``,
``@requiresScopes`` and ``@policy``.

Composition carries the subgraphs' rules into the supergraph as the spec directives
(``https://specs.apollo.dev/{authenticated,requiresScopes,policy}``); the API schema does
not show them. A rule applies to a field when it is on the field's definition, on the type
the field returns (its named type), or, for a field asked through an interface, on the same
field or return type of any implementation. Scopes and policies are in disjunctive normal
form: ``[["read", "people"], ["admin"]]`` is satisfied by holding both ``read`` and
``people``, or ``admin``.

As Apollo Router does, the gateway filters the operation rather than refusing it: fields
the caller may not see are removed from the document before planning (so no subgraph is
asked for them), answered as ``null`` with one error each (``UNAUTHORIZED_FIELD_OR_TYPE``,
the concrete response path), and the rest of the operation runs; a null in a non-null
position propagates as the GraphQL spec says. A selection set left empty keeps
``__typename``, so its object still comes back with its other fields null.

Who holds what is asked of two hooks given to ``Authorizer``: ``grants(context)`` (is the
request authenticated, which scopes does it hold) and ``policies(context, names)`` (which
of the policies the operation needs the request satisfies; the default denies every one,
so an unknown policy never opens a field). The analysis of an operation is cached with
its plan; the filtered document is planned (and cached) like any other text.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    print_ast,
    value_from_ast_untyped,
)
from graphql.language import ast

from gateway.executor import RequestContext
from gateway.supergraph import Supergraph

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"
_RULE_DIRECTIVES = ("authenticated", "requiresScopes", "policy")
Alternatives = tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Rule:
    """What an element asks of the caller (every part must hold)."""

    authenticated: bool = False
    scopes: tuple[Alternatives, ...] = ()  # each: any alternative, all of its items
    policies: tuple[Alternatives, ...] = ()

    def __bool__(self) -> bool:
        return self.authenticated or bool(self.scopes) or bool(self.policies)

    def __and__(self, other: Rule) -> Rule:
        return Rule(
            self.authenticated or other.authenticated,
            tuple(dict.fromkeys(self.scopes + other.scopes)),
            tuple(dict.fromkeys(self.policies + other.policies)),
        )

    def policy_names(self) -> set[str]:
        return {name for alternatives in self.policies for one in alternatives for name in one}

    def allows(self, grants: Grants, policies: frozenset[str]) -> bool:
        if (self.authenticated or self.scopes or self.policies) and not grants.authenticated:
            return False

        def held(rules: tuple[Alternatives, ...], have: frozenset[str]) -> bool:
            return all(any(one <= have for one in alternatives) for alternatives in rules)

        return held(self.scopes, grants.scopes) and held(self.policies, policies)


@dataclass(frozen=True)
class Grants:
    """What the request holds."""

    authenticated: bool = False
    scopes: frozenset[str] = frozenset()


GrantsHook = Callable[[RequestContext], Grants]
PolicyHook = Callable[[RequestContext, frozenset[str]], Iterable[str] | Awaitable[Iterable[str]]]


def default_grants(context: RequestContext) -> Grants:
    """A principal means authenticated; scopes from ``context.extra["scopes"]``."""
    principal = context.principal
    authenticated = principal is not None and getattr(principal, "is_authenticated", True)
    return Grants(bool(authenticated), frozenset(context.extra.get("scopes") or ()))


def deny_all_policies(context: RequestContext, names: frozenset[str]) -> Iterable[str]:
    """The default policy hook: no policy is satisfied unless the integrator says so."""
    return ()


def _alternatives(value: Any) -> Alternatives | None:
    if not isinstance(value, list):
        return None
    result = []
    for inner in value:
        if not isinstance(inner, list):
            return None
        result.append(frozenset(str(v) for v in inner))
    return tuple(result)


def _rule_of(directives: Iterable[ast.ConstDirectiveNode] | None) -> Rule:
    rule = Rule()
    for directive in directives or ():
        name = directive.name.value
        if name not in _RULE_DIRECTIVES:
            continue
        if name == "authenticated":
            rule = rule & Rule(authenticated=True)
            continue
        for argument in directive.arguments or ():
            alternatives = _alternatives(value_from_ast_untyped(argument.value))
            if alternatives is None:
                continue
            if name == "requiresScopes":
                rule = rule & Rule(scopes=(alternatives,))
            else:
                rule = rule & Rule(policies=(alternatives,))
    return rule


@dataclass(frozen=True)
class Guarded:
    """A field of the operation that has a rule: where it is and what it asks."""

    node: ast.FieldNode
    path: tuple[str, ...]  # response keys from the root (lists are walked in the data)
    # Concrete types of the parent object this field applies to (its type condition).
    parent_types: frozenset[str]
    rule: Rule


@dataclass
class Restriction:
    """What one request may not see: the filtered document and the errors for it."""

    document: str
    denied: tuple[Guarded, ...]

    def errors(self, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One error per denied field at each concrete path where its parent exists."""
        errors: list[dict[str, Any]] = []
        seen: set[tuple[Any, ...]] = set()
        for guarded in self.denied:
            for path in _parents(data, guarded.path[:-1], [], guarded.parent_types):
                full = (*path, guarded.path[-1])
                if full in seen:
                    continue
                seen.add(full)
                errors.append(
                    {
                        "message": "Unauthorized field or type",
                        "path": list(full),
                        "extensions": {"code": UNAUTHORIZED},
                    }
                )
        return errors


def _parents(
    value: Any, keys: tuple[str, ...], path: list[Any], types: frozenset[str]
) -> Iterable[list[Any]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _parents(item, keys, [*path, index], types)
        return
    if not isinstance(value, Mapping):
        return
    if not keys:
        typename = value.get("__typename")
        if not isinstance(typename, str) or typename in types:
            yield path
        return
    yield from _parents(value.get(keys[0]), keys[1:], [*path, keys[0]], types)


class Authorizer:
    """The supergraph's access rules and the filtering of operations by them."""

    def __init__(
        self,
        supergraph: Supergraph,
        grants: GrantsHook = default_grants,
        policies: PolicyHook = deny_all_policies,
    ):
        self.schema: GraphQLSchema = supergraph.api_schema
        self.grants = grants
        self.policies = policies
        self.type_rules: dict[str, Rule] = {}
        self.field_rules: dict[tuple[str, str], Rule] = {}
        for definition in supergraph.document.definitions:
            if not isinstance(definition, ast.TypeDefinitionNode | ast.TypeExtensionNode):
                continue
            name = definition.name.value  # type: ignore[attr-defined]
            rule = _rule_of(definition.directives)  # type: ignore[attr-defined]
            if rule:
                self.type_rules[name] = self.type_rules.get(name, Rule()) & rule
            for fdef in getattr(definition, "fields", None) or ():
                rule = _rule_of(fdef.directives)
                if rule:
                    self.field_rules[(name, fdef.name.value)] = rule
        self._analysed: dict[int, tuple[Any, tuple[Guarded, ...]]] = {}
        self._restrictions: dict[Any, tuple[Any, Restriction]] = {}

    @property
    def active(self) -> bool:
        return bool(self.type_rules or self.field_rules)

    # --- analysis (once per operation) ---------------------------------------------------

    def _field_rule(self, parent: Any, name: str) -> Rule:
        """The rule of ``parent.name``: the field's, its return type's, and, through an
        interface or union, every possible type's."""
        rule = Rule()
        parents = [parent]
        if isinstance(parent, GraphQLInterfaceType | GraphQLUnionType):
            parents += list(self.schema.get_possible_types(parent))
        for owner in parents:
            rule = rule & self.field_rules.get((owner.name, name), Rule())
            fdef = getattr(owner, "fields", {}).get(name)
            if fdef is not None:
                returned = get_named_type(fdef.type)
                rule = rule & self.type_rules.get(returned.name, Rule())
                if isinstance(returned, GraphQLInterfaceType | GraphQLUnionType):
                    for possible in self.schema.get_possible_types(returned):
                        rule = rule & self.type_rules.get(possible.name, Rule())
        return rule

    def analyse(
        self, document: ast.DocumentNode, operation: ast.OperationDefinitionNode
    ) -> tuple[Guarded, ...]:
        """Every field of the operation with a rule (fragments expanded), cached."""
        cached = self._analysed.get(id(document))
        if cached is not None and cached[0] is document:
            return cached[1]
        fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, ast.FragmentDefinitionNode)
        }
        root = self.schema.get_root_type(operation.operation)
        found: list[Guarded] = []
        if root is not None:
            self._walk(operation.selection_set, root, (), fragments, found, set())
        result = tuple(found)
        if len(self._analysed) > 2000:
            self._analysed.clear()
        # The document is kept with its analysis, so its id is not reused while cached.
        self._analysed[id(document)] = (document, result)
        return result

    def _possible(self, named: Any) -> frozenset[str]:
        if isinstance(named, GraphQLObjectType):
            return frozenset({named.name})
        return frozenset(t.name for t in self.schema.get_possible_types(named))

    def _walk(
        self,
        selection_set: ast.SelectionSetNode,
        parent: Any,
        path: tuple[str, ...],
        fragments: Mapping[str, ast.FragmentDefinitionNode],
        found: list[Guarded],
        spreading: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, ast.FieldNode):
                name = selection.name.value
                if name.startswith("__"):
                    continue
                key = selection.alias.value if selection.alias else name
                rule = self._field_rule(parent, name)
                if rule:
                    found.append(Guarded(selection, (*path, key), self._possible(parent), rule))
                fdef = parent.fields.get(name) if hasattr(parent, "fields") else None
                if fdef is not None and selection.selection_set is not None:
                    self._walk(
                        selection.selection_set,
                        get_named_type(fdef.type),
                        (*path, key),
                        fragments,
                        found,
                        spreading,
                    )
                continue
            if isinstance(selection, ast.FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None or fragment.name.value in spreading:
                    continue
                condition: Any = self.schema.get_type(fragment.type_condition.name.value)
                inner = fragment.selection_set
                spreading = spreading | {fragment.name.value}
            else:
                assert isinstance(selection, ast.InlineFragmentNode)
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                inner = selection.selection_set
            if condition is not None:
                self._walk(inner, condition, path, fragments, found, spreading)

    # --- per request ----------------------------------------------------------------------

    async def restrict(
        self,
        document: ast.DocumentNode,
        operation: ast.OperationDefinitionNode,
        context: RequestContext,
    ) -> Restriction | None:
        """None when the request may see everything it asks; else what to run instead."""
        guarded = self.analyse(document, operation)
        if not guarded:
            return None
        grants = self.grants(context)
        needed: set[str] = set()
        for item in guarded:
            needed |= item.rule.policy_names()
        satisfied: frozenset[str] = frozenset()
        if needed:
            answer = self.policies(context, frozenset(needed))
            if inspect.isawaitable(answer):
                answer = await answer
            satisfied = frozenset(answer) & frozenset(needed)
        denied = tuple(g for g in guarded if not g.rule.allows(grants, satisfied))
        if not denied:
            return None
        # The filtered text is the same for every caller denied the same fields: kept with
        # the document (its id is not reused while the entry holds it).
        key = (id(document), tuple(id(g.node) for g in denied))
        cached = self._restrictions.get(key)
        if cached is not None and cached[0] is document:
            return cached[1]
        restriction = Restriction(
            _without(document, operation, {id(g.node) for g in denied}), denied
        )
        if len(self._restrictions) > 2000:
            self._restrictions.clear()
        self._restrictions[key] = (document, restriction)
        return restriction


def _without(
    document: ast.DocumentNode, operation: ast.OperationDefinitionNode, removed: set[int]
) -> str:
    """The document's text without the removed fields (by node identity), with empty
    selection sets kept as ``__typename`` and unused variables and fragments dropped."""

    def selection_set(node: ast.SelectionSetNode) -> ast.SelectionSetNode:
        kept: list[ast.SelectionNode] = []
        for selection in node.selections:
            if id(selection) in removed:
                continue
            if isinstance(selection, ast.FieldNode | ast.InlineFragmentNode) and (
                selection.selection_set is not None
            ):
                selection = copy_node(
                    selection, selection_set=selection_set(selection.selection_set)
                )
            kept.append(selection)
        if not kept:
            kept.append(
                ast.FieldNode(name=ast.NameNode(value="__typename"), arguments=(), directives=())
            )
        return ast.SelectionSetNode(selections=tuple(kept))

    op = copy_node(operation, selection_set=selection_set(operation.selection_set))
    fragments = {
        d.name.value: copy_node(d, selection_set=selection_set(d.selection_set))
        for d in document.definitions
        if isinstance(d, ast.FragmentDefinitionNode)
    }
    # Keep only fragments still spread (transitively) and variables still used.
    used_fragments: set[str] = set()
    used_variables: set[str] = set()
    pending: list[ast.Node] = [op.selection_set]
    while pending:
        node = pending.pop()
        for child in _children(node):
            if isinstance(child, ast.FragmentSpreadNode):
                name = child.name.value
                if name not in used_fragments and name in fragments:
                    used_fragments.add(name)
                    pending.append(fragments[name])
            elif isinstance(child, ast.VariableNode):
                used_variables.add(child.name.value)
    op = copy_node(
        op,
        variable_definitions=tuple(
            v for v in op.variable_definitions or () if v.variable.name.value in used_variables
        ),
    )
    definitions = [op, *(f for n, f in fragments.items() if n in used_fragments)]
    return print_ast(ast.DocumentNode(definitions=tuple(definitions)))


def copy_node(node: Any, **changes: Any) -> Any:
    """An AST node with some of its attributes replaced (graphql-core nodes are not
    meant to be changed in place: plans and caches share them)."""
    values = {key: getattr(node, key) for key in node.keys if key != "loc"}
    values.update(changes)
    return type(node)(**values)


def _children(node: ast.Node) -> Iterable[Any]:
    """Every AST node below ``node`` (depth first)."""
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        for key in current.keys:
            if key == "loc":
                continue
            value = getattr(current, key, None)
            items = value if isinstance(value, tuple | list) else (value,)
            for item in items:
                if isinstance(item, ast.Node):
                    yield item
                    stack.append(item)
