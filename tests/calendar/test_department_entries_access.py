"""Who may write into a department's week (課の予定, ``ownerDepartmentId``): its members,
whose main post (所属) or additional post (兼務) it is, and tenant administrators; nobody
else may put an entry there, nor change, move or cancel one that is there."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from subgraphs.calendar.models import Event
from tests.calendar import PAYLOAD, calendar_api, create_event, iso, jst

CREATE = f"""mutation($input: CreateEventInput!) {{ createEvent(input: $input) {{ {PAYLOAD} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateEventInput!) {{
  updateEvent(id: $id, input: $input) {{ {PAYLOAD} }} }}"""
MOVE = f"""mutation($id: ID!, $start: DateTime!, $end: DateTime!) {{
  moveOccurrence(eventId: $id, start: $start, end: $end) {{ {PAYLOAD} }} }}"""
CANCEL = f"mutation($id: ID!) {{ cancelEvent(id: $id) {{ {PAYLOAD} }} }}"
CAN_EDIT = "query($id: ID!) { event(id: $id) { canEdit title } }"


def entry(department: Any, **more: Any) -> dict[str, Any]:
    return {
        "input": {
            "title": "窓口当番",
            "start": iso(2026, 4, 9, 9),
            "end": iso(2026, 4, 9, 12),
            "ownerDepartmentId": str(department.id),
            **more,
        }
    }


@pytest.mark.django_db
def test_only_members_and_administrators_put_entries_into_a_department_week(okawa):
    shomu, shiminka = okawa.orgs["shomu"], okawa.orgs["shiminka"]
    # 田中 (市民課) and 髙橋 (総務課, the 係's parent) are no members of 庶務係.
    for outsider in ("shimin", "kacho"):
        refused = calendar_api(okawa, outsider).data(CREATE, entry(shomu))["createEvent"]
        assert refused["event"] is None
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("FORBIDDEN", "ownerDepartmentId")
        ]
    assert not Event.objects.filter(owner_department_id=shomu.id).exists()
    # A member by main post, a member by 兼務 (鈴木: 人事係, 兼務 市民課), an administrator.
    for who, department in (("shuji", shomu), ("jinji", shiminka), ("admin", shomu)):
        made = calendar_api(okawa, who).data(CREATE, entry(department))["createEvent"]
        assert made["errors"] == [], (who, made)
    assert Event.objects.filter(owner_department_id=shomu.id).count() == 2
    assert Event.objects.filter(owner_department_id=shiminka.id).count() == 1


@pytest.mark.django_db
def test_an_administrator_cannot_name_a_department_that_is_not_there(okawa, kanda):
    api = calendar_api(okawa, "admin")
    for department in (kanda.orgs["shomu"].id, uuid.uuid4()):
        refused = api.data(CREATE, entry(type("Org", (), {"id": department})))["createEvent"]
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("NOT_FOUND", "ownerDepartmentId")
        ]
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_an_outsider_cannot_move_an_own_entry_into_a_department_week(okawa):
    shomu = okawa.orgs["shomu"]
    mine = create_event(
        okawa.people["shimin"], starts_at=jst(2026, 4, 9, 9), ends_at=jst(2026, 4, 9, 12)
    )
    result = calendar_api(okawa, "shimin").data(
        UPDATE, {"id": str(mine.id), "input": {"ownerDepartmentId": str(shomu.id)}}
    )["updateEvent"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [
        ("FORBIDDEN", "ownerDepartmentId")
    ]
    mine.refresh_from_db()
    assert mine.owner_department_id is None and mine.version == 1


@pytest.mark.django_db
def test_a_department_entry_is_changed_by_its_members_only(okawa):
    shomu = okawa.orgs["shomu"]
    duty = create_event(
        okawa.people["kakari"],
        title="窓口当番",
        starts_at=jst(2026, 4, 9, 9),
        ends_at=jst(2026, 4, 9, 12),
        owner_department_id=shomu.id,
    )
    moved = {"id": str(duty.id), "start": iso(2026, 4, 10, 9), "end": iso(2026, 4, 10, 12)}
    for outsider in ("shimin", "kacho"):
        api = calendar_api(okawa, outsider)
        assert api.data(CAN_EDIT, {"id": str(duty.id)})["event"]["canEdit"] is False
        for query, variables in (
            (UPDATE, {"id": str(duty.id), "input": {"title": "乗っ取り"}}),
            (UPDATE, {"id": str(duty.id), "input": {"ownerDepartmentId": None}}),
            (MOVE, moved),
            (CANCEL, {"id": str(duty.id)}),
        ):
            result = api(query, variables)
            assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"], result
    duty.refresh_from_db()
    assert (duty.title, duty.version, duty.cancelled) == ("窓口当番", 1, False)
    assert duty.starts_at == jst(2026, 4, 9, 9) and duty.owner_department_id == shomu.id
    # 佐藤, a member who did not make it, keeps the department's week in order.
    member = calendar_api(okawa, "shuji")
    assert member.data(CAN_EDIT, {"id": str(duty.id)})["event"]["canEdit"] is True
    assert member.data(MOVE, moved)["moveOccurrence"]["errors"] == []
    changed = member.data(UPDATE, {"id": str(duty.id), "input": {"title": "窓口当番（午前）"}})
    assert changed["updateEvent"]["errors"] == []
    # An administrator may; so far the entry moved once and was renamed once.
    admin = calendar_api(okawa, "admin")
    assert admin.data(CAN_EDIT, {"id": str(duty.id)})["event"]["canEdit"] is True
    assert admin.data(CANCEL, {"id": str(duty.id)})["cancelEvent"]["errors"] == []
    duty.refresh_from_db()
    assert (duty.title, duty.cancelled, duty.starts_at) == (
        "窓口当番（午前）",
        True,
        jst(2026, 4, 10, 9),
    )
