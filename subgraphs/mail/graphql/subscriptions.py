"""Live mail: new mail and changed state in any of my mailboxes; direct messages and read
receipts in my conversations.

Events on the channel layer carry IDs only (DESIGN rule 6); each is checked against the
subscriber's own mailboxes, read again per event (so removing an assignment stops its
events at once) and re-read through loaders built for that event. The group is per
tenant and every re-read is scoped by the principal, so another municipality's mail never
reaches a subscriber.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.events import group_messages
from subgraphs.core.graphql.context import YuiContext, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.mail.access import access_conversation_by_id, as_uuid, visible_mailboxes
from subgraphs.mail.actions import DM_EVENT_TYPE, EVENT_TYPE, DirectKind, Kind, mail_group
from subgraphs.mail.graphql.loaders import EntryByIdLoader, departments_of
from subgraphs.mail.graphql.types import (
    ConversationType,
    DirectMessageType,
    MailboxType,
    MailMessageType,
    PersonType,
)
from subgraphs.mail.models import ConversationMember, DirectMessage


@strawberry.enum(name="MailEventKind")
class MailEventKind(Enum):
    RECEIVED = strawberry.enum_value(Kind.RECEIVED, description="New mail in a mailbox of yours.")
    CHANGED = strawberry.enum_value(
        Kind.CHANGED, description="Read, flagged, moved or deleted (by you or a co-member)."
    )


@strawberry.type(name="MailEvent", description="A hint: re-query when it matters.")
class MailEventType:
    kind: MailEventKind
    mailbox: MailboxType
    message: MailMessageType | None = strawberry.field(
        description="The message as it now is; null when it was deleted."
    )
    message_id: strawberry.ID


async def mail_events(principal: Principal) -> AsyncGenerator[MailEventType, None]:
    assert principal.tenant_id is not None
    async for event in group_messages(mail_group(principal.tenant_id)):
        kind = event.get("kind")
        if event.get("type") != EVENT_TYPE or kind not in (Kind.RECEIVED, Kind.CHANGED):
            continue
        wanted = {as_uuid(m) for m in event.get("mailbox_ids") or []}
        context = YuiContext(principal=principal)
        departments = await departments_of(context)
        rows = visible_mailboxes(principal, departments).filter(id__in=wanted - {None})
        mine = {m.id: m async for m in rows}
        if not mine:
            continue
        for raw in event.get("entry_ids") or []:
            entry_id = as_uuid(raw)
            if entry_id is None:
                continue
            entry = await context.loader(EntryByIdLoader).load(entry_id)
            if entry is not None and entry.mailbox_id in mine:
                mailbox = mine[entry.mailbox_id]
            elif entry is None and kind == Kind.CHANGED and len(mine) == 1:
                mailbox = next(iter(mine.values()))  # deleted for good from a box of mine
            else:
                continue
            yield MailEventType(
                kind=MailEventKind(kind),
                mailbox=mailbox,  # type: ignore[arg-type]
                message=entry,  # type: ignore[arg-type]
                message_id=strawberry.ID(str(entry_id)),
            )


@strawberry.enum(name="DirectMessageEventKind")
class DirectMessageEventKind(Enum):
    MESSAGE = strawberry.enum_value(DirectKind.MESSAGE, description="A new message.")
    READ = strawberry.enum_value(DirectKind.READ, description="A member read up to `readAt`.")


@strawberry.type(name="DirectMessageEvent")
class DirectMessageEventType:
    kind: DirectMessageEventKind
    conversation: ConversationType
    message: DirectMessageType | None = strawberry.field(description="For MESSAGE.")
    reader: PersonType | None = strawberry.field(description="For READ: who read.")
    read_at: datetime | None = strawberry.field(description="For READ: up to when.")


async def direct_message_events(
    principal: Principal,
) -> AsyncGenerator[DirectMessageEventType, None]:
    assert principal.tenant_id is not None
    me = str(principal.person_id)
    async for event in group_messages(mail_group(principal.tenant_id)):
        kind = event.get("kind")
        if event.get("type") != DM_EVENT_TYPE or kind not in (DirectKind.MESSAGE, DirectKind.READ):
            continue
        if me not in (event.get("person_ids") or []):
            continue
        conversation = await sync_to_async(access_conversation_by_id)(
            principal, event.get("conversation_id")
        )
        if conversation is None:
            continue
        if kind == DirectKind.MESSAGE:
            pk = as_uuid(event.get("message_id"))
            if pk is None:
                continue
            message = await DirectMessage.objects.filter(
                tenant_id=principal.tenant_id, conversation=conversation, id=pk
            ).afirst()
            if message is None:
                continue
            yield DirectMessageEventType(
                kind=DirectMessageEventKind.MESSAGE,
                conversation=conversation,  # type: ignore[arg-type]
                message=message,  # type: ignore[arg-type]
                reader=None,
                read_at=None,
            )
        else:
            reader = as_uuid(event.get("reader_id"))
            if reader is None:
                continue
            member = await ConversationMember.objects.filter(
                tenant_id=principal.tenant_id, conversation=conversation, person_id=reader
            ).afirst()
            if member is None:
                continue
            yield DirectMessageEventType(
                kind=DirectMessageEventKind.READ,
                conversation=conversation,  # type: ignore[arg-type]
                message=None,
                reader=PersonType(id=strawberry.ID(str(reader))),
                read_at=member.last_read_at,
            )


@strawberry.type
class MailSubscription:
    @strawberry.subscription(
        description="New mail and changes (read, flagged, moved, deleted) in any of your "
        "mailboxes, shared ones included. Events are hints: after a reconnect, query again."
    )
    def mail_events(self, info: Info) -> AsyncGenerator[MailEventType, None]:
        principal = require_authenticated(principal_of(info))
        return mail_events(principal)

    @strawberry.subscription(
        description="New direct messages and read receipts in your conversations."
    )
    def direct_message_events(self, info: Info) -> AsyncGenerator[DirectMessageEventType, None]:
        principal = require_authenticated(principal_of(info))
        return direct_message_events(principal)
