"""Reading a Federation 2 supergraph: which subgraph resolves what, and the API schema.

The supergraph SDL (``join__*`` / ``link__*`` format, as written by our composition or by
Apollo's) is turned into a ``Supergraph``: per type the subgraphs that define it and their
keys, per field the subgraphs that resolve it with their @requires / @provides /
@external / @override data, interface and union membership per subgraph, and the API
schema clients see (no join/link internals, nothing @inaccessible).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLSchema,
    build_ast_schema,
    parse,
    print_ast,
    value_from_ast_untyped,
)
from graphql.language import ast

JOIN_SPEC = "https://specs.apollo.dev/join/"
LINK_SPEC = "https://specs.apollo.dev/link/"
INACCESSIBLE_SPEC = "https://specs.apollo.dev/inaccessible/"
TAG_SPEC = "https://specs.apollo.dev/tag/"
# @context / @fromContext (Federation 2.8): the planner reads them; clients never see them.
CONTEXT_SPEC = "https://specs.apollo.dev/context/"
# Specs the gateway enforces itself (access rules, demand control): their directives and
# types are not part of the API schema, as in Apollo's.
ENFORCED_SPECS = {
    "https://specs.apollo.dev/authenticated/": "authenticated",
    "https://specs.apollo.dev/requiresScopes/": "requiresScopes",
    "https://specs.apollo.dev/policy/": "policy",
    "https://specs.apollo.dev/cost/": "cost",
}


class SupergraphError(Exception):
    """The supergraph SDL is not a Federation 2 supergraph we can serve."""


@dataclass(frozen=True)
class Graph:
    """A subgraph named in ``enum join__Graph``."""

    enum: str  # the join__Graph enum value, e.g. PEOPLE
    name: str  # e.g. people
    url: str


@dataclass(frozen=True)
class Key:
    graph: str  # join__Graph enum value
    fields: str  # the field set, e.g. "id" or "id organization { id }"
    resolvable: bool = True


@dataclass(frozen=True)
class ContextArgument:
    """One ``contextArguments`` entry of a ``@join__field``: the argument ``name`` of the
    field in that subgraph takes its value (of GraphQL type ``type``) from ``selection``
    on the nearest ancestor whose type sets ``context`` (``subgraph__name``)."""

    context: str
    name: str
    type: str
    selection: str


@dataclass(frozen=True)
class FieldInGraph:
    """One ``@join__field`` of a field: how one subgraph knows it."""

    graph: str
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    context_arguments: tuple[ContextArgument, ...] = ()


@dataclass
class FieldMeta:
    name: str
    parent: str
    joins: list[FieldInGraph] = field(default_factory=list)
    inaccessible: bool = False
    # A bare ``@join__field`` (no graph): no subgraph defines the field on this type; an
    # @interfaceObject subgraph provides it through an interface the type implements.
    unowned: bool = False

    def entry(self, graph: str) -> FieldInGraph | None:
        for join in self.joins:
            if join.graph == graph:
                return join
        return None


@dataclass
class TypeMeta:
    name: str
    kind: str  # object | interface | union | enum | input | scalar
    graphs: list[str] = field(default_factory=list)  # defining subgraphs, in join order
    keys: dict[str, list[Key]] = field(default_factory=dict)
    extension_graphs: set[str] = field(default_factory=set)
    interface_object_graphs: set[str] = field(default_factory=set)
    fields: dict[str, FieldMeta] = field(default_factory=dict)
    implements: dict[str, set[str]] = field(default_factory=dict)  # graph -> interfaces
    members: dict[str, set[str]] = field(default_factory=dict)  # union: graph -> members
    enum_values: dict[str, set[str]] = field(default_factory=dict)  # value -> graphs
    inaccessible: bool = False
    contexts: set[str] = field(default_factory=set)  # @context names this type sets

    @property
    def is_entity(self) -> bool:
        return any(self.keys.values())


def _arguments(directive: ast.DirectiveNode) -> dict[str, Any]:
    return {arg.name.value: value_from_ast_untyped(arg.value) for arg in directive.arguments or ()}


def _graph_name(enum_value: str) -> str:
    return enum_value.lower()


class Supergraph:
    """A parsed supergraph. Immutable after construction; share it between requests."""

    def __init__(self, sdl: str):
        self.sdl = sdl
        try:
            self.document = parse(sdl)
        except Exception as exc:  # graphql.GraphQLError: syntax
            raise SupergraphError(f"the supergraph is not valid GraphQL SDL: {exc}") from exc
        self._read_links()
        self.graphs: dict[str, Graph] = {}
        self.types: dict[str, TypeMeta] = {}
        self.root_types: dict[str, str] = {"query": "Query"}
        self._read()
        try:
            self.schema: GraphQLSchema = build_ast_schema(self.document, assume_valid_sdl=True)
        except Exception as exc:
            raise SupergraphError(f"the supergraph does not build: {exc}") from exc
        self.api_document = self._api_document()
        try:
            self.api_schema: GraphQLSchema = build_ast_schema(self.api_document)
        except Exception as exc:
            raise SupergraphError(f"the API schema does not build: {exc}") from exc

    # --- reading -----------------------------------------------------------------------

    def _read_links(self) -> None:
        """Directive names depend on @link(as:) imports; find them."""
        self.join = "join"
        self.link = "link"
        self.inaccessible_name = "inaccessible"
        self.tag_name = "tag"
        self.context_name = "context"
        # Local names of the ENFORCED_SPECS' directives and type-name prefixes.
        self.enforced_names: set[str] = set()
        self.enforced_prefixes: set[str] = set()
        for definition in self.document.definitions:
            if not isinstance(definition, ast.SchemaDefinitionNode | ast.SchemaExtensionNode):
                continue
            for directive in definition.directives or ():
                if directive.name.value not in {"link", "core"}:
                    continue
                args = _arguments(directive)
                url = str(args.get("url") or args.get("feature") or "")
                alias = args.get("as")
                if url.startswith(JOIN_SPEC) and alias:
                    self.join = alias
                elif url.startswith(INACCESSIBLE_SPEC):
                    self.inaccessible_name = alias or "inaccessible"
                    for item in args.get("import") or ():
                        if isinstance(item, dict) and item.get("name") == "@inaccessible":
                            self.inaccessible_name = item.get("as", "@inaccessible").lstrip("@")
                elif url.startswith(TAG_SPEC):
                    self.tag_name = alias or "tag"
                elif url.startswith(CONTEXT_SPEC):
                    # Not part of the API schema (as in Apollo's): hide it like the
                    # specs the gateway enforces.
                    self.context_name = alias or "context"
                    self.enforced_names.add(self.context_name)
                    self.enforced_prefixes.add(f"{self.context_name}__")
                for spec, name in ENFORCED_SPECS.items():
                    if url.startswith(spec):
                        self.enforced_names.add(alias or name)
                        self.enforced_prefixes.add(f"{alias or name}__")
                        for item in args.get("import") or ():
                            imported = (
                                item.get("as", item.get("name")) if isinstance(item, dict) else item
                            )
                            self.enforced_names.add(str(imported).lstrip("@"))
        if not any(
            isinstance(d, ast.EnumTypeDefinitionNode) and d.name.value == f"{self.join}__Graph"
            for d in self.document.definitions
        ):
            raise SupergraphError(
                "not a Federation 2 supergraph: no join__Graph enum (is this a subgraph SDL?)"
            )

    def _is_internal_name(self, name: str) -> bool:
        return (
            name.startswith(f"{self.join}__")
            or name.startswith(f"{self.link}__")
            or name.startswith(tuple(self.enforced_prefixes))
        )

    def _read(self) -> None:
        j = self.join
        for definition in self.document.definitions:
            if isinstance(definition, ast.SchemaDefinitionNode):
                for op in definition.operation_types:
                    self.root_types[op.operation.value] = op.type.name.value
            elif (
                isinstance(definition, ast.EnumTypeDefinitionNode)
                and definition.name.value == f"{j}__Graph"
            ):
                for value in definition.values or ():
                    for directive in value.directives or ():
                        if directive.name.value == f"{j}__graph":
                            args = _arguments(directive)
                            self.graphs[value.name.value] = Graph(
                                enum=value.name.value,
                                name=str(args.get("name") or _graph_name(value.name.value)),
                                url=str(args.get("url") or ""),
                            )
        for definition in self.document.definitions:
            if not isinstance(definition, ast.TypeDefinitionNode | ast.TypeExtensionNode):
                continue
            name = definition.name.value
            if self._is_internal_name(name):
                continue
            kind = {
                ast.ObjectTypeDefinitionNode: "object",
                ast.ObjectTypeExtensionNode: "object",
                ast.InterfaceTypeDefinitionNode: "interface",
                ast.InterfaceTypeExtensionNode: "interface",
                ast.UnionTypeDefinitionNode: "union",
                ast.UnionTypeExtensionNode: "union",
                ast.EnumTypeDefinitionNode: "enum",
                ast.EnumTypeExtensionNode: "enum",
                ast.InputObjectTypeDefinitionNode: "input",
                ast.InputObjectTypeExtensionNode: "input",
                ast.ScalarTypeDefinitionNode: "scalar",
                ast.ScalarTypeExtensionNode: "scalar",
            }[type(definition)]
            meta = self.types.setdefault(name, TypeMeta(name=name, kind=kind))
            for directive in definition.directives or ():
                dname = directive.name.value
                args = _arguments(directive)
                if dname == f"{j}__type":
                    graph = args.get("graph")
                    if graph is None:
                        continue
                    if graph not in meta.graphs:
                        meta.graphs.append(graph)
                    if args.get("key"):
                        meta.keys.setdefault(graph, []).append(
                            Key(graph, args["key"], args.get("resolvable", True) is not False)
                        )
                    if args.get("extension"):
                        meta.extension_graphs.add(graph)
                    if args.get("isInterfaceObject"):
                        meta.interface_object_graphs.add(graph)
                elif dname == f"{j}__implements":
                    meta.implements.setdefault(args["graph"], set()).add(args["interface"])
                elif dname == f"{j}__unionMember":
                    meta.members.setdefault(args["graph"], set()).add(args["member"])
                elif dname == self.inaccessible_name:
                    meta.inaccessible = True
                elif dname == self.context_name and args.get("name"):
                    meta.contexts.add(str(args["name"]))
            for fdef in getattr(definition, "fields", None) or ():
                fmeta = meta.fields.setdefault(
                    fdef.name.value, FieldMeta(name=fdef.name.value, parent=name)
                )
                for directive in fdef.directives or ():
                    dname = directive.name.value
                    if dname == self.inaccessible_name:
                        fmeta.inaccessible = True
                    if dname != f"{j}__field":
                        continue
                    args = _arguments(directive)
                    if args.get("graph") is None:
                        fmeta.unowned = True
                        continue
                    fmeta.joins.append(
                        FieldInGraph(
                            graph=args["graph"],
                            requires=args.get("requires"),
                            provides=args.get("provides"),
                            type=args.get("type"),
                            external=bool(args.get("external")),
                            override=args.get("override"),
                            used_overridden=bool(args.get("usedOverridden")),
                            context_arguments=tuple(
                                ContextArgument(
                                    context=str(item["context"]),
                                    name=str(item["name"]),
                                    type=str(item["type"]),
                                    selection=str(item["selection"]),
                                )
                                for item in args.get("contextArguments") or ()
                                if isinstance(item, dict)
                            ),
                        )
                    )
            for value in getattr(definition, "values", None) or ():
                graphs = meta.enum_values.setdefault(value.name.value, set())
                for directive in value.directives or ():
                    if directive.name.value == f"{j}__enumValue":
                        graphs.add(_arguments(directive)["graph"])
        if not self.graphs:
            raise SupergraphError("the supergraph names no subgraphs (join__Graph is empty)")

    # --- questions the planner asks ----------------------------------------------------

    def graph_by_name(self, name: str) -> Graph:
        for graph in self.graphs.values():
            if graph.name == name:
                return graph
        raise KeyError(name)

    def type_in_graph(self, type_name: str, graph: str) -> bool:
        meta = self.types.get(type_name)
        if meta is None:
            return False
        return not meta.graphs or graph in meta.graphs

    def field_graphs(self, type_name: str, field_name: str) -> list[str]:
        """Subgraphs that can resolve ``type.field`` themselves (not external, not overridden)."""
        meta = self.types.get(type_name)
        if meta is None:
            return []
        fmeta = meta.fields.get(field_name)
        if fmeta is None:
            return []
        if not fmeta.joins:
            return [] if fmeta.unowned else (list(meta.graphs) or list(self.graphs))
        return [j.graph for j in fmeta.joins if not j.external and not j.used_overridden]

    def resolvable_keys(self, type_name: str, graph: str) -> list[Key]:
        meta = self.types.get(type_name)
        if meta is None:
            return []
        return [k for k in meta.keys.get(graph, ()) if k.resolvable]

    def possible_types(self, type_name: str, graph: str | None = None) -> list[str]:
        """Concrete object types a value of ``type_name`` can have (in ``graph`` if given)."""
        meta = self.types.get(type_name)
        if meta is None:
            return []
        if meta.kind == "object":
            return [type_name]
        if meta.kind == "union":
            if graph is None:
                return sorted({m for ms in meta.members.values() for m in ms}) or [
                    t.name
                    for t in self.schema.get_possible_types(self.schema.type_map[type_name])  # type: ignore[arg-type]
                ]
            return sorted(meta.members.get(graph, set()))
        if meta.kind == "interface":
            found = []
            for other in self.types.values():
                if other.kind != "object":
                    continue
                if graph is None:
                    if any(type_name in ifaces for ifaces in other.implements.values()):
                        found.append(other.name)
                elif type_name in other.implements.get(graph, set()):
                    found.append(other.name)
            if graph is None and not found:
                schema_type = self.schema.type_map.get(type_name)
                found = [t.name for t in self.schema.get_possible_types(schema_type)]  # type: ignore[arg-type]
            return sorted(found)
        return []

    @cached_property
    def context_setters(self) -> dict[str, frozenset[str]]:
        """Per context (``subgraph__name``), the object types that set it: those with
        ``@context``, and the implementations (members) of an interface (union) with it."""
        found: dict[str, set[str]] = {}
        for meta in self.types.values():
            for name in meta.contexts:
                setters = found.setdefault(name, set())
                setters.add(meta.name)
                if meta.kind in {"interface", "union"}:
                    setters.update(self.possible_types(meta.name))
        return {name: frozenset(types) for name, types in found.items()}

    @cached_property
    def interfaces_of(self) -> dict[str, set[str]]:
        """Every interface each object type implements, in any subgraph."""
        result: dict[str, set[str]] = {}
        for meta in self.types.values():
            for ifaces in meta.implements.values():
                result.setdefault(meta.name, set()).update(ifaces)
        return result

    # --- the API schema ----------------------------------------------------------------

    def _api_document(self) -> DocumentNode:
        """The supergraph without join/link internals and without @inaccessible elements."""
        hidden_types = {n for n, m in self.types.items() if m.inaccessible}
        internal_directives = {self.inaccessible_name, self.tag_name, "link", "core"}
        internal_directives |= self.enforced_names

        def keep_directive(d: ast.DirectiveNode) -> bool:
            name = d.name.value
            return not (self._is_internal_name(name) or name in internal_directives)

        def inaccessible(node: Any) -> bool:
            return any(d.name.value == self.inaccessible_name for d in node.directives or ())

        def visible_type(type_node: ast.TypeNode) -> bool:
            while not isinstance(type_node, ast.NamedTypeNode):
                type_node = type_node.type  # type: ignore[attr-defined]
            return type_node.name.value not in hidden_types

        definitions: list[ast.DefinitionNode] = []
        for definition in self.document.definitions:
            if isinstance(definition, ast.DirectiveDefinitionNode):
                name = definition.name.value
                if self._is_internal_name(name) or name in internal_directives:
                    continue
                definitions.append(definition)
                continue
            if isinstance(definition, ast.SchemaDefinitionNode):
                definitions.append(
                    ast.SchemaDefinitionNode(
                        directives=(),
                        operation_types=definition.operation_types,
                        description=None,
                    )
                )
                continue
            if not isinstance(definition, ast.TypeDefinitionNode):
                continue
            name = definition.name.value
            if self._is_internal_name(name) or name in hidden_types:
                continue
            kwargs: dict[str, Any] = {
                key: getattr(definition, key) for key in definition.keys if key != "loc"
            }
            kwargs["directives"] = tuple(filter(keep_directive, definition.directives or ()))
            if isinstance(
                definition, ast.ObjectTypeDefinitionNode | ast.InterfaceTypeDefinitionNode
            ):
                fields = []
                for fdef in definition.fields or ():
                    if inaccessible(fdef) or not visible_type(fdef.type):
                        continue
                    args = tuple(
                        ast.InputValueDefinitionNode(
                            **{
                                **{k: getattr(a, k) for k in a.keys if k != "loc"},
                                "directives": tuple(filter(keep_directive, a.directives or ())),
                            }
                        )
                        for a in fdef.arguments or ()
                        if not inaccessible(a) and visible_type(a.type)
                    )
                    fields.append(
                        ast.FieldDefinitionNode(
                            **{
                                **{k: getattr(fdef, k) for k in fdef.keys if k != "loc"},
                                "arguments": args,
                                "directives": tuple(filter(keep_directive, fdef.directives or ())),
                            }
                        )
                    )
                kwargs["fields"] = tuple(fields)
                kwargs["interfaces"] = tuple(
                    i for i in definition.interfaces or () if i.name.value not in hidden_types
                )
            elif isinstance(definition, ast.UnionTypeDefinitionNode):
                kwargs["types"] = tuple(
                    t for t in definition.types or () if t.name.value not in hidden_types
                )
            elif isinstance(definition, ast.EnumTypeDefinitionNode):
                kwargs["values"] = tuple(
                    ast.EnumValueDefinitionNode(
                        **{
                            **{k: getattr(v, k) for k in v.keys if k != "loc"},
                            "directives": tuple(filter(keep_directive, v.directives or ())),
                        }
                    )
                    for v in definition.values or ()
                    if not inaccessible(v)
                )
            elif isinstance(definition, ast.InputObjectTypeDefinitionNode):
                kwargs["fields"] = tuple(
                    ast.InputValueDefinitionNode(
                        **{
                            **{k: getattr(f, k) for k in f.keys if k != "loc"},
                            "directives": tuple(filter(keep_directive, f.directives or ())),
                        }
                    )
                    for f in definition.fields or ()
                    if not inaccessible(f) and visible_type(f.type)
                )
            definitions.append(type(definition)(**kwargs))
        return ast.DocumentNode(definitions=tuple(definitions))

    @cached_property
    def api_sdl(self) -> str:
        return print_ast(self.api_document)


_FIELD_SET_CACHE: dict[str, ast.SelectionSetNode] = {}


def parse_field_set(field_set: str) -> ast.SelectionSetNode:
    """A ``join__FieldSet`` string ("id organization { id }") as a selection set."""
    cached = _FIELD_SET_CACHE.get(field_set)
    if cached is None:
        document = parse("{" + field_set + "}", no_location=True)
        operation = document.definitions[0]
        assert isinstance(operation, ast.OperationDefinitionNode)
        cached = _FIELD_SET_CACHE[field_set] = operation.selection_set
    return cached


def top_level_fields(field_set: str) -> list[str]:
    return [
        s.name.value for s in parse_field_set(field_set).selections if isinstance(s, ast.FieldNode)
    ]


def names(values: Iterable[str]) -> str:
    return ", ".join(f'"{v}"' for v in values)


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_]")
