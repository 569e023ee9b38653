"""What a reorganisation (people's ``reorg``) changes here: the facilities of a merged
department are owned by its successor, whose facility administrators (施設管理者) approve
their bookings from the day on; booking permissions naming it name the successor.

Bookings keep what they were: pending ones are decided by whoever owns the facility when
they are decided (``access.decision_scope``), so they follow without being rewritten.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import F

from subgraphs.facilities.models import Facility


def follow_reorganisation(
    tenant_id: uuid.UUID, successors: dict[uuid.UUID, uuid.UUID], effective: datetime
) -> dict[str, int]:
    owners = 0
    for old, new in successors.items():
        owners += Facility.objects.filter(tenant_id=tenant_id, owning_department_id=old).update(
            owning_department_id=new, version=F("version") + 1
        )
    by_text = {str(old): str(new) for old, new in successors.items()}
    allowed = 0
    for facility in Facility.objects.filter(tenant_id=tenant_id).exclude(allowed_department_ids=[]):
        ids = [str(i) for i in facility.allowed_department_ids]
        if not any(i in by_text for i in ids):
            continue
        facility.allowed_department_ids = list(dict.fromkeys(by_text.get(i, i) for i in ids))
        facility.version += 1
        facility.save(update_fields=["allowed_department_ids", "version"])
        allowed += 1
    return {"facility_owners": owners, "facility_permissions": allowed}
