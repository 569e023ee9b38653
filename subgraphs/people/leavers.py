"""People who leave (退職): their history stays, their personal data goes after a while.

A deactivated account is a leaver. Colleagues keep seeing what they did under their name
(events, bookings, notices, messages and the audit trail name them; the API marks them
``isActive: false`` so screens can add "(退職)"). Their personal data — e-mail address,
extension, password, roles and groups, access tokens, sessions, presence, calendar feed
URLs, IMAP credentials — is removed once the retention period is over
(``Tenant.leaver_retention_days``, else ``YUI_LEAVER_RETENTION_DAYS``, default 90 days) by
``purge_due`` (``yui leavers purge``, and the embedded worker once a day). Their personal
mailbox is handed over to a colleague the administrator chooses or archived (kept, nobody
assigned; an undecided one is archived at the purge): the mail is the municipality's
record, not the leaver's. ``report`` says what was removed and what is kept and why.

Why this reaches into other subgraphs' tables: the purge is the deployment's retention job
(like ``yui backup``), run where every subgraph's tables are reachable; it touches only
rows of the leaver's own (``person_id``/``owner_id``) and records each purge in the audit
trail in the same transaction.
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from subgraphs.audit import actions as audit
from subgraphs.audit.models import AuditRecord
from subgraphs.core.principal import Principal
from subgraphs.people.models import (
    AccessToken,
    GroupMembership,
    Leaver,
    Person,
    RoleAssignment,
    Tenant,
)

DEFAULT_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 3650
LEAVER_MARK = "(退職)"

# What stays after the purge, and why: the report's fixed part.
KEPT = [
    ("name", "同僚の予定・予約・お知らせ・メッセージに名前を残すため(退職と表示)"),
    ("login_id", "監査ログと過去の記録がこのアカウントを指すため(再利用はできません)"),
    ("department_title", "過去の記録の所属・職名を示すため"),
    ("history", "予定・施設予約・お知らせ・回覧・メッセージは組織の記録のため"),
    ("audit", "監査ログは追記のみで改ざん検知のため削除しません"),
]
MAILBOX_KEPT = {
    Leaver.Mailbox.HANDOVER: "個人メールボックスは後任者に引き継ぎました(業務の記録のため)",
    Leaver.Mailbox.ARCHIVE: "個人メールボックスは保管しました(担当者なし、管理者が割り当て可能)",
}


def display_name(person: Person) -> str:
    """The name colleagues see on what someone did: marked (退職) once they have left."""
    return person.name if person.is_active else f"{person.name}{LEAVER_MARK}"


class LeaverError(Exception):
    """A refused leaver action: ``code`` for the UI (NOT_FOUND, INVALID, CONFLICT)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.field = code, field


def default_retention_days() -> int:
    raw = os.environ.get("YUI_LEAVER_RETENTION_DAYS", "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    if not raw.isdigit() or int(raw) > MAX_RETENTION_DAYS:
        raise ImproperlyConfigured(
            f"YUI_LEAVER_RETENTION_DAYS={raw!r}: whole days from 0 to {MAX_RETENTION_DAYS}"
        )
    return int(raw)


def retention_days(tenant: Tenant) -> int:
    if tenant.leaver_retention_days is not None:
        return tenant.leaver_retention_days
    return default_retention_days()


def purge_due_at(leaver: Leaver, days: int) -> datetime.datetime:
    return leaver.left_at + datetime.timedelta(days=days)


def _deactivated_at(person: Person) -> datetime.datetime | None:
    """When the audit trail says the account was deactivated (by hand), if it does."""
    rec = (
        AuditRecord.objects.filter(
            tenant_id=person.tenant_id, action="person.deactivated", target_id=str(person.pk)
        )
        .order_by("-seq")
        .only("at")
        .first()
    )
    return rec.at if rec else None


def notice_leavers(tenant: Tenant | None = None) -> int:
    """Start a Leaver for every deactivated account without one (deactivated by hand, by a
    CSV import or a reorganisation) and drop those of accounts active again whose data is
    still whole. The leaving time is the deactivation's audit record, else now: an import's
    leavers are noticed by the daily job at the latest, so data is kept a day longer at most.
    Returns how many were started."""
    people = Person.objects.filter(is_active=False, leaver__isnull=True)
    back = Leaver.objects.filter(person__is_active=True, purged_at__isnull=True)
    if tenant is not None:
        people, back = people.filter(tenant=tenant), back.filter(tenant=tenant)
    back.delete()
    now = timezone.now()
    started = [
        Leaver(tenant_id=p.tenant_id, person=p, left_at=_deactivated_at(p) or now)
        for p in people.only("id", "tenant_id")
    ]
    Leaver.objects.bulk_create(started, ignore_conflicts=True)
    return len(started)


# --- the mailbox ------------------------------------------------------------------------


def _personal_mailbox(person: Person) -> Any:
    from subgraphs.mail.models import Mailbox

    return Mailbox.objects.filter(
        tenant_id=person.tenant_id, owner_id=person.id, kind=Mailbox.Kind.PERSONAL
    ).first()


def _release_mailbox(leaver: Leaver, successor: Person | None) -> dict[str, Any]:
    """Turn the personal mailbox into a shared one: assigned to ``successor`` (handover) or
    to nobody (archive). Its address and mail stay; mail still arriving reaches the
    successor. Returns what was done, for the audit record."""
    from subgraphs.mail.models import ImapAccount, Mailbox, MailboxAssignment

    person = leaver.person
    mailbox = _personal_mailbox(person)
    if mailbox is None and leaver.mailbox_id is not None:
        # Already released (an earlier decision): change only who is assigned.
        mailbox = Mailbox.objects.filter(tenant_id=person.tenant_id, id=leaver.mailbox_id).first()
    if mailbox is None:
        return {"address": None}
    leaver.mailbox_id = mailbox.id
    imap = ImapAccount.objects.filter(mailbox=mailbox).delete()[0]
    mailbox.kind = Mailbox.Kind.SHARED
    mailbox.owner_id = None
    mailbox.name = f"{person.name}{LEAVER_MARK}"[:100]
    mailbox.save(update_fields=["kind", "owner_id", "name"])
    MailboxAssignment.objects.filter(mailbox=mailbox, person_id__isnull=False).delete()
    if successor is not None:
        MailboxAssignment.objects.create(
            tenant_id=person.tenant_id, mailbox=mailbox, person_id=successor.id
        )
    return {"address": mailbox.local_part, "imap_accounts_removed": imap}


@transaction.atomic
def do_decide_mailbox(
    principal: Principal, person: Person, choice: str, successor: Person | None
) -> Leaver:
    """The administrator's decision for a leaver's personal mailbox, carried out at once
    (the successor needs the mail now, not after the retention period)."""
    if choice not in {Leaver.Mailbox.HANDOVER, Leaver.Mailbox.ARCHIVE}:
        raise LeaverError("INVALID", "Choose handover or archive.", "mailbox")
    if person.is_active:
        raise LeaverError("CONFLICT", "This person has not left.", "personId")
    if choice == Leaver.Mailbox.HANDOVER:
        if successor is None:
            raise LeaverError("REQUIRED", "Choose who takes the mailbox over.", "successorId")
        if not successor.is_active or successor.tenant_id != person.tenant_id:
            raise LeaverError("INVALID", "The successor must be active staff.", "successorId")
    else:
        successor = None
    notice_leavers(person.tenant)
    leaver = Leaver.objects.select_for_update().get(person=person)
    before = {"mailbox": leaver.mailbox, "successor": _label(leaver.successor)}
    done = _release_mailbox(leaver, successor)
    leaver.mailbox, leaver.successor = choice, successor
    leaver.mailbox_decided_at = timezone.now()
    leaver.save(update_fields=["mailbox", "successor", "mailbox_decided_at", "mailbox_id"])
    audit.record(
        "leaver.mailbox",
        target=person,
        principal=principal,
        summary=f"{person.login_id} {choice}",
        before=before,
        after={"mailbox": choice, "successor": _label(successor), **done},
    )
    return leaver


def _label(person: Person | None) -> str | None:
    return f"{person.login_id} {person.name}" if person is not None else None


# --- the purge --------------------------------------------------------------------------


def sessions_by_person() -> dict[str, list[str]]:
    """Live session keys by the account signed in (Django keeps its key inside the encoded
    data, so every session is decoded: once per purge run, not once per leaver)."""
    found: dict[str, list[str]] = {}
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        user = session.get_decoded().get("_auth_user_id")
        if user:
            found.setdefault(str(user), []).append(session.session_key)
    return found


def _remove_personal_data(person: Person, sessions: dict[str, list[str]]) -> dict[str, int]:
    from subgraphs.calendar.models import CalendarFeedToken
    from subgraphs.presence.models import PresenceStatus

    removed = {
        "email": int(bool(person.email)),
        "extension": int(bool(person.extension)),
        "password": int(person.has_usable_password()),
        "roles": RoleAssignment.objects.filter(person=person).delete()[0],
        "groups": GroupMembership.objects.filter(person=person).delete()[0],
        "access_tokens": AccessToken.objects.filter(person=person).delete()[0],
        "sessions": Session.objects.filter(
            session_key__in=sessions.get(str(person.pk), [])
        ).delete()[0],
        "presence": PresenceStatus.objects.filter(
            tenant_id=person.tenant_id, person_id=person.id
        ).delete()[0],
        "calendar_feeds": CalendarFeedToken.objects.filter(
            tenant_id=person.tenant_id, person_id=person.id
        ).delete()[0],
    }
    person.email = ""
    person.extension = ""
    person.set_unusable_password()
    person.must_change_password = False
    person.save(update_fields=["email", "extension", "password", "must_change_password"])
    return removed


@dataclass
class PurgeResult:
    """What one run removed (or, dry, would remove): one line per leaver."""

    dry_run: bool
    purged: list[dict[str, Any]] = field(default_factory=list)
    waiting: int = 0


def purge_due(
    tenant: Tenant | None = None,
    *,
    dry_run: bool = False,
    now: datetime.datetime | None = None,
) -> PurgeResult:
    """Remove the personal data of every leaver whose retention period is over; an
    undecided mailbox is archived. Each leaver in its own transaction with its audit record."""
    now = now or timezone.now()
    if not dry_run:
        notice_leavers(tenant)
    result = PurgeResult(dry_run=dry_run)
    sessions: dict[str, list[str]] | None = None
    tenants = [tenant] if tenant is not None else list(Tenant.objects.all())
    for t in tenants:
        cutoff = now - datetime.timedelta(days=retention_days(t))
        pending = Leaver.objects.filter(tenant=t, purged_at__isnull=True).select_related("person")
        for leaver in pending:
            if leaver.left_at > cutoff:
                result.waiting += 1
                continue
            person = leaver.person
            line = {"tenant": t.code, "loginId": person.login_id, "name": person.name}
            if dry_run:
                result.purged.append(line)
                continue
            if sessions is None:
                sessions = sessions_by_person()
            line["removed"] = _purge_one(leaver, now, sessions)
            result.purged.append(line)
    return result


@transaction.atomic
def _purge_one(
    leaver: Leaver, now: datetime.datetime, sessions: dict[str, list[str]]
) -> dict[str, int]:
    leaver = Leaver.objects.select_for_update().select_related("person").get(pk=leaver.pk)
    person = leaver.person
    mailbox: dict[str, Any] = {}
    if leaver.mailbox == Leaver.Mailbox.UNDECIDED:
        mailbox = _release_mailbox(leaver, None)
        leaver.mailbox = Leaver.Mailbox.ARCHIVE
        leaver.mailbox_decided_at = now
    removed = _remove_personal_data(person, sessions)
    leaver.removed = removed
    leaver.purged_at = now
    leaver.save(
        update_fields=["removed", "purged_at", "mailbox", "mailbox_decided_at", "mailbox_id"]
    )
    audit.record(
        "leaver.purged",
        target=person,
        summary=f"{person.login_id}: personal data removed",
        after={"removed": removed, "mailbox": leaver.mailbox, **mailbox},
        actor="yui leavers purge",
    )
    return removed


# The worker's last purge (time.monotonic()), per process: the first round of a worker
# purges, then one a day. Two workers purging at once is harmless (each leaver is locked).
_last_daily_purge: float | None = None
DAILY = 24 * 60 * 60


def purge_daily() -> PurgeResult | None:
    """``purge_due`` if this process has not run it for a day (the embedded worker)."""
    global _last_daily_purge
    now = time.monotonic()
    if _last_daily_purge is not None and now - _last_daily_purge < DAILY:
        return None
    _last_daily_purge = now
    return purge_due()


# --- the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaverReport:
    """One leaver: where their data stands, what was removed, what is kept and why."""

    leaver: Leaver
    purge_due_at: datetime.datetime
    removed: dict[str, int]
    kept: list[tuple[str, str]]


def report(tenant: Tenant, *, now: datetime.datetime | None = None) -> list[LeaverReport]:
    notice_leavers(tenant)
    days = retention_days(tenant)
    rows = Leaver.objects.filter(tenant=tenant).select_related("person", "successor")
    out = []
    for leaver in rows:
        kept = list(KEPT)
        if leaver.mailbox in MAILBOX_KEPT:
            kept.append(("mailbox", MAILBOX_KEPT[Leaver.Mailbox(leaver.mailbox)]))
        out.append(
            LeaverReport(
                leaver=leaver,
                purge_due_at=purge_due_at(leaver, days),
                removed=dict(leaver.removed or {}),
                kept=kept,
            )
        )
    return out


@transaction.atomic
def do_set_retention(principal: Principal, tenant: Tenant, days: int | None) -> Tenant:
    """The municipality's retention period (None: the deployment's default)."""
    if days is not None and not 0 <= days <= MAX_RETENTION_DAYS:
        raise LeaverError("INVALID", f"From 0 to {MAX_RETENTION_DAYS} days.", "days")
    before = {"leaver_retention_days": tenant.leaver_retention_days}
    tenant.leaver_retention_days = days
    tenant.save(update_fields=["leaver_retention_days"])
    audit.record(
        "tenant.leaver_retention",
        target=tenant,
        tenant_id=tenant.pk,
        principal=principal,
        before=before,
        after={"leaver_retention_days": days},
    )
    return tenant
