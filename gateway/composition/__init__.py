"""Apollo Federation 2 composition: subgraph SDLs in, a supergraph SDL out.

``compose`` reads each subgraph's SDL (as served by ``{ _service { sdl } }``; Federation 2
with ``@link`` to the federation spec, or Federation 1 without one), checks the federation
rules (keys, @requires / @provides, @external, @shareable, @override, @interfaceObject,
...), merges the subgraphs the way Apollo's composition does and prints the supergraph in
the standard ``join`` v0.5 format, which Apollo Router, Apollo Gateway, Hive Gateway and
our own engine load. When the subgraphs do not compose, ``CompositionFailed`` lists every
error found, each with Apollo's error code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ._errors import CompositionError, CompositionFailed, ErrorCollector, quoted
from ._merge import merge
from ._print import print_supergraph
from ._satisfiability import check_satisfiability
from ._subgraph import Subgraph, graph_enum_names, read_subgraph

__all__ = [
    "CompositionError",
    "CompositionFailed",
    "SubgraphSource",
    "compose",
    "fetch_sdl_http",
]

SERVICE_SDL_QUERY = "{ _service { sdl } }"


@dataclass(frozen=True)
class SubgraphSource:
    """One subgraph to compose."""

    name: str  # e.g. "people"; its join__Graph value is the sanitised upper case: PEOPLE
    url: str  # routing URL, written to @join__graph(url:)
    sdl: str  # what `{ _service { sdl } }` returns


def compose(subgraphs: Sequence[SubgraphSource]) -> str:
    """Compose subgraphs into a supergraph SDL; raises CompositionFailed with all errors."""
    errors = ErrorCollector()
    names = [s.name for s in subgraphs]
    if not subgraphs:
        errors.add("NO_QUERIES", "No subgraphs to compose.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        errors.add(
            "INVALID_SUBGRAPH_NAME",
            f"Subgraph names must be unique: {quoted(duplicates)} appear more than once.",
        )
    for name in names:
        if not name or name == "_":
            errors.add(
                "INVALID_SUBGRAPH_NAME",
                f'Invalid subgraph name "{name}": subgraph names cannot be empty or a single'
                ' underscore ("_").',
            )
    if errors:
        raise CompositionFailed(errors.errors)
    ordered = sorted(subgraphs, key=lambda s: s.name)
    graphs = graph_enum_names([s.name for s in ordered])
    read: list[Subgraph] = []
    for source in ordered:
        subgraph = read_subgraph(source.name, source.url, source.sdl, graphs[source.name], errors)
        if subgraph is not None:
            read.append(subgraph)
    if errors:
        raise CompositionFailed(errors.errors)
    supergraph = merge(read, errors)
    if errors:
        raise CompositionFailed(errors.errors)
    check_satisfiability(supergraph, errors)
    if errors:
        raise CompositionFailed(errors.errors)
    return print_supergraph(supergraph)


def fetch_sdl_http(url: str, headers: Mapping[str, str] | None = None, timeout: float = 10) -> str:
    """Ask a running subgraph for its SDL with ``{ _service { sdl } }`` over HTTP POST."""
    import httpx  # only needed here: composition itself works offline

    response = httpx.post(
        url,
        json={"query": SERVICE_SDL_QUERY},
        headers={"Accept": "application/json", **(headers or {})},
        timeout=timeout,
    )
    response.raise_for_status()
    try:
        payload = response.json()
    except json.JSONDecodeError as error:
        raise ValueError(f"{url} did not answer with JSON: {error}") from None
    if payload.get("errors"):
        messages = "; ".join(str(e.get("message", e)) for e in payload["errors"])
        raise ValueError(f"{url} answered `{SERVICE_SDL_QUERY}` with errors: {messages}")
    try:
        sdl = payload["data"]["_service"]["sdl"]
    except (KeyError, TypeError):
        raise ValueError(f"{url} did not return data._service.sdl") from None
    if not isinstance(sdl, str):
        raise ValueError(f"{url} returned a non-string data._service.sdl")
    return sdl
