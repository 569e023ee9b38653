"""Per-operation DataLoaders of the mail subgraph; each applies the tenant scope and, where
it reads mail, the viewer's mailboxes (access.py), so every path shows the same.

Build them through ``context.loader(...)``. The viewer's departments (for mailboxes
assigned to a department) are asked of people once per operation (``ViewerDepartments``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.db.models import Count, F, Q
from strawberry.dataloader import DataLoader

from subgraphs.core.graphql.context import YuiContext
from subgraphs.mail import directory
from subgraphs.mail.access import visible_conversations, visible_entries, visible_mailboxes
from subgraphs.mail.models import (
    ConversationMember,
    MailAttachment,
    Mailbox,
    MailboxAssignment,
    MailEntry,
    MailFolder,
    MailSettings,
    OutboxItem,
)

# Unread counts count what waits to be read: not what one sent, drafted or threw away.
UNCOUNTED_ROLES = [MailFolder.Role.SENT, MailFolder.Role.DRAFTS, MailFolder.Role.TRASH]


class ViewerDepartments:
    """The viewer's departments (main and 兼務), asked of people at most once per operation."""

    def __init__(self, context: YuiContext) -> None:
        self._principal = context.principal
        self._found: asyncio.Future[frozenset[uuid.UUID]] | None = None

    async def get(self) -> frozenset[uuid.UUID]:
        if self._found is None:
            self._found = asyncio.ensure_future(directory.department_ids_of(self._principal))
        return await self._found


async def departments_of(context: YuiContext) -> frozenset[uuid.UUID]:
    return await context.loader(ViewerDepartments).get()


class MailboxByIdLoader(DataLoader[uuid.UUID, Mailbox | None]):
    """Mailboxes the viewer may use, by ID (None for anything else)."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID], departments: frozenset[uuid.UUID]) -> list:
            rows = visible_mailboxes(principal, departments).filter(id__in=set(keys))
            found = {m.id: m for m in rows}
            return [found.get(k) for k in keys]

        async def load(keys: Sequence[uuid.UUID]) -> list[Mailbox | None]:
            return await sync_to_async(batch)(keys, await departments_of(context))

        super().__init__(load_fn=load)


class EntryByIdLoader(DataLoader[uuid.UUID, MailEntry | None]):
    """Messages (entries) in the viewer's mailboxes, by ID."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID], departments: frozenset[uuid.UUID]) -> list:
            rows = (
                visible_entries(principal, departments)
                .filter(id__in=set(keys))
                .select_related("message", "folder")
            )
            found = {e.id: e for e in rows}
            return [found.get(k) for k in keys]

        async def load(keys: Sequence[uuid.UUID]) -> list[MailEntry | None]:
            return await sync_to_async(batch)(keys, await departments_of(context))

        super().__init__(load_fn=load)


class DomainLoader(DataLoader[uuid.UUID, str]):
    """The municipality's mail domain (tenant → domain)."""

    def __init__(self, context: YuiContext) -> None:
        def batch(keys: Sequence[uuid.UUID]) -> list[str]:
            found = dict(
                MailSettings.objects.filter(tenant_id__in=set(keys)).values_list(
                    "tenant_id", "domain"
                )
            )
            return [found.get(k, "") for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class FoldersByMailboxLoader(DataLoader[uuid.UUID, list[MailFolder]]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal
        order = {role: i for i, role in enumerate(MailFolder.Role)}

        def batch(keys: Sequence[uuid.UUID]) -> list[list[MailFolder]]:
            grouped: dict[uuid.UUID, list[MailFolder]] = defaultdict(list)
            for folder in MailFolder.objects.for_principal(principal).filter(
                mailbox_id__in=set(keys)
            ):
                grouped[folder.mailbox_id].append(folder)
            for folders in grouped.values():
                folders.sort(key=lambda f: (order[MailFolder.Role(f.role)], f.name))
            return [grouped.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


@dataclass(frozen=True)
class Counts:
    total: int = 0
    unread: int = 0


class CountsByFolderLoader(DataLoader[uuid.UUID, Counts]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[Counts]:
            rows = (
                MailEntry.objects.for_principal(principal)
                .filter(folder_id__in=set(keys))
                .values("folder_id")
                .annotate(total=Count("id"), unread=Count("id", filter=Q(is_read=False)))
            )
            found = {r["folder_id"]: Counts(r["total"], r["unread"]) for r in rows}
            return [found.get(k, Counts()) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class UnreadByMailboxLoader(DataLoader[uuid.UUID, int]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[int]:
            rows = (
                MailEntry.objects.for_principal(principal)
                .filter(mailbox_id__in=set(keys), is_read=False)
                .exclude(folder__role__in=UNCOUNTED_ROLES)
                .values("mailbox_id")
                .annotate(n=Count("id"))
            )
            found = {r["mailbox_id"]: r["n"] for r in rows}
            return [found.get(k, 0) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


# --- direct messages ----------------------------------------------------------------------


class UnreadByConversationLoader(DataLoader[uuid.UUID, int]):
    """Messages of others the viewer has not read yet, per conversation."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[int]:
            others = ~Q(conversation__messages__sender_id=principal.person_id)
            unseen = Q(last_read_at=None) | Q(conversation__messages__sent_at__gt=F("last_read_at"))
            rows = (
                ConversationMember.objects.for_principal(principal)
                .filter(person_id=principal.person_id, conversation_id__in=set(keys))
                .annotate(n=Count("conversation__messages", filter=others & unseen))
                .values_list("conversation_id", "n")
            )
            found = dict(rows)
            return [found.get(k, 0) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class MembersByConversationLoader(DataLoader[uuid.UUID, list[ConversationMember]]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[ConversationMember]]:
            visible = visible_conversations(principal).filter(id__in=set(keys))
            grouped: dict[uuid.UUID, list[ConversationMember]] = defaultdict(list)
            for member in ConversationMember.objects.for_principal(principal).filter(
                conversation__in=visible
            ):
                grouped[member.conversation_id].append(member)
            return [grouped.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class AssignmentsByMailboxLoader(DataLoader[uuid.UUID, list[MailboxAssignment]]):
    """A shared mailbox's assignments (administrators' view), oldest first."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[MailboxAssignment]]:
            grouped: dict[uuid.UUID, list[MailboxAssignment]] = defaultdict(list)
            rows = MailboxAssignment.objects.for_principal(principal).filter(
                mailbox_id__in=set(keys)
            )
            for assignment in rows.order_by("created_at", "id"):
                grouped[assignment.mailbox_id].append(assignment)
            return [grouped.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class DeliveriesByMessageLoader(DataLoader[uuid.UUID, list[OutboxItem]]):
    """External deliveries (outbox items) of messages, oldest first."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[OutboxItem]]:
            grouped: dict[uuid.UUID, list[OutboxItem]] = defaultdict(list)
            rows = OutboxItem.objects.for_principal(principal).filter(message_id__in=set(keys))
            for item in rows.order_by("created_at", "id"):
                grouped[item.message_id].append(item)
            return [grouped.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class AttachmentsByMessageLoader(DataLoader[uuid.UUID, list[MailAttachment]]):
    """Files of messages (reached through a visible entry), in their order."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[MailAttachment]]:
            grouped: dict[uuid.UUID, list[MailAttachment]] = defaultdict(list)
            rows = MailAttachment.objects.for_principal(principal).filter(message_id__in=set(keys))
            for attachment in rows.order_by("position", "created_at"):
                grouped[attachment.message_id].append(attachment)  # type: ignore[index]
            return [grouped.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))
