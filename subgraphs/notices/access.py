"""The audited ways to fetch notices for a principal (DESIGN rule 3).

Who sees a notice: its recipients once its posting period has started, its author, and the
municipality's administrators, always. Everything is scoped to the principal's tenant
first, so an ID of another municipality finds nothing, exactly like an ID of nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from subgraphs.core.principal import Principal
from subgraphs.notices.models import (
    Attachment,
    Circulation,
    CirculationRecipient,
    Notice,
    NoticeCategory,
    NoticeRecipient,
    Survey,
    SurveyRecipient,
)


def as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def visible_notices(principal: Principal, now: datetime | None = None) -> QuerySet[Notice]:
    """Every notice the principal may read, in their tenant."""
    notices = Notice.objects.for_principal(principal)
    if principal.is_tenant_admin:
        return notices
    received = NoticeRecipient.objects.for_principal(principal).filter(
        person_id=principal.person_id
    )
    return notices.filter(
        Q(author_id=principal.person_id)
        | Q(id__in=received.values("notice_id"), starts_at__lte=now or timezone.now())
    )


def access_notice_by_id(
    principal: Principal, notice_id: object, *, for_update: bool = False
) -> Notice | None:
    pk = as_uuid(notice_id)
    if pk is None:
        return None
    rows = visible_notices(principal).filter(id=pk).select_related("category")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    return rows.first()


def can_manage(principal: Principal, notice: Notice) -> bool:
    """The author and administrators see readers and non-readers and may remind."""
    return principal.is_tenant_admin or notice.author_id == principal.person_id


def access_category_by_id(principal: Principal, category_id: object) -> NoticeCategory | None:
    pk = as_uuid(category_id)
    if pk is None:
        return None
    return NoticeCategory.objects.for_principal(principal).filter(id=pk).first()


def may_post(
    principal: Principal, category: NoticeCategory, departments: frozenset[uuid.UUID]
) -> bool:
    """Whether the principal may post in ``category`` (administrators always may)."""
    if principal.is_tenant_admin:
        return True
    roles, allowed = category.poster_roles or [], category.poster_department_ids or []
    if not roles and not allowed:
        return True
    if set(roles) & principal.roles:
        return True
    return bool({as_uuid(d) for d in allowed} & departments)


# --- circulation ----------------------------------------------------------------------


def visible_circulations(principal: Principal) -> QuerySet[Circulation]:
    """Circulations the principal sent (drafts too) or received once sent.

    Administrators see no more than anyone: a circulation is addressed to its recipients,
    not posted for the municipality like a notice.
    """
    received = CirculationRecipient.objects.for_principal(principal).filter(
        person_id=principal.person_id
    )
    return Circulation.objects.for_principal(principal).filter(
        Q(sender_id=principal.person_id)
        | (Q(id__in=received.values("circulation_id")) & ~Q(status=Circulation.Status.DRAFT))
    )


def access_circulation_by_id(
    principal: Principal, circulation_id: object, *, for_update: bool = False
) -> Circulation | None:
    pk = as_uuid(circulation_id)
    if pk is None:
        return None
    rows = visible_circulations(principal).filter(id=pk)
    if for_update:
        rows = rows.select_for_update()
    return rows.first()


# --- surveys ----------------------------------------------------------------------------


def visible_surveys(principal: Principal, now: datetime | None = None) -> QuerySet[Survey]:
    """Surveys the principal owns, or was asked to answer once they opened.

    As for circulations, administrators see no more than anyone: answers (named ones
    especially) are for the survey's owner.
    """
    asked = SurveyRecipient.objects.for_principal(principal).filter(person_id=principal.person_id)
    return Survey.objects.for_principal(principal).filter(
        Q(owner_id=principal.person_id)
        | Q(id__in=asked.values("survey_id"), opens_at__lte=now or timezone.now())
    )


def access_survey_by_id(
    principal: Principal, survey_id: object, *, for_update: bool = False
) -> Survey | None:
    pk = as_uuid(survey_id)
    if pk is None:
        return None
    rows = visible_surveys(principal).filter(id=pk)
    if for_update:
        rows = rows.select_for_update()
    return rows.first()


# --- attachments ------------------------------------------------------------------------


def access_attachment_by_id(principal: Principal, attachment_id: object) -> Attachment | None:
    """An attachment the principal may download: one of an item they may see (a notice
    once its posting period started, for its recipients; a circulation they sent or
    received), or an upload of their own not attached yet. Checked on every download."""
    pk = as_uuid(attachment_id)
    if pk is None or not principal.is_authenticated:
        return None
    attachment = Attachment.objects.for_principal(principal).filter(id=pk).first()
    if attachment is None:
        return None
    if attachment.notice_id is not None:
        visible = visible_notices(principal).filter(id=attachment.notice_id).exists()
    elif attachment.circulation_id is not None:
        visible = visible_circulations(principal).filter(id=attachment.circulation_id).exists()
    else:
        visible = attachment.uploaded_by == principal.person_id
    return attachment if visible else None
