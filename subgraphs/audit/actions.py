"""Writing and checking the audit trail.

``record`` is the one call an action makes (inside its own transaction, so the change and
its record commit together). Who and from where come from the request: the edge binds the
principal and the client's address for the operation (``bind_request``); a sign-in passes
them itself, and the CLI records as the operator.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from subgraphs.audit.models import DEPLOYMENT_CHAIN, AuditChainHead, AuditRecord
from subgraphs.audit.origin import bind_request, current_origin
from subgraphs.core.principal import ANONYMOUS, Principal
from subgraphs.core.spreadsheet import neutralise_formula

GENESIS = "0" * 64
__all__ = ["bind_request", "record", "record_change", "snapshot", "verify"]
JST = ZoneInfo("Asia/Tokyo")


def plain(value: Any) -> Any:
    """``value`` as JSON: UUIDs, dates and decimals as text, sets as sorted lists."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def _chain_of(tenant_id: uuid.UUID | str | None) -> str:
    return uuid.UUID(str(tenant_id)).hex if tenant_id else DEPLOYMENT_CHAIN


def _at_text(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(rec: AuditRecord) -> str:
    """SHA-256 over everything a record says, and the hash of the one before it."""
    content = {
        "chain": rec.chain,
        "seq": int(rec.seq),
        "tenant": str(rec.tenant_id) if rec.tenant_id else None,
        "at": _at_text(rec.at),
        "actor_id": str(rec.actor_id) if rec.actor_id else None,
        "actor": rec.actor,
        "address": rec.address,
        "action": rec.action,
        "target_type": rec.target_type,
        "target_id": rec.target_id,
        "summary": rec.summary,
        "before": rec.before,
        "after": rec.after,
        "prev": rec.prev_hash,
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _actor_label(person_id: uuid.UUID | None) -> str:
    if person_id is None:
        return ""
    # The audit trail names people by login ID and name as they were at the time, so a
    # record still says who it was after the account is renamed or removed.
    from subgraphs.people.models import Person

    person = Person.objects.filter(id=person_id).only("login_id", "name").first()
    return f"{person.login_id} {person.name}" if person else str(person_id)


def _locked_head(chain: str) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(chain=chain)
    except IntegrityError:
        pass  # another transaction started the chain first; take its row
    return AuditChainHead.objects.select_for_update().get(chain=chain)


def record(
    action: str,
    *,
    target: models.Model | None = None,
    tenant_id: uuid.UUID | str | None = None,
    summary: str = "",
    before: Any = None,
    after: Any = None,
    principal: Principal | None = None,
    address: str | None = None,
    actor: str | None = None,
) -> AuditRecord:
    """Append one record to its tenant's chain (the tenant of ``target`` unless given)."""
    origin = current_origin()
    if principal is None:
        principal = origin.principal
    if tenant_id is None and target is not None:
        tenant_id = getattr(target, "tenant_id", None)
    if tenant_id is None and principal is not None:
        tenant_id = principal.tenant_id
    actor_id = principal.person_id if principal is not None else None
    chain = _chain_of(tenant_id)
    with transaction.atomic():
        head = _locked_head(chain)
        rec = AuditRecord(
            chain=chain,
            seq=head.seq + 1,
            tenant_id=uuid.UUID(str(tenant_id)) if tenant_id else None,
            at=timezone.now(),
            actor_id=actor_id,
            actor=(actor if actor is not None else origin.actor) or _actor_label(actor_id),
            address=(address if address is not None else origin.address)[:100],
            action=action,
            target_type=target._meta.label if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            summary=summary[:500],
            before=plain(before),
            after=plain(after),
            prev_hash=head.hash or GENESIS,
        )
        rec.hash = record_hash(rec)
        rec.save()
        head.seq, head.hash = rec.seq, rec.hash
        head.save(update_fields=["seq", "hash"])
    return rec


# --- checking ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    chain: str
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}: {self.problem}"


def verify_chain(chain: str) -> list[ChainProblem]:
    """Every edit, deletion or insertion in one chain, found by walking it from the start."""
    problems: list[ChainProblem] = []
    expected_seq, prev = 1, GENESIS
    for rec in AuditRecord.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        if rec.seq != expected_seq:
            problems.append(
                ChainProblem(chain, expected_seq, f"missing records up to #{rec.seq - 1}")
            )
        if rec.prev_hash != prev:
            problems.append(ChainProblem(chain, rec.seq, "does not follow the record before it"))
        if record_hash(rec) != rec.hash:
            problems.append(ChainProblem(chain, rec.seq, "content does not match its hash"))
        expected_seq, prev = rec.seq + 1, rec.hash
    head = AuditChainHead.objects.filter(chain=chain).first()
    last = expected_seq - 1
    if head is None:
        if last:
            problems.append(ChainProblem(chain, last, "the chain head is missing"))
    elif head.seq != last or head.hash != (prev if last else head.hash):
        problems.append(
            ChainProblem(chain, head.seq, f"the chain ends at #{last}, its head says #{head.seq}")
        )
    return problems


def chains(tenant_id: uuid.UUID | str | None = None) -> list[str]:
    if tenant_id is not None:
        return [_chain_of(tenant_id)]
    names = set(AuditChainHead.objects.values_list("chain", flat=True))
    names |= set(AuditRecord.objects.values_list("chain", flat=True).distinct())
    return sorted(names)


def verify(tenant_id: uuid.UUID | str | None = None) -> list[ChainProblem]:
    """Problems in one tenant's chain, or in every chain of the deployment."""
    problems: list[ChainProblem] = []
    for chain in chains(tenant_id):
        problems += verify_chain(chain)
    return problems


# --- reading ----------------------------------------------------------------------------


def records_of(
    tenant_id: uuid.UUID | None,
    *,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    actor: str | None = None,
) -> models.QuerySet[AuditRecord]:
    """One chain's records, newest first (``action`` matches a prefix such as ``signin``,
    ``actor`` a part of the actor's login ID and name, or of a sign-in's login ID)."""
    qs = AuditRecord.objects.filter(chain=_chain_of(tenant_id))
    if action:
        qs = qs.filter(action__startswith=action)
    if actor and actor.strip():
        # A failed sign-in has no actor, only the login ID it named (in its summary).
        needle = actor.strip()
        qs = qs.filter(
            models.Q(actor__icontains=needle)
            | models.Q(action__startswith="signin.", summary__icontains=needle)
        )
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-seq")


CSV_HEADER = [
    "番号",
    "日時",
    "操作者",
    "アドレス",
    "操作",
    "対象種別",
    "対象ID",
    "概要",
    "変更前",
    "変更後",
    "ハッシュ",
]


def _json_cell(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def csv_rows(records: Iterable[AuditRecord]) -> Iterator[list[str]]:
    yield CSV_HEADER
    for rec in records:
        cells = [
            str(rec.seq),
            rec.at.astimezone(JST).strftime("%Y/%m/%d %H:%M:%S"),
            rec.actor,
            rec.address,
            rec.action,
            rec.target_type,
            rec.target_id,
            rec.summary,
            _json_cell(rec.before),
            _json_cell(rec.after),
            rec.hash,
        ]
        yield [neutralise_formula(cell) for cell in cells]


def export_csv(records: Iterable[AuditRecord], encoding: str = "cp932") -> bytes:
    """The records as CSV for Excel: CP932 by default, CRLF line ends. A character CP932
    lacks (an emoji in a name) becomes ``?`` rather than losing the export."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(csv_rows(records))
    return buffer.getvalue().encode(encoding, errors="replace")


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The values of ``fields`` (attribute names, ``department_id`` for a key) as JSON."""
    return {name: plain(getattr(obj, name, None)) for name in fields}


def record_change(
    action: str, target: models.Model, before: dict[str, Any], **kwargs: Any
) -> AuditRecord | None:
    """Record what changed in ``target`` since ``before = snapshot(target, fields)``: only
    the fields whose value differs, before → after; nothing when nothing changed."""
    after = snapshot(target, before)
    changed = [name for name in before if before[name] != after[name]]
    if not changed:
        return None
    return record(
        action,
        target=target,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
        **kwargs,
    )


# An import of 40,000 staff changes 40,000 rows: the record lists the login IDs and codes
# (what changed, findable in the CSV export) up to this many per kind, and counts them all.
IMPORT_LIST_LIMIT = 5000


def record_import(tenant: models.Model, kind: str, report: Any) -> AuditRecord:
    """One record for an applied CSV import: what it added, updated and deactivated."""
    after: dict[str, Any] = {"kind": kind, "encoding": report.encoding, "rows": report.rows}
    for name in ("added", "updated", "deactivated"):
        items = list(getattr(report, name))
        after[name] = items[:IMPORT_LIST_LIMIT]
        after[f"{name}_count"] = len(items)
    return record(
        "csv.import",
        target=tenant,
        tenant_id=tenant.pk,
        summary=(
            f"{kind}: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.deactivated)} deactivated"
        ),
        after=after,
    )


def record_sign_in(
    outcome: str, tenant: models.Model | None, login_id: str, address: str, person: Any = None
) -> AuditRecord:
    """A sign-in attempt: ``succeeded``, ``failed`` (wrong password or unknown account) or
    ``locked`` (refused by the throttle without checking). An unknown municipality goes to
    the deployment's chain. The password is never recorded."""
    # Never the origin bound to the context: an attempt is nobody's until it succeeds.
    principal = ANONYMOUS
    if person is not None:
        principal = Principal(tenant_id=person.tenant_id, person_id=person.id, via="session")
    return record(
        f"signin.{outcome}",
        target=person,
        tenant_id=tenant.pk if tenant is not None else None,
        principal=principal,
        address=address,
        actor="" if person is None else f"{person.login_id} {person.name}",
        summary=f"login ID {login_id.strip()[:100]}",
    )
