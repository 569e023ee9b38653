"""Live notices: a new notice for me, a reminder to me, a reader of a notice I manage.

Events on the channel layer carry IDs and a version (DESIGN rule 6); each is checked
against the subscriber's own rows and re-read through loaders built for that event (a
subscription's context lives as long as its connection, so cached loaders would go stale).
The group is per tenant, and the re-read is scoped by the principal, so another
municipality's notices never reach a subscriber.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from enum import Enum

import strawberry
from strawberry.types import Info

from subgraphs.core.events import group_messages
from subgraphs.core.graphql.context import YuiContext, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.notices.access import as_uuid, can_manage
from subgraphs.notices.actions import EVENT_TYPE, Kind, notices_group
from subgraphs.notices.graphql.loaders import MyReceiptByNoticeLoader, NoticeByIdLoader
from subgraphs.notices.graphql.types import NoticeType
from subgraphs.notices.models import Notice


@strawberry.enum(name="NoticeEventKind")
class NoticeEventKind(Enum):
    POSTED = strawberry.enum_value(Kind.POSTED, description="A new notice for you.")
    REMINDED = strawberry.enum_value(Kind.REMINDED, description="A reminder: you have not read it.")
    READ = strawberry.enum_value(Kind.READ, description="Someone read a notice you manage.")


@strawberry.type(name="NoticeEvent", description="A hint: re-query the notice when it matters.")
class NoticeEventType:
    kind: NoticeEventKind
    version: int
    notice: NoticeType


async def _concerns(principal: Principal, event: dict, context: YuiContext) -> bool:
    listed = event.get("person_ids")
    if isinstance(listed, list):
        return str(principal.person_id) in listed
    # Too many receivers to list: this subscriber's own row decides.
    notice_id = uuid.UUID(event["notice_id"])
    return await context.loader(MyReceiptByNoticeLoader).load(notice_id) is not None


async def notice_events(principal: Principal) -> AsyncGenerator[NoticeEventType, None]:
    assert principal.tenant_id is not None
    async for event in group_messages(notices_group(principal.tenant_id)):
        kind = event.get("kind")
        notice_id = as_uuid(event.get("notice_id"))
        if event.get("type") != EVENT_TYPE or notice_id is None or kind not in Kind.__dict__:
            continue
        context = YuiContext(principal=principal)
        if not await _concerns(principal, event, context):
            continue
        notice: Notice | None = await context.loader(NoticeByIdLoader).load(notice_id)
        if notice is None:
            continue  # not (or not yet) visible to this subscriber: scheduled, or gone
        if kind == Kind.READ and not can_manage(principal, notice):
            continue
        if kind == Kind.REMINDED:
            receipt = await context.loader(MyReceiptByNoticeLoader).load(notice_id)
            if receipt is None or receipt.read_at is not None:
                continue  # read it meanwhile: nothing to remind of
        yield NoticeEventType(
            kind=NoticeEventKind(kind),
            version=notice.version,
            notice=notice,  # type: ignore[arg-type]
        )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Notices for you as they are posted, reminders to you, and readers of "
        "notices you manage. Events are hints: after a reconnect, query `notices` again."
    )
    def notice_events(self, info: Info) -> AsyncGenerator[NoticeEventType, None]:
        principal = require_authenticated(principal_of(info))
        return notice_events(principal)
