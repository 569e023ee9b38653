"""External mail through the durable outbox, against a real SMTP server (aiosmtpd) that
the tests start and stop: committed before it is sent, sent once, retried with backoff
while the relay is down, and delivered exactly once after a worker died mid-way.

The worker is the one ``yui serve`` and ``yui worker`` run (subgraphs.mail.outbox); it runs
here in the test's process, a round at a time, on the test database.
"""

from __future__ import annotations

import email
import socket
import time
from datetime import timedelta
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from subgraphs.mail import outbox
from subgraphs.mail.models import OutboxItem
from tests.mail import MESSAGE_FIELDS, inbox, mail_api, sent

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERIES = f"""query($id: ID!) {{ mailMessage(id: $id) {{ {MESSAGE_FIELDS}
  deliveries {{ recipients status attempts lastError }} }} }}"""


class Relay:
    """An SMTP server on a fixed port that can be stopped and started again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[Any] = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope)
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(e.original_content, policy=policy.default)  # type: ignore[misc]
            for e in self.received
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def relay(settings):
    found = Relay(free_port())
    settings.MAIL_RELAY = f"127.0.0.1:{found.port}"
    settings.MAIL_RETRY_BASE_SECONDS = 0.5
    settings.MAIL_SMTP_TIMEOUT_SECONDS = 5
    yield found
    found.stop()


def send_external(okawa, **more: Any) -> dict[str, Any]:
    return sent(
        mail_api(okawa, "kacho"),
        to=["外部 太郎 <taro@example.com>", "0002@okawa.invalid"],
        subject="【至急】防災訓練の日程について",
        textBody="髙橋です。\n来週の訓練は10時開始です。",
        **more,
    )


def test_external_mail_is_committed_first_then_sent_once_with_japanese_encoded(okawa, relay):
    relay.start()
    message = send_external(okawa)
    # Committed, not sent: the outbox item and its task are rows; nothing reached the relay.
    assert message["deliveries"] == [
        {"recipients": ["taro@example.com"], "status": "PENDING", "attempts": 0}
    ]
    assert relay.received == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    # The colleague at the municipality's own domain has it already, without the relay.
    assert [m["subject"] for m in inbox(mail_api(okawa, "kakari"))] == [
        "【至急】防災訓練の日程について"
    ]
    outbox.run_pending()
    assert len(relay.received) == 1
    envelope = relay.received[0]
    assert envelope.rcpt_tos == ["taro@example.com"]  # internal recipients not relayed
    assert envelope.mail_from == "0001@okawa.invalid"
    raw = envelope.original_content.decode("ascii")  # 7-bit clean: everything encoded
    assert "=?utf-8?" in raw
    [parsed] = relay.messages()
    assert parsed["Subject"] == "【至急】防災訓練の日程について"
    assert parsed["From"].addresses[0].display_name == "髙橋 一郎"
    assert parsed["To"].addresses[0].display_name == "外部 太郎"
    assert parsed["Message-ID"] == message["messageId"]
    assert parsed.get_content().strip() == "髙橋です。\n来週の訓練は10時開始です。"
    # Running the worker again sends nothing more.
    outbox.run_pending()
    outbox.recover_stranded()
    outbox.run_pending()
    assert len(relay.received) == 1
    found = mail_api(okawa, "kacho").data(DELIVERIES, {"id": message["id"]})["mailMessage"]
    assert found["deliveries"] == [
        {"recipients": ["taro@example.com"], "status": "SENT", "attempts": 1, "lastError": ""}
    ]


def test_while_the_relay_is_down_it_retries_with_backoff_then_delivers_once(okawa, relay):
    message = send_external(okawa)
    outbox.run_pending()  # the relay is not there
    item = OutboxItem.objects.get()
    assert (item.status, item.attempts) == ("PENDING", 1)
    assert "ConnectionRefused" in item.last_error
    assert item.next_attempt_at > timezone.now()
    first_wait = item.next_attempt_at - timezone.now()
    # Not due yet: another round does not try again.
    outbox.run_pending()
    assert OutboxItem.objects.get().attempts == 1
    time.sleep(0.6)
    outbox.run_pending()  # still down: the wait doubles
    item = OutboxItem.objects.get()
    assert (item.status, item.attempts) == ("PENDING", 2)
    assert item.next_attempt_at - timezone.now() > first_wait
    relay.start()
    deadline = time.monotonic() + 10
    while not relay.received and time.monotonic() < deadline:
        time.sleep(0.2)
        outbox.run_pending()
    assert len(relay.received) == 1
    item = OutboxItem.objects.get()
    assert (item.status, item.attempts) == ("SENT", 3)
    for _ in range(3):
        outbox.recover_stranded()
        outbox.run_pending()
    assert len(relay.received) == 1
    assert relay.messages()[0]["Message-ID"] == message["messageId"]


def test_a_worker_that_died_mid_way_is_made_good_exactly_once(okawa, relay):
    """Two crashes a restart must repair: a worker that claimed the item and died before
    sending (SENDING, lease over), and one that took the task and died before claiming
    the item (the task RUNNING for ever, the item PENDING past its time)."""
    relay.start()
    send_external(okawa)
    send_external(okawa)
    first, second = OutboxItem.objects.order_by("created_at")
    long_ago = timezone.now() - timedelta(minutes=10)
    OutboxItem.objects.filter(id=first.id).update(
        status="SENDING", attempts=1, lease_until=long_ago
    )
    OutboxItem.objects.filter(id=second.id).update(next_attempt_at=long_ago)
    DBTaskResult.objects.update(status="RUNNING")  # both tasks taken by the dead worker
    outbox.run_pending()
    assert relay.received == []  # nothing is due as far as the queue knows
    # The restarted worker's first round.
    assert outbox.recover_stranded() == 2
    outbox.run_pending()
    assert len(relay.received) == 2
    assert set(OutboxItem.objects.values_list("status", flat=True)) == {"SENT"}
    for _ in range(3):
        outbox.recover_stranded()
        outbox.run_pending()
    assert len(relay.received) == 2


def test_a_permanent_refusal_fails_for_good_and_says_why(okawa, relay, settings):
    class Refusing(Relay):
        async def handle_RCPT(self, server, session, envelope, address, options):
            return "550 5.1.1 no such user"

    refusing = Refusing(relay.port)
    refusing.start()
    try:
        message = send_external(okawa)
        outbox.run_pending()
        found = mail_api(okawa, "kacho").data(DELIVERIES, {"id": message["id"]})
        [delivery] = found["mailMessage"]["deliveries"]
        assert (delivery["status"], delivery["attempts"]) == ("FAILED", 1)
        assert "550" in delivery["lastError"]
        outbox.recover_stranded()
        outbox.run_pending()
        assert OutboxItem.objects.get().attempts == 1  # not tried again
    finally:
        refusing.stop()


def test_the_sender_of_another_municipality_never_sees_the_outbox(okawa, kanda, relay):
    message = send_external(okawa)
    other = mail_api(kanda, "kacho")
    assert other.data(DELIVERIES, {"id": message["id"]})["mailMessage"] is None


def test_the_embedded_worker_thread_delivers_without_being_asked(okawa, relay):
    """What `yui serve` runs: the worker in a thread, looking at the queue by itself."""
    relay.start()
    send_external(okawa)
    # Started after the request: the tests' in-memory SQLite shares its cache between
    # threads with table locks that do not wait (a database file, as `yui serve` uses,
    # waits for its lock instead).
    worker = outbox.OutboxWorker(interval=0.1).start()
    try:
        deadline = time.monotonic() + 15
        while not relay.received and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.stop()
    assert len(relay.received) == 1
    assert OutboxItem.objects.get().status == "SENT"
