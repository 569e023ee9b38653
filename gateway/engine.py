"""The gateway engine: parse, validate, limit, plan (cached), execute, shape.

``Gateway`` is transport- and framework-neutral; ``gateway.server`` puts HTTP, WebSocket
and SSE in front of it, and Yui's embedded server calls it in-process.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    parse,
    print_ast,
    validate,
    value_from_ast_untyped,
)
from graphql import (
    execute as graphql_execute,
)
from graphql.execution.values import get_variable_values
from graphql.language import ast

from gateway.executor import Executor, RequestContext, Transport, introspection_document
from gateway.operation import Field, Fragment, normalize_selections
from gateway.planner import Planner, PlanningError, QueryPlan
from gateway.supergraph import Supergraph


@dataclass(frozen=True)
class Limits:
    """Protections against expensive operations; each breach is a clear GraphQL error."""

    max_depth: int = 15
    max_aliases: int = 30
    max_root_fields: int = 20
    max_cost: int = 10_000
    default_list_size: int = 10  # assumed length of a list field without first/last/limit


@dataclass
class Prepared:
    document: ast.DocumentNode
    operation: ast.OperationDefinitionNode
    plan: QueryPlan
    introspection: ast.DocumentNode | None


@dataclass
class GatewayResponse:
    payload: dict[str, Any]
    # True when the request failed before execution (parse, validation, limits,
    # variables): GraphQL over HTTP answers those with 400 for graphql-response+json.
    request_error: bool = False
    operation_type: str | None = None


@dataclass
class _RequestError(Exception):
    errors: list[dict[str, Any]]
    operation_type: str | None = None


def _error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}, **extra}


def _located(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    return formatted


class LRU:
    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph | str,
        transports: Mapping[str, Transport],
        *,
        limits: Limits | None = None,
        plan_cache_size: int = 1000,
        persisted_query_cache_size: int = 10_000,
    ):
        self.supergraph = (
            supergraph if isinstance(supergraph, Supergraph) else Supergraph(supergraph)
        )
        self.schema = self.supergraph.api_schema
        self.planner = Planner(self.supergraph)
        self.executor = Executor(self.supergraph, transports)
        self.transports = transports
        self.limits = limits or Limits()
        self.plans = LRU(plan_cache_size)
        self.persisted = LRU(persisted_query_cache_size)

    # --- preparing -----------------------------------------------------------------------

    def prepare(self, query: str, operation_name: str | None) -> Prepared:
        """Parse, validate, check limits and plan, cached.

        The cache is keyed by the document's text (a repeated request costs one dictionary
        lookup) and, on a miss, by its normalised form (the printed AST), so the same
        operation sent with other whitespace or comments reuses the plan after one parse.
        """
        key = (query, operation_name)
        cached = self.plans.get(key)
        if cached is None:
            try:
                document = parse(query)
            except GraphQLError as exc:
                cached = _RequestError([_located(exc, "GRAPHQL_PARSE_FAILED")])
            else:
                normalised = (print_ast(document), operation_name)
                cached = self.plans.get(normalised)
                if cached is None:
                    try:
                        cached = self._prepare(document, operation_name)
                    except _RequestError as exc:
                        cached = exc
                    self.plans.put(normalised, cached)
            # Invalid documents are cached too: a client retrying one costs a lookup.
            self.plans.put(key, cached)
        if isinstance(cached, _RequestError):
            raise cached
        return cached  # type: ignore[no-any-return]

    def _prepare(self, document: ast.DocumentNode, operation_name: str | None) -> Prepared:
        operations = [d for d in document.definitions if isinstance(d, ast.OperationDefinitionNode)]
        if operation_name is None and len(operations) > 1:
            raise _RequestError(
                [
                    _error(
                        "Must provide operation name if query contains multiple operations.",
                        "GRAPHQL_VALIDATION_FAILED",
                    )
                ]
            )
        operation = next(
            (
                o
                for o in operations
                if operation_name is None or (o.name and o.name.value == operation_name)
            ),
            None,
        )
        if operation is None:
            raise _RequestError(
                [
                    _error(
                        f'Unknown operation named "{operation_name}".', "GRAPHQL_VALIDATION_FAILED"
                    )
                ]
            )
        op_type = operation.operation.value
        errors = validate(self.schema, document)
        if errors:
            raise _RequestError([_located(e, "GRAPHQL_VALIDATION_FAILED") for e in errors], op_type)
        fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, ast.FragmentDefinitionNode)
        }
        selections = normalize_selections(operation.selection_set, fragments)
        self._check_limits(selections, op_type)
        try:
            plan = self.planner.plan(document, operation_name, selections, op_type)
        except PlanningError as exc:
            raise _RequestError(
                [_error(f"Cannot plan this operation: {exc}", "QUERY_PLANNING_FAILED")], op_type
            ) from exc
        introspection = None
        if plan.local_root_fields and any(f.name != "__typename" for f in plan.local_root_fields):
            introspection = parse(introspection_document(plan.local_root_fields, operation))
        return Prepared(
            document=document, operation=operation, plan=plan, introspection=introspection
        )

    def _check_limits(self, selections: list[Field | Fragment], op_type: str) -> None:
        limits = self.limits
        root_type = self.schema.get_root_type(_op(op_type))
        roots = [s for s in _fields(selections) if not s.name.startswith("__")]
        if len(roots) > limits.max_root_fields:
            raise _RequestError(
                [
                    _error(
                        f"Too many root fields: {len(roots)} (at most {limits.max_root_fields}).",
                        "MAX_ROOT_FIELDS_EXCEEDED",
                    )
                ],
                op_type,
            )
        aliases = sum(1 for f in _all_fields(selections) if f.alias)
        if aliases > limits.max_aliases:
            raise _RequestError(
                [
                    _error(
                        f"Too many aliases: {aliases} (at most {limits.max_aliases}).",
                        "MAX_ALIASES_EXCEEDED",
                    )
                ],
                op_type,
            )
        depth = _depth(selections)
        if depth > limits.max_depth:
            raise _RequestError(
                [
                    _error(
                        f"The operation is {depth} levels deep (at most {limits.max_depth}).",
                        "MAX_DEPTH_EXCEEDED",
                    )
                ],
                op_type,
            )
        cost = self._cost(selections, root_type)
        if cost > limits.max_cost:
            raise _RequestError(
                [
                    _error(
                        f"The operation costs {cost} (at most {limits.max_cost}).",
                        "MAX_COST_EXCEEDED",
                    )
                ],
                op_type,
            )

    def _cost(self, selections: list[Field | Fragment], parent: Any) -> int:
        """Fields selected, each list field counted ``first``/``last``/``limit`` times."""
        total = 0
        for sel in selections:
            if isinstance(sel, Fragment):
                condition = (
                    self.schema.get_type(sel.type_condition) if sel.type_condition else parent
                )
                total += self._cost(sel.selections, condition or parent)
                continue
            if sel.name.startswith("__"):
                continue
            fdef = getattr(parent, "fields", {}).get(sel.name)
            total += 1
            if fdef is None or not sel.selections:
                continue
            gtype, multiplier = fdef.type, 1
            while isinstance(gtype, GraphQLNonNull | GraphQLList):
                if isinstance(gtype, GraphQLList):
                    multiplier *= self._list_size(sel)
                gtype = gtype.of_type
            total += multiplier * self._cost(sel.selections, gtype)
        return total

    def _list_size(self, sel: Field) -> int:
        for arg in sel.arguments:
            if arg.name.value in {"first", "last", "limit"} and isinstance(
                arg.value, ast.IntValueNode
            ):
                return max(1, int(arg.value.value))
        return self.limits.default_list_size

    # --- executing -----------------------------------------------------------------------

    def resolve_query(self, query: str | None, extensions: Mapping[str, Any] | None) -> str:
        """Automatic persisted queries: look the document up by its sha256, or store it."""
        persisted = (extensions or {}).get("persistedQuery")
        if not isinstance(persisted, Mapping):
            if not query:
                raise _RequestError([_error("Send a query.", "BAD_REQUEST")])
            return query
        digest = persisted.get("sha256Hash")
        if persisted.get("version") != 1 or not isinstance(digest, str):
            raise _RequestError(
                [_error("Unsupported persisted query version.", "PERSISTED_QUERY_NOT_SUPPORTED")]
            )
        if query:
            if hashlib.sha256(query.encode()).hexdigest() != digest:
                raise _RequestError(
                    [_error("provided sha does not match query", "INVALID_SHA256_HASH")]
                )
            self.persisted.put(digest, query)
            return query
        stored = self.persisted.get(digest)
        if stored is None:
            raise _RequestError([_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")])
        return stored  # type: ignore[no-any-return]

    def coerce_variables(
        self, prepared: Prepared, variables: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        raw = dict(variables or {})
        coerced = get_variable_values(
            self.schema, prepared.operation.variable_definitions or (), raw
        )
        if isinstance(coerced, list):
            raise _RequestError(
                [_located(e, "BAD_USER_INPUT") for e in coerced], prepared.operation.operation.value
            )
        # Defaults count as given: @skip/@include and subgraph calls see the same values.
        for definition in prepared.operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in raw and definition.default_value is not None:
                raw[name] = value_from_ast_untyped(definition.default_value)
        return raw

    async def execute(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        context: RequestContext | None = None,
        extensions: Mapping[str, Any] | None = None,
        allowed_operations: frozenset[str] | None = None,
    ) -> GatewayResponse:
        context = context or RequestContext()
        try:
            text = self.resolve_query(query, extensions)
            prepared = self.prepare(text, operation_name)
            op_type = prepared.operation.operation.value
            if allowed_operations is not None and op_type not in allowed_operations:
                raise _RequestError(
                    [
                        _error(
                            f"{op_type} operations are not allowed here.", "OPERATION_NOT_ALLOWED"
                        )
                    ],
                    op_type,
                )
            if op_type == "subscription":
                raise _RequestError(
                    [
                        _error(
                            "Subscriptions need a WebSocket or an SSE stream.",
                            "OPERATION_NOT_ALLOWED",
                        )
                    ],
                    op_type,
                )
            raw_variables = self.coerce_variables(prepared, variables)
        except _RequestError as exc:
            return GatewayResponse(
                {"errors": exc.errors}, request_error=True, operation_type=exc.operation_type
            )
        payload = await self._run(prepared, raw_variables, context)
        return GatewayResponse(payload, operation_type=op_type)

    async def _run(
        self,
        prepared: Prepared,
        variables: dict[str, Any],
        context: RequestContext,
        initial: dict[str, Any] | None = None,
        skip_root: bool = False,
    ) -> dict[str, Any]:
        plan = prepared.plan
        data: dict[str, Any] = initial if initial is not None else {}
        errors: list[dict[str, Any]] = []
        if prepared.introspection is not None:
            result = graphql_execute(self.schema, prepared.introspection, variable_values=variables)
            if result.data:  # type: ignore[union-attr]
                data.update(result.data)  # type: ignore[union-attr]
            errors += [dict(e.formatted) for e in result.errors or ()]  # type: ignore[union-attr]
        fetches = [f for f in plan.fetches if not (skip_root and f.kind == "root")]
        data, fetch_errors = await self.executor.run(
            plan, variables, context, initial=data, only=fetches
        )
        errors += fetch_errors
        shaped = self.executor.shape(plan, data, variables, errors)
        payload: dict[str, Any] = {}
        if errors:
            payload["errors"] = errors
        payload["data"] = shaped
        return payload

    async def subscribe(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        context: RequestContext | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Each event of the owning subgraph's subscription, completed through the rest of
        the plan, so fields of other subgraphs are present in every event."""
        context = context or RequestContext()
        try:
            text = self.resolve_query(query, extensions)
            prepared = self.prepare(text, operation_name)
            if prepared.operation.operation.value != "subscription":
                raise _RequestError([_error("Not a subscription.", "OPERATION_NOT_ALLOWED")])
            raw_variables = self.coerce_variables(prepared, variables)
        except _RequestError as exc:
            yield {"errors": exc.errors}
            return
        plan = prepared.plan
        roots = [f for f in plan.fetches if f.kind == "root"]
        if len(roots) != 1:
            yield {
                "errors": [_error("A subscription selects exactly one root field.", "BAD_REQUEST")]
            }
            return
        root = roots[0]
        transport = self.executor.transport_for(root.graph)
        subscribe = getattr(transport, "subscribe", None)
        if subscribe is None:
            yield {
                "errors": [
                    _error(
                        "This subgraph's transport cannot subscribe.", "SUBSCRIPTION_UNSUPPORTED"
                    )
                ]
            }
            return
        graph = self.supergraph.graphs[root.graph]
        op_variables = {k: raw_variables[k] for k in root.variable_names if k in raw_variables}
        async for event in subscribe(graph, root.document, op_variables, context):
            if event.get("data") is None:
                yield {"data": None, "errors": event.get("errors") or []}
                continue
            payload = await self._run(
                prepared, raw_variables, context, initial=dict(event["data"]), skip_root=True
            )
            if event.get("errors"):
                payload["errors"] = [*event["errors"], *payload.get("errors", [])]
                payload = {"errors": payload["errors"], "data": payload.get("data")}
            yield payload


def _op(op_type: str) -> Any:
    from graphql import OperationType

    return OperationType(op_type)


def _fields(selections: list[Field | Fragment]) -> list[Field]:
    out: list[Field] = []
    for sel in selections:
        if isinstance(sel, Field):
            out.append(sel)
        else:
            out += _fields(sel.selections)
    return out


def _all_fields(selections: list[Field | Fragment]) -> list[Field]:
    out: list[Field] = []
    for sel in selections:
        if isinstance(sel, Field):
            out.append(sel)
            if sel.selections:
                out += _all_fields(sel.selections)
        else:
            out += _all_fields(sel.selections)
    return out


def _depth(selections: list[Field | Fragment]) -> int:
    deepest = 0
    for sel in selections:
        if isinstance(sel, Field):
            if sel.name in {"__schema", "__type"}:
                continue  # introspection (GraphiQL's is ~13 deep) is answered locally
            deepest = max(deepest, 1 + (_depth(sel.selections) if sel.selections else 0))
        else:
            deepest = max(deepest, _depth(sel.selections))
    return deepest
