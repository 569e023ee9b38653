"""The audited ways to fetch mail for a principal (DESIGN rule 3).

Whose mailboxes: one's own personal mailbox, and the shared mailboxes assigned to one
directly or to one of one's departments (main post or 兼務). Assignments are read at every
access, so removing one removes access at once. Administrators see no more mail than
anyone: they manage shared mailboxes and assignments, not their contents. Everything is
scoped to the principal's tenant first, so an ID of another municipality finds nothing,
exactly like an ID of nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from subgraphs.core.principal import Principal
from subgraphs.mail.models import (
    Conversation,
    ConversationMember,
    Mailbox,
    MailboxAssignment,
    MailEntry,
    MailFolder,
)


def as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def visible_mailboxes(principal: Principal, departments: Iterable[uuid.UUID]) -> QuerySet[Mailbox]:
    """Every mailbox the principal may use, in their tenant."""
    mailboxes = Mailbox.objects.for_principal(principal)
    assigned = MailboxAssignment.objects.for_principal(principal).filter(
        Q(person_id=principal.person_id) | Q(department_id__in=list(departments))
    )
    return mailboxes.filter(
        Q(kind=Mailbox.Kind.PERSONAL, owner_id=principal.person_id)
        | Q(kind=Mailbox.Kind.SHARED, id__in=assigned.values("mailbox_id"))
    )


def access_mailbox_by_id(
    principal: Principal, departments: Iterable[uuid.UUID], mailbox_id: object
) -> Mailbox | None:
    pk = as_uuid(mailbox_id)
    if pk is None:
        return None
    return visible_mailboxes(principal, departments).filter(id=pk).first()


def visible_entries(principal: Principal, departments: Iterable[uuid.UUID]) -> QuerySet[MailEntry]:
    return MailEntry.objects.for_principal(principal).filter(
        mailbox__in=visible_mailboxes(principal, departments)
    )


def access_entry_by_id(
    principal: Principal,
    departments: Iterable[uuid.UUID],
    entry_id: object,
    *,
    for_update: bool = False,
) -> MailEntry | None:
    pk = as_uuid(entry_id)
    if pk is None:
        return None
    rows = visible_entries(principal, departments).filter(id=pk)
    if for_update:
        rows = rows.select_for_update(of=("self",))
    return rows.select_related("message", "folder", "mailbox").first()


def access_folder_by_id(
    principal: Principal, departments: Iterable[uuid.UUID], folder_id: object
) -> MailFolder | None:
    pk = as_uuid(folder_id)
    if pk is None:
        return None
    return (
        MailFolder.objects.for_principal(principal)
        .filter(id=pk, mailbox__in=visible_mailboxes(principal, departments))
        .first()
    )


# --- direct messages --------------------------------------------------------------------


def visible_conversations(principal: Principal) -> QuerySet[Conversation]:
    """Conversations the principal is a member of (nobody else's, administrators neither)."""
    mine = ConversationMember.objects.for_principal(principal).filter(person_id=principal.person_id)
    return Conversation.objects.for_principal(principal).filter(
        id__in=mine.values("conversation_id")
    )


def access_conversation_by_id(principal: Principal, conversation_id: object) -> Conversation | None:
    pk = as_uuid(conversation_id)
    if pk is None:
        return None
    return visible_conversations(principal).filter(id=pk).first()
