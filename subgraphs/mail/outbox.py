"""The durable outbox: external mail through the SMTP relay, exactly once where it can be.

- ``queue`` runs inside the transaction that stores the message: the ``OutboxItem`` and its
  task (a django-tasks-db row, the queue in the database, SQLite and PostgreSQL alike) are
  committed together with the message, or not at all. Nothing is sent before commit.
- The task (``send_outbox_item``) claims the item with one conditional UPDATE (PENDING →
  SENDING, with a lease), so a second task for the same item, or a second worker, finds
  nothing to do: a message is not sent twice.
- A relay that is down or answers 4xx puts the item back to PENDING, ``next_attempt_at``
  later by exponential backoff, and queues a new task for then. 5xx answers, or
  ``MAIL_MAX_ATTEMPTS`` attempts, make it FAILED with the relay's answer kept.
- ``recover_stranded`` (run by the worker at start and then every minute) takes care of
  what a crash left behind: an item SENDING past its lease goes back to PENDING, and a
  due PENDING item whose task is not waiting in the queue (lost with a crashed worker,
  which leaves it RUNNING for ever) gets a new task.

The one window left: a process that dies after the relay accepted a message and before it
marked the item SENT (milliseconds) sends it again after the lease. SMTP offers nothing to
close it; the same Message-ID lets the receiving side drop the copy.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
import uuid
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from subgraphs.mail.models import MailMessage, OutboxItem
from subgraphs.people import leavers, reorg

logger = logging.getLogger(__name__)

QUEUE = "mail"
LEASE = timedelta(minutes=5)
RECOVER_EVERY_SECONDS = 60.0


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def relay() -> tuple[str, int] | None:
    """``MAIL_RELAY`` (``YUI_MAIL_RELAY=host:port``); None: external mail waits."""
    raw = str(_setting("MAIL_RELAY", "") or "").strip()
    if not raw:
        return None
    host, _, port = raw.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else (raw, 25)


def backoff(attempts: int) -> timedelta:
    base = float(_setting("MAIL_RETRY_BASE_SECONDS", 30))
    most = float(_setting("MAIL_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(most, base * 2 ** max(0, attempts - 1)))


def queue(message: MailMessage, recipients: list[str]) -> OutboxItem:
    """Put ``message`` in the outbox for ``recipients``; call inside its transaction."""
    item = OutboxItem.objects.create(
        tenant_id=message.tenant_id, message=message, recipients=recipients
    )
    _enqueue(item.id, item.next_attempt_at)
    return item


def _enqueue(item_id: uuid.UUID, when: Any) -> None:
    """Queue the item's next attempt; call inside the transaction that changed the item."""
    result = send_outbox_item.using(run_after=when).enqueue(str(item_id))
    OutboxItem.objects.filter(id=item_id).update(task_id=str(result.id))


@task(queue_name=QUEUE)
def send_outbox_item(item_id: str) -> str:
    """The task: send one outbox item if it is still to be sent (see the module doc)."""
    return deliver(uuid.UUID(item_id))


def deliver(item_id: uuid.UUID) -> str:
    now = timezone.now()
    claimed = OutboxItem.objects.filter(id=item_id, status=OutboxItem.Status.PENDING).update(
        status=OutboxItem.Status.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    if not claimed:
        return "nothing to do"
    item = OutboxItem.objects.select_related("message").get(id=item_id)
    where = relay()
    try:
        if where is None:
            raise ConnectionRefusedError("no relay configured (YUI_MAIL_RELAY)")
        refused = _send(where, item)
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600
        return _failed(item, f"{exc.smtp_code} {exc.smtp_error!r}", permanent=permanent)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        permanent = all(500 <= code < 600 for code in codes)
        return _failed(item, f"recipients refused: {exc.recipients!r}", permanent=permanent)
    except (OSError, smtplib.SMTPException) as exc:
        return _failed(item, f"{type(exc).__name__}: {exc}", permanent=False)
    OutboxItem.objects.filter(id=item.id).update(
        status=OutboxItem.Status.SENT,
        sent_at=timezone.now(),
        lease_until=None,
        last_error=f"refused: {refused!r}" if refused else "",
    )
    return "sent"


def _failed(item: OutboxItem, error: str, *, permanent: bool) -> str:
    attempts = item.attempts
    if permanent or attempts >= int(_setting("MAIL_MAX_ATTEMPTS", 30)):
        OutboxItem.objects.filter(id=item.id).update(
            status=OutboxItem.Status.FAILED, lease_until=None, last_error=error
        )
        logger.warning("outbox %s failed for good: %s", item.id, error)
        return "failed"
    later = timezone.now() + backoff(attempts)
    with transaction.atomic():
        OutboxItem.objects.filter(id=item.id).update(
            status=OutboxItem.Status.PENDING,
            lease_until=None,
            next_attempt_at=later,
            last_error=error,
        )
        _enqueue(item.id, later)
    logger.info("outbox %s: attempt %d failed (%s), next at %s", item.id, attempts, error, later)
    return "retry"


def build_mime(message: MailMessage) -> EmailMessage:
    """The message as sent: UTF-8 bodies, non-ASCII headers and display names encoded by
    RFC 2047 (the ``email`` package does it), the stored Message-ID kept."""
    mime = EmailMessage()
    mime["Message-ID"] = message.message_id
    mime["Date"] = format_datetime(message.sent_at or timezone.now())
    mime["From"] = _address(message.from_name, message.from_address)
    if message.to:
        mime["To"] = [_address(p["name"], p["address"]) for p in message.to]
    if message.cc:
        mime["Cc"] = [_address(p["name"], p["address"]) for p in message.cc]
    mime["Subject"] = message.subject
    if message.in_reply_to:
        mime["In-Reply-To"] = message.in_reply_to
    if message.references:
        mime["References"] = message.references
    # Base64 bodies: 7-bit clean, so a relay without 8BITMIME passes them unchanged.
    mime.set_content(message.text_body or "", charset="utf-8", cte="base64")
    if message.html_body:
        mime.add_alternative(message.html_body, subtype="html", charset="utf-8", cte="base64")
    from subgraphs.mail.attachments import add_to_mime  # attachments imports actions → outbox

    add_to_mime(mime, message)
    return mime


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def _send(where: tuple[str, int], item: OutboxItem) -> dict[str, Any]:
    mime = build_mime(item.message)
    timeout = float(_setting("MAIL_SMTP_TIMEOUT_SECONDS", 30))
    with smtplib.SMTP(where[0], where[1], timeout=timeout) as smtp:
        return smtp.send_message(
            mime, from_addr=item.message.from_address, to_addrs=list(item.recipients)
        )


def recover_stranded() -> int:
    """Give a task to every item a crash left without one; how many.

    - SENDING past its lease: its worker died while sending (or before it could note the
      answer); back to PENDING.
    - PENDING and due, but its task is not waiting in the queue: the task died with the
      worker that had taken it (django-tasks-db leaves it RUNNING for ever). A task still
      being run by a live worker gets a twin, which is harmless: the claim is conditional.
    """
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    recovered = 0
    with transaction.atomic():
        expired = OutboxItem.objects.filter(status=OutboxItem.Status.SENDING, lease_until__lt=now)
        OutboxItem.objects.filter(id__in=list(expired.values_list("id", flat=True))).update(
            status=OutboxItem.Status.PENDING, lease_until=None, next_attempt_at=now
        )
        due = OutboxItem.objects.filter(status=OutboxItem.Status.PENDING, next_attempt_at__lte=now)
        items = list(due.values_list("id", "task_id"))
        waiting = set(
            str(pk)
            for pk in DBTaskResult.objects.filter(
                id__in=[task for _, task in items if task], status="READY"
            ).values_list("id", flat=True)
        )
        for item_id, task_id in items:
            if task_id not in waiting:
                _enqueue(item_id, now)
                recovered += 1
    return recovered


# --- the worker --------------------------------------------------------------------------


def run_pending(worker_id: str = "yui") -> None:
    """Run every task of the mail queue that is due now."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    # A plain read first: the worker takes its task in an exclusive transaction (on
    # SQLite, a lock on the whole database), which an idle queue need not cost anyone.
    if not DBTaskResult.objects.ready().filter(queue_name=QUEUE).exists():
        return
    Worker(
        queue_names=[QUEUE],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


class OutboxWorker:
    """Runs the mail queue until stopped: in a thread of ``yui serve`` (embedded), or as
    the main loop of ``yui worker`` (distributed)."""

    def __init__(self, interval: float = 1.0, worker_id: str | None = None) -> None:
        self.interval = interval
        self.worker_id = worker_id or f"yui-{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        from subgraphs.mail.imap import ImapFetcher  # imap imports actions, which imports us

        last_recovery = 0.0
        # Incoming mail too: a watcher thread per IMAP account, kept in step with the table.
        fetcher = ImapFetcher() if _setting("MAIL_IMAP_FETCH", True) else None
        while not self._stop.is_set():
            try:
                close_old_connections()
                if time.monotonic() - last_recovery >= RECOVER_EVERY_SECONDS:
                    recover_stranded()
                    # The one periodic worker of a deployment also applies the personnel
                    # changes (人事異動) whose day has come: at most a minute late.
                    reorg.apply_due()
                    # And, once a day, removes leavers' personal data past its retention.
                    leavers.purge_daily()
                    last_recovery = time.monotonic()
                run_pending(self.worker_id)
                if fetcher is not None:
                    fetcher.tick()
            except Exception:  # the database away for a moment must not end the worker
                logger.warning("mail worker: a round failed; trying again", exc_info=True)
            finally:
                close_old_connections()
            self._stop.wait(self.interval)
        if fetcher is not None:
            fetcher.stop()

    def start(self) -> OutboxWorker:
        self._thread = threading.Thread(target=self.run, name="yui-mail-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
