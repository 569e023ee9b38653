"""Can every query of the supergraph be answered by the subgraphs? (a conservative check)

Starting at each root field, the check walks the supergraph keeping, per position, the set
of subgraphs (and the fields a @provides made available there) that could be answering it.
A field is reachable from an option when that subgraph resolves it, or when another
subgraph that resolves it can be entered through one of its resolvable keys (directly or
after other key jumps) with key fields the current subgraph can give. A position with no
option left is a SATISFIABILITY_ERROR. Options are only ever added, never pruned, so the
check errs on the side of accepting: it reports the clear cases (a field only in a subgraph
whose keys are all ``resolvable: false``, an @external key nobody can provide, ...).

The walk also keeps the contexts (@context) that the types above a position set: a field
whose contextual arguments (@fromContext) need a context no ancestor on the path sets is
not answerable there either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql.language import ast

from ._errors import ErrorCollector
from ._fieldset import parse_field_set
from ._merge import MergedType, Supergraph
from ._types import TypeRef

MAX_STATES = 20_000

Option = tuple[str, frozenset[tuple[str, str]]]  # (graph, provided (type, field) pairs)


@dataclass
class _JoinField:
    graph: str | None
    external: bool = False
    used_overridden: bool = False
    provides: str | None = None
    contexts: frozenset[str] = frozenset()  # contexts its contextual arguments read


@dataclass
class _TypeJoin:
    graphs: set[str] = field(default_factory=set)
    keys: dict[str, list[str]] = field(default_factory=dict)  # graph -> resolvable key field sets
    unresolvable: set[str] = field(default_factory=set)  # graphs with only unresolvable keys
    interface_object: set[str] = field(default_factory=set)
    implements: dict[str, set[str]] = field(default_factory=dict)  # interface -> graphs
    members: dict[str, set[str]] = field(default_factory=dict)  # member -> graphs
    fields: dict[str, list[_JoinField] | None] = field(default_factory=dict)


def _arguments(node: ast.ConstDirectiveNode) -> dict[str, object]:
    values: dict[str, object] = {}
    for argument in node.arguments or ():
        value = argument.value
        if isinstance(value, ast.StringValueNode | ast.EnumValueNode | ast.BooleanValueNode):
            values[argument.name.value] = value.value
    return values


def _contexts_read(node: ast.ConstDirectiveNode) -> frozenset[str]:
    """The contexts named in a ``@join__field(contextArguments:)``."""
    found: set[str] = set()
    for argument in node.arguments or ():
        if argument.name.value != "contextArguments" or not isinstance(
            argument.value, ast.ConstListValueNode
        ):
            continue
        for item in argument.value.values:
            if isinstance(item, ast.ConstObjectValueNode):
                for entry in item.fields:
                    if entry.name.value == "context" and isinstance(
                        entry.value, ast.StringValueNode
                    ):
                        found.add(entry.value.value)
    return frozenset(found)


def _hidden(directives: object) -> bool:
    return any(d.name.value == "inaccessible" for d in directives or ())  # type: ignore[attr-defined]


class Checker:
    def __init__(self, supergraph: Supergraph, errors: ErrorCollector) -> None:
        self.supergraph = supergraph
        self.errors = errors
        self.graph_names = {s.graph: s.name for s in supergraph.subgraphs}
        self.joins = {name: self._join(merged) for name, merged in supergraph.types.items()}
        self.seen: set[tuple[str, frozenset[Option], frozenset[str]]] = set()
        self.sets = self._contexts_set()
        self.reported: set[str] = set()

    @staticmethod
    def _join(merged: MergedType) -> _TypeJoin:
        join = _TypeJoin()
        any_resolvable: dict[str, bool] = {}
        for node in merged.directives:
            arguments = _arguments(node)
            graph = str(arguments.get("graph", ""))
            if node.name.value == "join__type":
                join.graphs.add(graph)
                if arguments.get("isInterfaceObject") is True:
                    join.interface_object.add(graph)
                if "key" in arguments:
                    if arguments.get("resolvable") is False:
                        any_resolvable.setdefault(graph, False)
                    else:
                        any_resolvable[graph] = True
                        join.keys.setdefault(graph, []).append(str(arguments["key"]))
            elif node.name.value == "join__implements":
                join.implements.setdefault(str(arguments["interface"]), set()).add(graph)
            elif node.name.value == "join__unionMember":
                join.members.setdefault(str(arguments["member"]), set()).add(graph)
        join.unresolvable = {g for g, ok in any_resolvable.items() if not ok}
        for name, field_node in merged.fields.items():
            nodes = [d for d in field_node.directives or () if d.name.value == "join__field"]
            if not nodes:
                join.fields[name] = None
                continue
            entries = [(_arguments(d), _contexts_read(d)) for d in nodes]
            join.fields[name] = [
                _JoinField(
                    graph=str(e["graph"]) if "graph" in e else None,
                    external=e.get("external") is True,
                    used_overridden=e.get("usedOverridden") is True,
                    provides=str(e["provides"]) if "provides" in e else None,
                    contexts=read,
                )
                for e, read in entries
            ]
        return join

    def _contexts_set(self) -> dict[str, frozenset[str]]:
        """Per object type, the contexts an object of it sets (its own @context and that of
        the interfaces it implements)."""
        own: dict[str, set[str]] = {}
        for name, merged in self.supergraph.types.items():
            for node in merged.directives:
                if node.name.value == "context":
                    value = _arguments(node).get("name")
                    if isinstance(value, str):
                        own.setdefault(name, set()).add(value)
        return {
            name: frozenset(
                own.get(name, set()).union(*(own.get(i, set()) for i in merged.interfaces))
            )
            for name, merged in self.supergraph.types.items()
        }

    # -- what a subgraph can do ----------------------------------------------------------

    def _entry(self, type_name: str, field_name: str, graph: str) -> _JoinField | None:
        join = self.joins[type_name]
        entries = join.fields.get(field_name)
        if entries is None:
            return _JoinField(graph) if graph in join.graphs else None
        return next((e for e in entries if e.graph == graph), None)

    def resolves(self, type_name: str, field_name: str, option: Option) -> bool:
        graph, provided = option
        entry = self._entry(type_name, field_name, graph)
        if (
            entry is not None
            and not entry.used_overridden
            and (not entry.external or (type_name, field_name) in provided)
        ):
            return True
        # An @interfaceObject subgraph resolves the interface's fields for its objects.
        for interface in self.supergraph.types[type_name].interfaces:
            join = self.joins.get(interface)
            if (
                join is not None
                and graph in join.interface_object
                and self.resolves(interface, field_name, (graph, frozenset()))
            ):
                return True
        return False

    def _key_graphs(self, type_name: str) -> dict[str, list[str]]:
        """Subgraphs that can be entered on this type, with the keys to enter by."""
        result = {g: list(keys) for g, keys in self.joins[type_name].keys.items()}
        for interface in self.supergraph.types[type_name].interfaces:
            join = self.joins.get(interface)
            if join is None:
                continue
            for graph in join.interface_object:
                result.setdefault(graph, []).extend(join.keys.get(graph, []))
        return result

    def reachable(
        self, type_name: str, graph: str, provided: frozenset[tuple[str, str]] = frozenset()
    ) -> set[str]:
        """Subgraphs reachable from ``graph`` at this type through key jumps. A key's fields
        may come from any subgraph reached so far (a key whose parts two other subgraphs
        give), and key fields that are @external in ``graph`` count where a @provides made
        them available (``provided``: on the path that led here only)."""
        key_graphs = self._key_graphs(type_name)
        reached = {graph}
        changed = True
        while changed:
            changed = False
            for target, keys in key_graphs.items():
                if target in reached:
                    continue
                if any(self._can_gather(type_name, key, reached, graph, provided) for key in keys):
                    reached.add(target)
                    changed = True
        return reached

    def _can_gather(
        self,
        type_name: str,
        key: str,
        reached: set[str],
        start: str,
        provided: frozenset[tuple[str, str]],
    ) -> bool:
        try:
            selection = parse_field_set(key)
        except ValueError:
            return False
        return all(
            any(
                self.resolves(
                    type_name, item.name.value, (g, provided if g == start else frozenset())
                )
                for g in reached
            )
            for item in selection.selections
            if isinstance(item, ast.FieldNode)
        )

    def _provided(self, type_name: str, field_name: str, graph: str) -> frozenset[tuple[str, str]]:
        entry = self._entry(type_name, field_name, graph)
        if entry is None or entry.provides is None:
            return frozenset()
        node = self.supergraph.types[type_name].fields[field_name]
        pairs: set[tuple[str, str]] = set()

        def walk(parent: str, selections: ast.SelectionSetNode) -> None:
            merged = self.supergraph.types.get(parent)
            for item in selections.selections:
                if isinstance(item, ast.InlineFragmentNode):
                    condition = item.type_condition
                    walk(condition.name.value if condition else parent, item.selection_set)
                elif isinstance(item, ast.FieldNode):
                    pairs.add((parent, item.name.value))
                    child = merged.fields.get(item.name.value) if merged else None
                    if child is not None and item.selection_set is not None:
                        walk(TypeRef.from_ast(child.type).base, item.selection_set)

        try:
            walk(TypeRef.from_ast(node.type).base, parse_field_set(entry.provides))
        except ValueError:
            return frozenset()
        return frozenset(pairs)

    # -- the walk ------------------------------------------------------------------------

    def check(self) -> None:
        for root in self.supergraph.roots.values():
            merged = self.supergraph.types[root]
            for field_name, node in merged.fields.items():
                if _hidden(node.directives):
                    continue
                options = frozenset(
                    (graph, self._provided(root, field_name, graph))
                    for graph in sorted(self.joins[root].graphs | self._all_graphs())
                    if self.resolves(root, field_name, (graph, frozenset()))
                )
                base = TypeRef.from_ast(node.type).base
                if options:
                    self.explore(base, options, [field_name])

    def _all_graphs(self) -> set[str]:
        return set(self.graph_names)

    def explore(
        self,
        type_name: str,
        options: frozenset[Option],
        path: list[str],
        contexts: frozenset[str] = frozenset(),
    ) -> None:
        """``contexts``: those the objects above this position set."""
        merged = self.supergraph.types.get(type_name)
        if merged is None or merged.kind not in ("OBJECT", "INTERFACE", "UNION"):
            return
        if (type_name, options, contexts) in self.seen or len(self.seen) > MAX_STATES:
            return
        self.seen.add((type_name, options, contexts))
        if merged.kind in ("INTERFACE", "UNION"):
            join = self.joins[type_name]
            interface_objects = frozenset(o for o in options if o[0] in join.interface_object)
            if interface_objects:
                self._fields(type_name, merged, interface_objects, path, contexts)
            for candidate in self.supergraph.types.values():
                if candidate.kind != "OBJECT":
                    continue
                if merged.kind == "UNION":
                    graphs = join.members.get(candidate.name, set())
                else:
                    graphs = self.joins[candidate.name].implements.get(type_name, set())
                narrowed = frozenset(o for o in options if o[0] in graphs)
                if narrowed:
                    self.explore(
                        candidate.name, narrowed, [*path, f"... on {candidate.name}"], contexts
                    )
            return
        self._fields(type_name, merged, options, path, contexts)

    def _fields(
        self,
        type_name: str,
        merged: MergedType,
        options: frozenset[Option],
        path: list[str],
        contexts: frozenset[str],
    ) -> None:
        below = contexts | self.sets.get(type_name, frozenset())
        for field_name, node in merged.fields.items():
            if _hidden(node.directives):
                continue
            following: set[Option] = set()
            for option in options:
                if self.resolves(type_name, field_name, option):
                    graph, provided = option
                    entry = self._entry(type_name, field_name, graph)
                    if entry is not None and entry.external:
                        following.add((graph, provided))
                    else:
                        following.add((graph, self._provided(type_name, field_name, graph)))
                for graph in self.reachable(type_name, option[0], option[1]):
                    if self.resolves(type_name, field_name, (graph, frozenset())):
                        following.add((graph, self._provided(type_name, field_name, graph)))
            # A subgraph whose field reads a context that no object above sets cannot
            # answer it here.
            missing = {
                o[0]
                for o in following
                if not (self._context_reads(type_name, field_name, o[0]) <= contexts)
            }
            if following and {o[0] for o in following} <= missing:
                self._report(type_name, field_name, options, [*path, field_name], missing)
                continue
            following = {o for o in following if o[0] not in missing}
            if not following:
                self._report(type_name, field_name, options, [*path, field_name])
                continue
            base = TypeRef.from_ast(node.type).base
            self.explore(base, frozenset(following), [*path, field_name], below)

    def _context_reads(self, type_name: str, field_name: str, graph: str) -> frozenset[str]:
        entry = self._entry(type_name, field_name, graph)
        return entry.contexts if entry is not None else frozenset()

    def _report(
        self,
        type_name: str,
        field_name: str,
        options: frozenset[Option],
        path: list[str],
        without_context: set[str] | None = None,
    ) -> None:
        coordinate = f"{type_name}.{field_name}"
        if coordinate in self.reported:
            return
        self.reported.add(coordinate)
        query = "{\n"
        for depth, step in enumerate(path):
            query += "  " * (depth + 1) + step + (" {\n" if depth < len(path) - 1 else "\n")
        for depth in range(len(path) - 1, 0, -1):
            query += "  " * depth + "}\n"
        query += "}"
        reasons: list[str] = []
        join = self.joins[type_name]
        holders = sorted(
            g for g in self.graph_names if self.resolves(type_name, field_name, (g, frozenset()))
        )
        if without_context:
            # As Apollo words it: the subgraphs that have the field lack its context here.
            for graph in sorted({o[0] for o in options} | without_context):
                name = self.graph_names.get(graph, graph)
                if graph in without_context:
                    reasons.append(
                        f'- from subgraph "{name}": could not find a match for required'
                        f' context for field "{coordinate}".'
                    )
                else:
                    reasons.append(f'- from subgraph "{name}": cannot find field "{coordinate}".')
            holders = []
        for graph in sorted({o[0] for o in options}) if not without_context else ():
            name = self.graph_names.get(graph, graph)
            entry = self._entry(type_name, field_name, graph)
            lines = [f'- from subgraph "{name}":']
            if entry is not None and entry.external:
                lines.append(
                    f'  - field "{coordinate}" is not resolvable because marked @external.'
                )
            else:
                lines.append(f'  - cannot find field "{coordinate}".')
            for holder in holders:
                holder_name = self.graph_names.get(holder, holder)
                if holder in join.unresolvable:
                    lines.append(
                        f'  - cannot move to subgraph "{holder_name}", which has field'
                        f' "{coordinate}", because none of the @key defined on type'
                        f' "{type_name}" in subgraph "{holder_name}" are resolvable (they are'
                        ' all declared with their "resolvable" argument set to false).'
                    )
                elif holder not in self._key_graphs(type_name):
                    lines.append(
                        f'  - cannot move to subgraph "{holder_name}", which has field'
                        f' "{coordinate}", because type "{type_name}" has no @key defined in'
                        f' subgraph "{holder_name}".'
                    )
                else:
                    for key in self._key_graphs(type_name)[holder]:
                        lines.append(
                            f'  - cannot move to subgraph "{holder_name}" using @key(fields:'
                            f' "{key}") of "{type_name}", the key field(s) cannot be resolved'
                            f' from subgraph "{name}".'
                        )
            reasons.extend(lines)
        self.errors.add(
            "SATISFIABILITY_ERROR",
            f"The following supergraph API query:\n{query}\ncannot be satisfied by the"
            " subgraphs because:\n" + "\n".join(reasons),
        )


def check_satisfiability(supergraph: Supergraph, errors: ErrorCollector) -> None:
    Checker(supergraph, errors).check()
