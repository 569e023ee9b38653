"""April 1st (人事異動): next year's organisation and staff staged for a date, previewed,
applied on the day in one transaction, and every view checked before and after.

The deployment is a council's: departments and 320 staff from the HR files. The change
merges 保険年金課 into 市民課, renames 人事課 to 職員課, adds 建築住宅課 and transfers 300
people; one person leaves and one joins. The clock is the reorganisation's own (``reorg.now``).
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from subgraphs.audit.models import AuditRecord
from subgraphs.calendar.models import Event
from subgraphs.core.principal import ROLE_FACILITY_ADMIN
from subgraphs.facilities.models import Facility, FacilityGroup, Reservation
from subgraphs.mail.models import Mailbox, MailboxAssignment
from subgraphs.notices.models import NoticeCategory
from subgraphs.people import reorg
from subgraphs.people.csv_io import do_import_csv
from subgraphs.people.models import Organization, Person, Reorganisation, RoleAssignment
from tests.conftest import Municipality
from tests.facilities import facilities_api
from tests.mail import mail_api, mailboxes
from tests.notices import notices_api

JAPAN = ZoneInfo("Asia/Tokyo")
DAY = date(2027, 4, 1)
ORG_HEADER = "組織コード,組織名,組織名カナ,上位組織コード,表示順"
STAFF_HEADER = "ログインID,氏名,氏名カナ,メールアドレス,所属組織コード,兼務組織コード,役職,役職コード,内線番号,表示順"
TOPS = ["10,総務部,,,1", "20,市民部,,,2", "30,建設部,,,3"]
NOW_ORGS = [
    *TOPS,
    "1010,総務課,,10,1",
    "1020,人事課,,10,2",
    "2010,市民課,,20,1",
    "2020,保険年金課,,20,2",
    "3010,土木課,,30,1",
    "3020,都市計画課,,30,2",
]
NEXT_ORGS = [
    *TOPS,
    "1010,総務課,,10,1",
    "1020,職員課,,10,2",
    "2010,市民課,,20,1",
    "3010,土木課,,30,1",
    "3020,都市計画課,,30,2",
    "3030,建築住宅課,,30,3",
]
LEAVES_NOW = ["1010", "1020", "2010", "2020", "3010", "3020"]
LEAVES_NEXT = ["1010", "1020", "2010", "3010", "3020", "3030"]
STAFF = 320
TRANSFERS = 300


def login(i: int) -> str:
    return f"s{i:04d}"


def department_now(i: int) -> str:
    code = LEAVES_NOW[i % 6]
    return "1010" if i >= TRANSFERS and code == "2020" else code


def department_next(i: int) -> str:
    now = department_now(i)
    if now == "2020":
        return "2010"  # merged
    if i >= TRANSFERS:
        return now
    return LEAVES_NEXT[(LEAVES_NEXT.index(now) + 1) % 6]


def staff_row(i: int, department: str) -> str:
    return f"{login(i)},職員 {i},,,{department},,主事,600,,{i}"


def csv_bytes(header: str, rows: list[str]) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("cp932")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


NOW_STAFF = [staff_row(i, department_now(i)) for i in range(STAFF)]
# s0319 leaves (not in the file), s0400 joins the new 建築住宅課.
NEXT_STAFF = [staff_row(i, department_next(i)) for i in range(STAFF - 1)] + [staff_row(400, "3030")]

STAGE = """
mutation($input: StageReorganisationInput!) {
  stageReorganisation(input: $input) {
    reorganisation { id effectiveDate state }
    preview {
      moves { loginId name fromCode fromName toCode toName }
      addedDepartments { code name }
      renamedDepartments { code name beforeName }
      mergedDepartments { code name intoCode intoName }
      closedDepartments { code name }
      joining { loginId name }
      leaving { loginId name }
    }
    errors { code file line column message }
  }
}
"""
PREVIEW = """
query($id: ID!) {
  reorganisationPreview(id: $id) {
    moves { loginId toCode }
    mergedDepartments { code intoCode }
    renamedDepartments { code name beforeName }
    errors { code file line }
  }
}
"""
LIST = "{ reorganisations { id effectiveDate state errors { code file line } } }"
EDIT = """
mutation($input: EditReorganisationInput!) {
  editReorganisation(input: $input) {
    reorganisation { id effectiveDate state }
    errors { code file line column }
  }
}
"""
WITHDRAW = """
mutation($id: ID!) {
  withdrawReorganisation(id: $id) { reorganisation { state } errors { code } }
}
"""
DEPARTMENT = """
query($id: ID!, $day: Date!) {
  organization(id: $id) {
    code name isActive
    members { loginId }
    membersOn(date: $day) { loginId }
  }
}
"""
WEEK = """
query($id: ID!, $start: DateTime!, $end: DateTime!) {
  organization(id: $id) { membersDuring(start: $start, end: $end) { loginId } }
}
"""


class Clock:
    """The reorganisation's clock, set by the test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
        self.at = at
        monkeypatch.setattr(reorg, "now", lambda: self.at)

    def set(self, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> None:
        self.at = datetime(year, month, day, hour, minute, tzinfo=JAPAN)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, datetime(2027, 3, 10, 9, 0, tzinfo=JAPAN))


@pytest.fixture
def council(okawa: Municipality) -> Municipality:
    """okawa with its HR files imported: 9 departments, 320 staff."""
    for kind, data in (
        ("organizations", csv_bytes(ORG_HEADER, NOW_ORGS)),
        ("staff", csv_bytes(STAFF_HEADER, NOW_STAFF)),
    ):
        report = do_import_csv(okawa.tenant, kind, data)
        assert report.applied, report.errors
    return okawa


def org(m: Municipality, code: str) -> Organization:
    return Organization.objects.get(tenant=m.tenant, code=code)


def stage_input(orgs: list[str] = NEXT_ORGS, staff: list[str] = NEXT_STAFF, **more: Any) -> dict:
    return {
        "effectiveDate": DAY.isoformat(),
        "organizations": {"contentBase64": b64(csv_bytes(ORG_HEADER, orgs)), "filename": "o.csv"},
        "staff": {"contentBase64": b64(csv_bytes(STAFF_HEADER, staff)), "filename": "s.csv"},
        **more,
    }


def stage(m: Municipality, **more: Any) -> dict:
    return m.api(m.admin).data(STAGE, {"input": stage_input(**more)})["stageReorganisation"]  # type: ignore[arg-type, no-any-return]


def department_view(m: Municipality, code: str, day: date) -> dict:
    found = m.api(m.admin).data(DEPARTMENT, {"id": str(org(m, code).id), "day": day.isoformat()})  # type: ignore[arg-type]
    return found["organization"]  # type: ignore[no-any-return]


def logins(rows: list[dict]) -> set[str]:
    return {r["loginId"] for r in rows}


def now_in(code: str) -> set[str]:
    return {login(i) for i in range(STAFF) if department_now(i) == code}


def next_in(code: str) -> set[str]:
    found = {login(i) for i in range(STAFF - 1) if department_next(i) == code}
    return found | ({login(400)} if code == "3030" else set())


@pytest.mark.django_db(transaction=True)
def test_a_staged_reorganisation_is_previewed_then_applied_on_its_day(council, clock):
    m = council
    last_year = date(2026, 6, 1)
    # What hangs on 保険年金課 (2020): a room its 施設管理者 approve, a room only some
    # departments may book, a shared mailbox, a notice category it posts in, its week.
    kokuho, shimin = org(m, "2020"), org(m, "2010")
    group = FacilityGroup.objects.create(tenant_id=m.tenant.id, name="会議室")
    room = Facility.objects.create(
        tenant_id=m.tenant.id,
        group=group,
        name="相談室",
        owning_department_id=kokuho.id,
        needs_approval=True,
    )
    limited = Facility.objects.create(
        tenant_id=m.tenant.id,
        group=group,
        name="窓口端末",
        allowed_department_ids=[str(kokuho.id), str(shimin.id)],
    )
    stays_in_shimin = next(i for i in range(TRANSFERS, STAFF) if department_now(i) == "2010")
    approver = Person.objects.get(tenant=m.tenant, login_id=login(stays_in_shimin))
    RoleAssignment.objects.create(tenant=m.tenant, person=approver, role=ROLE_FACILITY_ADMIN)
    box = Mailbox.objects.create(
        tenant_id=m.tenant.id, kind="SHARED", local_part="kokuho", name="保険年金課"
    )
    MailboxAssignment.objects.create(tenant_id=m.tenant.id, mailbox=box, department_id=kokuho.id)
    category = NoticeCategory.objects.create(
        tenant_id=m.tenant.id, name="国保", poster_department_ids=[str(kokuho.id)]
    )

    def department_event(title: str, day: date) -> Event:
        start = datetime(day.year, day.month, day.day, 10, tzinfo=JAPAN)
        return Event.objects.create(
            tenant_id=m.tenant.id,
            title=title,
            organizer_id=m.admin.id,  # type: ignore[union-attr]
            owner_department_id=kokuho.id,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            range_start=start,
            range_end=start + timedelta(hours=1),
        )

    past_event = department_event("昨年度の窓口当番", last_year)
    future_event = department_event("新年度の窓口当番", date(2027, 4, 5))
    from_kokuho = sorted(now_in("2020"))[0]
    moved_to_kokuho_box = Person.objects.get(tenant=m.tenant, login_id=from_kokuho)

    slot = datetime(2027, 4, 7, 10, tzinfo=JAPAN)
    Reservation.objects.create(
        tenant_id=m.tenant.id,
        facility=room,
        starts_at=slot,
        ends_at=slot + timedelta(hours=1),
        requester_id=moved_to_kokuho_box.id,
        status=Reservation.Status.PENDING,
    )

    def may_post_in_kokuho(person: Person) -> bool:
        found = notices_api(m, person).data("{ noticeCategories { name canPost } }")
        return next(c["canPost"] for c in found["noticeCategories"] if c["name"] == "国保")

    def approver_sees() -> list[str]:
        found = facilities_api(m, approver).data("{ pendingReservations { facility { name } } }")
        return [r["facility"]["name"] for r in found["pendingReservations"]]

    # Staging: checked against today's data, nothing changes.
    staged = stage(m)
    assert staged["errors"] == [], staged["errors"]
    assert staged["reorganisation"]["state"] == "SCHEDULED"
    preview = staged["preview"]
    assert len(preview["moves"]) == TRANSFERS
    move = next(mv for mv in preview["moves"] if mv["loginId"] == from_kokuho)
    assert move == {
        "loginId": from_kokuho,
        "name": move["name"],
        "fromCode": "2020",
        "fromName": "保険年金課",
        "toCode": "2010",
        "toName": "市民課",
    }
    assert preview["addedDepartments"] == [{"code": "3030", "name": "建築住宅課"}]
    assert preview["renamedDepartments"] == [
        {"code": "1020", "name": "職員課", "beforeName": "人事課"}
    ]
    assert preview["mergedDepartments"] == [
        {"code": "2020", "name": "保険年金課", "intoCode": "2010", "intoName": "市民課"}
    ]
    assert preview["closedDepartments"] == []
    assert logins(preview["joining"]) == {login(400)}
    assert logins(preview["leaving"]) == {login(STAFF - 1)}
    reorg_id = staged["reorganisation"]["id"]

    # Until the day: today's organisation everywhere.
    def unchanged() -> None:
        assert org(m, "2020").is_active and org(m, "1020").name == "人事課"
        assert not Organization.objects.filter(tenant=m.tenant, code="3030").exists()
        assert logins(department_view(m, "2020", DAY)["members"]) == now_in("2020")

    unchanged()
    clock.set(2027, 3, 31, 23, 59)
    assert reorg.apply_due() == []
    unchanged()
    # The preview is computed against the data as it is when asked.
    again = m.api(m.admin).data(PREVIEW, {"id": reorg_id})["reorganisationPreview"]  # type: ignore[arg-type]
    assert len(again["moves"]) == TRANSFERS and again["errors"] == []
    assert again["mergedDepartments"] == [{"code": "2020", "intoCode": "2010"}]
    assert mailboxes(mail_api(m, moved_to_kokuho_box))[-1]["name"] == "保険年金課"
    assert all(b["name"] != "保険年金課" for b in mailboxes(mail_api(m, approver)))
    assert approver_sees() == []  # 相談室 is still 保険年金課's to approve
    assert may_post_in_kokuho(moved_to_kokuho_box) and not may_post_in_kokuho(approver)

    # The day (Japan time): the worker's round applies it.
    clock.set(2027, 4, 1, 0, 1)
    applied = reorg.apply_due()
    assert [r.state for r in applied] == ["applied"]
    assert m.api(m.admin).data(LIST)["reorganisations"][0]["state"] == "APPLIED"  # type: ignore[arg-type]

    # People directory: the new organisation.
    assert not org(m, "2020").is_active and org(m, "1020").name == "職員課"
    assert org(m, "3030").is_active
    for code in LEAVES_NEXT:
        assert logins(department_view(m, code, DAY)["members"]) == next_in(code), code
    assert not Person.objects.get(tenant=m.tenant, login_id=login(STAFF - 1)).is_active

    # Department weeks: this year's members now, last year's members for last year.
    for code in LEAVES_NOW:
        assert logins(department_view(m, code, last_year)["membersOn"]) == now_in(code), code
    assert logins(department_view(m, "3030", last_year)["membersOn"]) == set()
    assert logins(department_view(m, "2010", DAY)["membersOn"]) == next_in("2010")
    assert logins(department_view(m, "2010", date(2027, 3, 31))["membersOn"]) == now_in("2010")

    # The rows of a department week: who was there at any time of it (Japan's days).
    def week(code: str, monday: date) -> set[str]:
        start = datetime(monday.year, monday.month, monday.day, tzinfo=JAPAN)
        variables = {
            "id": str(org(m, code).id),
            "start": start.isoformat(),
            "end": (start + timedelta(days=7)).isoformat(),
        }
        found = m.api(m.admin).data(WEEK, variables)["organization"]["membersDuring"]  # type: ignore[arg-type]
        return logins(found)

    assert week("2010", date(2026, 6, 1)) == now_in("2010")
    assert week("2010", date(2027, 3, 29)) == now_in("2010") | next_in("2010")  # 1 April: Thursday
    assert week("2010", date(2027, 4, 5)) == next_in("2010")
    assert week("2020", date(2027, 4, 5)) == set()
    past_event.refresh_from_db()
    future_event.refresh_from_db()
    assert past_event.owner_department_id == kokuho.id  # the past keeps its department
    assert future_event.owner_department_id == shimin.id

    # Approvers, permissions, shared mailboxes, who may post: the successor's.
    room.refresh_from_db()
    limited.refresh_from_db()
    assert room.owning_department_id == shimin.id
    assert approver_sees() == ["相談室"]  # 市民課's 施設管理者 approve it from the day on
    assert limited.allowed_department_ids == [str(shimin.id)]
    category.refresh_from_db()
    assert category.poster_department_ids == [str(shimin.id)]
    assert may_post_in_kokuho(approver) and may_post_in_kokuho(moved_to_kokuho_box)
    assert MailboxAssignment.objects.get(mailbox=box).department_id == shimin.id
    assert any(b["name"] == "保険年金課" for b in mailboxes(mail_api(m, approver)))
    assert any(b["name"] == "保険年金課" for b in mailboxes(mail_api(m, moved_to_kokuho_box)))

    # Audited, and applied once only.
    actions = list(
        AuditRecord.objects.filter(tenant_id=m.tenant.id, action__startswith="reorg.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["reorg.stage", "reorg.apply"]
    assert reorg.apply_due() == []


@pytest.mark.django_db
def test_bad_rows_come_back_with_their_file_and_line_and_nothing_is_staged(council, clock):
    bad_staff = [*NEXT_STAFF[:5], "s9999,誰か,,,9999,,,,,1"]
    payload = stage(council, staff=bad_staff)
    assert payload["reorganisation"] is None
    assert payload["errors"] == [
        {
            "code": "UNKNOWN_DEPARTMENT",
            "file": "staff",
            "line": 7,
            "column": "所属組織コード",
            "message": "組織コード 9999 は登録されていません。",
        }
    ]
    bad_orgs = [*NEXT_ORGS, "4010,,,40,1"]
    errors = stage(council, orgs=bad_orgs)["errors"]
    assert {(e["code"], e["file"], e["line"]) for e in errors} == {
        ("REQUIRED", "organizations", len(NEXT_ORGS) + 2),
        ("UNKNOWN_PARENT", "organizations", len(NEXT_ORGS) + 2),
    }
    # Staff left in a department the file closes: the import's own refusal.
    kept = [staff_row(3, "2020") if r.startswith(login(3) + ",") else r for r in NEXT_STAFF]
    errors = stage(council, staff=kept)["errors"]
    assert [(e["code"], e["file"]) for e in errors] == [("DEPARTMENT_HAS_STAFF", "organizations")]
    assert not Reorganisation.objects.exists()


@pytest.mark.django_db
def test_edit_withdraw_one_at_a_time_and_dates_in_the_future(council, clock, capsys):
    m = council
    api = m.api(m.admin)  # type: ignore[arg-type]
    payload = api.data(STAGE, {"input": stage_input(effectiveDate="2027-03-10")})[
        "stageReorganisation"
    ]
    assert [e["code"] for e in payload["errors"]] == ["EFFECTIVE_DATE_PAST"]
    first = stage(m)["reorganisation"]
    assert [e["code"] for e in stage(m)["errors"]] == ["ALREADY_SCHEDULED"]

    # Edit: another staff file (one more transfer back) and another date.
    staff = [staff_row(i, department_now(i)) if i == 0 else r for i, r in enumerate(NEXT_STAFF)]
    edited = api.data(
        EDIT,
        {
            "input": {
                "id": first["id"],
                "effectiveDate": "2027-04-02",
                "staff": {"contentBase64": b64(csv_bytes(STAFF_HEADER, staff))},
            }
        },
    )["editReorganisation"]
    assert edited["errors"] == [] and edited["reorganisation"]["effectiveDate"] == "2027-04-02"
    preview = api.data(PREVIEW, {"id": first["id"]})["reorganisationPreview"]
    assert len(preview["moves"]) == TRANSFERS - 1
    bad = api.data(EDIT, {"input": {"id": first["id"], "staff": {"contentBase64": "not base64!"}}})[
        "editReorganisation"
    ]
    assert [e["code"] for e in bad["errors"]] == ["BAD_ENCODING"]

    withdrawn = api.data(WITHDRAW, {"id": first["id"]})["withdrawReorganisation"]
    assert withdrawn == {"reorganisation": {"state": "WITHDRAWN"}, "errors": []}
    assert [
        e["code"]
        for e in api.data(WITHDRAW, {"id": first["id"]})["withdrawReorganisation"]["errors"]
    ] == ["NOT_EDITABLE"]
    clock.set(2027, 4, 3)
    assert reorg.apply_due() == []
    assert org(m, "2020").is_active
    actions = list(
        AuditRecord.objects.filter(tenant_id=m.tenant.id, action__startswith="reorg.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["reorg.stage", "reorg.edit", "reorg.withdraw"]
    call_command("reorg", "list", "--tenant", "okawa")
    assert f"402125 2027-04-02 withdrawn {first['id']} o.csv" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_change_the_data_no_longer_fits_fails_whole_and_says_why(council, clock, capsys):
    m = council
    stage(m)
    # After staging, someone makes a department by hand below 保険年金課, which the files
    # close: the import refuses to close a department above one it does not manage.
    Organization.objects.create(
        tenant=m.tenant, code="202010", name="窓口係", parent=org(m, "2020")
    )
    clock.set(2027, 4, 1, 0, 5)
    with pytest.raises(Exception, match="failed"):
        call_command("reorg", "apply", "--due")
    assert "DEPARTMENT_HAS_CHILDREN" in capsys.readouterr().err
    row = Reorganisation.objects.get()
    assert row.state == "failed"
    assert org(m, "2020").is_active and org(m, "1020").name == "人事課"  # nothing applied
    listed = m.api(m.admin).data(LIST)["reorganisations"]  # type: ignore[arg-type]
    assert listed[0]["state"] == "FAILED"
    assert [e["code"] for e in listed[0]["errors"]] == ["DEPARTMENT_HAS_CHILDREN"]


@pytest.mark.django_db
def test_only_the_municipalitys_administrators_see_and_change_its_reorganisations(
    council, kanda, clock
):
    staged = stage(council)["reorganisation"]
    other = kanda.api(kanda.admin)  # type: ignore[arg-type]
    assert other.data(LIST) == {"reorganisations": []}
    assert other.data(PREVIEW, {"id": staged["id"]}) == {"reorganisationPreview": None}
    assert other.data(WITHDRAW, {"id": staged["id"]})["withdrawReorganisation"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]
    staff = council.api("kacho")
    denied = staff(LIST)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert Reorganisation.objects.get().state == "scheduled"
