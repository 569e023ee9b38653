"""What an access token may do: its scopes, and the scopes a request holds at the gateway.

A token's scopes (``AccessToken.scopes``):

- ``read``: queries and subscriptions, over everything its owner may see;
- ``read:<subgraph>`` (``read:people``, ``read:calendar``, ``read:facilities``,
  ``read:notices``, ``read:mail``, ``read:presence``, …): queries and subscriptions that
  only that subgraph serves (the gateway refuses a plan reaching any other subgraph);
- ``write``: mutations.

A token made without scopes gets ``read`` and ``write`` (what every token could do before
scopes existed): a *full* token, which also works at the per-subgraph endpoints and for
file uploads. Any other token is *restricted*: it works at ``/graphql`` only, where the
edge enforces it.

For ``@requiresScopes`` in the supergraph, a request holds its token's scopes (a session:
``read`` and ``write``) plus ``role:<role>`` for each role of the person
(``role:tenant_admin``, ``role:facility_admin``, ``role:council_liaison``, ``role:staff``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from subgraphs.core.principal import Principal

READ = "read"
WRITE = "write"
FULL = frozenset({READ, WRITE})
_SUBGRAPH_READ = re.compile(r"^read:([a-z][a-z_]{0,39})$")
MAX_SCOPES = 20


def invalid_scope(scopes: Iterable[str]) -> str | None:
    """The first scope that is not one of the vocabulary above, or None."""
    for scope in scopes:
        if scope not in FULL and not _SUBGRAPH_READ.match(scope):
            return scope
    return None


def normalised(scopes: Iterable[str]) -> list[str]:
    return sorted({s.strip() for s in scopes if s.strip()})


def is_restricted(scopes: Iterable[str] | None) -> bool:
    return scopes is not None and not set(scopes) >= FULL


def readable_subgraphs(scopes: Iterable[str]) -> frozenset[str] | None:
    """Subgraphs a token may read from: None for any (``read``), else the named ones."""
    scopes = set(scopes)
    if READ in scopes:
        return None
    return frozenset(m.group(1) for s in scopes if (m := _SUBGRAPH_READ.match(s)))


def request_scopes(principal: Principal) -> frozenset[str]:
    """The scopes a request holds for ``@requiresScopes``."""
    if not principal.is_authenticated:
        return frozenset()
    own = principal.scopes if principal.scopes is not None else FULL
    return frozenset(own) | {f"role:{role}" for role in principal.roles}
