"""Live schedules (`facilityGroupChanged`), run on the subgraph's schema as the gateway
runs it in-process, over the configured channel layer (in-memory, or Redis)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from subgraphs.core.graphql.context import YuiContext
from subgraphs.facilities import actions
from subgraphs.facilities.graphql.schema import schema
from tests.facilities import admin_principal, make_rooms, next_weekday, staff_principal

pytestmark = pytest.mark.django_db(transaction=True)

CHANGED = """
subscription($g: ID!) { facilityGroupChanged(groupId: $g) { id status facility { name } } }
"""


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


async def test_an_open_schedule_hears_bookings_of_its_group_only(okawa, kanda):
    rooms = await sync_to_async(make_rooms)(okawa)
    other_rooms = await sync_to_async(make_rooms)(kanda)
    viewer = staff_principal(okawa.people["shuji"])
    stream = await schema.subscribe(
        CHANGED,
        variable_values={"g": str(rooms.group.id)},
        context_value=YuiContext(principal=viewer),
    )
    day = next_weekday()
    booker = staff_principal(okawa.people["kakari"])

    async def book(principal, facility, hour):
        outcome = await sync_to_async(actions.do_create_reservation)(
            principal, facility.id, day + timedelta(hours=hour), day + timedelta(hours=hour + 1)
        )
        assert outcome.ok, outcome.errors
        return outcome.obj

    async def first_event():
        # The subscription joins its group when it first runs: keep booking new hours in
        # the watched group until one arrives, so the test starts from a listening board.
        hour = 9
        pending = asyncio.ensure_future(stream.__anext__())
        while True:
            await book(booker, rooms.room2, hour)
            done, _ = await asyncio.wait({pending}, timeout=0.5)
            if done:
                return pending.result()
            hour += 1
            assert hour < 20, "the subscription never heard a booking"

    first = await first_event()
    assert first.errors is None
    assert first.data["facilityGroupChanged"]["facility"]["name"] == "第2会議室"
    # A booking in another group and one in another town are not news for this board...
    await book(admin_principal(okawa), rooms.pcs, 12)
    await book(admin_principal(kanda), other_rooms.room2, 12)
    # ...this one is.
    booked = await book(booker, rooms.room1, 10)
    while True:
        result = await asyncio.wait_for(stream.__anext__(), 5)
        change = result.data["facilityGroupChanged"]
        if change["id"] == str(booked.id):
            break
        assert change["facility"]["name"] in {"第2会議室"}, change  # late echoes of the warm-up
    assert change == {
        "id": str(booked.id),
        "status": "CONFIRMED",
        "facility": {"name": "第1会議室"},
    }
    await stream.aclose()
