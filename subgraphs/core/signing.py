"""The short-lived signed principal header between the gateway and subgraphs (rule 4).

Format: ``v1.<expiry unix seconds>.<base64url JSON claims>.<base64url HMAC-SHA256>``,
keyed with a key derived from SECRET_KEY, so only processes of the same deployment can
mint one. A subgraph reached over the network refuses requests without a valid header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from django.conf import settings

from subgraphs.core.principal import Principal

HEADER = "X-Yui-Principal"
DEFAULT_TTL_SECONDS = 60


class InvalidSignature(Exception):
    """The principal header is missing, malformed, forged or expired."""


def _key() -> bytes:
    return hashlib.sha256(b"yui.principal.v1:" + settings.SECRET_KEY.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_principal(principal: Principal, ttl: int = DEFAULT_TTL_SECONDS) -> str:
    expiry = int(time.time()) + ttl
    body = _b64(json.dumps(principal.to_claims(), separators=(",", ":")).encode())
    message = f"v1.{expiry}.{body}"
    mac = hmac.new(_key(), message.encode(), hashlib.sha256).digest()
    return f"{message}.{_b64(mac)}"


def verify_principal(header: str | None, now: float | None = None) -> Principal:
    if not header:
        raise InvalidSignature("missing principal header")
    try:
        version, expiry_text, body, mac_text = header.split(".")
        expiry = int(expiry_text)
    except ValueError as exc:
        raise InvalidSignature("malformed principal header") from exc
    if version != "v1":
        raise InvalidSignature("unknown principal header version")
    expected = hmac.new(_key(), f"v1.{expiry_text}.{body}".encode(), hashlib.sha256).digest()
    try:
        given = _unb64(mac_text)
    except ValueError as exc:
        raise InvalidSignature("malformed principal signature") from exc
    if not hmac.compare_digest(expected, given):
        raise InvalidSignature("bad principal signature")
    if (now if now is not None else time.time()) > expiry:
        raise InvalidSignature("expired principal header")
    try:
        return Principal.from_claims(json.loads(_unb64(body)))
    except (ValueError, TypeError) as exc:
        raise InvalidSignature("malformed principal claims") from exc
