"""Read side of the notices subgraph."""

from __future__ import annotations

import base64
import uuid
from enum import Enum
from typing import Any

import strawberry
from asgiref.sync import sync_to_async
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.core import peers
from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import Forbidden, require_authenticated
from subgraphs.core.principal import Principal
from subgraphs.notices import council, surveys
from subgraphs.notices.access import (
    access_survey_by_id,
    as_uuid,
    visible_circulations,
    visible_notices,
)
from subgraphs.notices.graphql.loaders import (
    CirculationByIdLoader,
    CouncilRequestByIdLoader,
    NoticeByIdLoader,
    SurveyByIdLoader,
    viewer_departments,
)
from subgraphs.notices.graphql.types import (
    CirculationType,
    CouncilContactType,
    CouncilRequestType,
    NoticeCategoryType,
    NoticeType,
    SurveyType,
)
from subgraphs.notices.models import (
    Circulation,
    CirculationRecipient,
    CirculationWatch,
    CouncilContact,
    CouncilRequest,
    Notice,
    NoticeCategory,
    NoticeRecipient,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRecipient,
)

MAX_PAGE = 200

IMPORTANCE_RANK = Case(
    *(When(importance=value, then=Value(rank)) for rank, value in enumerate(Notice.Importance)),
    output_field=IntegerField(),
)


def _page(first: int, offset: int) -> None:
    if not 0 <= first <= MAX_PAGE or offset < 0:
        raise GraphQLError(
            f"first must be between 0 and {MAX_PAGE}, offset not negative.",
            extensions={"code": "BAD_USER_INPUT"},
        )


def board(
    principal: Principal,
    category_id: object,
    include_closed: bool,
    first: int,
    offset: int,
) -> list[Notice]:
    """The principal's board: notices posted to them or by them within their posting
    period (and closed ones when asked), unread first, then pinned, by importance, newest."""
    now = timezone.now()
    mine = NoticeRecipient.objects.for_principal(principal).filter(
        person_id=principal.person_id, notice=OuterRef("pk")
    )
    rows = Notice.objects.for_principal(principal).filter(
        Q(author_id=principal.person_id) | Q(Exists(mine)), starts_at__lte=now
    )
    if not include_closed:
        rows = rows.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    if category_id is not None:
        rows = rows.filter(category_id=as_uuid(category_id))
    rows = rows.annotate(
        unread=Exists(mine.filter(read_at__isnull=True)), rank=IMPORTANCE_RANK
    ).order_by("-unread", "-pinned", "rank", "-starts_at", "-created_at", "id")
    return list(rows.select_related("category")[offset : offset + first])


def _categories(principal: Principal) -> list[NoticeCategory]:
    return list(NoticeCategory.objects.for_principal(principal))


def posted(principal: Principal, all_authors: bool, first: int, offset: int) -> list[Notice]:
    rows: Any = visible_notices(principal)
    if not all_authors:
        rows = rows.filter(author_id=principal.person_id)
    rows = rows.order_by("-created_at", "id").select_related("category")
    return list(rows[offset : offset + first])


@strawberry.type
class NoticeQuery:
    @strawberry.field(description="Categories of the information board, in display order.")
    async def notice_categories(self, info: Info) -> list[NoticeCategoryType]:
        principal = require_authenticated(principal_of(info))
        return await sync_to_async(_categories)(principal)  # type: ignore[return-value]

    @strawberry.field(
        description="Your board: notices for you (and yours) within their posting period, "
        "unread first, then pinned, by importance, newest first. includeClosed adds those "
        f"whose period has ended. At most {MAX_PAGE} at a time."
    )
    async def notices(
        self,
        info: Info,
        category_id: strawberry.ID | None = None,
        include_closed: bool = False,
        first: int = 50,
        offset: int = 0,
    ) -> list[NoticeType]:
        principal = require_authenticated(principal_of(info))
        _page(first, offset)
        found = await sync_to_async(board)(principal, category_id, include_closed, first, offset)
        return found  # type: ignore[return-value]

    @strawberry.field(
        description="Notices you posted, newest first, scheduled ones included. allAuthors "
        "(administrators) lists everyone's."
    )
    async def posted_notices(
        self, info: Info, all_authors: bool = False, first: int = 50, offset: int = 0
    ) -> list[NoticeType]:
        principal = require_authenticated(principal_of(info))
        _page(first, offset)
        if all_authors and not principal.is_tenant_admin:
            raise Forbidden("Only a tenant administrator may list everyone's notices.")
        return await sync_to_async(posted)(principal, all_authors, first, offset)  # type: ignore[return-value]

    @strawberry.field(description="A notice you may read; null for anything else.")
    async def notice(self, info: Info, id: strawberry.ID) -> NoticeType | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(NoticeByIdLoader).load(pk)  # type: ignore[return-value]


@strawberry.enum(name="CirculationFolder", description="A person's circulation folders.")
class CirculationFolder(Enum):
    NEW = strawberry.enum_value("NEW", description="新着: received, not opened yet.")
    UNCONFIRMED = strawberry.enum_value("UNCONFIRMED", description="未確認 (still circulating).")
    CONFIRMED = strawberry.enum_value("CONFIRMED", description="確認済み")
    WATCH = strawberry.enum_value("WATCH", description="ウォッチリスト")
    SENT = strawberry.enum_value("SENT", description="送信済み")
    DRAFTS = strawberry.enum_value("DRAFTS", description="下書き")


def circulation_folder(
    principal: Principal, name: str, first: int, offset: int
) -> list[Circulation]:
    """One folder of the principal's circulations, newest first."""
    me = principal.person_id
    Status = Circulation.Status
    mine = CirculationRecipient.objects.for_principal(principal).filter(person_id=me)
    rows: Any = Circulation.objects.for_principal(principal)
    if name == "NEW":
        rows = rows.filter(id__in=mine.filter(opened_at__isnull=True).values("circulation_id"))
        rows = rows.exclude(status=Status.DRAFT)
    elif name == "UNCONFIRMED":
        rows = rows.filter(
            id__in=mine.filter(confirmed_at__isnull=True).values("circulation_id"),
            status=Status.SENT,
        )
    elif name == "CONFIRMED":
        rows = rows.filter(id__in=mine.filter(confirmed_at__isnull=False).values("circulation_id"))
    elif name == "WATCH":
        watched = CirculationWatch.objects.for_principal(principal).filter(person_id=me)
        rows = visible_circulations(principal).filter(id__in=watched.values("circulation_id"))
    elif name == "SENT":
        rows = rows.filter(sender_id=me).exclude(status=Status.DRAFT)
    else:
        rows = rows.filter(sender_id=me, status=Status.DRAFT)
    ordered = rows.order_by(F("sent_at").desc(nulls_last=True), "-created_at", "id")
    return list(ordered[offset : offset + first])


@strawberry.type
class CirculationQuery:
    @strawberry.field(description=f"One of your circulation folders, newest first (≤ {MAX_PAGE}).")
    async def circulations(
        self, info: Info, folder: CirculationFolder, first: int = 50, offset: int = 0
    ) -> list[CirculationType]:
        principal = require_authenticated(principal_of(info))
        _page(first, offset)
        name = str(folder.value)
        found = await sync_to_async(circulation_folder)(principal, name, first, offset)
        return found  # type: ignore[return-value]

    @strawberry.field(description="A circulation you sent or received; null for anything else.")
    async def circulation(self, info: Info, id: strawberry.ID) -> CirculationType | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(CirculationByIdLoader).load(pk)  # type: ignore[return-value]


@strawberry.enum(name="CsvEncoding")
class CsvEncoding(Enum):
    CP932 = strawberry.enum_value("cp932", description="Shift_JIS as Japanese Excel reads it.")
    UTF8 = strawberry.enum_value("utf-8", description="UTF-8 with a BOM (Excel reads it too).")


@strawberry.type(name="SurveyCsv")
class SurveyCsv:
    filename: str
    encoding: str
    content_base64: str = strawberry.field(description="The file's bytes, base64-encoded.")
    lossy: bool = strawberry.field(
        description="Some characters did not fit CP932 and show as ?: export as UTF8."
    )


def _csv_payload(made: surveys.CsvFile) -> SurveyCsv:
    return SurveyCsv(
        filename=made.filename,
        encoding=made.encoding,
        content_base64=base64.b64encode(made.content).decode(),
        lossy=made.lossy,
    )


def asked_surveys(
    principal: Principal, include_closed: bool, first: int, offset: int
) -> list[Survey]:
    """Open surveys the principal was asked: unanswered first, then by closing time."""
    now = timezone.now()
    mine = SurveyRecipient.objects.for_principal(principal).filter(
        person_id=principal.person_id, survey=OuterRef("pk")
    )
    rows = Survey.objects.for_principal(principal).filter(Exists(mine), opens_at__lte=now)
    if not include_closed:
        rows = rows.filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
    rows = rows.annotate(unanswered=Exists(mine.filter(answered_at__isnull=True))).order_by(
        "-unanswered", F("closes_at").asc(nulls_last=True), "-opens_at", "id"
    )
    return list(rows[offset : offset + first])


def owned_surveys(principal: Principal, first: int, offset: int) -> list[Survey]:
    rows = Survey.objects.for_principal(principal).filter(owner_id=principal.person_id)
    return list(rows.order_by("-created_at", "id")[offset : offset + first])


def _survey_for_csv(
    principal: Principal, survey_id: object
) -> tuple[Survey, list[SurveyQuestion], list[SurveyAnswer]] | None:
    survey = access_survey_by_id(principal, survey_id)
    if survey is None or survey.owner_id != principal.person_id:
        return None
    questions = list(SurveyQuestion.objects.for_principal(principal).filter(survey=survey))
    answers = list(SurveyAnswer.objects.for_principal(principal).filter(survey=survey))
    return survey, questions, answers


PEOPLE_NAMES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Person { id loginId name } } }"""


@strawberry.type
class SurveyQuery:
    @strawberry.field(
        description="Surveys you were asked to answer that are open (includeClosed: closed "
        f"ones too), unanswered first, then closing soonest. At most {MAX_PAGE} at a time."
    )
    async def surveys(
        self, info: Info, include_closed: bool = False, first: int = 50, offset: int = 0
    ) -> list[SurveyType]:
        principal = require_authenticated(principal_of(info))
        _page(first, offset)
        found = await sync_to_async(asked_surveys)(principal, include_closed, first, offset)
        return found  # type: ignore[return-value]

    @strawberry.field(description="Surveys you created, newest first.")
    async def owned_surveys(self, info: Info, first: int = 50, offset: int = 0) -> list[SurveyType]:
        principal = require_authenticated(principal_of(info))
        _page(first, offset)
        return await sync_to_async(owned_surveys)(principal, first, offset)  # type: ignore[return-value]

    @strawberry.field(description="A survey you own or were asked (once open); null otherwise.")
    async def survey(self, info: Info, id: strawberry.ID) -> SurveyType | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(SurveyByIdLoader).load(pk)  # type: ignore[return-value]

    @strawberry.field(
        description="Your survey's answers as CSV, one row per respondent (named surveys with "
        "職員番号, 氏名 and 回答日時). Cells a spreadsheet would run as formulas start with '. "
        "Null unless it is your survey."
    )
    async def survey_results_csv(
        self, info: Info, id: strawberry.ID, encoding: CsvEncoding = CsvEncoding.CP932
    ) -> SurveyCsv | None:
        principal = require_authenticated(principal_of(info))
        found = await sync_to_async(_survey_for_csv)(principal, id)
        if found is None:
            return None
        survey, questions, answers = found
        people: dict[uuid.UUID, tuple[str, str]] = {}
        respondents = sorted({a.person_id for a in answers}, key=str)
        if respondents and not survey.anonymous:
            reps = [{"__typename": "Person", "id": str(p)} for p in respondents]
            entities = await peers.ask_field("people", principal, PEOPLE_NAMES, {"reps": reps})
            people = {
                uuid.UUID(e["id"]): (e["loginId"], e["name"]) for e in entities if e is not None
            }
        made = surveys.results_csv(survey, questions, answers, people, encoding=str(encoding.value))
        return _csv_payload(made)


def council_requests(
    principal: Principal,
    departments: frozenset[uuid.UUID],
    sent: bool | None,
    first: int,
    offset: int,
) -> list[CouncilRequest]:
    assert principal.tenant_id is not None and principal.person_id is not None
    rows = council.visible_council_requests(principal, departments)
    if sent is True:
        rows = rows.filter(tenant_id=principal.tenant_id)
    elif sent is False:
        rows = rows.filter(id__in=council.received_request_ids(principal, departments))
    return list(rows.order_by("-created_at", "id")[offset : offset + first])


@strawberry.type
class CouncilQuery:
    @strawberry.field(
        description="Council requests your side sent and those your municipality received "
        "that you handle (its contact department's staff, its administrators), newest "
        "first. sent: true only those sent, false only those received."
    )
    async def council_requests(
        self, info: Info, sent: bool | None = None, first: int = 50, offset: int = 0
    ) -> list[CouncilRequestType]:
        principal = require_authenticated(principal_of(info))
        _page(first, offset)
        departments = await viewer_departments(context_of(info))
        found = await sync_to_async(council_requests)(principal, departments, sent, first, offset)
        return found  # type: ignore[return-value]

    @strawberry.field(description="A council request you may see; null for anything else.")
    async def council_request(self, info: Info, id: strawberry.ID) -> CouncilRequestType | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(CouncilRequestByIdLoader).load(pk)  # type: ignore[return-value]

    @strawberry.field(
        description="Every municipality's response to a council request your side sent, as "
        "CSV (one row per municipality, responded or not; cells a spreadsheet would run as "
        "formulas start with '). Null unless you are on its sender's side."
    )
    async def council_results_csv(
        self, info: Info, id: strawberry.ID, encoding: CsvEncoding = CsvEncoding.CP932
    ) -> SurveyCsv | None:
        principal = require_authenticated(principal_of(info))
        departments = await viewer_departments(context_of(info))

        def make() -> surveys.CsvFile | None:
            request = council.access_council_request_by_id(principal, id, departments)
            if request is None or not council.is_sender_side(principal, request):
                return None
            deliveries = council.deliveries_by_request(principal, [request])[request.id]
            return surveys.council_results_csv(request, deliveries, encoding=str(encoding.value))

        made = await sync_to_async(make)()
        return None if made is None else _csv_payload(made)

    @strawberry.field(description="Your municipality's designated contacts, by purpose.")
    async def council_contacts(self, info: Info) -> list[CouncilContactType]:
        principal = require_authenticated(principal_of(info))

        def fetch() -> list[CouncilContact]:
            return list(CouncilContact.objects.for_principal(principal).order_by("purpose"))

        return await sync_to_async(fetch)()  # type: ignore[return-value]


@strawberry.type
class Query(NoticeQuery, CirculationQuery, SurveyQuery, CouncilQuery):
    pass
