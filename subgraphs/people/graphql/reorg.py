"""GraphQL of staged reorganisations (人事異動), administrators only: list, preview, stage,
edit, withdraw. Thin: parse, call ``subgraphs.people.reorg``, shape the result."""

from __future__ import annotations

import base64
import binascii
import datetime
import enum

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.graphql.context import principal_of
from subgraphs.core.graphql.errors import require_tenant_admin
from subgraphs.core.principal import Principal
from subgraphs.people import access, reorg
from subgraphs.people.csv_io import ERROR_CODES
from subgraphs.people.models import Reorganisation


@strawberry.enum(name="ReorganisationState")
class ReorganisationState(enum.Enum):
    SCHEDULED = "scheduled"
    APPLIED = "applied"
    WITHDRAWN = "withdrawn"
    FAILED = "failed"


@strawberry.type(name="ReorganisationError", description="A problem of a file or of the change.")
class ReorganisationErrorType:
    code: str = strawberry.field(
        description="The import's codes ("
        + ", ".join(ERROR_CODES)
        + ") for a file's rows, or "
        + ", ".join(reorg.REORG_ERROR_CODES)
        + "."
    )
    message: str
    file: str | None = strawberry.field(description="organizations or staff; null: the change.")
    line: int | None = strawberry.field(description="Line in that file (the header is line 1).")
    column: str | None


@strawberry.type(name="Reorganisation", description="A staged personnel change (人事異動).")
class ReorganisationType:
    id: strawberry.ID
    effective_date: datetime.date = strawberry.field(
        description="The day it takes effect, from 00:00 Japan time."
    )
    state: ReorganisationState
    organizations_filename: str
    staff_filename: str
    deactivate_missing_staff: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime
    applied_at: datetime.datetime | None
    withdrawn_at: datetime.datetime | None
    errors: list[ReorganisationErrorType] = strawberry.field(
        description="Why it failed on its day (state FAILED); empty otherwise."
    )

    @classmethod
    def of(cls, row: Reorganisation) -> ReorganisationType:
        return cls(
            id=strawberry.ID(str(row.id)),
            effective_date=row.effective_date,
            state=ReorganisationState(row.state),
            organizations_filename=row.organizations_filename,
            staff_filename=row.staff_filename,
            deactivate_missing_staff=row.deactivate_missing_staff,
            created_at=row.created_at,
            updated_at=row.updated_at,
            applied_at=row.applied_at,
            withdrawn_at=row.withdrawn_at,
            errors=[ReorganisationErrorType(**e) for e in (row.result or {}).get("errors", [])],
        )


@strawberry.type(name="ReorganisationMove", description="A person whose main department changes.")
class MoveType:
    login_id: str
    name: str
    from_code: str
    from_name: str
    to_code: str
    to_name: str


@strawberry.type(name="ReorganisationDepartment", description="A department the change touches.")
class DepartmentChangeType:
    code: str
    name: str
    before_name: str = strawberry.field(description="Renamed: the name until the day.")
    into_code: str = strawberry.field(description="Merged: the department it merges into.")
    into_name: str


@strawberry.type(name="ReorganisationPerson", description="A person joining or leaving.")
class PersonLineType:
    login_id: str
    name: str


@strawberry.type(
    name="ReorganisationPreview",
    description="What the change does to the data as it is now (computed when asked).",
)
class PreviewType:
    moves: list[MoveType]
    added_departments: list[DepartmentChangeType]
    renamed_departments: list[DepartmentChangeType]
    merged_departments: list[DepartmentChangeType] = strawberry.field(
        description="Closed, their staff moving to `intoCode` (the department most of them "
        "move to), which takes over their facilities, shared mailboxes and notice rights."
    )
    closed_departments: list[DepartmentChangeType] = strawberry.field(
        description="Closed, nobody moving from them."
    )
    joining: list[PersonLineType]
    leaving: list[PersonLineType]
    errors: list[ReorganisationErrorType]

    @classmethod
    def of(cls, p: reorg.Preview) -> PreviewType:
        def departments(changes: list[reorg.DepartmentChange]) -> list[DepartmentChangeType]:
            return [DepartmentChangeType(**c.__dict__) for c in changes]

        return cls(
            moves=[MoveType(**m.__dict__) for m in p.moves],
            added_departments=departments(p.added),
            renamed_departments=departments(p.renamed),
            merged_departments=departments(p.merged),
            closed_departments=departments(p.closed),
            joining=[PersonLineType(login_id=k, name=n) for k, n in p.joined],
            leaving=[PersonLineType(login_id=k, name=n) for k, n in p.left],
            errors=_errors(p.errors),
        )


def _errors(errors: list[reorg.ReorgError]) -> list[ReorganisationErrorType]:
    return [ReorganisationErrorType(**e.__dict__) for e in errors]


@strawberry.type(name="ReorganisationPayload")
class ReorganisationPayload:
    reorganisation: ReorganisationType | None
    preview: PreviewType | None = strawberry.field(
        description="What it will do, as checked now (also when a file has errors)."
    )
    errors: list[ReorganisationErrorType]

    @classmethod
    def of(cls, outcome: reorg.StageOutcome) -> ReorganisationPayload:
        row = outcome.reorganisation
        return cls(
            reorganisation=ReorganisationType.of(row) if row is not None and outcome.ok else None,
            preview=PreviewType.of(outcome.preview) if outcome.preview is not None else None,
            errors=_errors(outcome.errors),
        )


@strawberry.input(name="ReorganisationFileInput")
class FileInput:
    content_base64: str = strawberry.field(description="The file's bytes, base64-encoded.")
    filename: str = ""
    encoding: str | None = strawberry.field(
        default=None, description="cp932, utf-8 or utf-8-sig; detected when left out."
    )


@strawberry.input(name="StageReorganisationInput")
class StageInput:
    effective_date: datetime.date
    organizations: FileInput = strawberry.field(description="Next year's organisation CSV.")
    staff: FileInput = strawberry.field(description="Next year's staff CSV.")
    deactivate_missing_staff: bool = strawberry.field(
        default=True, description="Staff of the HR file it does not list leave on the day."
    )


@strawberry.input(name="EditReorganisationInput")
class EditInput:
    id: strawberry.ID
    effective_date: datetime.date | None = None
    organizations: FileInput | None = None
    staff: FileInput | None = None
    deactivate_missing_staff: bool | None = None


class _BadFile(Exception):
    pass


def _file(given: FileInput | None) -> reorg.CsvFile | None:
    if given is None:
        return None
    try:
        data = base64.b64decode(given.content_base64, validate=True)
    except (binascii.Error, ValueError) as e:
        raise _BadFile from e
    return reorg.CsvFile(data=data, encoding=given.encoding, filename=given.filename)


def _bad_file() -> ReorganisationPayload:
    error = reorg.ReorgError("BAD_ENCODING", "contentBase64 is not base64.")
    return ReorganisationPayload(reorganisation=None, preview=None, errors=_errors([error]))


def _own_login(principal: Principal) -> list[str]:
    """The administrator's own login: a change may not make them leave (SELF_DEACTIVATION)."""
    me = access.access_person_by_id(principal, principal.person_id)
    return [me.login_id] if me else []


@strawberry.type
class ReorgQuery:
    @strawberry.field(description="Staged personnel changes, latest date first (administrators).")
    async def reorganisations(self, info: Info) -> list[ReorganisationType]:
        principal = require_tenant_admin(principal_of(info))

        def run() -> list[ReorganisationType]:
            rows = Reorganisation.objects.for_principal(principal).defer(
                "organizations_csv", "staff_csv"
            )
            return [ReorganisationType.of(r) for r in rows]

        return await sync_to_async(run)()

    @strawberry.field(
        description="What a staged change would do if applied now (administrators); null: "
        "no such change in your municipality."
    )
    async def reorganisation_preview(self, info: Info, id: strawberry.ID) -> PreviewType | None:
        principal = require_tenant_admin(principal_of(info))

        def run() -> PreviewType | None:
            row = reorg.access_reorganisation(principal, id)
            if row is None:
                return None
            return PreviewType.of(reorg.preview(row, _own_login(principal)))

        return await sync_to_async(run)()


@strawberry.type
class ReorgMutation:
    @strawberry.mutation(
        description="Stage next year's organisation and staff files for a date (administrators): "
        "checked against today's data, nothing changes until the day."
    )
    async def stage_reorganisation(self, info: Info, input: StageInput) -> ReorganisationPayload:
        principal = require_tenant_admin(principal_of(info))
        try:
            organizations, staff = _file(input.organizations), _file(input.staff)
        except _BadFile:
            return _bad_file()
        assert organizations is not None and staff is not None

        def run() -> reorg.StageOutcome:
            return reorg.do_stage(
                principal,
                input.effective_date,
                organizations,
                staff,
                deactivate_missing_staff=input.deactivate_missing_staff,
                protected_login_ids=_own_login(principal),
            )

        return ReorganisationPayload.of(await sync_to_async(run)())

    @strawberry.mutation(
        description="Replace a file, the date or the leavers' rule of a staged change."
    )
    async def edit_reorganisation(self, info: Info, input: EditInput) -> ReorganisationPayload:
        principal = require_tenant_admin(principal_of(info))
        try:
            organizations, staff = _file(input.organizations), _file(input.staff)
        except _BadFile:
            return _bad_file()

        def run() -> reorg.StageOutcome:
            return reorg.do_edit(
                principal,
                input.id,
                effective_date=input.effective_date,
                organizations=organizations,
                staff=staff,
                deactivate_missing_staff=input.deactivate_missing_staff,
                protected_login_ids=_own_login(principal),
            )

        return ReorganisationPayload.of(await sync_to_async(run)())

    @strawberry.mutation(description="Withdraw a staged change: it will not be applied.")
    async def withdraw_reorganisation(self, info: Info, id: strawberry.ID) -> ReorganisationPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(reorg.do_withdraw)(principal, id)
        return ReorganisationPayload.of(outcome)
