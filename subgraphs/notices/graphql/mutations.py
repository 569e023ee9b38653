"""Write side of the notices subgraph: parse input, call one do_*, shape the result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core import peers
from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated, require_tenant_admin
from subgraphs.core.principal import Principal
from subgraphs.notices import actions, council, directory
from subgraphs.notices.actions import NoticeError
from subgraphs.notices.graphql.inputs import (
    AudienceInput,
    CreateNoticeCategoryInput,
    CreateSurveyInput,
    PostNoticeInput,
    SaveCirculationInput,
    SendCouncilRequestInput,
    SurveyAnswerInput,
    UpdateNoticeInput,
)
from subgraphs.notices.graphql.loaders import viewer_departments
from subgraphs.notices.graphql.types import (
    CirculationType,
    CouncilContactType,
    CouncilPurposeEnum,
    CouncilRequestType,
    NoticeCategoryType,
    NoticeErrorType,
    NoticeType,
    PersonType,
    ReminderType,
    SurveyType,
    ViewerDepartments,
)


def _errors(errors: list[NoticeError] | list[directory.AudienceError]) -> list[NoticeErrorType]:
    return [NoticeErrorType(code=e.code, message=e.message, field=e.field) for e in errors]


@strawberry.type(name="NoticePayload")
class NoticePayload:
    notice: NoticeType | None = strawberry.field(
        description="The notice as it now is; null when errors say why nothing changed."
    )
    errors: list[NoticeErrorType]


@strawberry.type(name="NoticeCategoryPayload")
class NoticeCategoryPayload:
    category: NoticeCategoryType | None
    errors: list[NoticeErrorType]


@strawberry.type(name="RemindNoticePayload")
class RemindNoticePayload:
    reminder: ReminderType | None = strawberry.field(
        description="The reminder and whom it reached; null when errors say why none went."
    )
    errors: list[NoticeErrorType]


def _parsed_audience(
    given: AudienceInput,
) -> tuple[directory.Audience | None, list[directory.AudienceError]]:
    return directory.parse_audience(
        given.everyone,
        [(d.id, d.include_sub_departments) for d in given.departments],
        given.group_ids,
        given.person_ids,
    )


async def _recipients(
    principal: Principal, given: AudienceInput
) -> tuple[tuple[directory.Audience, directory.Expansion] | None, list[Any]]:
    """The audience a form names, checked and expanded through people (None: errors say why)."""
    audience, errors = _parsed_audience(given)
    if audience is None:
        return None, list(errors)
    expansion = await directory.expand_audience(principal, audience)
    if expansion.errors:
        return None, list(expansion.errors)
    return (audience, expansion), []


@strawberry.type
class NoticeMutation:
    @strawberry.mutation(description="Add a category of the board (administrators).")
    async def create_notice_category(
        self, info: Info, input: CreateNoticeCategoryInput
    ) -> NoticeCategoryPayload:
        principal = require_tenant_admin(principal_of(info))
        if len(input.poster_department_ids) > directory.MAX_DIRECTORY_IDS:
            message = f"Give at most {directory.MAX_DIRECTORY_IDS} departments."
            error = NoticeErrorType(code="TOO_MANY", message=message, field="posterDepartmentIds")
            return NoticeCategoryPayload(category=None, errors=[error])
        unknown = await directory.unknown_departments(principal, input.poster_department_ids)
        if unknown:
            message = f"No department {unknown[0]} in your municipality."
            error = NoticeErrorType(code="NOT_FOUND", message=message, field="posterDepartmentIds")
            return NoticeCategoryPayload(category=None, errors=[error])
        outcome = await sync_to_async(actions.do_create_category)(
            principal,
            {
                "name": input.name,
                "sort_order": input.sort_order,
                "poster_roles": input.poster_roles,
                "poster_department_ids": input.poster_department_ids,
            },
        )
        return NoticeCategoryPayload(category=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Post a notice; its audience is expanded through people now, and each "
        "recipient hears of it (noticeEvents) once its posting period starts."
    )
    async def post_notice(self, info: Info, input: PostNoticeInput) -> NoticePayload:
        principal = require_authenticated(principal_of(info))
        recipients, errors = await _recipients(principal, input.audience)
        if recipients is None:
            return NoticePayload(notice=None, errors=_errors(errors))
        audience, expansion = recipients
        departments = await context_of(info).loader(ViewerDepartments).get()
        outcome = await sync_to_async(actions.do_post_notice)(
            principal,
            {
                "category_id": input.category_id,
                "title": input.title,
                "body": input.body,
                "importance": input.importance.value,
                "starts_at": input.starts_at,
                "ends_at": input.ends_at,
                "pinned": input.pinned,
            },
            audience,
            expansion.person_ids,
            departments,
            input.attachment_ids,
        )
        return NoticePayload(notice=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Change a posted notice (its author or an administrator; the category "
        "stays). Recipients keep their read state unless significantChange."
    )
    async def update_notice(self, info: Info, input: UpdateNoticeInput) -> NoticePayload:
        principal = require_authenticated(principal_of(info))
        recipients, errors = await _recipients(principal, input.audience)
        if recipients is None:
            return NoticePayload(notice=None, errors=_errors(errors))
        audience, expansion = recipients
        outcome = await sync_to_async(actions.do_update_notice)(
            principal,
            input.id,
            {
                "title": input.title,
                "body": input.body,
                "importance": input.importance.value,
                "starts_at": input.starts_at,
                "ends_at": input.ends_at,
                "pinned": input.pinned,
            },
            audience,
            expansion.person_ids,
            input.attachment_ids,
            significant=input.significant_change,
        )
        return NoticePayload(notice=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(description="Record that you have read a notice (the first time counts).")
    async def mark_notice_read(self, info: Info, id: strawberry.ID) -> NoticePayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_mark_notice_read)(principal, id)
        return NoticePayload(notice=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Remind those who have not read a notice, and only them (its author or "
        "an administrator, within its posting period)."
    )
    async def remind_notice(self, info: Info, id: strawberry.ID) -> RemindNoticePayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_remind_notice)(principal, id)
        return RemindNoticePayload(reminder=outcome.obj, errors=_errors(outcome.errors))


@strawberry.type(name="CirculationPayload")
class CirculationPayload:
    circulation: CirculationType | None = strawberry.field(
        description="The circulation as it now is; null when errors say why nothing changed."
    )
    errors: list[NoticeErrorType]


@strawberry.type(name="RemindCirculationPayload")
class RemindCirculationPayload:
    circulation: CirculationType | None
    reminded: list[PersonType] = strawberry.field(description="The unconfirmed it reached.")
    errors: list[NoticeErrorType]


def _circulation(outcome: actions.Outcome) -> CirculationPayload:
    return CirculationPayload(circulation=outcome.obj, errors=_errors(outcome.errors))


@strawberry.type
class CirculationMutation:
    @strawberry.mutation(
        description="Save a circulation as a draft (new, or one of your drafts), and with "
        "send: true send it: its audience is expanded through people now."
    )
    async def save_circulation(self, info: Info, input: SaveCirculationInput) -> CirculationPayload:
        principal = require_authenticated(principal_of(info))
        audience, errors = _parsed_audience(input.audience)
        if audience is None and (input.send or errors[0].code != "NO_RECIPIENTS"):
            return CirculationPayload(circulation=None, errors=_errors(errors))
        # A draft may have no audience yet.
        outcome = await sync_to_async(actions.do_save_circulation_draft)(
            principal,
            {"title": input.title, "body": input.body},
            audience or directory.Audience(),
            input.id,
            input.attachment_ids,
        )
        if not outcome.ok or not input.send:
            return _circulation(outcome)
        return await _send(principal, outcome.obj.id)

    @strawberry.mutation(description="Send one of your drafts to its audience.")
    async def send_circulation(self, info: Info, id: strawberry.ID) -> CirculationPayload:
        return await _send(require_authenticated(principal_of(info)), id)

    @strawberry.mutation(description="You opened it: it leaves your 新着 folder.")
    async def open_circulation(self, info: Info, id: strawberry.ID) -> CirculationPayload:
        principal = require_authenticated(principal_of(info))
        return _circulation(await sync_to_async(actions.do_open_circulation)(principal, id))

    @strawberry.mutation(description="Confirm (確認) it, with a comment or answer if you like.")
    async def confirm_circulation(
        self, info: Info, id: strawberry.ID, comment: str | None = None
    ) -> CirculationPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_confirm_circulation)(principal, id, comment)
        return _circulation(outcome)

    @strawberry.mutation(description="Comment or answer (recipients and sender), until completed.")
    async def comment_on_circulation(
        self, info: Info, id: strawberry.ID, body: str
    ) -> CirculationPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_comment_on_circulation)(principal, id, body)
        return _circulation(outcome)

    @strawberry.mutation(description="Remind those who have not confirmed, and only them.")
    async def remind_circulation(self, info: Info, id: strawberry.ID) -> RemindCirculationPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_remind_circulation)(principal, id)
        if not outcome.ok:
            return RemindCirculationPayload(
                circulation=None, reminded=[], errors=_errors(outcome.errors)
            )
        circulation, people = outcome.obj
        return RemindCirculationPayload(
            circulation=circulation,
            reminded=[PersonType(id=strawberry.ID(str(p))) for p in people],
            errors=[],
        )

    @strawberry.mutation(description="Complete it (the sender): no more confirmations or comments.")
    async def complete_circulation(self, info: Info, id: strawberry.ID) -> CirculationPayload:
        principal = require_authenticated(principal_of(info))
        return _circulation(await sync_to_async(actions.do_complete_circulation)(principal, id))

    @strawberry.mutation(description="Put it on (or take it off) your watch list.")
    async def set_circulation_watch(
        self, info: Info, id: strawberry.ID, watching: bool
    ) -> CirculationPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_set_circulation_watch)(principal, id, watching)
        return _circulation(outcome)


async def _send(principal: Principal, circulation_id: object) -> CirculationPayload:
    found = await sync_to_async(actions.circulation_audience)(principal, circulation_id)
    if not found.ok:
        return _circulation(found)
    if found.obj.is_empty:
        message = "Choose who it is for."
        return CirculationPayload(
            circulation=None,
            errors=[NoticeErrorType(code="NO_RECIPIENTS", message=message, field="audience")],
        )
    expansion = await directory.expand_audience(principal, found.obj)
    if expansion.errors:
        return CirculationPayload(circulation=None, errors=_errors(expansion.errors))
    outcome = await sync_to_async(actions.do_send_circulation)(
        principal, circulation_id, expansion.person_ids
    )
    return _circulation(outcome)


@strawberry.type(name="SurveyPayload")
class SurveyPayload:
    survey: SurveyType | None = strawberry.field(
        description="The survey as it now is; null when errors say why nothing changed."
    )
    errors: list[NoticeErrorType]


def _survey(outcome: actions.Outcome) -> SurveyPayload:
    return SurveyPayload(survey=outcome.obj, errors=_errors(outcome.errors))


@strawberry.type
class SurveyMutation:
    @strawberry.mutation(
        description="Create a survey; its audience is expanded through people now, and each "
        "recipient hears of it (surveyEvents) when it opens now."
    )
    async def create_survey(self, info: Info, input: CreateSurveyInput) -> SurveyPayload:
        principal = require_authenticated(principal_of(info))
        recipients, errors = await _recipients(principal, input.audience)
        if recipients is None:
            return SurveyPayload(survey=None, errors=_errors(errors))
        audience, expansion = recipients
        outcome = await sync_to_async(actions.do_create_survey)(
            principal,
            {
                "title": input.title,
                "description": input.description,
                "anonymous": input.anonymous,
                "opens_at": input.opens_at,
                "closes_at": input.closes_at,
            },
            [
                {"kind": q.kind.value, "text": q.text, "required": q.required, "choices": q.choices}
                for q in input.questions
            ],
            audience,
            expansion.person_ids,
        )
        return _survey(outcome)

    @strawberry.mutation(
        description="Answer a survey (all answers at once); again to change them, until it "
        "closes (then SURVEY_CLOSED)."
    )
    async def answer_survey(
        self, info: Info, id: strawberry.ID, answers: list[SurveyAnswerInput]
    ) -> SurveyPayload:
        principal = require_authenticated(principal_of(info))
        given: list[Mapping[str, Any]] = [
            {
                "question_id": a.question_id,
                "choices": a.choices,
                "text": a.text,
                "number": a.number,
                "date": a.date,
            }
            for a in answers
        ]
        return _survey(await sync_to_async(actions.do_answer_survey)(principal, id, given))

    @strawberry.mutation(description="Close your survey now: no more answers or changes.")
    async def close_survey(self, info: Info, id: strawberry.ID) -> SurveyPayload:
        principal = require_authenticated(principal_of(info))
        return _survey(await sync_to_async(actions.do_close_survey)(principal, id))


# --- across the council -------------------------------------------------------------------

MY_TENANT = "{ tenant { code name council { id name } } }"
MY_NAME = "{ me { name } }"


@strawberry.type(name="CouncilContactPayload")
class CouncilContactPayload:
    contact: CouncilContactType | None = strawberry.field(
        description="The contact as it now is; null when cleared or when errors say why not."
    )
    errors: list[NoticeErrorType]


@strawberry.type(name="CouncilRequestPayload")
class CouncilRequestPayload:
    request: CouncilRequestType | None = strawberry.field(
        description="The request as it now is; null when errors say why nothing changed."
    )
    errors: list[NoticeErrorType]


def _council(outcome: actions.Outcome) -> CouncilRequestPayload:
    return CouncilRequestPayload(request=outcome.obj, errors=_errors(outcome.errors))


def _answers(answers: list[SurveyAnswerInput]) -> list[Mapping[str, Any]]:
    return [
        {
            "question_id": a.question_id,
            "choices": a.choices,
            "text": a.text,
            "number": a.number,
            "date": a.date,
        }
        for a in answers
    ]


@strawberry.type
class CouncilMutation:
    @strawberry.mutation(
        description="Name your municipality's contact for a purpose: a department whose staff "
        "receive and answer council requests of that purpose (administrators). No "
        "departmentId clears it."
    )
    async def set_council_contact(
        self, info: Info, purpose: CouncilPurposeEnum, department_id: strawberry.ID | None = None
    ) -> CouncilContactPayload:
        principal = require_tenant_admin(principal_of(info))
        if department_id is not None:
            unknown = await directory.unknown_departments(principal, [department_id])
            if unknown:
                message = f"No department {unknown[0]} in your municipality."
                error = NoticeErrorType(code="NOT_FOUND", message=message, field="departmentId")
                return CouncilContactPayload(contact=None, errors=[error])
        tenant = (await peers.ask("people", principal, MY_TENANT)).get("tenant") or {}
        outcome = await sync_to_async(council.do_set_council_contact)(
            principal, str(purpose.value), department_id, tenant
        )
        return CouncilContactPayload(contact=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Send a survey or circulation to the contacts for its purpose of every "
        "municipality of your council (administrators and council liaisons)."
    )
    async def send_council_request(
        self, info: Info, input: SendCouncilRequestInput
    ) -> CouncilRequestPayload:
        principal = require_authenticated(principal_of(info))
        if not council.may_send(principal):
            message = "Only administrators and council liaisons send to the council."
            error = NoticeErrorType(code="NOT_COUNCIL_SENDER", message=message, field=None)
            return CouncilRequestPayload(request=None, errors=[error])
        tenant = (await peers.ask("people", principal, MY_TENANT)).get("tenant") or {}
        outcome = await sync_to_async(council.do_send_council_request)(
            principal,
            tenant,
            {
                "kind": input.kind.value,
                "purpose": input.purpose.value,
                "title": input.title,
                "body": input.body,
                "closes_at": input.closes_at,
            },
            [
                {"kind": q.kind.value, "text": q.text, "required": q.required, "choices": q.choices}
                for q in input.questions
            ],
        )
        return _council(outcome)

    @strawberry.mutation(
        description="Respond for your municipality (again to change it, until it closes): "
        "answers to a survey, or a confirmation with an optional comment."
    )
    async def respond_to_council_request(
        self,
        info: Info,
        id: strawberry.ID,
        comment: str | None = None,
        answers: list[SurveyAnswerInput] | None = None,
    ) -> CouncilRequestPayload:
        principal = require_authenticated(principal_of(info))
        departments = await viewer_departments(context_of(info))
        me = (await peers.ask("people", principal, MY_NAME)).get("me") or {}
        outcome = await sync_to_async(council.do_respond_to_council_request)(
            principal,
            departments,
            id,
            comment,
            _answers(answers or []),
            str(me.get("name") or ""),
        )
        return _council(outcome)

    @strawberry.mutation(description="Complete it (the sender's side): no more responses.")
    async def complete_council_request(
        self, info: Info, id: strawberry.ID
    ) -> CouncilRequestPayload:
        principal = require_authenticated(principal_of(info))
        departments = await viewer_departments(context_of(info))
        outcome = await sync_to_async(council.do_complete_council_request)(
            principal, departments, id
        )
        return _council(outcome)


@strawberry.type
class Mutation(NoticeMutation, CirculationMutation, SurveyMutation, CouncilMutation):
    pass
