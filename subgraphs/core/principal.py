"""The authenticated principal: who is asking, in which tenant, with which roles.

The gateway (or, until it lands, the embedded server's edge) builds a Principal from a
session cookie or a personal access token; subgraphs never read the tenant from client
input, only from here (DESIGN rule 2).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

ROLE_TENANT_ADMIN = "tenant_admin"
ROLE_STAFF = "staff"
# Decides 仮予約 at the facilities owned by their primary or additional (兼務) departments.
ROLE_FACILITY_ADMIN = "facility_admin"
# Sends surveys and circulations to the council's member municipalities (協議会担当).
ROLE_COUNCIL_LIAISON = "council_liaison"


@dataclass(frozen=True)
class Principal:
    """A signed-in staff member, or the anonymous principal (no tenant, sees nothing)."""

    tenant_id: uuid.UUID | None
    person_id: uuid.UUID | None
    roles: frozenset[str] = field(default_factory=frozenset)
    # How the principal was established: "session", "token", "signed" or "anonymous".
    via: str = "anonymous"
    # An administrator issued the password and the person has not chosen their own yet:
    # every subgraph answers only ``me`` and ``changePassword`` (PASSWORD_CHANGE_REQUIRED).
    must_change_password: bool = False
    # A personal access token's scopes and id (people.models.AccessToken), for the gateway's
    # edge; None for a session. Not carried in the signed header: the edge enforces them.
    scopes: frozenset[str] | None = None
    token_id: uuid.UUID | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.tenant_id is not None and self.person_id is not None

    @property
    def is_tenant_admin(self) -> bool:
        return self.is_authenticated and ROLE_TENANT_ADMIN in self.roles

    def to_claims(self) -> dict[str, object]:
        return {
            "tenant": str(self.tenant_id) if self.tenant_id else None,
            "person": str(self.person_id) if self.person_id else None,
            "roles": sorted(self.roles),
            "via": self.via,
            "pwchange": self.must_change_password,
        }

    @classmethod
    def from_claims(cls, claims: dict[str, object]) -> Principal:
        tenant, person = claims.get("tenant"), claims.get("person")
        roles = claims.get("roles") or []
        if not isinstance(roles, list):
            raise ValueError("roles must be a list")
        return cls(
            tenant_id=uuid.UUID(str(tenant)) if tenant else None,
            person_id=uuid.UUID(str(person)) if person else None,
            roles=frozenset(str(r) for r in roles),
            via=str(claims.get("via") or "signed"),
            must_change_password=claims.get("pwchange") is True,
        )


ANONYMOUS = Principal(tenant_id=None, person_id=None)


class AuthenticationFailed(Exception):
    """Credentials were presented but are not valid: a 401, never silently anonymous."""
