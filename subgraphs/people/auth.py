"""Sign-in: the tenant-aware password backend, login throttling, and turning a request's
session cookie or bearer token into a Principal (the edge's job in DESIGN rule 4)."""

from __future__ import annotations

import hashlib
import time
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.auth.backends import BaseBackend
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.utils import timezone

from subgraphs.core.principal import ANONYMOUS, AuthenticationFailed, Principal
from subgraphs.people.actions import find_tenant, hash_token, roles_of
from subgraphs.people.models import AccessToken, Person, Tenant, TrustedDocument
from subgraphs.people.scopes import is_restricted

# Hashing a password for unknown accounts too keeps their response time the same as for
# real ones, so timing does not reveal which login IDs exist.
_DUMMY_PERSON = Person()


class TenantLoginBackend(BaseBackend):
    """Authenticates (tenant, login ID, password); login IDs are unique only per tenant."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        tenant: Tenant | None = None,
        login_id: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Person | None:
        if not login_id or password is None:
            return None
        person = find_account(tenant, login_id) if tenant is not None else None
        if person is None:
            # An unknown municipality costs one hash as well: otherwise the quick answer
            # would tell a prober which codes and slugs exist.
            _DUMMY_PERSON.set_password(password)
            return None
        if person.check_password(password) and person.is_active:
            return person
        return None

    def get_user(self, user_id: Any) -> Person | None:
        return Person.objects.filter(pk=user_id, is_active=True).first()


def _typed(value: str) -> str:
    # Japanese input methods easily produce full-width digits and letters (４０２１２５,
    # ｏｋａｗａ): NFKC folds them to what was meant.
    return unicodedata.normalize("NFKC", value or "").strip()


def resolve_tenant(typed: str) -> Tenant | None:
    """The municipality a sign-in names: its code or slug, as typed or width-folded."""
    value = _typed(typed)
    tenant = find_tenant(value)
    if tenant is None and value != value.lower():
        tenant = find_tenant(value.lower())
    return tenant


def find_account(tenant: Tenant, login_id: str) -> Person | None:
    """The account of ``tenant`` a typed login ID names: exactly as typed, else width-folded."""
    exact = login_id.strip()
    person = Person.objects.filter(tenant=tenant, login_id=exact).first()
    folded = _typed(login_id)
    if person is None and folded != exact:
        person = Person.objects.filter(tenant=tenant, login_id=folded).first()
    return person


# --- throttling -------------------------------------------------------------------------


def _now() -> float:
    return time.time()


@dataclass(frozen=True)
class ThrottleRule:
    free_failures: int
    lock_failures: int


def _wait_seconds(state: dict[str, float] | None, rule: ThrottleRule, now: float) -> float:
    if not state:
        return 0.0
    count, last = int(state["count"]), float(state["last"])
    if count >= rule.lock_failures:
        delay = float(settings.LOGIN_LOCK_SECONDS)
    elif count >= rule.free_failures:
        # 1 s after the first failure over the allowance, then 2, 4, 8 ... seconds.
        delay = float(2 ** (count - rule.free_failures))
    else:
        return 0.0
    return max(0.0, last + delay - now)


def throttle_keys(
    tenant: Tenant | None, typed_tenant: str, login_id: str, address: str
) -> list[tuple[str, ThrottleRule]]:
    """The counters one sign-in attempt is checked against: its account, then its address.

    The account is keyed on what was resolved, not on what was typed: 402125, okawa and
    ４０２１２５ are one municipality, and 0003, ０００３ and " 0003 " one login ID (case is
    folded too, so the key never splits what the lookup would join). A municipality that
    does not exist is keyed on its folded spelling, so probing unknown codes is throttled
    like guessing passwords, with the same answers: nothing tells the prober it is unknown.
    """
    free, lock = settings.LOGIN_FREE_FAILURES, settings.LOGIN_LOCK_FAILURES
    tenant_key = f"t:{tenant.id.hex}" if tenant is not None else f"?:{_typed(typed_tenant).lower()}"
    account = _typed(login_id).casefold()
    # Hashed: typed text of any length or character makes a short, safe cache key.
    digest = hashlib.sha256(f"{tenant_key}\0{account}".encode()).hexdigest()[:40]
    return [
        (f"login-fail:account:{digest}", ThrottleRule(free, lock)),
        # Whole town halls reach Yui through one proxy address on LGWAN, so an address
        # gets ten times the allowance of one account before it is slowed down.
        (f"login-fail:address:{address}", ThrottleRule(free * 10, lock * 10)),
    ]


def account_throttle_keys(person: Person) -> list[tuple[str, ThrottleRule]]:
    """The sign-in counter of ``person``'s account alone (no address): checking the current
    password in ``changePassword`` guesses the same secret as signing in, so both count
    against, and are stopped by, the same counter."""
    return throttle_keys(person.tenant, person.tenant.code, person.login_id, "")[:1]


def login_wait_seconds(keys: list[tuple[str, ThrottleRule]]) -> float:
    """How long the caller must wait before this login may be tried (0: go ahead)."""
    now = _now()
    states = cache.get_many([key for key, _ in keys])
    return max(_wait_seconds(states.get(key), rule, now) for key, rule in keys)


def record_login_failure(keys: list[tuple[str, ThrottleRule]]) -> None:
    # Read-modify-write is not atomic across processes; under a parallel attack a few
    # extra guesses slip through, which the exponential delay makes irrelevant.
    now = _now()
    states = cache.get_many([key for key, _ in keys])
    cache.set_many(
        {
            key: {"count": int((states.get(key) or {}).get("count", 0)) + 1, "last": now}
            for key, _ in keys
        },
        timeout=max(settings.LOGIN_FAILURE_WINDOW_SECONDS, settings.LOGIN_LOCK_SECONDS),
    )


def reset_login_failures(keys: list[tuple[str, ThrottleRule]]) -> None:
    # Only the account's counter: one person signing in does not clear a whole address.
    cache.delete(keys[0][0])


def client_address(request: HttpRequest) -> str:
    # Behind a reverse proxy the operator must make the proxy set REMOTE_ADDR correctly
    # (e.g. uvicorn --proxy-headers with --forwarded-allow-ips); we never trust
    # X-Forwarded-For ourselves, since a client could forge it to dodge throttling.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


# --- request -> principal ---------------------------------------------------------------


def principal_for(person: Person, via: str) -> Principal:
    return Principal(
        tenant_id=person.tenant_id,
        person_id=person.id,
        roles=roles_of(person),
        via=via,
        must_change_password=person.must_change_password,
    )


def _bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("Use 'Authorization: Bearer <token>'.")
    return token.strip()


def _token_record(token: str) -> AccessToken:
    record = (
        AccessToken.objects.select_related("person")
        .annotate(has_documents=Exists(TrustedDocument.objects.filter(token_id=OuterRef("id"))))
        .filter(token_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if record is None or (record.expires_at and record.expires_at <= now):
        raise AuthenticationFailed("The access token is not valid (revoked, expired or unknown).")
    if not record.person.is_active:
        raise AuthenticationFailed("The access token's owner is deactivated.")
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        AccessToken.objects.filter(id=record.id).update(last_used_at=now)
    return record


def _token_principal(record: AccessToken) -> Principal:
    return replace(
        principal_for(record.person, via="token"),
        scopes=frozenset(record.scopes or ()),
        token_id=record.id,
    )


def authenticate_token(token: str) -> Principal:
    return _token_principal(_token_record(token))


@dataclass(frozen=True)
class TokenPolicy:
    """What the gateway's edge enforces for a token besides its scopes."""

    rate_limit_per_minute: int | None
    documents: dict[str, str] | None  # sha256 -> text; None: any operation


def _token_policy(record: AccessToken) -> TokenPolicy:
    """The rate limit and trusted documents of a token, from the record authentication read
    (its documents are asked for only when it has any: most tokens have none)."""
    documents: dict[str, str] = {}
    if record.has_documents:  # type: ignore[attr-defined]
        documents = dict(
            TrustedDocument.objects.filter(token_id=record.id).values_list("sha256", "document")
        )
    return TokenPolicy(record.rate_limit_per_minute, documents or None)


def authenticate_gateway_request(request: HttpRequest) -> tuple[Principal, TokenPolicy | None]:
    """The principal behind a request to the gateway, restricted tokens included, and for a
    token its policy (the edge enforces its scopes, trusted documents and rate limit)."""
    token = _bearer_token(request)
    if token is not None:
        record = _token_record(token)
        return _token_principal(record), _token_policy(record)
    return _session_principal(request), None


def authenticate_request(request: HttpRequest) -> Principal:
    """The principal behind a request: bearer token first, then the session cookie.

    Everywhere but the gateway (per-subgraph endpoints, file uploads and downloads) only a
    full token without limits works: nothing there would enforce a limited token's."""
    token = _bearer_token(request)
    if token is not None:
        record = _token_record(token)
        if (
            is_restricted(record.scopes)
            or record.rate_limit_per_minute is not None
            or record.has_documents  # type: ignore[attr-defined]
        ):
            raise AuthenticationFailed(
                "This access token is limited (scopes, trusted documents or a rate limit):"
                " use it at /graphql."
            )
        return _token_principal(record)
    return _session_principal(request)


def _session_principal(request: HttpRequest) -> Principal:
    if hasattr(request, "session") and request.session.get(SESSION_KEY):
        person = get_user(request)  # also checks the session against the password hash
        if isinstance(person, Person) and person.is_active:
            return principal_for(person, via="session")
    return ANONYMOUS
