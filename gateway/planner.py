"""Query planning: a client operation becomes a DAG of subgraph fetches.

A root fetch asks one subgraph for some root fields. Wherever a selected field lives in
another subgraph, the planner adds the entity's key (and any @requires fields) to the
current fetch and creates an entity fetch: ``_entities(representations:)`` against the
other subgraph, run once for every object at that response path, batched into one call.
Entity fetches depend on the fetches that bring their representation data, and may in
turn have dependents of their own (entities three levels down, key chains, @requires
served by a third subgraph).

How a plan is chosen: a search over complete plans. One run of the planner walks the
operation and, wherever there is more than one way on, takes the greedy one: stay in the
current subgraph when it can resolve a field (honouring @provides, also for key fields that
are @external there), else jump to the subgraph that resolves most of the remaining fields
with a key the current data can supply. The choices with more than one option are the root
subgraph for a group of root fields, the subgraph to jump to for an object's remaining
fields, and the key to jump with. These are the edges a query graph (a node per type and
subgraph, edges for fields and key jumps) offers at each step, and the run notes each one it
took and how many there were. ``Planner.plan`` then varies them one at a time, as a
local search: at the first noted point it runs the planner with each other option there
(the choices before it kept, those after it greedy again), keeps a run that is cheaper,
and goes on to the next point of the best run so far. It stops after ``MAX_PLAN_SEARCH``
runs, or fewer for a large operation (``MAX_SEARCH_FIELDS`` bounds the client's fields
planned over all runs, so a new document costs a bounded amount of planning whatever its
size). The cost (``plan_cost``) is the number of steps one after another, then the number
of requests, then the number of fields. A failed run (a key that cannot be supplied down
that path, a plan that would wait for itself) counts as dearer than any plan, and one that
failed later as cheaper than one that failed sooner. So a choice greedy gets wrong costs a
step, and a greedy dead end no longer refuses the operation while another path exists
(tests/gateway/test_plan_search.py). The search is local, not exhaustive: two choices that
only pay off together are not found. When every run fails, the greedy run's error is the
answer. Plans are cached by the engine, so the search runs once per operation. The test
bed's 95 operations build at most 4 plans each. The dry runs that decide where a shared
root field can be planned (``_can_plan``) are greedy only.

Root fields several subgraphs serve (@shareable) go to one that can plan the whole
selection (found by a dry run); when none can (a type without a key whose fields are
split between them), the field is asked of several, each for its part, and the answers
merge. Below an entity, fields of a keyless @shareable type that the current subgraph
lacks are asked of another subgraph serving the same field, through the entity's key. A
field is planned for the type it has in the subgraph asked (@join__field(type:)), which
may be narrower than the API's.

@requires: a field is resolved in a fetch only when that fetch can carry its required
fields (the subgraph resolves them itself, or the fetch is the entity fetch whose
representations hold them). Otherwise it gets an entity fetch of its own -- back into the
same subgraph when the object came from there -- that waits for the fetches bringing the
requirements. Fields requiring one field with different arguments go to separate fetches
(a representation carries a field once, by name); such required fields get an internal
alias in the documents that fetch them. A fetch is only joined by more fields when that
creates no wait cycle, so a chain A -> B -> A becomes three steps.

Contextual arguments (@fromContext, Federation 2.8): an argument whose value comes from
the nearest ancestor in the response whose type sets a context (@context), never from the
client. A field with such arguments is resolved only by an entity fetch made for it in its
subgraph (``_entities`` through the entity's key), also when the object came from that
subgraph. The context's selection (``{ prop }``, or ``... on A { x } ... on B { y }`` when
several types set it) is planned, with ``__typename`` and internal aliases, on the nearest
object being planned above the field whose type sets the context (a stack of the objects
being planned says which), like required fields are, and the entity fetch waits for it.
The fetch's document declares one variable per context (``$contextualArgument_<fetch>_<n>``,
typed as ``contextArguments`` says) and passes it to the field; the same field asked twice
with other ordinary arguments shares it. At run time the executor reads, for every entity,
the selection on its own nearest ancestor of a setting type and groups the representations
by those values: one group is sent with the planned document; several go in one request
as aliased fields (``_0: _entities(representations: $r0)`` with ``$contextualArgument_
<fetch>_<n>_0``, ...), each entity once per group, so an entity met under parents with
different values gets each answer in its place. Such a fetch is never batched with others;
the plan and its cache entry stay the same for every request (the grouped documents are
derived from the plan's parts, and kept on it for small group counts).

Every search is bounded: nesting and entity jumps count against ``MAX_PLAN_DEPTH``, a
jump that would need its own result (a key only the target can give) is refused, and a
plan whose fetches would wait for themselves is refused rather than run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLInterfaceType, GraphQLList, GraphQLNonNull, GraphQLObjectType
from graphql.language import ast

from gateway.operation import (
    Field,
    Fragment,
    field_set_selections,
    print_selections,
    variables_in,
    variables_used,
)
from gateway.supergraph import (
    ContextArgument,
    Key,
    Supergraph,
    parse_field_set,
    top_level_fields,
)

MAX_PLAN_DEPTH = 64
# Complete plans the search may build for one operation (once: plans are cached).
MAX_PLAN_SEARCH = 48
# ... and at most about this many of the client's fields planned over all of them.
MAX_SEARCH_FIELDS = 20_000
LIST = "@"
# Variables carrying contextual arguments' values are named with this prefix (a client's
# operation may not use it).
CONTEXT_VARIABLE_PREFIX = "contextualArgument_"


class PlanningError(Exception):
    """The operation cannot be served by this supergraph's subgraphs."""


@dataclass(eq=False)
class ContextVariable:
    """A variable of an entity fetch's document that carries a contextual argument's value:
    per entity, ``selection`` read on its nearest ancestor whose ``__typename`` is one of
    ``setters`` (null when there is none)."""

    name: str
    type: str
    setters: frozenset[str]
    selection: list[Field | Fragment]
    key: tuple[str, str, str] = ("", "", "")  # (context, selection, type): one variable each


@dataclass(eq=False)
class Fetch:
    """One request to one subgraph."""

    id: int
    graph: str  # join__Graph enum value
    kind: str  # "root" | "entity"
    operation: str  # "query" | "mutation" | "subscription"
    path: tuple[str, ...] = ()
    entity_type: str | None = None  # entity fetch: the type its representations have
    rep_typename: str | None = None  # __typename sent (the interface, for @interfaceObject)
    match_types: frozenset[str] = frozenset()  # object __typenames this fetch applies to
    requires: list[Field | Fragment] = field(default_factory=list)
    selections: list[Field | Fragment] = field(default_factory=list)
    depends: list[Fetch] = field(default_factory=list)
    document: str = ""
    variable_names: tuple[str, ...] = ()
    # Entity fetches to one subgraph that wait for the same fetches are sent together:
    # the first carries the batch and its document, the others point to it.
    batch: list[Fetch] | None = None
    batch_document: str = ""
    batched_into: Fetch | None = None
    # Some fields carry an internal alias (see _PlanRun.separate_conflicts).
    renamed: bool = False
    # @skip/@include that decide at run time whether this fetch happens at all.
    conditions: tuple[ast.DirectiveNode, ...] = ()
    # Contextual arguments (@fromContext): the variables this entity fetch declares, and
    # per field name the (argument, variable) pairs to pass.
    contexts: list[ContextVariable] = field(default_factory=list)
    context_args: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # For such a fetch, the parts of a document asking several groups of entities at
    # once (see executor._grouped_document): the ``{ ... on T { ... } }`` under
    # ``_entities`` and the client's variable definitions it uses.
    entities_body: str = ""
    client_variable_definitions: tuple[str, ...] = ()
    grouped_documents: dict[int, str] = field(default_factory=dict)  # by group count

    def describe(self) -> str:
        where = "/".join(self.path) or "<root>"
        target = f" {self.entity_type}" if self.entity_type else ""
        return f"#{self.id} {self.kind}{target} @ {where} -> {self.graph}"


@dataclass
class QueryPlan:
    operation: str
    fetches: list[Fetch]
    root_selections: list[Field | Fragment]  # the client's, normalised (for shaping)
    root_type: str
    local_root_fields: list[Field] = field(default_factory=list)  # __schema, __type, __typename
    search_runs: int = 1  # complete plans the search built to choose this one
    # Compiled shapes of selection sets (see executor._Shaper), filled on first use.
    shape_cache: dict[Any, Any] = field(default_factory=dict)

    def describe(self) -> str:
        lines = []
        for fetch in self.fetches:
            deps = ", ".join(f"#{d.id}" for d in fetch.depends)
            lines.append(fetch.describe() + (f" after {deps}" if deps else ""))
            if fetch.batched_into is not None:
                lines.append(f"    (sent with #{fetch.batched_into.id})")
            else:
                lines.append("    " + (fetch.batch_document or fetch.document))
        return "\n".join(lines)


def plan_cost(plan: QueryPlan) -> tuple[int, int, int]:
    """What the search minimises, in this order: the steps one after another (the longest
    chain of fetches waiting for each other: each is a round trip), the requests (a batch
    of entity fetches sent together is one), the fields asked of the subgraphs."""
    steps: dict[int, int] = {}

    def step(fetch: Fetch) -> int:  # (finish() has refused plans that wait in a circle)
        if fetch.id not in steps:
            steps[fetch.id] = 1 + max((step(d) for d in fetch.depends), default=0)
        return steps[fetch.id]

    for fetch in plan.fetches:
        step(fetch)
    requests = sum(1 for f in plan.fetches if f.batched_into is None)
    return (
        max(steps.values(), default=0),
        requests,
        _count_fields(f.selections for f in plan.fetches),
    )


def _count_fields(groups: Any) -> int:
    total = 0
    pending = [s for group in groups for s in group]
    while pending:
        sel = pending.pop()
        if isinstance(sel, Field):
            total += 1
            pending.extend(sel.selections or ())
        else:
            pending.extend(sel.selections)
    return total


def _unwrap(gtype: Any) -> tuple[Any, int]:
    """The named type under a field type and how many list levels wrap it."""
    lists = 0
    while isinstance(gtype, GraphQLNonNull | GraphQLList):
        if isinstance(gtype, GraphQLList):
            lists += 1
        gtype = gtype.of_type
    return gtype, lists


def _merge_into(target: list[Field | Fragment], additions: list[Field | Fragment]) -> None:
    """Add selections to a selection list, merging fields of equal signature."""
    for sel in additions:
        if isinstance(sel, Field):
            existing = next(
                (t for t in target if isinstance(t, Field) and t.signature() == sel.signature()),
                None,
            )
            if existing is not None:
                if sel.selections is not None:
                    if existing.selections is None:
                        existing.selections = []
                    _merge_into(existing.selections, sel.selections)
                if not sel.internal:
                    existing.internal = False
                continue
            target.append(
                sel.copy(selections=list(sel.selections) if sel.selections else sel.selections)
            )
            if sel.selections is not None:
                copy = target[-1]
                assert isinstance(copy, Field)
                copy.selections = []
                _merge_into(copy.selections, sel.selections)
        else:
            existing_fragment = next(
                (
                    t
                    for t in target
                    if isinstance(t, Fragment)
                    and t.type_condition == sel.type_condition
                    and t.directives_text == sel.directives_text
                ),
                None,
            )
            if existing_fragment is None:
                existing_fragment = Fragment(
                    type_condition=sel.type_condition,
                    directives=sel.directives,
                    directives_text=sel.directives_text,
                    variables=sel.variables,
                )
                target.append(existing_fragment)
            _merge_into(existing_fragment.selections, sel.selections)


class Planner:
    def __init__(self, supergraph: Supergraph):
        self.sg = supergraph
        self.schema = supergraph.schema

    # --- entry ---------------------------------------------------------------------------

    def plan(
        self,
        document: ast.DocumentNode,
        operation_name: str | None,
        root_selections: list[Field | Fragment],
        operation: str,
    ) -> QueryPlan:
        """The cheapest plan the search finds (see the module docstring): the greedy
        run first, then at each noted choice in turn every other option, keeping a run
        that is cheaper, at most ``MAX_PLAN_SEARCH`` runs."""
        root_type = self.sg.root_types.get(operation)
        if root_type is None:
            raise PlanningError(f"the schema has no {operation} type")
        # Each run plans the whole operation: a large one gets fewer (down to greedy
        # alone), so a client's new document never costs more than about
        # MAX_SEARCH_FIELDS fields of planning, whatever its size.
        size = _count_fields([root_selections])
        budget = min(MAX_PLAN_SEARCH, max(1, MAX_SEARCH_FIELDS // max(size, 1)))

        def attempt(script: tuple[int, ...]) -> tuple[tuple[int, ...], _PlanRun, Any]:
            run = _PlanRun(self, operation, script)
            try:
                plan = self._plan_run(run, document, operation_name, root_selections, root_type)
            except PlanningError as exc:
                # A run that got further before failing is nearer a plan: its choices are
                # the ones to vary next.
                return (1, -len(run.taken), 0, 0), run, exc
            return (0, *plan_cost(plan)), run, plan

        best_cost, best_run, best = attempt(())
        greedy = best
        runs = 1
        point = 0
        while point < len(best_run.taken) and runs < budget:
            for option in range(best_run.arities[point]):
                if option == best_run.taken[point] or runs >= budget:
                    continue
                runs += 1
                cost, run, outcome = attempt((*best_run.taken[:point], option))
                if cost < best_cost:
                    best_cost, best_run, best = cost, run, outcome
            point += 1
        if isinstance(best, PlanningError):
            raise greedy if isinstance(greedy, PlanningError) else best
        best.search_runs = runs
        return best

    def _plan_run(
        self,
        run: _PlanRun,
        document: ast.DocumentNode,
        operation_name: str | None,
        root_selections: list[Field | Fragment],
        root_type: str,
    ) -> QueryPlan:
        operation = run.operation
        plan = QueryPlan(
            operation=operation, fetches=[], root_selections=root_selections, root_type=root_type
        )
        fields = run.flatten(root_selections, root_type)
        remote: list[Field | Fragment] = []
        for sel in fields:
            if isinstance(sel, Field) and sel.name in {"__schema", "__type", "__typename"}:
                plan.local_root_fields.append(sel)
            else:
                remote.append(sel)
        if operation == "mutation":
            run.plan_mutation_roots(root_type, remote)
        else:
            run.plan_query_roots(root_type, remote)
        run.finish(document, operation_name)
        plan.fetches = run.fetches
        return plan


class _PlanRun:
    """The state of planning one operation."""

    def __init__(self, planner: Planner, operation: str, script: tuple[int, ...] = ()):
        self.planner = planner
        # The search (Planner.plan): at the n-th point where there is more than one way
        # on, take option ``script[n]`` (0, the greedy one, past the script's end), and
        # note what was taken and how many options there were.
        self.script = script
        self.taken: list[int] = []
        self.arities: list[int] = []
        # Every fetch made or joined, in order: what a part of the planning relied on.
        self.touched: list[Fetch] = []
        self.sg = planner.sg
        self.schema = planner.schema
        self.operation = operation
        self.fetches: list[Fetch] = []
        self._entity_fetches: dict[tuple[Any, ...], list[Fetch]] = {}
        self.depth = 0
        self._jumping: set[tuple[Any, ...]] = set()
        # The objects being planned, outermost first: where a contextual argument finds
        # the nearest ancestor that sets its context (see _bring_context).
        self._frames: list[_Frame] = []

    def choose(self, options: list[Any]) -> Any:
        """One of ``options`` (best first by the greedy rules), as the search directs."""
        if len(options) == 1:
            return options[0]
        point = len(self.taken)
        pick = self.script[point] if point < len(self.script) else 0
        self.taken.append(pick)
        self.arities.append(len(options))
        return options[pick]

    def new_fetch(self, **kwargs: Any) -> Fetch:
        fetch = Fetch(id=len(self.fetches), **kwargs)
        self.fetches.append(fetch)
        self.touched.append(fetch)
        return fetch

    # --- roots ---------------------------------------------------------------------------

    def _root_graphs(self, root_type: str, sel: Field | Fragment) -> list[str]:
        field_ = _root_field_of(sel)
        if field_.name == "__typename":
            return list(self.sg.graphs)
        graphs = self.sg.field_graphs(root_type, field_.name)
        if not graphs:
            raise PlanningError(f"no subgraph resolves {root_type}.{field_.name}")
        return graphs

    def _root_units(self, sel: Field | Fragment) -> list[Field | Fragment]:
        """A selection as units of one field each: a fragment (``... @include(if: $x)
        { a b }``) becomes one such fragment around each field, so each can go to its own
        subgraph with the condition (and type condition) kept."""
        if isinstance(sel, Field):
            return [sel]
        units: list[Field | Fragment] = []
        for inner in sel.selections:
            for unit in self._root_units(inner):
                units.append(
                    Fragment(
                        type_condition=sel.type_condition,
                        directives=sel.directives,
                        directives_text=sel.directives_text,
                        variables=sel.variables,
                        selections=[unit],
                    )
                )
        return units

    def _can_plan(self, graph: str, root_type: str, sel: Field | Fragment) -> bool:
        """Whether ``sel`` can be planned from a root fetch to ``graph`` (a dry run)."""
        trial = _PlanRun(self.planner, self.operation)
        fetch = trial.new_fetch(graph=graph, kind="root", operation=self.operation)
        try:
            trial.plan_object(graph, root_type, [sel], (), fetch, None)
        except PlanningError:
            return False
        return True

    def _shared_root(
        self, root_type: str, sel: Field | Fragment, graphs: list[str]
    ) -> list[tuple[Field | Fragment, list[str]]]:
        """A root field several subgraphs serve (@shareable), with the subgraphs it can be
        planned from. When none can answer the whole selection on its own (fields of a
        type without a key that only some have), the selection is split between them: the
        field is asked of several subgraphs, each for the part it can answer, and the
        answers merge (as Apollo's planner does)."""
        able = [g for g in graphs if self._can_plan(g, root_type, sel)]
        if able:
            return [(sel, able)]
        field_ = _root_field_of(sel)
        if not field_.selections:
            return [(sel, graphs)]
        parts: dict[str, list[Field | Fragment]] = {}
        for child in [unit for item in field_.selections for unit in self._root_units(item)]:
            part = _with_root_children(sel, [child])
            graph = next((g for g in graphs if self._can_plan(g, root_type, part)), None)
            if graph is None:
                return [(sel, graphs)]  # not answerable at all: planning says why
            parts.setdefault(graph, []).append(child)
        return [(_with_root_children(sel, children), [g]) for g, children in parts.items()]

    def plan_query_roots(self, root_type: str, fields: list[Field | Fragment]) -> None:
        remaining: list[tuple[Field | Fragment, list[str]]] = []
        for sel in fields:
            for unit in self._root_units(sel):
                graphs = self._root_graphs(root_type, unit)
                if len(graphs) > 1 and _root_field_of(unit).selections:
                    remaining.extend(self._shared_root(root_type, unit, graphs))
                else:
                    remaining.append((unit, graphs))
        order = list(self.sg.graphs)
        while remaining:
            coverage: dict[str, int] = {}
            for _, graphs in remaining:
                for graph in graphs:
                    coverage[graph] = coverage.get(graph, 0) + 1
            graph = self.choose(sorted(coverage, key=lambda g: (-coverage[g], order.index(g))))
            chosen: list[Field | Fragment] = [s for s, graphs in remaining if graph in graphs]
            fetch = self.new_fetch(graph=graph, kind="root", operation=self.operation)
            fetch.selections = self.plan_object(graph, root_type, chosen, (), fetch, None)
            remaining = [(s, graphs) for s, graphs in remaining if graph not in graphs]

    def plan_mutation_roots(self, root_type: str, fields: list[Field | Fragment]) -> None:
        previous: Fetch | None = None
        units = [unit for sel in fields for unit in self._root_units(sel)]
        for sel in units:
            graphs = self._root_graphs(root_type, sel)
            if previous is not None and previous.graph in graphs and self.fetches[-1] is previous:
                # Consecutive fields of one subgraph go in one request (it runs them in order).
                graph, fetch = previous.graph, previous
            else:
                graph = graphs[0]
                fetch = self.new_fetch(graph=graph, kind="root", operation="mutation")
                # Top-level mutation fields run in order: wait for everything before.
                fetch.depends = [f for f in self.fetches if f is not fetch]
            _merge_into(
                fetch.selections, self.plan_object(graph, root_type, [sel], (), fetch, None)
            )
            previous = fetch

    # --- selections ----------------------------------------------------------------------

    def applies(self, type_condition: str | None, concrete: str) -> bool:
        if type_condition is None or type_condition == concrete:
            return True
        meta = self.sg.types.get(type_condition)
        if meta is None:
            return False
        if meta.kind == "interface":
            return type_condition in self.sg.interfaces_of.get(
                concrete, set()
            ) or concrete in self.sg.possible_types(type_condition)
        if meta.kind == "union":
            return concrete in self.sg.possible_types(type_condition)
        return False

    def flatten(self, selections: list[Field | Fragment], concrete: str) -> list[Field | Fragment]:
        """Selections that apply to an object of type ``concrete``: fragments that match are
        dissolved (fragments with @skip/@include stay, narrowed to ``concrete``)."""
        result: list[Field | Fragment] = []
        for sel in selections:
            if isinstance(sel, Field):
                result.append(sel)
            elif self.applies(sel.type_condition, concrete):
                inner = self.flatten(sel.selections, concrete)
                if sel.directives:
                    result.append(
                        Fragment(
                            type_condition=None,
                            directives=sel.directives,
                            directives_text=sel.directives_text,
                            variables=sel.variables,
                            selections=inner,
                        )
                    )
                else:
                    result.extend(inner)
        return result

    def field_type(self, parent: str, name: str) -> Any:
        gtype = self.schema.type_map.get(parent)
        if not isinstance(gtype, GraphQLObjectType | GraphQLInterfaceType):
            raise PlanningError(f"{parent} has no fields")
        fdef = gtype.fields.get(name)
        if fdef is None:
            raise PlanningError(f"{parent}.{name} does not exist")
        return fdef.type

    def resolvable(
        self, graph: str, type_name: str, name: str, provided: ast.SelectionSetNode | None
    ) -> bool:
        if name == "__typename":
            return True
        if graph in self.sg.field_graphs(type_name, name):
            return True
        if provided is not None:
            for sel in provided.selections:
                if isinstance(sel, ast.FieldNode) and sel.name.value == name:
                    return True
                if (
                    isinstance(sel, ast.InlineFragmentNode)
                    and (sel.type_condition is None or sel.type_condition.name.value == type_name)
                    and any(
                        isinstance(s, ast.FieldNode) and s.name.value == name
                        for s in sel.selection_set.selections
                    )
                ):
                    return True
        return False

    def _provided_below(
        self, graph: str, parent: str, sel: Field, provided: ast.SelectionSetNode | None, child: str
    ) -> ast.SelectionSetNode | None:
        meta = self.sg.types.get(parent)
        entry = meta.fields[sel.name].entry(graph) if meta and sel.name in meta.fields else None
        if entry is not None and entry.provides:
            return parse_field_set(entry.provides)
        if provided is not None:
            for node in provided.selections:
                if (
                    isinstance(node, ast.FieldNode)
                    and node.name.value == sel.name
                    and node.selection_set
                ):
                    return node.selection_set
        return None

    def plan_object(
        self,
        graph: str,
        type_name: str,
        selections: list[Field | Fragment],
        path: tuple[str, ...],
        fetch: Fetch,
        provided: ast.SelectionSetNode | None,
    ) -> list[Field | Fragment]:
        """The selections to send to ``graph`` for an object of ``type_name`` at ``path``;
        entity fetches for what ``graph`` cannot resolve are added as dependents."""
        self.depth += 1
        if self.depth > MAX_PLAN_DEPTH:
            raise PlanningError("the operation nests too deeply to plan")
        try:
            meta = self.sg.types.get(type_name)
            if meta is None:
                raise PlanningError(f"unknown type {type_name}")
            if meta.kind in {"interface", "union"} and graph not in meta.interface_object_graphs:
                return self._plan_abstract(graph, type_name, selections, path, fetch, provided)
            return self._plan_concrete(graph, type_name, selections, path, fetch, provided)
        finally:
            self.depth -= 1

    def _plan_abstract(
        self,
        graph: str,
        type_name: str,
        selections: list[Field | Fragment],
        path: tuple[str, ...],
        fetch: Fetch,
        provided: ast.SelectionSetNode | None,
    ) -> list[Field | Fragment]:
        result: list[Field | Fragment] = [Field(name="__typename", internal=True)]
        for concrete in self.sg.possible_types(type_name, graph):
            if not self.sg.type_in_graph(concrete, graph):
                continue
            inner = self.flatten(selections, concrete)
            if not inner:
                continue
            planned = self._plan_concrete(
                graph, concrete, inner, path, fetch, provided, narrowed=True
            )
            if planned:
                result.append(Fragment(type_condition=concrete, selections=planned))
        return result

    def _plan_concrete(
        self,
        graph: str,
        type_name: str,
        selections: list[Field | Fragment],
        path: tuple[str, ...],
        fetch: Fetch,
        provided: ast.SelectionSetNode | None,
        narrowed: bool = False,
    ) -> list[Field | Fragment]:
        local: list[Field | Fragment] = []
        self._frames.append(_Frame(graph, type_name, path, fetch, local, provided))
        try:
            self._plan_concrete_into(
                local, graph, type_name, selections, path, fetch, provided, narrowed
            )
        finally:
            self._frames.pop()
        return local

    def _plan_concrete_into(
        self,
        local: list[Field | Fragment],
        graph: str,
        type_name: str,
        selections: list[Field | Fragment],
        path: tuple[str, ...],
        fetch: Fetch,
        provided: ast.SelectionSetNode | None,
        narrowed: bool,
    ) -> None:
        remote: list[Field | Fragment] = []
        interface_object = graph in self.sg.types[type_name].interface_object_graphs
        if interface_object and not narrowed:
            # This subgraph knows the interface as an object type: fragments on the
            # interface's implementations are answered by a subgraph that knows them.
            # Its __typename (the interface's name) tells the shaper what it got.
            local.append(Field(name="__typename", internal=True))
            items = []
            for sel in selections:
                if isinstance(sel, Fragment) and sel.type_condition not in (None, type_name):
                    remote.append(sel)
                else:
                    items.append(sel)
            items = self.flatten(items, type_name)
        else:
            items = selections if narrowed else self.flatten(selections, type_name)
        for sel in items:
            if isinstance(sel, Fragment):
                # A conditional fragment (@skip/@include): plan inside, keep the condition.
                inner = self._plan_concrete(
                    graph, type_name, sel.selections, path, fetch, provided, narrowed=True
                )
                if inner:
                    local.append(
                        Fragment(
                            type_condition=None,
                            directives=sel.directives,
                            directives_text=sel.directives_text,
                            variables=sel.variables,
                            selections=inner,
                        )
                    )
                continue
            if sel.name == "__typename":
                if interface_object:
                    # The subgraph only knows the interface; ask for the real type elsewhere.
                    remote.append(sel)
                else:
                    local.append(sel.copy())
                continue
            if self.resolvable(graph, type_name, sel.name, provided) and self._requirements_met(
                graph, type_name, sel, path, fetch, provided
            ):
                sel = self._with_context_args(sel, fetch)
                if sel.selections is None:
                    local.append(sel.copy())
                    continue
                child_type, lists = _unwrap(self.field_type(type_name, sel.name))
                child_path = path + (sel.key,) + (LIST,) * lists
                # The field's type in this subgraph (@join__field(type:)) may be narrower
                # than the API's (Book where the API says Media): plan for what it returns
                # there, so no type condition the subgraph does not know is sent.
                in_graph = self._type_in_graph(type_name, sel.name, graph) or child_type.name
                child_provided = self._provided_below(graph, type_name, sel, provided, in_graph)
                here, away = self._split_keyless(graph, type_name, sel, in_graph, child_provided)
                if away:
                    # Fields of a keyless value type this subgraph lacks: asked of another
                    # subgraph that serves the same field, through the parent's key.
                    remote.append(sel.copy(selections=away))
                    if not here:
                        continue
                child = self.plan_object(graph, in_graph, here, child_path, fetch, child_provided)
                # The shaper tells the object's type by the key "__typename": a client's
                # aliased __typename does not count.
                if in_graph != child_type.name and not any(
                    isinstance(c, Field) and c.key == "__typename" for c in child
                ):
                    child.insert(0, Field(name="__typename", internal=True))
                local.append(sel.copy(selections=child))
            else:
                remote.append(sel)
        if remote:
            self.plan_entity_jumps(graph, type_name, remote, path, fetch, local, provided)

    # --- entity jumps --------------------------------------------------------------------

    def _candidates(
        self, graph: str, type_name: str, sel: Field | Fragment
    ) -> list[tuple[str, str]]:
        """(target graph, type to address it as) pairs that can resolve ``sel``."""
        found: list[tuple[str, str]] = []
        meta = self.sg.types[type_name]
        if isinstance(sel, Fragment) or sel.name == "__typename":
            for other in self.sg.graphs:
                if (
                    other != graph
                    and other not in meta.interface_object_graphs
                    and self.sg.resolvable_keys(type_name, other)
                ):
                    found.append((other, type_name))
            return found
        for other in self.sg.field_graphs(type_name, sel.name):
            # The current subgraph itself, for a field it resolves only once its @requires
            # fields are fetched: an entity fetch back into it, after them.
            back = other == graph and (
                self._has_requires(type_name, sel.name, other)
                or self._has_context(type_name, sel.name, other)
            )
            if (other != graph or back) and self.sg.resolvable_keys(type_name, other):
                found.append((other, type_name))
        # Fields that an @interfaceObject subgraph adds to an interface the type implements.
        for iface in sorted(self.sg.interfaces_of.get(type_name, ())):
            imeta = self.sg.types.get(iface)
            if imeta is None:
                continue
            for other in imeta.interface_object_graphs:
                if (
                    other != graph
                    and other in self.sg.field_graphs(iface, sel.name)
                    and self.sg.resolvable_keys(iface, other)
                ):
                    found.append((other, iface))
        return found

    def _split_keyless(
        self,
        graph: str,
        parent: str,
        sel: Field,
        child_type: str,
        provided: ast.SelectionSetNode | None,
    ) -> tuple[list[Field | Fragment], list[Field | Fragment]]:
        """The selections under ``sel`` that ``graph`` answers, and those it cannot when the
        child is an object type without a key (no jump possible from it) and another
        subgraph serves ``parent.sel``: those go there, through the parent's key."""
        assert sel.selections is not None
        meta = self.sg.types.get(child_type)
        if meta is None or meta.kind != "object" or meta.is_entity:
            return sel.selections, []
        if not any(
            g != graph and self.sg.resolvable_keys(parent, g)
            for g in self.sg.field_graphs(parent, sel.name)
        ):
            return sel.selections, []
        here: list[Field | Fragment] = []
        away: list[Field | Fragment] = []
        for item in self.flatten(sel.selections, child_type):
            if isinstance(item, Fragment) or self.resolvable(
                graph, child_type, item.name, provided
            ):
                here.append(item)
            else:
                away.append(item)
        return here, away

    def _type_in_graph(self, type_name: str, name: str, graph: str) -> str | None:
        """The named type ``type_name.name`` has in ``graph`` when it differs there."""
        entry = self._field_entry(type_name, name, graph)
        if entry is None or not entry.type:
            return None
        named = entry.type.strip("[]! ")
        return named if named in self.sg.types else None

    def _has_requires(self, type_name: str, name: str, graph: str) -> bool:
        entry = self._field_entry(type_name, name, graph)
        return entry is not None and bool(entry.requires)

    def _has_context(self, type_name: str, name: str, graph: str) -> bool:
        entry = self._field_entry(type_name, name, graph)
        return entry is not None and bool(entry.context_arguments)

    def _with_context_args(self, sel: Field, fetch: Fetch) -> Field:
        """``sel`` with its contextual arguments passed as the fetch's variables."""
        pairs = fetch.context_args.get(sel.name)
        if not pairs:
            return sel
        added = ", ".join(f"{arg}: ${variable}" for arg, variable in pairs)
        inner = sel.args_text[1:-1] if sel.args_text else ""
        return sel.copy(args_text=f"({inner}, {added})" if inner else f"({added})")

    def _bring_context(
        self,
        entity_contexts: list[ContextVariable],
        arguments: tuple[ContextArgument, ...],
        path: tuple[str, ...],
    ) -> tuple[list[tuple[str, str]], list[Fetch]]:
        """The (argument, variable) pairs of a field's contextual arguments, and the
        fetches the entity fetch must wait for: for each argument, the context's selection
        is added to the nearest object being planned above ``path`` whose type sets the
        context (with its ``__typename``, by which the executor finds it again)."""
        pairs: list[tuple[str, str]] = []
        depends: list[Fetch] = []
        for argument in arguments:
            setters = self.sg.context_setters.get(argument.context, frozenset())
            selection = _context_selection(argument.selection)
            key = (argument.context, argument.selection, argument.type)
            variable = next((v for v in entity_contexts if v.key == key), None)
            if variable is None:
                variable = ContextVariable(
                    name=f"draft{len(entity_contexts)}",  # named by _jump
                    type=argument.type,
                    setters=setters,
                    selection=selection,
                    key=key,
                )
                entity_contexts.append(variable)
            pairs.append((argument.name, variable.name))
            frame = next(
                (
                    f
                    for f in reversed(self._frames)
                    if len(f.path) < len(path)
                    and path[: len(f.path)] == f.path
                    and f.type_name in setters
                ),
                None,
            )
            if frame is None:
                continue  # no ancestor sets it here: the argument gets null
            wanted: list[Field | Fragment] = [Field(name="__typename", internal=True)]
            wanted += self.flatten(_context_selection(argument.selection), frame.type_name)
            before = len(self.touched)
            planned = self._plan_concrete(
                frame.graph,
                frame.type_name,
                wanted,
                frame.path,
                frame.fetch,
                frame.provided,
                narrowed=True,
            )
            _merge_into(frame.local, planned)
            depends += [frame.fetch, *self.touched[before:]]
        return pairs, depends

    def _requirements_met(
        self,
        graph: str,
        type_name: str,
        sel: Field,
        path: tuple[str, ...],
        fetch: Fetch,
        provided: ast.SelectionSetNode | None,
    ) -> bool:
        """Whether ``graph`` can resolve ``sel`` in ``fetch`` as far as @requires goes: the
        field has none there, or this is the entity fetch that carries them in its
        representations, or the subgraph resolves (or was provided) every required field
        itself. Otherwise the field needs an entity fetch of its own, after the fetches
        that bring the requirements -- also when the object came from this subgraph."""
        entry = self._field_entry(type_name, sel.name, graph)
        # Only the entity fetch made for it carries its contextual arguments' values.
        if (
            entry is not None
            and entry.context_arguments
            and not (
                fetch.kind == "entity"
                and fetch.graph == graph
                and fetch.path == path
                and sel.name in fetch.context_args
            )
        ):
            return False
        if entry is None or not entry.requires:
            return True
        needed = _requirement_selections(entry.requires)
        if fetch.kind == "entity" and fetch.graph == graph and fetch.path == path:
            carried = {f.signature() for f in fetch.requires if isinstance(f, Field)}
            if all(f.signature() in carried for f in needed if isinstance(f, Field)):
                return True
        return self._selections_resolvable(graph, type_name, needed, provided)

    def _selections_resolvable(
        self,
        graph: str,
        type_name: str,
        selections: list[Field | Fragment],
        provided: ast.SelectionSetNode | None,
    ) -> bool:
        for item in selections:
            if isinstance(item, Fragment):
                inner = item.type_condition or type_name
                if not self._selections_resolvable(graph, inner, item.selections, None):
                    return False
                continue
            if not self.resolvable(graph, type_name, item.name, provided):
                return False
            if self._has_requires(type_name, item.name, graph) or self._has_context(
                type_name, item.name, graph
            ):
                return False
            if item.selections:
                child = self._named_type_name(type_name, item.name)
                if child is None or not self._selections_resolvable(
                    graph, child, item.selections, None
                ):
                    return False
        return True

    def _key_available(
        self, graph: str, type_name: str, key: Key, provided: ast.SelectionSetNode | None
    ) -> bool:
        return all(
            self.resolvable(graph, type_name, node.name.value, provided)
            for node in parse_field_set(key.fields).selections
            if isinstance(node, ast.FieldNode)
        )

    def plan_entity_jumps(
        self,
        graph: str,
        type_name: str,
        fields: list[Field | Fragment],
        path: tuple[str, ...],
        fetch: Fetch,
        local: list[Field | Fragment],
        provided: ast.SelectionSetNode | None = None,
    ) -> list[Fetch]:
        # Bringing a key's fields may need further jumps; a key that can only come from
        # the subgraph it is needed for (a key field @external here and not provided)
        # would send this back to itself: such a jump is refused, never recursed into.
        guard = (graph, type_name, path, fetch.id, _names(fields))
        if guard in self._jumping:
            raise PlanningError(
                f"cannot reach {type_name} fields from subgraph {self.sg.graphs[graph].name}: "
                "the key they need depends on themselves"
            )
        self.depth += 1
        if self.depth > MAX_PLAN_DEPTH:
            raise PlanningError("the operation nests too deeply to plan")
        self._jumping.add(guard)
        try:
            return self._plan_entity_jumps(graph, type_name, fields, path, fetch, local, provided)
        finally:
            self._jumping.discard(guard)
            self.depth -= 1

    def _plan_entity_jumps(
        self,
        graph: str,
        type_name: str,
        fields: list[Field | Fragment],
        path: tuple[str, ...],
        fetch: Fetch,
        local: list[Field | Fragment],
        provided: ast.SelectionSetNode | None,
    ) -> list[Fetch]:
        created: list[Fetch] = []
        remaining = list(fields)
        order = list(self.sg.graphs)
        while remaining:
            options: dict[tuple[str, str], list[Field | Fragment]] = {}
            for sel in remaining:
                for option in self._candidates(graph, type_name, sel):
                    options.setdefault(option, []).append(sel)
            if not options:
                names = ", ".join(
                    f"{type_name}.{s.name}"
                    if isinstance(s, Field)
                    else f"... on {s.type_condition}"
                    for s in remaining
                )
                raise PlanningError(
                    f"cannot reach {names} from subgraph {self.sg.graphs[graph].name}: "
                    "no subgraph that resolves it has a key this data can supply"
                )

            # A subgraph whose every key needs some of these very fields (not resolvable
            # here) cannot be the way to them: getting its key would need itself.
            wanted = {s.name for s in remaining if isinstance(s, Field)}
            usable = {
                option: chosen
                for option, chosen in options.items()
                if any(
                    not (
                        {
                            n
                            for n in top_level_fields(k.fields)
                            if not self.resolvable(graph, type_name, n, provided)
                        }
                        & wanted
                    )
                    for k in self.sg.resolvable_keys(option[1], option[0])
                )
            }
            options = usable or options

            def score(
                option: tuple[str, str], options: dict[Any, list[Any]] = options
            ) -> tuple[int, int, int]:
                target, as_type = option
                keys = self.sg.resolvable_keys(as_type, target)
                direct = any(self._key_available(graph, type_name, k, provided) for k in keys)
                return (len(options[option]), int(direct), -order.index(target))

            target, as_type = self.choose(sorted(options, key=score, reverse=True))
            chosen = options[(target, as_type)]
            # Fields that require the same field with different arguments cannot share
            # representations (each carries the field once, by name): one fetch each.
            for group in self._requirement_groups(as_type, target, chosen):
                created.append(
                    self._jump(
                        graph, type_name, target, as_type, group, path, fetch, local, provided
                    )
                )
            remaining = [s for s in remaining if s not in chosen]
        return created

    def _requirement_groups(
        self, as_type: str, target: str, chosen: list[Field | Fragment]
    ) -> list[list[Field | Fragment]]:
        groups: list[tuple[dict[str, str], list[Field | Fragment]]] = []
        for sel in chosen:
            needs: dict[str, str] = {}
            if isinstance(sel, Field):
                entry = self._field_entry(as_type, sel.name, target)
                if entry is not None and entry.requires:
                    for item in _requirement_selections(entry.requires):
                        if isinstance(item, Field):
                            needs[item.name] = item.args_text
            for group_needs, members in groups:
                if all(group_needs.get(n, a) == a for n, a in needs.items()):
                    group_needs.update(needs)
                    members.append(sel)
                    break
            else:
                groups.append((needs, [sel]))
        return [members for _, members in groups]

    def _jump(
        self,
        graph: str,
        type_name: str,
        target: str,
        as_type: str,
        chosen: list[Field | Fragment],
        path: tuple[str, ...],
        fetch: Fetch,
        local: list[Field | Fragment],
        provided: ast.SelectionSetNode | None,
    ) -> Fetch:
        """One entity fetch to ``target`` for ``chosen``, with the fetches that bring its
        representations' fields, as a dependent of ``fetch``."""
        keys = self.sg.resolvable_keys(as_type, target)
        available = [k for k in keys if self._key_available(graph, type_name, k, provided)]
        key = self.choose(available) if available else keys[0]
        requires: list[Field | Fragment] = [Field(name="__typename", internal=True)]
        _merge_into(requires, field_set_selections(parse_field_set(key.fields)))
        for sel in chosen:
            if not isinstance(sel, Field):
                continue
            entry = self._field_entry(as_type, sel.name, target)
            if entry is not None and entry.requires:
                _merge_into(requires, _requirement_selections(entry.requires))
        depends = [fetch]
        # Fields that all carry the same @skip/@include make the whole fetch (and the
        # fetches that bring its requirements) conditional: when the variables exclude
        # them, nothing is asked of the subgraphs at all.
        condition = _common_condition(chosen)
        # Bring the representation's fields: from this subgraph where it can resolve
        # them, else through further entity fetches that the new fetch waits for.
        missing = [
            (
                f.copy(
                    directives=condition,
                    directives_text=_directives_text(condition),
                    variables=f.variables | variables_in(condition),
                )
                if condition
                else f
            )
            for f in requires
            if isinstance(f, Field)
            and f.name != "__typename"
            and not self.resolvable(graph, type_name, f.name, provided)
        ]
        # Contextual arguments: their selections go to the nearest ancestors that set the
        # contexts; this fetch waits for those and passes the values as variables.
        contexts: list[ContextVariable] = []
        context_args: dict[str, list[tuple[str, str]]] = {}
        for sel in chosen:
            if not isinstance(sel, Field):
                continue
            entry = self._field_entry(as_type, sel.name, target)
            if entry is not None and entry.context_arguments:
                pairs, waits = self._bring_context(contexts, entry.context_arguments, path)
                context_args[sel.name] = pairs
                depends += [w for w in waits if w not in depends]
        missing_names = {f.name for f in missing if isinstance(f, Field)}
        present = [
            f
            for f in requires
            if not (isinstance(f, Field) and (f.name in missing_names or f.name == "__typename"))
        ]
        before = len(self.touched)
        planned_present = self._plan_concrete(
            graph, type_name, present, path, fetch, provided, narrowed=True
        )
        # A requirement this subgraph resolves may itself need fetches first (its own
        # @requires, or nested fields from elsewhere): the new fetch waits for them too,
        # whether they were made for it or it joined fetches planned before.
        depends += [f for f in self.touched[before:] if f not in depends]
        if condition and planned_present:
            planned_present = [
                Fragment(
                    type_condition=None,
                    directives=condition,
                    directives_text=_directives_text(condition),
                    variables=variables_in(condition),
                    selections=planned_present,
                )
            ]
        # __typename comes from this subgraph as it is (the interface's name, for an
        # @interfaceObject subgraph: which is what the representation must carry).
        _merge_into(local, [Field(name="__typename", internal=True), *planned_present])
        if missing:
            depends += self.plan_entity_jumps(
                graph, type_name, list[Field | Fragment](missing), path, fetch, local, provided
            )
        cache_key = (
            target,
            as_type,
            type_name,
            path,
            fetch.id,
            key.fields,
            _directives_text(condition),
            _requirement_fingerprint(requires),
            bool(context_args),
        )
        # Join an entity fetch already planned for this object and subgraph, unless it
        # would then wait for a fetch that waits for it (a chain A -> B -> A): then a
        # separate, later fetch to the same subgraph.
        same = self._entity_fetches.setdefault(cache_key, [])
        entity = next((e for e in same if not any(_waits_for(d, e) for d in depends)), None)
        if entity is None:
            entity = self.new_fetch(
                graph=target,
                kind="entity",
                operation="query",
                path=path,
                entity_type=as_type,
                rep_typename=as_type if as_type != type_name else None,
                match_types=frozenset({type_name}),
                depends=depends,
                conditions=condition,
            )
            same.append(entity)
        else:
            entity.depends += [d for d in depends if d not in entity.depends]
            self.touched.append(entity)
        if context_args:
            # Variables are named after the fetch that declares them; one joined again
            # (another field with the same context) reuses its variables.
            renames: dict[str, str] = {}
            for variable in contexts:
                draft = variable.name
                known = next((v for v in entity.contexts if v.key == variable.key), None)
                if known is None:
                    variable.name = f"{CONTEXT_VARIABLE_PREFIX}{entity.id}_{len(entity.contexts)}"
                    entity.contexts.append(variable)
                    known = variable
                renames[draft] = known.name
            for name, pairs in context_args.items():
                entity.context_args[name] = [(arg, renames[v]) for arg, v in pairs]
        _merge_into(entity.requires, requires)
        planned = self.plan_object(target, as_type, chosen, path, entity, None)
        _merge_into(entity.selections, planned)
        return entity

    def _field_entry(self, type_name: str, name: str, graph: str) -> Any:
        meta = self.sg.types.get(type_name)
        if meta is None or name not in meta.fields:
            return None
        return meta.fields[name].entry(graph)

    # --- documents -----------------------------------------------------------------------

    def finish(self, document: ast.DocumentNode, operation_name: str | None) -> None:
        op = _find_operation(document, operation_name)
        definitions = {d.variable.name.value: d for d in op.variable_definitions or ()}
        from graphql import print_ast

        for fetch in self.fetches:
            if any(_waits_for(d, fetch) for d in fetch.depends):
                # Never planned so on purpose; refused rather than run into a deadlock.
                raise PlanningError(f"fetch {fetch.describe()} would wait for itself")
        for fetch in self.fetches:
            parent = (
                fetch.entity_type if fetch.kind == "entity" else self.sg.root_types[fetch.operation]
            )
            fetch.renamed = self.separate_conflicts(fetch.selections, parent or "", fetch.graph)
            used = sorted(variables_used(fetch.selections))
            fetch.variable_names = tuple(used)
            var_defs = [print_ast(definitions[name]) for name in used if name in definitions]
            if fetch.kind == "root":
                head = fetch.operation
                if var_defs:
                    head += "(" + ", ".join(var_defs) + ")"
                fetch.document = f"{head} {print_selections(fetch.selections)}"
            else:
                client_defs = tuple(var_defs)
                if fetch.contexts:
                    reserved = [n for n in definitions if n.startswith(CONTEXT_VARIABLE_PREFIX)]
                    if reserved:
                        raise PlanningError(
                            f"the variable name ${reserved[0]} is reserved by the gateway"
                            f" (${CONTEXT_VARIABLE_PREFIX}...)"
                        )
                for variable in fetch.contexts:
                    var_defs.append(f"${variable.name}: {variable.type}")
                head = "query(" + ", ".join(["$representations: [_Any!]!", *var_defs]) + ")"
                body = print_selections(
                    [Fragment(type_condition=fetch.entity_type, selections=fetch.selections)]
                )
                fetch.document = f"{head} {{ _entities(representations: $representations) {body} }}"
                if fetch.contexts:
                    fetch.entities_body = body
                    fetch.client_variable_definitions = client_defs
        self._batch_entity_fetches(definitions)

    def _graph_field_type(self, type_name: str, name: str, graph: str) -> str:
        meta = self.sg.types.get(type_name)
        entry = meta.fields[name].entry(graph) if meta and name in meta.fields else None
        if entry is not None and entry.type:
            return entry.type
        gtype = self.schema.type_map.get(type_name)
        fdef = getattr(gtype, "fields", {}).get(name)
        return str(fdef.type) if fdef is not None else "?"

    def separate_conflicts(
        self, selections: list[Field | Fragment], parent: str, graph: str
    ) -> bool:
        """Fields of one response key under different type conditions may differ in type
        in the subgraph (``ID!`` on one implementation, ``ID`` on another), which GraphQL
        validation refuses in one selection set: give the odd ones an internal alias."""
        groups: dict[str, list[tuple[Field, str]]] = {}

        def gather(items: list[Field | Fragment], scope: str) -> None:
            for item in items:
                if isinstance(item, Field):
                    groups.setdefault(item.key, []).append((item, scope))
                else:
                    gather(item.selections, item.type_condition or scope)

        gather(selections, parent)
        renamed = False
        for key, items in groups.items():
            if len(items) < 2 or key == "__typename":
                continue

            def signature(entry: tuple[Field, str]) -> tuple[str, str, str]:
                f, scope = entry
                return (f.name, f.args_text, self._graph_field_type(scope, f.name, graph))

            first = signature(items[0])
            for index, item in enumerate(items[1:], start=1):
                if signature(item) != first and item[1] != items[0][1]:
                    field_ = item[0]
                    field_.original_key = key
                    field_.alias = f"_{key}_{index}"
                    renamed = True
        for item_list in groups.values():
            for field_, scope in item_list:
                if field_.selections:
                    child = self._named_type_name(scope, field_.name)
                    if child is not None and self.separate_conflicts(
                        field_.selections, child, graph
                    ):
                        renamed = True
        return renamed

    def _named_type_name(self, parent: str, name: str) -> str | None:
        gtype = self.schema.type_map.get(parent)
        fdef = getattr(gtype, "fields", {}).get(name)
        if fdef is None:
            return None
        named, _ = _unwrap(fdef.type)
        return str(named.name)

    def _batch_entity_fetches(self, definitions: dict[str, ast.VariableDefinitionNode]) -> None:
        """One request per subgraph per plan step: entity fetches for one subgraph that
        become ready together are sent as aliased ``_entities`` fields of one operation."""
        from graphql import print_ast

        groups: dict[tuple[Any, ...], list[Fetch]] = {}
        for fetch in self.fetches:
            if fetch.kind == "entity" and not fetch.contexts:
                # (A fetch with contextual arguments is sent on its own: its entities are
                # grouped by their context values at run time, see the executor.)
                ready_after = tuple(sorted(d.id for d in fetch.depends))
                groups.setdefault((fetch.graph, ready_after), []).append(fetch)
        for members in groups.values():
            if len(members) < 2:
                continue
            leader = members[0]
            leader.batch = members
            used: set[str] = set()
            fields = []
            for i, member in enumerate(members):
                member.batched_into = leader if member is not leader else None
                used |= set(member.variable_names)
                body = print_selections(
                    [Fragment(type_condition=member.entity_type, selections=member.selections)]
                )
                fields.append(f"_{i}: _entities(representations: $r{i}) {body}")
            leader.variable_names = tuple(sorted(used))
            defs = [f"$r{i}: [_Any!]!" for i in range(len(members))]
            defs += [print_ast(definitions[n]) for n in sorted(used) if n in definitions]
            leader.batch_document = f"query({', '.join(defs)}) {{ {' '.join(fields)} }}"


@dataclass
class _Frame:
    """An object being planned: where it is, in which fetch, and the selections so far."""

    graph: str
    type_name: str
    path: tuple[str, ...]
    fetch: Fetch
    local: list[Field | Fragment]
    provided: ast.SelectionSetNode | None


def _context_selection(selection: str) -> list[Field | Fragment]:
    """A ``contextArguments`` selection (``{ prop }`` or ``... on A { x } ... on B { y }``)
    as internal selections. Its fields get an internal alias, so they never clash with a
    client's field of the same response key (``prop: other``)."""
    text = selection.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    selections = field_set_selections(parse_field_set(text))

    def alias(items: list[Field | Fragment]) -> None:
        for item in items:
            if isinstance(item, Field) and item.name != "__typename":
                item.alias = f"_context_{item.name}"
            if item.selections:
                alias(item.selections)

    alias(selections)
    return selections


def _requirement_selections(field_set: str) -> list[Field | Fragment]:
    """A @requires field set as internal selections. A required field with arguments gets
    an internal alias of its own (``price(currency: "EUR")`` and ``price(currency: "USD")``
    can then be fetched side by side); the representation still carries it by its name."""
    selections = field_set_selections(parse_field_set(field_set))

    def alias(items: list[Field | Fragment]) -> None:
        for item in items:
            if isinstance(item, Field) and item.args_text:
                digest = hashlib.sha1(item.args_text.encode(), usedforsecurity=False)
                item.alias = f"_{item.name}_{digest.hexdigest()[:8]}"
            if item.selections:
                alias(item.selections)

    alias(selections)
    return selections


def _requirement_fingerprint(requires: list[Field | Fragment]) -> tuple[str, ...]:
    return tuple(sorted(f.key for f in requires if isinstance(f, Field) and f.alias))


def _waits_for(fetch: Fetch, other: Fetch) -> bool:
    """Whether ``fetch`` is ``other`` or waits for it, directly or not."""
    seen: set[int] = set()
    pending = [fetch]
    while pending:
        current = pending.pop()
        if current is other:
            return True
        if current.id in seen:
            continue
        seen.add(current.id)
        pending.extend(current.depends)
    return False


def _root_field_of(sel: Field | Fragment) -> Field:
    """The root field inside a root unit (see ``_PlanRun._root_units``)."""
    while isinstance(sel, Fragment):
        sel = sel.selections[0]
    return sel


def _with_root_children(
    sel: Field | Fragment, children: list[Field | Fragment]
) -> Field | Fragment:
    """A root unit with its root field's selections replaced by ``children``."""
    if isinstance(sel, Field):
        return sel.copy(selections=list(children))
    return Fragment(
        type_condition=sel.type_condition,
        directives=sel.directives,
        directives_text=sel.directives_text,
        variables=sel.variables,
        selections=[_with_root_children(sel.selections[0], children)],
    )


def _names(selections: list[Field | Fragment]) -> frozenset[str]:
    return frozenset(
        s.key if isinstance(s, Field) else f"... on {s.type_condition}" for s in selections
    )


def _common_condition(selections: list[Field | Fragment]) -> tuple[ast.DirectiveNode, ...]:
    """The @skip/@include directives every selection carries alike (empty if none)."""
    found: tuple[ast.DirectiveNode, ...] | None = None
    for sel in selections:
        mine = tuple(d for d in sel.directives if d.name.value in {"skip", "include"})
        if found is None:
            found = mine
        elif _directives_text(mine) != _directives_text(found):
            return ()
    return found or ()


def _directives_text(directives: tuple[ast.DirectiveNode, ...]) -> str:
    from graphql import print_ast

    return "".join(" " + print_ast(d) for d in directives)


def _find_operation(
    document: ast.DocumentNode, operation_name: str | None
) -> ast.OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, ast.OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) != 1:
            raise PlanningError("name the operation to run (operationName)")
        return operations[0]
    for op in operations:
        if op.name and op.name.value == operation_name:
            return op
    raise PlanningError(f"unknown operation {operation_name!r}")
