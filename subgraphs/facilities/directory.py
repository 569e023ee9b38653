"""What the facilities subgraph needs to know from the people subgraph: the departments of
the person booking, for facilities restricted to listed departments.

Asked through the people subgraph's own GraphQL schema with the caller's principal, never
from its tables (DESIGN rule 1). This is the one place to change when people moves to its
own service: ``subgraphs.core.peers`` sends the same query over HTTP with the signed
principal header when ``YUI_SUBGRAPH_URLS`` names people.
"""

from __future__ import annotations

import uuid

from subgraphs.core import peers
from subgraphs.core.principal import Principal

MY_DEPARTMENTS = "{ me { department { id } additionalDepartments { id } } }"


async def department_ids_of(principal: Principal) -> frozenset[uuid.UUID]:
    """The primary and additional (兼務) departments of the principal; empty if none."""
    if not principal.is_authenticated:
        return frozenset()
    me = (await peers.ask("people", principal, MY_DEPARTMENTS)).get("me") or {}
    ids = [me.get("department"), *(me.get("additionalDepartments") or [])]
    return frozenset(uuid.UUID(d["id"]) for d in ids if d)
