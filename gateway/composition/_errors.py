"""Composition errors and the small helpers that word their messages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CompositionError:
    """One rule broken by the subgraphs; ``code`` follows Apollo's error codes."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class CompositionFailed(Exception):
    """The subgraphs do not compose; ``errors`` lists every problem found."""

    def __init__(self, errors: Iterable[CompositionError]) -> None:
        self.errors: list[CompositionError] = list(errors)
        lines = "\n".join(f"- {error}" for error in self.errors)
        super().__init__(f"Composition failed with {len(self.errors)} error(s):\n{lines}")


def quoted(names: Iterable[str]) -> str:
    """``"a"``, ``"a" and "b"``, ``"a", "b" and "c"``."""
    items = [f'"{name}"' for name in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def subgraphs_phrase(names: Iterable[str]) -> str:
    """``subgraph "a"`` or ``subgraphs "a" and "b"``."""
    items = list(names)
    return ("subgraph " if len(items) == 1 else "subgraphs ") + quoted(items)


class ErrorCollector:
    """Gathers errors (once each) so that composition can report all of them."""

    def __init__(self) -> None:
        self.errors: list[CompositionError] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, code: str, message: str) -> None:
        if (code, message) in self._seen:
            return
        self._seen.add((code, message))
        self.errors.append(CompositionError(code, message))

    def in_subgraph(self, subgraph: str, code: str, message: str) -> None:
        self.add(code, f"[{subgraph}] {message}")

    def __bool__(self) -> bool:
        return bool(self.errors)
