"""Protections against expensive operations, shared by every endpoint a client can reach.

The gateway (``gateway.engine``) and any other GraphQL endpoint (Yui's per-subgraph
endpoints) call the same three steps, in this order, so no expensive work happens before a
document is known to be small enough:

1. ``parse_document``: the parser stops at ``Limits.max_tokens`` tokens (and as many
   comments), so a 300 KB document of repeated fields costs a few milliseconds, not the
   seconds its validation would take.
2. ``measure`` (and ``check_measure`` / ``check_cost``): depth, aliases, root fields, the
   number of selections once fragments are expanded, and the cost, computed over the AST
   with each fragment definition summarised once (memoised), so the work is linear in the
   document even when fragments spread each other exponentially often. This runs BEFORE
   validation: graphql-core's validation and our planner both walk expanded fragments.
3. ``validate_document``: graphql-core's validation with a smaller budget for the
   "fields can be merged" rule (its default lets one document cost about 0.6 s).

Nothing here imports Yui: the gateway package stays a library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    parse,
    specified_rules,
    validate,
)
from graphql.language import ast
from graphql.validation import OverlappingFieldsCanBeMergedRule, ValidationContext
from graphql.validation.validate import ValidationAbortedError

# The request body a GraphQL endpoint accepts: the gateway's HTTP server and Yui's
# per-subgraph endpoints use the same figure.
DEFAULT_MAX_BODY_BYTES = 1_000_000

# Arguments that say how many items a list field returns.
LIST_SIZE_ARGUMENTS = ("first", "last", "limit")

# Costs saturate here, so a hostile document never makes us multiply huge integers.
_COST_CEILING = 10**15


@dataclass(frozen=True)
class Limits:
    """Protections against expensive operations; each breach is a clear GraphQL error."""

    max_depth: int = 15
    max_aliases: int = 30
    max_root_fields: int = 20
    max_cost: int = 10_000
    default_list_size: int = 10  # assumed length of a list field without first/last/limit
    # Lexical tokens of a document (comments counted apart, as many again). GraphiQL's
    # introspection query has 163 tokens; a page of the portal composes a few hundred.
    # Parsing costs ~17 us a token here, so the limit also bounds that (~0.2 s).
    max_tokens: int = 10_000
    # Fields and fragments of the operation once every fragment is expanded: bounds the
    # work of planning and shaping whatever the fragments do.
    max_selections: int = 5_000
    # Budget of graphql-core's OverlappingFieldsCanBeMerged rule (its default, 500,000,
    # is about 0.6 s of CPU for one document). Legitimate documents spend a few thousand.
    validation_budget: int = 50_000


# A limit that is off: never reached (a plain int keeps every comparison as it is).
OFF = 2**62


def foreign_supergraph_limits() -> Limits:
    """The defaults for a supergraph that is not Yui's (``yui gateway --supergraph`` on
    another organisation's): only what protects this process from one document (tokens,
    expanded selections, validation work, the body size) is on; depth, aliases, root fields
    and cost are off, as in other routers by default -- Yui's cost model (10 per list
    without a page size) knows nothing of their lists and refused ordinary queries. Each is
    opt-in with its ``--max-*`` flag."""
    return Limits(max_depth=OFF, max_aliases=OFF, max_root_fields=OFF, max_cost=OFF)


class Refused(Exception):
    """The document breaks a limit (or cannot be parsed): GraphQL errors with a code."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(errors[0]["message"] if errors else "refused")
        self.errors = errors


def error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}, **extra}


def located(exc: GraphQLError, code: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(exc.formatted)
    formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    return formatted


# --- 1. parsing ----------------------------------------------------------------------------


def parse_document(text: str, limits: Limits) -> ast.DocumentNode:
    """Parse with the token limit; a breach is ``MAX_TOKENS_EXCEEDED``, too deep nesting
    ``MAX_DEPTH_EXCEEDED``, anything else ``GRAPHQL_PARSE_FAILED``."""
    try:
        return parse(
            text,
            max_lexical_tokens=limits.max_tokens,
            max_comments=limits.max_tokens,
        )
    except GraphQLError as exc:
        message = exc.message
        if "Parsing aborted" in message and ("tokens" in message or "comments" in message):
            code = "MAX_TOKENS_EXCEEDED"
            exc.message = (
                f"The document has more than {limits.max_tokens} tokens (or comments). "
                "Parsing aborted."
            )
        elif "nested too deeply" in message:
            code = "MAX_DEPTH_EXCEEDED"
        else:
            code = "GRAPHQL_PARSE_FAILED"
        raise Refused([located(exc, code)]) from None


def select_operation(
    document: ast.DocumentNode, operation_name: str | None
) -> ast.OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, ast.OperationDefinitionNode)]
    if operation_name is None and len(operations) > 1:
        raise Refused(
            [
                error(
                    "Must provide operation name if query contains multiple operations.",
                    "GRAPHQL_VALIDATION_FAILED",
                )
            ]
        )
    for operation in operations:
        if operation_name is None or (operation.name and operation.name.value == operation_name):
            return operation
    if operation_name is None:
        raise Refused([error("The document has no operation.", "GRAPHQL_VALIDATION_FAILED")])
    raise Refused(
        [error(f'Unknown operation named "{operation_name}".', "GRAPHQL_VALIDATION_FAILED")]
    )


# --- 2. measuring --------------------------------------------------------------------------


@dataclass
class Measure:
    """What one selection set amounts to once its fragments are expanded.

    ``cost`` is ``fixed + per_item * n`` where ``n`` is the page size of the connection
    field that selects this set (``per_item`` is what its ``edges``/``nodes`` cost per
    item); outside a connection ``per_item`` stays 0.
    """

    selections: int = 0
    depth: int = 0
    aliases: int = 0
    root_fields: int = 0  # fields at this level, through fragments, not __typename & co
    fixed: int = 0
    per_item: int = 0
    # Some list size comes from a variable: the cost must be checked per request.
    variable_sized: bool = False
    visited: int = 0  # selection nodes the walk visited (tests show it is linear)

    def add(self, other: Measure) -> None:
        self.selections += other.selections
        self.depth = max(self.depth, other.depth)
        self.aliases += other.aliases
        self.root_fields += other.root_fields
        self.fixed = min(self.fixed + other.fixed, _COST_CEILING)
        self.per_item = min(self.per_item + other.per_item, _COST_CEILING)
        self.variable_sized = self.variable_sized or other.variable_sized


class _Measurer:
    """One walk over an operation and the fragments it reaches, each fragment once.

    ``visited`` counts the selection nodes walked: the tests use it to show the work is
    linear in the document, not in its expansion.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        document: ast.DocumentNode,
        limits: Limits,
        variables: Mapping[str, Any] | None,
    ):
        self.schema = schema
        self.limits = limits
        self.variables = variables
        self.fragments: dict[str, ast.FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, ast.FragmentDefinitionNode):
                self.fragments.setdefault(definition.name.value, definition)
        self.memo: dict[str, Measure] = {}
        self.visited = 0

    def prepare_fragments(self, roots: ast.SelectionSetNode) -> None:
        """Summarise the fragments ``roots`` reaches, dependencies first, without recursion
        over fragment chains (a chain of 1,000 fragments is fine). Fragments in a cycle
        count as empty: validation reports the cycle."""
        order: list[str] = []
        state: dict[str, int] = {}  # 1: on the stack, 2: done
        stack: list[tuple[str, list[str]]] = []

        def push(name: str) -> None:
            state[name] = 1
            stack.append((name, _spreads(self.fragments[name].selection_set)))

        for name in _spreads(roots):
            if name in self.fragments and name not in state:
                push(name)
            while stack:
                current, pending = stack[-1]
                if pending:
                    nxt = pending.pop()
                    if nxt in self.fragments and nxt not in state:
                        push(nxt)
                    continue
                stack.pop()
                state[current] = 2
                order.append(current)
        for name in order:
            definition = self.fragments[name]
            parent = self.schema.get_type(definition.type_condition.name.value)
            # Placeholder first: a spread of a fragment still on the stack (a cycle)
            # finds it empty.
            self.memo[name] = Measure()
            self.memo[name] = self.selection_set(definition.selection_set, parent)

    def selection_set(self, node: ast.SelectionSetNode, parent: Any) -> Measure:
        total = Measure()
        fields = getattr(parent, "fields", None) or {}
        connection = _is_connection(parent)
        for sel in node.selections:
            self.visited += 1
            if isinstance(sel, ast.FragmentSpreadNode):
                total.selections += 1
                total.add(self.memo.get(sel.name.value) or Measure())
            elif isinstance(sel, ast.InlineFragmentNode):
                total.selections += 1
                condition = (
                    self.schema.get_type(sel.type_condition.name.value)
                    if sel.type_condition
                    else parent
                )
                total.add(self.selection_set(sel.selection_set, condition or parent))
            elif isinstance(sel, ast.FieldNode):
                self.field(sel, fields, connection, total)
        return total

    def field(
        self, sel: ast.FieldNode, fields: Mapping[str, Any], connection: bool, total: Measure
    ) -> None:
        name = sel.name.value
        total.selections += 1
        if sel.alias is not None:
            total.aliases += 1
        introspection = name.startswith("__")
        if not introspection:
            total.root_fields += 1
        fdef = fields.get(name)
        sub = Measure()
        if sel.selection_set is not None:
            gtype = fdef.type if fdef is not None else None
            sub = self.selection_set(sel.selection_set, _named(gtype))
        total.selections += sub.selections
        total.aliases += sub.aliases
        total.variable_sized = total.variable_sized or sub.variable_sized
        if name not in {"__schema", "__type"}:
            # Introspection (GraphiQL's is ~13 deep) is answered locally.
            total.depth = max(total.depth, 1 + sub.depth)
        if introspection:
            return
        if fdef is None or sel.selection_set is None:
            total.fixed = min(total.fixed + 1, _COST_CEILING)
            return
        # Each list level multiplies by the page size the arguments ask for.
        sizes: list[int] = []
        gtype = fdef.type
        while isinstance(gtype, GraphQLNonNull | GraphQLList):
            if isinstance(gtype, GraphQLList):
                size, from_variable = self.list_size(sel, fdef)
                sizes.append(size)
                total.variable_sized = total.variable_sized or from_variable
            gtype = gtype.of_type
        page = 1
        if _is_connection(gtype):
            # A connection returns first/last (or its default) items in edges/nodes.
            page, from_variable = self.list_size(sel, fdef)
            total.variable_sized = total.variable_sized or from_variable
        inner = min(sub.fixed + page * sub.per_item, _COST_CEILING)
        if connection and name in {"edges", "nodes"} and sizes:
            # The items of the enclosing connection: their number is the connection
            # field's page, applied where that field is costed.
            multiplier = _product(sizes[1:])
            total.fixed = min(total.fixed + 1, _COST_CEILING)
            total.per_item = min(total.per_item + multiplier * inner, _COST_CEILING)
            return
        total.fixed = min(total.fixed + 1 + _product(sizes) * inner, _COST_CEILING)

    def list_size(self, sel: ast.FieldNode, fdef: Any) -> tuple[int, bool]:
        """The page size a field asks for: a literal, a variable (None while variables
        are unknown: then the cost is checked again per request), the argument's default,
        else ``default_list_size``."""
        for arg in sel.arguments or ():
            value = arg.value
            if arg.name.value == "representations":
                # A subgraph's _entities answers one item per representation.
                if isinstance(value, ast.ListValueNode):
                    return max(1, len(value.values)), False
                if isinstance(value, ast.VariableNode):
                    if self.variables is None:
                        return self.limits.default_list_size, True
                    given = self.variables.get(value.name.value)
                    return max(1, len(given) if isinstance(given, list) else 1), True
            if arg.name.value not in LIST_SIZE_ARGUMENTS:
                continue
            if isinstance(value, ast.IntValueNode):
                return max(1, int(value.value)), False
            if isinstance(value, ast.VariableNode):
                if self.variables is None:
                    return self.limits.default_list_size, True
                given = _int(self.variables.get(value.name.value))
                if given is not None:
                    return max(1, given), True
                return self._argument_default(fdef), True
        return self._argument_default(fdef), False

    def _argument_default(self, fdef: Any) -> int:
        for name in LIST_SIZE_ARGUMENTS:
            argument = fdef.args.get(name) if fdef is not None else None
            default = _int(getattr(argument, "default_value", None))
            if default is not None:
                return max(1, default)
        return self.limits.default_list_size


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _product(sizes: list[int]) -> int:
    out = 1
    for size in sizes:
        out = min(out * size, _COST_CEILING)
    return out


def _named(gtype: Any) -> Any:
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        gtype = gtype.of_type
    return gtype


def _is_connection(gtype: Any) -> bool:
    """A Relay-style connection: an object with ``edges { node }`` or a ``nodes`` list."""
    fields = getattr(gtype, "fields", None)
    if not fields:
        return False
    edges = fields.get("edges")
    if edges is not None and isinstance(_unwrap_non_null(edges.type), GraphQLList):
        return "node" in (getattr(_named(edges.type), "fields", None) or {})
    nodes = fields.get("nodes")
    return nodes is not None and isinstance(_unwrap_non_null(nodes.type), GraphQLList)


def _unwrap_non_null(gtype: Any) -> Any:
    return gtype.of_type if isinstance(gtype, GraphQLNonNull) else gtype


def _spreads(selection_set: ast.SelectionSetNode) -> list[str]:
    """Names of the fragments spread anywhere inside a selection set (not following them)."""
    found: list[str] = []
    stack = [selection_set]
    while stack:
        current = stack.pop()
        for sel in current.selections:
            if isinstance(sel, ast.FragmentSpreadNode):
                found.append(sel.name.value)
            elif isinstance(sel, ast.FieldNode | ast.InlineFragmentNode) and sel.selection_set:
                stack.append(sel.selection_set)
    return found


def measure(
    schema: GraphQLSchema,
    document: ast.DocumentNode,
    operation: ast.OperationDefinitionNode,
    limits: Limits,
    variables: Mapping[str, Any] | None = None,
) -> Measure:
    """The operation's measure; ``variables=None`` costs variable page sizes as the
    default (``Measure.variable_sized`` then says to check the cost again per request)."""
    measurer = _Measurer(schema, document, limits, variables)
    measurer.prepare_fragments(operation.selection_set)
    root = schema.get_root_type(operation.operation)
    result = measurer.selection_set(operation.selection_set, root)
    result.fixed = min(result.fixed + limits.default_list_size * result.per_item, _COST_CEILING)
    result.per_item = 0
    result.visited = measurer.visited
    return result


def check_measure(result: Measure, limits: Limits, *, cost: bool = True) -> None:
    """Refuse an operation whose measure breaks a limit (the first breach found)."""
    checks = [
        (
            result.selections > limits.max_selections,
            f"The operation selects {result.selections} fields and fragments once its "
            f"fragments are expanded (at most {limits.max_selections}).",
            "MAX_SELECTIONS_EXCEEDED",
        ),
        (
            result.root_fields > limits.max_root_fields,
            f"Too many root fields: {result.root_fields} (at most {limits.max_root_fields}).",
            "MAX_ROOT_FIELDS_EXCEEDED",
        ),
        (
            result.aliases > limits.max_aliases,
            f"Too many aliases: {result.aliases} (at most {limits.max_aliases}).",
            "MAX_ALIASES_EXCEEDED",
        ),
        (
            result.depth > limits.max_depth,
            f"The operation is {result.depth} levels deep (at most {limits.max_depth}).",
            "MAX_DEPTH_EXCEEDED",
        ),
        (
            cost and result.fixed > limits.max_cost,
            f"The operation costs {result.fixed} (at most {limits.max_cost}).",
            "MAX_COST_EXCEEDED",
        ),
    ]
    for breached, message, code in checks:
        if breached:
            raise Refused([error(message, code)])


def check_operation(
    schema: GraphQLSchema,
    document: ast.DocumentNode,
    operation: ast.OperationDefinitionNode,
    limits: Limits,
    variables: Mapping[str, Any] | None = None,
) -> Measure:
    """Refuse an operation that breaks a limit; the one check every endpoint runs.

    Without ``variables`` (the gateway, preparing a plan it caches) a cost that depends on
    a variable page size is not checked: ``Measure.variable_sized`` says to ``check_cost``
    with each request's variables."""
    result = measure(schema, document, operation, limits, variables)
    check_measure(result, limits, cost=variables is not None or not result.variable_sized)
    return result


def check_cost(
    schema: GraphQLSchema,
    document: ast.DocumentNode,
    operation: ast.OperationDefinitionNode,
    limits: Limits,
    variables: Mapping[str, Any],
) -> None:
    """The cost with this request's variables (page sizes given as variables)."""
    result = measure(schema, document, operation, limits, variables)
    if result.fixed > limits.max_cost:
        raise Refused(
            [
                error(
                    f"The operation costs {result.fixed} (at most {limits.max_cost}).",
                    "MAX_COST_EXCEEDED",
                )
            ]
        )


# --- 3. validating -------------------------------------------------------------------------


def _budgeted_rule(budget: int) -> type[OverlappingFieldsCanBeMergedRule]:
    class BudgetedOverlappingFields(OverlappingFieldsCanBeMergedRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.rule_context.remaining_complexity_budget = budget

    return BudgetedOverlappingFields


_RULES: dict[int, list[Any]] = {}


def validate_document(
    schema: GraphQLSchema, document: ast.DocumentNode, limits: Limits
) -> list[GraphQLError]:
    """The specified rules (MaxIntrospectionDepthRule among them: introspection is outside
    the depth and cost limits), the overlapping-fields rule with our budget."""
    rules = _RULES.get(limits.validation_budget)
    if rules is None:
        budgeted = _budgeted_rule(limits.validation_budget)
        rules = [
            budgeted if rule is OverlappingFieldsCanBeMergedRule else rule
            for rule in specified_rules
        ]
        _RULES[limits.validation_budget] = rules
    return validate(schema, document, rules)


def check_document(
    schema: GraphQLSchema,
    text: str,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: Limits,
) -> None:
    """For an endpoint that executes documents itself (Yui's per-subgraph endpoints):
    raise ``Refused`` when the document breaks a limit, before its executor parses and
    validates it. A document that is merely invalid (a syntax error, an unknown operation
    or field) passes: the endpoint reports that in its usual way."""
    try:
        document = parse_document(text, limits)
    except Refused as exc:
        if exc.errors[0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED":
            return
        raise
    try:
        operation = select_operation(document, operation_name)
    except Refused:
        pass  # nothing runs, but the endpoint still validates the whole document
    else:
        check_operation(schema, document, operation, limits, variables or {})
    aborted = [
        e
        for e in validate_document(schema, document, limits)
        if isinstance(e, ValidationAbortedError)
    ]
    if aborted:
        raise Refused([located(e, "GRAPHQL_VALIDATION_FAILED") for e in aborted])


# --- the request body, before a framework reads it ---------------------------------------


def limit_request_body(app: Any, max_bytes: int) -> Any:
    """An ASGI middleware: an HTTP request whose Content-Length exceeds ``max_bytes`` gets
    413 with a GraphQL error at once; a body without one (chunked) that grows past it
    ends as a client disconnect. Django's ASGI handler otherwise reads every body whole
    (spooling it to disk) before any view can refuse it."""

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        declared = next(
            (v for k, v in scope.get("headers") or () if k.lower() == b"content-length"), b""
        )
        if declared.strip().isdigit() and int(declared) > max_bytes:
            body = orjson.dumps(
                {
                    "errors": [
                        error(f"The request body exceeds {max_bytes} bytes.", "PAYLOAD_TOO_LARGE")
                    ]
                }
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def counting() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    return {"type": "http.disconnect"}
            return message

        await app(scope, counting, send)

    return guarded


# --- rate limits per client ----------------------------------------------------------------


class RateLimited(Exception):
    """Over the client's rate limit: answer 429 with ``Retry-After: retry_after``."""

    def __init__(self, retry_after: int, limit: int):
        super().__init__(f"Rate limit of {limit} requests a minute reached.")
        self.retry_after = retry_after
        self.limit = limit


class RateLimiter:
    """Requests per client per minute, in fixed one-minute windows.

    In memory (one process) by default; ``RateLimiter("redis://…")`` counts in Redis, so
    every gateway process of a deployment shares one count per client (``INCR`` with an
    expiry, one round trip per request).
    """

    WINDOW = 60

    def __init__(self, redis_url: str | None = None, clock: Any = None):
        import time

        self.clock = clock or time.time
        self.redis_url = redis_url
        self._redis: Any = None
        self._redis_loop: Any = None
        self._counts: dict[tuple[str, int], int] = {}

    async def _count(self, key: str, window: int) -> int:
        if self.redis_url:
            import asyncio

            loop = asyncio.get_running_loop()
            if self._redis is None or self._redis_loop is not loop:
                import redis.asyncio

                # A client's connections belong to the event loop that opened them.
                self._redis = redis.asyncio.from_url(self.redis_url)
                self._redis_loop = loop
            name = f"gateway:rate:{key}:{window}"
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, self.WINDOW * 2)
                count, _ = await pipe.execute()
            return int(count)
        if len(self._counts) > 100_000:  # old windows of clients gone quiet
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
        count = self._counts.get((key, window), 0) + 1
        self._counts[(key, window)] = count
        return count

    async def hit(self, key: str, limit: int) -> None:
        """Count one request of ``key``; raises ``RateLimited`` when over ``limit``."""
        now = self.clock()
        window = int(now // self.WINDOW)
        if await self._count(key, window) > limit:
            retry_after = max(1, int((window + 1) * self.WINDOW - now + 0.999))
            raise RateLimited(retry_after, limit)
