"""``yui worker``: the mail worker on its own (distributed deployments): the outbox, and
incoming mail from every mailbox's IMAP account (subgraphs.mail.imap: IDLE or polling).

``yui serve`` runs the same worker in a thread (embedded); a distributed deployment runs
one or more ``yui worker`` processes next to its subgraphs (more than one is safe: an
outbox item is claimed by one conditional UPDATE, see subgraphs.mail.outbox).
"""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from subgraphs.mail import imap, outbox
from subgraphs.mail.models import ImapAccount


class Command(BaseCommand):
    help = (
        "Send the mail outbox through the SMTP relay (YUI_MAIL_RELAY), retrying with backoff, "
        "and fetch incoming mail from the mailboxes' IMAP accounts."
    )
    # The system checks import every subgraph's schema and the URL map (seconds): nothing a
    # worker needs, and a restarted worker should be back at its queue at once.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between looks at the queue"
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="recover what a crash left, send what is due now, fetch every IMAP account "
            "once, then exit",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"]:
            recovered = outbox.recover_stranded()
            outbox.run_pending()
            self.stdout.write(f"outbox: {recovered} recovered; due items sent or rescheduled")
            for account in ImapAccount.objects.filter(enabled=True):
                try:
                    result = imap.sync_account(account.id)
                except Exception as exc:  # kept on the account (lastError) too
                    self.stdout.write(f"imap {account}: failed: {exc}")
                else:
                    self.stdout.write(
                        f"imap {account}: {result.fetched} fetched, {result.removed} removed"
                    )
            return
        worker = outbox.OutboxWorker(interval=options["interval"])
        relay = outbox.relay()
        where = f"{relay[0]}:{relay[1]}" if relay else "none (YUI_MAIL_RELAY unset: mail waits)"
        self.stdout.write(f"yui worker {worker.worker_id}: relay {where}")

        def stop(signum: int, frame: Any) -> None:
            worker.stop(timeout=0)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        worker.run()
