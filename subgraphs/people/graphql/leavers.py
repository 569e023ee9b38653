"""GraphQL of leavers (退職), administrators only: the report of what was removed and what is
kept and why, the decision for a leaver's personal mailbox, the retention period. Thin:
parse, call ``subgraphs.people.leavers``, shape the result."""

from __future__ import annotations

import datetime
import enum

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.graphql.context import principal_of
from subgraphs.core.graphql.errors import require_tenant_admin
from subgraphs.core.principal import Principal
from subgraphs.people import access, leavers
from subgraphs.people.graphql.types import PeopleErrorType


@strawberry.enum(name="LeaverMailbox", description="What happens to a leaver's personal mailbox.")
class LeaverMailbox(enum.Enum):
    UNDECIDED = ""
    HANDOVER = "handover"
    ARCHIVE = "archive"


@strawberry.type(name="LeaverDataCount", description="Personal data removed: kind and rows.")
class LeaverDataCount:
    kind: str = strawberry.field(
        description="email, extension, password, roles, groups, access_tokens, sessions, "
        "presence, calendar_feeds"
    )
    count: int


@strawberry.type(name="LeaverKept", description="What is kept of a leaver, and why.")
class LeaverKept:
    kind: str
    reason: str


@strawberry.type(name="Leaver", description="Someone who left (退職) and where their data stands.")
class LeaverType:
    person_id: strawberry.ID
    login_id: str
    name: str
    left_at: datetime.datetime
    purge_due_at: datetime.datetime = strawberry.field(
        description="When their personal data is removed (or was due)."
    )
    purged_at: datetime.datetime | None
    mailbox: LeaverMailbox
    successor_name: str | None
    removed: list[LeaverDataCount]
    kept: list[LeaverKept]

    @classmethod
    def of(cls, row: leavers.LeaverReport) -> LeaverType:
        leaver = row.leaver
        return cls(
            person_id=strawberry.ID(str(leaver.person_id)),
            login_id=leaver.person.login_id,
            name=leaver.person.name,
            left_at=leaver.left_at,
            purge_due_at=row.purge_due_at,
            purged_at=leaver.purged_at,
            mailbox=LeaverMailbox(leaver.mailbox),
            successor_name=leaver.successor.name if leaver.successor else None,
            removed=[LeaverDataCount(kind=k, count=n) for k, n in row.removed.items()],
            kept=[LeaverKept(kind=k, reason=r) for k, r in row.kept],
        )


@strawberry.type(name="LeaverReport")
class LeaverReportType:
    retention_days: int = strawberry.field(
        description="Days a leaver's personal data is kept (this municipality's setting)."
    )
    retention_is_default: bool = strawberry.field(
        description="True: the deployment's YUI_LEAVER_RETENTION_DAYS applies."
    )
    leavers: list[LeaverType]


@strawberry.type(name="LeaverPayload")
class LeaverPayload:
    leaver: LeaverType | None
    errors: list[PeopleErrorType]


@strawberry.type(name="LeaverRetentionPayload")
class LeaverRetentionPayload:
    report: LeaverReportType | None
    errors: list[PeopleErrorType]


def _report(principal: Principal) -> LeaverReportType:
    tenant = access.access_tenant(principal)
    assert tenant is not None  # an administrator's principal always names a tenant
    return LeaverReportType(
        retention_days=leavers.retention_days(tenant),
        retention_is_default=tenant.leaver_retention_days is None,
        leavers=[LeaverType.of(row) for row in leavers.report(tenant)],
    )


def _refused(error: leavers.LeaverError) -> list[PeopleErrorType]:
    return [PeopleErrorType(code=error.code, message=str(error), field=error.field)]


@strawberry.type
class LeaversQuery:
    @strawberry.field(
        description="Leavers (退職) of your municipality: what was removed, what is kept and "
        "why (tenant administrators)."
    )
    async def leaver_report(self, info: Info) -> LeaverReportType:
        principal = require_tenant_admin(principal_of(info))
        return await sync_to_async(_report)(principal)


@strawberry.type
class LeaversMutation:
    @strawberry.mutation(
        description="Hand a leaver's personal mailbox over to a colleague or archive it "
        "(tenant administrators); done at once."
    )
    async def decide_leaver_mailbox(
        self,
        info: Info,
        person_id: strawberry.ID,
        mailbox: LeaverMailbox,
        successor_id: strawberry.ID | None = None,
    ) -> LeaverPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> LeaverPayload:
            person = access.access_person_by_id(principal, person_id)
            if person is None:
                return LeaverPayload(
                    leaver=None,
                    errors=_refused(
                        leavers.LeaverError("NOT_FOUND", "No such person.", "personId")
                    ),
                )
            successor = None
            if successor_id is not None:
                successor = access.access_person_by_id(principal, successor_id)
                if successor is None:
                    return LeaverPayload(
                        leaver=None,
                        errors=_refused(
                            leavers.LeaverError("NOT_FOUND", "No such person.", "successorId")
                        ),
                    )
            try:
                leavers.do_decide_mailbox(principal, person, mailbox.value, successor)
            except leavers.LeaverError as error:
                return LeaverPayload(leaver=None, errors=_refused(error))
            row = next(r for r in leavers.report(person.tenant) if r.leaver.person_id == person.id)
            return LeaverPayload(leaver=LeaverType.of(row), errors=[])

        return await sync_to_async(run)()

    @strawberry.mutation(
        description="How many days a leaver's personal data is kept; null: the deployment's "
        "default (tenant administrators)."
    )
    async def set_leaver_retention(
        self, info: Info, days: int | None = None
    ) -> LeaverRetentionPayload:
        principal = require_tenant_admin(principal_of(info))

        def run() -> LeaverRetentionPayload:
            tenant = access.access_tenant(principal)
            assert tenant is not None
            try:
                leavers.do_set_retention(principal, tenant, days)
            except leavers.LeaverError as error:
                return LeaverRetentionPayload(report=None, errors=_refused(error))
            return LeaverRetentionPayload(report=_report(principal), errors=[])

        return await sync_to_async(run)()
