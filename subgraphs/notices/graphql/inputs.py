"""Input types of the notices subgraph's mutations."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from subgraphs.notices.graphql.types import (
    CouncilPurposeEnum,
    CouncilRequestKind,
    NoticeImportance,
    SurveyQuestionKind,
)


@strawberry.input(name="AudienceDepartmentInput")
class AudienceDepartmentInput:
    id: strawberry.ID
    include_sub_departments: bool = strawberry.field(
        default=False, description="Its sub-departments' staff too (下位組織を含む)."
    )


@strawberry.input(
    name="AudienceInput",
    description="Who it is for; expanded through people when posted (later joiners are not).",
)
class AudienceInput:
    everyone: bool = strawberry.field(default=False, description="The whole municipality.")
    departments: list[AudienceDepartmentInput] = strawberry.field(default_factory=list)
    group_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    person_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(name="PostNoticeInput")
class PostNoticeInput:
    category_id: strawberry.ID
    title: str
    audience: AudienceInput
    body: str = strawberry.field(
        default="", description="HTML; scripts, handlers and javascript: links are removed."
    )
    importance: NoticeImportance = NoticeImportance.NORMAL
    starts_at: datetime | None = strawberry.field(
        default=None, description="Posted from (default: now); recipients see it from then."
    )
    ends_at: datetime | None = strawberry.field(
        default=None, description="Listed as closed from then on; none: until taken down."
    )
    pinned: bool = False
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Your uploads (POST /files/notices) to attach, in order; at most 20.",
    )


@strawberry.input(name="UpdateNoticeInput")
class UpdateNoticeInput:
    id: strawberry.ID
    title: str
    audience: AudienceInput = strawberry.field(
        description="Expanded again: new people get it unread, people left out lose it."
    )
    body: str = strawberry.field(
        default="", description="HTML; scripts, handlers and javascript: links are removed."
    )
    importance: NoticeImportance = NoticeImportance.NORMAL
    starts_at: datetime | None = strawberry.field(
        default=None, description="Posted from; none: as it was."
    )
    ends_at: datetime | None = strawberry.field(
        default=None, description="Listed as closed from then on; none: until taken down."
    )
    pinned: bool = False
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Every file it has after the change, in order: its own to keep and your "
        "new uploads; its files left out are deleted.",
    )
    significant_change: bool = strawberry.field(
        default=False,
        description="重要な変更: every recipient gets it unread again (else they keep their "
        "read state).",
    )


@strawberry.input(name="CreateNoticeCategoryInput")
class CreateNoticeCategoryInput:
    name: str
    sort_order: int = 0
    poster_roles: list[str] = strawberry.field(
        default_factory=list, description="Roles whose holders may post (e.g. staff)."
    )
    poster_department_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Departments whose staff may post. Both lists empty: everyone may.",
    )


@strawberry.input(name="SaveCirculationInput")
class SaveCirculationInput:
    id: strawberry.ID | None = strawberry.field(
        default=None, description="A draft of yours to change; none: a new circulation."
    )
    title: str = ""
    body: str = strawberry.field(
        default="", description="HTML; scripts, handlers and javascript: links are removed."
    )
    audience: AudienceInput = strawberry.field(default_factory=AudienceInput)
    send: bool = strawberry.field(
        default=False,
        description="Send it now (its audience expanded through people); else keep a draft.",
    )
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Its attachments from now on, in order: your uploads (POST "
        "/files/notices) or attachments the draft has; none keeps the draft's. At most 20.",
    )


@strawberry.input(name="SurveyQuestionInput")
class SurveyQuestionInput:
    kind: SurveyQuestionKind
    text: str
    required: bool = False
    choices: list[str] = strawberry.field(
        default_factory=list, description="For choice questions: at least two, each once."
    )


@strawberry.input(name="CreateSurveyInput")
class CreateSurveyInput:
    title: str
    audience: AudienceInput
    questions: list[SurveyQuestionInput]
    description: str = strawberry.field(
        default="", description="HTML; scripts, handlers and javascript: links are removed."
    )
    anonymous: bool = strawberry.field(
        default=False, description="The owner sees results and texts, never who answered what."
    )
    opens_at: datetime | None = strawberry.field(default=None, description="Default: now.")
    closes_at: datetime | None = strawberry.field(
        default=None, description="Answers are taken (and may be changed) until then."
    )


@strawberry.input(name="SurveyAnswerInput", description="One answer; give the field of its kind.")
class SurveyAnswerInput:
    question_id: strawberry.ID
    choices: list[int] | None = strawberry.field(
        default=None, description="Indexes of the chosen choices (choice questions)."
    )
    text: str | None = None
    number: float | None = None
    date: date | None = None


@strawberry.input(name="SendCouncilRequestInput")
class SendCouncilRequestInput:
    kind: CouncilRequestKind
    purpose: CouncilPurposeEnum = strawberry.field(
        description="Whose contacts it goes to, in every municipality of your council."
    )
    title: str
    body: str = strawberry.field(
        default="", description="HTML; scripts, handlers and javascript: links are removed."
    )
    questions: list[SurveyQuestionInput] = strawberry.field(
        default_factory=list, description="A survey's questions (a circulation has none)."
    )
    closes_at: datetime | None = strawberry.field(
        default=None, description="Responses are taken (and may be changed) until then."
    )
