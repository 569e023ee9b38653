"""The audited way to fetch a presence row for a principal.

Returns None when the person has no row in the principal's tenant, when the ID is not a
UUID and for the anonymous principal, so callers cannot probe other tenants' rows.
"""

from __future__ import annotations

import uuid

from subgraphs.core.principal import Principal
from subgraphs.presence.models import PresenceStatus


def as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def access_presence_by_person_id(
    principal: Principal, person_id: object, *, for_update: bool = False
) -> PresenceStatus | None:
    """The presence row of ``person_id`` in the principal's tenant.

    ``for_update`` locks the row until the surrounding transaction ends (inside atomic only).
    """
    pk = as_uuid(person_id)
    if pk is None:
        return None
    rows = PresenceStatus.objects.for_principal(principal).filter(person_id=pk)
    if for_update:
        rows = rows.select_for_update()
    return rows.first()
