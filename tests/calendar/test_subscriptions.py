"""Live calendars (`calendarChanged`), run on the subgraph's schema as the gateway runs it
in-process, over the configured channel layer (in-memory, or Redis with YUI_REDIS_URL).

A subscriber hears of committed changes to events of the people they watch, and reads
each one as they may see it; changes of others, and of another municipality, stay silent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from subgraphs.calendar import actions
from subgraphs.calendar.graphql.schema import schema
from subgraphs.core.graphql.context import YuiContext
from subgraphs.people.models import Person
from tests.calendar import create_event, jst, principal_of

pytestmark = pytest.mark.django_db(transaction=True)

CHANGED = """subscription($ids: [ID!]!) {
  calendarChanged(personIds: $ids) { eventId kind version event { title } } }"""
DEPARTMENT_CHANGED = """subscription($org: ID!) {
  departmentCalendarChanged(organizationId: $org) { eventId kind version event { title } } }"""
WAIT_SECONDS = 5.0


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


async def make(organizer: Person, **data: Any):
    data.setdefault("starts_at", jst(2026, 4, 7, 10))
    data.setdefault("ends_at", jst(2026, 4, 7, 11))
    return await sync_to_async(create_event)(organizer, **data)


@contextlib.asynccontextmanager
async def watching(
    viewer: Person, people: list[Person], department: Any = None
) -> AsyncIterator[Any]:
    """``viewer``'s subscription to ``people``'s calendars (or to ``department``'s week,
    of which ``people`` are members), once it is listening: the first of ``people``
    creates pings until one arrives (a subscription joins its group only when it starts
    running)."""
    query, variables, field = CHANGED, {"ids": [str(p.id) for p in people]}, "calendarChanged"
    if department is not None:
        query, variables = DEPARTMENT_CHANGED, {"org": str(department.id)}
        field = "departmentCalendarChanged"
    stream = await schema.subscribe(
        query, variable_values=variables, context_value=YuiContext(principal=principal_of(viewer))
    )
    first = asyncio.ensure_future(stream.__anext__())
    try:
        for _ in range(50):
            await make(people[0], title="ping")
            done, _ = await asyncio.wait({first}, timeout=0.05)
            if done:
                break
        else:
            pytest.fail("the subscription never heard a change")

        async def next_change() -> dict[str, Any]:
            while True:
                result = await asyncio.wait_for(stream.__anext__(), WAIT_SECONDS)
                assert result.errors is None, result.errors
                assert result.data is not None
                change = result.data[field]
                if change["event"]["title"] != "ping":
                    return change  # type: ignore[no-any-return]

        yield next_change
    finally:
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await first
        await stream.aclose()


async def test_changes_of_watched_people_arrive_as_the_viewer_may_see_them(okawa, kanda):
    kakari, shuji, kacho = (okawa.people[k] for k in ("kakari", "shuji", "kacho"))
    async with watching(kacho, [kakari, shuji]) as next_change:
        await make(okawa.people["shimin"], title="関係ない会議")  # nobody watched
        await make(kanda.people["kakari"], title="苅田町の会議", attendee_ids=[shuji.id])
        private = await make(kakari, title="通院", visibility="PRIVATE")
        created = await next_change()
        assert created == {
            "eventId": str(private.id),
            "kind": "CREATED",
            "version": 1,
            "event": {"title": "予定あり"},
        }
        meeting = await make(okawa.people["shimin"], title="窓口調整", attendee_ids=[shuji.id])
        assert (await next_change())["eventId"] == str(meeting.id)
        await sync_to_async(actions.do_respond_to_event)(
            principal_of(shuji), meeting.id, "ACCEPTED"
        )
        responded = await next_change()
        assert (responded["kind"], responded["version"]) == ("RESPONDED", 2)
        await sync_to_async(actions.do_cancel_event)(principal_of(kakari), private.id)
        cancelled = await next_change()
        assert (cancelled["eventId"], cancelled["kind"], cancelled["version"]) == (
            str(private.id),
            "CANCELLED",
            2,
        )


async def test_a_department_week_hears_its_members_and_its_own_entries(okawa, kanda):
    kakari, shuji, kacho = (okawa.people[k] for k in ("kakari", "shuji", "kacho"))
    shomu = okawa.orgs["shomu"]  # 庶務係: 山﨑 花子 (kakari) and 佐藤 次郎 (shuji)
    async with watching(okawa.people["shimin"], [kakari, shuji], shomu) as next_change:
        await make(okawa.people["jinji"], title="人事係の会議")  # another department
        await make(kanda.people["kakari"], title="苅田町の会議")  # another municipality
        # 課長 is no member of 庶務係: the action is told he is (as a 兼務 there would be),
        # so that the entry is heard as the department's own, not as a member's.
        own = await make(
            kacho, title="係の棚卸し", owner_department_id=shomu.id, member_of=frozenset({shomu.id})
        )
        heard = await next_change()
        assert (heard["eventId"], heard["event"]["title"]) == (str(own.id), "係の棚卸し")
        meeting = await make(shuji, title="窓口当番")
        assert (await next_change())["eventId"] == str(meeting.id)


async def test_a_department_of_another_municipality_cannot_be_watched(okawa, kanda):
    stream = await schema.subscribe(
        DEPARTMENT_CHANGED,
        variable_values={"org": str(kanda.orgs["shomu"].id)},
        context_value=YuiContext(principal=principal_of(okawa.people["kakari"])),
    )
    result = await asyncio.wait_for(stream.__anext__(), WAIT_SECONDS)
    assert result.errors and result.errors[0].extensions["code"] == "NOT_FOUND"
    await stream.aclose()
