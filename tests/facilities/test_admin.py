"""Tenant administrators set up facility groups and facilities with their booking rules
through GraphQL (the administration screen's API): the rules then hold for staff's bookings,
bad rules are typed errors, another municipality can touch none of it, and deactivated
facilities stay listed for administrators only."""

from __future__ import annotations

import pytest

from subgraphs.facilities.models import Facility, FacilityGroup
from tests.facilities import at, book, facilities_api, next_weekday

SAVE_GROUP = """
mutation($input: SaveFacilityGroupInput!) {
  saveFacilityGroup(input: $input) { group { id name sortOrder } errors { code field } }
}
"""
SAVE = """
mutation($input: SaveFacilityInput!) {
  saveFacility(input: $input) {
    facility {
      id name capacity poolSize isActive openTime closeTime bookableWeekdays maxDaysAhead
      minMinutes maxMinutes needsApproval owningDepartmentId group { name }
    }
    errors { code field }
  }
}
"""
GROUPS = "{ facilityGroups { name facilities { name } } }"
ALL_GROUPS = "{ facilityGroups { name facilities(includeInactive: true) { name isActive } } }"


def new_group(api, name: str = "会議室") -> str:
    out = api.data(SAVE_GROUP, {"input": {"name": name, "sortOrder": 1}})["saveFacilityGroup"]
    assert out["errors"] == [], out
    return out["group"]["id"]  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_admin_creates_a_room_with_rules_that_hold_for_staff(okawa):
    admin = facilities_api(okawa, "admin")
    group = new_group(admin)
    created = admin.data(
        SAVE,
        {
            "input": {
                "groupId": group,
                "name": "第3会議室",
                "capacity": 10,
                "openTime": "09:00:00",
                "closeTime": "17:00:00",
                "bookableWeekdays": [0, 1, 2, 3, 4],
                "maxDaysAhead": 60,
                "minMinutes": 30,
                "maxMinutes": 240,
                "owningDepartmentId": str(okawa.orgs["shomu"].id),
            }
        },
    )["saveFacility"]
    assert created["errors"] == []
    room = created["facility"]
    assert (room["openTime"], room["closeTime"]) == ("09:00:00", "17:00:00")
    assert room["bookableWeekdays"] == [0, 1, 2, 3, 4] and room["group"] == {"name": "会議室"}
    assert room["owningDepartmentId"] == str(okawa.orgs["shomu"].id)
    staff = facilities_api(okawa, "shuji")
    assert staff.data(GROUPS)["facilityGroups"] == [
        {"name": "会議室", "facilities": [{"name": "第3会議室"}]}
    ]
    facility = Facility.objects.get(id=room["id"])
    thursday = next_weekday(3)
    early = book(staff, facility, thursday, "08:00", "09:30")
    assert early["__typename"] == "ReservationRefused"
    assert [e["code"] for e in early["errors"]] == ["OUTSIDE_HOURS"]
    saturday = next_weekday(5)
    closed = book(staff, facility, saturday, "10:00", "11:00")
    assert [e["code"] for e in closed["errors"]] == ["CLOSED_WEEKDAY"]
    long = book(staff, facility, thursday, "09:00", "13:30")
    assert [e["code"] for e in long["errors"]] == ["TOO_LONG"]
    fine = book(staff, facility, thursday, "10:00", "11:00")
    assert fine["__typename"] == "ReservationPayload"
    assert fine["reservation"]["start"] == at(thursday, "10:00")
    # The administrator changes a rule: it holds from the next booking on.
    changed = admin.data(
        SAVE,
        {"input": {"id": room["id"], "groupId": group, "name": "第3会議室", "needsApproval": True}},
    )["saveFacility"]
    assert changed["errors"] == [] and changed["facility"]["needsApproval"] is True
    pending = book(staff, facility, thursday, "14:00", "15:00")
    assert pending["reservation"]["status"] == "PENDING"


@pytest.mark.django_db
def test_bad_rules_are_typed_errors_and_change_nothing(okawa):
    admin = facilities_api(okawa, "admin")
    group = new_group(admin)
    cases = [
        ({"openTime": "18:00:00", "closeTime": "09:00:00"}, "closeTime"),
        ({"bookableWeekdays": [7]}, "bookableWeekdays"),
        ({"minMinutes": 120, "maxMinutes": 60}, "minMinutes"),
        ({"poolSize": 0}, "poolSize"),
        ({"capacity": -1}, "capacity"),
        ({"maxDaysAhead": -1}, "maxDaysAhead"),
        ({"minMinutes": 0}, "minMinutes"),
        ({"maxMinutes": -30}, "maxMinutes"),
        ({"name": "  "}, "name"),
        ({"owningDepartmentId": "not-an-id"}, "owningDepartmentId"),
    ]
    for values, field in cases:
        out = admin.data(SAVE, {"input": {"groupId": group, "name": "会議室A", **values}})
        errors = out["saveFacility"]["errors"]
        assert out["saveFacility"]["facility"] is None, values
        assert field in [e["field"] for e in errors], (values, errors)
    assert not Facility.objects.exists()
    empty = admin.data(SAVE_GROUP, {"input": {"name": ""}})["saveFacilityGroup"]
    assert empty["group"] is None and empty["errors"][0]["field"] == "name"


@pytest.mark.django_db
def test_staff_cannot_set_up_facilities(okawa):
    staff = facilities_api(okawa, "kacho")
    result = staff(SAVE_GROUP, {"input": {"name": "会議室"}})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    group = new_group(facilities_api(okawa, "admin"))
    result = staff(SAVE, {"input": {"groupId": group, "name": "第1会議室"}})
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert not Facility.objects.exists()


@pytest.mark.django_db
def test_another_municipality_cannot_touch_the_groups_or_facilities(okawa, kanda):
    admin = facilities_api(okawa, "admin")
    group = new_group(admin)
    room = admin.data(SAVE, {"input": {"groupId": group, "name": "第1会議室"}})["saveFacility"]
    other = facilities_api(kanda, "admin")
    into = other.data(SAVE, {"input": {"groupId": group, "name": "乗っ取り"}})["saveFacility"]
    assert into["facility"] is None and into["errors"][0] == {
        "code": "NOT_FOUND",
        "field": "groupId",
    }
    own = new_group(other, "公用車")
    edit = other.data(
        SAVE, {"input": {"id": room["facility"]["id"], "groupId": own, "name": "乗っ取り"}}
    )["saveFacility"]
    assert edit["facility"] is None and edit["errors"][0]["code"] == "NOT_FOUND"
    rename = other.data(SAVE_GROUP, {"input": {"id": group, "name": "乗っ取り"}})
    assert rename["saveFacilityGroup"]["errors"][0]["code"] == "NOT_FOUND"
    assert FacilityGroup.objects.get(id=group).name == "会議室"
    assert Facility.objects.get(id=room["facility"]["id"]).name == "第1会議室"
    assert other.data(ALL_GROUPS)["facilityGroups"] == [{"name": "公用車", "facilities": []}]


@pytest.mark.django_db
def test_deactivated_facilities_are_listed_for_administrators_only(okawa):
    admin = facilities_api(okawa, "admin")
    group = new_group(admin)
    for order, name, active in ((1, "第1会議室", True), (2, "旧第2会議室", False)):
        values = {"groupId": group, "name": name, "isActive": active, "sortOrder": order}
        out = admin.data(SAVE, {"input": values})
        assert out["saveFacility"]["errors"] == []
    assert admin.data(ALL_GROUPS)["facilityGroups"][0]["facilities"] == [
        {"name": "第1会議室", "isActive": True},
        {"name": "旧第2会議室", "isActive": False},
    ]
    assert admin.data(GROUPS)["facilityGroups"][0]["facilities"] == [{"name": "第1会議室"}]
    staff = facilities_api(okawa, "shuji")
    assert staff.data(ALL_GROUPS)["facilityGroups"][0]["facilities"] == [
        {"name": "第1会議室", "isActive": True}
    ]
