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
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import strawberry
from django.utils import timezone
from strawberry.types import Info

from subgraphs.core import storage
from subgraphs.core.graphql.context import YuiContext, context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.notices import council, directory, surveys
from subgraphs.notices.access import as_uuid, can_manage, may_post
from subgraphs.notices.graphql.loaders import (
    AnswersBySurveyLoader,
    AttachmentsByCirculationLoader,
    AttachmentsByNoticeLoader,
    CirculationByIdLoader,
    CirculationCommentsLoader,
    CirculationRecipientsLoader,
    CouncilDeliveriesLoader,
    CouncilRequestByIdLoader,
    MyAnswersBySurveyLoader,
    MyCirculationReceiptLoader,
    MyReceiptByNoticeLoader,
    MySurveyReceiptLoader,
    MyWatchLoader,
    NoticeByIdLoader,
    OpenSurveyCountByPersonLoader,
    OwnCouncilDeliveryLoader,
    PendingCirculationCountByPersonLoader,
    QuestionsBySurveyLoader,
    ReadCountsByNoticeLoader,
    RecipientsByNoticeLoader,
    RemindersByNoticeLoader,
    SurveyByIdLoader,
    SurveyRecipientsLoader,
    UnreadNoticeCountByPersonLoader,
)
from subgraphs.notices.models import (
    Attachment,
    Circulation,
    CirculationComment,
    CirculationRecipient,
    CouncilContact,
    CouncilDelivery,
    CouncilRequest,
    Notice,
    NoticeCategory,
    NoticeRecipient,
    NoticeReminder,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
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

    @strawberry.field(
        description="Open surveys this person was asked and has not answered. Only for "
        "yourself and for administrators; null for anyone else's."
    )
    async def open_survey_count(self, info: Info) -> int | None:
        principal = require_authenticated(principal_of(info))
        pk = as_uuid(self.id)
        if pk is None or not (principal.is_tenant_admin or pk == principal.person_id):
            return None
        return await context_of(info).loader(OpenSurveyCountByPersonLoader).load(pk)


@strawberry.federation.type(name="Organization", keys=["id"])
class OrganizationType:
    """The people subgraph's department, by key only."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> OrganizationType | None:
        return cls(id=id) if as_uuid(id) is not None else None


def _person(pk: object) -> PersonType:
    return PersonType(id=strawberry.ID(str(pk)))


@strawberry.type(name="NoticeAttachment", description="A file attached to a notice or circulation.")
class AttachmentType:
    @strawberry.field
    def id(self, root: Attachment) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field(description="The file name as uploaded (Japanese kept).")
    def name(self, root: Attachment) -> str:
        return root.name

    @strawberry.field(description="Bytes.")
    def size(self, root: Attachment) -> int:
        return root.size

    @strawberry.field(description="The type it is served as (decided from its name).")
    def content_type(self, root: Attachment) -> str:
        return root.content_type

    @strawberry.field(
        description="Where to download it: a path on this server with a token signed for "
        f"you, valid {storage.TOKEN_TTL_SECONDS // 60} minutes (then the session still "
        "works). Your access is checked again on download; always a download, never shown "
        "inline."
    )
    def url(self, info: Info, root: Attachment) -> str:
        from subgraphs.notices.views import download_path

        token = storage.sign_file_token(principal_of(info), root.id)
        return download_path(root.id, token)


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

    @strawberry.field(description="Files attached, in order.")
    async def attachments(self, info: Info, root: Notice) -> list[AttachmentType]:
        return await context_of(info).loader(AttachmentsByNoticeLoader).load(root.id)  # type: ignore[return-value]

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
        "NOT_DRAFT, NOT_RECIPIENT, COMPLETED, EVERYONE_CONFIRMED, SURVEY_NOT_OPEN, "
        "SURVEY_CLOSED ..."
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

    @strawberry.field(description="Files attached, in order.")
    async def attachments(self, info: Info, root: Circulation) -> list[AttachmentType]:
        return await context_of(info).loader(AttachmentsByCirculationLoader).load(root.id)  # type: ignore[return-value]

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


# --- surveys ----------------------------------------------------------------------------


@strawberry.enum(name="SurveyQuestionKind")
class SurveyQuestionKind(Enum):
    SINGLE_CHOICE = strawberry.enum_value("SINGLE_CHOICE", description="単一選択")
    MULTIPLE_CHOICE = strawberry.enum_value("MULTIPLE_CHOICE", description="複数選択")
    TEXT = strawberry.enum_value("TEXT", description="自由記述")
    NUMBER = strawberry.enum_value("NUMBER", description="数値")
    DATE = strawberry.enum_value("DATE", description="日付")


@strawberry.type(name="SurveyQuestion")
class SurveyQuestionType:
    @strawberry.field
    def id(self, root: SurveyQuestion) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field(description="0 for the first question.")
    def position(self, root: SurveyQuestion) -> int:
        return root.position

    @strawberry.field
    def kind(self, root: SurveyQuestion) -> SurveyQuestionKind:
        return SurveyQuestionKind(root.kind)

    @strawberry.field
    def text(self, root: SurveyQuestion) -> str:
        return root.text

    @strawberry.field
    def required(self, root: SurveyQuestion) -> bool:
        return root.required

    @strawberry.field(description="The choices of a choice question, in order (else empty).")
    def choices(self, root: SurveyQuestion) -> list[str]:
        return list(root.choices or [])


@strawberry.type(name="SurveyAnswer", description="Your answer to one question.")
class SurveyAnswerType:
    @strawberry.field
    def question_id(self, root: SurveyAnswer) -> strawberry.ID:
        return strawberry.ID(str(root.question_id))

    @strawberry.field(description="Indexes of the chosen choices (choice questions).")
    def choices(self, root: SurveyAnswer) -> list[int] | None:
        return list(root.value) if isinstance(root.value, list) else None

    @strawberry.field(description="The text (TEXT), the number as text (NUMBER) or the date.")
    def text(self, root: SurveyAnswer) -> str | None:
        return None if isinstance(root.value, list) else str(root.value)


@strawberry.type(name="SurveyTextAnswer")
class TextAnswerType:
    text: str
    person: PersonType | None = strawberry.field(description="Null for an anonymous survey.")


@strawberry.type(name="SurveyChoiceCount")
class ChoiceCountType:
    choice: str
    count: int


@strawberry.type(name="SurveyDateCount")
class DateCountType:
    date: date
    count: int


@strawberry.type(name="SurveyQuestionResult", description="What one question's answers add up to.")
class QuestionResultType:
    question: SurveyQuestionType
    answer_count: int
    choice_counts: list[ChoiceCountType]
    texts: list[TextAnswerType]
    dates: list[DateCountType]
    number_count: int
    number_sum: str | None = strawberry.field(description="Decimal, as text (exact).")
    number_min: str | None
    number_max: str | None
    number_average: str | None = strawberry.field(description="Rounded to 2 decimals.")


def _result_type(result: surveys.QuestionResult) -> QuestionResultType:
    numbers = result.numbers
    total = sum(numbers, Decimal(0)) if numbers else None
    return QuestionResultType(
        question=result.question,  # type: ignore[arg-type]
        answer_count=result.answer_count,
        choice_counts=[
            ChoiceCountType(choice=c, count=n)
            for c, n in zip(result.question.choices or [], result.choice_counts, strict=False)
        ],
        texts=[
            TextAnswerType(text=t, person=_person(p) if p is not None else None)
            for p, t in result.texts
        ],
        dates=[
            DateCountType(date=date.fromisoformat(d), count=n)
            for d, n in sorted(result.dates.items())
        ],
        number_count=len(numbers),
        number_sum=str(total) if total is not None else None,
        number_min=str(min(numbers)) if numbers else None,
        number_max=str(max(numbers)) if numbers else None,
        number_average=(
            str((total / len(numbers)).quantize(Decimal("0.01"))) if total is not None else None
        ),
    )


@strawberry.enum(name="SurveyStatus")
class SurveyStatus(Enum):
    SCHEDULED = strawberry.enum_value("SCHEDULED", description="公開前: only its owner sees it.")
    OPEN = strawberry.enum_value("OPEN", description="回答受付中")
    CLOSED = strawberry.enum_value("CLOSED", description="締切")


def survey_status(survey: Survey) -> SurveyStatus:
    now = timezone.now()
    if survey.opens_at > now:
        return SurveyStatus.SCHEDULED
    if survey.closes_at is not None and survey.closes_at <= now:
        return SurveyStatus.CLOSED
    return SurveyStatus.OPEN


def _is_owner(info: Info, root: Survey) -> bool:
    return principal_of(info).person_id == root.owner_id


@strawberry.federation.type(name="Survey", keys=["id"], description="アンケート")
class SurveyType:
    @classmethod
    def is_type_of(cls, obj: object, info: Info) -> bool:
        return isinstance(obj, cls | Survey)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Survey | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(SurveyByIdLoader).load(pk)

    @strawberry.field
    def id(self, root: Survey) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def title(self, root: Survey) -> str:
        return root.title

    @strawberry.field(description="Sanitised HTML.")
    def description(self, root: Survey) -> str:
        return root.description

    @strawberry.field(description="Whether the owner is kept from knowing who answered what.")
    def anonymous(self, root: Survey) -> bool:
        return root.anonymous

    @strawberry.field
    def owner(self, root: Survey) -> PersonType:
        return _person(root.owner_id)

    @strawberry.field
    def opens_at(self, root: Survey) -> datetime:
        return root.opens_at

    @strawberry.field
    def closes_at(self, root: Survey) -> datetime | None:
        return root.closes_at

    @strawberry.field
    def status(self, root: Survey) -> SurveyStatus:
        return survey_status(root)

    @strawberry.field(description="One more with every answer: live results follow it.")
    def version(self, root: Survey) -> int:
        return root.version

    @strawberry.field
    def audience(self, root: Survey) -> AudienceType:
        return _audience(root.audience)

    @strawberry.field
    def is_owner(self, info: Info, root: Survey) -> bool:
        return _is_owner(info, root)

    @strawberry.field
    async def questions(self, info: Info, root: Survey) -> list[SurveyQuestionType]:
        return await context_of(info).loader(QuestionsBySurveyLoader).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Whether you were asked to answer it.")
    async def is_recipient(self, info: Info, root: Survey) -> bool:
        return await context_of(info).loader(MySurveyReceiptLoader).load(root.id) is not None

    @strawberry.field(description="When you last answered; null if not yet.")
    async def my_answered_at(self, info: Info, root: Survey) -> datetime | None:
        receipt = await context_of(info).loader(MySurveyReceiptLoader).load(root.id)
        return receipt.answered_at if receipt else None

    @strawberry.field(description="Your answers, to show and change until it closes.")
    async def my_answers(self, info: Info, root: Survey) -> list[SurveyAnswerType]:
        return await context_of(info).loader(MyAnswersBySurveyLoader).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="How many were asked (owner only).")
    async def recipient_count(self, info: Info, root: Survey) -> int | None:
        if not _is_owner(info, root):
            return None
        return len(await context_of(info).loader(SurveyRecipientsLoader).load(root.id))

    @strawberry.field(description="How many have answered (owner only).")
    async def respondent_count(self, info: Info, root: Survey) -> int | None:
        if not _is_owner(info, root):
            return None
        rows = await context_of(info).loader(SurveyRecipientsLoader).load(root.id)
        return sum(1 for r in rows if r.answered_at is not None)

    @strawberry.field(
        description="Who has not answered yet (owner of a named survey; null otherwise)."
    )
    async def non_respondents(self, info: Info, root: Survey) -> list[PersonType] | None:
        if not _is_owner(info, root) or root.anonymous:
            return None
        rows = await context_of(info).loader(SurveyRecipientsLoader).load(root.id)
        return [_person(r.person_id) for r in rows if r.answered_at is None]

    @strawberry.field(description="The answers aggregated per question (owner only).")
    async def results(self, info: Info, root: Survey) -> list[QuestionResultType] | None:
        if not _is_owner(info, root):
            return None
        context = context_of(info)
        questions = await context.loader(QuestionsBySurveyLoader).load(root.id)
        answers = await context.loader(AnswersBySurveyLoader).load(root.id)
        return [_result_type(r) for r in surveys.results_of(root, questions, answers)]


# --- across the council (協議会) ---------------------------------------------------------


@strawberry.enum(name="CouncilPurpose", description="What a designated contact answers for.")
class CouncilPurposeEnum(Enum):
    INFORMATION_SYSTEMS = strawberry.enum_value(
        "INFORMATION_SYSTEMS", description="情報システム担当"
    )
    GENERAL_AFFAIRS = strawberry.enum_value("GENERAL_AFFAIRS", description="総務担当")
    DISASTER_PREVENTION = strawberry.enum_value("DISASTER_PREVENTION", description="防災担当")
    FINANCE = strawberry.enum_value("FINANCE", description="財政担当")
    HEALTH_WELFARE = strawberry.enum_value("HEALTH_WELFARE", description="保健福祉担当")
    EDUCATION = strawberry.enum_value("EDUCATION", description="教育担当")


@strawberry.enum(name="CouncilRequestKind")
class CouncilRequestKind(Enum):
    SURVEY = strawberry.enum_value(
        "SURVEY", description="照会: questions each municipality answers."
    )
    CIRCULATION = strawberry.enum_value(
        "CIRCULATION", description="回覧: each municipality confirms, with a comment if it likes."
    )


@strawberry.enum(name="CouncilRequestStatus")
class CouncilRequestStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="受付中")
    COMPLETED = strawberry.enum_value("COMPLETED", description="完了: no more responses.")


@strawberry.type(name="CouncilContact", description="Your municipality's contact for a purpose.")
class CouncilContactType:
    @strawberry.field
    def purpose(self, root: CouncilContact) -> CouncilPurposeEnum:
        return CouncilPurposeEnum(root.purpose)

    @strawberry.field(description="The department whose staff (main post or 兼務) handle it.")
    def department(self, root: CouncilContact) -> OrganizationType:
        return OrganizationType(id=strawberry.ID(str(root.department_id)))

    @strawberry.field
    def updated_at(self, root: CouncilContact) -> datetime:
        return root.updated_at


@strawberry.type(name="CouncilQuestion", description="A question of a council survey.")
class CouncilQuestionType:
    @strawberry.field
    def id(self, root: dict) -> strawberry.ID:
        return strawberry.ID(str(uuid.UUID(root["id"])))

    @strawberry.field
    def kind(self, root: dict) -> SurveyQuestionKind:
        return SurveyQuestionKind(root["kind"])

    @strawberry.field
    def text(self, root: dict) -> str:
        return str(root["text"])

    @strawberry.field
    def required(self, root: dict) -> bool:
        return bool(root.get("required"))

    @strawberry.field
    def choices(self, root: dict) -> list[str]:
        return list(root.get("choices") or [])


@strawberry.type(name="CouncilAnswer", description="A municipality's answer to one question.")
class CouncilAnswerType:
    question_id: strawberry.ID
    choices: list[int] | None = strawberry.field(description="Chosen choices' indexes.")
    text: str | None = strawberry.field(description="Text, a number as text, or a date.")


@strawberry.type(
    name="CouncilDelivery",
    description="A council request as one municipality received it, and its response.",
)
class CouncilDeliveryType:
    @strawberry.field
    def id(self, root: CouncilDelivery) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def municipality_code(self, root: CouncilDelivery) -> str:
        return root.tenant_code

    @strawberry.field
    def municipality_name(self, root: CouncilDelivery) -> str:
        return root.tenant_name

    @strawberry.field(description="When it first responded; null until then.")
    def opened_at(self, root: CouncilDelivery) -> datetime | None:
        return root.opened_at

    @strawberry.field(description="When it last responded; null until it has.")
    def responded_at(self, root: CouncilDelivery) -> datetime | None:
        return root.responded_at

    @strawberry.field(description="Who responded, by name as it was then.")
    def responded_by_name(self, root: CouncilDelivery) -> str | None:
        return root.responded_by_name or None

    @strawberry.field(
        description="Who responded, for their own municipality (a person of another "
        "municipality is not reachable: use respondedByName)."
    )
    def responded_by(self, info: Info, root: CouncilDelivery) -> PersonType | None:
        if root.responded_by is None or root.tenant_id != principal_of(info).tenant_id:
            return None
        return _person(root.responded_by)

    @strawberry.field
    def comment(self, root: CouncilDelivery) -> str:
        return root.comment

    @strawberry.field(description="Answers of a survey, in question order.")
    def answers(self, root: CouncilDelivery) -> list[CouncilAnswerType]:
        return [
            CouncilAnswerType(
                question_id=strawberry.ID(str(uuid.UUID(answer["question"]))),
                choices=list(answer["value"]) if isinstance(answer["value"], list) else None,
                text=None if isinstance(answer["value"], list) else str(answer["value"]),
            )
            for answer in root.answers or []
        ]


@strawberry.federation.type(
    name="CouncilRequest",
    keys=["id"],
    description="A survey or circulation sent to the council's member municipalities. Each "
    "receiving municipality sees its own delivery only; the sender's side sees all.",
)
class CouncilRequestType:
    @classmethod
    def is_type_of(cls, obj: object, info: Info) -> bool:
        return isinstance(obj, cls | CouncilRequest)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> CouncilRequest | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(CouncilRequestByIdLoader).load(pk)

    @strawberry.field
    def id(self, root: CouncilRequest) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def kind(self, root: CouncilRequest) -> CouncilRequestKind:
        return CouncilRequestKind(root.kind)

    @strawberry.field
    def purpose(self, root: CouncilRequest) -> CouncilPurposeEnum:
        return CouncilPurposeEnum(root.purpose)

    @strawberry.field
    def title(self, root: CouncilRequest) -> str:
        return root.title

    @strawberry.field(description="Sanitised HTML.")
    def body(self, root: CouncilRequest) -> str:
        return root.body

    @strawberry.field(description="A survey's questions (a circulation has none).")
    def questions(self, root: CouncilRequest) -> list[CouncilQuestionType]:
        return list(root.questions or [])  # type: ignore[arg-type]

    @strawberry.field
    def status(self, root: CouncilRequest) -> CouncilRequestStatus:
        return CouncilRequestStatus(root.status)

    @strawberry.field
    def closes_at(self, root: CouncilRequest) -> datetime | None:
        return root.closes_at

    @strawberry.field
    def created_at(self, root: CouncilRequest) -> datetime:
        return root.created_at

    @strawberry.field
    def completed_at(self, root: CouncilRequest) -> datetime | None:
        return root.completed_at

    @strawberry.field
    def version(self, root: CouncilRequest) -> int:
        return root.version

    @strawberry.field(description="The sending municipality's name.")
    def sender_municipality_name(self, root: CouncilRequest) -> str:
        return root.sender_tenant_name

    @strawberry.field(description="Whether your side sent it (you, or your administrators).")
    def is_sender(self, info: Info, root: CouncilRequest) -> bool:
        return council.is_sender_side(principal_of(info), root)

    @strawberry.field(description="Who sent it: for the sending municipality only.")
    def sender(self, info: Info, root: CouncilRequest) -> PersonType | None:
        if root.tenant_id != principal_of(info).tenant_id:
            return None
        return _person(root.sender_id)

    @strawberry.field(description="Your municipality's delivery and response; null if none.")
    async def my_delivery(self, info: Info, root: CouncilRequest) -> CouncilDeliveryType | None:
        return await context_of(info).loader(OwnCouncilDeliveryLoader).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Every municipality's delivery (sender's side; else null).")
    async def deliveries(
        self, info: Info, root: CouncilRequest
    ) -> list[CouncilDeliveryType] | None:
        if not council.is_sender_side(principal_of(info), root):
            return None
        return await context_of(info).loader(CouncilDeliveriesLoader).load(root)  # type: ignore[return-value]

    @strawberry.field(description="How many municipalities have responded (sender's side).")
    async def responded_count(self, info: Info, root: CouncilRequest) -> int | None:
        if not council.is_sender_side(principal_of(info), root):
            return None
        rows = await context_of(info).loader(CouncilDeliveriesLoader).load(root)
        return sum(1 for r in rows if r.responded_at is not None)
