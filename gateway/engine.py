"""The gateway engine: parse, validate, limit, plan (cached), execute, shape.

``Gateway`` is transport- and framework-neutral; ``gateway.server`` puts HTTP, WebSocket
and SSE in front of it, and Yui's embedded server calls it in-process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    parse,
    print_ast,
    value_from_ast_untyped,
)
from graphql import (
    execute as graphql_execute,
)
from graphql.execution.values import get_variable_values
from graphql.language import ast

from gateway import dedup, defer, observability, trusted
from gateway.authorization import Authorizer, Restriction
from gateway.demand import DemandControl
from gateway.executor import Executor, RequestContext, Transport, introspection_document
from gateway.limits import (
    OFF,
    Limits,
    Refused,
    check_cost,
    check_operation,
    parse_document,
    select_operation,
    validate_document,
)
from gateway.operation import normalize_selections
from gateway.planner import Planner, PlanningError, QueryPlan
from gateway.progressive import ProgressiveOverride
from gateway.supergraph import Supergraph

logger = logging.getLogger("gateway")


@dataclass
class Prepared:
    document: ast.DocumentNode
    operation: ast.OperationDefinitionNode
    plan: QueryPlan
    introspection: ast.DocumentNode | None
    # A page size comes from a variable: the cost is checked again for each request.
    cost_varies: bool = False
    selections: int = 0  # once fragments are expanded (sizes the plan cache entry)


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
    # Not a fault of the request's form: a bug of the gateway, or an operation the
    # subgraphs cannot serve (planning refused it, so nothing of it ran). Answered with
    # data: null and status 200 like an execution error, not as a request error (400).
    data_null: bool = False


def _error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}, **extra}


def operation_hash(query: str | None) -> str:
    """The sha256 of an operation's text: what the log names a failing operation by."""
    return hashlib.sha256((query or "").encode()).hexdigest()


def internal_error(exc: BaseException, query: str | None, during: str) -> dict[str, Any]:
    """A bug met while planning or running an operation, as the client sees it: a GraphQL
    error with code ``INTERNAL`` and a reference that the log line (with the traceback and
    the operation's hash) carries too. Never the exception's text: it may hold internals."""
    reference = uuid.uuid4().hex[:12]
    logger.error(
        "%s failed for operation %s (reference %s)",
        during,
        operation_hash(query),
        reference,
        exc_info=exc,
    )
    return {
        "message": f"Internal server error (reference {reference}).",
        "extensions": {"code": "INTERNAL", "reference": reference},
    }


def _located(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    formatted["extensions"] = {**(formatted.get("extensions") or {}), "code": code}
    return formatted


class LRU:
    """Least recently used first out, bounded by entries and by an estimate of bytes.

    ``put`` takes the entry's weight (see ``_weight``); an entry heavier than the whole
    budget is not kept at all.
    """

    def __init__(self, size: int, max_bytes: int | None = None):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self.items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()

    def get(self, key: Any) -> Any:
        entry = self.items.get(key)
        if entry is None:
            return None
        self.items.move_to_end(key)
        return entry[0]

    def put(self, key: Any, value: Any, weight: int = 0) -> None:
        old = self.items.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        if self.max_bytes is not None and weight > self.max_bytes:
            return
        self.items[key] = (value, weight)
        self.bytes += weight
        while len(self.items) > self.size or (
            self.max_bytes is not None and self.bytes > self.max_bytes
        ):
            _, (_, dropped) = self.items.popitem(last=False)
            self.bytes -= dropped


# What a prepared operation holds (AST, normalised selections, plan, shaping caches),
# roughly, measured with tracemalloc on the test suites' operations and GraphiQL's
# introspection query: ~2 KB per selection once fragments are expanded, ~3 bytes per
# character of text (a long literal is kept in the AST, the printed form and the
# subgraph documents), and a fixed part.
_PREPARED_FIXED_BYTES = 20_000
_BYTES_PER_SELECTION = 2_000
_BYTES_PER_CHAR = 3


def _weight(text: str, prepared: Any) -> int:
    """An estimate of the memory a plan cache entry holds: its key, and the parsed and
    planned operation (shared by the entries of one document, counted with each)."""
    weight = len(text) + 200
    if isinstance(prepared, Prepared):
        weight += (
            _PREPARED_FIXED_BYTES
            + _BYTES_PER_SELECTION * prepared.selections
            + _BYTES_PER_CHAR * len(text)
        )
    else:
        weight += sum(len(str(e)) for e in prepared.errors)
    return weight


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph | str,
        transports: Mapping[str, Transport],
        *,
        limits: Limits | None = None,
        plan_cache_size: int = 1000,
        plan_cache_bytes: int = 64_000_000,
        persisted_query_cache_size: int = 10_000,
        persisted_query_cache_bytes: int = 16_000_000,
        authorizer: Authorizer | None = None,
        deduplicate: bool = True,
    ):
        self.supergraph = (
            supergraph if isinstance(supergraph, Supergraph) else Supergraph(supergraph)
        )
        self.schema = self.supergraph.api_schema
        self.planner = Planner(self.supergraph)
        observed = observability.observed_transports(transports)
        # Identical in-flight subgraph queries share one request (gateway.dedup).
        self.executor = Executor(
            self.supergraph, dedup.deduplicating(observed) if deduplicate else observed
        )
        self.transports = transports
        # Identical client queries in flight (same document, variables and caller) share
        # one execution: each is still admitted, limited, logged and counted on its own.
        self.operations = dedup.InFlight() if deduplicate else None
        self.limits = limits or Limits()
        # Progressive @override: each request runs on the variant its labels pick.
        self.progressive = ProgressiveOverride(self.supergraph)
        self._variant_options: dict[str, Any] = {
            "limits": self.limits,
            "authorizer": authorizer,
            "deduplicate": deduplicate,
        }
        # @cost/@listSize in the supergraph: the spec's estimate replaces Yui's list model.
        self.demand = DemandControl(self.supergraph, self.limits)
        if self.demand.active:
            self.limits = dataclasses.replace(self.limits, max_cost=OFF)
        self.plans = LRU(plan_cache_size, plan_cache_bytes)
        self.persisted = LRU(persisted_query_cache_size, persisted_query_cache_bytes)
        # @authenticated / @requiresScopes / @policy (gateway.authorization).
        self.authorizer = authorizer or Authorizer(self.supergraph)

    # --- preparing -----------------------------------------------------------------------

    def prepare(self, query: str, operation_name: str | None) -> Prepared:
        """Parse, check limits, validate and plan, cached.

        The cache is keyed by the document's text (a repeated request costs one dictionary
        lookup) and, on a miss, by its normalised form (the printed AST), so the same
        operation sent with other whitespace or comments reuses the plan after one parse.
        Each step before planning is linear in the document (``gateway.limits``).
        """
        key = (query, operation_name)
        cached = self.plans.get(key)
        if cached is None:
            try:
                document = parse_document(query, self.limits)
            except Refused as exc:
                cached = _RequestError(exc.errors)
            else:
                if defer.uses_defer(query):
                    # Planned without @defer: what runs when nothing is deferred, and
                    # what tells a WebSocket the operation's type (gateway.defer).
                    try:
                        document = defer.strip(document)
                    except defer.DeferMisused as exc:
                        cached = _RequestError([_error(str(exc), "GRAPHQL_VALIDATION_FAILED")])
            if cached is None:
                printed = print_ast(document)
                normalised = (printed, operation_name)
                cached = self.plans.get(normalised)
                if cached is None:
                    try:
                        cached = self._prepare(document, operation_name, query)
                    except _RequestError as exc:
                        cached = exc
                    if printed != query:
                        self.plans.put(normalised, cached, _weight(printed, cached))
            # Invalid documents are cached too: a client retrying one costs a lookup.
            self.plans.put(key, cached, _weight(query, cached))
        if isinstance(cached, _RequestError):
            raise cached
        return cached  # type: ignore[no-any-return]

    def _prepare(
        self, document: ast.DocumentNode, operation_name: str | None, text: str = ""
    ) -> Prepared:
        try:
            operation = select_operation(document, operation_name)
        except Refused as exc:
            raise _RequestError(exc.errors) from None
        op_type = operation.operation.value
        try:
            # Limits before validation: graphql-core's validation, like our planner,
            # walks fragments expanded; the measure summarises each fragment once.
            measured = check_operation(self.schema, document, operation, self.limits)
        except Refused as exc:
            raise _RequestError(exc.errors, op_type) from None
        errors = validate_document(self.schema, document, self.limits)
        if errors:
            raise _RequestError([_located(e, "GRAPHQL_VALIDATION_FAILED") for e in errors], op_type)
        fragments = {
            d.name.value: d
            for d in document.definitions
            if isinstance(d, ast.FragmentDefinitionNode)
        }
        selections = normalize_selections(operation.selection_set, fragments)
        try:
            plan = self.planner.plan(document, operation_name, selections, op_type)
        except PlanningError as exc:
            raise _RequestError(
                [_error(f"Cannot plan this operation: {exc}", "QUERY_PLANNING_FAILED")],
                op_type,
                data_null=True,
            ) from exc
        except Exception as exc:  # a planner bug (RecursionError included): never a 500
            # Cached like any refusal: planning is deterministic, so a retry would fail
            # the same way; the reference stays that of the one logged traceback.
            error = internal_error(exc, text or print_ast(document), "Planning")
            raise _RequestError([error], op_type, data_null=True) from None
        introspection = None
        if plan.local_root_fields and any(f.name != "__typename" for f in plan.local_root_fields):
            introspection = parse(introspection_document(plan.local_root_fields, operation))
        return Prepared(
            document=document,
            operation=operation,
            plan=plan,
            introspection=introspection,
            cost_varies=measured.variable_sized,
            selections=measured.selections,
        )

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
            self.persisted.put(digest, query, len(query) + 100)
            return query
        stored = self.persisted.get(digest)
        if stored is None:
            raise _RequestError([_error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")])
        return stored  # type: ignore[no-any-return]

    def _variant(self, sdl: str) -> Gateway:
        return Gateway(sdl, self.transports, **self._variant_options)

    def client_document(
        self, query: str | None, extensions: Mapping[str, Any] | None, context: RequestContext
    ) -> str:
        """The document to run: the client's trusted document when it has an allow-list
        (gateway.trusted), else the query or the automatic persisted query."""
        text, refused = trusted.trusted_document(context, query, extensions)
        if refused:
            raise _RequestError(refused)
        return text if text is not None else self.resolve_query(query, extensions)

    def admit(self, prepared: Prepared, context: RequestContext) -> None:
        """Refuses what the client's policy forbids (read-only, subgraphs it may not read)."""
        if trusted.policy_of(context) is None:
            return
        graphs = {self.supergraph.graphs[f.graph].name for f in prepared.plan.fetches}
        refused = trusted.refusals(context, prepared.operation.operation.value, graphs)
        if refused:
            raise _RequestError(refused, prepared.operation.operation.value)

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
        if self.demand.active:
            try:
                self.demand.check(prepared.document, prepared.operation, raw)
            except Refused as exc:
                raise _RequestError(exc.errors, prepared.operation.operation.value) from None
        if prepared.cost_varies:
            try:
                check_cost(self.schema, prepared.document, prepared.operation, self.limits, raw)
            except Refused as exc:
                raise _RequestError(exc.errors, prepared.operation.operation.value) from None
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
        # Metrics, a span and a log line per operation (gateway.observability).
        with observability.operation(query, operation_name, context, self.plans) as observed:
            response = await self._execute(
                query, variables, operation_name, context, extensions, allowed_operations
            )
            observed.finish(response.payload, response.operation_type)
        return response

    async def _execute(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: RequestContext | None,
        extensions: Mapping[str, Any] | None,
        allowed_operations: frozenset[str] | None,
    ) -> GatewayResponse:
        context = context or RequestContext()
        if self.progressive.active:
            variant = self.progressive.gateway_for(context, self._variant)
            return await variant._execute(  # type: ignore[no-any-return]
                query, variables, operation_name, context, extensions, allowed_operations
            )
        admitted = await self._admitted(
            query, variables, operation_name, context, extensions, allowed_operations
        )
        if isinstance(admitted, GatewayResponse):
            return admitted
        text, prepared, raw_variables, restriction = admitted
        try:
            payload = await self._run_shared(
                text, operation_name, prepared, raw_variables, context, restriction
            )
        except Exception as exc:  # a bug while executing the plan: a GraphQL error
            payload = {"errors": [internal_error(exc, text, "Executing")], "data": None}
        return GatewayResponse(payload, operation_type=prepared.operation.operation.value)

    async def _run_shared(
        self,
        text: str,
        operation_name: str | None,
        prepared: Prepared,
        raw_variables: dict[str, Any],
        context: RequestContext,
        restriction: tuple[Prepared, Restriction] | None,
    ) -> dict[str, Any]:
        """``_run``, shared with identical queries of the same caller already in flight
        (``dedup.operation_key``): a dashboard on many screens, or one person's tabs, asking
        the same at once cost one execution. The shared run is the first caller's: its
        context is the one the subgraphs see (the same principal, headers, language and
        scopes as every caller that joins it). Mutations always run on their own."""

        def run() -> Awaitable[dict[str, Any]]:
            return self._run(prepared, raw_variables, context, restriction=restriction)

        operations = self.operations
        if operations is None or prepared.operation.operation.value != "query":
            return await run()
        key = dedup.operation_key(text, operation_name, raw_variables, context)
        return await (run() if key is None else operations.share(key, run))

    async def _admitted(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: RequestContext,
        extensions: Mapping[str, Any] | None,
        allowed_operations: frozenset[str] | None,
    ) -> (
        tuple[str, Prepared, dict[str, Any], tuple[Prepared, Restriction] | None] | GatewayResponse
    ):
        """Everything before execution: the document, its plan, the variables and the
        caller's restriction; or the response that refuses the request."""
        try:
            text = self.client_document(query, extensions, context)
            prepared = self.prepare(text, operation_name)
            op_type = prepared.operation.operation.value
            self.admit(prepared, context)
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
            restriction = await self.restriction(prepared, context)
        except _RequestError as exc:
            if exc.data_null:
                return GatewayResponse(
                    {"errors": exc.errors, "data": None}, operation_type=exc.operation_type
                )
            return GatewayResponse(
                {"errors": exc.errors}, request_error=True, operation_type=exc.operation_type
            )
        except Exception as exc:  # a bug before execution: a GraphQL error, never a 500
            return GatewayResponse(
                {"errors": [internal_error(exc, query, "Preparing")], "data": None}
            )
        return text, prepared, raw_variables, restriction

    async def execute_incremental(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        context: RequestContext | None = None,
        extensions: Mapping[str, Any] | None = None,
        allowed_operations: frozenset[str] | None = None,
    ) -> tuple[GatewayResponse, AsyncIterator[dict[str, Any]] | None]:
        """``execute`` for a client that accepts incremental delivery (gateway.defer).

        Returns the first response and, when the query defers fragments, the payloads that
        follow it (the first then has ``hasNext: true``); else the one response and None.
        """
        context = context or RequestContext()
        if self.progressive.active:
            variant = self.progressive.gateway_for(context, self._variant)
            return await variant.execute_incremental(  # type: ignore[no-any-return]
                query, variables, operation_name, context, extensions, allowed_operations
            )
        with observability.operation(query, operation_name, context, self.plans) as observed:
            admitted = await self._admitted(
                query, variables, operation_name, context, extensions, allowed_operations
            )
            if isinstance(admitted, GatewayResponse):
                observed.finish(admitted.payload, admitted.operation_type)
                return admitted, None
            text, prepared, raw_variables, restriction = admitted
            op_type = prepared.operation.operation.value
            split = (
                self._deferred(text, operation_name, raw_variables) if op_type == "query" else None
            )
            if split is None:
                try:
                    payload = await self._run_shared(
                        text, operation_name, prepared, raw_variables, context, restriction
                    )
                except Exception as exc:  # a bug while executing the plan: a GraphQL error
                    payload = {"errors": [internal_error(exc, text, "Executing")], "data": None}
                observed.finish(payload, op_type)
                return GatewayResponse(payload, operation_type=op_type), None
            original, first_text, complete_text = split
            try:
                first = self.prepare(first_text, operation_name)
                whole = self.prepare(complete_text, operation_name)
                first_restriction = await self.restriction(first, context)
                whole_restriction = await self.restriction(whole, context)
            except _RequestError as exc:  # the split documents are valid when the client's is
                payload = {"errors": exc.errors, "data": None}
                observed.finish(payload, op_type)
                return GatewayResponse(payload, operation_type=op_type), None
            rest = asyncio.ensure_future(
                self._run(whole, raw_variables, context, restriction=whole_restriction)
            )
            try:
                payload = await self._run(
                    first, raw_variables, context, restriction=first_restriction
                )
                operation = select_operation(original, operation_name)
                places = defer.locate(
                    original, operation, raw_variables, self.schema, payload.get("data")
                )
                defer.without_internal(payload.get("data"), defer.TYPENAME)
            except Exception as exc:
                rest.cancel()
                payload = {"errors": [internal_error(exc, text, "Executing")], "data": None}
                observed.finish(payload, op_type)
                return GatewayResponse(payload, operation_type=op_type), None
            observed.finish(payload, op_type)
        if payload.get("data") is None:
            rest.cancel()  # nothing to add the deferred parts to
            return GatewayResponse(payload, operation_type=op_type), None
        if not places:
            rest.cancel()  # no deferred fragment applies anywhere in this answer
            return GatewayResponse(payload, operation_type=op_type), None
        payload["hasNext"] = True
        return GatewayResponse(payload, operation_type=op_type), self._rest(rest, places, text)

    def _deferred(
        self, text: str, operation_name: str | None, variables: Mapping[str, Any]
    ) -> tuple[ast.DocumentNode, str, str] | None:
        """The client's document and its primary and complete texts, when it defers."""
        if not defer.uses_defer(text):
            return None
        document = parse_document(text, self.limits)  # parsed before: cannot be refused
        first = defer.primary(document, variables)
        if print_ast(first) == print_ast(defer.strip(document)):
            return None  # every @defer is off (``if: false``)
        return document, print_ast(first), print_ast(defer.complete(document))

    async def _rest(
        self, rest: asyncio.Future[dict[str, Any]], places: list[Any], text: str
    ) -> AsyncIterator[dict[str, Any]]:
        try:
            try:
                whole = await rest
            except Exception as exc:
                whole = {"errors": [internal_error(exc, text, "Executing")], "data": None}
            yield {"incremental": defer.fill(places, whole), "hasNext": False}
        finally:
            rest.cancel()

    async def restriction(
        self, prepared: Prepared, context: RequestContext
    ) -> tuple[Prepared, Restriction] | None:
        """The operation without the fields the caller may not see (planned and cached as
        any document), or None when nothing is denied (gateway.authorization)."""
        if not self.authorizer.active:
            return None
        restriction = await self.authorizer.restrict(prepared.document, prepared.operation, context)
        if restriction is None:
            return None
        name = prepared.operation.name.value if prepared.operation.name else None
        return self.prepare(restriction.document, name), restriction

    async def _run(
        self,
        prepared: Prepared,
        variables: dict[str, Any],
        context: RequestContext,
        initial: dict[str, Any] | None = None,
        skip_root: bool = False,
        restriction: tuple[Prepared, Restriction] | None = None,
    ) -> dict[str, Any]:
        # Restricted: the filtered operation runs, the client's is shaped (denied fields null).
        shape_plan = prepared.plan
        if restriction is not None:
            prepared = restriction[0]
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
        if restriction is not None:
            errors += restriction[1].errors(data)
        shaped = self.executor.shape(shape_plan, data, variables, errors)
        payload: dict[str, Any] = {}
        if errors:
            payload["errors"] = errors
        payload["data"] = shaped
        return payload

    def subscribe(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
        context: RequestContext | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """The events of a subscription, counted while open (gateway.observability)."""
        stream = self._subscribe(query, variables, operation_name, context, extensions)
        return observability.subscription(stream, query, operation_name, context)

    async def _subscribe(
        self,
        query: str | None,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: RequestContext | None,
        extensions: Mapping[str, Any] | None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Each event of the owning subgraph's subscription, completed through the rest of
        the plan, so fields of other subgraphs are present in every event."""
        context = context or RequestContext()
        if self.progressive.active:
            variant = self.progressive.gateway_for(context, self._variant)
            async for event in variant._subscribe(
                query, variables, operation_name, context, extensions
            ):
                yield event
            return
        try:
            text = self.client_document(query, extensions, context)
            prepared = self.prepare(text, operation_name)
            self.admit(prepared, context)
            if prepared.operation.operation.value != "subscription":
                raise _RequestError([_error("Not a subscription.", "OPERATION_NOT_ALLOWED")])
            raw_variables = self.coerce_variables(prepared, variables)
            restriction = await self.restriction(prepared, context)
        except _RequestError as exc:
            yield {"errors": exc.errors}
            return
        except Exception as exc:  # a bug before execution: a GraphQL error
            yield {"errors": [internal_error(exc, query, "Preparing")]}
            return
        plan = restriction[0].plan if restriction is not None else prepared.plan
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
                prepared,
                raw_variables,
                context,
                initial=dict(event["data"]),
                skip_root=True,
                restriction=restriction,
            )
            if event.get("errors"):
                payload["errors"] = [*event["errors"], *payload.get("errors", [])]
                payload = {"errors": payload["errors"], "data": payload.get("data")}
            yield payload
