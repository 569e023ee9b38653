"""Leavers (退職): a deactivated colleague stays visible by name in what they did; their
personal data (e-mail, extension, password, roles, tokens, sessions, presence, calendar
feeds) goes after the retention period, by the purge job (CLI, dry run first); their
personal mailbox is handed over to a successor or archived; the report says what was
removed and what is kept and why; an audit record for each step; one municipality's
administrator never sees or touches another's leavers."""

from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from subgraphs.audit.models import AuditRecord
from subgraphs.calendar.models import CalendarFeedToken
from subgraphs.mail.models import Mailbox, MailboxAssignment
from subgraphs.people.models import AccessToken, Leaver, Person, RoleAssignment
from subgraphs.presence.models import PresenceStatus
from tests.conftest import PASSWORD, GraphQLClient

REPORT = """{ leaverReport { retentionDays retentionIsDefault leavers {
  personId loginId name leftAt purgeDueAt purgedAt mailbox successorName
  removed { kind count } kept { kind reason } } } }"""

DECIDE = """mutation($p: ID!, $m: LeaverMailbox!, $s: ID) {
  decideLeaverMailbox(personId: $p, mailbox: $m, successorId: $s) {
    leaver { loginId mailbox successorName } errors { code field } } }"""


def on(subgraph: str, municipality, person) -> GraphQLClient:
    """A subgraph's own endpoint, as ``person``."""
    client = municipality.api(person)
    client.url = f"/subgraphs/{subgraph}/graphql"
    return client


def personal_life(municipality, key: str) -> Person:
    """A colleague who signed in, set presence, made a calendar feed, a token and a mailbox,
    with an e-mail address, an extension and a role."""
    person = municipality.people[key]
    Person.objects.filter(pk=person.pk).update(email=f"{key}@example.jp", extension="1234")
    client = Client()
    response = client.post(
        "/auth/login",
        data=json.dumps(
            {"tenant": municipality.tenant.code, "loginId": person.login_id, "password": PASSWORD}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200
    on("presence", municipality, person).data(
        'mutation { setMyPresence(input: {status: IN, message: "庁舎"}) { __typename } }'
    )
    on("calendar", municipality, person).data("mutation { createCalendarFeed { url } }")
    on("mail", municipality, person).data("{ mailboxes { id kind } }")
    municipality.api(municipality.admin).data(
        "mutation($id: ID!) { setRoles(input: {personId: $id, roles: [FACILITY_ADMIN]}) "
        "{ errors { code } } }",
        {"id": str(person.id)},
    )
    return person


def deactivate(municipality, person: Person) -> None:
    result = municipality.api(municipality.admin).data(
        "mutation($id: ID!) { deactivatePerson(id: $id) { errors { code } } }",
        {"id": str(person.id)},
    )
    assert result["deactivatePerson"]["errors"] == []


def leave_days_ago(person: Person, days: int) -> None:
    from subgraphs.people.leavers import notice_leavers

    notice_leavers(person.tenant)
    Leaver.objects.filter(person=person).update(
        left_at=timezone.now() - datetime.timedelta(days=days)
    )


def personal_rows(person: Person) -> dict[str, int]:
    return {
        "tokens": AccessToken.objects.filter(person=person).count(),
        "roles": RoleAssignment.objects.filter(person=person).count(),
        "presence": PresenceStatus.objects.filter(person_id=person.id).count(),
        "feeds": CalendarFeedToken.objects.filter(person_id=person.id).count(),
        "sessions": sum(
            s.get_decoded().get("_auth_user_id") == str(person.pk) for s in Session.objects.all()
        ),
    }


@pytest.mark.django_db(transaction=True)
def test_personal_data_goes_after_the_retention_period_and_history_stays(okawa, monkeypatch):
    monkeypatch.setenv("YUI_LEAVER_RETENTION_DAYS", "30")
    leaver = personal_life(okawa, "shuji")
    assert all(personal_rows(leaver).values()), personal_rows(leaver)
    deactivate(okawa, leaver)

    # Within the period: listed as due in 30 days, nothing removed yet.
    report = okawa.api(okawa.admin).data(REPORT)["leaverReport"]
    assert report["retentionDays"] == 30 and report["retentionIsDefault"]
    [row] = report["leavers"]
    assert row["loginId"] == "0003" and row["purgedAt"] is None and row["mailbox"] == "UNDECIDED"
    left = datetime.datetime.fromisoformat(row["leftAt"])
    due = datetime.datetime.fromisoformat(row["purgeDueAt"])
    assert due - left == datetime.timedelta(days=30)
    out = StringIO()
    call_command("leavers", "purge", stdout=out)
    assert "0 leaver(s) removed; 1 within the retention period" in out.getvalue()

    # Past it: the dry run lists, changes nothing; the real run removes.
    leave_days_ago(leaver, 31)
    out = StringIO()
    call_command("leavers", "purge", "--dry-run", "--tenant", "402125", stdout=out)
    assert "0003 佐藤 次郎: would remove personal data" in out.getvalue()
    assert personal_rows(leaver)["tokens"] > 0
    out = StringIO()
    call_command("leavers", "purge", stdout=out)
    assert "1 leaver(s) removed" in out.getvalue()
    assert not any(personal_rows(leaver).values()), personal_rows(leaver)
    leaver.refresh_from_db()
    assert (leaver.email, leaver.extension, leaver.has_usable_password()) == ("", "", False)
    # The name stays for colleagues, marked as not active (the screens add 退職).
    colleague = okawa.api("kakari").data(
        "query($id: ID!) { person(id: $id) { name displayName isActive } }",
        {"id": str(leaver.id)},
    )
    assert colleague["person"] == {
        "name": "佐藤 次郎",
        "displayName": "佐藤 次郎(退職)",
        "isActive": False,
    }

    # The undecided mailbox was archived: kept, shared with nobody, named as a leaver's.
    box = Mailbox.objects.get(tenant_id=okawa.tenant.id, name="佐藤 次郎(退職)")
    assert box.kind == Mailbox.Kind.SHARED and box.owner_id is None
    assert not MailboxAssignment.objects.filter(mailbox=box).exists()

    report = okawa.api(okawa.admin).data(REPORT)["leaverReport"]
    [row] = report["leavers"]
    assert row["purgedAt"] is not None and row["mailbox"] == "ARCHIVE"
    removed = {r["kind"]: r["count"] for r in row["removed"]}
    assert removed["email"] == removed["extension"] == removed["password"] == 1
    assert removed["access_tokens"] >= 1 and removed["sessions"] == 1
    assert removed["presence"] == removed["calendar_feeds"] == removed["roles"] == 1
    assert {k["kind"] for k in row["kept"]} >= {"name", "history", "audit", "mailbox"}
    [purged] = AuditRecord.objects.filter(action="leaver.purged", target_id=str(leaver.id))
    assert purged.tenant_id == okawa.tenant.id and purged.after["removed"] == removed

    out = StringIO()
    call_command("leavers", "report", "--tenant", "okawa", stdout=out)
    text = out.getvalue()
    assert "0003 佐藤 次郎(退職)" in text and "kept audit:" in text and "sessions 1" in text

    # A second run has nothing left to do.
    out = StringIO()
    call_command("leavers", "purge", stdout=out)
    assert "0 leaver(s) removed; 0 within" in out.getvalue()


@pytest.mark.django_db
def test_mailbox_is_handed_over_at_once_to_the_chosen_colleague(okawa, kanda):
    leaver = personal_life(okawa, "shuji")
    successor = okawa.people["kakari"]
    admin = okawa.api(okawa.admin)
    # Not yet a leaver: refused.
    early = admin.data(DECIDE, {"p": str(leaver.id), "m": "HANDOVER", "s": str(successor.id)})
    assert early["decideLeaverMailbox"]["errors"] == [{"code": "CONFLICT", "field": "personId"}]
    deactivate(okawa, leaver)
    # A handover needs a successor of this municipality.
    none = admin.data(DECIDE, {"p": str(leaver.id), "m": "HANDOVER"})
    assert none["decideLeaverMailbox"]["errors"][0]["code"] == "REQUIRED"
    other = admin.data(
        DECIDE, {"p": str(leaver.id), "m": "HANDOVER", "s": str(kanda.people["kakari"].id)}
    )
    assert other["decideLeaverMailbox"]["errors"] == [{"code": "NOT_FOUND", "field": "successorId"}]

    done = admin.data(DECIDE, {"p": str(leaver.id), "m": "HANDOVER", "s": str(successor.id)})
    assert done["decideLeaverMailbox"]["leaver"] == {
        "loginId": "0003",
        "mailbox": "HANDOVER",
        "successorName": successor.name,
    }
    # The successor now has it among their mailboxes, as a shared one.
    boxes = on("mail", okawa, successor).data("{ mailboxes { name kind } }")["mailboxes"]
    assert {"name": "佐藤 次郎(退職)", "kind": "SHARED"} in boxes
    [rec] = AuditRecord.objects.filter(action="leaver.mailbox", target_id=str(leaver.id))
    assert rec.actor_id == okawa.admin.id and rec.after["mailbox"] == "handover"
    assert rec.after["successor"] == f"{successor.login_id} {successor.name}"

    # Archived instead: the successor loses it, nobody has it.
    admin.data(DECIDE, {"p": str(leaver.id), "m": "ARCHIVE"})
    boxes = on("mail", okawa, successor).data("{ mailboxes { name } }")["mailboxes"]
    assert {"name": "佐藤 次郎(退職)"} not in boxes
    assert Mailbox.objects.filter(tenant_id=okawa.tenant.id, name="佐藤 次郎(退職)").count() == 1


@pytest.mark.django_db
def test_retention_is_a_municipality_setting_and_leavers_stay_in_their_municipality(
    okawa, kanda, monkeypatch
):
    monkeypatch.delenv("YUI_LEAVER_RETENTION_DAYS", raising=False)
    deactivate(okawa, okawa.people["shuji"])
    deactivate(kanda, kanda.people["shuji"])
    admin = okawa.api(okawa.admin)
    assert admin.data(REPORT)["leaverReport"]["retentionDays"] == 90
    set_days = "mutation($d: Int) { setLeaverRetention(days: $d) { report { retentionDays } errors { code } } }"
    bad = admin.data(set_days, {"d": 99999})["setLeaverRetention"]
    assert bad["errors"] == [{"code": "INVALID"}]
    ok = admin.data(set_days, {"d": 7})["setLeaverRetention"]
    assert ok["report"]["retentionDays"] == 7
    [rec] = AuditRecord.objects.filter(action="tenant.leaver_retention")
    assert rec.before == {"leaver_retention_days": None} and rec.after == {
        "leaver_retention_days": 7
    }

    # Each sees only their own leavers; kanda's retention is still the default.
    okawa_ids = [r["personId"] for r in admin.data(REPORT)["leaverReport"]["leavers"]]
    assert okawa_ids == [str(okawa.people["shuji"].id)]
    kanda_report = kanda.api(kanda.admin).data(REPORT)["leaverReport"]
    assert kanda_report["retentionDays"] == 90
    assert [r["personId"] for r in kanda_report["leavers"]] == [str(kanda.people["shuji"].id)]
    # okawa's administrator cannot decide for kanda's leaver.
    foreign = admin.data(DECIDE, {"p": str(kanda.people["shuji"].id), "m": "ARCHIVE"})
    assert foreign["decideLeaverMailbox"]["errors"] == [{"code": "NOT_FOUND", "field": "personId"}]

    # 8 days later only okawa's (7 days) is due.
    leave_days_ago(okawa.people["shuji"], 8)
    leave_days_ago(kanda.people["shuji"], 8)
    out = StringIO()
    call_command("leavers", "purge", stdout=out)
    assert "402125 0003" in out.getvalue() and "1 within the retention period" in out.getvalue()

    # Staff cannot read the report.
    staff = okawa.api("kakari")(REPORT)
    assert staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.django_db
def test_someone_active_again_is_no_longer_a_leaver(okawa):
    person = okawa.people["shuji"]
    deactivate(okawa, person)
    admin = okawa.api(okawa.admin)
    assert len(admin.data(REPORT)["leaverReport"]["leavers"]) == 1
    admin.data(
        "mutation($id: ID!) { updatePerson(input: {id: $id, isActive: true}) { errors { code } } }",
        {"id": str(person.id)},
    )
    assert admin.data(REPORT)["leaverReport"]["leavers"] == []


@pytest.mark.django_db
def test_the_worker_purges_once_a_day(okawa, monkeypatch):
    from subgraphs.people import leavers

    monkeypatch.setattr(leavers, "_last_daily_purge", None)
    person = okawa.people["shuji"]
    deactivate(okawa, person)
    leave_days_ago(person, 91)
    first = leavers.purge_daily()
    assert first is not None and [p["loginId"] for p in first.purged] == ["0003"]
    # The same day again: nothing run, even with a new leaver due.
    deactivate(okawa, okawa.people["jinji"])
    leave_days_ago(okawa.people["jinji"], 91)
    assert leavers.purge_daily() is None
    assert Leaver.objects.get(person=okawa.people["jinji"]).purged_at is None
    # A day later (the clock of the process moved on): it runs.
    monkeypatch.setattr(leavers, "_last_daily_purge", leavers._last_daily_purge - leavers.DAILY)
    again = leavers.purge_daily()
    assert again is not None and [p["loginId"] for p in again.purged] == ["0004"]
