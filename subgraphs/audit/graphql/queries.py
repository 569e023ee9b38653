"""Read side of the audit subgraph: a tenant administrator's view of their municipality's
trail. Operators see every chain with ``yui audit``."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry
from asgiref.sync import sync_to_async
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.audit import actions
from subgraphs.audit.graphql.types import AuditCsvExport, AuditRecordPage, AuditRecordType
from subgraphs.core.graphql.context import principal_of
from subgraphs.core.graphql.errors import BAD_USER_INPUT, require_tenant_admin

MAX_PAGE_SIZE = 200
MAX_EXPORT_ROWS = 100_000


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"a:{seq}".encode()).decode()


def _seq_of(cursor: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        seq = int(number)
    except (ValueError, UnicodeDecodeError) as exc:
        raise GraphQLError("Invalid cursor.", extensions={"code": BAD_USER_INPUT}) from exc
    if kind != "a" or seq < 1:
        raise GraphQLError("Invalid cursor.", extensions={"code": BAD_USER_INPUT})
    return seq


def _check_period(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and until <= since:
        raise GraphQLError("until must be after since.", extensions={"code": BAD_USER_INPUT})


@strawberry.type
class Query:
    @strawberry.field(
        description="Your municipality's audit trail, newest first (tenant administrators)."
    )
    async def audit_records(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        actor: str | None = None,
    ) -> AuditRecordPage:
        principal = require_tenant_admin(principal_of(info))
        if not 1 <= first <= MAX_PAGE_SIZE:
            raise GraphQLError(
                f"first is 1 to {MAX_PAGE_SIZE}.", extensions={"code": BAD_USER_INPUT}
            )
        _check_period(since, until)
        before_seq = _seq_of(after) if after else None

        def fetch() -> AuditRecordPage:
            qs = actions.records_of(
                principal.tenant_id, action=action, since=since, until=until, actor=actor
            )
            total = qs.count()
            if before_seq is not None:
                qs = qs.filter(seq__lt=before_seq)
            rows = list(qs[: first + 1])
            more = len(rows) > first
            rows = rows[:first]
            return AuditRecordPage(
                total_count=total,
                records=[AuditRecordType.from_model(r) for r in rows],
                next_cursor=_cursor(rows[-1].seq) if more and rows else None,
            )

        return await sync_to_async(fetch)()

    @strawberry.field(
        description="Your municipality's audit trail as CSV for Excel (tenant administrators)."
    )
    async def export_audit_csv(
        self,
        info: Info,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        encoding: str = "cp932",
        actor: str | None = None,
    ) -> AuditCsvExport:
        principal = require_tenant_admin(principal_of(info))
        _check_period(since, until)
        if encoding not in {"cp932", "utf-8", "utf-8-sig"}:
            raise GraphQLError(
                "encoding is cp932, utf-8 or utf-8-sig.", extensions={"code": BAD_USER_INPUT}
            )

        def build() -> AuditCsvExport:
            qs = actions.records_of(
                principal.tenant_id, action=action, since=since, until=until, actor=actor
            )
            if qs.count() > MAX_EXPORT_ROWS:
                raise GraphQLError(
                    f"More than {MAX_EXPORT_ROWS} records: choose a shorter period.",
                    extensions={"code": BAD_USER_INPUT},
                )
            data = actions.export_csv(qs.order_by("seq").iterator(chunk_size=2000), encoding)
            return AuditCsvExport(
                filename="audit.csv",
                encoding=encoding,
                content_base64=base64.b64encode(data).decode(),
            )

        return await sync_to_async(build)()
