"""Live mail and direct messages on the subgraph's schema as the gateway runs it
in-process, over the configured channel layer (in-memory, or Redis when YUI_REDIS_URL is
set): new mail reaches the recipients' mailboxes (shared ones too) and no one else, state
changes reach the co-members of a shared mailbox, direct messages and read receipts reach
the conversation's members, and another municipality hears nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from subgraphs.core.graphql.context import YuiContext
from subgraphs.mail.graphql.schema import schema
from subgraphs.people.models import Person
from tests.conftest import Municipality
from tests.mail import MARK, SEND

pytestmark = pytest.mark.django_db(transaction=True)

MAIL_EVENTS = """subscription { mailEvents { kind messageId mailbox { kind address }
  message { subject isRead } } }"""
DM_EVENTS = """subscription { directMessageEvents { kind conversation { id }
  message { body } reader { id } readAt } }"""
WAIT_SECONDS = 5.0


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


async def run(m: Municipality, person: Person, query: str, variables: dict | None = None) -> Any:
    principal = await sync_to_async(m.principal)(person)
    result = await schema.execute(
        query, variable_values=variables or {}, context_value=YuiContext(principal=principal)
    )
    assert result.errors is None, result.errors
    return result.data


async def mailbox_id(m: Municipality, person: Person, kind: str = "PERSONAL") -> str:
    data = await run(m, person, "{ mailboxes { id kind } }")
    return next(b["id"] for b in data["mailboxes"] if b["kind"] == kind)  # type: ignore[no-any-return]


async def send(m: Municipality, sender: Person, to: str, subject: str) -> dict[str, Any]:
    box = await mailbox_id(m, sender)
    data = await run(m, sender, SEND, {"input": {"mailboxId": box, "to": [to], "subject": subject}})
    assert data["sendMail"]["errors"] == [], data
    return data["sendMail"]["message"]  # type: ignore[no-any-return]


class Listener:
    """A subscription that is listening (it joins its group only once it runs: pinged
    until the first event arrives, which is dropped)."""

    def __init__(self, stream: Any, field: str) -> None:
        self.stream = stream
        self.field = field
        self._next: asyncio.Future[Any] | None = None

    def _pending(self) -> asyncio.Future[Any]:
        if self._next is None:
            self._next = asyncio.ensure_future(self.stream.__anext__())
        return self._next

    async def take(self) -> dict[str, Any]:
        result = await asyncio.wait_for(asyncio.shield(self._pending()), WAIT_SECONDS)
        self._next = None
        assert result.errors is None, result.errors
        return result.data[self.field]  # type: ignore[no-any-return]

    async def nothing_within(self, seconds: float) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._pending()), seconds)

    async def drain(self) -> None:
        while True:
            try:
                await asyncio.wait_for(asyncio.shield(self._pending()), 0.3)
            except TimeoutError:
                return
            self._next = None


@contextlib.asynccontextmanager
async def listening(
    m: Municipality, person: Person, query: str, field: str, ping: Any
) -> AsyncIterator[Listener]:
    principal = await sync_to_async(m.principal)(person)
    stream = await schema.subscribe(query, context_value=YuiContext(principal=principal))
    assert hasattr(stream, "__anext__"), stream
    listener = Listener(stream, field)
    try:
        for _ in range(50):
            await ping()
            done, _ = await asyncio.wait({listener._pending()}, timeout=0.1)
            if done:
                break
        else:
            pytest.fail("the subscription never heard anything")
        listener._next = None
        await listener.drain()
        yield listener
    finally:
        if listener._next is not None:
            listener._next.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await listener._next
        await stream.aclose()


def mail_listener(m: Municipality, key: str) -> Any:
    person = m.people[key]
    address = f"{person.login_id}@{m.tenant.slug}.invalid"

    async def ping() -> None:
        await send(m, m.people["shimin"] if key != "shimin" else m.people["kacho"], address, "ping")

    return listening(m, person, MAIL_EVENTS, "mailEvents", ping)


async def test_new_mail_reaches_its_recipients_and_no_one_else(okawa, kanda):
    kacho, kakari = okawa.people["kacho"], okawa.people["kakari"]
    async with (
        mail_listener(okawa, "kakari") as kakari_hears,
        mail_listener(okawa, "shuji") as shuji_hears,
        mail_listener(kanda, "kakari") as kanda_hears,
    ):
        await send(okawa, kacho, "0002@okawa.invalid", "会議室の変更")
        event = await kakari_hears.take()
        assert event["kind"] == "RECEIVED"
        assert event["mailbox"] == {"kind": "PERSONAL", "address": "0002@okawa.invalid"}
        assert event["message"] == {"subject": "会議室の変更", "isRead": False}
        await shuji_hears.nothing_within(0.5)
        await kanda_hears.nothing_within(0.5)
        # Her own reading is a change she hears of (other tabs stay current).
        principal = await sync_to_async(okawa.principal)(kakari)
        result = await schema.execute(
            MARK,
            variable_values={"input": {"ids": [event["messageId"]], "read": True}},
            context_value=YuiContext(principal=principal),
        )
        assert result.errors is None
        changed = await kakari_hears.take()
        assert (changed["kind"], changed["message"]["isRead"]) == ("CHANGED", True)
        await shuji_hears.nothing_within(0.3)


async def test_a_shared_mailbox_s_members_hear_its_mail_and_its_state(okawa):
    from tests.mail.test_access import shared_shomu

    await sync_to_async(shared_shomu)(okawa)
    kakari = okawa.people["kakari"]
    async with (
        mail_listener(okawa, "kakari") as kakari_hears,
        mail_listener(okawa, "shuji") as shuji_hears,
        mail_listener(okawa, "jinji") as jinji_hears,
    ):
        await send(okawa, okawa.people["kacho"], "shomu@okawa.invalid", "共有宛て")
        for box in (kakari_hears, shuji_hears):
            event = await box.take()
            assert (event["kind"], event["mailbox"]["kind"]) == ("RECEIVED", "SHARED")
        await jinji_hears.nothing_within(0.5)
        event_id = event["messageId"]
        principal = await sync_to_async(okawa.principal)(kakari)
        result = await schema.execute(
            MARK,
            variable_values={"input": {"ids": [event_id], "flagged": True}},
            context_value=YuiContext(principal=principal),
        )
        assert result.errors is None
        changed = await shuji_hears.take()  # 山﨑 flagged it: 佐藤 hears
        assert (changed["kind"], changed["messageId"]) == ("CHANGED", event_id)


async def test_direct_messages_and_read_receipts_reach_members_only(okawa, kanda):
    kacho, kakari, shuji = (okawa.people[k] for k in ("kacho", "kakari", "shuji"))
    start = """mutation($p: [ID!]!) { startConversation(input: {personIds: $p}) {
      conversation { id } errors { code } } }"""
    say = """mutation($c: ID!, $b: String!) { sendDirectMessage(conversationId: $c, body: $b) {
      errors { code } } }"""
    data = await run(okawa, kacho, start, {"p": [str(kakari.id)]})
    conversation = data["startConversation"]["conversation"]["id"]

    def pinger(m: Municipality, sender: Person, to: Person) -> Any:
        async def ping() -> None:
            found = await run(m, sender, start, {"p": [str(to.id)]})
            c = found["startConversation"]["conversation"]["id"]
            await run(m, sender, say, {"c": c, "b": "ping"})

        return ping

    async with (
        listening(
            okawa, kakari, DM_EVENTS, "directMessageEvents", pinger(okawa, kacho, kakari)
        ) as kakari_hears,
        listening(
            okawa, kacho, DM_EVENTS, "directMessageEvents", pinger(okawa, kakari, kacho)
        ) as kacho_hears,
        listening(
            okawa, shuji, DM_EVENTS, "directMessageEvents", pinger(okawa, kacho, shuji)
        ) as shuji_hears,
        listening(
            kanda,
            kanda.people["kakari"],
            DM_EVENTS,
            "directMessageEvents",
            pinger(kanda, kanda.people["kacho"], kanda.people["kakari"]),
        ) as kanda_hears,
    ):
        # Later listeners' pings in the same conversation reached the earlier ones.
        for box in (kakari_hears, kacho_hears, shuji_hears, kanda_hears):
            await box.drain()
        await run(okawa, kacho, say, {"c": conversation, "b": "内線の代わりに失礼します"})
        event = await kakari_hears.take()
        assert event["kind"] == "MESSAGE"
        assert event["message"] == {"body": "内線の代わりに失礼します"}
        assert (await kacho_hears.take())["kind"] == "MESSAGE"  # his other devices
        await shuji_hears.nothing_within(0.5)
        await kanda_hears.nothing_within(0.3)
        mark = "mutation($id: ID!) { markConversationRead(id: $id) { errors { code } } }"
        await run(okawa, kakari, mark, {"id": conversation})
        receipt = await kacho_hears.take()
        assert receipt["kind"] == "READ"
        assert receipt["reader"] == {"id": str(kakari.id)}
        assert receipt["readAt"] is not None
        await shuji_hears.nothing_within(0.3)
