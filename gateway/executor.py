"""Running a query plan and shaping the merged data into the client's response.

Fetches run as a DAG: each starts when the fetches it depends on have finished, so
independent fetches run concurrently. Entity fetches gather every object at their path,
deduplicate the representations and make one ``_entities`` call. Results are merged into
one tree, which is then walked along the client's selections against the API schema:
fields come out in the client's order, planner-internal fields are dropped, and nulls in
non-null positions propagate to the nearest nullable parent as the GraphQL spec says.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    is_abstract_type,
    is_leaf_type,
    value_from_ast,
)
from graphql.language import ast

from gateway.operation import Field, Fragment, print_selections, variables_used
from gateway.planner import LIST, ContextVariable, Fetch, QueryPlan
from gateway.supergraph import Graph, Supergraph

# When a subgraph fails a whole entity fetch, each field it was to answer gets an error
# pointing at it, up to this many per fetch.
MAX_ERRORS_PER_FAILED_FETCH = 100


class SubgraphUnavailable(Exception):
    """The subgraph could not be reached or did not answer in time.

    The message is shown to clients: it says what went wrong, never where (no internal
    addresses); transports log the details.
    """

    def __init__(self, message: str, service: str | None = None):
        super().__init__(message)
        self.service = service


@dataclass
class RequestContext:
    """What a transport needs to know about the client request (principal, headers)."""

    principal: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class Transport(Protocol):
    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        """Run one operation against a subgraph and return its GraphQL response (a dict)."""
        ...


class _Null(Exception):
    """A null in a non-null position: propagate to the nearest nullable parent."""


def _deep_merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, dict):
            _deep_merge(existing, value)
        elif isinstance(existing, list) and isinstance(value, list) and len(existing) == len(value):
            for i, (old, new) in enumerate(zip(existing, value, strict=True)):
                if isinstance(old, dict) and isinstance(new, dict):
                    _deep_merge(old, new)
                else:
                    existing[i] = new
        else:
            target[key] = value


def _objects_at(data: Any, path: tuple[str, ...]) -> list[tuple[dict[str, Any], Any]]:
    """The objects at a plan path (``@`` walks into lists). Each comes with its response
    path as a (parent, key) chain, turned into a list only when an error needs it."""
    level: list[tuple[Any, Any]] = [(data, None)]
    for head in path:
        following: list[tuple[Any, Any]] = []
        if head == LIST:
            for value, at in level:
                if isinstance(value, list):
                    following.extend((item, (at, i)) for i, item in enumerate(value))
        else:
            for value, at in level:
                if isinstance(value, dict):
                    child = value.get(head)
                    if child is not None:
                        following.append((child, (at, head)))
        level = following
    found: list[tuple[dict[str, Any], Any]] = []

    def collect(value: Any, at: Any) -> None:
        if isinstance(value, dict):
            found.append((value, at))
        elif isinstance(value, list):  # a list at the path's end (paths normally end in @)
            for i, item in enumerate(value):
                collect(item, (at, i))

    for value, at in level:
        collect(value, at)
    return found


def _objects_with_ancestors(
    data: Any, path: tuple[str, ...]
) -> list[tuple[dict[str, Any], Any, tuple[dict[str, Any], ...]]]:
    """As ``_objects_at``, each object also with the objects above it, outermost first."""
    level: list[tuple[Any, Any, tuple[dict[str, Any], ...]]] = [(data, None, ())]
    for head in path:
        following: list[tuple[Any, Any, tuple[dict[str, Any], ...]]] = []
        for value, at, above in level:
            if head == LIST:
                if isinstance(value, list):
                    following.extend((item, (at, i), above) for i, item in enumerate(value))
            elif isinstance(value, dict):
                child = value.get(head)
                if child is not None:
                    following.append((child, (at, head), (*above, value)))
        level = following
    found: list[tuple[dict[str, Any], Any, tuple[dict[str, Any], ...]]] = []

    def collect(value: Any, at: Any, above: tuple[dict[str, Any], ...]) -> None:
        if isinstance(value, dict):
            found.append((value, at, above))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                collect(item, (at, i), above)

    for value, at, above in level:
        collect(value, at, above)
    return found


_ABSENT = object()


def _selected_value(obj: dict[str, Any], selections: list[Field | Fragment]) -> Any:
    """The one value a context selection picks on ``obj`` (``_ABSENT`` if none applies)."""
    for sel in selections:
        if isinstance(sel, Fragment):
            if sel.type_condition in (None, obj.get("__typename")):
                found = _selected_value(obj, sel.selections)
                if found is not _ABSENT:
                    return found
            continue
        if sel.name == "__typename":
            continue
        value = obj.get(sel.key)
        if sel.selections:
            if isinstance(value, dict):
                value = _selected_value(value, sel.selections)
            elif isinstance(value, list):
                value = [
                    _selected_value(v, sel.selections) if isinstance(v, dict) else v for v in value
                ]
        return None if value is _ABSENT else value
    return _ABSENT


def _context_value(above: tuple[dict[str, Any], ...], variable: ContextVariable) -> Any:
    """A contextual argument's value for an entity: read on its nearest ancestor whose
    type sets the context; null when there is none (or the value is missing)."""
    for ancestor in reversed(above):
        if ancestor.get("__typename") in variable.setters:
            found = _selected_value(ancestor, variable.selection)
            return None if found is _ABSENT else found
    return None


# Grouped documents are kept on the plan for up to this many groups (more are built each
# time): the plan cache weighs a plan when it is stored, so what grows on it later stays
# small (2 to 4 groups: nine copies of the fetch's body at most).
_KEPT_GROUPED_DOCUMENTS = 4


def _grouped_document(fetch: Fetch, count: int) -> str:
    """The document asking ``count`` groups of a contextual fetch's entities at once: one
    aliased ``_entities(representations: $r<i>)`` per group, whose contextual variables
    carry the suffix ``_<i>``."""
    kept = fetch.grouped_documents
    document = kept.get(count)
    if document is not None:
        return document
    pattern = re.compile(
        "|".join(re.escape("$" + v.name) + r"(?![A-Za-z0-9_])" for v in fetch.contexts)
    )
    definitions: list[str] = []
    fields: list[str] = []
    for i in range(count):
        definitions.append(f"$r{i}: [_Any!]!")
        definitions += [f"${v.name}_{i}: {v.type}" for v in fetch.contexts]
        body = pattern.sub(rf"\g<0>_{i}", fetch.entities_body)
        fields.append(f"_{i}: _entities(representations: $r{i}) {body}")
    definitions += fetch.client_variable_definitions
    document = f"query({', '.join(definitions)}) {{ {' '.join(fields)} }}"
    if count <= _KEPT_GROUPED_DOCUMENTS:
        kept[count] = document
    return document


def _restore_keys(value: Any, selections: list[Field | Fragment]) -> None:
    """Put values the planner fetched under an internal alias back under their key."""
    if isinstance(value, list):
        for item in value:
            _restore_keys(item, selections)
        return
    if not isinstance(value, dict):
        return
    for sel in selections:
        if isinstance(sel, Fragment):
            _restore_keys(value, sel.selections)
            continue
        if sel.original_key is not None and sel.key in value:
            value[sel.original_key] = value.pop(sel.key)
            target = value[sel.original_key]
        else:
            target = value.get(sel.key)
        if sel.selections:
            _restore_keys(target, sel.selections)


def _representation(
    obj: dict[str, Any], selections: list[Field | Fragment], typename: str | None
) -> dict[str, Any] | None:
    rep: dict[str, Any] = {}
    for sel in selections:
        if isinstance(sel, Fragment):
            if sel.type_condition in (None, obj.get("__typename")):
                inner = _representation(obj, sel.selections, None)
                if inner is None:
                    return None
                rep.update(inner)
            continue
        if sel.name == "__typename":
            continue
        if sel.key not in obj:
            return None
        value = obj[sel.key]
        if sel.selections is not None and value is not None:
            if isinstance(value, list):
                items = [
                    _representation(v, sel.selections, None) if isinstance(v, dict) else v
                    for v in value
                ]
                value = items
            elif isinstance(value, dict):
                value = _representation(value, sel.selections, None)
                if value is None:
                    return None
        rep[sel.name] = value
    rep = {"__typename": typename or obj.get("__typename"), **rep}
    return rep


def _format_path(path: list[Any]) -> list[Any]:
    return list(path)


class Executor:
    def __init__(
        self,
        supergraph: Supergraph,
        transports: Mapping[str, Transport],
    ):
        self.sg = supergraph
        self.schema: GraphQLSchema = supergraph.api_schema
        self.transports = transports

    def transport_for(self, graph: str) -> Transport:
        name = self.sg.graphs[graph].name
        transport = self.transports.get(name) or self.transports.get(graph)
        if transport is None:
            raise SubgraphUnavailable(f"no transport for subgraph {name}")
        return transport

    # --- running the plan ----------------------------------------------------------------

    async def run(
        self,
        plan: QueryPlan,
        variables: dict[str, Any],
        context: RequestContext,
        initial: dict[str, Any] | None = None,
        only: list[Fetch] | None = None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        data: dict[str, Any] = initial if initial is not None else {}
        errors: list[dict[str, Any]] = []
        fetches = only if only is not None else plan.fetches
        tasks: dict[int, asyncio.Task[None]] = {}
        failed: set[int] = set()

        async def run_fetch(fetch: Fetch) -> None:
            if fetch.conditions and not _included(fetch.conditions, variables):
                return  # the fields it serves are skipped for these variables
            if fetch.batched_into is not None:
                # Run as part of its batch (one request for several entity fetches).
                if fetch.batched_into.id in tasks:
                    await tasks[fetch.batched_into.id]
                return
            for dependency in fetch.depends:
                if dependency.id in tasks:
                    await tasks[dependency.id]
            if fetch.kind == "root" and any(
                d.id in failed for d in fetch.depends if d.kind == "root"
            ):
                failed.add(fetch.id)
                return  # a mutation after a failed one does not run
            ok = await self._run_fetch(fetch, data, variables, context, errors)
            if not ok:
                failed.add(fetch.id)

        for fetch in fetches:
            tasks[fetch.id] = asyncio.ensure_future(run_fetch(fetch))
        if tasks:
            # Every fetch is waited for even when one fails with an unexpected exception:
            # none is left running on its own with an exception nobody retrieves.
            outcomes = await asyncio.gather(*tasks.values(), return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
        return data, errors

    async def _call(
        self, fetch: Fetch, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        graph = self.sg.graphs[fetch.graph]
        return await self.transport_for(fetch.graph).execute(
            graph, fetch.document, variables, context
        )

    async def _run_fetch(
        self,
        fetch: Fetch,
        data: dict[str, Any],
        variables: dict[str, Any],
        context: RequestContext,
        errors: list[dict[str, Any]],
    ) -> bool:
        subgraph = self.sg.graphs[fetch.graph].name
        op_variables = {k: variables[k] for k in fetch.variable_names if k in variables}
        if fetch.kind == "root":
            try:
                response = await self._call(fetch, op_variables, context)
            except SubgraphUnavailable as exc:
                root_type = self.schema.get_root_type(_operation_type(fetch.operation))
                keys = self._client_keys(fetch.selections, root_type.name if root_type else None)
                # One error per root field this fetch was to answer; one without a path if
                # it answered none the client asked for (never a silent null).
                for key in keys or [""]:
                    errors.append(_unavailable(subgraph, exc, [key] if key else None))
                return False
            result = response.get("data")
            if isinstance(result, dict):
                if fetch.renamed:
                    _restore_keys(result, fetch.selections)
                _deep_merge(data, result)
            for error in response.get("errors") or ():
                errors.append(_subgraph_error(error, subgraph, None))
            return isinstance(result, dict)
        if fetch.contexts:
            return await self._run_contextual_fetch(fetch, data, op_variables, context, errors)
        members = fetch.batch or [fetch]
        collected = [self._representations(member, data) for member in members]
        if not any(reps for reps, _ in collected):
            return True
        if fetch.batch:
            call_variables = dict(op_variables)
            for i, (reps, _) in enumerate(collected):
                call_variables[f"r{i}"] = reps
            document, fields = fetch.batch_document, [f"_{i}" for i in range(len(members))]
        else:
            call_variables = {**op_variables, "representations": collected[0][0]}
            document, fields = fetch.document, ["_entities"]
        graph = self.sg.graphs[fetch.graph]
        try:
            response = await self.transport_for(fetch.graph).execute(
                graph, document, call_variables, context
            )
        except SubgraphUnavailable as exc:
            for path in self._failed_paths(members, collected):
                errors.append(_unavailable(subgraph, exc, path))
            return False
        self._merge_entities(members, fields, collected, response, subgraph, errors)
        return True

    async def _run_contextual_fetch(
        self,
        fetch: Fetch,
        data: dict[str, Any],
        op_variables: dict[str, Any],
        context: RequestContext,
        errors: list[dict[str, Any]],
    ) -> bool:
        """An entity fetch with contextual arguments: its entities are grouped by the
        values their own ancestors give the arguments; the groups go in one request, each
        group an aliased ``_entities`` with those values as its own variables. An entity
        met under two parents with different values is asked once per value."""
        subgraph = self.sg.graphs[fetch.graph].name
        groups: dict[
            bytes, tuple[dict[str, Any], list[dict[str, Any]], list[Any], dict[bytes, int]]
        ]
        groups = {}
        for obj, at, above in _objects_with_ancestors(data, fetch.path):
            if obj.get("__typename") not in fetch.match_types:
                continue
            rep = _representation(obj, fetch.requires, fetch.rep_typename)
            if rep is None:
                continue
            values = {v.name: _context_value(above, v) for v in fetch.contexts}
            group_key = orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
            group = groups.get(group_key)
            if group is None:
                group = groups[group_key] = (values, [], [], {})
            _, reps, owners, index = group
            fingerprint = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
            position = index.get(fingerprint)
            if position is None:
                position = index[fingerprint] = len(reps)
                reps.append(rep)
                owners.append([])
            owners[position].append((obj, at))
        if not groups:
            return True
        members = list(groups.values())
        if len(members) == 1:
            values, reps, owners, _ = members[0]
            document, fields = fetch.document, ["_entities"]
            call_variables = {**op_variables, **values, "representations": reps}
        else:
            document = _grouped_document(fetch, len(members))
            fields = [f"_{i}" for i in range(len(members))]
            call_variables = dict(op_variables)
            for i, (values, reps, _, _) in enumerate(members):
                call_variables[f"r{i}"] = reps
                call_variables.update({f"{name}_{i}": value for name, value in values.items()})
        collected = [(reps, owners) for _, reps, owners, _ in members]
        try:
            response = await self.transport_for(fetch.graph).execute(
                self.sg.graphs[fetch.graph], document, call_variables, context
            )
        except SubgraphUnavailable as exc:
            for path in self._failed_paths([fetch] * len(members), collected):
                errors.append(_unavailable(subgraph, exc, path))
            return False
        self._merge_entities([fetch] * len(members), fields, collected, response, subgraph, errors)
        return True

    def _merge_entities(
        self,
        members: list[Fetch],
        fields: list[str],
        collected: list[tuple[list[dict[str, Any]], list[list[tuple[dict[str, Any], Any]]]]],
        response: dict[str, Any],
        subgraph: str,
        errors: list[dict[str, Any]],
    ) -> None:
        """Put each entity of an ``_entities`` response in place, errors at their paths."""
        result = response.get("data") or {}
        by_field = {}
        for member, field_name, (_, owners) in zip(members, fields, collected, strict=True):
            by_field[field_name] = owners
            entities = result.get(field_name)
            if isinstance(entities, list):
                for position, entity in enumerate(entities[: len(owners)]):
                    if isinstance(entity, dict):
                        if member.renamed:
                            _restore_keys(entity, member.selections)
                        if member.rep_typename is not None:
                            # An @interfaceObject subgraph answers with the interface's
                            # name; the object keeps its concrete type.
                            entity.pop("__typename", None)
                        for obj, _ in owners[position]:
                            _deep_merge(obj, entity)
        for error in response.get("errors") or ():
            path = error.get("path")
            mapped = None
            error_owners = by_field.get(path[0]) if isinstance(path, list) and path else None
            if error_owners is not None and isinstance(path, list) and len(path) >= 2:
                position = path[1]
                if isinstance(position, int) and position < len(error_owners):
                    mapped = [*_materialize(error_owners[position][0][1]), *path[2:]]
            if mapped is None:
                # An error of the whole request (no entity position): it is about the
                # fields this fetch was to answer; point at the first of them.
                failed = self._failed_paths(members, collected, limit=1)
                mapped = failed[0] if failed else None
            errors.append(_subgraph_error(error, subgraph, mapped))

    def _client_keys(self, selections: list[Field | Fragment], typename: str | None) -> list[str]:
        """The response keys the client asked for among a fetch's selections on an object
        of type ``typename`` (planner-internal fields left out)."""
        keys: list[str] = []
        for sel in selections:
            if isinstance(sel, Fragment):
                if self._applies(sel.type_condition, typename):
                    keys += [
                        k for k in self._client_keys(sel.selections, typename) if k not in keys
                    ]
            elif not sel.internal and sel.name != "__typename":
                key = sel.original_key or sel.key
                if key not in keys:
                    keys.append(key)
        return keys

    def _applies(self, condition: str | None, typename: str | None) -> bool:
        if condition is None or typename is None or condition == typename:
            return True
        abstract = self.schema.get_type(condition)
        concrete = self.schema.get_type(typename)
        return (
            abstract is not None
            and is_abstract_type(abstract)
            and isinstance(concrete, GraphQLObjectType)
            and self.schema.is_sub_type(abstract, concrete)  # type: ignore[arg-type]
        )

    def _failed_paths(
        self,
        members: list[Fetch],
        collected: list[tuple[list[dict[str, Any]], list[list[tuple[dict[str, Any], Any]]]]],
        limit: int | None = None,
    ) -> list[list[Any]]:
        """The response paths of the fields an entity fetch that failed as a whole was to
        answer: each object's field (``["people", "edges", 0, "node", "presence"]``), in
        response order, at most ``limit`` of them (a list of 1,000 people does not make
        1,000 errors; the first ones say what failed). An object whose fetched fields are
        all internal (requirements of a later fetch) is pointed at itself."""
        limit = limit or MAX_ERRORS_PER_FAILED_FETCH
        paths: list[list[Any]] = []
        for member, (_, owners) in zip(members, collected, strict=True):
            for group in owners:
                for obj, at in group:
                    base = _materialize(at)
                    keys = self._client_keys(member.selections, obj.get("__typename"))
                    for key in keys or [""]:
                        paths.append([*base, key] if key else base)
                        if len(paths) >= limit:
                            return paths
        return paths

    def _representations(
        self, fetch: Fetch, data: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[list[tuple[dict[str, Any], Any]]]]:
        """The deduplicated representations of an entity fetch, and the objects (with their
        response paths) each one answers for."""
        reps: list[dict[str, Any]] = []
        index: dict[bytes, int] = {}
        owners: list[list[tuple[dict[str, Any], Any]]] = []
        for obj, at in _objects_at(data, fetch.path):
            if obj.get("__typename") not in fetch.match_types:
                continue
            rep = _representation(obj, fetch.requires, fetch.rep_typename)
            if rep is None:
                continue
            fingerprint = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
            position = index.get(fingerprint)
            if position is None:
                position = index[fingerprint] = len(reps)
                reps.append(rep)
                owners.append([])
            owners[position].append((obj, at))
        return reps, owners

    # --- shaping -------------------------------------------------------------------------

    def shape(
        self,
        plan: QueryPlan,
        data: dict[str, Any],
        variables: dict[str, Any],
        errors: list[dict[str, Any]],
    ) -> dict[str, Any] | None:
        root = self.schema.get_root_type(_operation_type(plan.operation))
        assert root is not None
        shaper = _Shaper(self.schema, variables, errors, plan.shape_cache)
        try:
            return shaper.selection_set(plan.root_selections, root, data, None)
        except _Null:
            return None


def _operation_type(operation: str) -> Any:
    return _OPERATION_TYPES[operation]


def _operation_types() -> dict[str, Any]:
    from graphql import OperationType

    return {t.value: t for t in OperationType}


_OPERATION_TYPES = _operation_types()


def _unavailable(subgraph: str, exc: Exception, path: list[Any] | None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": f"Subgraph {subgraph} is unavailable: {exc}",
        "extensions": {"code": "SUBREQUEST_HTTP_ERROR", "serviceName": subgraph},
    }
    if path:
        error["path"] = path
    return error


def _subgraph_error(
    error: Mapping[str, Any], subgraph: str, path: list[Any] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.get("message", "Error in subgraph " + subgraph)}
    if path is not None:
        out["path"] = path
    elif error.get("path") is not None:
        out["path"] = error["path"]
    extensions = dict(error.get("extensions") or {})
    # Every error a client sees has a code: a subgraph's own error without one (a
    # resolver's exception, a null in a non-null field) gets Apollo Gateway's name for it.
    extensions.setdefault("code", "DOWNSTREAM_SERVICE_ERROR")
    extensions.setdefault("serviceName", subgraph)
    out["extensions"] = extensions
    return out


# How a field's value is completed, decided once per plan (see _Shaper.compile).
_LEAF, _ENUM, _OBJECT, _ABSTRACT = 0, 1, 2, 3
# Fields of a scalar type (enums excluded: their values are checked), the most common
# kind, are shaped inline (see _Shaper.selection_set).
_SCALAR, _NON_NULL_SCALAR = "scalar", "non-null scalar"


def _leaf_kind(gtype: Any) -> str | None:
    inner = gtype.of_type if isinstance(gtype, GraphQLNonNull) else gtype
    if isinstance(inner, GraphQLList) or _kind(inner) != _LEAF:
        return None
    return _NON_NULL_SCALAR if inner is not gtype else _SCALAR


def _included(directives: tuple[ast.DirectiveNode, ...], variables: dict[str, Any]) -> bool:
    """Whether @skip/@include let a selection (or a fetch serving it) through."""
    for directive in directives:
        name = directive.name.value
        if name not in {"skip", "include"}:
            continue
        condition = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
        value = (
            value_from_ast(condition, GraphQLNonNull(_BOOLEAN), variables) if condition else None
        )
        if name == "skip" and value is True:
            return False
        if name == "include" and value is not True:
            return False
    return True


def _materialize(path: Any) -> list[Any]:
    """Paths are built as (parent, key) pairs while shaping, a list only when needed."""
    out: list[Any] = []
    while path is not None:
        path, key = path
        out.append(key)
    out.reverse()
    return out


class _Shaper:
    """Completes merged data along the client's selections (GraphQL spec "CompleteValue").

    The field list of a selection set on a concrete type is compiled once per plan and
    cached on it (``plan.shape_cache``, keyed by the list's id(): the plan keeps every
    such list alive), unless it has @skip/@include, which depend on the variables of
    each request. Such a compile, and everything compiled below it, is built from lists
    made for this request only: it goes to this shaper's own cache, which keeps those
    lists alive until the request ends, so a freed list's id can never come back as
    another selection's key (it did, and one alias was shaped as another).
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        variables: dict[str, Any],
        errors: list[dict[str, Any]],
        cache: dict[Any, Any] | None = None,
    ):
        self.schema = schema
        self.variables = variables
        self.errors = errors
        self.cache = cache if cache is not None else {}
        # (selections, compiled) by key: the compiles of this request only (see above).
        self.local: dict[Any, tuple[list[Field | Fragment], list[tuple[Any, ...]]]] = {}
        self.transient: set[int] = set()

    def included(self, directives: tuple[ast.DirectiveNode, ...]) -> bool:
        return _included(directives, self.variables)

    def applies(self, type_condition: str | None, object_type: GraphQLObjectType) -> bool:
        if type_condition is None or type_condition == object_type.name:
            return True
        condition = self.schema.get_type(type_condition)
        if condition is None:
            return False
        if is_abstract_type(condition):
            return self.schema.is_sub_type(condition, object_type)  # type: ignore[arg-type]
        return False

    def collect(
        self,
        selections: list[Field | Fragment],
        object_type: GraphQLObjectType,
        into: dict[str, list[Field]],
        conditional: list[bool],
    ) -> dict[str, list[Field]]:
        for sel in selections:
            if sel.directives and any(d.name.value in {"skip", "include"} for d in sel.directives):
                conditional[0] = True
                if not self.included(sel.directives):
                    continue
            if isinstance(sel, Field):
                if sel.internal:
                    continue
                into.setdefault(sel.key, []).append(sel)
            elif self.applies(sel.type_condition, object_type):
                self.collect(sel.selections, object_type, into, conditional)
        return into

    def compile(
        self, selections: list[Field | Fragment], object_type: GraphQLObjectType
    ) -> list[tuple[Any, ...]]:
        key = (id(selections), object_type.name)
        mine = self.local.get(key)
        if mine is not None:
            return mine[1]
        transient = id(selections) in self.transient
        if not transient:
            cached = self.cache.get(key)
            if cached is not None:
                return cached  # type: ignore[no-any-return]
        conditional = [False]
        collected = self.collect(selections, object_type, {}, conditional)
        compiled: list[tuple[Any, ...]] = []
        for response_key, fields in collected.items():
            first = fields[0]
            if first.name == "__typename":
                compiled.append((response_key, None, None, None, None, None))
                continue
            fdef = object_type.fields.get(first.name)
            if fdef is None:
                # __schema / __type: answered by local introspection, already shaped.
                compiled.append((response_key, "", None, None, None, None))
                continue
            sub: list[Field | Fragment] = []
            for f in fields:
                if f.selections:
                    sub.extend(f.selections)
            compiled.append(
                (
                    response_key,
                    first.name,
                    fdef.type,
                    sub,
                    f"{object_type.name}.{first.name}",
                    _leaf_kind(fdef.type),
                )
            )
        if conditional[0] or transient:
            self.local[key] = (selections, compiled)
            for entry in compiled:
                if entry[3]:
                    self.transient.add(id(entry[3]))
        else:
            self.cache[key] = compiled
        return compiled

    def has_error_under(self, path: list[Any]) -> bool:
        n = len(path)
        for error in self.errors:
            epath = error.get("path")
            if epath is None:
                continue
            if epath[:n] == path or path[: len(epath)] == epath:
                return True
        return False

    def selection_set(
        self,
        selections: list[Field | Fragment],
        object_type: GraphQLObjectType,
        obj: dict[str, Any],
        path: Any,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for response_key, name, gtype, sub, coordinate, leaf in self.compile(
            selections, object_type
        ):
            if leaf is not None:
                # A scalar is passed through as it is (what `value` does), so only a null
                # in a non-null position needs the general path.
                found = obj.get(response_key)
                if found is None and leaf is _NON_NULL_SCALAR:
                    found = self.value(gtype, sub, found, (path, response_key), coordinate)
                out[response_key] = found
            elif name is None:
                out[response_key] = object_type.name
            elif not name:
                out[response_key] = obj.get(response_key)
            else:
                out[response_key] = self.value(
                    gtype, sub, obj.get(response_key), (path, response_key), coordinate
                )
        return out

    def value(
        self, gtype: Any, sub: list[Field | Fragment], value: Any, path: Any, coordinate: str
    ) -> Any:
        if isinstance(gtype, GraphQLNonNull):
            result = self.value(gtype.of_type, sub, value, path, coordinate)
            if result is None:
                full = _materialize(path)
                if not self.has_error_under(full):
                    # Every error a client sees has a code; this one is Apollo Gateway's
                    # for the same case, so clients written against either read it alike.
                    self.errors.append(
                        {
                            "message": f"Cannot return null for non-nullable field {coordinate}.",
                            "path": full,
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        }
                    )
                raise _Null()
            return result
        if value is None:
            return None
        try:
            if isinstance(gtype, GraphQLList):
                if not isinstance(value, list):
                    return None
                item_type = gtype.of_type
                return [
                    self.value(item_type, sub, item, (path, i), coordinate)
                    for i, item in enumerate(value)
                ]
            kind = _kind(gtype)
            if kind == _LEAF:
                return value
            if kind == _ENUM:
                if value not in gtype.values:
                    self.errors.append(
                        {
                            "message": (
                                f"Enum {gtype.name} cannot represent value: {json.dumps(value)}"
                            ),
                            "path": _materialize(path),
                            "extensions": {"code": "INVALID_GRAPHQL"},
                        }
                    )
                    return None
                return value
            if not isinstance(value, dict):
                return None
            object_type = gtype
            if kind == _ABSTRACT:
                typename = value.get("__typename")
                resolved = self.schema.get_type(typename) if isinstance(typename, str) else None
                if resolved is gtype:
                    # From an @interfaceObject subgraph, which knows only the interface: the
                    # planner fetched the concrete type wherever the selection needs it.
                    return self.selection_set(sub, gtype, value, path)  # type: ignore[arg-type]
                if not isinstance(resolved, GraphQLObjectType) or not self.schema.is_sub_type(
                    gtype, resolved
                ):
                    return None
                object_type = resolved
            return self.selection_set(sub, object_type, value, path)
        except _Null:
            return None


_KINDS: dict[int, int] = {}


def _kind(gtype: Any) -> int:
    kind = _KINDS.get(id(gtype))
    if kind is None:
        if isinstance(gtype, GraphQLEnumType):
            kind = _ENUM
        elif is_leaf_type(gtype):
            kind = _LEAF
        elif is_abstract_type(gtype):
            kind = _ABSTRACT
        else:
            kind = _OBJECT
        _KINDS[id(gtype)] = kind
    return kind


def _boolean() -> Any:
    from graphql import GraphQLBoolean

    return GraphQLBoolean


_BOOLEAN = _boolean()


def introspection_document(fields: list[Field], operation: ast.OperationDefinitionNode) -> str:
    """A document with only the client's introspection root fields (run locally)."""
    from graphql import print_ast

    used = variables_used(fields)
    defs = [
        print_ast(d) for d in operation.variable_definitions or () if d.variable.name.value in used
    ]
    head = "query" + (f"({', '.join(defs)})" if defs else "")
    return f"{head} {print_selections(fields)}"
