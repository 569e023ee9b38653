"""Who is asking and from which address, for the operation being run (no models here, so
the edge and the kernel's views can bind it without importing the audit app's tables)."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from subgraphs.core.principal import Principal


@dataclass(frozen=True)
class RequestOrigin:
    principal: Principal | None = None
    address: str = ""
    actor: str = ""


_NOBODY = RequestOrigin()
_origin: ContextVar[RequestOrigin | None] = ContextVar("yui_audit_origin", default=None)


def bind_request(principal: Principal | None, address: str, actor: str = "") -> None:
    """Set who is asking for the rest of this request's context (tasks and sync_to_async
    calls started from it inherit it)."""
    _origin.set(RequestOrigin(principal=principal, address=address or "", actor=actor))


def current_origin() -> RequestOrigin:
    return _origin.get() or _NOBODY
