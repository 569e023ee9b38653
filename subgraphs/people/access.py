"""The audited ways to fetch people-subgraph rows for a principal (one per aggregate).

Each returns None when the row does not exist *or* belongs to another tenant, so callers
cannot tell the two apart (no probing of other municipalities' IDs).
"""

from __future__ import annotations

import uuid

from subgraphs.core.principal import Principal
from subgraphs.people.models import AccessToken, Group, Link, Organization, Person, Tenant


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def access_tenant(principal: Principal) -> Tenant | None:
    if principal.tenant_id is None:
        return None
    return Tenant.objects.filter(id=principal.tenant_id).first()


def access_person_by_id(principal: Principal, person_id: object) -> Person | None:
    pk = _uuid(person_id)
    if pk is None:
        return None
    return Person.objects.for_principal(principal).filter(id=pk).first()


def access_organization_by_id(principal: Principal, org_id: object) -> Organization | None:
    pk = _uuid(org_id)
    if pk is None:
        return None
    return Organization.objects.for_principal(principal).filter(id=pk).first()


def access_group_by_id(principal: Principal, group_id: object) -> Group | None:
    pk = _uuid(group_id)
    if pk is None:
        return None
    return Group.objects.for_principal(principal).filter(id=pk).first()


def access_token_by_id(principal: Principal, token_id: object) -> AccessToken | None:
    """A token of the principal's own (administrators see others' tokens as well)."""
    pk = _uuid(token_id)
    if pk is None:
        return None
    tokens = AccessToken.objects.for_principal(principal).filter(id=pk)
    if not principal.is_tenant_admin:
        tokens = tokens.filter(person_id=principal.person_id)
    return tokens.first()


def access_link_by_id(principal: Principal, link_id: object) -> Link | None:
    pk = _uuid(link_id)
    if pk is None:
        return None
    return Link.objects.for_principal(principal).filter(id=pk).first()
