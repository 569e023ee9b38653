"""The outbox across real restarts: mail committed while the relay is down, a `yui worker`
process killed while retrying, the relay started, another `yui worker` started: the mail
arrives exactly once. Real processes on a database of their own (a file for SQLite, a
scratch database when the tests run on PostgreSQL), a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.mail.test_outbox import Relay, free_port
from yui.scratch_database import is_postgres, scratch_postgres

YUI = [sys.executable, "-m", "yui.cli"]

# Run in a process of its own with the deployment's settings: one municipality, one
# staff member, one message to an external address committed to the outbox.
QUEUE_ONE = """
import django
django.setup()
from subgraphs.core.principal import Principal
from subgraphs.mail import actions
from subgraphs.mail.directory import Staff
from subgraphs.people import actions as people
tenant = people.do_add_tenant("402125", "大川市", "okawa", "テスト協議会").obj
system = Principal(tenant_id=tenant.id, person_id=None, via="test")
person = people.do_create_person(system, {"login_id": "0001", "name": "髙橋 一郎"}).obj
principal = Principal(tenant_id=tenant.id, person_id=person.id, via="test")
mailbox = actions.do_ensure_personal_mailbox(principal, Staff(person.id, "0001", "髙橋 一郎"), "okawa")
recipients, errors = actions.parse_recipients({"to": ["外部 太郎 <taro@example.com>"]})
outcome = actions.do_send_mail(
    principal, frozenset(), {"mailbox_id": mailbox.id, "subject": "再起動をまたぐ件"},
    recipients, {}, "髙橋 一郎",
)
assert outcome.ok, outcome.errors
print("queued")
"""


def outbox_state(url: str) -> tuple[str, int] | None:
    """The one outbox item's status and attempts, read straight from the database."""
    query = "SELECT status, attempts FROM mail_outboxitem"
    if is_postgres(url):
        import psycopg

        with psycopg.connect(url) as conn:
            row = conn.execute(query).fetchone()
    else:
        import sqlite3

        lite = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=1)
        try:
            row = lite.execute(query).fetchone()
        except sqlite3.OperationalError:  # locked by a worker frozen mid-transaction
            return None
        finally:
            lite.close()
    return (str(row[0]), int(row[1])) if row else None


@contextlib.contextmanager
def database(tmp: Path) -> Iterator[str]:
    configured = os.environ.get("YUI_DATABASE_URL", "").strip()
    if not is_postgres(configured):
        yield f"sqlite:///{tmp / 'yui.sqlite3'}"
        return
    with scratch_postgres(configured, "yui_mail") as url:
        yield url


def environment(tmp: Path, url: str, relay_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUI_")}
    env.update(
        {
            "YUI_DATA_DIR": str(tmp),
            "YUI_DATABASE_URL": url,
            "YUI_SECRET_KEY": "mail-restart-test-" + "x" * 32,
            "YUI_MAIL_RELAY": f"127.0.0.1:{relay_port}",
            "YUI_MAIL_RETRY_BASE_SECONDS": "1",
            "DJANGO_SETTINGS_MODULE": "yui.settings",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_mail_queued_while_the_relay_is_down_arrives_once_across_restarts(tmp_path):
    relay = Relay(free_port())
    with database(tmp_path) as url:
        env = environment(tmp_path, url, relay.port)
        run = dict(env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        migrated = subprocess.run([*YUI, "migrate", "-v", "0"], **run)  # type: ignore[call-overload]  # noqa: S603
        assert migrated.returncode == 0, migrated.stderr
        queued = subprocess.run([sys.executable, "-c", QUEUE_ONE], **run)  # type: ignore[call-overload]  # noqa: S603
        assert queued.stdout.strip() == "queued", queued.stderr
        log = (tmp_path / "worker-1.log").open("w")
        first = subprocess.Popen(  # noqa: S603 - our own command and Python
            [*YUI, "worker", "--interval", "0.2"], env=env, cwd=tmp_path, stdout=log, stderr=log
        )
        try:
            # Tried (and refused) at least once, then killed while waiting for the next
            # try: frozen first, so the kill does not land in the middle of an attempt
            # (that case, SENDING, waits out its lease; test_outbox covers it).
            tried = wait_for(lambda: (outbox_state(url) or ("", 0))[1] >= 1, 60)
            assert tried and first.poll() is None, (tmp_path / "worker-1.log").read_text()
            for _ in range(50):
                first.send_signal(signal.SIGSTOP)
                if (outbox_state(url) or ("", 0))[0] == "PENDING":
                    break
                first.send_signal(signal.SIGCONT)
                time.sleep(0.05)
        finally:
            first.send_signal(signal.SIGKILL)  # a crash, not a clean stop
            first.wait(10)
        assert relay.received == []
        status, attempts = outbox_state(url) or ("", 0)
        assert status == "PENDING" and attempts >= 1
        relay.start()
        try:
            log = (tmp_path / "worker-2.log").open("w")
            second = subprocess.Popen(  # noqa: S603 - our own command and Python
                [*YUI, "worker", "--interval", "0.2"],
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=log,
            )
            try:
                arrived = wait_for(lambda: len(relay.received) >= 1, 60)
                assert arrived, (outbox_state(url), (tmp_path / "worker-2.log").read_text())
                time.sleep(2.0)  # time enough for a second copy, were one to come
            finally:
                second.send_signal(signal.SIGTERM)
                assert second.wait(15) == 0
            # One more start finds nothing left to send.
            batch = subprocess.run([*YUI, "worker", "--batch"], **run)  # type: ignore[call-overload]  # noqa: S603
            assert batch.returncode == 0, batch.stderr
            assert len(relay.received) == 1
            assert (outbox_state(url) or ("", 0))[0] == "SENT"
            [message] = relay.messages()
            assert message["Subject"] == "再起動をまたぐ件"
            assert message["From"].addresses[0].display_name == "髙橋 一郎"
        finally:
            relay.stop()
