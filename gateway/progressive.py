"""Progressive ``@override(from:, label: "percent(n)")``: move a field from one subgraph to
another for n % of requests, as Apollo Router does.

Composition keeps both subgraphs' ``@join__field`` of such a field, each with the
``overrideLabel``. For each request the gateway rolls each ``percent(n)`` label (enabled
with probability n / 100); labels an integrator enables itself (any other label) come from
``RequestContext.extra["override_labels"]``. The set of enabled labels picks a *variant*
of the supergraph where every labelled field has one owner: the overriding subgraph when
its label is enabled, the original one otherwise. Each variant is a gateway of its own
(made on first use; its own plan cache), so planning stays off the hot path: a request
costs a random number per label and a dictionary lookup.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from graphql import print_ast, value_from_ast_untyped
from graphql.language import ast

from gateway.authorization import copy_node
from gateway.executor import RequestContext
from gateway.supergraph import Supergraph

_PERCENT = re.compile(r"^percent\((\d+(?:\.\d+)?)\)$")
OVERRIDE_LABELS = "override_labels"


def _label(directive: ast.ConstDirectiveNode) -> tuple[str | None, bool]:
    """(the overrideLabel of a @join__field, whether it is the overriding side)."""
    label, overriding = None, False
    for argument in directive.arguments or ():
        if argument.name.value == "overrideLabel":
            value = value_from_ast_untyped(argument.value)
            label = value if isinstance(value, str) else None
        elif argument.name.value == "override":
            overriding = True
    return label, overriding


class ProgressiveOverride:
    def __init__(self, supergraph: Supergraph, chance: Callable[[], float] = random.random):
        self.supergraph = supergraph
        self.chance = chance
        self.join_field = f"{supergraph.join}__field"
        self.labels: set[str] = set()
        for definition in supergraph.document.definitions:
            for fdef in getattr(definition, "fields", None) or ():
                for directive in fdef.directives or ():
                    if directive.name.value == self.join_field:
                        label, _ = _label(directive)
                        if label is not None:
                            self.labels.add(label)
        self.percent = {
            label: float(m.group(1)) for label in self.labels if (m := _PERCENT.match(label))
        }
        self.variants: dict[frozenset[str], Any] = {}

    @property
    def active(self) -> bool:
        return bool(self.labels)

    def enabled(self, context: RequestContext) -> frozenset[str]:
        """The labels enabled for this request."""
        chosen = {label for label, n in self.percent.items() if self.chance() * 100 < n}
        chosen |= set(context.extra.get(OVERRIDE_LABELS) or ()) & self.labels
        return frozenset(chosen)

    def variant_sdl(self, enabled: frozenset[str]) -> str:
        """The supergraph with each labelled field owned by one side."""

        def keep(directive: ast.ConstDirectiveNode) -> ast.ConstDirectiveNode | None:
            if directive.name.value != self.join_field:
                return directive
            label, overriding = _label(directive)
            if label is None:
                return directive
            if overriding != (label in enabled):
                return None
            arguments = tuple(
                a
                for a in directive.arguments or ()
                if a.name.value not in {"overrideLabel", "override"}
            )
            return ast.ConstDirectiveNode(name=directive.name, arguments=arguments)

        definitions = []
        for definition in self.supergraph.document.definitions:
            fields = getattr(definition, "fields", None)
            if not fields or not isinstance(
                definition, ast.ObjectTypeDefinitionNode | ast.InterfaceTypeDefinitionNode
            ):
                definitions.append(definition)
                continue
            new_fields = []
            for fdef in fields:
                directives = tuple(d for d in map(keep, fdef.directives or ()) if d is not None)
                new_fields.append(copy_node(fdef, directives=directives))
            definitions.append(copy_node(definition, fields=tuple(new_fields)))
        return print_ast(ast.DocumentNode(definitions=tuple(definitions)))

    def gateway_for(self, context: RequestContext, make: Callable[[str], Any]) -> Any:
        """The variant gateway for this request (``make(sdl)`` builds one on first use)."""
        enabled = self.enabled(context)
        variant = self.variants.get(enabled)
        if variant is None:
            variant = self.variants[enabled] = make(self.variant_sdl(enabled))
        return variant
