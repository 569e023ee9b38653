"""GraphQL types of the audit subgraph."""

from __future__ import annotations

import json

import strawberry

from subgraphs.audit.models import AuditRecord


@strawberry.type(name="AuditRecord", description="One entry of the audit trail (監査ログ).")
class AuditRecordType:
    seq: int = strawberry.field(description="Position in the municipality's chain (1, 2, ...).")
    at: str = strawberry.field(description="When, as an ISO 8601 UTC time.")
    actor_id: strawberry.ID | None
    actor: str = strawberry.field(description="Login ID and name at the time; '' if unknown.")
    address: str = strawberry.field(description="The client's network address.")
    action: str = strawberry.field(description="What was done, e.g. person.roles, signin.failed.")
    target_type: str
    target_id: str
    summary: str
    before: str | None = strawberry.field(description="State before, as JSON text.")
    after: str | None = strawberry.field(description="State after, as JSON text.")
    hash: str

    @classmethod
    def from_model(cls, rec: AuditRecord) -> AuditRecordType:
        return cls(
            seq=rec.seq,
            at=rec.at.isoformat(),
            actor_id=strawberry.ID(str(rec.actor_id)) if rec.actor_id else None,
            actor=rec.actor,
            address=rec.address,
            action=rec.action,
            target_type=rec.target_type,
            target_id=rec.target_id,
            summary=rec.summary,
            before=None if rec.before is None else json.dumps(rec.before, ensure_ascii=False),
            after=None if rec.after is None else json.dumps(rec.after, ensure_ascii=False),
            hash=rec.hash,
        )


@strawberry.type(name="AuditRecordPage")
class AuditRecordPage:
    total_count: int
    records: list[AuditRecordType]
    next_cursor: str | None = strawberry.field(
        description="Pass as ``after`` for the next (older) page; null on the last page."
    )


@strawberry.type(name="AuditCsvExport")
class AuditCsvExport:
    filename: str
    encoding: str
    content_base64: str = strawberry.field(description="The file's bytes, base64-encoded.")
