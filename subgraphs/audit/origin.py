"""Who is asking and from which address, for the operation being run (no models here, so
the edge and the kernel's views can bind it without importing the audit app's tables)."""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass

from subgraphs.core.principal import Principal


@dataclass(frozen=True)
class RequestOrigin:
    principal: Principal | None = None
    address: str = ""
    actor: str = ""


_NOBODY = RequestOrigin()
_origin: ContextVar[RequestOrigin | None] = ContextVar("yui_audit_origin", default=None)


def bind_request(
    principal: Principal | None, address: str, actor: str = ""
) -> Token[RequestOrigin | None]:
    """Set who is asking for the rest of this request's context (tasks and sync_to_async
    calls started from it inherit it); ``unbind_request`` with the token undoes it."""
    return _origin.set(RequestOrigin(principal=principal, address=address or "", actor=actor))


def unbind_request(token: Token[RequestOrigin | None]) -> None:
    _origin.reset(token)


def current_origin() -> RequestOrigin:
    return _origin.get() or _NOBODY


# Distributed mode: a subgraph service sees the gateway's address, not the client's. The
# gateway sends the client's address in this header, signed like the principal header and
# as short-lived, so a subgraph believes it only from the gateway.
CLIENT_ADDRESS_HEADER = "X-Yui-Client-Address"
_SALT = "yui.audit.client-address"
_MAX_AGE_SECONDS = 60


def sign_client_address(address: str) -> str:
    from django.core.signing import TimestampSigner

    return TimestampSigner(salt=_SALT).sign(address)


def client_address_from(header: str | None) -> str | None:
    """The client address a gateway signed, or None (absent, forged or expired)."""
    if not header:
        return None
    from django.core.signing import BadSignature, TimestampSigner

    try:
        return TimestampSigner(salt=_SALT).unsign(header, max_age=_MAX_AGE_SECONDS)
    except BadSignature:
        return None
