"""The audit trail (監査ログ): a record for each administrative write and each sign-in,
with who, when, from where and before → after; the hash chain finds edits and deletions;
a municipality sees only its own records; CSV export in CP932."""

from __future__ import annotations

import base64
import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from subgraphs.audit import actions as audit
from subgraphs.audit.models import DEPLOYMENT_CHAIN, AuditRecord
from subgraphs.facilities import actions as facilities
from subgraphs.people.csv_io import do_import_csv
from tests.conftest import PASSWORD, GraphQLClient

AUDIT_URL = "/subgraphs/audit/graphql"

RECORDS = """query($first: Int!, $after: String, $action: String) {
  auditRecords(first: $first, after: $after, action: $action) {
    totalCount nextCursor
    records { seq actor actorId address action targetId summary before after hash }
  }
}"""


def audit_api(municipality) -> GraphQLClient:
    client = municipality.api(municipality.admin)
    client.url = AUDIT_URL
    return client


def records(municipality, action: str, first: int = 50) -> list[dict]:
    data = audit_api(municipality).data(RECORDS, {"first": first, "action": action})
    return data["auditRecords"]["records"]


def sign_in(tenant: str, login_id: str, password: str) -> int:
    response = Client().post(
        "/auth/login",
        data=json.dumps({"tenant": tenant, "loginId": login_id, "password": password}),
        content_type="application/json",
    )
    return response.status_code


@pytest.mark.django_db
def test_role_change_is_recorded_with_actor_address_and_before_after(okawa):
    target = okawa.people["shuji"]
    result = okawa.api(okawa.admin).data(
        "mutation($id: ID!) { setRoles(input: {personId: $id, roles: [FACILITY_ADMIN]}) "
        "{ errors { code } } }",
        {"id": str(target.id)},
    )
    assert result["setRoles"]["errors"] == []
    [rec] = records(okawa, "person.roles")
    assert rec["actorId"] == str(okawa.admin.id)
    assert rec["actor"] == f"admin {okawa.admin.name}"
    assert rec["address"] == "127.0.0.1"
    assert rec["targetId"] == str(target.id)
    assert json.loads(rec["before"]) == []
    assert json.loads(rec["after"]) == ["facility_admin"]


@pytest.mark.django_db
def test_password_reset_tokens_and_person_changes_are_recorded(okawa):
    api = okawa.api(okawa.admin)
    target = okawa.people["shuji"]
    api.data(
        "mutation($id: ID!) { resetPassword(personId: $id) { errors { code } } }",
        {"id": str(target.id)},
    )
    api.data(
        'mutation($id: ID!) { updatePerson(input: {id: $id, extension: "4321"}) '
        "{ errors { code } } }",
        {"id": str(target.id)},
    )
    created = api.data(
        'mutation { createAccessToken(name: "dashboard") { token accessToken { id } } }'
    )
    token_id = created["createAccessToken"]["accessToken"]["id"]
    api.data(
        "mutation($id: ID!) { revokeAccessToken(id: $id) { errors { code } } }", {"id": token_id}
    )

    [reset] = records(okawa, "person.password_reset")
    assert reset["targetId"] == str(target.id) and "0003" in reset["summary"]
    assert "yui" not in (reset["after"] or "")  # no password in the trail
    [update] = records(okawa, "person.updated")
    assert json.loads(update["before"]) == {"extension": ""}
    assert json.loads(update["after"]) == {"extension": "4321"}
    actions = {r["action"] for r in records(okawa, "token.")}
    assert {"token.created", "token.revoked"} <= actions
    revoked = records(okawa, "token.revoked")
    assert revoked[0]["targetId"] == token_id


@pytest.mark.django_db
def test_sign_ins_succeeded_failed_and_locked_are_recorded(okawa, settings):
    settings.LOGIN_FREE_FAILURES = 1
    assert sign_in("402125", "0002", PASSWORD) == 200
    assert sign_in("402125", "0003", "wrong-password") == 401
    assert sign_in("402125", "0003", "wrong-password") == 429  # refused by the throttle
    assert sign_in("999999", "0003", "whatever") in {401, 429}
    kinds = [r["action"] for r in records(okawa, "signin.")]
    assert kinds == ["signin.locked", "signin.failed", "signin.succeeded"]
    ok = records(okawa, "signin.succeeded")[0]
    assert ok["actorId"] == str(okawa.people["kakari"].id) and ok["address"] == "127.0.0.1"
    # An unknown municipality is no tenant's business: the deployment's chain has it.
    unknown = AuditRecord.objects.filter(chain=DEPLOYMENT_CHAIN, action__startswith="signin")
    assert unknown.count() == 1 and "0003" in unknown.get().summary


@pytest.mark.django_db
def test_import_approval_and_facility_rules_are_recorded(okawa):
    admin = okawa.principal(okawa.admin)
    data = "ログインID,氏名\n0003,佐藤 次郎\n0099,新人 太郎\n".encode("cp932")
    report = do_import_csv(okawa.tenant, "staff", data)
    assert report.ok, report.errors
    [imported] = records(okawa, "csv.import")
    after = json.loads(imported["after"])
    assert after["added"] == ["0099"] and after["added_count"] == 1

    group = facilities.do_save_facility_group(admin, None, "会議室", 0).obj
    room = facilities.do_save_facility(
        admin, None, {"group_id": group.id, "name": "大会議室", "capacity": 20}
    ).obj
    facilities.do_save_facility(
        admin,
        room.id,
        {"group_id": group.id, "name": "大会議室", "capacity": 20, "needs_approval": True},
    )
    [changed] = records(okawa, "facility.updated")
    assert json.loads(changed["before"]) == {"needs_approval": False}
    assert json.loads(changed["after"]) == {"needs_approval": True}
    assert records(okawa, "facility_group.saved")[0]["targetId"] == str(group.id)


@pytest.mark.django_db
def test_verify_finds_an_edited_and_a_deleted_record(okawa, kanda):
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()
    chain = audit.chains(okawa.tenant.id)[0]
    victims = list(AuditRecord.objects.filter(chain=chain).order_by("seq")[:3])
    assert len(victims) == 3
    # An edit behind the application's back (the model itself refuses to update).
    AuditRecord.objects.filter(pk=victims[0].pk).update(summary="nothing to see")
    AuditRecord.objects.filter(pk=victims[2].pk).delete()
    problems = audit.verify(okawa.tenant.id)
    text = "\n".join(str(p) for p in problems)
    assert f"#{victims[0].seq}: content does not match" in text
    assert f"missing records up to #{victims[2].seq}" in text
    assert audit.verify(kanda.tenant.id) == []  # the other town's chain is untouched
    with pytest.raises(CommandError, match="problem"):
        call_command("audit", "verify", stdout=StringIO())


@pytest.mark.django_db
def test_deleting_the_last_record_is_found_by_the_chain_head(okawa):
    chain = audit.chains(okawa.tenant.id)[0]
    last = AuditRecord.objects.filter(chain=chain).order_by("-seq").first()
    AuditRecord.objects.filter(pk=last.pk).delete()
    assert any("head says" in str(p) for p in audit.verify(okawa.tenant.id))


@pytest.mark.django_db
def test_records_are_append_only_through_the_model(okawa):
    rec = AuditRecord.objects.filter(tenant_id=okawa.tenant.id).first()
    rec.summary = "changed"
    with pytest.raises(RuntimeError):
        rec.save()
    with pytest.raises(RuntimeError):
        rec.delete()


@pytest.mark.django_db
def test_a_municipality_sees_only_its_own_records_and_staff_none(okawa, kanda):
    kanda_ids = set(
        AuditRecord.objects.filter(tenant_id=kanda.tenant.id).values_list("hash", flat=True)
    )
    assert kanda_ids
    page = audit_api(okawa).data(RECORDS, {"first": 200})["auditRecords"]
    seen = {r["hash"] for r in page["records"]}
    assert seen and not seen & kanda_ids
    assert page["totalCount"] == AuditRecord.objects.filter(tenant_id=okawa.tenant.id).count()
    staff = okawa.api("shuji")
    staff.url = AUDIT_URL
    result = staff(RECORDS, {"first": 10})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.django_db
def test_pages_follow_each_other_newest_first(okawa):
    api = audit_api(okawa)
    total = AuditRecord.objects.filter(tenant_id=okawa.tenant.id).count()
    seqs, after = [], None
    while True:
        page = api.data(RECORDS, {"first": 4, "after": after})["auditRecords"]
        seqs += [r["seq"] for r in page["records"]]
        after = page["nextCursor"]
        if after is None:
            break
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == len(set(seqs)) == total
    bad = api(RECORDS, {"first": 4, "after": "nonsense"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.django_db
def test_csv_export_is_cp932_with_every_record(okawa, kanda):
    okawa.api(okawa.admin).data(
        "mutation($id: ID!) { setRoles(input: {personId: $id, roles: [TENANT_ADMIN]}) "
        "{ errors { code } } }",
        {"id": str(okawa.people["kakari"].id)},
    )
    data = audit_api(okawa).data("{ exportAuditCsv { filename encoding contentBase64 } }")
    export = data["exportAuditCsv"]
    assert export["encoding"] == "cp932"
    raw = base64.b64decode(export["contentBase64"])
    rows = list(csv.reader(io.StringIO(raw.decode("cp932"))))
    assert rows[0][:5] == ["番号", "日時", "操作者", "アドレス", "操作"]
    body = rows[1:]
    assert len(body) == AuditRecord.objects.filter(tenant_id=okawa.tenant.id).count()
    roles = [r for r in body if r[4] == "person.roles"]
    assert roles and roles[0][2] == f"admin {okawa.admin.name}" and roles[0][3] == "127.0.0.1"
    assert "苅田町" not in raw.decode("cp932")


@pytest.mark.django_db
def test_a_write_through_the_gateway_records_the_clients_address(okawa):
    import httpx
    from asgiref.sync import async_to_sync

    from yui.federation import embedded_app

    token = okawa.api(okawa.admin).token
    target = okawa.people["kakari"]

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=embedded_app(), client=("10.20.30.40", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
            return await client.post(
                "/graphql",
                json={
                    "query": "mutation($id: ID!) { setRoles(input: {personId: $id, "
                    "roles: [FACILITY_ADMIN]}) { errors { code } } }",
                    "variables": {"id": str(target.id)},
                },
                headers={"Authorization": f"Bearer {token}"},
            )

    response = async_to_sync(post)()
    assert response.status_code == 200 and "errors" not in response.json(), response.json()
    rec = AuditRecord.objects.get(action="person.roles", target_id=str(target.id))
    assert rec.address == "10.20.30.40"
    assert rec.actor_id == okawa.admin.id


@pytest.mark.django_db
def test_groups_links_and_closed_days_are_recorded(okawa):
    from datetime import date

    from subgraphs.calendar import actions as calendar
    from subgraphs.people import actions as people

    admin = okawa.principal(okawa.admin)
    member = str(okawa.people["shuji"].id)
    group = people.do_save_group(admin, None, "防災チーム", "", [member]).obj
    link = people.do_save_link(admin, None, {"title": "例規集", "url": "http://reiki.local/"}).obj
    people.do_delete_link(link)
    calendar.do_set_closed_day(admin, date(2030, 5, 7), "振替閉庁日")
    calendar.do_remove_closed_day(admin, date(2030, 5, 7))

    [saved] = records(okawa, "group.saved")
    assert saved["targetId"] == str(group.id) and json.loads(saved["after"])["members"] == [member]
    assert [r["action"] for r in records(okawa, "link.")] == ["link.deleted", "link.saved"]
    assert json.loads(records(okawa, "link.deleted")[0]["before"])["title"] == "例規集"
    closed = records(okawa, "closed_day.")
    assert [r["action"] for r in closed] == ["closed_day.removed", "closed_day.set"]
    assert json.loads(closed[1]["after"]) == {"date": "2030-05-07", "name": "振替閉庁日"}
    assert audit.verify(okawa.tenant.id) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_municipality_keep_its_chain_whole(okawa):
    import threading

    from django.db import connection, connections

    from subgraphs.people import actions as people

    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes its write lock up front (IMMEDIATE): writers cannot interleave")
    admin = okawa.principal(okawa.admin)
    before = AuditRecord.objects.filter(tenant_id=okawa.tenant.id).count()
    start = threading.Barrier(12)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            outcome = people.do_create_person(admin, {"login_id": f"c{n:03d}", "name": "同時"})
            assert outcome.ok, outcome.errors
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    chain = AuditRecord.objects.filter(tenant_id=okawa.tenant.id).order_by("seq")
    assert chain.count() == before + 12
    assert list(chain.values_list("seq", flat=True)) == list(range(1, before + 13))
    assert audit.verify(okawa.tenant.id) == []


@pytest.mark.django_db
def test_a_notice_category_is_recorded(okawa):
    from tests.notices import create_category

    category_id = create_category(okawa, "防災", posterRoles=["TENANT_ADMIN"])
    [rec] = records(okawa, "notice_category.created")
    assert rec["targetId"] == category_id and rec["actorId"] == str(okawa.admin.id)
    assert json.loads(rec["after"])["name"] == "防災"


@pytest.mark.django_db
def test_a_subgraph_service_records_the_address_the_gateway_signed(okawa):
    """Distributed mode: the people service is reached by the gateway, which forwards the
    client's address signed; an unsigned or forged address is not believed."""
    from asgiref.sync import async_to_sync
    from django.test import RequestFactory

    from subgraphs.audit.origin import CLIENT_ADDRESS_HEADER, sign_client_address
    from subgraphs.core import signing
    from yui.federation import _subgraph_headers
    from yui.subgraph_service import urlpatterns_for

    view = urlpatterns_for("people")[0].callback
    principal = okawa.principal(okawa.admin)
    query = (
        "mutation($id: ID!) { setRoles(input: {personId: $id, roles: [%s]}) { errors { code } } }"
    )

    def set_roles(role: str, person_key: str, address_header: str | None) -> None:
        headers = {signing.HEADER: signing.sign_principal(principal)}
        if address_header is not None:
            headers[CLIENT_ADDRESS_HEADER] = address_header
        body = json.dumps(
            {"query": query % role, "variables": {"id": str(okawa.people[person_key].id)}}
        )
        request = RequestFactory().post(
            "/graphql",
            data=body,
            content_type="application/json",
            headers=headers,
            REMOTE_ADDR="192.0.2.1",
        )
        response = async_to_sync(view)(request)
        assert json.loads(response.content)["data"]["setRoles"]["errors"] == []

    from gateway.executor import RequestContext

    forwarded = _subgraph_headers(
        RequestContext(principal=principal, extra={"address": "10.9.8.7"})
    )
    set_roles("FACILITY_ADMIN", "kakari", forwarded[CLIENT_ADDRESS_HEADER])
    set_roles("FACILITY_ADMIN", "shuji", sign_client_address("10.9.8.7") + "x")
    set_roles("FACILITY_ADMIN", "kacho", None)
    addresses = {
        rec.target_id: rec.address for rec in AuditRecord.objects.filter(action="person.roles")
    }
    assert addresses[str(okawa.people["kakari"].id)] == "10.9.8.7"
    assert addresses[str(okawa.people["shuji"].id)] == "192.0.2.1"  # forged: the peer's
    assert addresses[str(okawa.people["kacho"].id)] == "192.0.2.1"


BY_ACTOR = """query($actor: String, $action: String) {
  auditRecords(first: 50, actor: $actor, action: $action) { totalCount records { action actor } }
  exportAuditCsv(actor: $actor, action: $action) { contentBase64 }
}"""


@pytest.mark.django_db
def test_records_are_found_by_actor_in_the_list_and_the_csv(okawa, settings):
    settings.LOGIN_FREE_FAILURES = 5
    okawa.api(okawa.admin).data(
        "mutation($id: ID!) { setRoles(input: {personId: $id, roles: [FACILITY_ADMIN]}) "
        "{ errors { code } } }",
        {"id": str(okawa.people["shuji"].id)},
    )
    assert sign_in("402125", "0003", "wrong-password") == 401
    api = audit_api(okawa)
    # By part of the administrator's name: their writes, nobody else's.
    by_admin = api.data(BY_ACTOR, {"actor": okawa.admin.name[:2]})
    actions = {r["action"] for r in by_admin["auditRecords"]["records"]}
    assert "person.roles" in actions and "signin.failed" not in actions
    assert all(okawa.admin.name in r["actor"] for r in by_admin["auditRecords"]["records"])
    # A failed sign-in has no actor: the login ID it named finds it.
    failed = api.data(BY_ACTOR, {"actor": "0003", "action": "signin."})
    assert [r["action"] for r in failed["auditRecords"]["records"]] == ["signin.failed"]
    rows = list(
        csv.reader(
            io.StringIO(base64.b64decode(failed["exportAuditCsv"]["contentBase64"]).decode("cp932"))
        )
    )
    assert [r[4] for r in rows[1:]] == ["signin.failed"]
    nobody = api.data(BY_ACTOR, {"actor": "誰でもない人"})
    assert nobody["auditRecords"]["totalCount"] == 0


@pytest.mark.django_db
def test_mail_settings_and_shared_mailbox_assignments_are_recorded(okawa):
    mail = okawa.api(okawa.admin)
    mail.url = "/subgraphs/mail/graphql"
    mail.data(
        'mutation { updateMailSettings(domain: "city.okawa.example.jp") { errors { code } } }'
    )
    mail.data(
        'mutation { updateMailHarmlessPolicy(input: {enabled: true, attachments: "PASS"}) '
        "{ errors { code } } }"
    )
    made = mail.data(
        'mutation { createSharedMailbox(input: {localPart: "shomu", name: "庶務係"}) '
        "{ mailbox { id } errors { code } } }"
    )
    box = made["createSharedMailbox"]["mailbox"]["id"]
    kakari = str(okawa.people["kakari"].id)
    assigned = mail.data(
        "mutation($m: ID!, $p: ID!) { assignMailbox(input: {mailboxId: $m, personIds: [$p]}) "
        "{ mailbox { assignments { id } } errors { code } } }",
        {"m": box, "p": kakari},
    )
    [assignment] = assigned["assignMailbox"]["mailbox"]["assignments"]
    mail.data(
        "mutation($id: ID!) { unassignMailbox(id: $id) { errors { code } } }",
        {"id": assignment["id"]},
    )

    [domain] = records(okawa, "mail.settings")
    assert json.loads(domain["after"]) == {"domain": "city.okawa.example.jp"}
    [policy] = records(okawa, "mail.harmless_policy")
    assert json.loads(policy["before"])["harmless_enabled"] is False
    assert json.loads(policy["after"])["harmless_enabled"] is True
    assert json.loads(policy["after"])["harmless_attachments"] == "PASS"
    [created] = records(okawa, "mailbox.created")
    assert created["targetId"] == box and created["actorId"] == str(okawa.admin.id)
    [given] = records(okawa, "mailbox.assigned")
    assert json.loads(given["after"]) == {"persons": [kakari], "departments": []}
    [taken] = records(okawa, "mailbox.unassigned")
    assert json.loads(taken["before"]) == {"person": kakari, "department": None}
