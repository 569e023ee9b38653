"""Approval of 仮予約 by facility administrators (施設管理者) of the owning department.

大川市's 大会議室 needs approval and belongs to 市民課; 公用車3号 needs approval and belongs
to 庶務係; 議場 needs approval and belongs to no department (tenant administrators only).
田中 (市民課) and 鈴木 (人事係, 兼務 市民課) administer 市民課's facilities, 山﨑 (庶務係)
庶務係's; 佐藤 and 髙橋 are plain staff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.principal import ROLE_FACILITY_ADMIN, Principal
from subgraphs.facilities import actions
from subgraphs.facilities.graphql.schema import schema
from subgraphs.facilities.models import Facility, Reservation
from subgraphs.people.models import Person, RoleAssignment
from tests.conftest import Municipality
from tests.facilities import (
    APPROVE,
    MOVE,
    REJECT,
    Rooms,
    admin_principal,
    at,
    book,
    facilities_api,
    make_rooms,
    next_weekday,
    staff_principal,
)

PENDING = "{ pendingReservations { id purpose canDecide facility { name } } }"
COUNT = "{ pendingReservationCount }"
DECIDES = """
query($s: DateTime!, $e: DateTime!) {
  myReservations(start: $s, end: $e) { facility { name } status canDecide purpose }
}
"""
SCHEDULE = """
query($g: ID!, $s: DateTime!, $e: DateTime!) {
  facilityGroupSchedule(groupId: $g, start: $s, end: $e) {
    facility { name } reservations { status canDecide }
  }
}
"""
CHANGES = """
subscription {
  pendingReservationsChanged {
    reservationId kind version pendingCount
    reservation { id status canDecide purpose facility { name } }
  }
}
"""


@dataclass
class Approval:
    rooms: Rooms
    car: Facility  # 公用車3号, owned by 庶務係
    chamber: Facility  # 議場, owned by nobody


def make_facility_admins(m: Municipality) -> Approval:
    """The facilities and roles of the module docstring."""
    rooms = make_rooms(m)
    admin = admin_principal(m)
    Facility.objects.filter(id=rooms.hall.id).update(owning_department_id=m.orgs["shiminka"].id)
    rooms.hall.refresh_from_db()

    def facility(name: str, **values: Any) -> Facility:
        outcome = actions.do_save_facility(
            admin, None, {"group_id": rooms.cars.id, "name": name, "needs_approval": True, **values}
        )
        assert outcome.ok, outcome.errors
        return outcome.obj  # type: ignore[no-any-return]

    car = facility("公用車3号", owning_department_id=m.orgs["shomu"].id)
    chamber = facility("議場")
    for key in ("shimin", "jinji", "kakari"):
        RoleAssignment.objects.create(
            tenant=m.tenant, person=m.people[key], role=ROLE_FACILITY_ADMIN
        )
    return Approval(rooms, car, chamber)


def facility_admin_principal(person: Person) -> Principal:
    return Principal(
        tenant_id=person.tenant_id,
        person_id=person.id,
        roles=frozenset({"staff", ROLE_FACILITY_ADMIN}),
    )


def pending_ids(m: Municipality, key: str) -> list[str]:
    return sorted(r["id"] for r in facilities_api(m, key).data(PENDING)["pendingReservations"])


@pytest.mark.django_db
def test_a_facility_admin_of_the_owning_department_approves(okawa):
    approval, day = make_facility_admins(okawa), next_weekday(3)
    requested = book(
        facilities_api(okawa, "shuji"), approval.rooms.hall, day, "13:00", "15:00", purpose="説明会"
    )
    pending = requested["reservation"]
    assert pending["status"] == "PENDING"
    tanaka = facilities_api(okawa, "shimin")
    assert tanaka.data(PENDING)["pendingReservations"] == [
        {
            "id": pending["id"],
            "purpose": "説明会",
            "canDecide": True,
            "facility": {"name": "大会議室"},
        }
    ]
    assert tanaka.data(COUNT) == {"pendingReservationCount": 1}

    approved = tanaka.data(APPROVE, {"id": pending["id"]})["approveReservation"]["reservation"]

    assert (approved["status"], approved["version"]) == ("CONFIRMED", 2)
    row = Reservation.objects.get(id=pending["id"])
    assert row.status == "CONFIRMED" and row.approved_by == okawa.people["shimin"].id
    assert tanaka.data(PENDING) == {"pendingReservations": []}
    assert tanaka.data(COUNT) == {"pendingReservationCount": 0}
    again = tanaka.data(APPROVE, {"id": pending["id"]})["approveReservation"]
    assert again["errors"][0]["code"] == "NOT_PENDING"


@pytest.mark.django_db
def test_an_additional_department_counts(okawa):
    approval, day = make_facility_admins(okawa), next_weekday(3)
    pending = book(facilities_api(okawa, "shuji"), approval.rooms.hall, day, "09:00", "10:00")
    suzuki = facilities_api(okawa, "jinji")  # 人事係, 兼務 市民課

    rejected = suzuki.data(REJECT, {"id": pending["reservation"]["id"]})["rejectReservation"]

    assert rejected["reservation"]["status"] == "REJECTED"
    row = Reservation.objects.get(id=pending["reservation"]["id"])
    assert (row.status, row.approved_by) == ("REJECTED", okawa.people["jinji"].id)


@pytest.mark.django_db
def test_others_are_refused_and_the_booking_stays_pending(okawa):
    approval, day = make_facility_admins(okawa), next_weekday(3)
    staff = facilities_api(okawa, "shuji")
    hall = book(staff, approval.rooms.hall, day, "09:00", "10:00")["reservation"]
    chamber = book(staff, approval.chamber, day, "09:00", "10:00")["reservation"]
    attempts = [
        ("kakari", APPROVE, hall),  # a facility administrator of 庶務係, not 市民課
        ("kakari", REJECT, hall),
        ("kacho", APPROVE, hall),  # plain staff
        ("shuji", APPROVE, hall),  # the requester, plain staff
        ("shimin", APPROVE, chamber),  # no owning department: tenant administrators only
    ]
    for key, mutation, reservation in attempts:
        refused = facilities_api(okawa, key)(mutation, {"id": reservation["id"]})
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", (key, refused)
        assert refused["data"] is None
    assert set(Reservation.objects.values_list("status", flat=True)) == {"PENDING"}
    assert Reservation.objects.filter(approved_by__isnull=False).count() == 0
    by_admin = facilities_api(okawa, "admin").data(APPROVE, {"id": chamber["id"]})
    assert by_admin["approveReservation"]["reservation"]["status"] == "CONFIRMED"


@pytest.mark.django_db
def test_pending_lists_and_counts_are_per_caller(okawa, kanda):
    approval, day = make_facility_admins(okawa), next_weekday(3)
    make_facility_admins(kanda)
    staff = facilities_api(okawa, "shuji")
    hall1 = book(staff, approval.rooms.hall, day, "09:00", "10:00")["reservation"]["id"]
    hall2 = book(staff, approval.rooms.hall, day, "11:00", "12:00")["reservation"]["id"]
    car = book(staff, approval.car, day, "09:00", "12:00")["reservation"]["id"]
    chamber = book(staff, approval.chamber, day, "09:00", "10:00")["reservation"]["id"]
    book(staff, approval.rooms.room2, day, "09:00", "10:00")  # confirmed: nobody's queue

    assert pending_ids(okawa, "admin") == sorted([hall1, hall2, car, chamber])
    assert pending_ids(okawa, "shimin") == sorted([hall1, hall2])
    assert pending_ids(okawa, "jinji") == sorted([hall1, hall2])
    assert pending_ids(okawa, "kakari") == [car]
    assert pending_ids(kanda, "admin") == []
    assert pending_ids(kanda, "shimin") == []
    counts = {
        key: facilities_api(okawa, key).data(COUNT)["pendingReservationCount"]
        for key in ("admin", "shimin", "jinji", "kakari", "kacho", "shuji")
    }
    assert counts == {"admin": 4, "shimin": 2, "jinji": 2, "kakari": 1, "kacho": 0, "shuji": 0}
    assert facilities_api(kanda, "admin").data(COUNT) == {"pendingReservationCount": 0}
    # A plain staff member has no queue to list (the count, shown on every page, is 0).
    refused = facilities_api(okawa, "kacho")(PENDING)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    by_group = facilities_api(okawa, "admin").data(
        "query($g: ID!) { pendingReservations(groupId: $g) { id } }",
        {"g": str(approval.rooms.cars.id)},
    )
    assert sorted(r["id"] for r in by_group["pendingReservations"]) == sorted([car, chamber])


@pytest.mark.django_db
def test_can_decide_says_who_may_approve_what(okawa):
    approval, day = make_facility_admins(okawa), next_weekday(3)
    staff = facilities_api(okawa, "shuji")
    book(staff, approval.rooms.hall, day, "09:00", "10:00", purpose="庁内説明会")
    book(staff, approval.rooms.room2, day, "09:00", "10:00", purpose="係内打合せ")
    book(staff, approval.car, day, "09:00", "10:00", purpose="現地調査")
    window = {"s": at(day, "00:00"), "e": at(day, "24:00")}

    def seen_by(key: str, group: Any) -> dict[str, tuple[str, bool]]:
        rows = facilities_api(okawa, key).data(SCHEDULE, {"g": str(group.id), **window})
        return {
            row["facility"]["name"]: (r["status"], r["canDecide"])
            for row in rows["facilityGroupSchedule"]
            for r in row["reservations"]
        }

    rooms, cars = approval.rooms.group, approval.rooms.cars
    assert seen_by("shimin", rooms) == {
        "大会議室": ("PENDING", True),
        "第2会議室": ("CONFIRMED", False),  # nothing to decide
    }
    assert seen_by("shimin", cars) == {"公用車3号": ("PENDING", False)}
    assert seen_by("kakari", rooms)["大会議室"] == ("PENDING", False)
    assert seen_by("kakari", cars) == {"公用車3号": ("PENDING", True)}
    assert seen_by("admin", rooms)["大会議室"] == ("PENDING", True)
    assert seen_by("kacho", rooms)["大会議室"] == ("PENDING", False)
    # The requester sees their own bookings, but decides none of them.
    mine = facilities_api(okawa, "shuji").data(DECIDES, window)["myReservations"]
    assert {(r["facility"]["name"], r["canDecide"]) for r in mine} == {
        ("大会議室", False),
        ("第2会議室", False),
        ("公用車3号", False),
    }
    # Who decides a booking may read its purpose; other staff may not.
    purposes = facilities_api(okawa, "shimin").data(
        "query($g: ID!, $s: DateTime!, $e: DateTime!) { facilityGroupSchedule(groupId: $g, start: $s, end: $e) { reservations { purpose } } }",
        {"g": str(rooms.id), **window},
    )
    assert [
        r["purpose"] for row in purposes["facilityGroupSchedule"] for r in row["reservations"]
    ] == [
        None,  # 第2会議室: no facility of 市民課
        "庁内説明会",
    ]


@pytest.mark.django_db
def test_a_move_by_the_facility_admin_keeps_the_booking_confirmed(okawa):
    approval, day = make_facility_admins(okawa), next_weekday(3)
    tanaka = facilities_api(okawa, "shimin")
    own = book(tanaka, approval.rooms.hall, day, "09:00", "10:00")["reservation"]
    tanaka.data(APPROVE, {"id": own["id"]})
    moved = tanaka.data(
        MOVE, {"input": {"id": own["id"], "start": at(day, "10:00"), "end": at(day, "11:00")}}
    )["moveReservation"]["reservation"]
    assert moved["status"] == "CONFIRMED"
    # The same move by a requester who does not decide asks again.
    sato = facilities_api(okawa, "shuji")
    theirs = book(sato, approval.rooms.hall, day, "13:00", "14:00")["reservation"]
    tanaka.data(APPROVE, {"id": theirs["id"]})
    again = sato.data(
        MOVE, {"input": {"id": theirs["id"], "start": at(day, "14:00"), "end": at(day, "15:00")}}
    )["moveReservation"]["reservation"]
    assert again["status"] == "PENDING"


def _pending_list_queries(m: Municipality, count: int) -> int:
    approval, day = make_facility_admins(m), next_weekday(3)
    for n in range(count):
        start = day + timedelta(minutes=30 * n)
        outcome = actions.do_create_reservation(
            staff_principal(m.people["shuji"]),
            approval.rooms.hall.id,
            start,
            start + timedelta(minutes=30),
            purpose=f"説明会{n}",
        )
        assert outcome.ok, outcome.errors
    api = facilities_api(m, "jinji")
    with CaptureQueriesContext(connection) as queries:
        listed = api.data(PENDING)["pendingReservations"]
    assert [r["canDecide"] for r in listed] == [True] * count
    assert [r["purpose"] for r in listed] == [f"説明会{n}" for n in range(count)]
    return len(queries)


@pytest.mark.django_db
def test_deciding_costs_the_same_for_1_and_20_pending_bookings(okawa, kanda):
    # The departments are asked of people once per operation, not once per reservation.
    assert _pending_list_queries(okawa, 1) == _pending_list_queries(kanda, 20)


def test_pending_change_kinds():
    kind = actions.pending_change_kind
    assert kind(None, "PENDING") == "REQUESTED"
    assert kind("CONFIRMED", "PENDING") == "REQUESTED"  # moved at a facility needing approval
    assert kind("PENDING", "PENDING") == "MOVED"
    assert kind("PENDING", "CONFIRMED") == "APPROVED"
    assert kind("PENDING", "REJECTED") == "REJECTED"
    assert kind("PENDING", "CANCELLED") == "WITHDRAWN"
    assert kind(None, "CONFIRMED") is None
    assert kind("CONFIRMED", "CANCELLED") is None


# --- the subscription ---------------------------------------------------------------------


@pytest.fixture
async def _close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


Change = dict[str, Any]


@dataclass
class Listener:
    stream: Any
    warm_up: set[str]  # every listener's warm-up requests: their late echoes are fine


async def listen(
    principal: Principal, make_event: Callable[[int], Awaitable[str]], made: set[str]
) -> Listener:
    """A subscription that has heard its first change: it joins its groups when it first
    runs, so keep making events until one arrives (adding them to ``made``)."""
    stream: Any = await schema.subscribe(CHANGES, context_value=YuiContext(principal=principal))
    waiting = asyncio.ensure_future(stream.__anext__())
    for attempt in range(12):
        made.add(await make_event(attempt))
        done, _ = await asyncio.wait({waiting}, timeout=0.5)
        if done:
            result = waiting.result()
            assert result.errors is None, result.errors
            change = result.data["pendingReservationsChanged"]
            assert (change["kind"], change["reservationId"] in made) == ("REQUESTED", True)
            return Listener(stream, made)
    raise AssertionError("the subscription never heard a change")


async def next_change(listener: Listener, reservation_id: str) -> Change:
    """The next change of ``reservation_id``; anything before it must be a warm-up echo."""
    while True:
        result = await asyncio.wait_for(listener.stream.__anext__(), 5)
        assert result.errors is None, result.errors
        change = result.data["pendingReservationsChanged"]
        if change["reservationId"] == reservation_id:
            return change  # type: ignore[no-any-return]
        assert change["reservationId"] in listener.warm_up, change


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_close_worker_connections")
async def test_pending_changes_reach_those_who_decide_only(okawa, kanda):
    approval = await sync_to_async(make_facility_admins)(okawa)
    theirs = await sync_to_async(make_facility_admins)(kanda)
    day, warm_day = next_weekday(3), next_weekday(3, weeks=2)
    sato = staff_principal(okawa.people["shuji"])
    suzuki = facility_admin_principal(okawa.people["jinji"])  # 人事係, 兼務 市民課
    yamazaki = facility_admin_principal(okawa.people["kakari"])  # 庶務係
    tanaka = facility_admin_principal(okawa.people["shimin"])  # 市民課
    kanda_sato = staff_principal(kanda.people["shuji"])

    async def request(
        principal: Principal, facility: Facility, hour: int, on: datetime = day
    ) -> str:
        start = on + timedelta(hours=hour)
        outcome = await sync_to_async(actions.do_create_reservation)(
            principal, facility.id, start, start + timedelta(minutes=30)
        )
        assert outcome.ok, (outcome.errors, outcome.conflicts)
        return str(outcome.obj.id)

    async def pending_count_of(**filters: Any) -> int:
        return await Reservation.objects.filter(status="PENDING", **filters).acount()

    # Suzuki listens through two department groups (人事係 and 市民課), the administrator
    # through the tenant's, Yamazaki through 庶務係's, 苅田町's administrator in 苅田町.
    hall, car, chamber = approval.rooms.hall, approval.car, approval.chamber
    warm: set[str] = set()
    for_suzuki = await listen(suzuki, lambda n: request(sato, hall, 6 + n, warm_day), warm)
    for_admin = await listen(
        admin_principal(okawa), lambda n: request(sato, chamber, 6 + n, warm_day), warm
    )
    for_yamazaki = await listen(yamazaki, lambda n: request(sato, car, 6 + n, warm_day), warm)
    for_kanda = await listen(
        admin_principal(kanda),
        lambda n: request(kanda_sato, theirs.rooms.hall, 6 + n, warm_day),
        warm,
    )

    # Sato asks for 大会議室 (市民課's).
    asked = await request(sato, hall, 13)

    requested = await next_change(for_suzuki, asked)
    hall_pending = await pending_count_of(facility_id=hall.id)
    assert requested == {
        "reservationId": asked,
        "kind": "REQUESTED",
        "version": 1,
        "pendingCount": hall_pending,
        "reservation": {
            "id": asked,
            "status": "PENDING",
            "canDecide": True,
            "purpose": "",
            "facility": {"name": "大会議室"},
        },
    }
    to_admin = await next_change(for_admin, asked)
    okawa_pending = await pending_count_of(tenant_id=okawa.tenant.id)
    assert (to_admin["kind"], to_admin["pendingCount"]) == ("REQUESTED", okawa_pending)

    # Sato moves it (still pending), Tanaka of 市民課 approves it.
    moved = await sync_to_async(actions.do_move_reservation)(
        sato, asked, day + timedelta(hours=14), day + timedelta(hours=15)
    )
    assert moved.ok, moved.errors
    change = await next_change(for_suzuki, asked)
    assert (change["kind"], change["version"], change["pendingCount"]) == (
        "MOVED",
        2,
        hall_pending,
    )
    departments = frozenset({okawa.orgs["shiminka"].id})
    decided = await sync_to_async(actions.do_decide_reservation)(tanaka, asked, True, departments)
    assert decided.ok, decided.errors
    change = await next_change(for_suzuki, asked)
    assert (change["kind"], change["version"], change["pendingCount"]) == (
        "APPROVED",
        3,
        hall_pending - 1,
    )
    assert (change["reservation"]["status"], change["reservation"]["canDecide"]) == (
        "CONFIRMED",
        False,
    )

    # A pending request withdrawn by its requester.
    second = await request(sato, hall, 16)
    assert (await next_change(for_suzuki, second))["kind"] == "REQUESTED"
    cancelled = await sync_to_async(actions.do_cancel_reservation)(sato, second)
    assert cancelled.ok, cancelled.errors
    withdrawn = await next_change(for_suzuki, second)
    assert (withdrawn["kind"], withdrawn["pendingCount"]) == ("WITHDRAWN", hall_pending - 1)

    # 庶務係's administrator and 苅田町's heard none of it: the next thing each hears is a
    # request made for them after all of the above (next_change refuses anything else).
    for_car = await request(sato, car, 13)
    heard = await next_change(for_yamazaki, for_car)
    car_pending = await pending_count_of(facility_id=car.id)
    assert (heard["kind"], heard["pendingCount"]) == ("REQUESTED", car_pending)
    kanda_hall = await request(kanda_sato, theirs.rooms.hall, 13)
    heard = await next_change(for_kanda, kanda_hall)
    assert heard["reservation"]["facility"] == {"name": "大会議室"}
    for listener in (for_suzuki, for_admin, for_yamazaki, for_kanda):
        await listener.stream.aclose()


@pytest.mark.django_db
async def test_plain_staff_cannot_subscribe(okawa):
    stream: Any = await schema.subscribe(
        CHANGES, context_value=YuiContext(principal=staff_principal(okawa.people["kacho"]))
    )
    result = await stream.__anext__()
    assert result.errors[0].extensions["code"] == "FORBIDDEN"
