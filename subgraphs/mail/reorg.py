"""What a reorganisation (people's ``reorg``) changes here: a shared mailbox assigned to a
merged department is assigned to its successor (once: a mailbox the successor already has
keeps that one assignment). Messages stay where they are."""

from __future__ import annotations

import uuid
from datetime import datetime

from subgraphs.mail.models import MailboxAssignment


def follow_reorganisation(
    tenant_id: uuid.UUID, successors: dict[uuid.UUID, uuid.UUID], effective: datetime
) -> dict[str, int]:
    moved = 0
    rows = MailboxAssignment.objects.filter(tenant_id=tenant_id, department_id__in=list(successors))
    for row in rows:
        new = successors[row.department_id]
        taken = MailboxAssignment.objects.filter(
            tenant_id=tenant_id, mailbox_id=row.mailbox_id, department_id=new
        ).exists()
        if taken:
            row.delete()
        else:
            row.department_id = new
            row.save(update_fields=["department_id"])
        moved += 1
    return {"mailbox_assignments": moved}
