"""The per-operation GraphQL context shared by every subgraph.

A context is built per HTTP request or per in-process call (and per event for
subscriptions), so the DataLoaders it holds never serve another operation's data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.types import Info

from subgraphs.core.principal import ANONYMOUS, Principal

T = TypeVar("T")


@dataclass
class YuiContext:
    principal: Principal = ANONYMOUS
    request: Any = None
    response: Any = None
    # scheme://host the client reached the gateway at, when the gateway runs in-process
    # (there is no Django request then); None when unknown.
    origin: str | None = None
    # The session store behind a cookie-authenticated principal when the gateway runs
    # in-process (no Django request then): changePassword keeps this session signed in.
    session: Any = None
    _loaders: dict[Any, Any] = field(default_factory=dict)

    def loader(self, factory: Callable[[YuiContext], T]) -> T:
        """The DataLoader made by ``factory`` for this operation (one per factory)."""
        if factory not in self._loaders:
            self._loaders[factory] = factory(self)
        return self._loaders[factory]  # type: ignore[no-any-return]

    def close(self) -> None:
        """The operation has answered: let go of its loaders and what they read (they are
        made again if anything still asks, which then reads afresh)."""
        self._loaders.clear()


def context_of(info: Info) -> YuiContext:
    context = info.context
    if not isinstance(context, YuiContext):
        raise TypeError("Yui subgraphs run only with a YuiContext")
    return context


def principal_of(info: Info) -> Principal:
    return context_of(info).principal
