"""The subgraphs this deployment serves, by name (used by the CLI, URLs and tests)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

SUBGRAPHS: dict[str, str] = {
    "people": "subgraphs.people.graphql.schema:schema",
    "presence": "subgraphs.presence.graphql.schema:schema",
    "calendar": "subgraphs.calendar.graphql.schema:schema",
    "facilities": "subgraphs.facilities.graphql.schema:schema",
    "notices": "subgraphs.notices.graphql.schema:schema",
    "mail": "subgraphs.mail.graphql.schema:schema",
    "audit": "subgraphs.audit.graphql.schema:schema",
}


def subgraph_schema(name: str) -> Any:
    module, _, attribute = SUBGRAPHS[name].partition(":")
    return getattr(import_module(module), attribute)


def subgraph_sdl(name: str) -> str:
    """The SDL a federation gateway fetches with ``{ _service { sdl } }``."""
    result = subgraph_schema(name).execute_sync("{ _service { sdl } }")
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors}")
    return result.data["_service"]["sdl"].rstrip() + "\n"  # type: ignore[index]
