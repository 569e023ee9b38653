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
from subgraphs.notices.actions import (
    CIRCULATION_EVENT_TYPE,
    EVENT_TYPE,
    SURVEY_EVENT_TYPE,
    CirculationKind,
    Kind,
    SurveyKind,
    notices_group,
)
from subgraphs.notices.council import COUNCIL_EVENT_TYPE, CouncilKind
from subgraphs.notices.graphql.loaders import (
    CirculationByIdLoader,
    CouncilRequestByIdLoader,
    MyCirculationReceiptLoader,
    MyReceiptByNoticeLoader,
    MySurveyReceiptLoader,
    NoticeByIdLoader,
    SurveyByIdLoader,
)
from subgraphs.notices.graphql.types import (
    CirculationType,
    CouncilRequestType,
    NoticeType,
    SurveyType,
)
from subgraphs.notices.models import Notice


@strawberry.enum(name="NoticeEventKind")
class NoticeEventKind(Enum):
    POSTED = strawberry.enum_value(Kind.POSTED, description="A new notice for you.")
    REMINDED = strawberry.enum_value(Kind.REMINDED, description="A reminder: you have not read it.")
    READ = strawberry.enum_value(Kind.READ, description="Someone read a notice you manage.")
    UPDATED = strawberry.enum_value(
        Kind.UPDATED, description="A notice for you (or that you manage) was changed."
    )


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


@strawberry.enum(name="CirculationEventKind")
class CirculationEventKind(Enum):
    RECEIVED = strawberry.enum_value(CirculationKind.RECEIVED, description="Sent to you.")
    CONFIRMED = strawberry.enum_value(
        CirculationKind.CONFIRMED, description="A recipient confirmed one you sent."
    )
    COMMENTED = strawberry.enum_value(CirculationKind.COMMENTED, description="A new comment.")
    REMINDED = strawberry.enum_value(
        CirculationKind.REMINDED, description="A reminder: you have not confirmed it."
    )
    COMPLETED = strawberry.enum_value(CirculationKind.COMPLETED, description="Completed.")


@strawberry.type(name="CirculationEvent", description="A hint: re-query when it matters.")
class CirculationEventType:
    kind: CirculationEventKind
    version: int
    circulation: CirculationType


async def circulation_events(
    principal: Principal,
) -> AsyncGenerator[CirculationEventType, None]:
    assert principal.tenant_id is not None
    kinds = {k for k in vars(CirculationKind) if not k.startswith("_")}
    async for event in group_messages(notices_group(principal.tenant_id)):
        kind = event.get("kind")
        circulation_id = as_uuid(event.get("circulation_id"))
        if event.get("type") != CIRCULATION_EVENT_TYPE or circulation_id is None:
            continue
        if kind not in kinds:
            continue
        context = YuiContext(principal=principal)
        listed = event.get("person_ids")
        if isinstance(listed, list):
            if str(principal.person_id) not in listed:
                continue
        elif await context.loader(MyCirculationReceiptLoader).load(circulation_id) is None:
            continue
        circulation = await context.loader(CirculationByIdLoader).load(circulation_id)
        if circulation is None:
            continue  # not visible to this subscriber
        yield CirculationEventType(
            kind=CirculationEventKind(kind),
            version=circulation.version,
            circulation=circulation,  # type: ignore[arg-type]
        )


@strawberry.enum(name="SurveyEventKind")
class SurveyEventKind(Enum):
    OPENED = strawberry.enum_value(SurveyKind.OPENED, description="A survey for you opened.")
    ANSWERED = strawberry.enum_value(
        SurveyKind.ANSWERED, description="An answer to your survey: its results changed."
    )
    CLOSED = strawberry.enum_value(SurveyKind.CLOSED, description="Your survey was closed.")


@strawberry.type(name="SurveyEvent", description="A hint: re-query results when it matters.")
class SurveyEventType:
    kind: SurveyEventKind
    version: int
    survey: SurveyType


async def survey_events(principal: Principal) -> AsyncGenerator[SurveyEventType, None]:
    """Events for the principal; each re-read with a context of its own, so an owner's
    live results (``survey { results }``) are those of that moment."""
    assert principal.tenant_id is not None
    kinds = {k for k in vars(SurveyKind) if not k.startswith("_")}
    shown: dict[uuid.UUID, int] = {}
    async for event in group_messages(notices_group(principal.tenant_id)):
        survey_id = as_uuid(event.get("survey_id"))
        kind = event.get("kind")
        if event.get("type") != SURVEY_EVENT_TYPE or survey_id is None or kind not in kinds:
            continue
        context = YuiContext(principal=principal)
        listed = event.get("person_ids")
        if isinstance(listed, list):
            if str(principal.person_id) not in listed:
                continue
        elif await context.loader(MySurveyReceiptLoader).load(survey_id) is None:
            continue
        survey = await context.loader(SurveyByIdLoader).load(survey_id)
        if survey is None or survey.version <= shown.get(survey_id, 0):
            # Not visible, or a burst of answers whose results were shown already.
            continue
        shown[survey_id] = survey.version
        yield SurveyEventType(
            kind=SurveyEventKind(kind),
            version=survey.version,
            survey=survey,  # type: ignore[arg-type]
        )


@strawberry.enum(name="CouncilRequestEventKind")
class CouncilRequestEventKind(Enum):
    RECEIVED = strawberry.enum_value(
        CouncilKind.RECEIVED, description="Your municipality received a request you handle."
    )
    RESPONDED = strawberry.enum_value(
        CouncilKind.RESPONDED,
        description="A municipality responded (to your side's request, or yours changed).",
    )
    COMPLETED = strawberry.enum_value(CouncilKind.COMPLETED, description="Completed.")


@strawberry.type(name="CouncilRequestEvent", description="A hint: re-query when it matters.")
class CouncilRequestEventType:
    kind: CouncilRequestEventKind
    version: int
    request: CouncilRequestType


async def council_request_events(
    principal: Principal,
) -> AsyncGenerator[CouncilRequestEventType, None]:
    """Events published to the principal's own municipality only; each re-read through
    the council's visibility, so a subscriber sees what a query would show them."""
    assert principal.tenant_id is not None
    kinds = {k for k in vars(CouncilKind) if not k.startswith("_")}
    async for event in group_messages(notices_group(principal.tenant_id)):
        request_id = as_uuid(event.get("council_request_id"))
        kind = event.get("kind")
        if event.get("type") != COUNCIL_EVENT_TYPE or request_id is None or kind not in kinds:
            continue
        context = YuiContext(principal=principal)
        request = await context.loader(CouncilRequestByIdLoader).load(request_id)
        if request is None:
            continue  # not one this subscriber handles
        yield CouncilRequestEventType(
            kind=CouncilRequestEventKind(kind),
            version=request.version,
            request=request,  # type: ignore[arg-type]
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

    @strawberry.subscription(
        description="Circulations sent to you, confirmations and comments on those you sent, "
        "comments on those you received, reminders to you, completions. Events are hints."
    )
    def circulation_events(self, info: Info) -> AsyncGenerator[CirculationEventType, None]:
        principal = require_authenticated(principal_of(info))
        return circulation_events(principal)

    @strawberry.subscription(
        description="Surveys for you as they open, and each answer to (or closing of) your "
        "own: select `survey { results }` for live results. Events are hints."
    )
    def survey_events(self, info: Info) -> AsyncGenerator[SurveyEventType, None]:
        principal = require_authenticated(principal_of(info))
        return survey_events(principal)

    @strawberry.subscription(
        description="Council requests your municipality received that you handle, responses "
        "to your side's requests (and changes to your own), completions. Events are hints."
    )
    def council_request_events(self, info: Info) -> AsyncGenerator[CouncilRequestEventType, None]:
        principal = require_authenticated(principal_of(info))
        return council_request_events(principal)
