"""`closedDates` lists the dates closed one by one (setClosedDay) apart from the yearly ones,
so the administration screen can show and reopen them, a date closed both ways included;
another municipality's are invisible."""

from __future__ import annotations

import pytest

from tests.calendar import calendar_api

CLOSED_DATES = "query($s: Date!, $e: Date!) { closedDates(start: $s, end: $e) { date name kind } }"
SET_DAY = """mutation($d: Date!, $n: String!) { setClosedDay(day: $d, name: $n) {
  closedDay { date } errors { code } } }"""
REMOVE_DAY = "mutation($d: Date!) { removeClosedDay(day: $d) { errors { code } } }"
PERIOD = {"s": "2026-01-01", "e": "2028-01-01"}


@pytest.mark.django_db
def test_dated_closings_are_listed_apart_from_the_yearly_ones(okawa, kanda):
    admin = calendar_api(okawa, "admin")
    staff = calendar_api(okawa, "shuji")
    assert staff.data(CLOSED_DATES, PERIOD)["closedDates"] == []  # 年末年始 is yearly
    for day, name in (("2027-06-15", "庁舎点検"), ("2026-12-30", "庁舎移転")):
        out = admin.data(SET_DAY, {"d": day, "n": name})["setClosedDay"]
        assert out["errors"] == []
    assert staff.data(CLOSED_DATES, PERIOD)["closedDates"] == [
        {"date": "2026-12-30", "name": "庁舎移転", "kind": "CLOSED"},
        {"date": "2027-06-15", "name": "庁舎点検", "kind": "CLOSED"},
    ]
    assert calendar_api(kanda, "shuji").data(CLOSED_DATES, PERIOD)["closedDates"] == []
    # Reopened, a date closed both ways is yearly again only.
    assert admin.data(REMOVE_DAY, {"d": "2026-12-30"})["removeClosedDay"]["errors"] == []
    assert [d["date"] for d in staff.data(CLOSED_DATES, PERIOD)["closedDates"]] == ["2027-06-15"]
    # The period is [start, end).
    only = staff.data(CLOSED_DATES, {"s": "2027-06-15", "e": "2027-06-16"})["closedDates"]
    assert [d["date"] for d in only] == ["2027-06-15"]
    assert staff.data(CLOSED_DATES, {"s": "2027-06-16", "e": "2027-07-01"})["closedDates"] == []


@pytest.mark.django_db
def test_a_backwards_or_too_long_period_is_refused(okawa):
    staff = calendar_api(okawa, "shuji")
    for period in ({"s": "2027-01-02", "e": "2027-01-01"}, {"s": "2026-01-01", "e": "2030-01-02"}):
        result = staff(CLOSED_DATES, period)
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
