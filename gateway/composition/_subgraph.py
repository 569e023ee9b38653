"""Reading one subgraph SDL into a model composition can merge.

Federation 2 subgraphs name their federation directives through
``@link(url: "https://specs.apollo.dev/federation/v2.x", import: [...])`` (anything not
imported is reachable as ``@federation__name``, or ``@<as>__name``). A subgraph without
such a link is a Federation 1 subgraph: its directives have their plain names, and it is
upgraded the way Apollo upgrades one (every field is shareable, unused @external fields go
away, @external on the key fields of a type extension is dropped, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, build_ast_schema, parse, validate_schema
from graphql.language import ast
from graphql.validation.validate import validate_sdl

from ._errors import ErrorCollector
from ._fieldset import (
    FieldInfo,
    FieldSetContext,
    external_problems,
    parse_field_set,
    visit_field_set,
    without_fields,
)
from ._types import TypeRef

FEDERATION_SPEC = "https://specs.apollo.dev/federation/"
LATEST_FEDERATION_MINOR = 11

# Federation 2 directives and the minor version of v2 that brought them.
FEDERATION_DIRECTIVES: dict[str, int] = {
    "key": 0,
    "requires": 0,
    "provides": 0,
    "external": 0,
    "tag": 0,
    "extends": 0,
    "shareable": 0,
    "inaccessible": 0,
    "override": 0,
    "composeDirective": 1,
    "interfaceObject": 3,
    "authenticated": 5,
    "requiresScopes": 5,
    "policy": 6,
    "context": 8,
    "fromContext": 8,
    "cost": 9,
    "listSize": 9,
}
FEDERATION_TYPES = {"FieldSet": 0, "Scope": 5, "Policy": 6, "ContextFieldValue": 8}
FED1_DIRECTIVES = ("key", "requires", "provides", "external", "extends", "tag", "inaccessible")
# Federation directives this composition does not merge yet: using one is an error rather
# than a silently weaker supergraph (several of them carry access rules).
UNSUPPORTED_DIRECTIVES = {
    "composeDirective",
}

_TYPE_SYSTEM_LOCATIONS = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM"
    " | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
_AUTH_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
_ANY = "_YuiFederationAny"  # a scalar that accepts any literal, for checking directive usage


def _directive_definition(canonical: str, local: str, minor: int) -> str:
    """SDL of a federation directive under its local name, to check how it is applied."""
    label = ", label: String" if minor >= 7 else ""
    specs = {
        "key": f"(fields: {_ANY}!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE",
        "requires": f"(fields: {_ANY}!) on FIELD_DEFINITION",
        "provides": f"(fields: {_ANY}!) on FIELD_DEFINITION",
        "external": "(reason: String) on OBJECT | FIELD_DEFINITION",
        "tag": f"(name: String!) repeatable on {_TYPE_SYSTEM_LOCATIONS} | SCHEMA",
        "extends": " on OBJECT | INTERFACE",
        "shareable": " repeatable on OBJECT | FIELD_DEFINITION",
        "inaccessible": f" on {_TYPE_SYSTEM_LOCATIONS}",
        "override": f"(from: String!{label}) on FIELD_DEFINITION",
        "composeDirective": "(name: String!) repeatable on SCHEMA",
        "interfaceObject": " on OBJECT",
        "authenticated": f" on {_AUTH_LOCATIONS}",
        "requiresScopes": f"(scopes: {_ANY}!) on {_AUTH_LOCATIONS}",
        "policy": f"(policies: {_ANY}!) on {_AUTH_LOCATIONS}",
        "context": "(name: String!) repeatable on INTERFACE | OBJECT | UNION",
        "fromContext": f"(field: {_ANY}) on ARGUMENT_DEFINITION",
        "cost": (
            "(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION"
            " | INPUT_FIELD_DEFINITION | OBJECT | SCALAR"
        ),
        "listSize": (
            "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!],"
            " requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION"
        ),
        "link": f"(url: String, as: String, for: {_ANY}, import: {_ANY}) repeatable on SCHEMA",
    }
    return f"directive @{local}{specs[canonical]}"


KIND_OF_NODE: dict[type, str] = {
    ast.ObjectTypeDefinitionNode: "OBJECT",
    ast.ObjectTypeExtensionNode: "OBJECT",
    ast.InterfaceTypeDefinitionNode: "INTERFACE",
    ast.InterfaceTypeExtensionNode: "INTERFACE",
    ast.UnionTypeDefinitionNode: "UNION",
    ast.UnionTypeExtensionNode: "UNION",
    ast.EnumTypeDefinitionNode: "ENUM",
    ast.EnumTypeExtensionNode: "ENUM",
    ast.InputObjectTypeDefinitionNode: "INPUT_OBJECT",
    ast.InputObjectTypeExtensionNode: "INPUT_OBJECT",
    ast.ScalarTypeDefinitionNode: "SCALAR",
    ast.ScalarTypeExtensionNode: "SCALAR",
}
_DEFINITION_OF_EXTENSION: dict[type, type[ast.TypeDefinitionNode]] = {
    ast.ObjectTypeExtensionNode: ast.ObjectTypeDefinitionNode,
    ast.InterfaceTypeExtensionNode: ast.InterfaceTypeDefinitionNode,
    ast.UnionTypeExtensionNode: ast.UnionTypeDefinitionNode,
    ast.EnumTypeExtensionNode: ast.EnumTypeDefinitionNode,
    ast.InputObjectTypeExtensionNode: ast.InputObjectTypeDefinitionNode,
    ast.ScalarTypeExtensionNode: ast.ScalarTypeDefinitionNode,
}
KIND_LABEL = {
    "OBJECT": "Object Type",
    "INTERFACE": "Interface Type",
    "UNION": "Union Type",
    "ENUM": "Enum Type",
    "INPUT_OBJECT": "Input Object Type",
    "SCALAR": "Scalar Type",
}
ROOT_OPERATIONS = ("query", "mutation", "subscription")
ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
# What a federation-aware subgraph framework adds to its SDL and composition leaves out.
FEDERATION_INTERNAL_TYPES = {"_Any", "_Service", "_Entity", "_FieldSet", "FieldSet"}
FEDERATION_INTERNAL_ROOT_FIELDS = {"_entities", "_service"}
EXECUTABLE_LOCATIONS = {
    "QUERY",
    "MUTATION",
    "SUBSCRIPTION",
    "FIELD",
    "FRAGMENT_DEFINITION",
    "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT",
    "VARIABLE_DEFINITION",
}


@dataclass
class Applied:
    """Directives composition carries to the supergraph as they are."""

    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    deprecated: ast.ConstDirectiveNode | None = None
    # Access rules (federation v2.5/v2.6), carried as the spec directives of the same name;
    # scopes and policies are in disjunctive normal form: any inner list, all of its items.
    authenticated: bool = False
    scopes: list[list[str]] | None = None
    policies: list[list[str]] | None = None
    # Demand control (federation v2.9): @cost(weight:) and @listSize's arguments as given.
    cost: int | None = None
    list_size: ast.ConstDirectiveNode | None = None
    # Contextual arguments (federation v2.8): @context names on a type, @fromContext's
    # `field` on an argument.
    contexts: list[str] = field(default_factory=list)
    from_context: str | None = None


@dataclass
class SArgument:
    name: str
    type: TypeRef
    default: ast.ConstValueNode | None
    description: str | None
    applied: Applied


@dataclass
class SField:
    name: str
    type: TypeRef
    description: str | None
    applied: Applied
    arguments: dict[str, SArgument] = field(default_factory=dict)
    default: ast.ConstValueNode | None = None  # input fields
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override_from: str | None = None
    override_label: str | None = None


@dataclass
class SEnumValue:
    name: str
    description: str | None
    applied: Applied


@dataclass
class SKey:
    fields: str
    resolvable: bool
    selection: ast.SelectionSetNode | None = None


@dataclass
class SType:
    name: str
    kind: str
    description: str | None
    applied: Applied
    fields: dict[str, SField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, SEnumValue] = field(default_factory=dict)
    keys: list[SKey] = field(default_factory=list)
    extension: bool = False  # written to @join__type(extension: true)
    only_extended: bool = False  # only `extend type` / @extends in this subgraph
    interface_object: bool = False
    specified_by: ast.ConstDirectiveNode | None = None


@dataclass
class Subgraph:
    name: str
    url: str
    graph: str  # join__Graph enum value
    fed2: bool
    types: dict[str, SType] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)  # operation -> root type name
    directive_definitions: list[ast.DirectiveDefinitionNode] = field(default_factory=list)
    key_fields: set[tuple[str, str]] = field(default_factory=set)  # in a @key, any depth
    used_fields: set[tuple[str, str]] = field(default_factory=set)  # @key/@requires/@provides
    provided_fields: set[tuple[str, str]] = field(default_factory=set)  # in some @provides
    override_unknown_from: dict[tuple[str, str], str] = field(default_factory=dict)

    def field(self, type_name: str, field_name: str) -> SField | None:
        stype = self.types.get(type_name)
        return stype.fields.get(field_name) if stype is not None else None

    def possible_types(self, name: str) -> set[str]:
        stype = self.types.get(name)
        if stype is None:
            return set()
        if stype.kind == "UNION":
            return set(stype.members)
        if stype.kind == "INTERFACE":
            return {t.name for t in self.types.values() if name in t.interfaces}
        return {name}

    def field_set_context(self) -> FieldSetContext:
        def kind_of(name: str) -> str | None:
            if name in BUILTIN_SCALARS:
                return "SCALAR"
            stype = self.types.get(name)
            return stype.kind if stype is not None else None

        def field_of(type_name: str, field_name: str) -> FieldInfo | None:
            sfield = self.field(type_name, field_name)
            stype = self.types.get(type_name)
            if sfield is None or stype is None or stype.kind not in ("OBJECT", "INTERFACE"):
                return None
            return FieldInfo(bool(sfield.arguments), sfield.type.base, sfield.external)

        return FieldSetContext(kind_of, field_of, self.possible_types)


def graph_enum_names(names: Sequence[str]) -> dict[str, str]:
    """The join__Graph enum value of each subgraph name: upper case, made a valid name."""
    result: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
        if not base or base[0].isdigit():
            base = "_" + base
        candidate, counter = base, 1
        while candidate in taken:
            candidate = f"{base}_{counter}"
            counter += 1
        taken.add(candidate)
        result[name] = candidate
    return result


def _string_argument(directive: ast.ConstDirectiveNode, name: str) -> str | None:
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, ast.StringValueNode):
            return argument.value.value
    return None


_ACCESS_ARGUMENTS = {"requiresScopes": "scopes", "policy": "policies"}
_CONTEXT_NAME = re.compile(r"^[A-Za-z]\w*$", re.ASCII)
# `$name selection` of @fromContext(field:), ignored tokens (blanks, commas, comments)
# allowed around the `$`, as Apollo reads it; the selection keeps its leading space, as
# Apollo's composition writes it into contextArguments.
_IGNORED = r"(?:[\n\r\t ,]|#[^\n\r]*)*"
_FROM_CONTEXT = re.compile(
    rf"^{_IGNORED}\${_IGNORED}([A-Za-z_]\w*)(?!\w)(.*)$", re.DOTALL | re.ASCII
)


def parse_from_context(value: str) -> tuple[str, str] | None:
    """(context, selection) of a @fromContext field value, None when it names none."""
    match = _FROM_CONTEXT.match(value)
    if match is None or not match.group(2):
        return None
    return match.group(1), match.group(2)


def _string_lists(value: ast.ConstValueNode | None) -> list[list[str]] | None:
    """``[["a", "b"], ["c"]]`` as Python lists, or None when the value has another shape."""
    if not isinstance(value, ast.ListValueNode):
        return None
    result: list[list[str]] = []
    for inner in value.values:
        if not isinstance(inner, ast.ListValueNode):
            return None
        items = [v.value for v in inner.values if isinstance(v, ast.StringValueNode)]
        if len(items) != len(inner.values):
            return None
        result.append(items)
    return result


def _argument(directive: ast.ConstDirectiveNode, name: str) -> ast.ConstValueNode | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            return argument.value
    return None


def _description(node: ast.Node) -> str | None:
    description = getattr(node, "description", None)
    return description.value if description is not None else None


class _Reader:
    """Turns one subgraph SDL into a ``Subgraph``, reporting what is wrong with it."""

    def __init__(self, name: str, url: str, graph: str, errors: ErrorCollector) -> None:
        self.name = name
        self.url = url
        self.graph = graph
        self.errors = errors
        self.ok = True
        self.directives: dict[str, str] = {}  # local name -> canonical federation name
        self.unimported: dict[str, str] = {}  # plain name -> qualified name (hints)
        self.stripped_types: set[str] = set(FEDERATION_INTERNAL_TYPES)
        self.emptied_roots: set[str] = set()  # types with only _entities/_service fields
        self.fed2 = False
        self.minor = 0

    def error(self, code: str, message: str) -> None:
        self.ok = False
        self.errors.in_subgraph(self.name, code, message)

    # -- reading -------------------------------------------------------------------------

    def read(self, sdl: str) -> Subgraph | None:
        try:
            document = parse(sdl)
        except GraphQLSyntaxError as error:
            self.error("INVALID_GRAPHQL", f"Syntax Error: {error.message}")
            return None
        schema_nodes = [
            d
            for d in document.definitions
            if isinstance(d, ast.SchemaDefinitionNode | ast.SchemaExtensionNode)
        ]
        self._read_links(schema_nodes)
        if not self.ok:
            return None
        definitions = self._strip(document.definitions)
        if not self._validate(definitions):
            return None
        subgraph = Subgraph(self.name, self.url, self.graph, self.fed2)
        subgraph.roots = self._roots(schema_nodes, definitions)
        self._build_types(subgraph, definitions)
        if not self.ok:
            return None
        self._rename_roots(subgraph)
        self._check_field_sets(subgraph)
        self._check_contexts(subgraph)
        self._check_externals(subgraph)
        self._check_interfaces(subgraph)
        return subgraph if self.ok else None

    def _read_links(self, schema_nodes: Sequence[ast.Node]) -> None:
        links: list[ast.ConstDirectiveNode] = []
        for node in schema_nodes:
            links.extend(d for d in node.directives or () if d.name.value == "link")  # type: ignore[attr-defined]
        federation_link = None
        for link in links:
            url = _string_argument(link, "url") or ""
            if url.startswith(FEDERATION_SPEC):
                if federation_link is not None:
                    self.error(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        "The federation specification is @link-ed more than once.",
                    )
                    return
                federation_link = link
        if federation_link is None:
            self.fed2 = False
            for name in FED1_DIRECTIVES:
                self.directives[name] = name
            return
        self.fed2 = True
        url = _string_argument(federation_link, "url") or ""
        match = re.fullmatch(re.escape(FEDERATION_SPEC) + r"v(\d+)\.(\d+)", url.rstrip("/"))
        if (
            match is None
            or int(match.group(1)) != 2
            or int(match.group(2)) > LATEST_FEDERATION_MINOR
        ):
            self.error(
                "UNKNOWN_FEDERATION_LINK_VERSION",
                f'Invalid version in federation @link url "{url}": this composition knows'
                f" federation v2.0 to v2.{LATEST_FEDERATION_MINOR}.",
            )
            return
        self.minor = int(match.group(2))
        prefix = _string_argument(federation_link, "as") or "federation"
        for name, since in FEDERATION_DIRECTIVES.items():
            if since <= self.minor:
                self.directives[f"{prefix}__{name}"] = name
                self.unimported[name] = f"{prefix}__{name}"
        for name in FEDERATION_TYPES:
            self.stripped_types.add(f"{prefix}__{name}")
        imports = _argument(federation_link, "import")
        items: list[ast.ConstValueNode] = []
        if isinstance(imports, ast.ListValueNode):
            items = list(imports.values)
        elif imports is not None:
            items = [imports]
        for item in items:
            imported: str | None = None
            alias: str | None = None
            if isinstance(item, ast.StringValueNode):
                imported = item.value
            elif isinstance(item, ast.ObjectValueNode):
                for object_field in item.fields:
                    if isinstance(object_field.value, ast.StringValueNode):
                        if object_field.name.value == "name":
                            imported = object_field.value.value
                        elif object_field.name.value == "as":
                            alias = object_field.value.value
            if imported is None:
                self.error(
                    "INVALID_LINK_DIRECTIVE_USAGE",
                    "Invalid sub-value in the import: of the federation @link: an import is"
                    ' a string or an object {name: "...", as: "..."}.',
                )
                continue
            if imported.startswith("@"):
                canonical = imported[1:]
                local = (alias or imported).lstrip("@")
                if FEDERATION_DIRECTIVES.get(canonical, 99) > self.minor:
                    self.error(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f'Cannot import unknown element "{imported}" from federation'
                        f" v2.{self.minor}.",
                    )
                    continue
                self.directives[local] = canonical
                self.unimported.pop(canonical, None)
            else:
                if FEDERATION_TYPES.get(imported, 99) > self.minor:
                    self.error(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f'Cannot import unknown element "{imported}" from federation'
                        f" v2.{self.minor}.",
                    )
                    continue
                self.stripped_types.add(alias or imported)

    def _is_stripped_type(self, name: str) -> bool:
        return (
            name in self.stripped_types
            or name.startswith("link__")
            or name.startswith("federation__")
            or name.startswith("join__")
        )

    def _strip(self, definitions: Iterable[ast.DefinitionNode]) -> list[ast.DefinitionNode]:
        """Leave out federation's own definitions, keep the subgraph's."""
        kept: list[ast.DefinitionNode] = []
        for definition in definitions:
            if isinstance(definition, ast.DirectiveDefinitionNode):
                name = definition.name.value
                if name in self.directives or name == "link":
                    continue
                kept.append(definition)
            elif isinstance(definition, ast.TypeDefinitionNode | ast.TypeExtensionNode):
                name = definition.name.value  # type: ignore[attr-defined]
                if self._is_stripped_type(name):
                    continue
                fields = getattr(definition, "fields", None)
                if fields and isinstance(
                    definition, ast.ObjectTypeDefinitionNode | ast.ObjectTypeExtensionNode
                ):
                    kept_fields = tuple(
                        f for f in fields if f.name.value not in FEDERATION_INTERNAL_ROOT_FIELDS
                    )
                    if len(kept_fields) != len(fields):
                        if not kept_fields:
                            # A Query with only _entities/_service: no fields of its own
                            # (a subgraph that only contributes entities), as Apollo accepts.
                            self.emptied_roots.add(name)
                        values = {k: getattr(definition, k) for k in definition.keys}
                        values["fields"] = kept_fields
                        definition = type(definition)(**values)
                kept.append(definition)
            else:
                kept.append(definition)
        return kept

    def _validate(self, definitions: list[ast.DefinitionNode]) -> bool:
        """Check the subgraph is valid GraphQL, with federation's directives defined."""
        defined_types = {
            d.name.value  # type: ignore[attr-defined]
            for d in definitions
            if isinstance(d, ast.TypeDefinitionNode)
        }
        document_definitions: list[ast.DefinitionNode] = []
        for definition in definitions:
            if isinstance(definition, ast.TypeExtensionNode):
                name = definition.name.value  # type: ignore[attr-defined]
                if name not in defined_types:
                    # A Federation 1 style `extend type` of a type defined elsewhere.
                    definition_class = _DEFINITION_OF_EXTENSION[type(definition)]
                    values: dict[str, Any] = {
                        k: getattr(definition, k, None) for k in definition_class.keys
                    }
                    definition = definition_class(**values)
                    defined_types.add(name)
            if isinstance(definition, ast.SchemaExtensionNode) and not any(
                isinstance(d, ast.SchemaDefinitionNode) for d in definitions
            ):
                if not definition.operation_types:
                    continue
                definition = ast.SchemaDefinitionNode(
                    directives=definition.directives, operation_types=definition.operation_types
                )
            document_definitions.append(definition)
        defined_directives = {
            d.name.value for d in definitions if isinstance(d, ast.DirectiveDefinitionNode)
        }
        extra = [f"scalar {_ANY}"]
        for local, canonical in self.directives.items():
            if local not in defined_directives:
                extra.append(_directive_definition(canonical, local, self.minor))
        extra.append(_directive_definition("link", "link", self.minor))
        document_definitions.extend(parse("\n".join(extra), no_location=True).definitions)
        document = ast.DocumentNode(definitions=tuple(document_definitions))
        problems: list[GraphQLError] = list(validate_sdl(document))
        if not problems:
            try:
                schema = build_ast_schema(document, assume_valid_sdl=True)
            except (GraphQLError, TypeError) as error:
                problems.append(GraphQLError(str(error)))
            else:
                # A subgraph may only contribute entities: it needs no query root.
                # graphql-js (and so Apollo) has no rule on deprecating an implementation's
                # field while the interface's is not.
                problems.extend(
                    e
                    for e in validate_schema(schema)
                    if "Query root type" not in e.message
                    and "must not be deprecated" not in e.message
                )
        problems = [
            p
            for p in problems
            if not any(
                p.message == f"Type {name} must define one or more fields."
                for name in self.emptied_roots
            )
        ]
        for problem in problems:
            message = problem.message
            unknown = re.fullmatch(r"Unknown directive '@(\w+)'\.", message)
            if unknown and unknown.group(1) in self.unimported:
                name = unknown.group(1)
                message += (
                    f' If you meant the "@{name}" federation directive, you should use the'
                    f' fully-qualified name "@{self.unimported[name]}" or add "@{name}" to'
                    " the `import` argument of the @link to the federation specification."
                )
            elif unknown and not self.fed2 and unknown.group(1) in FEDERATION_DIRECTIVES:
                message += (
                    f' If you meant the "@{unknown.group(1)}" federation 2 directive, note that'
                    " this schema is a federation 1 schema. To be a federation 2 schema, it"
                    " needs to @link to the federation specification v2."
                )
            self.error("INVALID_GRAPHQL", message)
        return not problems

    def _roots(
        self, schema_nodes: Sequence[ast.Node], definitions: list[ast.DefinitionNode]
    ) -> dict[str, str]:
        roots: dict[str, str] = {}
        for node in schema_nodes:
            for operation_type in getattr(node, "operation_types", None) or ():
                roots[operation_type.operation.value] = operation_type.type.name.value
        if not roots:
            names = {
                d.name.value  # type: ignore[attr-defined]
                for d in definitions
                if isinstance(d, ast.TypeDefinitionNode | ast.TypeExtensionNode)
            }
            for operation, name in ROOT_NAMES.items():
                if name in names:
                    roots[operation] = name
        return roots

    # -- the model -----------------------------------------------------------------------

    def _resolve(self, directive: ast.ConstDirectiveNode) -> str:
        """The canonical name of an applied directive (federation, built-in or custom)."""
        return self.directives.get(directive.name.value, directive.name.value)

    def _applied(self, directives: Iterable[ast.ConstDirectiveNode], where: str) -> Applied:
        applied = Applied()
        for directive in directives:
            canonical = self._resolve(directive)
            if canonical == "inaccessible" and directive.name.value in self.directives:
                applied.inaccessible = True
            elif canonical == "tag" and directive.name.value in self.directives:
                tag = _string_argument(directive, "name")
                if tag is not None and tag not in applied.tags:
                    applied.tags.append(tag)
            elif canonical == "deprecated":
                applied.deprecated = ast.ConstDirectiveNode(
                    name=ast.NameNode(value="deprecated"), arguments=directive.arguments
                )
            elif canonical == "cost" and directive.name.value in self.directives:
                weight = _argument(directive, "weight")
                if isinstance(weight, ast.IntValueNode):
                    applied.cost = int(weight.value)
            elif canonical == "listSize" and directive.name.value in self.directives:
                applied.list_size = ast.ConstDirectiveNode(
                    name=ast.NameNode(value="listSize"), arguments=directive.arguments
                )
            elif canonical == "context" and directive.name.value in self.directives:
                name = _string_argument(directive, "name") or ""
                if "_" in name:
                    self.error(
                        "CONTEXT_NAME_INVALID",
                        f'Context name "{name}" may not contain an underscore.',
                    )
                elif not _CONTEXT_NAME.match(name):
                    self.error(
                        "CONTEXT_NAME_INVALID",
                        f'Context name "{name}" is invalid. It should have only alphanumeric'
                        " characters.",
                    )
                elif name not in applied.contexts:
                    applied.contexts.append(name)
            elif canonical == "fromContext" and directive.name.value in self.directives:
                applied.from_context = _string_argument(directive, "field") or ""
            elif canonical == "authenticated" and directive.name.value in self.directives:
                applied.authenticated = True
            elif canonical in _ACCESS_ARGUMENTS and directive.name.value in self.directives:
                rules = _string_lists(_argument(directive, _ACCESS_ARGUMENTS[canonical]))
                if rules is None:
                    self.error(
                        "DIRECTIVE_INVALID_FIELDS_TYPE",
                        f'"@{canonical}" (on {where}) takes a list of lists of strings.',
                    )
                elif canonical == "requiresScopes":
                    applied.scopes = rules
                else:
                    applied.policies = rules
            elif canonical in UNSUPPORTED_DIRECTIVES and directive.name.value in self.directives:
                self.error(
                    "UNSUPPORTED_FEATURE",
                    f'The federation directive "@{canonical}" (on {where}) is not supported by'
                    " this composition yet.",
                )
        return applied

    def _build_types(self, subgraph: Subgraph, definitions: list[ast.DefinitionNode]) -> None:
        nodes_by_type: dict[str, list[ast.Node]] = {}
        for definition in definitions:
            if isinstance(definition, ast.DirectiveDefinitionNode):
                subgraph.directive_definitions.append(definition)
            elif isinstance(definition, ast.TypeDefinitionNode | ast.TypeExtensionNode):
                name = definition.name.value  # type: ignore[attr-defined]
                nodes_by_type.setdefault(name, []).append(definition)
            elif isinstance(definition, ast.SchemaDefinitionNode | ast.SchemaExtensionNode):
                for directive in definition.directives or ():
                    canonical = self._resolve(directive)
                    if (
                        canonical in UNSUPPORTED_DIRECTIVES
                        and directive.name.value in self.directives
                    ):
                        self.error(
                            "UNSUPPORTED_FEATURE",
                            f'The federation directive "@{canonical}" (on the schema) is not'
                            " supported by this composition yet.",
                        )
        for name, nodes in nodes_by_type.items():
            subgraph.types[name] = self._build_type(name, nodes)

    def _build_type(self, name: str, nodes: list[ast.Node]) -> SType:
        kind = KIND_OF_NODE[type(nodes[0])]
        description = next((_description(n) for n in nodes if _description(n)), None)
        all_directives = [d for n in nodes for d in getattr(n, "directives", None) or ()]
        stype = SType(name, kind, description, self._applied(all_directives, f'type "{name}"'))
        only_extended = all(isinstance(n, ast.TypeExtensionNode) for n in nodes)
        has_extends = False
        for directive in all_directives:
            canonical = self._resolve(directive)
            if directive.name.value not in self.directives:
                if canonical == "specifiedBy":
                    stype.specified_by = directive
                continue
            if canonical == "key":
                fields = _string_argument(directive, "fields")
                resolvable_node = _argument(directive, "resolvable")
                resolvable = not (
                    isinstance(resolvable_node, ast.BooleanValueNode) and not resolvable_node.value
                )
                if fields is None:
                    self.error(
                        "KEY_INVALID_FIELDS_TYPE",
                        f'On type "{name}", for @key: the "fields" argument must be a string.',
                    )
                    continue
                stype.keys.append(SKey(fields, resolvable))
            elif canonical == "extends":
                has_extends = True
            elif canonical == "interfaceObject":
                stype.interface_object = True
        stype.only_extended = only_extended or has_extends
        if self.fed2:
            stype.extension = stype.only_extended
        else:
            stype.extension = has_extends
        for node in nodes:
            node_directives = [self._resolve(d) for d in getattr(node, "directives", None) or ()]
            node_shareable = "shareable" in node_directives and self.fed2
            node_external = "external" in node_directives
            for interface in getattr(node, "interfaces", None) or ():
                if interface.name.value not in stype.interfaces:
                    stype.interfaces.append(interface.name.value)
            for member in getattr(node, "types", None) or ():
                if member.name.value not in stype.members:
                    stype.members.append(member.name.value)
            for value in getattr(node, "values", None) or ():
                where = f'enum value "{name}.{value.name.value}"'
                stype.values[value.name.value] = SEnumValue(
                    value.name.value,
                    _description(value),
                    self._applied(value.directives or (), where),
                )
            for field_node in getattr(node, "fields", None) or ():
                sfield = self._build_field(name, field_node)
                if node_shareable:
                    sfield.shareable = True
                if node_external and kind == "OBJECT":
                    sfield.external = True
                stype.fields[sfield.name] = sfield
        return stype

    def _build_field(self, type_name: str, node: ast.Node) -> SField:
        field_name = node.name.value  # type: ignore[attr-defined]
        coordinate = f"{type_name}.{field_name}"
        directives = list(getattr(node, "directives", None) or ())
        sfield = SField(
            field_name,
            TypeRef.from_ast(node.type),  # type: ignore[attr-defined]
            _description(node),
            self._applied(directives, f'field "{coordinate}"'),
            default=getattr(node, "default_value", None),
        )
        for argument in getattr(node, "arguments", None) or ():
            where = f'argument "{coordinate}({argument.name.value}:)"'
            sfield.arguments[argument.name.value] = SArgument(
                argument.name.value,
                TypeRef.from_ast(argument.type),
                argument.default_value,
                _description(argument),
                self._applied(argument.directives or (), where),
            )
        for directive in directives:
            if directive.name.value not in self.directives:
                continue
            canonical = self._resolve(directive)
            if canonical == "external":
                sfield.external = True
            elif canonical == "shareable":
                sfield.shareable = True
            elif canonical in ("requires", "provides"):
                fields = _string_argument(directive, "fields")
                if fields is None:
                    self.error(
                        f"{canonical.upper()}_INVALID_FIELDS_TYPE",
                        f'On field "{coordinate}", for @{canonical}: the "fields" argument must'
                        " be a string.",
                    )
                elif canonical == "requires":
                    sfield.requires = fields
                else:
                    sfield.provides = fields
            elif canonical == "override":
                sfield.override_from = _string_argument(directive, "from")
                sfield.override_label = _string_argument(directive, "label")
                if sfield.override_label is not None and not re.fullmatch(
                    r"[a-zA-Z][a-zA-Z0-9_\-:./]*|percent\((\d{1,2}(\.\d{1,8})?|100)\)",
                    sfield.override_label,
                ):
                    self.error(
                        "OVERRIDE_LABEL_INVALID",
                        f'Invalid @override label "{sfield.override_label}" on field'
                        f' "{coordinate}": labels must match'
                        r" /^[a-zA-Z][a-zA-Z0-9_\-:./]*$/ or"
                        r" /^percent\((\d{1,2}(\.\d{1,8})?|100)\)$/",
                    )
        return sfield

    def _rename_roots(self, subgraph: Subgraph) -> None:
        """Root types get their standard names (Query, Mutation, Subscription)."""
        mapping = {
            name: ROOT_NAMES[operation]
            for operation, name in subgraph.roots.items()
            if name != ROOT_NAMES[operation]
        }
        if not mapping:
            return
        for operation, name in subgraph.roots.items():
            standard = ROOT_NAMES[operation]
            if name != standard and standard in subgraph.types:
                self.error(
                    f"ROOT_{operation.upper()}_USED",
                    f'The schema has a type named "{standard}" but it is not set as the'
                    f' {operation} root type ("{name}" is instead): this is not supported by'
                    " federation.",
                )
                return
        renamed: dict[str, SType] = {}
        for stype in subgraph.types.values():
            stype.name = mapping.get(stype.name, stype.name)
            stype.interfaces = [mapping.get(n, n) for n in stype.interfaces]
            stype.members = [mapping.get(n, n) for n in stype.members]
            for sfield in stype.fields.values():
                sfield.type = sfield.type.rename(mapping)
                for argument in sfield.arguments.values():
                    argument.type = argument.type.rename(mapping)
            renamed[stype.name] = stype
        subgraph.types = renamed
        subgraph.roots = {operation: ROOT_NAMES[operation] for operation in subgraph.roots}

    # -- federation directives -----------------------------------------------------------

    def _check_field_sets(self, subgraph: Subgraph) -> None:
        context = subgraph.field_set_context()
        for stype in subgraph.types.values():
            if stype.keys and stype.kind == "INTERFACE":
                if not self.fed2:
                    stype.keys = []  # Federation 1 ignored keys on interfaces
                elif self.minor < 3:
                    self.error(
                        "KEY_UNSUPPORTED_ON_INTERFACE",
                        f'Cannot use @key on interface "{stype.name}": @key is not yet'
                        " supported on interfaces before federation v2.3",
                    )
                    continue
            if stype.keys and stype.kind not in ("OBJECT", "INTERFACE"):
                continue
            for key in stype.keys:
                prefix = f'On type "{stype.name}", for @key(fields: "{key.fields}"): '
                try:
                    key.selection = parse_field_set(key.fields)
                except ValueError as error:
                    self.error("KEY_INVALID_FIELDS", f"{prefix}{error}")
                    continue
                visit = visit_field_set("key", prefix, stype.name, key.selection, context)
                for code, message in visit.problems:
                    self.error(code, message)
                subgraph.key_fields.update(visit.selected)
                subgraph.used_fields.update(visit.selected)
            if stype.interface_object and not stype.keys:
                self.error(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f"The @interfaceObject directive can only be applied to entity types but"
                    f' type "{stype.name}" has no @key in this subgraph.',
                )
        # Federation 1 type extensions: @external on their key fields means nothing.
        for stype in subgraph.types.values():
            if not stype.only_extended:
                continue
            for type_name, field_name in list(subgraph.key_fields):
                if type_name == stype.name:
                    sfield = stype.fields.get(field_name)
                    if sfield is not None:
                        sfield.external = False
        for stype in subgraph.types.values():
            if stype.kind not in ("OBJECT", "INTERFACE"):
                continue
            for sfield in stype.fields.values():
                coordinate = f"{stype.name}.{sfield.name}"
                if sfield.requires is not None:
                    sfield.requires = self._check_requires_provides(
                        subgraph, context, "requires", coordinate, stype.name, sfield.requires
                    )
                if sfield.provides is not None:
                    if sfield.external and self.fed2:
                        self.error(
                            "EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE",
                            f'Cannot have both @provides and @external on field "{coordinate}"',
                        )
                    target = subgraph.types.get(sfield.type.base)
                    if target is None or target.kind not in ("OBJECT", "INTERFACE", "UNION"):
                        if self.fed2:
                            self.error(
                                "PROVIDES_ON_NON_OBJECT_FIELD",
                                f'Invalid @provides directive on field "{coordinate}": field has'
                                f' type "{sfield.type}" which is not a Composite Type',
                            )
                        sfield.provides = None
                        continue
                    sfield.provides = self._check_requires_provides(
                        subgraph, context, "provides", coordinate, target.name, sfield.provides
                    )

    def _check_requires_provides(
        self,
        subgraph: Subgraph,
        context: FieldSetContext,
        directive: str,
        coordinate: str,
        parent: str,
        fields: str,
    ) -> str | None:
        prefix = f'On field "{coordinate}", for @{directive}(fields: "{fields}"): '
        try:
            selection = parse_field_set(fields)
        except ValueError as error:
            self.error(f"{directive.upper()}_INVALID_FIELDS", f"{prefix}{error}")
            return fields
        visit = visit_field_set(directive, prefix, parent, selection, context)
        for code, message in visit.problems:
            self.error(code, message)
        subgraph.used_fields.update(visit.selected)
        if directive == "provides":
            subgraph.provided_fields.update(visit.selected)
        if visit.problems:
            return fields
        local = external_problems(directive, prefix, parent, selection, context)
        if not local:
            return fields
        if self.fed2:
            for code, message in local:
                self.error(code, message)
            return fields
        # Federation 1: fields the subgraph resolves itself are simply dropped.
        drop: set[tuple[str, str]] = set()
        for type_name, field_name in visit.top_level:
            sfield = subgraph.field(type_name, field_name)
            if type_name == parent and sfield is not None and not sfield.external:
                drop.add((type_name, field_name))
        remaining = without_fields(selection, parent, drop, context).strip()
        return remaining or None

    def _check_contexts(self, subgraph: Subgraph) -> None:
        """@context / @fromContext, as Apollo's composition checks them (the cheap part):
        the context is set in this subgraph, the argument is on an object type's field that
        implements no interface field, has no default, its selection names fields of every
        type that sets the context, and the type has a resolvable key."""
        setters: dict[str, list[SType]] = {}
        for stype in subgraph.types.values():
            for name in stype.applied.contexts:
                setters.setdefault(name, []).append(stype)
        for stype in subgraph.types.values():
            for sfield in stype.fields.values():
                for argument in sfield.arguments.values():
                    if argument.applied.from_context is None:
                        continue
                    coordinate = f"{stype.name}.{sfield.name}({argument.name}:)"
                    self._check_from_context(subgraph, stype, sfield, argument, coordinate, setters)

    def _check_from_context(
        self,
        subgraph: Subgraph,
        stype: SType,
        sfield: SField,
        argument: SArgument,
        coordinate: str,
        setters: dict[str, list[SType]],
    ) -> None:
        value = argument.applied.from_context or ""
        if stype.kind != "OBJECT":
            self.error(
                "CONTEXT_NOT_SET",
                "@fromContext argument cannot be used on a field that exists on an abstract"
                f' type "{coordinate}".',
            )
            return
        for interface in stype.interfaces:
            itype = subgraph.types.get(interface)
            if itype is not None and sfield.name in itype.fields:
                self.error(
                    "CONTEXT_NOT_SET",
                    "@fromContext argument cannot be used on a field implementing an interface"
                    f' field "{interface}.{sfield.name}".',
                )
        if argument.default is not None:
            self.error(
                "CONTEXT_NOT_SET",
                f'@fromContext arguments may not have a default value: "{coordinate}".',
            )
        parsed = parse_from_context(value)
        if parsed is None:
            self.error(
                "NO_CONTEXT_IN_SELECTION",
                f'@fromContext argument does not reference a context "{value}".',
            )
            return
        context, selection = parsed
        locations = setters.get(context)
        if not locations:
            self.error(
                "CONTEXT_NOT_SET",
                f'Context "{context}" is used at location "{coordinate}" but is never set.',
            )
        else:
            for location in locations:
                problem = self._context_selection_problem(subgraph, location, selection)
                if problem:
                    self.error(
                        "CONTEXT_INVALID_SELECTION",
                        f'Context "{context}" is used in "{coordinate}" but the selection is'
                        f" invalid for type {location.name}. Error: {problem}",
                    )
        if not any(key.resolvable for key in stype.keys):
            self.error(
                "CONTEXT_NO_RESOLVABLE_KEY",
                f'Object "{stype.name}" has no resolvable key but has a field with a'
                " contextual argument.",
            )

    def _context_selection_problem(
        self, subgraph: Subgraph, location: SType, selection: str
    ) -> str | None:
        """Why ``selection`` cannot be read on ``location`` (None when it can); the fields it
        selects count as used (an @external field there may serve a context)."""
        text = selection.strip()
        if text.startswith("{") and text.endswith("}"):
            text = text[1:-1]
        try:
            nodes = parse_field_set(text)
        except ValueError as error:
            return str(error)
        top = nodes.selections
        if not top:
            return "no selection is made"
        fields = [n for n in top if isinstance(n, ast.FieldNode)]
        if len(fields) > 1:
            return "multiple selections are made"
        if fields and len(top) > 1:
            return "selection should only contain a single field or at least one inline fragment"

        def walk(type_name: str, selections: Sequence[ast.SelectionNode]) -> str | None:
            stype = subgraph.types.get(type_name)
            if stype is None:
                return f'Cannot query type "{type_name}"'
            for node in selections:
                if isinstance(node, ast.InlineFragmentNode):
                    condition = node.type_condition.name.value if node.type_condition else None
                    if condition is not None and condition != type_name:
                        continue  # a condition for another type that sets the context
                    problem = walk(type_name, node.selection_set.selections)
                    if problem:
                        return problem
                elif isinstance(node, ast.FieldNode):
                    if node.alias is not None:
                        return "aliases are not allowed in the selection"
                    found = stype.fields.get(node.name.value)
                    if found is None:
                        return f'Cannot query field "{node.name.value}" on type "{type_name}".'
                    subgraph.used_fields.add((type_name, node.name.value))
                    if node.selection_set is not None:
                        problem = walk(found.type.base, node.selection_set.selections)
                        if problem:
                            return problem
                else:
                    return "fragment spread is not allowed"
            return None

        return walk(location.name, nodes.selections)

    def _check_externals(self, subgraph: Subgraph) -> None:
        for stype in subgraph.types.values():
            interface_fields: set[str] = set()
            for interface in stype.interfaces:
                itype = subgraph.types.get(interface)
                if itype is not None:
                    interface_fields.update(itype.fields)
            for sfield in list(stype.fields.values()):
                if not sfield.external:
                    continue
                coordinate = f"{stype.name}.{sfield.name}"
                if stype.kind == "INTERFACE":
                    if self.fed2:
                        self.error(
                            "EXTERNAL_ON_INTERFACE",
                            f'Interface type field "{coordinate}" is marked @external but'
                            " @external is not allowed on interface type fields (it is"
                            " nonsensical).",
                        )
                    sfield.external = False
                    continue
                used = (stype.name, sfield.name) in subgraph.used_fields or (
                    sfield.name in interface_fields
                )
                if used:
                    continue
                if self.fed2:
                    self.error(
                        "EXTERNAL_UNUSED",
                        f'Field "{coordinate}" is marked @external but is not used in any'
                        " federation directive (@key, @provides, @requires) or to satisfy an"
                        " interface; the field declaration has no use and should be removed (or"
                        " the field should not be @external).",
                    )
                else:
                    del stype.fields[sfield.name]  # Federation 1: unused externals go away
            if sfield_override_errors := [
                f for f in stype.fields.values() if f.override_from is not None and f.external
            ]:
                for sfield in sfield_override_errors:
                    self.error(
                        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
                        f'@override cannot be used on field "{stype.name}.{sfield.name}" on'
                        f' subgraph "{self.name}" since "{stype.name}.{sfield.name}" on'
                        f' "{self.name}" is marked with directive "@external"',
                    )
            if stype.kind == "INTERFACE":
                for sfield in stype.fields.values():
                    if sfield.override_from is not None:
                        self.error(
                            "OVERRIDE_ON_INTERFACE",
                            f'@override cannot be used on field "{stype.name}.{sfield.name}"'
                            f' on subgraph "{self.name}": @override is not supported on'
                            " interface type fields.",
                        )

    def _check_interfaces(self, subgraph: Subgraph) -> None:
        """Every implementation of an entity interface has the interface's keys."""
        for itype in subgraph.types.values():
            if itype.kind != "INTERFACE" or not itype.keys:
                continue
            for implementation in sorted(subgraph.possible_types(itype.name)):
                otype = subgraph.types[implementation]
                if otype.kind != "OBJECT":
                    continue
                have = {
                    _normalised(k.selection) for k in otype.keys if k.resolvable and k.selection
                }
                for key in itype.keys:
                    if not key.resolvable or key.selection is None:
                        continue
                    if _normalised(key.selection) not in have:
                        self.error(
                            "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                            f'Key @key(fields: "{key.fields}") on interface type'
                            f' "{itype.name}" is missing on implementation type'
                            f' "{implementation}".',
                        )


def _normalised(selection: ast.SelectionSetNode) -> str:
    """A canonical text of a field set, ignoring order and spacing."""
    parts: list[str] = []
    for item in selection.selections:
        if isinstance(item, ast.FieldNode):
            text = item.name.value
            if item.selection_set is not None:
                text += "{" + _normalised(item.selection_set) + "}"
        elif isinstance(item, ast.InlineFragmentNode):
            condition = item.type_condition.name.value if item.type_condition else ""
            text = f"...{condition}{{{_normalised(item.selection_set)}}}"
        else:
            text = ""
        parts.append(text)
    return " ".join(sorted(parts))


def read_subgraph(
    name: str, url: str, sdl: str, graph: str, errors: ErrorCollector
) -> Subgraph | None:
    """Read one subgraph; None (with errors reported) when it cannot be composed."""
    return _Reader(name, url, graph, errors).read(sdl)


__all__ = [
    "KIND_LABEL",
    "ROOT_NAMES",
    "ROOT_OPERATIONS",
    "SArgument",
    "SEnumValue",
    "SField",
    "SKey",
    "SType",
    "Subgraph",
    "graph_enum_names",
    "read_subgraph",
]
