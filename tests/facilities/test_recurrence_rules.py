"""Rules of a recurring booking (createRecurringReservation): a rule that never occurs is
refused after a bounded look, rules more often than daily are refused as the calendar
refuses them, and a series must end within the horizon. Work is counted in the months
dateutil steps through, not in seconds."""

from __future__ import annotations

import pytest
from dateutil import rrule as dateutil_rrule

from subgraphs.facilities.models import Reservation
from tests.facilities import RECURRING, at, facilities_api, make_rooms, next_weekday


def recurring(api, facility, day, rule):
    variables = {
        "input": {
            "facilityId": str(facility.id),
            "start": at(day, "15:00"),
            "end": at(day, "16:00"),
            "rrule": rule,
        }
    }
    return api.data(RECURRING, variables)["createRecurringReservation"]


@pytest.fixture
def months_walked(monkeypatch):
    seen = [0]
    rebuild = dateutil_rrule._iterinfo.rebuild

    def counting(self, year, month):
        seen[0] += 1
        return rebuild(self, year, month)

    monkeypatch.setattr(dateutil_rrule._iterinfo, "rebuild", counting)
    return lambda: seen[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rule", ["FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3"]
)
def test_a_rule_that_never_occurs_is_refused_after_a_bounded_look(okawa, months_walked, rule):
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    out = recurring(facilities_api(okawa, "shuji"), rooms.room2, thursday, rule)
    assert out["__typename"] == "ReservationRefused"
    assert [e["code"] for e in out["errors"]] == ["RRULE_NEVER_OCCURS"]
    # To year 9999 that was about 95,000 months.
    assert months_walked() < 1500
    assert not Reservation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rule", ["FREQ=SECONDLY;COUNT=3", "FREQ=MINUTELY;COUNT=3", "RRULE:FREQ=hourly;COUNT=3"]
)
def test_rules_more_often_than_daily_are_refused(okawa, rule):
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    out = recurring(facilities_api(okawa, "shuji"), rooms.room2, thursday, rule)
    assert out["__typename"] == "ReservationRefused"
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("INVALID_RRULE", "rrule")]
    assert not Reservation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("rule", ["FREQ=YEARLY", "FREQ=YEARLY;COUNT=20", "FREQ=MONTHLY;COUNT=101"])
def test_a_series_must_end_within_the_horizon_and_the_count(okawa, rule):
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    out = recurring(facilities_api(okawa, "shuji"), rooms.room2, thursday, rule)
    assert out["__typename"] == "ReservationRefused"
    assert [e["code"] for e in out["errors"]] == ["TOO_MANY_OCCURRENCES"]


@pytest.mark.django_db
def test_a_bounded_rule_still_books_every_date(okawa):
    rooms, thursday = make_rooms(okawa), next_weekday(3)
    out = recurring(
        facilities_api(okawa, "shuji"), rooms.room2, thursday, "FREQ=WEEKLY;INTERVAL=2;COUNT=3"
    )
    assert out["__typename"] == "RecurringReservationPayload"
    assert len(out["reservations"]) == 3
