"""What a reorganisation (people's ``reorg``) changes here: a merged department's own
entries that start on or after the effective day move to its successor's week. Entries
before the day keep the department they had (last year's week is last year's), and so do
series already running (their past occurrences are the old department's)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import F

from subgraphs.calendar.models import Event


def follow_reorganisation(
    tenant_id: uuid.UUID, successors: dict[uuid.UUID, uuid.UUID], effective: datetime
) -> dict[str, int]:
    moved = 0
    for old, new in successors.items():
        moved += Event.objects.filter(
            tenant_id=tenant_id, owner_department_id=old, range_start__gte=effective
        ).update(owner_department_id=new, version=F("version") + 1)
    return {"department_events": moved}
