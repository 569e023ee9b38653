"""Federation 2 composition (gateway.composition): supergraph shape, errors, and Apollo as oracle.

The positive scenarios are composed by our composition and checked element by element; when
node and npm are available, the same scenarios are also composed by Apollo's own
``@apollo/composition`` and the two supergraphs are compared semantically (same types,
fields, field types and the same set of ``@join__*`` directives per element).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from graphql import build_ast_schema, parse, print_ast
from graphql.language import ast

from gateway.composition import CompositionError, CompositionFailed, SubgraphSource, compose

REPO = Path(__file__).resolve().parents[2]
APOLLO_COMPOSITION_VERSION = "2.14.4"
ORACLE_DIR = Path(
    os.environ.get("YUI_APOLLO_ORACLE_DIR") or Path(tempfile.gettempdir()) / "yui-apollo-oracle"
)

FED2_IMPORTS = (
    '"@key", "@shareable", "@external", "@requires", "@provides", "@override",'
    ' "@inaccessible", "@tag", "@interfaceObject"'
)


def fed2(body: str, version: str = "2.3") -> str:
    """A Federation 2 subgraph SDL: the @link to the federation spec, then ``body``."""
    return (
        f'extend schema @link(url: "https://specs.apollo.dev/federation/v{version}",'
        f" import: [{FED2_IMPORTS}])\n{body}"
    )


def ctx(body: str) -> str:
    """A Federation 2.8 subgraph SDL importing @context and @fromContext."""
    return (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.8",'
        f' import: [{FED2_IMPORTS}, "@context", "@fromContext"])\n{body}'
    )


def sources(subgraphs: dict[str, str]) -> list[SubgraphSource]:
    return [
        SubgraphSource(name, f"http://{name}.example/graphql", sdl)
        for name, sdl in subgraphs.items()
    ]


def compose_ok(subgraphs: dict[str, str]) -> ast.DocumentNode:
    supergraph = compose(sources(subgraphs))
    build_ast_schema(parse(supergraph))  # a valid schema, every directive defined
    return parse(supergraph)


def compose_errors(subgraphs: dict[str, str]) -> list[CompositionError]:
    with pytest.raises(CompositionFailed) as failure:
        compose(sources(subgraphs))
    return failure.value.errors


def find_type(document: ast.DocumentNode, name: str) -> Any:
    for definition in document.definitions:
        if isinstance(definition, ast.TypeDefinitionNode) and definition.name.value == name:
            return definition
    raise AssertionError(f"type {name} is not in the supergraph")


def find_field(document: ast.DocumentNode, type_name: str, field_name: str) -> Any:
    node = find_type(document, type_name)
    for item in list(getattr(node, "fields", None) or ()) + list(
        getattr(node, "values", None) or ()
    ):
        if item.name.value == field_name:
            return item
    raise AssertionError(f"{type_name}.{field_name} is not in the supergraph")


def _argument_value(value: ast.ValueNode) -> Any:
    if isinstance(value, ast.StringValueNode | ast.EnumValueNode):
        return value.value
    if isinstance(value, ast.BooleanValueNode):
        return value.value
    return print_ast(value)


def directives_of(node: Any, prefix: str = "join__") -> list[tuple[str, dict[str, Any]]]:
    """The directives named ``prefix*`` applied to a node: (name, {argument: value})."""
    return [
        (
            d.name.value,
            {a.name.value: _argument_value(a.value) for a in d.arguments or ()},
        )
        for d in node.directives or ()
        if d.name.value.startswith(prefix)
    ]


def joins(document: ast.DocumentNode, type_name: str, field_name: str | None = None) -> list:
    node = (
        find_type(document, type_name)
        if field_name is None
        else find_field(document, type_name, field_name)
    )
    return directives_of(node)


def field_type(document: ast.DocumentNode, type_name: str, field_name: str) -> str:
    return print_ast(find_field(document, type_name, field_name).type)


def field_names(document: ast.DocumentNode, type_name: str) -> list[str]:
    node = find_type(document, type_name)
    items = list(getattr(node, "fields", None) or ()) + list(getattr(node, "values", None) or ())
    return [i.name.value for i in items]


# -- positive scenarios (also composed by Apollo when the oracle is available) -------------

SCENARIOS: dict[str, dict[str, str]] = {
    "keys": {
        "products": fed2(
            """
            type Query { products: [Product!]! }
            type Product @key(fields: "id") @key(fields: "sku package")
                         @key(fields: "id organization { id }") {
              id: ID!
              sku: String!
              package: String!
              organization: Organization!
              name: String
            }
            type Organization @key(fields: "id") { id: ID! }
            """
        ),
        "reviews": fed2(
            """
            type Query { reviews: [Review!]! }
            type Review { body: String! product: Product! }
            type Product @key(fields: "id", resolvable: false) { id: ID! }
            """
        ),
        "orgs": fed2(
            """
            type Organization @key(fields: "id") { id: ID! name: String! }
            """
        ),
    },
    "shareable": {
        "a": fed2(
            """
            type Query { me: User @shareable  version: String! @shareable }
            type User @key(fields: "id") { id: ID! name: String! @shareable balance: Money }
            type Money @shareable { amount: Int! currency: String! }
            """
        ),
        "b": fed2(
            """
            type Query { me: User @shareable  version: String! @shareable }
            type User @key(fields: "id") { id: ID! name: String! @shareable wallet: Money }
            type Money @shareable { amount: Int! currency: String! }
            """
        ),
    },
    "external_requires": {
        "products": fed2(
            """
            type Query { product(id: ID!): Product }
            type Product @key(fields: "id") {
              id: ID!
              weight(unit: String = "kg"): Int
              dimensions: Dimensions
            }
            type Dimensions @shareable { width: Int height: Int }
            """
        ),
        "shipping": fed2(
            """
            type Product @key(fields: "id") {
              id: ID!
              weight(unit: String = "kg"): Int @external
              dimensions: Dimensions @external
              shippingEstimate(zone: String!): Int @requires(fields: "weight dimensions { width height }")
            }
            type Dimensions @shareable { width: Int height: Int }
            """
        ),
    },
    "provides": {
        "accounts": fed2(
            """
            type Query { me: User }
            type User @key(fields: "id") { id: ID! name: String! @shareable email: String }
            """
        ),
        "reviews": fed2(
            """
            type Query { latestReviews: [Review!]! }
            type Review { body: String! author: User! @provides(fields: "name") }
            type User @key(fields: "id") { id: ID! name: String! @external reviews: [Review!]! }
            """
        ),
    },
    "override": {
        "old": fed2(
            """
            type Query { product(id: ID!): Product }
            type Product @key(fields: "id") @key(fields: "sku") {
              id: ID!
              sku: String!
              stock: Int
              price: Int
              rating: Float
            }
            """
        ),
        "new": fed2(
            """
            type Product @key(fields: "id") {
              id: ID!
              stock: Int @override(from: "old")
              sku: String! @override(from: "old")
              rating: Float @override(from: "old", label: "percent(25)")
            }
            """,
            version="2.7",
        ),
    },
    "inaccessible_tag": {
        "a": fed2(
            """
            type Query { user(id: ID!): User @tag(name: "public") internal: Int @inaccessible }
            type User @key(fields: "id") @tag(name: "entity") {
              id: ID!
              name: String @tag(name: "pii")
              secret(reason: String @inaccessible): String @inaccessible
            }
            enum Level { LOW HIGH @inaccessible }
            type Setting { level: Level }
            """
        ),
        "b": fed2(
            """
            type User @key(fields: "id") { id: ID! nickname: String @tag(name: "pii") }
            type Query { options: Options @tag(name: "public") }
            type Options { level: Level }
            enum Level { LOW HIGH }
            """
        ),
    },
    "interface_object": {
        "media": fed2(
            """
            type Query { media: [Media!]! }
            interface Media @key(fields: "id") { id: ID! title: String! }
            type Book implements Media @key(fields: "id") { id: ID! title: String! pages: Int }
            type Movie implements Media @key(fields: "id") { id: ID! title: String! minutes: Int }
            """
        ),
        "reviews": fed2(
            """
            type Media @key(fields: "id") @interfaceObject { id: ID! reviews: [String!]! }
            type Query { topMedia: Media }
            """
        ),
    },
    "interface_union": {
        "a": fed2(
            """
            type Query { search(text: String!): [SearchResult!]! node(id: ID!): Node }
            interface Node { id: ID! }
            type Person implements Node @key(fields: "id") { id: ID! name: String! }
            union SearchResult = Person
            """
        ),
        "b": fed2(
            """
            type Query { find(text: String!): [SearchResult!]! anything(id: ID!): Node }
            interface Node { id: ID! }
            type Room implements Node @key(fields: "id") { id: ID! seats: Int! }
            union SearchResult = Room
            """
        ),
    },
    "enums": {
        "a": fed2(
            """
            type Query { color: OutColor filter(c: InColor): Int both(c: Both): Both }
            enum OutColor { RED GREEN }
            enum InColor { RED GREEN }
            enum Both { ONE TWO }
            """
        ),
        "b": fed2(
            """
            type Query { paint: OutColor select(c: InColor): Int echo(c: Both): Both }
            enum OutColor { RED BLUE }
            enum InColor { RED BLUE }
            enum Both { ONE TWO }
            """
        ),
    },
    "inputs_and_arguments": {
        "a": fed2(
            """
            type Query {
              search(filter: Filter, limit: Int, offset: Int = 0): [String!]! @shareable
            }
            input Filter { text: String tag: String! since: Int = 0 onlyA: Int }
            """
        ),
        "b": fed2(
            """
            type Query {
              search(filter: Filter, limit: Int!, offset: Int = 0, debug: Boolean): [String!]! @shareable
            }
            input Filter { text: String! tag: String since: Int = 0 onlyB: Boolean }
            """
        ),
    },
    "nullability": {
        "a": fed2(
            """
            type Query { item: Item @shareable }
            type Item @key(fields: "id") { id: ID! title: String! @shareable tags: [String!]! @shareable }
            """
        ),
        "b": fed2(
            """
            type Query { item: Item @shareable }
            type Item @key(fields: "id") { id: ID! title: String @shareable tags: [String] @shareable }
            """
        ),
    },
    "roots": {
        "a": fed2(
            """
            schema { query: RootQuery mutation: RootMutation }
            type RootQuery { a: Int }
            type RootMutation { createA(name: String!): Int }
            type Subscription { aChanged: Int }
            """
        ),
        "b": fed2(
            """
            type Query { b: Int }
            type Mutation { createB: Int }
            """
        ),
    },
    "key_chain_and_provides": {
        "a": fed2(
            """
            type Query { p: P  reviews: [Review!]! }
            type P @key(fields: "id") { id: ID! }
            type Review { author: Author @provides(fields: "name") }
            type Author @key(fields: "id", resolvable: false) { id: ID! name: String @external }
            """
        ),
        "b": fed2(
            """
            type P @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! @shareable }
            type Author @key(fields: "id", resolvable: false) { id: ID! name: String @shareable }
            """
        ),
        "c": fed2('type P @key(fields: "sku") { sku: String! @shareable price: Int }'),
    },
    "fed1": {
        "accounts": """
            type Query { me: User }
            type User @key(fields: "id") { id: ID! username: String }
            type Address { street: String }
        """,
        "reviews": """
            extend type Query { topReviews: [Review] }
            type Review { body: String author: User @provides(fields: "username") }
            extend type User @key(fields: "id") {
              id: ID! @external
              username: String @external
              reviews: [Review]
              unused: Int @external
            }
            type Address { street: String }
        """,
        "inventory": fed2(
            """
            type User @key(fields: "id") { id: ID! address: Address @shareable }
            type Address @shareable { street: String }
            """
        ),
    },
    "contexts": {
        # @context on an interface and on an object type; a selection with type
        # conditions; the contextual fields in two subgraphs; the contextual argument
        # leaves the API (also where another subgraph has it as an optional argument). The
        # two subgraphs name their contexts on Team differently: @apollo/composition 2.14.4
        # drops a second subgraph's @context of the same name on the same type.
        "owners": ctx(
            """
            type Query { owners: [Owner] teams: [Team] }
            interface Owner @context(name: "owner") { id: ID! }
            type Person implements Owner @key(fields: "id") { id: ID! locale: String }
            type Team implements Owner @key(fields: "id") {
              id: ID!
              lang: String
              budget: Int
              items: [Item]
            }
            type Item @key(fields: "id") {
              id: ID!
              label(
                locale: String
                  @fromContext(field: "$owner ... on Person { locale } ... on Team { lang }")
              ): String @shareable
            }
            """
        ),
        "prices": ctx(
            """
            type Team @key(fields: "id") @context(name: "pricing") {
              id: ID!
              budget: Int @external
            }
            type Item @key(fields: "id") {
              id: ID!
              price(budget: Int @fromContext(field: "$pricing { budget }"), tax: Boolean): Int
              label(locale: String): String @shareable
            }
            """
        ),
    },
}


def _people_sdl() -> str:
    return (REPO / "schema" / "people.graphql").read_text()


PEOPLE_AND_EVENTS = {
    "people": _people_sdl(),
    "calendar": fed2('type Person @key(fields: "id") { id: ID! events: [String!]! }'),
}


# -- the supergraph, element by element ------------------------------------------------


def test_supergraph_header_and_graphs():
    supergraph = compose(sources(SCENARIOS["keys"]))
    assert supergraph.startswith('schema\n  @link(url: "https://specs.apollo.dev/link/v1.0")')
    assert '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)' in supergraph
    assert "inaccessible/v0.2" not in supergraph  # only linked when used
    document = parse(supergraph)
    schema = build_ast_schema(document)
    assert schema.query_type is not None and schema.query_type.name == "Query"
    graph = find_type(document, "join__Graph")
    assert [(v.name.value, directives_of(v)) for v in graph.values] == [
        ("ORGS", [("join__graph", {"name": "orgs", "url": "http://orgs.example/graphql"})]),
        (
            "PRODUCTS",
            [("join__graph", {"name": "products", "url": "http://products.example/graphql"})],
        ),
        (
            "REVIEWS",
            [("join__graph", {"name": "reviews", "url": "http://reviews.example/graphql"})],
        ),
    ]
    for name in (
        "join__FieldSet",
        "join__DirectiveArguments",
        "join__FieldValue",
        "link__Import",
        "link__Purpose",
    ):
        find_type(document, name)
    directive_names = {
        d.name.value for d in document.definitions if isinstance(d, ast.DirectiveDefinitionNode)
    }
    assert directive_names >= {
        "join__enumValue",
        "join__field",
        "join__graph",
        "join__implements",
        "join__type",
        "join__unionMember",
        "join__directive",
        "link",
    }
    # Nothing federation-internal leaks from the subgraphs.
    names = {d.name.value for d in document.definitions if isinstance(d, ast.TypeDefinitionNode)}
    assert not names & {"_Service", "_Any", "_Entity", "FieldSet", "_FieldSet"}


def test_multiple_compound_nested_and_unresolvable_keys():
    document = compose_ok(SCENARIOS["keys"])
    assert joins(document, "Product") == [
        ("join__type", {"graph": "PRODUCTS", "key": "id"}),
        ("join__type", {"graph": "PRODUCTS", "key": "sku package"}),
        ("join__type", {"graph": "PRODUCTS", "key": "id organization { id }"}),
        ("join__type", {"graph": "REVIEWS", "key": "id", "resolvable": False}),
    ]
    assert joins(document, "Product", "id") == []  # the same in every subgraph of Product
    assert joins(document, "Product", "name") == [("join__field", {"graph": "PRODUCTS"})]
    assert joins(document, "Organization") == [
        ("join__type", {"graph": "ORGS", "key": "id"}),
        ("join__type", {"graph": "PRODUCTS", "key": "id"}),
    ]
    assert joins(document, "Organization", "name") == [("join__field", {"graph": "ORGS"})]
    assert joins(document, "Review") == [("join__type", {"graph": "REVIEWS"})]
    # Every subgraph has a query root, even one that defines no query field.
    assert [args["graph"] for _, args in joins(document, "Query")] == [
        "ORGS",
        "PRODUCTS",
        "REVIEWS",
    ]
    assert joins(document, "Query", "reviews") == [("join__field", {"graph": "REVIEWS"})]


def test_shareable_fields_and_value_types():
    document = compose_ok(SCENARIOS["shareable"])
    assert joins(document, "Query", "me") == []
    assert joins(document, "User", "name") == []
    assert joins(document, "User", "balance") == [("join__field", {"graph": "A"})]
    assert joins(document, "User", "wallet") == [("join__field", {"graph": "B"})]
    assert joins(document, "Money") == [
        ("join__type", {"graph": "A"}),
        ("join__type", {"graph": "B"}),
    ]
    assert joins(document, "Money", "amount") == []


def test_external_and_requires_with_field_arguments():
    document = compose_ok(SCENARIOS["external_requires"])
    assert joins(document, "Product", "weight") == [
        ("join__field", {"graph": "PRODUCTS"}),
        ("join__field", {"graph": "SHIPPING", "external": True}),
    ]
    assert joins(document, "Product", "shippingEstimate") == [
        ("join__field", {"graph": "SHIPPING", "requires": "weight dimensions { width height }"}),
    ]
    estimate = find_field(document, "Product", "shippingEstimate")
    assert [(a.name.value, print_ast(a.type)) for a in estimate.arguments] == [("zone", "String!")]
    weight = find_field(document, "Product", "weight")
    assert print_ast(weight.arguments[0]) == 'unit: String = "kg"'


def test_provides():
    document = compose_ok(SCENARIOS["provides"])
    assert joins(document, "Review", "author") == [
        ("join__field", {"graph": "REVIEWS", "provides": "name"})
    ]
    assert joins(document, "User", "name") == [
        ("join__field", {"graph": "ACCOUNTS"}),
        ("join__field", {"graph": "REVIEWS", "external": True}),
    ]
    assert joins(document, "User", "email") == [("join__field", {"graph": "ACCOUNTS"})]


def test_override_used_overridden_and_progressive_label():
    document = compose_ok(SCENARIOS["override"])
    # The old subgraph no longer resolves stock at all: its @join__field goes away.
    assert joins(document, "Product", "stock") == [
        ("join__field", {"graph": "NEW", "override": "old"})
    ]
    # sku is a key of the old subgraph, so the old subgraph still has it (usedOverridden).
    assert joins(document, "Product", "sku") == [
        ("join__field", {"graph": "NEW", "override": "old"}),
        ("join__field", {"graph": "OLD", "usedOverridden": True}),
    ]
    assert joins(document, "Product", "rating") == [
        ("join__field", {"graph": "NEW", "override": "old", "overrideLabel": "percent(25)"}),
        ("join__field", {"graph": "OLD", "overrideLabel": "percent(25)"}),
    ]
    assert joins(document, "Product", "price") == [("join__field", {"graph": "OLD"})]


def test_inaccessible_and_tag_are_kept():
    supergraph = compose(sources(SCENARIOS["inaccessible_tag"]))
    assert '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)' in supergraph
    assert '@link(url: "https://specs.apollo.dev/tag/v0.3")' in supergraph
    document = parse(supergraph)
    build_ast_schema(document)
    assert directives_of(find_field(document, "Query", "internal"), "inaccessible") == [
        ("inaccessible", {})
    ]
    secret = find_field(document, "User", "secret")
    assert directives_of(secret, "inaccessible") == [("inaccessible", {})]
    assert directives_of(secret.arguments[0], "inaccessible") == [("inaccessible", {})]
    assert directives_of(find_field(document, "User", "name"), "tag") == [("tag", {"name": "pii"})]
    assert directives_of(find_type(document, "User"), "tag") == [("tag", {"name": "entity"})]
    assert directives_of(find_field(document, "Level", "HIGH"), "inaccessible") == [
        ("inaccessible", {})
    ]
    assert joins(document, "Level", "HIGH") == [
        ("join__enumValue", {"graph": "A"}),
        ("join__enumValue", {"graph": "B"}),
    ]


def test_interface_object_and_entity_interface():
    document = compose_ok(SCENARIOS["interface_object"])
    media = find_type(document, "Media")
    assert isinstance(media, ast.InterfaceTypeDefinitionNode)
    assert joins(document, "Media") == [
        ("join__type", {"graph": "MEDIA", "key": "id"}),
        ("join__type", {"graph": "REVIEWS", "key": "id", "isInterfaceObject": True}),
    ]
    assert joins(document, "Media", "reviews") == [("join__field", {"graph": "REVIEWS"})]
    assert joins(document, "Media", "title") == [("join__field", {"graph": "MEDIA"})]
    # The field an @interfaceObject adds reaches every implementation, resolved elsewhere.
    assert joins(document, "Book", "reviews") == [("join__field", {})]
    assert field_type(document, "Movie", "reviews") == "[String!]!"
    assert joins(document, "Book") == [
        ("join__type", {"graph": "MEDIA", "key": "id"}),
        ("join__implements", {"graph": "MEDIA", "interface": "Media"}),
    ]


def test_interfaces_and_unions_across_subgraphs():
    document = compose_ok(SCENARIOS["interface_union"])
    union = find_type(document, "SearchResult")
    assert [m.name.value for m in union.types] == ["Person", "Room"]
    assert joins(document, "SearchResult") == [
        ("join__type", {"graph": "A"}),
        ("join__unionMember", {"graph": "A", "member": "Person"}),
        ("join__type", {"graph": "B"}),
        ("join__unionMember", {"graph": "B", "member": "Room"}),
    ] or sorted(map(repr, joins(document, "SearchResult"))) == sorted(
        map(
            repr,
            [
                ("join__type", {"graph": "A"}),
                ("join__type", {"graph": "B"}),
                ("join__unionMember", {"graph": "A", "member": "Person"}),
                ("join__unionMember", {"graph": "B", "member": "Room"}),
            ],
        )
    )
    assert ("join__implements", {"graph": "B", "interface": "Node"}) in joins(document, "Room")
    assert joins(document, "Node") == [
        ("join__type", {"graph": "A"}),
        ("join__type", {"graph": "B"}),
    ]
    assert joins(document, "Node", "id") == []


def test_enum_merging_by_usage():
    document = compose_ok(SCENARIOS["enums"])
    assert field_names(document, "OutColor") == ["RED", "GREEN", "BLUE"]  # output only: union
    assert field_names(document, "InColor") == ["RED"]  # input only: intersection
    assert field_names(document, "Both") == ["ONE", "TWO"]
    assert joins(document, "OutColor", "GREEN") == [("join__enumValue", {"graph": "A"})]
    assert joins(document, "OutColor", "RED") == [
        ("join__enumValue", {"graph": "A"}),
        ("join__enumValue", {"graph": "B"}),
    ]


def test_input_objects_and_arguments_intersect():
    document = compose_ok(SCENARIOS["inputs_and_arguments"])
    assert field_names(document, "Filter") == ["text", "tag", "since"]
    assert field_type(document, "Filter", "text") == "String!"  # the most restrictive
    assert joins(document, "Filter", "text") == [
        ("join__field", {"graph": "A", "type": "String"}),
        ("join__field", {"graph": "B", "type": "String!"}),
    ]
    assert print_ast(find_field(document, "Filter", "since")) == "since: Int = 0"
    search = find_field(document, "Query", "search")
    assert [print_ast(a) for a in search.arguments] == [
        "filter: Filter",
        "limit: Int!",
        "offset: Int = 0",
    ]
    assert joins(document, "Query", "search") == []


def test_differing_nullability_records_each_type():
    document = compose_ok(SCENARIOS["nullability"])
    assert field_type(document, "Item", "title") == "String"  # nullable wins for outputs
    assert joins(document, "Item", "title") == [
        ("join__field", {"graph": "A", "type": "String!"}),
        ("join__field", {"graph": "B", "type": "String"}),
    ]
    assert field_type(document, "Item", "tags") == "[String]"


def test_root_types_are_normalised_and_mutations_merge():
    supergraph = compose(sources(SCENARIOS["roots"]))
    document = parse(supergraph)
    schema = build_ast_schema(document)
    assert schema.mutation_type is not None and schema.mutation_type.name == "Mutation"
    assert schema.subscription_type is not None
    assert field_names(document, "Mutation") == ["createA", "createB"]
    assert joins(document, "Mutation", "createA") == [("join__field", {"graph": "A"})]
    assert joins(document, "Mutation") == [
        ("join__type", {"graph": "A"}),
        ("join__type", {"graph": "B"}),
    ]
    assert joins(document, "Subscription") == [("join__type", {"graph": "A"})]
    assert "RootQuery" not in supergraph


def test_federation_1_subgraphs_are_upgraded():
    document = compose_ok(SCENARIOS["fed1"])
    assert joins(document, "User") == [
        ("join__type", {"graph": "ACCOUNTS", "key": "id"}),
        ("join__type", {"graph": "INVENTORY", "key": "id"}),
        ("join__type", {"graph": "REVIEWS", "key": "id"}),
    ]
    # @external on the key of a type extension means nothing; an unused @external goes.
    assert joins(document, "User", "id") == []
    assert "unused" not in field_names(document, "User")
    assert joins(document, "User", "username") == [
        ("join__field", {"graph": "ACCOUNTS"}),
        ("join__field", {"graph": "REVIEWS", "external": True}),
    ]
    assert joins(document, "Review", "author") == [
        ("join__field", {"graph": "REVIEWS", "provides": "username"})
    ]


def test_fields_reached_through_key_chains_and_provides_compose():
    document = compose_ok(SCENARIOS["key_chain_and_provides"])
    assert joins(document, "P", "price") == [("join__field", {"graph": "C"})]
    assert joins(document, "Review", "author") == [
        ("join__field", {"graph": "A", "provides": "name"})
    ]


def test_fed1_type_marked_extends_is_an_extension():
    document = compose_ok(
        {
            "a": 'type Query { p: Product } type Product @key(fields: "upc") { upc: String! }',
            "b": 'type Product @key(fields: "upc") @extends { upc: String! @external price: Int }',
        }
    )
    assert joins(document, "Product") == [
        ("join__type", {"graph": "A", "key": "upc"}),
        ("join__type", {"graph": "B", "key": "upc", "extension": True}),
    ]


def test_fed2_extend_type_is_an_extension_and_aliases_work():
    document = compose_ok(
        {
            "a": fed2('type Query { p: Product } type Product @key(fields: "id") { id: ID! }'),
            "b": (
                'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3",'
                ' import: [{name: "@key", as: "@primaryKey"}])\n'
                'extend type Product @primaryKey(fields: "id") {'
                " id: ID! price: Int @federation__shareable }"
            ),
        }
    )
    assert joins(document, "Product") == [
        ("join__type", {"graph": "A", "key": "id"}),
        ("join__type", {"graph": "B", "key": "id", "extension": True}),
    ]


def test_descriptions_are_kept():
    supergraph = compose(
        sources(
            {
                "a": fed2(
                    '"""The root."""\ntype Query { "The answer." answer: Int }\n"A colour." enum C { "Red." RED }\ntype T { c: C }'
                ),
            }
        )
    )
    document = parse(supergraph)
    assert find_type(document, "Query").description.value == "The root."
    assert find_field(document, "Query", "answer").description.value == "The answer."
    assert find_field(document, "C", "RED").description.value == "Red."


def test_people_subgraph_with_a_second_subgraph_extending_person():
    supergraph = compose(sources(PEOPLE_AND_EVENTS))
    document = parse(supergraph)
    schema = build_ast_schema(document)
    assert schema.mutation_type is not None
    assert joins(document, "Person") == [
        ("join__type", {"graph": "CALENDAR", "key": "id"}),
        ("join__type", {"graph": "PEOPLE", "key": "id"}),
    ]
    assert joins(document, "Person", "id") == []
    assert joins(document, "Person", "events") == [("join__field", {"graph": "CALENDAR"})]
    assert joins(document, "Person", "loginId") == [("join__field", {"graph": "PEOPLE"})]
    assert joins(document, "Organization") == [("join__type", {"graph": "PEOPLE", "key": "id"})]
    assert joins(document, "Organization", "name") == []  # only one subgraph defines it
    assert joins(document, "Query", "me") == [("join__field", {"graph": "PEOPLE"})]
    assert joins(document, "Role", "STAFF") == [("join__enumValue", {"graph": "PEOPLE"})]
    assert "_entities" not in field_names(document, "Query")
    assert "_service" not in field_names(document, "Query")
    names = {d.name.value for d in document.definitions if isinstance(d, ast.TypeDefinitionNode)}
    assert not names & {"_Service", "_Any", "_Entity"}
    people = find_field(document, "Query", "people")
    assert print_ast(people.arguments[-2]) == "first: Int! = 50"
    assert find_field(document, "Query", "exportCsv").arguments[1].default_value is not None
    assert find_type(document, "Person").description.value == "A staff member."


# -- errors ----------------------------------------------------------------------------

ERROR_CASES: dict[str, tuple[dict[str, str], str, list[str]]] = {
    # name: (subgraphs, expected code, substrings of one message with that code)
    "syntax": (
        {"good": fed2("type Query { a: Int }"), "broken": fed2("type Query { a: Int ")},
        "INVALID_GRAPHQL",
        ["[broken]", "Syntax Error"],
    ),
    "unknown_type": (
        {"a": fed2("type Query { a: Missing }")},
        "INVALID_GRAPHQL",
        ["[a]", "Unknown type 'Missing'"],
    ),
    "not_imported_directive": (
        {
            "a": 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
            "type Query { a: Int @shareable }"
        },
        "INVALID_GRAPHQL",
        ["[a]", "@shareable", "@federation__shareable"],
    ),
    "non_shareable": (
        {
            "products": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! name: String }'
            ),
            "inventory": fed2('type Product @key(fields: "id") { id: ID! name: String }'),
        },
        "INVALID_FIELD_SHARING",
        [
            'Non-shareable field "Product.name" is resolved from multiple subgraphs: it is resolved'
            ' from subgraphs "inventory" and "products" and defined as non-shareable in all of them'
        ],
    ),
    "non_shareable_in_one": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! name: String }'
            ),
            "b": fed2('type Product @key(fields: "id") { id: ID! name: String @shareable }'),
            "c": fed2('type Product @key(fields: "id") { id: ID! name: String @shareable }'),
        },
        "INVALID_FIELD_SHARING",
        ['resolved from subgraphs "a", "b" and "c" and defined as non-shareable in subgraph "a"'],
    ),
    "root_field_collision": (
        {
            "a": fed2("type Query { version: String }"),
            "b": fed2("type Query { version: String }"),
        },
        "INVALID_FIELD_SHARING",
        ['"Query.version"', '"a" and "b"'],
    ),
    "provided_field_not_shareable": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! name: String }'
            ),
            "b": fed2(
                'type Product @key(fields: "id") { id: ID! name: String @external }'
                ' type Query { q: Product @provides(fields: "name") }'
            ),
        },
        "INVALID_FIELD_SHARING",
        ['"Product.name"', 'defined as non-shareable in subgraph "a"'],
    ),
    "field_type_mismatch": (
        {
            "a": fed2("type Query { f: String @shareable }"),
            "b": fed2("type Query { f: Int @shareable }"),
        },
        "FIELD_TYPE_MISMATCH",
        [
            'Type of field "Query.f" is incompatible across subgraphs: it has type "String" in subgraph "a" but type "Int" in subgraph "b"'
        ],
    ),
    "key_unknown_field": (
        {"a": fed2('type Query { p: Product } type Product @key(fields: "nope") { id: ID! }')},
        "KEY_INVALID_FIELDS",
        [
            '[a] On type "Product", for @key(fields: "nope"): Cannot query field "nope" on type "Product"'
        ],
    ),
    "key_field_with_arguments": (
        {"a": fed2('type Query { p: Product } type Product @key(fields: "f") { f(x: Int): Int }')},
        "KEY_FIELDS_HAS_ARGS",
        ["[a]", "Product.f", "arguments"],
    ),
    "key_interface_field": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "i { id }") { i: I } interface I { id: ID }'
            )
        },
        "KEY_FIELDS_SELECT_INVALID_TYPE",
        [
            '[a] On type "Product", for @key(fields: "i { id }"): field "Product.i" is a Interface type'
        ],
    ),
    "key_without_subselection": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "org") { org: Org } type Org { id: ID }'
            )
        },
        "KEY_INVALID_FIELDS",
        ["[a]", '"Product.org"', "non-leaf type Org"],
    ),
    "requires_unknown_field": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! x: Int @requires(fields: "yy") }'
            )
        },
        "REQUIRES_INVALID_FIELDS",
        [
            '[a] On field "Product.x", for @requires(fields: "yy"): Cannot query field "yy" on type "Product"'
        ],
    ),
    "requires_local_field": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! z: Int w: Int @requires(fields: "z") }'
            )
        },
        "REQUIRES_FIELDS_MISSING_EXTERNAL",
        [
            '[a] On field "Product.w", for @requires(fields: "z"): field "Product.z" should not be part of a @requires'
        ],
    ),
    "provides_unknown_field": (
        {
            "a": fed2(
                'type Query { p: Product @provides(fields: "zz") } type Product @key(fields: "id") { id: ID! }'
            )
        },
        "PROVIDES_INVALID_FIELDS",
        [
            '[a] On field "Query.p", for @provides(fields: "zz"): Cannot query field "zz" on type "Product"'
        ],
    ),
    "provides_on_scalar": (
        {"a": fed2('type Query { q: Int @provides(fields: "id") }')},
        "PROVIDES_ON_NON_OBJECT_FIELD",
        ['[a] Invalid @provides directive on field "Query.q"'],
    ),
    "external_unused": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! name: String }'
            ),
            "b": fed2('type Product @key(fields: "id") { id: ID! name: String @external }'),
        },
        "EXTERNAL_UNUSED",
        ['[b] Field "Product.name" is marked @external but is not used'],
    ),
    "external_type_mismatch": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! weight: Int }'
            ),
            "b": fed2(
                'type Product @key(fields: "id") { id: ID! weight: String @external'
                ' ship: Int @requires(fields: "weight") }'
            ),
        },
        "EXTERNAL_TYPE_MISMATCH",
        [
            'Type of field "Product.weight" is incompatible across subgraphs (where marked @external)',
            '"b"',
        ],
    ),
    "external_missing_on_base": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! weight: Int @external'
                ' ship: Int @requires(fields: "weight") }'
            ),
        },
        "EXTERNAL_MISSING_ON_BASE",
        [
            'Field "Product.weight" is marked @external on all the subgraphs in which it is listed (subgraph "a")'
        ],
    ),
    "override_self": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! s: Int }'
            ),
            "b": fed2('type Product @key(fields: "id") { id: ID! t: Int @override(from: "b") }'),
        },
        "OVERRIDE_FROM_SELF_ERROR",
        ['Source and destination subgraphs "b" are the same for overridden field "Product.t"'],
    ),
    "override_unknown_subgraph": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! s: Int }'
            ),
            "b": fed2(
                'type Product @key(fields: "id") { id: ID! t: Int @override(from: "nowhere") }'
            ),
        },
        "FROM_SUBGRAPH_DOES_NOT_EXIST",
        ['Source subgraph "nowhere" for field "Product.t" on subgraph "b" does not exist'],
    ),
    "type_kind_mismatch": (
        {
            "a": fed2("type Query { p: Product } type Product { upc: String! }"),
            "b": fed2("interface Product { upc: String! }"),
        },
        "TYPE_KIND_MISMATCH",
        [
            'Type "Product" has mismatched kind: it is defined as Object Type in subgraph "a" but Interface Type in subgraph "b"'
        ],
    ),
    "enum_input_and_output_mismatch": (
        {
            "a": fed2("type Query { i(x: Color): Int } enum Color { RED GREEN }"),
            "b": fed2("type Query { o: Color } enum Color { RED BLUE }"),
        },
        "ENUM_VALUE_MISMATCH",
        [
            'Enum type "Color" is used as both input type',
            '"GREEN" is defined in subgraph "a" but not in subgraph "b"',
        ],
    ),
    "enum_empty_intersection": (
        {
            "a": fed2("type Query { i(x: Color): Int } enum Color { GREEN }"),
            "b": fed2("type Query { j(x: Color): Int } enum Color { BLUE }"),
        },
        "EMPTY_MERGED_ENUM_TYPE",
        ['enum type "Color"'],
    ),
    "required_argument_missing": (
        {
            "a": fed2("type Query { f(z: String!): Int @shareable }"),
            "b": fed2("type Query { f: Int @shareable }"),
        },
        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
        [
            'Argument "Query.f(z:)" is required in some subgraphs but does not appear in all subgraphs: it is required in subgraph "a" but does not appear in subgraph "b"'
        ],
    ),
    "argument_default_mismatch": (
        {
            "a": fed2("type Query { f(w: Int = 3): Int @shareable }"),
            "b": fed2("type Query { f(w: Int = 4): Int @shareable }"),
        },
        "FIELD_ARGUMENT_DEFAULT_MISMATCH",
        [
            'Argument "Query.f(w:)" has incompatible default values across subgraphs: it has default value 3 in subgraph "a" but default value 4 in subgraph "b"'
        ],
    ),
    "required_input_field_missing": (
        {
            "a": fed2("type Query { f(i: In): Int } input In { a: Int b: Int! }"),
            "b": fed2("type Query { g(i: In): Int } input In { a: Int }"),
        },
        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
        ['"In.b"', 'required in subgraph "a"', 'does not appear in subgraph "b"'],
    ),
    "interface_key_missing_on_implementation": (
        {
            "a": fed2(
                'type Query { m: Media } interface Media @key(fields: "id") { id: ID! } type Book implements Media { id: ID! }'
            )
        },
        "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
        [
            '[a] Key @key(fields: "id") on interface type "Media" is missing on implementation type "Book".'
        ],
    ),
    "interface_object_without_interface": (
        {
            "a": fed2(
                'type Query { m: Media } type Media @key(fields: "id") @interfaceObject { id: ID! }'
            )
        },
        "INTERFACE_OBJECT_USAGE_ERROR",
        ['Type "Media" is declared with @interfaceObject in all the subgraphs', 'subgraph "a"'],
    ),
    "interface_field_not_implemented": (
        {
            "a": fed2("type Query { n: Node } interface Node { id: ID! name: String }"),
            "b": fed2(
                "interface Node { id: ID! } type Thing implements Node { id: ID! } type Query { t: Thing }"
            ),
        },
        "INTERFACE_FIELD_NO_IMPLEM",
        ['Interface field "Node.name" is declared in subgraph "a"', 'type "Thing"', 'subgraph "b"'],
    ),
    "fed1_extension_without_base": (
        {
            "a": 'type Query { p: Product } type Product @key(fields: "upc") @extends { upc: String! @external name: String }'
        },
        "EXTENSION_WITH_NO_BASE",
        [
            '[a] Type "Product" is an extension type, but there is no type definition for "Product" in any subgraph.'
        ],
    ),
    "referenced_inaccessible": (
        {"a": fed2("type Query { s: Secret } type Secret @inaccessible { x: Int }")},
        "REFERENCED_INACCESSIBLE",
        ['Type "Secret" is @inaccessible but is referenced by "Query.s"'],
    ),
    "unresolvable_key_only": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "upc") { upc: String! }'
            ),
            "b": fed2(
                'type Product @key(fields: "upc", resolvable: false) { upc: String! sku: String }'
            ),
        },
        "SATISFIABILITY_ERROR",
        [
            '"Product.sku"',
            'cannot move to subgraph "b"',
            '"resolvable" argument set to false',
        ],
    ),
    "external_key_cannot_be_given": (
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! @external }'
            ),
            "b": fed2('type Product @key(fields: "id") { id: ID! price: Int }'),
        },
        "SATISFIABILITY_ERROR",
        ['from subgraph "a"', '"Product.price"', "the key field(s) cannot be resolved"],
    ),
    "provided_only_on_one_path": (
        {
            "a": fed2(
                'type Query { p: P @provides(fields: "name") q: P }'
                ' type P @key(fields: "id", resolvable: false) { id: ID! name: String @external }'
            ),
            "b": fed2(
                'type P @key(fields: "id", resolvable: false) { id: ID! name: String @shareable }'
            ),
        },
        "SATISFIABILITY_ERROR",
        ["q {", '"P.name"', "@external"],
    ),
    "unsupported_directive": (
        {
            "a": 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.8",'
            ' import: ["@composeDirective"]) @composeDirective(name: "@custom")\n'
            "type Query { me: Int }"
        },
        "UNSUPPORTED_FEATURE",
        ['"@composeDirective"', "the schema"],
    ),
    # @context / @fromContext (federation v2.8), as Apollo's composition checks them.
    "context_name_with_underscore": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "my_ctx") { id: ID! }'
            )
        },
        "CONTEXT_NAME_INVALID",
        ['"my_ctx"', "underscore"],
    ),
    "context_name_not_alphanumeric": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "1ctx") { id: ID! }'
            )
        },
        "CONTEXT_NAME_INVALID",
        ['"1ctx"', "alphanumeric"],
    ),
    "context_never_set": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") { id: ID! u: U }'
                ' type U @key(fields: "id") { id: ID!'
                ' f(x: String @fromContext(field: "$nowhere { id }")): Int }'
            )
        },
        "CONTEXT_NOT_SET",
        ['"nowhere"', '"U.f(x:)"', "never set"],
    ),
    "context_argument_with_a_default": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") { id: ID! u: U }'
                ' type U @key(fields: "id") { id: ID!'
                ' f(x: ID = "d" @fromContext(field: "$c { id }")): Int }'
            )
        },
        "CONTEXT_NOT_SET",
        ["may not have a default value", '"U.f(x:)"'],
    ),
    "context_not_named_in_the_selection": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") { id: ID! u: U }'
                ' type U @key(fields: "id") { id: ID! f(x: ID @fromContext(field: "{ id }")): Int }'
            )
        },
        "NO_CONTEXT_IN_SELECTION",
        ["does not reference a context", '"{ id }"'],
    ),
    "context_selection_not_on_the_setting_type": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") { id: ID! u: U }'
                ' type U @key(fields: "id") { id: ID!'
                ' f(x: ID @fromContext(field: "$c { nope }")): Int }'
            )
        },
        "CONTEXT_INVALID_SELECTION",
        ['"c"', '"U.f(x:)"', "invalid for type T"],
    ),
    "context_with_an_empty_selection": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") { id: ID! u: U }'
                ' type U @key(fields: "id") { id: ID! f(x: ID @fromContext(field: "$c   ")): Int }'
            )
        },
        "CONTEXT_INVALID_SELECTION",
        ['"c"', '"U.f(x:)"', "no selection is made"],
    ),
    "context_selection_of_two_fields": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") {'
                " id: ID! n: ID u: U }"
                ' type U @key(fields: "id") { id: ID! f(x: ID @fromContext(field: "$c { id n }")): Int }'
            )
        },
        "CONTEXT_INVALID_SELECTION",
        ['"c"', '"U.f(x:)"', "multiple selections are made"],
    ),
    "contextual_field_without_a_resolvable_key": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") { id: ID! u: U }'
                ' type U @key(fields: "id", resolvable: false) { id: ID!'
                ' f(x: ID @fromContext(field: "$c { id }")): Int }'
            )
        },
        "CONTEXT_NO_RESOLVABLE_KEY",
        ['"U"', "no resolvable key"],
    ),
    "contextual_argument_on_an_interface_field": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") { id: ID! u: U }'
                " interface I { f(x: ID): Int }"
                ' type U implements I @key(fields: "id") { id: ID!'
                ' f(x: ID @fromContext(field: "$c { id }")): Int }'
            )
        },
        "CONTEXT_NOT_SET",
        ["implementing an interface field", '"I.f"'],
    ),
    "context_set_only_by_the_field_own_type": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") { id: ID!'
                ' f(x: ID @fromContext(field: "$c { id }")): Int }'
            )
        },
        "SATISFIABILITY_ERROR",
        ["t {", 'from subgraph "a": could not find a match for required context for field "T.f"'],
    ),
    "context_missing_on_one_path": (
        {
            "a": ctx(
                "type Query { t: T u: U }"
                ' type T @key(fields: "id") @context(name: "c") { id: ID! u: U }'
                ' type U @key(fields: "id") { id: ID!'
                ' f(x: ID @fromContext(field: "$c { id }")): Int }'
            )
        },
        "SATISFIABILITY_ERROR",
        ["u {", "could not find a match for required context", '"U.f"'],
    ),
    "contextual_argument_required_elsewhere": (
        {
            "a": ctx(
                'type Query { t: T } type T @key(fields: "id") @context(name: "c") { id: ID! u: U }'
                ' type U @key(fields: "id") { id: ID!'
                ' f(x: ID @fromContext(field: "$c { id }")): Int @shareable }'
            ),
            "b": ctx('type U @key(fields: "id") { id: ID! f(x: ID!): Int @shareable }'),
        },
        "CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS",
        ['"U.f(x:)"', "is contextual in at least one subgraph"],
    ),
}

# Our codes and messages agree with Apollo's for these (checked against the oracle).
ORACLE_ERROR_CASES = sorted(
    set(ERROR_CASES)
    - {"override_unknown_subgraph", "unsupported_directive", "syntax", "not_imported_directive"}
)


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_errors_name_the_rule_the_subgraph_and_the_coordinate(case: str) -> None:
    subgraphs, code, fragments = ERROR_CASES[case]
    errors = compose_errors(subgraphs)
    matching = [e for e in errors if e.code == code]
    assert matching, f"expected {code}, got {errors}"
    assert any(all(fragment in e.message for fragment in fragments) for e in matching), matching


def test_all_errors_are_reported_together():
    errors = compose_errors(
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "nope") @key(fields: "id") { id: ID! name: String }'
            ),
            "b": fed2(
                'type Product @key(fields: "id") { id: ID! name: String x: Int @requires(fields: "q") }'
            ),
            "c": fed2("type Query { p: Int } "),
        }
    )
    codes = {e.code for e in errors}
    assert {"KEY_INVALID_FIELDS", "REQUIRES_INVALID_FIELDS"} <= codes
    errors = compose_errors(
        {
            "a": fed2(
                'type Query { p: Product } type Product @key(fields: "id") { id: ID! name: String }'
            ),
            "b": fed2('type Product @key(fields: "id") { id: ID! name: String  price: Int }'),
            "c": fed2('type Product @key(fields: "id") { id: ID! price: String }'),
        }
    )
    assert {e.code for e in errors} == {"INVALID_FIELD_SHARING", "FIELD_TYPE_MISMATCH"}
    failure = CompositionFailed(errors)
    assert "INVALID_FIELD_SHARING" in str(failure) and len(failure.errors) == len(errors)


def test_subgraph_names_must_be_unique():
    with pytest.raises(CompositionFailed) as failure:
        compose([SubgraphSource("a", "http://a", fed2("type Query { a: Int }"))] * 2)
    assert failure.value.errors[0].code == "INVALID_SUBGRAPH_NAME"


def test_fetch_sdl_http_posts_the_service_query(monkeypatch):
    import httpx

    seen: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["body"] = json.loads(request.content)
        seen["auth"] = request.headers.get("authorization")
        return httpx.Response(200, json={"data": {"_service": {"sdl": "type Query { a: Int }"}}})

    transport = httpx.MockTransport(handler)
    real_post = httpx.post

    def post(*args: Any, **kwargs: Any) -> httpx.Response:
        with httpx.Client(transport=transport) as client:
            return client.post(*args, **kwargs)

    monkeypatch.setattr(httpx, "post", post)
    from gateway.composition import fetch_sdl_http

    assert (
        fetch_sdl_http("http://sub/graphql", {"Authorization": "Bearer x"})
        == "type Query { a: Int }"
    )
    assert seen == {"body": {"query": "{ _service { sdl } }"}, "auth": "Bearer x"}
    assert real_post is not post


# -- Apollo's composition as an oracle -------------------------------------------------

ORACLE_SCRIPT = """
const { composeServices } = require('@apollo/composition');
const { parse } = require('graphql');
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  // Input: {job: [{name, url, sdl}, ...]}; output: {job: {supergraph} or {errors}}.
  const jobs = JSON.parse(input);
  const results = {};
  for (const [job, subgraphs] of Object.entries(jobs)) {
    try {
      const services = subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
      const result = composeServices(services);
      if (result.errors) {
        results[job] = {
          errors: result.errors.map((e) => ({ code: e.extensions && e.extensions.code, message: e.message })),
        };
      } else {
        results[job] = { supergraph: result.supergraphSdl };
      }
    } catch (e) {
      results[job] = { errors: [{ code: 'INVALID_GRAPHQL', message: String(e) }] };
    }
  }
  process.stdout.write(JSON.stringify(results));
});
"""


def _oracle_installed(directory: Path) -> bool:
    package = directory / "node_modules" / "@apollo" / "composition" / "package.json"
    if not package.exists() or not (directory / "node_modules" / "graphql").exists():
        return False
    return json.loads(package.read_text()).get("version") == APOLLO_COMPOSITION_VERSION


@pytest.fixture(scope="session")
def apollo(request: pytest.FixtureRequest):
    """Compose with Apollo's @apollo/composition (installed once into a cache directory)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not available: no Apollo oracle")
    directory = ORACLE_DIR
    if not _oracle_installed(directory):
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / "package.json").exists():
            (directory / "package.json").write_text(
                '{"name": "yui-apollo-oracle", "private": true}\n'
            )
        try:
            subprocess.run(  # noqa: S603 - npm found on PATH, fixed arguments
                [
                    npm,
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--silent",
                    f"@apollo/composition@{APOLLO_COMPOSITION_VERSION}",
                    "graphql@16",
                ],
                cwd=directory,
                check=True,
                capture_output=True,
                timeout=300,
            )
        except (subprocess.SubprocessError, OSError) as error:
            pytest.skip(f"cannot install @apollo/composition from the npm registry: {error}")
        if not _oracle_installed(directory):
            pytest.skip("@apollo/composition did not install")
    script = directory / "yui-oracle.js"
    script.write_text(ORACLE_SCRIPT)

    def compose_all(jobs: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
        payload = {
            job: [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in sources(subgraphs)]
            for job, subgraphs in jobs.items()
        }
        completed = subprocess.run(  # noqa: S603 - node found on PATH, our own script
            [node, str(script)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            cwd=directory,
            check=True,
            timeout=300,
        )
        return json.loads(completed.stdout)

    # One node process for every case the tests below ask about.
    known = {f"scenario:{n}": s for n, s in ORACLE_SCENARIOS.items()}
    known.update({f"error:{n}": ERROR_CASES[n][0] for n in ORACLE_ERROR_CASES})
    results = compose_all(known)
    by_content = {json.dumps(known[job], sort_keys=True): result for job, result in results.items()}

    def run(subgraphs: dict[str, str]) -> dict[str, Any]:
        cached = by_content.get(json.dumps(subgraphs, sort_keys=True))
        return cached if cached is not None else compose_all({"job": subgraphs})["job"]

    return run


SPEC_NAMES = ("join__", "link__")


def semantic(supergraph: str) -> dict[str, Any]:
    """What a supergraph means, without order, descriptions, layout or spec versions."""
    document = parse(supergraph)
    result: dict[str, Any] = {}

    def directive_set(node: Any) -> list[str]:
        items = []
        for d in node.directives or ():
            if d.name.value in ("specifiedBy",):
                continue
            arguments = sorted(f"{a.name.value}: {print_ast(a.value)}" for a in d.arguments or ())
            # `@join__field(graph: X)` is what a field with no @join__field means in X.
            items.append(f"@{d.name.value}({', '.join(arguments)})")
        return sorted(items)

    for definition in document.definitions:
        if isinstance(definition, ast.SchemaDefinitionNode):
            result["schema"] = {
                "roots": sorted(
                    f"{o.operation.value}: {o.type.name.value}" for o in definition.operation_types
                ),
                "links": sorted(
                    print_ast(d)
                    for d in definition.directives or ()
                    if "/join/" not in print_ast(d) and "/link/" not in print_ast(d)
                ),
            }
        elif isinstance(definition, ast.DirectiveDefinitionNode):
            name = definition.name.value
            if not name.startswith(SPEC_NAMES) and name not in ("link", "tag", "inaccessible"):
                result[f"@{name}"] = print_ast(definition)
        elif isinstance(definition, ast.TypeDefinitionNode):
            name = definition.name.value
            if name.startswith(SPEC_NAMES) and name != "join__Graph":
                continue
            entry: dict[str, Any] = {
                "kind": type(definition).__name__,
                "directives": directive_set(definition),
                "interfaces": sorted(
                    i.name.value for i in getattr(definition, "interfaces", None) or ()
                ),
                "members": sorted(m.name.value for m in getattr(definition, "types", None) or ()),
            }
            children: dict[str, Any] = {}
            for item in list(getattr(definition, "fields", None) or ()) + list(
                getattr(definition, "values", None) or ()
            ):
                child: dict[str, Any] = {"directives": directive_set(item)}
                if hasattr(item, "type"):
                    child["type"] = print_ast(item.type)
                if getattr(item, "default_value", None) is not None:
                    child["default"] = print_ast(item.default_value)
                child["arguments"] = {
                    a.name.value: {
                        "type": print_ast(a.type),
                        "default": print_ast(a.default_value) if a.default_value else None,
                        "directives": directive_set(a),
                    }
                    for a in getattr(item, "arguments", None) or ()
                }
                children[item.name.value] = child
            entry["children"] = children
            result[name] = entry
    return result


def _differences(ours: dict[str, Any], theirs: dict[str, Any], path: str = "") -> list[str]:
    problems: list[str] = []
    for key in sorted(set(ours) | set(theirs)):
        where = f"{path}/{key}"
        if key not in ours:
            problems.append(f"{where}: only in Apollo's: {theirs[key]!r}")
        elif key not in theirs:
            problems.append(f"{where}: only in ours: {ours[key]!r}")
        elif isinstance(ours[key], dict) and isinstance(theirs[key], dict):
            problems.extend(_differences(ours[key], theirs[key], where))
        elif ours[key] != theirs[key]:
            problems.append(f"{where}: ours {ours[key]!r} != Apollo's {theirs[key]!r}")
    return problems


ORACLE_SCENARIOS = {**SCENARIOS, "people_and_events": PEOPLE_AND_EVENTS}


@pytest.mark.parametrize("scenario", sorted(ORACLE_SCENARIOS))
def test_same_supergraph_as_apollo(apollo, scenario: str) -> None:
    subgraphs = ORACLE_SCENARIOS[scenario]
    theirs = apollo(subgraphs)
    assert "supergraph" in theirs, f"Apollo did not compose {scenario}: {theirs}"
    ours = compose(sources(subgraphs))
    problems = _differences(semantic(ours), semantic(theirs["supergraph"]))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case", ORACLE_ERROR_CASES)
def test_same_errors_as_apollo(apollo, case: str) -> None:
    subgraphs, code, _ = ERROR_CASES[case]
    theirs = apollo(subgraphs)
    assert "errors" in theirs, f"Apollo composed {case}"
    apollo_codes = {e["code"] for e in theirs["errors"]}
    ours = {e.code for e in compose_errors(subgraphs)}
    assert code in apollo_codes, theirs["errors"]
    assert ours == apollo_codes, (ours, theirs["errors"])
