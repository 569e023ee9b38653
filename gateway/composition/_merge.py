"""Merging subgraph models into the supergraph, the Federation 2 way.

Each supergraph element records, with ``@join__*`` directives, which subgraphs define it
and how: ``@join__type`` per subgraph (and per @key), ``@join__field`` where the field is
not simply the same in every subgraph of its type, ``@join__implements``,
``@join__unionMember`` and ``@join__enumValue``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from graphql import print_ast
from graphql.language import ast

from ._errors import ErrorCollector, quoted, subgraphs_phrase
from ._subgraph import (
    EXECUTABLE_LOCATIONS,
    KIND_LABEL,
    ROOT_NAMES,
    Applied,
    SArgument,
    SField,
    SType,
    Subgraph,
    parse_from_context,
)
from ._types import TypeRef, is_subtype

T = TypeVar("T")


@dataclass(frozen=True)
class Enum:
    """An enum value inside a directive argument (``graph: PEOPLE``)."""

    value: str


def directive(name: str, /, **arguments: object) -> ast.ConstDirectiveNode:
    nodes = []
    for argument, value in arguments.items():
        if value is None:
            continue
        nodes.append(ast.ConstArgumentNode(name=ast.NameNode(value=argument), value=_value(value)))
    return ast.ConstDirectiveNode(name=ast.NameNode(value=name), arguments=tuple(nodes))


def _value(value: object) -> ast.ConstValueNode:
    if isinstance(value, list):
        return ast.ConstListValueNode(values=tuple(_value(v) for v in value))
    if isinstance(value, dict):
        return ast.ConstObjectValueNode(
            fields=tuple(
                ast.ConstObjectFieldNode(name=ast.NameNode(value=k), value=_value(v))
                for k, v in value.items()
            )
        )
    if isinstance(value, bool):
        return ast.BooleanValueNode(value=value)
    if isinstance(value, Enum):
        return ast.EnumValueNode(value=value.value)
    assert isinstance(value, str)
    return ast.StringValueNode(value=value)


_AFTER_JOIN = {"authenticated", "requiresScopes", "policy", "cost", "listSize"}


def _conjunction(
    left: list[list[str]] | None, right: list[list[str]] | None
) -> list[list[str]] | None:
    """Both rules (each any-of all-of) as one: every pair of alternatives joined, so an
    element guarded in several subgraphs keeps every subgraph's requirement."""
    if left is None or right is None:
        return left if right is None else right
    joined: list[list[str]] = []
    for a in left:
        for b in right:
            both = list(dict.fromkeys([*a, *b]))
            if both not in joined:
                joined.append(both)
    return joined


def _string_lists_directive(
    name: str, argument: str, rules: list[list[str]]
) -> ast.ConstDirectiveNode:
    value = ast.ConstListValueNode(
        values=tuple(
            ast.ConstListValueNode(values=tuple(ast.StringValueNode(value=v) for v in inner))
            for inner in rules
        )
    )
    return ast.ConstDirectiveNode(
        name=ast.NameNode(value=name),
        arguments=(ast.ConstArgumentNode(name=ast.NameNode(value=argument), value=value),),
    )


def _name(value: str) -> ast.NameNode:
    return ast.NameNode(value=value)


def _description(value: str | None) -> ast.StringValueNode | None:
    return ast.StringValueNode(value=value, block=True) if value is not None else None


def _value_text(value: ast.ConstValueNode | None) -> str | None:
    return print_ast(value) if value is not None else None


@dataclass
class MergedType:
    """One supergraph type, with everything needed to print it."""

    name: str
    kind: str
    description: str | None = None
    directives: list[ast.ConstDirectiveNode] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    fields: dict[str, ast.FieldDefinitionNode | ast.InputValueDefinitionNode] = field(
        default_factory=dict
    )
    values: list[ast.EnumValueDefinitionNode] = field(default_factory=list)
    inaccessible: bool = False
    field_origins: dict[str, list[str]] = field(default_factory=dict)  # field -> subgraphs
    implements_in: dict[str, list[str]] = field(default_factory=dict)  # interface -> subgraphs


@dataclass
class Supergraph:
    subgraphs: list[Subgraph]
    types: dict[str, MergedType] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    directive_definitions: list[ast.DirectiveDefinitionNode] = field(default_factory=list)
    uses_inaccessible: bool = False
    uses_tag: bool = False
    # Access-rule specs used (authenticated, requiresScopes, policy): linked for SECURITY.
    uses_access: set[str] = field(default_factory=set)
    # Demand-control directives used (cost, listSize): the cost spec is linked for them.
    uses_cost: set[str] = field(default_factory=set)
    # @context used in some subgraph: the context spec is linked for SECURITY.
    uses_context: bool = False


def _most_common(values: Iterable[str | None]) -> str | None:
    """The description used by most subgraphs (the first one on a tie)."""
    counts: dict[str, int] = {}
    for value in values:
        if value:
            counts[value] = counts.get(value, 0) + 1
    if not counts:
        return None
    best = max(counts.values())
    return next(value for value, count in counts.items() if count == best)


def _mismatch(by_subgraph: Sequence[tuple[str, str]]) -> str:
    """``"String" in subgraph "a" but "Int" in subgraphs "b" and "c"``."""
    groups: dict[str, list[str]] = {}
    for subgraph, text in by_subgraph:
        groups.setdefault(text, []).append(subgraph)
    parts = [f"{text} in {subgraphs_phrase(names)}" for text, names in groups.items()]
    return parts[0] + " but " + " and ".join(parts[1:])


class Merger:
    def __init__(self, subgraphs: list[Subgraph], errors: ErrorCollector) -> None:
        self.subgraphs = subgraphs
        self.by_name = {s.name: s for s in subgraphs}
        self.errors = errors
        self.result = Supergraph(subgraphs)
        self.kinds: dict[str, str] = {}
        self.implements: dict[str, set[str]] = {}  # type -> interfaces (supergraph)
        self.members: dict[str, set[str]] = {}
        self.input_usage: dict[str, str] = {}  # enum -> an input position using it
        self.output_usage: dict[str, str] = {}
        self.interface_object_fields: dict[str, set[str]] = {}

    # -- helpers -------------------------------------------------------------------------

    def sources(self, name: str) -> list[tuple[Subgraph, SType]]:
        return [(s, s.types[name]) for s in self.subgraphs if name in s.types]

    def named_subtype(self, sub: str, sup: str) -> bool:
        if sub in self.members.get(sup, set()):
            return True
        seen: set[str] = set()
        pending = [sub]
        while pending:
            current = pending.pop()
            for interface in self.implements.get(current, set()):
                if interface == sup:
                    return True
                if interface not in seen:
                    seen.add(interface)
                    pending.append(interface)
        return False

    def _applied(self, items: Iterable[Applied]) -> list[ast.ConstDirectiveNode]:
        """@deprecated, @inaccessible and @tag merged over the subgraphs' applications."""
        deprecated: ast.ConstDirectiveNode | None = None
        inaccessible = False
        tags: list[str] = []
        authenticated = False
        scopes: list[list[str]] | None = None
        policies: list[list[str]] | None = None
        cost: int | None = None
        list_size: ast.ConstDirectiveNode | None = None
        for applied in items:
            # The highest weight any subgraph gives; the first subgraph's @listSize.
            if applied.cost is not None:
                cost = applied.cost if cost is None else max(cost, applied.cost)
            list_size = list_size or applied.list_size
            deprecated = deprecated or applied.deprecated
            inaccessible = inaccessible or applied.inaccessible
            tags.extend(t for t in applied.tags if t not in tags)
            authenticated = authenticated or applied.authenticated
            scopes = _conjunction(scopes, applied.scopes)
            policies = _conjunction(policies, applied.policies)
        result: list[ast.ConstDirectiveNode] = []
        if deprecated is not None:
            result.append(deprecated)
        if inaccessible:
            self.result.uses_inaccessible = True
            result.append(directive("inaccessible"))
        for tag in tags:
            self.result.uses_tag = True
            result.append(directive("tag", name=tag))
        if authenticated:
            self.result.uses_access.add("authenticated")
            result.append(directive("authenticated"))
        for name, argument, rules in (
            ("requiresScopes", "scopes", scopes),
            ("policy", "policies", policies),
        ):
            if rules is not None:
                self.result.uses_access.add(name)
                result.append(_string_lists_directive(name, argument, rules))
        if cost is not None:
            self.result.uses_cost.add("cost")
            weight = ast.IntValueNode(value=str(cost))
            result.append(
                ast.ConstDirectiveNode(
                    name=ast.NameNode(value="cost"),
                    arguments=(
                        ast.ConstArgumentNode(name=ast.NameNode(value="weight"), value=weight),
                    ),
                )
            )
        if list_size is not None:
            self.result.uses_cost.add("listSize")
            result.append(list_size)
        return result

    # -- the whole -----------------------------------------------------------------------

    def merge(self) -> Supergraph:
        names: list[str] = []
        for subgraph in self.subgraphs:
            names.extend(n for n in subgraph.types if n not in names)
        for name in names:
            self._check_kind(name)
        if self.errors:
            return self.result
        self._collect_relations(names)
        for name in names:
            kind = self.kinds[name]
            if kind in ("OBJECT", "INTERFACE"):
                self._merge_composite(name)
            elif kind == "UNION":
                self._merge_union(name)
            elif kind == "ENUM":
                self._merge_enum(name)
            elif kind == "INPUT_OBJECT":
                self._merge_input(name)
            else:
                self._merge_scalar(name)
        self._add_interface_object_fields()
        self._merge_directive_definitions()
        for operation, root in ROOT_NAMES.items():
            if root in self.result.types:
                self.result.roots[operation] = root
        self._check_extensions_have_base(names)
        self._check_interface_implementations()
        self._check_entity_interfaces_know_implementations()
        self._check_queries()
        self._check_inaccessible()
        return self.result

    def _check_kind(self, name: str) -> None:
        sources = self.sources(name)
        kinds: list[tuple[str, str]] = []
        for subgraph, stype in sources:
            kind = "INTERFACE" if stype.interface_object else stype.kind
            kinds.append((subgraph.name, kind))
        distinct = {k for _, k in kinds}
        if len(distinct) > 1:
            labelled = [(s, KIND_LABEL[k]) for s, k in kinds]
            self.errors.add(
                "TYPE_KIND_MISMATCH",
                f'Type "{name}" has mismatched kind: it is defined as {_mismatch(labelled)}',
            )
            return
        self.kinds[name] = kinds[0][1]
        if all(stype.interface_object for _, stype in sources):
            self.errors.add(
                "INTERFACE_OBJECT_USAGE_ERROR",
                f'Type "{name}" is declared with @interfaceObject in all the subgraphs in which'
                f" is is defined (it is defined in {subgraphs_phrase(s.name for s, _ in sources)}"
                " but should be defined as an interface in at least one subgraph)",
            )

    def _collect_relations(self, names: list[str]) -> None:
        for name in names:
            for _, stype in self.sources(name):
                self.implements.setdefault(name, set()).update(stype.interfaces)
                self.members.setdefault(name, set()).update(stype.members)
                if stype.kind == "INPUT_OBJECT":
                    for sfield in stype.fields.values():
                        self.input_usage.setdefault(sfield.type.base, f"{name}.{sfield.name}")
                elif stype.kind in ("OBJECT", "INTERFACE"):
                    for sfield in stype.fields.values():
                        self.output_usage.setdefault(sfield.type.base, f"{name}.{sfield.name}")
                        for argument in sfield.arguments.values():
                            self.input_usage.setdefault(
                                argument.type.base, f"{name}.{sfield.name}({argument.name}:)"
                            )
                if stype.interface_object:
                    self.interface_object_fields.setdefault(name, set()).update(stype.fields)

    # -- object and interface types ------------------------------------------------------

    def _join_types(
        self, name: str, sources: list[tuple[Subgraph, SType]]
    ) -> list[ast.ConstDirectiveNode]:
        result: list[ast.ConstDirectiveNode] = []
        is_root = name in ROOT_NAMES.values()
        defined_in = {s.name for s, _ in sources}
        if name == "Query":
            # Every subgraph has a query root (at least `_service`).
            sources_or_none: list[tuple[Subgraph, SType | None]] = [
                (s, s.types.get(name)) for s in self.subgraphs
            ]
        else:
            sources_or_none = [(s, t) for s, t in sources]
        for subgraph, stype in sources_or_none:
            graph = Enum(subgraph.graph)
            if stype is None or subgraph.name not in defined_in:
                result.append(directive("join__type", graph=graph))
                continue
            extension = True if stype.extension and not is_root else None
            interface_object = True if stype.interface_object else None
            if not stype.keys:
                result.append(
                    directive(
                        "join__type",
                        graph=graph,
                        extension=extension,
                        isInterfaceObject=interface_object,
                    )
                )
            for key in stype.keys:
                result.append(
                    directive(
                        "join__type",
                        graph=graph,
                        key=key.fields,
                        extension=extension,
                        resolvable=None if key.resolvable else False,
                        isInterfaceObject=interface_object,
                    )
                )
        return result

    def _merge_composite(self, name: str) -> None:
        sources = self.sources(name)
        kind = self.kinds[name]
        merged = MergedType(name, kind)
        merged.description = _most_common(t.description for _, t in sources)
        merged.directives = self._join_types(name, sources)
        for subgraph, stype in sources:
            for interface in stype.interfaces:
                if interface not in merged.interfaces:
                    merged.interfaces.append(interface)
                merged.implements_in.setdefault(interface, []).append(subgraph.name)
                merged.directives.append(
                    directive("join__implements", graph=Enum(subgraph.graph), interface=interface)
                )
        # @context, named per subgraph (``subgraph__name``) as Apollo's composition does.
        for subgraph, stype in sources:
            for context in stype.applied.contexts:
                merged.directives.append(directive("context", name=f"{subgraph.name}__{context}"))
                self.result.uses_context = True
        merged.directives.extend(self._applied(t.applied for _, t in sources))
        merged.inaccessible = any(t.applied.inaccessible for _, t in sources)
        field_names: list[str] = []
        for _, stype in sources:
            field_names.extend(n for n in stype.fields if n not in field_names)
        for field_name in field_names:
            field_sources = [
                (s, t.fields[field_name]) for s, t in sources if field_name in t.fields
            ]
            node = self._merge_field(name, kind, field_name, field_sources, sources)
            if node is not None:
                merged.fields[field_name] = node
                merged.field_origins[field_name] = [s.name for s, _ in field_sources]
        self.result.types[name] = merged

    def _merge_field(
        self,
        type_name: str,
        kind: str,
        field_name: str,
        sources: list[tuple[Subgraph, SField]],
        type_sources: list[tuple[Subgraph, SType]],
    ) -> ast.FieldDefinitionNode | None:
        coordinate = f"{type_name}.{field_name}"
        # @override: which subgraph gave the field away, and is it still used there?
        overridden: dict[str, str] = {}  # subgraph -> "unused" / "used" / "label"
        label: str | None = None
        overriders = [(s, f) for s, f in sources if f.override_from is not None]
        if len(overriders) > 1:
            first, second = overriders[0][0].name, overriders[1][0].name
            self.errors.add(
                "OVERRIDE_SOURCE_HAS_OVERRIDE",
                f'Field "{coordinate}" on subgraph "{first}" is also marked with directive'
                f' @override in subgraph "{second}". Only one @override directive is allowed'
                " per field.",
            )
        unknown_override_note = ""
        for subgraph, sfield in overriders[:1]:
            origin = sfield.override_from or ""
            if origin == subgraph.name:
                self.errors.add(
                    "OVERRIDE_FROM_SELF_ERROR",
                    f'Source and destination subgraphs "{origin}" are the same for overridden'
                    f' field "{coordinate}"',
                )
                continue
            if origin not in self.by_name:
                self.errors.add(
                    "FROM_SUBGRAPH_DOES_NOT_EXIST",
                    f'Source subgraph "{origin}" for field "{coordinate}" on subgraph'
                    f' "{subgraph.name}" does not exist.',
                )
                unknown_override_note = (
                    f' (please note that "{coordinate}" has an @override directive in'
                    f' "{subgraph.name}" that targets an unknown subgraph so this could be due'
                    " to misspelling the @override(from:) argument)"
                )
                continue
            origin_field = next((f for s, f in sources if s.name == origin), None)
            if origin_field is None:
                continue
            if origin_field.override_from is not None:
                self.errors.add(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f'Field "{coordinate}" on subgraph "{origin}" is also marked with directive'
                    f' @override in subgraph "{subgraph.name}". Only one @override directive is'
                    " allowed per field.",
                )
                continue
            if sfield.override_label is not None:
                overridden[origin] = "label"
                label = sfield.override_label
            elif self._is_used(self.by_name[origin], type_name, field_name):
                overridden[origin] = "used"
            else:
                overridden[origin] = "unused"
        active = [(s, f) for s, f in sources if overridden.get(s.name) != "unused"]

        # The field's type: the most general of the subgraphs' types (outputs are covariant).
        resolved = [(s, f) for s, f in active if not f.external]
        externals = [(s, f) for s, f in active if f.external]
        if not resolved:
            externals = []
            if kind == "OBJECT":
                self.errors.add(
                    "EXTERNAL_MISSING_ON_BASE",
                    f'Field "{coordinate}" is marked @external on all the subgraphs in which it is'
                    f" listed ({subgraphs_phrase(s.name for s, _ in active)}).",
                )
            resolved = active
        types = [f.type for _, f in resolved]
        supergraph_type = self._most_general(types)
        if supergraph_type is None:
            self.errors.add(
                "FIELD_TYPE_MISMATCH",
                f'Type of field "{coordinate}" is incompatible across subgraphs: it has '
                + _mismatch([(s.name, f'type "{f.type}"') for s, f in resolved]),
            )
            return None
        all_types_equal = len({str(t) for t in types}) == 1
        bad_external = [
            (s, f)
            for s, f in externals
            if not (
                f.type == supergraph_type
                or (not all_types_equal and is_subtype(f.type, supergraph_type, self.named_subtype))
            )
        ]
        if bad_external:
            self.errors.add(
                "EXTERNAL_TYPE_MISMATCH",
                f'Type of field "{coordinate}" is incompatible across subgraphs (where marked'
                " @external): it has "
                + _mismatch(
                    [(s.name, f'type "{supergraph_type}"') for s, _ in resolved[:1]]
                    + [(s.name, f'type "{f.type}"') for s, f in bad_external]
                ),
            )
        arguments = self._merge_arguments(coordinate, resolved)
        self._check_external_arguments(coordinate, arguments, externals)

        # Shareability: a field resolved by several subgraphs must be shareable in each.
        if kind == "OBJECT":
            resolving = [
                (s, f)
                for s, f in active
                if overridden.get(s.name) is None
                and (not f.external or (type_name, field_name) in s.provided_fields)
            ]
            if len(resolving) > 1:
                non_shareable = [
                    s.name for s, f in resolving if not self._is_shareable(s, type_name, f)
                ]
                if non_shareable:
                    where = (
                        "all of them"
                        if len(non_shareable) == len(resolving)
                        else subgraphs_phrase(non_shareable)
                    )
                    self.errors.add(
                        "INVALID_FIELD_SHARING",
                        f'Non-shareable field "{coordinate}" is resolved from multiple subgraphs:'
                        f" it is resolved from subgraphs {quoted(s.name for s, _ in resolving)}"
                        f" and defined as non-shareable in {where}{unknown_override_note}",
                    )

        # @join__field: left out only when every subgraph of the type has the same field
        # (every subgraph has a query root).
        active_names = {s.name for s, _ in active}
        parent_subgraphs = self.subgraphs if type_name == "Query" else [s for s, _ in type_sources]
        needs_join = (
            not all_types_equal
            or bool(overridden)
            or any(f.external or f.requires or f.provides or f.override_from for _, f in active)
            or any(_context_arguments(s, f) for s, f in active)
            or any(s.name not in active_names for s in parent_subgraphs)
        )
        directives: list[ast.ConstDirectiveNode] = []
        directives.extend(self._applied(f.applied for _, f in active))
        if needs_join:
            for subgraph, sfield in active:
                state = overridden.get(subgraph.name)
                directives.append(
                    directive(
                        "join__field",
                        graph=Enum(subgraph.graph),
                        requires=sfield.requires,
                        provides=sfield.provides,
                        type=None if all_types_equal else str(sfield.type),
                        external=True if sfield.external else None,
                        override=sfield.override_from,
                        usedOverridden=True if state == "used" else None,
                        overrideLabel=label
                        if sfield.override_from is not None or state == "label"
                        else None,
                        contextArguments=_context_arguments(subgraph, sfield) or None,
                    )
                )
        # Access rules and costs after @join__field, where Apollo's composition writes them.
        directives.sort(key=lambda d: d.name.value in _AFTER_JOIN)
        return ast.FieldDefinitionNode(
            description=_description(_most_common(f.description for _, f in resolved)),
            name=_name(field_name),
            arguments=tuple(arguments),
            type=supergraph_type.to_ast(),
            directives=tuple(directives),
        )

    def _is_used(self, subgraph: Subgraph, type_name: str, field_name: str) -> bool:
        if (type_name, field_name) in subgraph.used_fields:
            return True
        stype = subgraph.types[type_name]
        return any(
            field_name in subgraph.types[i].fields for i in stype.interfaces if i in subgraph.types
        )

    def _is_shareable(self, subgraph: Subgraph, type_name: str, sfield: SField) -> bool:
        return (
            not subgraph.fed2
            or sfield.shareable
            or sfield.external
            or (type_name, sfield.name) in subgraph.key_fields
        )

    def _most_general(self, types: list[TypeRef]) -> TypeRef | None:
        for candidate in types:
            if all(is_subtype(t, candidate, self.named_subtype) for t in types):
                return candidate
        return None

    @staticmethod
    def _most_restrictive(types: list[TypeRef]) -> TypeRef | None:
        for candidate in types:
            if all(is_subtype(candidate, t) for t in types):
                return candidate
        return None

    def _merge_arguments(
        self, coordinate: str, sources: list[tuple[Subgraph, SField]]
    ) -> list[ast.InputValueDefinitionNode]:
        names: list[str] = []
        for _, sfield in sources:
            names.extend(n for n in sfield.arguments if n not in names)
        result: list[ast.InputValueDefinitionNode] = []
        for name in names:
            argument_coordinate = f"{coordinate}({name}:)"
            present = [(s, f.arguments[name]) for s, f in sources if name in f.arguments]
            if any(a.applied.from_context is not None for _, a in present):
                # A contextual argument is no part of the supergraph's API (the gateway
                # fills it in); a subgraph where it is an ordinary argument must be able to
                # do without it.
                for _, argument in present:
                    if (
                        argument.applied.from_context is None
                        and argument.type.non_null
                        and argument.default is None
                    ):
                        self.errors.add(
                            "CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS",
                            f'Argument "{argument_coordinate}" is contextual in at least one'
                            " subgraph but in another it does not have @fromContext, is not"
                            " nullable and has no default value.",
                        )
                continue
            node = self._merge_input_value(
                argument_coordinate, "Argument", present, [s for s, _ in sources]
            )
            if node is not None:
                result.append(node)
        return result

    def _merge_input_value(
        self,
        coordinate: str,
        what: str,  # "Argument" / "Input object field"
        present: list[tuple[Subgraph, SArgument]],
        all_sources: list[Subgraph],
    ) -> ast.InputValueDefinitionNode | None:
        """An argument or input field: kept only when every subgraph has it."""
        missing = [s.name for s in all_sources if s.name not in {p.name for p, _ in present}]
        if missing:
            required = [s.name for s, a in present if a.type.non_null and a.default is None]
            if required:
                code = (
                    "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"
                    if what == "Argument"
                    else "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"
                )
                self.errors.add(
                    code,
                    f'{what} "{coordinate}" is required in some subgraphs but does not appear in'
                    f" all subgraphs: it is required in {subgraphs_phrase(required)} but does not"
                    f" appear in {subgraphs_phrase(missing)}",
                )
            return None
        types = [a.type for _, a in present]
        merged_type = self._most_restrictive(types)
        if merged_type is None:
            code = "FIELD_ARGUMENT_TYPE_MISMATCH" if what == "Argument" else "FIELD_TYPE_MISMATCH"
            label = "argument" if what == "Argument" else "field"
            self.errors.add(
                code,
                f'Type of {label} "{coordinate}" is incompatible across subgraphs: it has '
                + _mismatch([(s.name, f'type "{a.type}"') for s, a in present]),
            )
            return None
        defaults = [(s.name, _value_text(a.default)) for s, a in present]
        given = {d for _, d in defaults if d is not None}
        default: ast.ConstValueNode | None = None
        if len(given) > 1:
            code = (
                "FIELD_ARGUMENT_DEFAULT_MISMATCH"
                if what == "Argument"
                else "INPUT_FIELD_DEFAULT_MISMATCH"
            )
            label = "Argument" if what == "Argument" else "Input field"
            self.errors.add(
                code,
                f'{label} "{coordinate}" has incompatible default values across subgraphs: it'
                " has "
                + _mismatch([(s, f"default value {d}") for s, d in defaults if d is not None]),
            )
        elif given and all(d is not None for _, d in defaults):
            default = present[0][1].default
        name = present[0][1].name
        return ast.InputValueDefinitionNode(
            description=_description(_most_common(a.description for _, a in present)),
            name=_name(name),
            type=merged_type.to_ast(),
            default_value=default,
            directives=tuple(self._applied(a.applied for _, a in present)),
        )

    def _check_external_arguments(
        self,
        coordinate: str,
        arguments: list[ast.InputValueDefinitionNode],
        externals: list[tuple[Subgraph, SField]],
    ) -> None:
        for argument in arguments:
            name = argument.name.value
            expected = TypeRef.from_ast(argument.type)
            for subgraph, sfield in externals:
                own = sfield.arguments.get(name)
                if own is None:
                    self.errors.add(
                        "EXTERNAL_ARGUMENT_MISSING",
                        f'Field "{coordinate}" is missing argument "{coordinate}({name}:)" in'
                        f" some subgraphs where it is marked @external: argument"
                        f' "{coordinate}({name}:)" is declared in some subgraphs but not in'
                        f' subgraph "{subgraph.name}" (where "{coordinate}" is @external).',
                    )
                elif not (own.type == expected or is_subtype(expected, own.type)):
                    self.errors.add(
                        "EXTERNAL_ARGUMENT_TYPE_MISMATCH",
                        f'Type of argument "{coordinate}({name}:)" is incompatible across'
                        f' subgraphs (where "{coordinate}" is marked @external): it has type'
                        f' "{expected}" in the supergraph but type "{own.type}" in subgraph'
                        f' "{subgraph.name}"',
                    )
                elif _value_text(own.default) != _value_text(argument.default_value):
                    self.errors.add(
                        "EXTERNAL_ARGUMENT_DEFAULT_MISMATCH",
                        f'Argument "{coordinate}({name}:)" has incompatible defaults across'
                        f' subgraphs (where "{coordinate}" is marked @external): it has default'
                        f" value {_value_text(argument.default_value)} in the supergraph but"
                        f' {_value_text(own.default)} in subgraph "{subgraph.name}"',
                    )

    def _add_interface_object_fields(self) -> None:
        """Fields that @interfaceObject subgraphs add to an interface reach its objects too."""
        for interface, field_names in self.interface_object_fields.items():
            merged_interface = self.result.types.get(interface)
            if merged_interface is None or merged_interface.kind != "INTERFACE":
                continue
            for implementation in self.result.types.values():
                if interface not in implementation.interfaces:
                    continue
                for field_name in field_names:
                    node = merged_interface.fields.get(field_name)
                    if node is None or field_name in implementation.fields:
                        continue
                    assert isinstance(node, ast.FieldDefinitionNode)
                    kept = tuple(
                        d for d in node.directives or () if d.name.value not in ("join__field",)
                    )
                    implementation.fields[field_name] = ast.FieldDefinitionNode(
                        description=node.description,
                        name=node.name,
                        arguments=node.arguments,
                        type=node.type,
                        directives=(*kept, directive("join__field")),
                    )
                    implementation.field_origins[field_name] = merged_interface.field_origins.get(
                        field_name, []
                    )

    # -- unions, enums, inputs, scalars --------------------------------------------------

    def _plain_join_types(
        self, sources: list[tuple[Subgraph, SType]]
    ) -> list[ast.ConstDirectiveNode]:
        return [directive("join__type", graph=Enum(s.graph)) for s, _ in sources]

    def _merge_union(self, name: str) -> None:
        sources = self.sources(name)
        merged = MergedType(name, "UNION")
        merged.description = _most_common(t.description for _, t in sources)
        merged.directives = self._plain_join_types(sources)
        for subgraph, stype in sources:
            for member in stype.members:
                if member not in merged.members:
                    merged.members.append(member)
                merged.directives.append(
                    directive("join__unionMember", graph=Enum(subgraph.graph), member=member)
                )
        merged.directives.extend(self._applied(t.applied for _, t in sources))
        merged.inaccessible = any(t.applied.inaccessible for _, t in sources)
        self.result.types[name] = merged

    def _merge_enum(self, name: str) -> None:
        sources = self.sources(name)
        merged = MergedType(name, "ENUM")
        merged.description = _most_common(t.description for _, t in sources)
        merged.directives = self._plain_join_types(sources)
        merged.directives.extend(self._applied(t.applied for _, t in sources))
        merged.inaccessible = any(t.applied.inaccessible for _, t in sources)
        value_names: list[str] = []
        for _, stype in sources:
            value_names.extend(v for v in stype.values if v not in value_names)
        as_input = self.input_usage.get(name)
        as_output = self.output_usage.get(name)
        kept: list[str] = []
        for value in value_names:
            having = [s.name for s, t in sources if value in t.values]
            lacking = [s.name for s, t in sources if value not in t.values]
            if not lacking or not as_input:
                kept.append(value)
            elif as_output:
                self.errors.add(
                    "ENUM_VALUE_MISMATCH",
                    f'Enum type "{name}" is used as both input type (for example, as type of'
                    f' "{as_input}") and output type (for example, as type of "{as_output}"),'
                    f' but value "{value}" is not defined in all the subgraphs defining'
                    f' "{name}": "{value}" is defined in {subgraphs_phrase(having)} but not in'
                    f" {subgraphs_phrase(lacking)}",
                )
        if not kept and value_names:
            self.errors.add(
                "EMPTY_MERGED_ENUM_TYPE",
                f'None of the values of enum type "{name}" are defined consistently in all the'
                " subgraphs defining that type. As only values common to all subgraphs are"
                " merged, this would result in an empty type.",
            )
        for value in kept:
            definitions = [(s, t.values[value]) for s, t in sources if value in t.values]
            directives = self._applied(v.applied for _, v in definitions)
            directives.extend(
                directive("join__enumValue", graph=Enum(s.graph)) for s, _ in definitions
            )
            merged.values.append(
                ast.EnumValueDefinitionNode(
                    description=_description(_most_common(v.description for _, v in definitions)),
                    name=_name(value),
                    directives=tuple(directives),
                )
            )
        self.result.types[name] = merged

    def _merge_input(self, name: str) -> None:
        sources = self.sources(name)
        merged = MergedType(name, "INPUT_OBJECT")
        merged.description = _most_common(t.description for _, t in sources)
        merged.directives = self._plain_join_types(sources)
        merged.directives.extend(self._applied(t.applied for _, t in sources))
        merged.inaccessible = any(t.applied.inaccessible for _, t in sources)
        field_names: list[str] = []
        for _, stype in sources:
            field_names.extend(n for n in stype.fields if n not in field_names)
        for field_name in field_names:
            present = [
                (s, _as_argument(t.fields[field_name]))
                for s, t in sources
                if field_name in t.fields
            ]
            node = self._merge_input_value(
                f"{name}.{field_name}", "Input object field", present, [s for s, _ in sources]
            )
            if node is None:
                continue
            types = {str(a.type) for _, a in present}
            if len(types) > 1:
                joins = tuple(
                    directive("join__field", graph=Enum(s.graph), type=str(a.type))
                    for s, a in present
                )
                node = ast.InputValueDefinitionNode(
                    description=node.description,
                    name=node.name,
                    type=node.type,
                    default_value=node.default_value,
                    directives=(*(node.directives or ()), *joins),
                )
            merged.fields[field_name] = node
            merged.field_origins[field_name] = [s.name for s, _ in present]
        if (
            not merged.fields
            and field_names
            and not any(
                e.code.startswith("REQUIRED_INPUT") and f'"{name}.' in e.message
                for e in self.errors.errors
            )
        ):
            self.errors.add(
                "EMPTY_MERGED_INPUT_TYPE",
                f'None of the fields of input object type "{name}" are consistently defined in'
                " all the subgraphs defining that type. As only fields common to all subgraphs"
                " are merged, this would result in an empty type.",
            )
        self.result.types[name] = merged

    def _merge_scalar(self, name: str) -> None:
        sources = self.sources(name)
        merged = MergedType(name, "SCALAR")
        merged.description = _most_common(t.description for _, t in sources)
        merged.directives = self._plain_join_types(sources)
        merged.directives.extend(self._applied(t.applied for _, t in sources))
        specified_by = next((t.specified_by for _, t in sources if t.specified_by), None)
        if specified_by is not None:
            merged.directives.append(specified_by)
        merged.inaccessible = any(t.applied.inaccessible for _, t in sources)
        self.result.types[name] = merged

    def _merge_directive_definitions(self) -> None:
        """Executable directives defined in every subgraph reach the supergraph."""
        per_subgraph = [{d.name.value: d for d in s.directive_definitions} for s in self.subgraphs]
        if not per_subgraph:
            return
        for name, first in per_subgraph[0].items():
            definitions = [defs.get(name) for defs in per_subgraph]
            if any(d is None for d in definitions):
                continue
            present = [d for d in definitions if d is not None]
            locations = [loc.value for loc in first.locations if loc.value in EXECUTABLE_LOCATIONS]
            for other in present[1:]:
                other_locations = {loc.value for loc in other.locations}
                locations = [loc for loc in locations if loc in other_locations]
            if not locations:
                continue
            arguments: list[ast.InputValueDefinitionNode] = []
            for argument in first.arguments or ():
                found = [
                    next(
                        (a for a in d.arguments or () if a.name.value == argument.name.value), None
                    )
                    for d in present
                ]
                if any(f is None for f in found):
                    continue
                types = [TypeRef.from_ast(f.type) for f in found if f is not None]
                merged_type = self._most_restrictive(types)
                if merged_type is None:
                    self.errors.add(
                        "FIELD_ARGUMENT_TYPE_MISMATCH",
                        f'Type of argument "@{name}({argument.name.value}:)" is incompatible'
                        " across subgraphs.",
                    )
                    continue
                arguments.append(
                    ast.InputValueDefinitionNode(
                        description=argument.description,
                        name=argument.name,
                        type=merged_type.to_ast(),
                        default_value=argument.default_value,
                        directives=(),
                    )
                )
            self.result.directive_definitions.append(
                ast.DirectiveDefinitionNode(
                    description=first.description,
                    name=first.name,
                    arguments=tuple(arguments),
                    repeatable=all(d.repeatable for d in present),
                    locations=tuple(_name(loc) for loc in locations),
                )
            )

    # -- checks on the whole -------------------------------------------------------------

    def _check_extensions_have_base(self, names: list[str]) -> None:
        for name in names:
            sources = self.sources(name)
            if name in ROOT_NAMES.values() or not all(t.only_extended for _, t in sources):
                continue
            for subgraph, _ in sources:
                if not subgraph.fed2:
                    self.errors.in_subgraph(
                        subgraph.name,
                        "EXTENSION_WITH_NO_BASE",
                        f'Type "{name}" is an extension type, but there is no type definition for'
                        f' "{name}" in any subgraph.',
                    )

    def _check_interface_implementations(self) -> None:
        for merged in self.result.types.values():
            for interface in merged.interfaces:
                merged_interface = self.result.types.get(interface)
                if merged_interface is None:
                    continue
                for field_name in merged_interface.fields:
                    if field_name in merged.fields:
                        continue
                    declared = merged_interface.field_origins.get(field_name, [])
                    implemented = merged.implements_in.get(interface, [])
                    self.errors.add(
                        "INTERFACE_FIELD_NO_IMPLEM",
                        f'Interface field "{interface}.{field_name}" is declared in'
                        f' {subgraphs_phrase(declared)} but type "{merged.name}", which'
                        f' implements "{interface}" only in {subgraphs_phrase(implemented)}'
                        f' does not have field "{field_name}".',
                    )

    def _check_entity_interfaces_know_implementations(self) -> None:
        """A subgraph with a resolvable key on an interface knows all its implementations."""
        for name, merged in self.result.types.items():
            if merged.kind != "INTERFACE":
                continue
            implementations = [
                t.name
                for t in self.result.types.values()
                if t.kind == "OBJECT" and name in t.interfaces
            ]
            for subgraph, stype in self.sources(name):
                if stype.kind != "INTERFACE":
                    continue
                key = next((k for k in stype.keys if k.resolvable), None)
                if key is None:
                    continue
                missing = [
                    i
                    for i in implementations
                    if i not in subgraph.types or name not in subgraph.types[i].interfaces
                ]
                if missing:
                    self.errors.in_subgraph(
                        subgraph.name,
                        "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                        f'Interface type "{name}" has a resolvable key (@key(fields:'
                        f' "{key.fields}")) in subgraph "{subgraph.name}" but that subgraph is'
                        " missing some of the supergraph implementation types of"
                        f' "{name}". Subgraph "{subgraph.name}" should define type'
                        f"{'s' if len(missing) > 1 else ''} {quoted(missing)} (and have"
                        f' {"them" if len(missing) > 1 else "it"} implement "{name}").',
                    )

    def _check_queries(self) -> None:
        if not any(s.types["Query"].fields for s in self.subgraphs if "Query" in s.types):
            self.errors.add(
                "NO_QUERIES",
                "No queries found in any subgraph: a supergraph must have a query root type.",
            )

    def _check_inaccessible(self) -> None:
        types = self.result.types
        query = types.get("Query")
        if query is not None and query.inaccessible:
            self.errors.add(
                "QUERY_ROOT_TYPE_INACCESSIBLE",
                'Type "Query" is @inaccessible but is the query root type, which must be in the'
                " API schema.",
            )

        def hidden(directives: Iterable[ast.ConstDirectiveNode] | None) -> bool:
            return any(d.name.value == "inaccessible" for d in directives or ())

        def hidden_type(name: str) -> bool:
            merged = types.get(name)
            return merged is not None and merged.inaccessible

        for merged in types.values():
            if merged.inaccessible:
                continue
            children: list[tuple[str, Sequence[ast.ConstDirectiveNode] | None]] = []
            if merged.kind == "ENUM":
                children = [(v.name.value, v.directives) for v in merged.values]
                label = "values"
            elif merged.kind == "UNION":
                children = [
                    (m, [directive("inaccessible")] if hidden_type(m) else [])
                    for m in merged.members
                ]
                label = "members"
            else:
                children = [(n, f.directives) for n, f in merged.fields.items()]
                label = "fields"
            if children and all(hidden(d) for _, d in children):
                self.errors.add(
                    "ONLY_INACCESSIBLE_CHILDREN",
                    f'Type "{merged.name}" is in the API schema but all of its {label} are'
                    " @inaccessible.",
                )
            for field_name, node in merged.fields.items():
                if hidden(node.directives):
                    if (
                        isinstance(node, ast.InputValueDefinitionNode)
                        and isinstance(node.type, ast.NonNullTypeNode)
                        and node.default_value is None
                    ):
                        self.errors.add(
                            "REQUIRED_INACCESSIBLE",
                            f'Input field "{merged.name}.{field_name}" is @inaccessible but is a'
                            " required input field of its type.",
                        )
                    continue
                coordinate = f"{merged.name}.{field_name}"
                base = TypeRef.from_ast(node.type).base
                if hidden_type(base):
                    self.errors.add(
                        "REFERENCED_INACCESSIBLE",
                        f'Type "{base}" is @inaccessible but is referenced by "{coordinate}",'
                        " which is in the API schema.",
                    )
                for argument in getattr(node, "arguments", None) or ():
                    argument_coordinate = f"{coordinate}({argument.name.value}:)"
                    if hidden(argument.directives):
                        if (
                            isinstance(argument.type, ast.NonNullTypeNode)
                            and argument.default_value is None
                        ):
                            self.errors.add(
                                "REQUIRED_INACCESSIBLE",
                                f'Argument "{argument_coordinate}" is @inaccessible but is a'
                                " required argument of its field.",
                            )
                        continue
                    argument_base = TypeRef.from_ast(argument.type).base
                    if hidden_type(argument_base):
                        self.errors.add(
                            "REFERENCED_INACCESSIBLE",
                            f'Type "{argument_base}" is @inaccessible but is referenced by'
                            f' "{argument_coordinate}", which is in the API schema.',
                        )


def _as_argument(sfield: SField) -> SArgument:
    return SArgument(sfield.name, sfield.type, sfield.default, sfield.description, sfield.applied)


def _context_arguments(subgraph: Subgraph, sfield: SField) -> list[dict[str, str]]:
    """The ``contextArguments`` of a field's ``@join__field`` in ``subgraph``."""
    found = []
    for argument in sfield.arguments.values():
        parsed = parse_from_context(argument.applied.from_context or "")
        if parsed is None:
            continue
        context, selection = parsed
        found.append(
            {
                "context": f"{subgraph.name}__{context}",
                "name": argument.name,
                "type": str(argument.type),
                "selection": selection,
            }
        )
    return found


def merge(subgraphs: list[Subgraph], errors: ErrorCollector) -> Supergraph:
    return Merger(subgraphs, errors).merge()
