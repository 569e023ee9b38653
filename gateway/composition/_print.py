"""Printing the merged supergraph as SDL, laid out the way Apollo's composition does."""

from __future__ import annotations

from graphql import print_ast
from graphql.language import ast

from ._merge import MergedType, Supergraph

LINK_URL = "https://specs.apollo.dev/link/v1.0"
JOIN_URL = "https://specs.apollo.dev/join/v0.5"
TAG_URL = "https://specs.apollo.dev/tag/v0.3"
INACCESSIBLE_URL = "https://specs.apollo.dev/inaccessible/v0.2"

_LOCATIONS = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM"
    " | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)

# The definitions the join v0.5 and link v1.0 specifications ask a supergraph to carry.
SPEC_DIRECTIVES = {
    "join__directive": (
        "directive @join__directive(graphs: [join__Graph!], name: String!,"
        " args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE"
        " | FIELD_DEFINITION"
    ),
    "join__enumValue": ("directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE"),
    "join__field": (
        "directive @join__field(graph: join__Graph, requires: join__FieldSet,"
        " provides: join__FieldSet, type: String, external: Boolean, override: String,"
        " usedOverridden: Boolean, overrideLabel: String,"
        " contextArguments: [join__ContextArgument!]) repeatable on FIELD_DEFINITION"
        " | INPUT_FIELD_DEFINITION"
    ),
    "join__graph": "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
    "join__implements": (
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable"
        " on OBJECT | INTERFACE"
    ),
    "join__type": (
        "directive @join__type(graph: join__Graph!, key: join__FieldSet,"
        " extension: Boolean! = false, resolvable: Boolean! = true,"
        " isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION"
        " | ENUM | INPUT_OBJECT | SCALAR"
    ),
    "join__unionMember": (
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION"
    ),
    "link": (
        "directive @link(url: String, as: String, for: link__Purpose,"
        " import: [link__Import]) repeatable on SCHEMA"
    ),
}
INACCESSIBLE_DIRECTIVE = f"directive @inaccessible on {_LOCATIONS}"
COST_URL = "https://specs.apollo.dev/cost/v0.1"
CONTEXT_URL = "https://specs.apollo.dev/context/v0.1"
CONTEXT_DIRECTIVES = {
    "context": "directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION",
    "context__fromContext": (
        "directive @context__fromContext(field: context__ContextFieldValue) on ARGUMENT_DEFINITION"
    ),
}
COST_DIRECTIVES = {
    "cost": (
        "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION"
        " | INPUT_FIELD_DEFINITION | OBJECT | SCALAR"
    ),
    "listSize": (
        "directive @listSize(assumedSize: Int, slicingArguments: [String!],"
        " sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION"
    ),
}
_ACCESS_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
# The access-rule specs as Apollo's composition links and defines them.
ACCESS_SPECS: dict[str, tuple[str, str, str | None]] = {
    "authenticated": (
        "https://specs.apollo.dev/authenticated/v0.1",
        f"directive @authenticated on {_ACCESS_LOCATIONS}",
        None,
    ),
    "requiresScopes": (
        "https://specs.apollo.dev/requiresScopes/v0.1",
        f"directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {_ACCESS_LOCATIONS}",
        "requiresScopes__Scope",
    ),
    "policy": (
        "https://specs.apollo.dev/policy/v0.1",
        f"directive @policy(policies: [[policy__Policy!]!]!) on {_ACCESS_LOCATIONS}",
        "policy__Policy",
    ),
}
TAG_DIRECTIVE = f"directive @tag(name: String!) repeatable on {_LOCATIONS} | SCHEMA"

SPEC_TYPES = {
    "join__ContextArgument": (
        "input join__ContextArgument {\n  name: String!\n  type: String!\n"
        "  context: String!\n  selection: join__FieldValue!\n}"
    ),
    "join__DirectiveArguments": "scalar join__DirectiveArguments",
    "join__FieldSet": "scalar join__FieldSet",
    "join__FieldValue": "scalar join__FieldValue",
    "link__Import": "scalar link__Import",
    "link__Purpose": (
        "enum link__Purpose {\n"
        '  """\n  `SECURITY` features provide metadata necessary to securely resolve fields.\n'
        '  """\n  SECURITY\n\n'
        '  """\n  `EXECUTION` features provide metadata necessary for operation execution.\n'
        '  """\n  EXECUTION\n}'
    ),
}

_KEYWORDS = {
    "OBJECT": "type",
    "INTERFACE": "interface",
    "UNION": "union",
    "ENUM": "enum",
    "INPUT_OBJECT": "input",
    "SCALAR": "scalar",
}


def _sort_key(name: str) -> tuple[str, str]:
    return (name.lower(), name)


def _indent(text: str) -> str:
    return "\n".join(("  " + line) if line else line for line in text.split("\n"))


def _description(value: str | None) -> str:
    if value is None:
        return ""
    return print_ast(ast.StringValueNode(value=value, block=True)) + "\n"


def _has_object_value(item: ast.Node) -> bool:
    return any(
        isinstance(argument.value, ast.ConstListValueNode)
        and any(isinstance(v, ast.ConstObjectValueNode) for v in argument.value.values)
        for d in getattr(item, "directives", None) or ()
        for argument in d.arguments or ()
    )


def _compact_value(value: ast.ValueNode) -> str:
    """A value on one line, as Apollo prints ``contextArguments`` (graphql-core breaks a
    long object value over several lines)."""
    if isinstance(value, ast.ListValueNode):
        return "[" + ", ".join(_compact_value(v) for v in value.values) + "]"
    if isinstance(value, ast.ObjectValueNode):
        return (
            "{"
            + ", ".join(f"{f.name.value}: {_compact_value(f.value)}" for f in value.fields)
            + "}"
        )
    return print_ast(value)


def _compact_object_values(item: ast.Node) -> str:
    """A field definition whose directives carry lists of objects, printed on one line."""
    plain = print_ast(
        item.__class__(**{**{k: getattr(item, k) for k in item.keys}, "directives": ()})
    )
    directives = []
    for d in getattr(item, "directives", None) or ():
        args = ", ".join(f"{a.name.value}: {_compact_value(a.value)}" for a in d.arguments or ())
        directives.append(f"@{d.name.value}" + (f"({args})" if args else ""))
    return plain + "".join(" " + d for d in directives)


def _body(items: list[ast.Node]) -> str:
    lines: list[str] = []
    for index, item in enumerate(items):
        text = _compact_object_values(item) if _has_object_value(item) else print_ast(item)
        if index and getattr(item, "description", None) is not None:
            lines.append("")
        lines.append(_indent(text))
    return "{\n" + "\n".join(lines) + "\n}"


def print_type(merged: MergedType) -> str:
    header = f"{_KEYWORDS[merged.kind]} {merged.name}"
    if merged.interfaces:
        header += " implements " + " & ".join(merged.interfaces)
    directives = [print_ast(d) for d in merged.directives]
    text = _description(merged.description) + header
    if directives:
        text += "".join("\n  " + d for d in directives)
    if merged.kind == "UNION":
        if merged.members:
            text += ("\n" if directives else " ") + "= " + " | ".join(merged.members)
        return text
    if merged.kind == "SCALAR":
        return text
    items: list[ast.Node] = (
        list(merged.values) if merged.kind == "ENUM" else list(merged.fields.values())
    )
    return text + ("\n" if directives else " ") + _body(items)


def print_supergraph(supergraph: Supergraph) -> str:
    links = [f'@link(url: "{LINK_URL}")', f'@link(url: "{JOIN_URL}", for: EXECUTION)']
    if supergraph.uses_context:
        links.append(f'@link(url: "{CONTEXT_URL}", for: SECURITY)')
    if supergraph.uses_tag:
        links.append(f'@link(url: "{TAG_URL}")')
    if supergraph.uses_inaccessible:
        links.append(f'@link(url: "{INACCESSIBLE_URL}", for: SECURITY)')
    for name in ACCESS_SPECS:  # in Apollo's order
        if name in supergraph.uses_access:
            links.append(f'@link(url: "{ACCESS_SPECS[name][0]}", for: SECURITY)')
    if supergraph.uses_cost:
        # @cost is the spec's own name; only @listSize needs importing.
        imported = ", ".join(f'"@{n}"' for n in sorted(supergraph.uses_cost - {"cost"}))
        links.append(f'@link(url: "{COST_URL}"' + (f", import: [{imported}])" if imported else ")"))
    roots = "".join(f"  {op}: {name}\n" for op, name in supergraph.roots.items())
    blocks = ["schema\n" + "".join(f"  {link}\n" for link in links) + "{\n" + roots + "}"]

    directives = dict(SPEC_DIRECTIVES)
    if supergraph.uses_inaccessible:
        directives["inaccessible"] = INACCESSIBLE_DIRECTIVE
    if supergraph.uses_tag:
        directives["tag"] = TAG_DIRECTIVE
    for name in supergraph.uses_access:
        directives[name] = ACCESS_SPECS[name][1]
    for name in supergraph.uses_cost:
        directives[name] = COST_DIRECTIVES[name]
    if supergraph.uses_context:
        directives.update(CONTEXT_DIRECTIVES)
    for definition in supergraph.directive_definitions:
        directives[definition.name.value] = print_ast(definition)
    blocks.extend(directives[name] for name in sorted(directives, key=_sort_key))

    types = {name: print_type(merged) for name, merged in supergraph.types.items()}
    types.update(SPEC_TYPES)
    if supergraph.uses_context:
        types["context__ContextFieldValue"] = "scalar context__ContextFieldValue"
    for name in supergraph.uses_access:
        scalar = ACCESS_SPECS[name][2]
        if scalar is not None:
            types[scalar] = f"scalar {scalar}"
    graph_values = "".join(
        f'  {s.graph} @join__graph(name: "{_escape(s.name)}", url: "{_escape(s.url)}")\n'
        for s in sorted(supergraph.subgraphs, key=lambda s: s.graph)
    )
    types["join__Graph"] = "enum join__Graph {\n" + graph_values + "}"
    blocks.extend(types[name] for name in sorted(types, key=_sort_key))
    return "\n\n".join(blocks) + "\n"


def _escape(value: str) -> str:
    return print_ast(ast.StringValueNode(value=value))[1:-1]
