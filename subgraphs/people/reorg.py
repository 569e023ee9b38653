"""April 1st personnel changes (人事異動): a reorganisation staged ahead, applied on its day.

An administrator uploads next year's organisation and staff files with the date they take
effect. They are checked and stored as uploaded (``Reorganisation``); until the date the
directory shows today's organisation. The change can be previewed at any time, against the
data as it is then, edited (a file or the date replaced) or withdrawn.

The import of the two files is the CSV import itself (``csv_io.do_import_csv``), run three
times in one transaction, so the rules, error codes and line numbers are the import's:

1. the organisation file without deactivation: departments added, renamed, re-parented;
2. the staff file (with deactivation of HR-file staff it does not list, unless the change
   says otherwise): transfers, joiners, leavers;
3. the organisation file again, with deactivation: departments it no longer lists close
   (refused, as by the import, while active staff still belong to one).

A preview runs the same three steps and rolls them back, so "who moves where" is exactly
what the apply will do. A closed department whose staff moved is reported as *merged* into
the department most of them moved to (its successor); one nobody moved from is *closed*.

On the day (``apply_due``, run by the worker of ``yui serve`` / ``yui worker`` and by
``yui reorg apply --due`` for cron) the same steps run for real, and in the same
transaction what hangs on departments follows the successor of each merged department
(``FOLLOWERS``: facility approvers and booking permissions, shared mailbox assignments,
who may post notices and council contacts, future department entries of the calendar).
Nothing of the past is rewritten: events keep their department, notices their recipients.
Each person's previous main department is kept in ``MembershipHistory`` so the department
week of a past date lists who was there then (``members_on``).

Time comes from ``now()`` (tests replace it); the day is Japan's (``settings.TIME_ZONE``).
"""

from __future__ import annotations

import importlib
import logging
import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from subgraphs.audit import actions as audit
from subgraphs.core.principal import Principal
from subgraphs.people.csv_io import CsvRowError, ImportReport, do_import_csv
from subgraphs.people.messages import t
from subgraphs.people.models import MembershipHistory, Organization, Person, Reorganisation

logger = logging.getLogger(__name__)

# Modules with ``follow_reorganisation(tenant_id, successors, effective) -> dict[str, int]``:
# each moves its own rows from a merged department to its successor (DESIGN rule 1: a
# subgraph writes its own tables). All share the database, so they join the transaction.
FOLLOWERS = (
    "subgraphs.facilities.reorg",
    "subgraphs.mail.reorg",
    "subgraphs.notices.reorg",
    "subgraphs.calendar.reorg",
)

# Codes of a reorganisation's own errors (the files' errors use csv_io.ERROR_CODES).
REORG_ERROR_CODES = {
    "NOT_FOUND": "no such reorganisation in your municipality",
    "EFFECTIVE_DATE_PAST": "the effective date is today or earlier",
    "ALREADY_SCHEDULED": "another reorganisation is already scheduled",
    "NOT_EDITABLE": "the reorganisation was applied or withdrawn",
}

ORGANIZATIONS, STAFF = "organizations", "staff"


def now() -> datetime:
    """The current time for everything a reorganisation decides (tests replace it)."""
    return timezone.now()


def today() -> date:
    """Japan's date now: a change for 1 April applies from 00:00 JST on 1 April."""
    return timezone.localdate(now())


@dataclass(frozen=True)
class ReorgError:
    """A problem: of a file (``file`` organizations / staff, ``line`` as the import counts
    them) or of the change itself (``file`` None)."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: str | None = None


@dataclass(frozen=True)
class Move:
    login_id: str
    name: str
    from_code: str
    from_name: str
    to_code: str
    to_name: str


@dataclass(frozen=True)
class DepartmentChange:
    """A department added, renamed (``before_name``), merged (``into_*``) or closed."""

    code: str
    name: str
    before_name: str = ""
    into_code: str = ""
    into_name: str = ""


@dataclass
class Preview:
    """What a reorganisation does (or, for a preview, would do) to the current data."""

    errors: list[ReorgError] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    added: list[DepartmentChange] = field(default_factory=list)
    renamed: list[DepartmentChange] = field(default_factory=list)
    merged: list[DepartmentChange] = field(default_factory=list)
    closed: list[DepartmentChange] = field(default_factory=list)
    joined: list[tuple[str, str]] = field(default_factory=list)  # (login ID, name)
    left: list[tuple[str, str]] = field(default_factory=list)
    # closed department id -> the department its staff moved to (merged ones only)
    successors: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    staff_updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    """Leaves the transaction of a preview (or of a failed apply) without writing."""


def _file_errors(file: str, report: ImportReport) -> list[ReorgError]:
    return [_file_error(file, e) for e in report.errors]


def _file_error(file: str, e: CsvRowError) -> ReorgError:
    return ReorgError(e.code, e.message, file=file, line=e.line, column=e.column)


def _departments(tenant_id: uuid.UUID) -> dict[str, Organization]:
    return {o.code: o for o in Organization.objects.filter(tenant_id=tenant_id)}


def _run(reorg: Reorganisation, protected_login_ids: Collection[str]) -> Preview:
    """The three imports and what they did; call inside a transaction (errors: roll back)."""
    tenant = reorg.tenant
    preview = Preview()
    before = _departments(tenant.id)
    org_bytes, staff_bytes = bytes(reorg.organizations_csv), bytes(reorg.staff_csv)
    orgs = do_import_csv(
        tenant, ORGANIZATIONS, org_bytes, encoding=reorg.organizations_encoding or None
    )
    if not orgs.ok:
        preview.errors = _file_errors(ORGANIZATIONS, orgs)
        return preview
    staff = do_import_csv(
        tenant,
        STAFF,
        staff_bytes,
        encoding=reorg.staff_encoding or None,
        deactivate_missing=reorg.deactivate_missing_staff,
        protected_login_ids=protected_login_ids,
    )
    if not staff.ok:
        preview.errors = _file_errors(STAFF, staff)
        return preview
    closing = do_import_csv(
        tenant,
        ORGANIZATIONS,
        org_bytes,
        encoding=reorg.organizations_encoding or None,
        deactivate_missing=True,
    )
    if not closing.ok:
        preview.errors = _file_errors(ORGANIZATIONS, closing)
        return preview

    after = _departments(tenant.id)
    old_name = {code: o.name for code, o in before.items()}
    new_name = {code: o.name for code, o in after.items()}
    preview.added = [DepartmentChange(code, new_name[code]) for code in orgs.added]
    for code in orgs.updated:
        if code in before and old_name[code] != new_name[code]:
            preview.renamed.append(DepartmentChange(code, new_name[code], old_name[code]))
    for login_id in staff.updated:
        for change in staff.changes.get(login_id, []):
            if change.field == "department_code":
                preview.moves.append(
                    Move(
                        login_id,
                        staff.names.get(login_id, ""),
                        change.before,
                        old_name.get(change.before, ""),
                        change.after,
                        new_name.get(change.after, ""),
                    )
                )
    preview.staff_updated = len(staff.updated)
    preview.joined = [(login_id, staff.names.get(login_id, "")) for login_id in staff.added]
    preview.left = [(login_id, staff.names.get(login_id, "")) for login_id in staff.deactivated]
    # Where the staff of each closing department went: the most of them, its successor.
    went: dict[str, Counter[str]] = {}
    for move in preview.moves:
        went.setdefault(move.from_code, Counter())[move.to_code] += 1
    for code in closing.deactivated:
        name = old_name.get(code, "")
        if code in went:
            into = went[code].most_common(1)[0][0]
            preview.merged.append(
                DepartmentChange(code, name, into_code=into, into_name=new_name[into])
            )
            preview.successors[before[code].id] = after[into].id
        else:
            preview.closed.append(DepartmentChange(code, name))
    return preview


def preview(reorg: Reorganisation, protected_login_ids: Collection[str] = ()) -> Preview:
    """What ``reorg`` would do if it were applied now: computed by running it and rolling
    it back (on SQLite this holds the write lock for as long as the import takes)."""
    result = Preview()
    try:
        with transaction.atomic():
            result = _run(reorg, protected_login_ids)
            raise _Rollback
    except _Rollback:
        pass
    return result


# --- staging ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvFile:
    data: bytes
    encoding: str | None = None
    filename: str = ""


@dataclass
class StageOutcome:
    reorganisation: Reorganisation | None = None
    preview: Preview | None = None
    errors: list[ReorgError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _error(code: str, message: str) -> StageOutcome:
    return StageOutcome(errors=[ReorgError(code, message)])


def _put_file(reorg: Reorganisation, kind: str, file: CsvFile) -> None:
    setattr(reorg, f"{kind}_csv", file.data)
    setattr(reorg, f"{kind}_filename", file.filename[:200])
    setattr(reorg, f"{kind}_encoding", file.encoding or "")


def _summary(reorg: Reorganisation) -> dict[str, Any]:
    return {
        "effective_date": reorg.effective_date.isoformat(),
        "state": reorg.state,
        "organizations_file": reorg.organizations_filename,
        "staff_file": reorg.staff_filename,
        "deactivate_missing_staff": reorg.deactivate_missing_staff,
    }


def _check_and_save(
    principal: Principal, reorg: Reorganisation, protected: Collection[str]
) -> StageOutcome:
    if reorg.effective_date <= today():
        return _error(
            "EFFECTIVE_DATE_PAST",
            t("The effective date must be after today (it applies from 00:00 that day)."),
        )
    checked = preview(reorg, protected)
    if not checked.ok:
        return StageOutcome(preview=checked, errors=checked.errors)
    reorg.state = Reorganisation.State.SCHEDULED
    reorg.updated_by = principal.person_id
    try:
        with transaction.atomic():
            reorg.save()
    except IntegrityError:
        return _error(
            "ALREADY_SCHEDULED",
            t("Another reorganisation is already scheduled: edit or withdraw it first."),
        )
    return StageOutcome(reorganisation=reorg, preview=checked)


def do_stage(
    principal: Principal,
    effective_date: date,
    organizations: CsvFile,
    staff: CsvFile,
    *,
    deactivate_missing_staff: bool = True,
    protected_login_ids: Collection[str] = (),
) -> StageOutcome:
    """Check the two files against today's data and store them for ``effective_date``."""
    assert principal.tenant_id is not None
    reorg = Reorganisation(
        tenant_id=principal.tenant_id,
        effective_date=effective_date,
        deactivate_missing_staff=deactivate_missing_staff,
        created_by=principal.person_id,
    )
    _put_file(reorg, ORGANIZATIONS, organizations)
    _put_file(reorg, STAFF, staff)
    outcome = _check_and_save(principal, reorg, protected_login_ids)
    if outcome.ok:
        audit.record(
            "reorg.stage",
            target=reorg,
            summary=f"人事異動 {reorg.effective_date}: {_counts(outcome.preview)}",
            after=_summary(reorg),
            principal=principal,
        )
    return outcome


def access_reorganisation(principal: Principal, reorg_id: object) -> Reorganisation | None:
    """The principal's municipality's reorganisation (None for any other's, or none)."""
    try:
        pk = uuid.UUID(str(reorg_id))
    except ValueError:
        return None
    return Reorganisation.objects.for_principal(principal).filter(id=pk).first()  # type: ignore[no-any-return]


def do_edit(
    principal: Principal,
    reorg_id: object,
    *,
    effective_date: date | None = None,
    organizations: CsvFile | None = None,
    staff: CsvFile | None = None,
    deactivate_missing_staff: bool | None = None,
    protected_login_ids: Collection[str] = (),
) -> StageOutcome:
    """Replace a file, the date or the leavers' rule of a scheduled (or failed) change; it is
    checked again as when staged."""
    reorg = access_reorganisation(principal, reorg_id)
    if reorg is None:
        return _error("NOT_FOUND", t("No such reorganisation in your municipality."))
    if reorg.state not in (Reorganisation.State.SCHEDULED, Reorganisation.State.FAILED):
        return _error("NOT_EDITABLE", t("This reorganisation was applied or withdrawn."))
    before = _summary(reorg)
    if effective_date is not None:
        reorg.effective_date = effective_date
    if organizations is not None:
        _put_file(reorg, ORGANIZATIONS, organizations)
    if staff is not None:
        _put_file(reorg, STAFF, staff)
    if deactivate_missing_staff is not None:
        reorg.deactivate_missing_staff = deactivate_missing_staff
    outcome = _check_and_save(principal, reorg, protected_login_ids)
    if outcome.ok:
        reorg.result = {}
        reorg.save(update_fields=["result"])
        audit.record(
            "reorg.edit",
            target=reorg,
            summary=f"人事異動 {reorg.effective_date}: {_counts(outcome.preview)}",
            before=before,
            after=_summary(reorg),
            principal=principal,
        )
    return outcome


def do_withdraw(principal: Principal, reorg_id: object) -> StageOutcome:
    reorg = access_reorganisation(principal, reorg_id)
    if reorg is None:
        return _error("NOT_FOUND", t("No such reorganisation in your municipality."))
    was = reorg.state
    with transaction.atomic():
        updated = Reorganisation.objects.filter(
            id=reorg.id,
            state__in=[Reorganisation.State.SCHEDULED, Reorganisation.State.FAILED],
        ).update(
            state=Reorganisation.State.WITHDRAWN, withdrawn_at=now(), updated_by=principal.person_id
        )
        if not updated:
            return _error("NOT_EDITABLE", t("This reorganisation was applied or withdrawn."))
        reorg.refresh_from_db()
        audit.record(
            "reorg.withdraw",
            target=reorg,
            summary=f"人事異動 {reorg.effective_date} withdrawn",
            before={"state": was},
            after={"state": reorg.state},
            principal=principal,
        )
    return StageOutcome(reorganisation=reorg)


def _counts(result: Preview | None) -> str:
    if result is None:
        return ""
    return (
        f"{len(result.moves)} moves, {len(result.joined)} joining, {len(result.left)} leaving; "
        f"departments {len(result.added)} added, {len(result.renamed)} renamed, "
        f"{len(result.merged)} merged, {len(result.closed)} closed"
    )


# --- applying ---------------------------------------------------------------------------


def _memberships(tenant_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID | None]:
    """Active staff -> main department."""
    return dict(
        Person.objects.filter(tenant_id=tenant_id, is_active=True).values_list(
            "id", "department_id"
        )
    )


def _record_history(reorg: Reorganisation, before: dict[uuid.UUID, uuid.UUID | None]) -> int:
    """A history row for everyone whose main department the change ended (moved, left) or
    who joined (no department before), valid until the effective date."""
    after = _memberships(reorg.tenant_id)
    changed = {pid: org for pid, org in before.items() if pid not in after or after[pid] != org}
    changed.update((pid, None) for pid in after if pid not in before)
    since = dict(
        MembershipHistory.objects.filter(tenant_id=reorg.tenant_id, person_id__in=list(changed))
        .values("person_id")
        .annotate(last=Max("valid_to"))
        .values_list("person_id", "last")
    )
    rows = [
        MembershipHistory(
            tenant_id=reorg.tenant_id,
            person_id=pid,
            organization_id=org,
            valid_from=since.get(pid),
            valid_to=reorg.effective_date,
            reorganisation=reorg,
        )
        for pid, org in changed.items()
    ]
    MembershipHistory.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def _follow(
    tenant_id: uuid.UUID, successors: dict[uuid.UUID, uuid.UUID], effective: datetime
) -> dict[str, int]:
    followed: dict[str, int] = {}
    for name in FOLLOWERS:
        module = importlib.import_module(name)
        followed.update(module.follow_reorganisation(tenant_id, successors, effective))
    return followed


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def apply(reorg_id: uuid.UUID) -> Reorganisation | None:
    """Apply one due reorganisation, all or nothing; a failure is recorded on it (state
    failed, its errors in ``result``) for the administrator to edit. None: not due (any
    more), e.g. applied by another worker first."""
    failure: Preview | None = None
    try:
        with transaction.atomic():
            reorg = (
                Reorganisation.objects.select_for_update()
                .select_related("tenant")
                .filter(
                    id=reorg_id, state=Reorganisation.State.SCHEDULED, effective_date__lte=today()
                )
                .first()
            )
            if reorg is None:
                return None
            before = _memberships(reorg.tenant_id)
            done = _run(reorg, ())
            if not done.ok:
                failure = done
                raise _Rollback
            history = _record_history(reorg, before)
            followed = _follow(reorg.tenant_id, done.successors, _start_of(reorg.effective_date))
            reorg.state = Reorganisation.State.APPLIED
            reorg.applied_at = now()
            reorg.result = {
                "moves": len(done.moves),
                "joined": len(done.joined),
                "left": len(done.left),
                "added": [c.code for c in done.added],
                "renamed": [c.code for c in done.renamed],
                "merged": {c.code: c.into_code for c in done.merged},
                "closed": [c.code for c in done.closed],
                "history": history,
                "followed": followed,
            }
            reorg.save(update_fields=["state", "applied_at", "result", "updated_at"])
            audit.record(
                "reorg.apply",
                target=reorg,
                tenant_id=reorg.tenant_id,
                summary=f"人事異動 {reorg.effective_date} applied: {_counts(done)}",
                before={"state": "scheduled"},
                after=reorg.result,
                actor="yui reorg",
            )
            return reorg
    except _Rollback:
        pass
    assert failure is not None
    errors = [e.__dict__ for e in failure.errors]
    with transaction.atomic():
        reorg = Reorganisation.objects.select_for_update().get(id=reorg_id)
        reorg.state = Reorganisation.State.FAILED
        reorg.result = {"errors": errors}
        reorg.save(update_fields=["state", "result", "updated_at"])
        audit.record(
            "reorg.fail",
            target=reorg,
            tenant_id=reorg.tenant_id,
            summary=f"人事異動 {reorg.effective_date} not applied: {len(errors)} errors",
            after={"errors": errors[:100]},
            actor="yui reorg",
        )
    logger.warning("reorganisation %s failed: %s", reorg_id, errors[:5])
    return reorg


def apply_due() -> list[Reorganisation]:
    """Apply every scheduled reorganisation whose day has come (Japan time)."""
    due = Reorganisation.objects.filter(
        state=Reorganisation.State.SCHEDULED, effective_date__lte=today()
    ).values_list("id", flat=True)
    return [r for r in (apply(pk) for pk in list(due)) if r is not None]


# --- the department week of a past date ----------------------------------------------------


def members_during(
    principal: Principal, organization_id: uuid.UUID, start: date, end: date
) -> list[Person]:
    """Who had ``organization_id`` as main department on any day of [start, end): from the
    history rows overlapping those days, and the current members whose present department
    started before ``end`` (a history row ending at or after ``end`` says they were
    elsewhere until then)."""
    rows = MembershipHistory.objects.for_principal(principal)
    later = set(rows.filter(valid_to__gte=end).values_list("person_id", flat=True))
    then = set(
        rows.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lt=end),
            organization_id=organization_id,
            valid_to__gt=start,
        ).values_list("person_id", flat=True)
    )
    people = Person.objects.for_principal(principal).filter(
        Q(id__in=list(then)) | Q(department_id=organization_id, is_active=True)
    )
    return [
        p
        for p in people.order_by("title_rank", "sort_order", "login_id")
        if p.id in then
        or (p.is_active and p.department_id == organization_id and p.id not in later)
    ]


def members_on(principal: Principal, organization_id: uuid.UUID, day: date) -> list[Person]:
    """Who had ``organization_id`` as main department on ``day``."""
    return members_during(principal, organization_id, day, day + timedelta(days=1))


def japan_days(start: datetime, end: datetime) -> tuple[date, date]:
    """The Japanese dates [first, last + 1) an instant range [start, end) touches."""
    first = timezone.localdate(start)
    last = timezone.localdate(max(start, end - timedelta(microseconds=1)))
    return first, last + timedelta(days=1)
