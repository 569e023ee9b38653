"""Closed days (閉庁日): a new municipality closes 年末年始 (12/29–1/3) from its first day, and
its administrators may change that; free-slot search skips whatever is closed."""

from __future__ import annotations

import pytest

from tests.calendar import calendar_api, iso
from tests.conftest import build_municipality

HOLIDAYS = "query($s: Date!, $e: Date!) { holidays(start: $s, end: $e) { date name kind } }"
YEAR_END = {"s": "2026-12-28", "e": "2027-01-05"}
ANNUAL = "{ annualClosedDays { month day name } }"
SET_ANNUAL = """mutation($m: Int!, $d: Int!, $n: String!) { setAnnualClosedDay(month: $m,
  day: $d, name: $n) { annualClosedDay { month day name } errors { code field } } }"""
REMOVE_ANNUAL = """mutation($m: Int!, $d: Int!) { removeAnnualClosedDay(month: $m, day: $d) {
  annualClosedDay { month day name } errors { code field } } }"""
SET_DAY = """mutation($d: Date!) { setClosedDay(day: $d, name: "庁舎点検") {
  closedDay { date } errors { code } } }"""
REMOVE_DAY = """mutation($d: Date!) { removeClosedDay(day: $d) { closedDay { date name }
  errors { code field } } }"""
SLOTS = """query($ids: [ID!]!, $s: DateTime!, $e: DateTime!) { findFreeSlots(personIds: $ids,
  start: $s, end: $e, durationMinutes: 480, workingHours: { start: "09:00", end: "17:00" })
  { start } }"""


def closed(api) -> list[str]:
    found = api.data(HOLIDAYS, YEAR_END)["holidays"]
    return [h["date"] for h in found if h["kind"] == "CLOSED"]


@pytest.mark.django_db
def test_a_new_municipality_closes_the_year_end_from_its_first_day(db):
    town = build_municipality("403423", "hirokawa", "広川町")
    api = calendar_api(town, "shuji")
    assert api.data(HOLIDAYS, YEAR_END)["holidays"] == [
        {"date": "2026-12-29", "name": "年末年始", "kind": "CLOSED"},
        {"date": "2026-12-30", "name": "年末年始", "kind": "CLOSED"},
        {"date": "2026-12-31", "name": "年末年始", "kind": "CLOSED"},
        {"date": "2027-01-01", "name": "年末年始", "kind": "CLOSED"},
        {"date": "2027-01-01", "name": "元日", "kind": "NATIONAL"},
        {"date": "2027-01-02", "name": "年末年始", "kind": "CLOSED"},
        {"date": "2027-01-03", "name": "年末年始", "kind": "CLOSED"},
    ]
    assert api.data(ANNUAL)["annualClosedDays"] == [
        {"month": 1, "day": 1, "name": "年末年始"},
        {"month": 1, "day": 2, "name": "年末年始"},
        {"month": 1, "day": 3, "name": "年末年始"},
        {"month": 12, "day": 29, "name": "年末年始"},
        {"month": 12, "day": 30, "name": "年末年始"},
        {"month": 12, "day": 31, "name": "年末年始"},
    ]
    # Free slots for a whole day skip them: Monday 28th, then Monday 4 January.
    ids = [str(town.people["kacho"].id)]
    slots = api.data(SLOTS, {"ids": ids, "s": iso(2026, 12, 28), "e": iso(2027, 1, 6)})
    assert [s["start"][:10] for s in slots["findFreeSlots"]] == [
        "2026-12-28",
        "2027-01-04",
        "2027-01-05",
    ]


@pytest.mark.django_db
def test_an_administrator_edits_the_annual_closed_days_of_their_town_only(okawa, kanda):
    admin, staff = calendar_api(okawa, "admin"), calendar_api(okawa, "shuji")
    for query, variables in ((REMOVE_ANNUAL, {"m": 12, "d": 29}), (SET_DAY, {"d": "2026-12-28"})):
        refused = staff(query, variables)
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # 12/29 is a working day in 大川市 from now on; 12/28 a closed day every year.
    removed = admin.data(REMOVE_ANNUAL, {"m": 12, "d": 29})["removeAnnualClosedDay"]
    assert removed == {
        "annualClosedDay": {"month": 12, "day": 29, "name": "年末年始"},
        "errors": [],
    }
    made = admin.data(SET_ANNUAL, {"m": 12, "d": 28, "n": "御用納め"})["setAnnualClosedDay"]
    assert made["errors"] == []
    december = ["2026-12-28", "2026-12-30", "2026-12-31"]
    assert closed(staff) == [*december, "2027-01-01", "2027-01-02", "2027-01-03"]
    assert closed(calendar_api(kanda, "shuji"))[0] == "2026-12-29"  # 苅田町 keeps its own
    ids = [str(okawa.people["kacho"].id)]
    slots = staff.data(SLOTS, {"ids": ids, "s": iso(2026, 12, 28), "e": iso(2026, 12, 30)})
    assert [s["start"][:10] for s in slots["findFreeSlots"]] == ["2026-12-29"]
    # Removing every default leaves none; errors are data.
    for day in ((12, 30), (12, 31), (1, 1), (1, 2), (1, 3), (12, 28)):
        assert (
            admin.data(REMOVE_ANNUAL, {"m": day[0], "d": day[1]})["removeAnnualClosedDay"]["errors"]
            == []
        )
    assert closed(staff) == [] and staff.data(ANNUAL)["annualClosedDays"] == []
    again = admin.data(REMOVE_ANNUAL, {"m": 1, "d": 3})["removeAnnualClosedDay"]
    assert again["errors"] == [{"code": "NOT_FOUND", "field": "day"}]
    bad = admin.data(SET_ANNUAL, {"m": 2, "d": 30, "n": "x"})["setAnnualClosedDay"]
    assert bad["errors"] == [{"code": "INVALID", "field": "day"}]


@pytest.mark.django_db
def test_a_dated_closed_day_can_be_opened_again(okawa):
    admin = calendar_api(okawa, "admin")
    assert admin.data(SET_DAY, {"d": "2026-12-28"})["setClosedDay"]["errors"] == []
    assert closed(admin)[0] == "2026-12-28"
    opened = admin.data(REMOVE_DAY, {"d": "2026-12-28"})["removeClosedDay"]
    assert opened == {"closedDay": {"date": "2026-12-28", "name": "庁舎点検"}, "errors": []}
    assert closed(admin)[0] == "2026-12-29"
    again = admin.data(REMOVE_DAY, {"d": "2026-12-28"})["removeClosedDay"]
    assert again["errors"] == [{"code": "NOT_FOUND", "field": "day"}]
