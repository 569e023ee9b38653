"""No double booking under real concurrency: 50 simultaneous requests through the HTTP stack,
each thread with its own Client and database connection. On PostgreSQL this exercises the
exclusion constraint (single room) and the facility row lock (pool); on SQLite the
IMMEDIATE write transactions serialise the writers."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from subgraphs.facilities.models import Reservation
from subgraphs.people import actions as people_actions
from tests.conftest import GraphQLClient
from tests.facilities import CREATE, FACILITIES_URL, make_rooms, next_weekday

ATTEMPTS = 50


@pytest.fixture
def writers_wait_for_each_other(tmp_path):
    """On SQLite, run the race on a file copy of the test database.

    Django's SQLite test database lives in shared-cache memory, where a second writer gets
    "database table is locked" at once instead of waiting (the busy timeout does not apply
    to shared-cache locks). A file database is what `yui serve` uses: there writers queue
    for the IMMEDIATE write lock. The in-memory database is kept open meanwhile (closing
    its last connection would drop it) and restored afterwards for the teardown flush.
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    in_memory, name = connection.connection, connection.settings_dict["NAME"]
    copy = sqlite3.connect(tmp_path / "race.sqlite3")
    in_memory.backup(copy)
    copy.close()
    connection.connection = None
    connection.settings_dict["NAME"] = str(tmp_path / "race.sqlite3")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = in_memory


def _race(okawa, facility, day):
    """ATTEMPTS staff requests at once, each for a different but overlapping period."""
    staff = list(okawa.people.values())
    tokens = [
        people_actions.do_create_access_token(staff[n % len(staff)], f"race {n}", None).extra[
            "token"
        ]
        for n in range(ATTEMPTS)
    ]
    start = threading.Barrier(ATTEMPTS)
    results: list[object] = [None] * ATTEMPTS

    def attempt(n: int) -> None:
        api = GraphQLClient(tokens[n], url=FACILITIES_URL)
        begins = day + timedelta(hours=10, minutes=n % 30)  # all overlap 10:29–11:00
        variables = {
            "input": {
                "facilityId": str(facility.id),
                "start": begins.isoformat(),
                "end": (begins + timedelta(hours=1)).isoformat(),
            }
        }
        try:
            start.wait(timeout=60)
            results[n] = api(CREATE, variables)
        except Exception as exc:  # reported below, with the others
            results[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    failures = [r for r in results if not isinstance(r, dict) or "errors" in r]
    assert failures == [], failures[:3]
    return Counter(r["data"]["createReservation"]["__typename"] for r in results)  # type: ignore[index]


@pytest.mark.django_db(transaction=True)
def test_fifty_racing_bookings_of_one_room_give_exactly_one(okawa, writers_wait_for_each_other):
    rooms, day = make_rooms(okawa), next_weekday(3)
    outcome = _race(okawa, rooms.room2, day)
    assert outcome == {"ReservationPayload": 1, "ReservationConflict": ATTEMPTS - 1}
    assert Reservation.objects.filter(facility=rooms.room2, status="CONFIRMED").count() == 1


@pytest.mark.django_db(transaction=True)
def test_fifty_racing_bookings_of_a_pool_of_three_give_exactly_three(
    okawa, writers_wait_for_each_other
):
    rooms, day = make_rooms(okawa, pool_size=3), next_weekday(3)
    outcome = _race(okawa, rooms.pcs, day)
    assert outcome == {"ReservationPayload": 3, "ReservationConflict": ATTEMPTS - 3}
    assert Reservation.objects.filter(facility=rooms.pcs, status="CONFIRMED").count() == 3


@pytest.mark.django_db
def test_the_database_itself_refuses_an_overlap_on_postgresql(okawa):
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite serialises writers")
    from django.db import IntegrityError, transaction

    rooms, day = make_rooms(okawa), next_weekday(3)
    person = okawa.people["shuji"]
    fields = {
        "tenant_id": okawa.tenant.id,
        "facility": rooms.room2,
        "requester_id": person.id,
        "status": "CONFIRMED",
    }
    Reservation.objects.create(
        starts_at=day + timedelta(hours=10), ends_at=day + timedelta(hours=11), **fields
    )
    # Adjacent is fine even to the constraint: the ranges are half-open.
    Reservation.objects.create(
        starts_at=day + timedelta(hours=11), ends_at=day + timedelta(hours=12), **fields
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(
            starts_at=day + timedelta(hours=10, minutes=30),
            ends_at=day + timedelta(hours=11, minutes=30),
            **fields,
        )
