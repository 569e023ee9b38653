"""GraphQL types of the notices subgraph.

``Person`` and ``Organization`` are the people subgraph's entities, of which this subgraph
knows only the key; ``Person`` gains ``unreadNoticeCount``. ``Notice`` is this subgraph's
entity. What a viewer may read (access.py) is applied by the loaders, so every read path
(queries, ``_entities``, subscriptions) shows the same; the reader lists are checked here,
per notice, for its author and administrators.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from enum import Enum

import strawberry
from django.utils import timezone
from strawberry.types import Info

from subgraphs.core.graphql.context import YuiContext, context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.notices import directory
from subgraphs.notices.access import as_uuid, can_manage, may_post
from subgraphs.notices.graphql.loaders import (
    CirculationByIdLoader,
    CirculationCommentsLoader,
    CirculationRecipientsLoader,
    MyCirculationReceiptLoader,
    MyReceiptByNoticeLoader,
    MyWatchLoader,
    NoticeByIdLoader,
    PendingCirculationCountByPersonLoader,
    ReadCountsByNoticeLoader,
    RecipientsByNoticeLoader,
    RemindersByNoticeLoader,
    UnreadNoticeCountByPersonLoader,
)
from subgraphs.notices.models import (
    Circulation,
    CirculationComment,
    CirculationRecipient,
    Notice,
    NoticeCategory,
    NoticeRecipient,
    NoticeReminder,
)

Importance = Notice.Importance


@strawberry.enum(name="NoticeImportance", description="How important a notice is.")
class NoticeImportance(Enum):
    URGENT = strawberry.enum_value("URGENT", description=str(Importance.URGENT.label))
    HIGH = strawberry.enum_value("HIGH", description=str(Importance.HIGH.label))
    NORMAL = strawberry.enum_value("NORMAL", description=str(Importance.NORMAL.label))
    LOW = strawberry.enum_value("LOW", description=str(Importance.LOW.label))


@strawberry.enum(name="NoticeStatus", description="Where a notice is in its posting period.")
class NoticeStatus(Enum):
    SCHEDULED = strawberry.enum_value("SCHEDULED", description="掲載前: only its author sees it.")
    OPEN = strawberry.enum_value("OPEN", description="掲載中")
    CLOSED = strawberry.enum_value("CLOSED", description="掲載終了: listed as closed.")


class ViewerDepartments:
    """The viewer's departments (main and 兼務), asked of people at most once per operation."""

    def __init__(self, context: YuiContext) -> None:
        self._principal = context.principal
        self._found: asyncio.Task[frozenset[uuid.UUID]] | None = None

    async def get(self) -> frozenset[uuid.UUID]:
        if self._found is None:
            self._found = asyncio.ensure_future(directory.department_ids_of(self._principal))
        return await self._found


@strawberry.federation.type(name="Person", keys=["id"])
class PersonType:
    """The people subgraph's staff member, by key only; notices adds its counts."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> PersonType | None:
        # Nothing to look up: the tenant scope applies where the data is, in the counts.
        return cls(id=id) if as_uuid(id) is not None else None

    @strawberry.field(
        description="Notices within their posting period this person has not read. Only for "
        "yourself and for administrators; null for anyone else's."
    )
    async def unread_notice_count(self, info: Info) -> int | None:
        principal = require_authenticated(principal_of(info))
        pk = as_uuid(self.id)
        if pk is None or not (principal.is_tenant_admin or pk == principal.person_id):
            return None
        return await context_of(info).loader(UnreadNoticeCountByPersonLoader).load(pk)

    @strawberry.field(
        description="Circulations still being circulated this person has not confirmed. Only "
        "for yourself and for administrators; null for anyone else's."
    )
    async def pending_circulation_count(self, info: Info) -> int | None:
        principal = require_authenticated(principal_of(info))
        pk = as_uuid(self.id)
        if pk is None or not (principal.is_tenant_admin or pk == principal.person_id):
            return None
        return await context_of(info).loader(PendingCirculationCountByPersonLoader).load(pk)


@strawberry.federation.type(name="Organization", keys=["id"])
class OrganizationType:
    """The people subgraph's department, by key only."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> OrganizationType | None:
        return cls(id=id) if as_uuid(id) is not None else None


def _person(pk: object) -> PersonType:
    return PersonType(id=strawberry.ID(str(pk)))


@strawberry.type(name="NoticeCategory", description="A category of the information board.")
class NoticeCategoryType:
    @strawberry.field
    def id(self, root: NoticeCategory) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def name(self, root: NoticeCategory) -> str:
        return root.name

    @strawberry.field
    def sort_order(self, root: NoticeCategory) -> int:
        return root.sort_order

    @strawberry.field(description="Roles whose holders may post here.")
    def poster_roles(self, root: NoticeCategory) -> list[str]:
        return list(root.poster_roles or [])

    @strawberry.field(description="Departments whose staff (main post or 兼務) may post here.")
    def poster_departments(self, root: NoticeCategory) -> list[OrganizationType]:
        return [OrganizationType(id=strawberry.ID(d)) for d in root.poster_department_ids or []]

    @strawberry.field(description="Whether you may post here (administrators always may).")
    async def can_post(self, info: Info, root: NoticeCategory) -> bool:
        principal = require_authenticated(principal_of(info))
        if principal.is_tenant_admin or not (root.poster_roles or root.poster_department_ids):
            return True
        departments = await context_of(info).loader(ViewerDepartments).get()
        return may_post(principal, root, departments)


@strawberry.type(name="NoticeAudienceDepartment")
class AudienceDepartmentType:
    department: OrganizationType
    include_sub_departments: bool


@strawberry.type(name="NoticeAudience", description="Who a notice was posted to, as chosen.")
class AudienceType:
    everyone: bool = strawberry.field(description="The whole municipality.")
    departments: list[AudienceDepartmentType]
    group_ids: list[strawberry.ID]
    persons: list[PersonType]


@strawberry.type(name="NoticeReader", description="A recipient and when they read it.")
class ReaderType:
    @strawberry.field
    def person(self, root: NoticeRecipient) -> PersonType:
        return _person(root.person_id)

    @strawberry.field(description="Null while unread.")
    def read_at(self, root: NoticeRecipient) -> datetime | None:
        return root.read_at

    @strawberry.field(description="When they were last reminded, if ever.")
    def last_reminded_at(self, root: NoticeRecipient) -> datetime | None:
        return root.last_reminded_at


@strawberry.type(name="NoticeReminder", description="A reminder sent to the non-readers.")
class ReminderType:
    @strawberry.field
    def sent_at(self, root: NoticeReminder) -> datetime:
        return root.sent_at

    @strawberry.field
    def sent_by(self, root: NoticeReminder) -> PersonType:
        return _person(root.sent_by)

    @strawberry.field(description="Those it reached: who had not read the notice then.")
    def persons(self, root: NoticeReminder) -> list[PersonType]:
        return [_person(p) for p in root.person_ids]


def status_of(notice: Notice) -> NoticeStatus:
    now = timezone.now()
    if notice.starts_at > now:
        return NoticeStatus.SCHEDULED
    if notice.ends_at is not None and notice.ends_at <= now:
        return NoticeStatus.CLOSED
    return NoticeStatus.OPEN


@strawberry.federation.type(name="Notice", keys=["id"], description="An information item.")
class NoticeType:
    # Fields read the model itself (their `root`), so `_entities` resolves a Notice row.
    @classmethod
    def is_type_of(cls, obj: object, info: Info) -> bool:
        return isinstance(obj, cls | Notice)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Notice | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(NoticeByIdLoader).load(pk)

    @strawberry.field
    def id(self, root: Notice) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def category(self, root: Notice) -> NoticeCategoryType:
        return root.category  # type: ignore[return-value]

    @strawberry.field
    def title(self, root: Notice) -> str:
        return root.title

    @strawberry.field(description="Sanitised HTML: no scripts, handlers or javascript: links.")
    def body(self, root: Notice) -> str:
        return root.body

    @strawberry.field
    def importance(self, root: Notice) -> NoticeImportance:
        return NoticeImportance(root.importance)

    @strawberry.field(description="緊急, 高, 標準 or 低.")
    def importance_label(self, root: Notice) -> str:
        return str(Importance(root.importance).label)

    @strawberry.field
    def author(self, root: Notice) -> PersonType:
        return _person(root.author_id)

    @strawberry.field
    def starts_at(self, root: Notice) -> datetime:
        return root.starts_at

    @strawberry.field
    def ends_at(self, root: Notice) -> datetime | None:
        return root.ends_at

    @strawberry.field
    def pinned(self, root: Notice) -> bool:
        return root.pinned

    @strawberry.field
    def created_at(self, root: Notice) -> datetime:
        return root.created_at

    @strawberry.field(description="One more with every change (a reminder too).")
    def version(self, root: Notice) -> int:
        return root.version

    @strawberry.field
    def status(self, root: Notice) -> NoticeStatus:
        return status_of(root)

    @strawberry.field(description="Who it was posted to, as the author chose it.")
    def audience(self, root: Notice) -> AudienceType:
        return _audience(root.audience)

    @strawberry.field(description="When you read it; null while unread or not yours to read.")
    async def read_at(self, info: Info, root: Notice) -> datetime | None:
        receipt = await context_of(info).loader(MyReceiptByNoticeLoader).load(root.id)
        return receipt.read_at if receipt else None

    @strawberry.field(
        description="Whether you have read it (true for its author and anyone not a recipient)."
    )
    async def is_read(self, info: Info, root: Notice) -> bool:
        receipt = await context_of(info).loader(MyReceiptByNoticeLoader).load(root.id)
        return receipt is None or receipt.read_at is not None

    @strawberry.field(description="Whether you may see its readers and remind (author, admins).")
    def can_manage(self, info: Info, root: Notice) -> bool:
        return can_manage(principal_of(info), root)

    @strawberry.field(description="How many it was posted to (author and admins; else null).")
    async def recipient_count(self, info: Info, root: Notice) -> int | None:
        if not can_manage(principal_of(info), root):
            return None
        return (await context_of(info).loader(ReadCountsByNoticeLoader).load(root.id)).recipients

    @strawberry.field(description="How many have read it (author and admins; else null).")
    async def read_count(self, info: Info, root: Notice) -> int | None:
        if not can_manage(principal_of(info), root):
            return None
        return (await context_of(info).loader(ReadCountsByNoticeLoader).load(root.id)).read

    @strawberry.field(
        description="Recipients who have read it, by the time they did (author and admins)."
    )
    async def readers(self, info: Info, root: Notice) -> list[ReaderType] | None:
        if not can_manage(principal_of(info), root):
            return None
        rows = await context_of(info).loader(RecipientsByNoticeLoader).load(root.id)
        return [r for r in rows if r.read_at is not None]  # type: ignore[misc]

    @strawberry.field(description="Recipients who have not read it yet (author and admins).")
    async def non_readers(self, info: Info, root: Notice) -> list[ReaderType] | None:
        if not can_manage(principal_of(info), root):
            return None
        rows = await context_of(info).loader(RecipientsByNoticeLoader).load(root.id)
        return [r for r in rows if r.read_at is None]  # type: ignore[misc]

    @strawberry.field(description="Reminders sent so far (author and admins).")
    async def reminders(self, info: Info, root: Notice) -> list[ReminderType] | None:
        if not can_manage(principal_of(info), root):
            return None
        return await context_of(info).loader(RemindersByNoticeLoader).load(root.id)  # type: ignore[return-value]


@strawberry.type(name="NoticeError", description="Why a notices mutation changed nothing.")
class NoticeErrorType:
    code: str = strawberry.field(
        description="REQUIRED, TOO_LONG, INVALID, NOT_FOUND, NOT_ALLOWED, NO_RECIPIENTS, "
        "TOO_MANY, END_BEFORE_START, NOT_AUTHOR, NOT_OPEN, EVERYONE_READ, DUPLICATE, "
        "NOT_DRAFT, NOT_RECIPIENT, COMPLETED, EVERYONE_CONFIRMED ..."
    )
    message: str
    field: str | None = strawberry.field(description="The input field at fault, if one.")


# --- circulation ----------------------------------------------------------------------


@strawberry.enum(name="CirculationStatus")
class CirculationStatus(Enum):
    DRAFT = strawberry.enum_value("DRAFT", description="下書き: only its sender sees it.")
    SENT = strawberry.enum_value("SENT", description="回覧中")
    COMPLETED = strawberry.enum_value("COMPLETED", description="完了: no more comments.")


@strawberry.type(name="CirculationRecipient", description="A recipient and how far they got.")
class CirculationRecipientType:
    @strawberry.field
    def person(self, root: CirculationRecipient) -> PersonType:
        return _person(root.person_id)

    @strawberry.field
    def opened_at(self, root: CirculationRecipient) -> datetime | None:
        return root.opened_at

    @strawberry.field(description="Null while unconfirmed.")
    def confirmed_at(self, root: CirculationRecipient) -> datetime | None:
        return root.confirmed_at

    @strawberry.field
    def last_reminded_at(self, root: CirculationRecipient) -> datetime | None:
        return root.last_reminded_at


@strawberry.type(name="CirculationComment", description="A comment or answer (plain text).")
class CirculationCommentType:
    @strawberry.field
    def person(self, root: CirculationComment) -> PersonType:
        return _person(root.person_id)

    @strawberry.field
    def body(self, root: CirculationComment) -> str:
        return root.body

    @strawberry.field
    def created_at(self, root: CirculationComment) -> datetime:
        return root.created_at


def _is_sender(info: Info, root: Circulation) -> bool:
    return principal_of(info).person_id == root.sender_id


@strawberry.federation.type(name="Circulation", keys=["id"], description="回覧・レポート")
class CirculationType:
    @classmethod
    def is_type_of(cls, obj: object, info: Info) -> bool:
        return isinstance(obj, cls | Circulation)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Circulation | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(CirculationByIdLoader).load(pk)

    @strawberry.field
    def id(self, root: Circulation) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def title(self, root: Circulation) -> str:
        return root.title

    @strawberry.field(description="Sanitised HTML.")
    def body(self, root: Circulation) -> str:
        return root.body

    @strawberry.field
    def status(self, root: Circulation) -> CirculationStatus:
        return CirculationStatus(root.status)

    @strawberry.field
    def sender(self, root: Circulation) -> PersonType:
        return _person(root.sender_id)

    @strawberry.field
    def created_at(self, root: Circulation) -> datetime:
        return root.created_at

    @strawberry.field
    def sent_at(self, root: Circulation) -> datetime | None:
        return root.sent_at

    @strawberry.field
    def completed_at(self, root: Circulation) -> datetime | None:
        return root.completed_at

    @strawberry.field
    def version(self, root: Circulation) -> int:
        return root.version

    @strawberry.field(description="Who it is for, as the sender chose it.")
    def audience(self, root: Circulation) -> AudienceType:
        return _audience(root.audience)

    @strawberry.field(description="Whether you sent it.")
    def is_sender(self, info: Info, root: Circulation) -> bool:
        return _is_sender(info, root)

    @strawberry.field(description="Your row as a recipient; null if it was not sent to you.")
    async def my_receipt(self, info: Info, root: Circulation) -> CirculationRecipientType | None:
        return await context_of(info).loader(MyCirculationReceiptLoader).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Whether it is on your watch list.")
    async def is_watching(self, info: Info, root: Circulation) -> bool:
        return await context_of(info).loader(MyWatchLoader).load(root.id)

    @strawberry.field(description="Every comment and answer, oldest first (sender and recipients).")
    async def comments(self, info: Info, root: Circulation) -> list[CirculationCommentType]:
        return await context_of(info).loader(CirculationCommentsLoader).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Recipients who confirmed, by the time they did (sender only).")
    async def confirmed(
        self, info: Info, root: Circulation
    ) -> list[CirculationRecipientType] | None:
        if not _is_sender(info, root):
            return None
        rows = await context_of(info).loader(CirculationRecipientsLoader).load(root.id)
        return [r for r in rows if r.confirmed_at is not None]  # type: ignore[misc]

    @strawberry.field(description="Recipients who have not confirmed yet (sender only).")
    async def unconfirmed(
        self, info: Info, root: Circulation
    ) -> list[CirculationRecipientType] | None:
        if not _is_sender(info, root):
            return None
        rows = await context_of(info).loader(CirculationRecipientsLoader).load(root.id)
        return [r for r in rows if r.confirmed_at is None]  # type: ignore[misc]


def _audience(data: dict | None) -> AudienceType:
    audience = directory.Audience.from_json(data or {})
    return AudienceType(
        everyone=audience.everyone,
        departments=[
            AudienceDepartmentType(
                department=OrganizationType(id=strawberry.ID(str(d))), include_sub_departments=sub
            )
            for d, sub in audience.departments
        ],
        group_ids=[strawberry.ID(str(g)) for g in audience.groups],
        persons=[_person(p) for p in audience.persons],
    )
