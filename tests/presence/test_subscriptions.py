"""Live presence (`presenceChanged`), run on the subgraph's schema as the gateway runs it
in-process, over the configured channel layer (in-memory, or Redis with YUI_REDIS_URL).

A committed change reaches every subscriber of the municipality with its new state; a
rolled-back change reaches no one; another municipality never hears of it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections, transaction

from subgraphs.core.graphql.context import YuiContext
from subgraphs.people.models import Person
from subgraphs.presence import clock as presence_clock
from subgraphs.presence.actions import do_set_presence
from subgraphs.presence.graphql import subscriptions as presence_subscriptions
from subgraphs.presence.graphql.schema import schema
from tests.presence import MY_PRESENCE, SET_MY_PRESENCE, principal_of

pytestmark = pytest.mark.django_db(transaction=True)

PRESENCE_CHANGED = """
subscription { presenceChanged { status label message version person { id } } }
"""
WAIT_SECONDS = 5.0


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    # sync_to_async runs the database work on a worker thread with its own connection;
    # left open, PostgreSQL refuses to drop the test database at the end.
    yield
    await sync_to_async(connections.close_all)()


async def set_presence(person: Person, status: str, message: str = "") -> dict[str, Any]:
    """Set ``person``'s presence through the API as them; returns once it has committed."""
    result = await schema.execute(
        SET_MY_PRESENCE,
        variable_values={"input": {"status": status, "message": message}},
        context_value=YuiContext(principal=principal_of(person)),
    )
    assert result.errors is None, result.errors
    payload = result.data["setMyPresence"]
    assert payload["errors"] == []
    return payload["presence"]  # type: ignore[no-any-return]


class Board:
    """What a subscriber sees: presence changes, one at a time."""

    def __init__(self, stream: Any, pinger: Person):
        self.stream = stream
        self.pinger = pinger

    async def next_change(self) -> dict[str, Any]:
        """The next change of anyone but the pinger (late pings may still trickle in)."""
        while True:
            result = await asyncio.wait_for(self.stream.__anext__(), WAIT_SECONDS)
            assert result.errors is None, result.errors
            change = result.data["presenceChanged"]
            if change["person"]["id"] != str(self.pinger.id):
                return change  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def board(viewer: Person, pinger: Person) -> AsyncIterator[Board]:
    """``viewer``'s subscription, once it is listening.

    A subscription joins its channel-layer group when it starts running, and changes
    published before that pass it by; so ``pinger`` changes their presence until one
    arrives. The test then starts from a subscriber that hears everything.
    """
    stream = await schema.subscribe(
        PRESENCE_CHANGED, context_value=YuiContext(principal=principal_of(viewer))
    )
    assert hasattr(stream, "__anext__"), stream
    first = asyncio.ensure_future(stream.__anext__())
    try:
        for i in range(100):
            await set_presence(pinger, "AWAY", f"ping {i}")
            done, _ = await asyncio.wait({first}, timeout=0.05)
            if done:
                break
        else:
            pytest.fail("the subscription never heard a change")
        assert first.result().data["presenceChanged"]["person"]["id"] == str(pinger.id)
        yield Board(stream, pinger)
    finally:
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await first
        await stream.aclose()


async def test_a_committed_change_reaches_a_subscribed_colleague(okawa):
    async with board(okawa.people["kacho"], pinger=okawa.people["kakari"]) as kacho_sees:
        await set_presence(okawa.people["shuji"], "MEETING", "第1会議室 15時まで")
        assert await kacho_sees.next_change() == {
            "status": "MEETING",
            "label": "会議中",
            "message": "第1会議室 15時まで",
            "version": 1,
            "person": {"id": str(okawa.people["shuji"].id)},
        }


async def test_each_change_of_a_person_shows_their_new_state(okawa):
    # Every event is read afresh: a loader kept across events would show the first state
    # again (and the board would hang on the second change).
    shuji = okawa.people["shuji"]
    async with board(okawa.people["kacho"], pinger=okawa.people["kakari"]) as kacho_sees:
        for status, label, version in [("AWAY", "離席", 1), ("OUT", "外出", 2), ("IN", "在席", 3)]:
            await set_presence(shuji, status)
            change = await kacho_sees.next_change()
            assert (change["label"], change["version"]) == (label, version)


async def test_changes_made_while_the_board_is_busy_show_the_latest_state_once(okawa):
    shuji = okawa.people["shuji"]
    async with board(okawa.people["kacho"], pinger=okawa.people["kakari"]) as kacho_sees:
        await set_presence(shuji, "AWAY", "コピー室")
        await set_presence(shuji, "OUT", "現地調査")
        latest = await kacho_sees.next_change()
        assert (latest["message"], latest["version"]) == ("現地調査", 2)
        # The hint about version 2 still queued shows nothing new; the next change does.
        await set_presence(shuji, "IN")
        assert (await kacho_sees.next_change())["version"] == 3


async def test_the_board_hears_the_nightly_reset_as_every_query_shows_it(okawa, monkeypatch):
    # The presence clock, frozen: Thursday 17:30 in Japan, then the next morning.
    now = [datetime(2026, 12, 3, 8, 30, tzinfo=UTC)]
    monkeypatch.setattr(presence_clock, "now", lambda: now[0])
    shuji = okawa.people["shuji"]
    async with board(okawa.people["kacho"], pinger=okawa.people["kakari"]) as kacho_sees:
        await set_presence(shuji, "IN", "庁内")
        now[0] += timedelta(hours=11)  # Friday 04:30: a hint read after the reset
        late = await kacho_sees.next_change()
        assert (late["status"], late["label"], late["message"]) == ("UNSET", "未設定", "")
        mine = await schema.execute(
            MY_PRESENCE, context_value=YuiContext(principal=principal_of(shuji))
        )
        assert mine.data["myPresence"]["label"] == late["label"]
        # Choosing yesterday's status again in the morning is news, announced at once.
        now[0] += timedelta(hours=4)
        await set_presence(shuji, "IN", "庁内")
        back = await kacho_sees.next_change()
        assert (back["label"], back["message"], back["version"]) == ("在席", "庁内", 2)


class Abandon(Exception):
    """Raised to roll a transaction back."""


async def test_a_rolled_back_change_is_never_announced(okawa):
    jinji, shimin = okawa.people["jinji"], okawa.people["shimin"]

    @sync_to_async
    def change_then_roll_back() -> None:
        with contextlib.suppress(Abandon), transaction.atomic():
            assert do_set_presence(principal_of(jinji), "OUT", "取り消される外出").ok
            raise Abandon

    async with board(okawa.people["kacho"], pinger=okawa.people["kakari"]) as kacho_sees:
        await change_then_roll_back()
        await set_presence(shimin, "REMOTE", "在宅勤務日")
        # The board's next news is 田中's committed change: nothing was said about 鈴木.
        change = await kacho_sees.next_change()
        assert (change["person"]["id"], change["label"]) == (str(shimin.id), "在宅勤務")
    mine = await schema.execute(
        MY_PRESENCE, context_value=YuiContext(principal=principal_of(jinji))
    )
    assert mine.data["myPresence"]["version"] == 0


async def test_another_municipality_never_hears_of_a_change(okawa, kanda):
    async with (
        board(okawa.people["kacho"], pinger=okawa.people["kakari"]) as okawa_sees,
        board(kanda.people["kacho"], pinger=kanda.people["kakari"]) as kanda_sees,
    ):
        await set_presence(okawa.people["shuji"], "MEETING", "市長協議")
        assert (await okawa_sees.next_change())["message"] == "市長協議"
        await set_presence(kanda.people["shuji"], "AWAY", "すぐ戻ります")
        # 苅田町's board hears its own 佐藤 and nothing of 大川市's before it.
        change = await kanda_sees.next_change()
        assert change["person"]["id"] == str(kanda.people["shuji"].id)
        assert change["message"] == "すぐ戻ります"


async def test_the_subscribers_of_a_municipality_share_one_read_of_each_change(
    okawa, kanda, monkeypatch
):
    # One change wakes every board of the municipality in this process: one SQL read of
    # the row serves them all, and a board of another municipality never gets that read.
    reads: list[tuple[Any, Any]] = []
    real_read = presence_subscriptions._read

    async def counted(principal, person_id):
        reads.append((principal.tenant_id, person_id))
        return await real_read(principal, person_id)

    monkeypatch.setattr(presence_subscriptions, "_read", counted)
    shuji, kanda_shuji = okawa.people["shuji"], kanda.people["shuji"]
    async with (
        board(okawa.people["kacho"], pinger=okawa.people["kakari"]) as kacho_sees,
        board(okawa.people["jinji"], pinger=okawa.people["kakari"]) as jinji_sees,
        board(okawa.people["shimin"], pinger=okawa.people["kakari"]) as shimin_sees,
        board(kanda.people["kacho"], pinger=kanda.people["kakari"]) as kanda_sees,
    ):
        await set_presence(shuji, "MEETING", "予算ヒアリング")
        seen = [await b.next_change() for b in (kacho_sees, jinji_sees, shimin_sees)]
        assert {(c["message"], c["version"]) for c in seen} == {("予算ヒアリング", 1)}
        assert reads.count((okawa.tenant.id, shuji.id)) == 1
        # The same person ID asked in 苅田町 is a read of its own, scoped to 苅田町.
        await set_presence(kanda_shuji, "OUT", "現地確認")
        theirs = await kanda_sees.next_change()
        assert (theirs["person"]["id"], theirs["message"]) == (str(kanda_shuji.id), "現地確認")
        assert reads.count((kanda.tenant.id, kanda_shuji.id)) == 1
        # A later change is read afresh, never answered from the earlier read.
        await set_presence(shuji, "IN")
        again = [await b.next_change() for b in (kacho_sees, jinji_sees, shimin_sees)]
        assert {(c["label"], c["version"]) for c in again} == {("在席", 2)}
        assert reads.count((okawa.tenant.id, shuji.id)) == 2


async def test_signed_out_callers_cannot_subscribe():
    stream = await schema.subscribe(PRESENCE_CHANGED, context_value=YuiContext())
    # One refusal, then the stream ends: no channel is ever opened for them.
    results = [result async for result in stream]
    assert len(results) == 1 and results[0].data is None
    assert results[0].errors[0].extensions["code"] == "UNAUTHENTICATED"
