"""Write side of the notices subgraph: parse input, call one do_*, shape the result."""

from __future__ import annotations

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated, require_tenant_admin
from subgraphs.notices import actions, directory
from subgraphs.notices.actions import NoticeError
from subgraphs.notices.graphql.inputs import CreateNoticeCategoryInput, PostNoticeInput
from subgraphs.notices.graphql.types import (
    NoticeCategoryType,
    NoticeErrorType,
    NoticeType,
    ReminderType,
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


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add a category of the board (administrators).")
    async def create_notice_category(
        self, info: Info, input: CreateNoticeCategoryInput
    ) -> NoticeCategoryPayload:
        principal = require_tenant_admin(principal_of(info))
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
        audience, errors = directory.parse_audience(
            input.audience.everyone,
            [(d.id, d.include_sub_departments) for d in input.audience.departments],
            input.audience.group_ids,
            input.audience.person_ids,
        )
        if audience is None:
            return NoticePayload(notice=None, errors=_errors(errors))
        expansion = await directory.expand_audience(principal, audience)
        if expansion.errors:
            return NoticePayload(notice=None, errors=_errors(expansion.errors))
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
