"""What a reorganisation (people's ``reorg``) changes here, for each merged department and
its successor: who may post in a category, the council contact, and the audience of
circulation drafts (expanded when sent, so they reach the successor's staff).

Notices, surveys and circulations already sent keep their recipients (expanded when they
were sent): wherever those people move, the notices they were sent stay theirs, and nothing
sent in the past is rewritten.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from subgraphs.notices.models import Circulation, CouncilContact, NoticeCategory


def _mapped(ids: list[Any], by_text: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(by_text.get(str(i), str(i)) for i in ids))


def follow_reorganisation(
    tenant_id: uuid.UUID, successors: dict[uuid.UUID, uuid.UUID], effective: datetime
) -> dict[str, int]:
    by_text = {str(old): str(new) for old, new in successors.items()}
    categories = 0
    for category in NoticeCategory.objects.filter(tenant_id=tenant_id).exclude(
        poster_department_ids=[]
    ):
        if any(str(i) in by_text for i in category.poster_department_ids):
            category.poster_department_ids = _mapped(category.poster_department_ids, by_text)
            category.save(update_fields=["poster_department_ids"])
            categories += 1
    contacts = 0
    for old, new in successors.items():
        contacts += CouncilContact.objects.filter(tenant_id=tenant_id, department_id=old).update(
            department_id=new
        )
    drafts = 0
    for draft in Circulation.objects.filter(tenant_id=tenant_id, status=Circulation.Status.DRAFT):
        departments = (draft.audience or {}).get("departments") or []
        if not any(str(d.get("id")) in by_text for d in departments):
            continue
        seen: set[str] = set()
        mapped = []
        for d in departments:
            new_id = by_text.get(str(d.get("id")), str(d.get("id")))
            if new_id not in seen:
                seen.add(new_id)
                mapped.append({**d, "id": new_id})
        draft.audience = {**draft.audience, "departments": mapped}
        draft.save(update_fields=["audience"])
        drafts += 1
    return {
        "notice_categories": categories,
        "council_contacts": contacts,
        "circulation_drafts": drafts,
    }
