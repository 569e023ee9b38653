"""Live notices (`noticeEvents`) on the subgraph's schema as the gateway runs it
in-process, over the configured channel layer: a posted notice reaches its recipients, a
reminder only its non-readers, and another municipality hears nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from subgraphs.core.graphql.context import YuiContext
from subgraphs.notices.actions import do_create_category, do_mark_notice_read
from subgraphs.notices.graphql.schema import schema
from subgraphs.people.models import Person
from tests.conftest import Municipality
from tests.notices import POST_NOTICE, REMIND

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = "subscription { noticeEvents { kind version notice { id title } } }"
WAIT_SECONDS = 5.0


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


async def run(m: Municipality, person: Person, query: str, variables: dict) -> dict[str, Any]:
    principal = await sync_to_async(m.principal)(person)
    result = await schema.execute(
        query, variable_values=variables, context_value=YuiContext(principal=principal)
    )
    assert result.errors is None, result.errors
    return result.data  # type: ignore[return-value]


async def post(m: Municipality, category: str, title: str, people: list[Person]) -> str:
    data = await run(
        m,
        m.admin,  # type: ignore[arg-type]
        POST_NOTICE,
        {
            "input": {
                "categoryId": category,
                "title": title,
                "audience": {"personIds": [str(p.id) for p in people]},
            }
        },
    )
    assert data["postNotice"]["errors"] == [], data
    return data["postNotice"]["notice"]["id"]  # type: ignore[no-any-return]


class Inbox:
    def __init__(self, stream: Any):
        self.stream = stream

    async def next(self) -> dict[str, Any]:
        result = await asyncio.wait_for(self.stream.__anext__(), WAIT_SECONDS)
        assert result.errors is None, result.errors
        return result.data["noticeEvents"]  # type: ignore[no-any-return]

    async def nothing_within(self, seconds: float) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._pending()), seconds)

    async def _pending(self) -> Any:
        if not hasattr(self, "_next"):
            self._next = asyncio.ensure_future(self.stream.__anext__())
        return await self._next


@contextlib.asynccontextmanager
async def inbox(m: Municipality, person: Person, category: str) -> AsyncIterator[Inbox]:
    """``person``'s subscription, once it is listening (pinged with notices until one
    arrives: a subscription joins its group only when it starts running)."""
    principal = await sync_to_async(m.principal)(person)
    stream = await schema.subscribe(EVENTS, context_value=YuiContext(principal=principal))
    assert hasattr(stream, "__anext__"), stream
    first = asyncio.ensure_future(stream.__anext__())
    try:
        for i in range(50):
            await post(m, category, f"ping {i}", [person])
            done, _ = await asyncio.wait({first}, timeout=0.1)
            if done:
                break
        else:
            pytest.fail("the subscription never heard a notice")
        assert first.result().data["noticeEvents"]["notice"]["title"].startswith("ping")
        box = Inbox(stream)
        # Drain any other pings that arrived late.
        while True:
            try:
                event = await asyncio.wait_for(asyncio.shield(box._pending()), 0.3)
            except TimeoutError:
                break
            assert event.data["noticeEvents"]["notice"]["title"].startswith("ping")
            del box._next
        yield box
    finally:
        pending = [first]
        box_now = locals().get("box")
        if box_now is not None and hasattr(box_now, "_next"):
            pending.append(box_now._next)
        for task in pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await task
        await stream.aclose()


async def category_of(m: Municipality) -> str:
    principal = await sync_to_async(m.principal)(m.admin)  # type: ignore[arg-type]
    outcome = await sync_to_async(do_create_category)(principal, {"name": "庁内連絡"})
    return str(outcome.obj.id)


async def take(box: Inbox) -> dict[str, Any]:
    event = await box._pending()
    del box._next
    assert event.errors is None, event.errors
    return event.data["noticeEvents"]  # type: ignore[no-any-return]


async def test_a_notice_reaches_its_recipient_and_a_reminder_only_non_readers(okawa, kanda):
    category = await category_of(okawa)
    kanda_category = await category_of(kanda)
    shuji, kakari = okawa.people["shuji"], okawa.people["kakari"]
    async with (
        inbox(okawa, shuji, category) as shuji_hears,
        inbox(okawa, kakari, category) as kakari_hears,
        inbox(kanda, kanda.people["shuji"], kanda_category) as kanda_hears,
    ):
        notice = await post(okawa, category, "健康診断のお知らせ", [shuji, kakari])
        for box in (shuji_hears, kakari_hears):
            event = await take(box)
            assert (event["kind"], event["notice"]) == (
                "POSTED",
                {"id": notice, "title": "健康診断のお知らせ"},
            )
        # 山﨑 reads it; the reminder reaches 佐藤 only.
        principal = await sync_to_async(okawa.principal)(kakari)
        assert (await sync_to_async(do_mark_notice_read)(principal, notice)).ok
        data = await run(okawa, okawa.admin, REMIND, {"id": notice})  # type: ignore[arg-type]
        assert [p["id"] for p in data["remindNotice"]["reminder"]["persons"]] == [str(shuji.id)]
        event = await take(shuji_hears)
        assert (event["kind"], event["notice"]["id"], event["version"]) == ("REMINDED", notice, 2)
        await kakari_hears.nothing_within(0.5)
        await kanda_hears.nothing_within(0.1)


CIRCULATION_EVENTS = "subscription { circulationEvents { kind circulation { id title } } }"
SEND = """mutation($input: SaveCirculationInput!) { saveCirculation(input: $input) {
  circulation { id } errors { code } } }"""


async def send(m: Municipality, sender: Person, title: str, people: list[Person]) -> str:
    audience = {"personIds": [str(p.id) for p in people]}
    data = await run(
        m, sender, SEND, {"input": {"title": title, "audience": audience, "send": True}}
    )
    assert data["saveCirculation"]["errors"] == [], data
    return data["saveCirculation"]["circulation"]["id"]  # type: ignore[no-any-return]


class Stream:
    def __init__(self, stream: Any, name: str = "circulationEvents"):
        self.stream, self.name = stream, name
        self.pending: asyncio.Future[Any] | None = None

    async def next(self, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        if self.pending is None:
            self.pending = asyncio.ensure_future(self.stream.__anext__())
        result = await asyncio.wait_for(asyncio.shield(self.pending), timeout)
        self.pending = None
        assert result.errors is None, result.errors
        return result.data[self.name]  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await self.pending
        await self.stream.aclose()


async def circulation_stream(m: Municipality, person: Person) -> Stream:
    """``person``'s circulationEvents once listening (pinged by the administrator)."""
    principal = await sync_to_async(m.principal)(person)
    stream = Stream(
        await schema.subscribe(CIRCULATION_EVENTS, context_value=YuiContext(principal=principal))
    )
    for i in range(50):
        await send(m, m.admin, f"ping {i}", [person])  # type: ignore[arg-type]
        try:
            event = await stream.next(timeout=0.1)
        except TimeoutError:
            continue
        assert event["circulation"]["title"].startswith("ping")
        break
    else:
        pytest.fail("the subscription never heard a circulation")
    while True:  # late pings
        try:
            await stream.next(timeout=0.3)
        except TimeoutError:
            return stream


async def test_circulation_events_reach_exactly_whom_they_concern(okawa, kanda):
    kacho, shuji, kakari = okawa.people["kacho"], okawa.people["shuji"], okawa.people["kakari"]
    streams = [
        await circulation_stream(okawa, kacho),
        await circulation_stream(okawa, shuji),
        await circulation_stream(okawa, kakari),
        await circulation_stream(kanda, kanda.people["kacho"]),
    ]
    kacho_hears, shuji_hears, kakari_hears, kanda_hears = streams
    try:
        cid = await send(okawa, kacho, "当番表", [shuji, kakari])
        for box in (shuji_hears, kakari_hears):
            assert await box.next() == {
                "kind": "RECEIVED",
                "circulation": {"id": cid, "title": "当番表"},
            }
        await run(
            okawa,
            shuji,
            "mutation($id: ID!) { confirmCirculation(id: $id) { errors { code } } }",
            {"id": cid},
        )
        assert (await kacho_hears.next())["kind"] == "CONFIRMED"
        await run(
            okawa,
            kacho,
            "mutation($id: ID!) { remindCirculation(id: $id) { errors { code } } }",
            {"id": cid},
        )
        assert (await kakari_hears.next())["kind"] == "REMINDED"
        await run(
            okawa,
            kakari,
            'mutation($id: ID!) { commentOnCirculation(id: $id, body: "了解") { errors { code } } }',
            {"id": cid},
        )
        for box in (kacho_hears, shuji_hears, kakari_hears):
            assert (await box.next())["kind"] == "COMMENTED"
        # 佐藤 confirmed already: the reminder never reached him; kanda heard nothing at all.
        for box in (shuji_hears, kanda_hears):
            with pytest.raises(TimeoutError):
                await box.next(timeout=0.3)
    finally:
        for box in streams:
            await box.close()


SURVEY_EVENTS = """subscription { surveyEvents { kind version survey { id title
  results { choiceCounts { count } } } } }"""
CREATE_SURVEY = """mutation($input: CreateSurveyInput!) { createSurvey(input: $input) {
  survey { id questions { id } } errors { code } } }"""


async def create_survey(m: Municipality, owner: Person, title: str, people: list[Person]) -> dict:
    data = await run(
        m,
        owner,
        CREATE_SURVEY,
        {
            "input": {
                "title": title,
                "audience": {"personIds": [str(p.id) for p in people]},
                "questions": [{"kind": "SINGLE_CHOICE", "text": "出欠", "choices": ["出", "欠"]}],
            }
        },
    )
    assert data["createSurvey"]["errors"] == [], data
    return data["createSurvey"]["survey"]  # type: ignore[no-any-return]


async def survey_stream(m: Municipality, person: Person) -> Stream:
    principal = await sync_to_async(m.principal)(person)
    stream = Stream(
        await schema.subscribe(SURVEY_EVENTS, context_value=YuiContext(principal=principal)),
        "surveyEvents",
    )
    for i in range(50):
        await create_survey(m, m.admin, f"ping {i}", [person])  # type: ignore[arg-type]
        try:
            event = await stream.next(timeout=0.1)
        except TimeoutError:
            continue
        assert event["survey"]["title"].startswith("ping")
        break
    else:
        pytest.fail("the subscription never heard a survey")
    while True:
        try:
            await stream.next(timeout=0.3)
        except TimeoutError:
            return stream


async def test_a_survey_opening_and_live_results_for_its_owner(okawa, kanda):
    kacho, shuji = okawa.people["kacho"], okawa.people["shuji"]
    streams = [
        await survey_stream(okawa, kacho),
        await survey_stream(okawa, shuji),
        await survey_stream(kanda, kanda.people["kacho"]),
    ]
    kacho_hears, shuji_hears, kanda_hears = streams
    try:
        survey = await create_survey(okawa, kacho, "忘年会", [shuji])
        event = await shuji_hears.next()
        assert (event["kind"], event["survey"]["id"], event["survey"]["results"]) == (
            "OPENED",
            survey["id"],
            None,  # a respondent never sees the results
        )
        answer = [{"questionId": survey["questions"][0]["id"], "choices": [1]}]
        data = await run(
            okawa,
            shuji,
            "mutation($id: ID!, $a: [SurveyAnswerInput!]!) { answerSurvey(id: $id, answers: $a) "
            "{ errors { code } } }",
            {"id": survey["id"], "a": answer},
        )
        assert data["answerSurvey"]["errors"] == []
        event = await kacho_hears.next()
        assert event["kind"] == "ANSWERED" and event["version"] == 2
        assert event["survey"]["results"] == [{"choiceCounts": [{"count": 0}, {"count": 1}]}]
        for box in (shuji_hears, kanda_hears):
            with pytest.raises(TimeoutError):
                await box.next(timeout=0.3)
    finally:
        for box in streams:
            await box.close()
