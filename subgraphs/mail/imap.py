"""Incoming external mail: each mailbox's IMAP account, fetched into Yui's database.

The UI reads mail from Yui's tables only; this module keeps them in step with the server:

- ``sync_account`` connects (TLS, STARTTLS or plain on a closed network), selects the folder
  read-only (nothing is marked seen or deleted on the server), and compares UIDs: new ones
  are fetched and stored (``ImapMessage`` remembers UID and UIDVALIDITY), and a message Yui
  has whose UID the server no longer lists was deleted there, so it disappears from Yui
  (from this mailbox; the stored message goes when nothing else holds it). A changed
  UIDVALIDITY (RFC 3501 2.3.1.1) means the old UIDs mean nothing: what came from the old
  generation is dropped and the folder fetched again.
- ``ImapFetcher`` (run by the mail worker, inside ``yui serve`` or ``yui worker``) keeps one
  watcher thread per enabled account: it syncs, then waits in IDLE (RFC 2177) where the
  server offers it and syncs again when the server says something changed, or else polls
  every ``MAIL_IMAP_POLL_SECONDS``. A failure (server away, sign-in refused) is kept on the
  account (``lastError``) and retried later.
- Decoding is the ``email`` package's (policy.default): RFC 2047 subjects and names, bodies
  in their declared charset (ISO-2022-JP, UTF-8, ...), RFC 2231 attachment names.
- Every message is EXTERNAL: the municipality's メール無害化 policy applies (harmless.py).

Passwords are stored encrypted (Fernet, with a key derived from SECRET_KEY) and never
returned by the API.
"""

from __future__ import annotations

import base64
import contextlib
import email
import hashlib
import logging
import re
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email import policy as email_policy
from email.header import decode_header
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from imapclient import IMAPClient

from subgraphs.mail import actions, attachments, harmless
from subgraphs.mail.models import (
    ADDRESS_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    ImapAccount,
    ImapMessage,
    MailEntry,
    MailFolder,
    MailMessage,
    MailSettings,
)

logger = logging.getLogger(__name__)

FETCH_BATCH = 25
IDLE_CHECK_SECONDS = 2.0  # how often a watcher in IDLE looks at its stop flag
IDLE_RENEW_SECONDS = 25 * 60  # RFC 2177: re-issue IDLE before the server's 30 minutes
RETRY_SECONDS = 30.0


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# --- the password ------------------------------------------------------------------------


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"yui.imap.v1:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_password(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode()


def decrypt_password(stored: str) -> str:
    try:
        return _fernet().decrypt(stored.encode()).decode()
    except InvalidToken as exc:  # SECRET_KEY changed: the administrator must enter it again
        raise ValueError("the stored IMAP password cannot be read; set it again") from exc


# --- reading a message ---------------------------------------------------------------------


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: str
    references: str
    subject: str
    from_name: str
    from_address: str
    to: list[dict[str, str]]
    cc: list[dict[str, str]]
    sent_at: datetime | None
    text: str
    html: str
    files: list[tuple[str, bytes]] = field(default_factory=list)


ISO_2022_JP = re.compile(r"(?i)=\?(iso-2022-jp|csiso2022jp)\?")


def _windows_words(message: EmailMessage, name: str) -> str | None:
    """The header's text, its ISO-2022-JP encoded words read as Windows writes them (see
    decode_windows_iso2022jp); None when it has none (the email package reads it)."""
    raw = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
    if not ISO_2022_JP.search(raw):
        return None
    parts = []
    for chunk, charset in decode_header(raw):
        if isinstance(chunk, str):
            parts.append(chunk)
        elif (charset or "").lower() in ("iso-2022-jp", "csiso2022jp"):
            parts.append(decode_windows_iso2022jp(chunk))
        else:
            try:
                parts.append(chunk.decode(charset or "ascii", "replace"))
            except LookupError:
                parts.append(chunk.decode("utf-8", "replace"))
    return "".join(parts)


def _header(message: EmailMessage, name: str) -> str:
    try:
        text = _windows_words(message, name)
        return " ".join((text if text is not None else str(message.get(name, "") or "")).split())
    except Exception:  # a header too broken to decode: as if absent
        return ""


def _addresses(message: EmailMessage, name: str) -> list[dict[str, str]]:
    try:
        text = _windows_words(message, name)
        if text is not None:
            pairs = getaddresses([text])
        else:
            header = message.get(name)
            found = getattr(header, "addresses", ()) if header is not None else ()
            pairs = [(a.display_name, a.addr_spec) for a in found]
    except Exception:
        return []
    return [
        {"name": display[:NAME_MAX_LENGTH], "address": address[:ADDRESS_MAX_LENGTH]}
        for display, address in pairs
        if address
    ]


ESCAPES = {b"\x1b$B": "jis", b"\x1b$@": "jis", b"\x1b(B": "ascii", b"\x1b(J": "ascii",
           b"\x1b(I": "kana"}  # fmt: skip


def decode_windows_iso2022jp(data: bytes) -> str:
    """ISO-2022-JP as Windows mailers write it (CP50220: NEC special characters such as
    ① and IBM extensions such as 髙, outside JIS X 0208, which Python's codec refuses):
    each JIS pair becomes its Shift_JIS pair and the whole is read as CP932."""
    out = bytearray()
    mode, i = "ascii", 0
    while i < len(data):
        escape = ESCAPES.get(data[i : i + 3])
        if escape:
            mode, i = escape, i + 3
            continue
        byte = data[i]
        if mode == "jis" and 0x21 <= byte <= 0x7E and i + 1 < len(data):
            j1, j2 = byte, data[i + 1]
            s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
            s2 = j2 + (0x1F if j1 % 2 else 0x7E)
            out += bytes([s1, s2 + 1 if j1 % 2 and s2 >= 0x7F else s2])
            i += 2
            continue
        out.append(byte + 0x80 if mode == "kana" and 0x21 <= byte <= 0x5F else byte)
        i += 1
    return out.decode("cp932", "replace")


def _content(part: EmailMessage | None) -> str:
    if part is None:
        return ""
    if (part.get_content_charset() or "").lower() in ("iso-2022-jp", "csiso2022jp"):
        # Read as Windows writes it (a superset): the email package would put U+FFFD
        # where ①, ㈱ or 髙 are.
        payload = part.get_payload(decode=True)
        return decode_windows_iso2022jp(payload) if isinstance(payload, bytes) else ""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what decodes
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def parse(raw: bytes) -> ParsedMail:
    """A message from the wire, decoded (headers, bodies and file names)."""
    message = email.message_from_bytes(raw, policy=email_policy.default)
    assert isinstance(message, EmailMessage)
    sender = _addresses(message, "From")
    try:
        date_header = message.get("Date")
        sent_at = getattr(date_header, "datetime", None)
    except Exception:
        sent_at = None
    if sent_at is not None and timezone.is_naive(sent_at):
        sent_at = timezone.make_aware(sent_at, timezone.get_current_timezone())
    files = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            files.append((part.get_filename() or "", payload))
    return ParsedMail(
        message_id=_header(message, "Message-ID")[: ADDRESS_MAX_LENGTH + 2]
        or f"<{uuid.uuid4()}@imap.invalid>",
        in_reply_to=_header(message, "In-Reply-To")[: ADDRESS_MAX_LENGTH + 2],
        references=_header(message, "References"),
        subject=_header(message, "Subject")[:SUBJECT_MAX_LENGTH],
        from_name=sender[0]["name"] if sender else "",
        from_address=sender[0]["address"] if sender else "",
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        sent_at=sent_at,
        text=_content(message.get_body(preferencelist=("plain",))),  # type: ignore[arg-type]
        html=_content(message.get_body(preferencelist=("html",))),  # type: ignore[arg-type]
        files=files,
    )


# --- storing it ------------------------------------------------------------------------------


@transaction.atomic
def store(account: ImapAccount, uid_validity: int, uid: int, raw: bytes) -> MailEntry:
    """One fetched message into the account's mailbox (INBOX), under the tenant's policy."""
    mail = parse(raw)
    tenant_id = account.tenant_id
    policy = harmless.Policy.of(MailSettings.objects.filter(tenant_id=tenant_id).first())
    rendered = harmless.render(policy, mail.text, mail.html)
    replied = (
        MailMessage.objects.filter(tenant_id=tenant_id, message_id=mail.in_reply_to).first()
        if mail.in_reply_to
        else None
    )
    message = MailMessage.objects.create(
        tenant_id=tenant_id,
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=mail.references,
        thread_id=replied.thread_id if replied else uuid.uuid4(),
        origin=MailMessage.Origin.EXTERNAL,
        from_name=mail.from_name,
        from_address=mail.from_address,
        to=mail.to,
        cc=mail.cc,
        subject=mail.subject,
        text_body=rendered.text_body,
        html_body=rendered.html_body,
        original_html_body=rendered.original_html_body,
        sent_at=mail.sent_at or timezone.now(),
    )
    held = [
        kept.name
        for position, (name, data) in enumerate(mail.files)
        if (
            kept := attachments.store_incoming(
                message, position, name, data, held=policy.holds(name)
            )
        ).state
        == kept.State.HELD
    ]
    rendered = harmless.with_notice(rendered, held)
    message.text_body, message.harmless_notice = rendered.text_body, rendered.notice
    message.save(update_fields=["text_body", "harmless_notice"])
    ImapMessage.objects.create(
        tenant_id=tenant_id, account=account, uid_validity=uid_validity, uid=uid, message=message
    )
    inbox = MailFolder.objects.get(
        tenant_id=tenant_id, mailbox_id=account.mailbox_id, role=MailFolder.Role.INBOX
    )
    entry = MailEntry.objects.create(
        tenant_id=tenant_id, mailbox_id=account.mailbox_id, message=message, folder=inbox
    )
    actions.publish_entries(tenant_id, actions.Kind.RECEIVED, [entry])
    return entry


@transaction.atomic
def forget(account: ImapAccount, rows: list[ImapMessage]) -> int:
    """Messages deleted on the server leave the mailbox (and Yui, if nothing else holds
    them); how many left."""
    message_ids = [r.message_id for r in rows if r.message_id is not None]
    entries = list(
        MailEntry.objects.filter(
            tenant_id=account.tenant_id, mailbox_id=account.mailbox_id, message_id__in=message_ids
        )
    )
    MailEntry.objects.filter(id__in=[e.id for e in entries]).delete()
    ImapMessage.objects.filter(id__in=[r.id for r in rows]).delete()
    unheld = list(
        MailMessage.objects.filter(id__in=message_ids, entries__isnull=True).values_list(
            "id", flat=True
        )
    )
    attachments.delete_files_of(unheld)
    MailMessage.objects.filter(id__in=unheld).delete()
    actions.publish_entries(account.tenant_id, actions.Kind.CHANGED, entries)
    return len(entries)


# --- talking to the server -----------------------------------------------------------------


def tls_context() -> ssl.SSLContext:
    """Certificates checked (name and chain) against the system's CAs and, if set,
    ``MAIL_IMAP_CA_FILE``: never an unchecked TLS connection."""
    context = ssl.create_default_context()
    ca_file = str(_setting("MAIL_IMAP_CA_FILE", "") or "")
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def connect(account: ImapAccount) -> IMAPClient:
    timeout = float(_setting("MAIL_IMAP_TIMEOUT_SECONDS", 30))
    secure = account.security != ImapAccount.Security.NONE
    client = IMAPClient(
        account.host,
        port=account.port,
        ssl=account.security == ImapAccount.Security.TLS,
        ssl_context=tls_context() if secure else None,
        timeout=timeout,
    )
    try:
        if account.security == ImapAccount.Security.STARTTLS:
            client.starttls(tls_context())
        client.login(account.username, decrypt_password(account.password_encrypted))
    except BaseException:
        with contextlib.suppress(OSError):  # a failed STARTTLS leaves the socket closed
            client.shutdown()
        raise
    return client


@dataclass(frozen=True)
class SyncResult:
    fetched: int
    removed: int


def _sync(client: IMAPClient, account: ImapAccount) -> SyncResult:
    selected = client.select_folder(account.folder, readonly=True)
    validity = int(selected[b"UIDVALIDITY"])
    if account.uid_validity != validity:
        stale = list(ImapMessage.objects.filter(account=account).exclude(uid_validity=validity))
        removed = forget(account, stale) if stale else 0
        ImapAccount.objects.filter(id=account.id).update(uid_validity=validity)
        account.uid_validity = validity
    else:
        removed = 0
    on_server = set(client.search("ALL"))
    known = {r.uid: r for r in ImapMessage.objects.filter(account=account, uid_validity=validity)}
    gone = [row for uid, row in known.items() if uid not in on_server]
    if gone:
        removed += forget(account, gone)
    new = sorted(on_server - known.keys())
    for start in range(0, len(new), FETCH_BATCH):
        batch = new[start : start + FETCH_BATCH]
        for uid, data in sorted(client.fetch(batch, ["BODY.PEEK[]"]).items()):
            raw = data.get(b"BODY[]")
            if isinstance(raw, bytes):
                store(account, validity, uid, raw)
    return SyncResult(fetched=len(new), removed=removed)


def sync_account(account_id: uuid.UUID) -> SyncResult:
    """Bring one account's mailbox in step with its server now; the failure is raised and
    also kept on the account (lastError)."""
    account = ImapAccount.objects.select_related("mailbox").get(id=account_id)
    try:
        client = connect(account)
        try:
            result = _sync(client, account)
        finally:
            client.logout()
    except Exception as exc:
        ImapAccount.objects.filter(id=account_id).update(
            last_checked_at=timezone.now(), last_error=f"{type(exc).__name__}: {exc}"[:1000]
        )
        raise
    ImapAccount.objects.filter(id=account_id).update(last_checked_at=timezone.now(), last_error="")
    return result


# --- the fetcher -----------------------------------------------------------------------------


def _fingerprint(account: ImapAccount) -> tuple[object, ...]:
    return (
        account.host,
        account.port,
        account.security,
        account.username,
        account.password_encrypted,
        account.folder,
    )


class Watcher:
    """One account: sync, then wait in IDLE (or poll), until stopped."""

    def __init__(self, account_id: uuid.UUID, poll_seconds: float) -> None:
        self.account_id = account_id
        self.poll_seconds = poll_seconds
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=self.run, name=f"yui-imap-{account_id.hex[:8]}", daemon=True
        )

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                close_old_connections()
                sync_account(self.account_id)
                self._wait_for_change()
            except ImapAccount.DoesNotExist:
                return
            except Exception:
                logger.warning("IMAP account %s: a round failed", self.account_id, exc_info=True)
                self.stop_event.wait(RETRY_SECONDS)
            finally:
                close_old_connections()

    def _wait_for_change(self) -> None:
        """Return when the server says the folder changed, or when it is time to poll."""
        account = ImapAccount.objects.get(id=self.account_id)
        client = connect(account)
        try:
            if b"IDLE" not in client.capabilities():
                self.stop_event.wait(self.poll_seconds)
                return
            client.select_folder(account.folder, readonly=True)
            client.idle()
            started = timezone.now()
            try:
                while not self.stop_event.is_set():
                    if client.idle_check(timeout=IDLE_CHECK_SECONDS):
                        return  # EXISTS / EXPUNGE / FETCH: sync now
                    if (timezone.now() - started).total_seconds() > IDLE_RENEW_SECONDS:
                        return
            finally:
                client.idle_done()
        finally:
            client.logout()

    def stop(self) -> None:
        """Stop and wait for the thread (a round in progress ends first)."""
        self.stop_event.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(float(_setting("MAIL_IMAP_TIMEOUT_SECONDS", 30)) + 5)


class ImapFetcher:
    """Keeps a watcher per enabled account, across every municipality (the worker's)."""

    def __init__(self, poll_seconds: float | None = None) -> None:
        self.poll_seconds = float(
            poll_seconds if poll_seconds is not None else _setting("MAIL_IMAP_POLL_SECONDS", 60)
        )
        self.watchers: dict[uuid.UUID, tuple[tuple[object, ...], Watcher]] = {}

    def tick(self) -> None:
        """Start watchers for new or changed accounts, stop those removed or disabled."""
        wanted = {a.id: _fingerprint(a) for a in ImapAccount.objects.filter(enabled=True)}
        for account_id, (print_, watcher) in list(self.watchers.items()):
            if wanted.get(account_id) != print_:
                watcher.stop()
                del self.watchers[account_id]
        for account_id, print_ in wanted.items():
            if account_id not in self.watchers:
                watcher = Watcher(account_id, self.poll_seconds)
                self.watchers[account_id] = (print_, watcher)
                watcher.thread.start()

    def stop(self) -> None:
        for _, watcher in self.watchers.values():
            watcher.stop()
        self.watchers.clear()


# --- settings, from the GraphQL layer -------------------------------------------------------


@dataclass(frozen=True)
class AccountValues:
    host: str
    port: int
    security: str
    username: str
    password: str | None  # None: keep the stored one
    folder: str
    enabled: bool


def check_account(values: AccountValues, has_password: bool) -> list[actions.MailError]:
    errors = []
    if not values.host.strip() or len(values.host) > 253 or any(c.isspace() for c in values.host):
        errors.append(actions.MailError("INVALID", "Not a host name.", "host"))
    if not 0 < values.port < 65536:
        errors.append(actions.MailError("INVALID", "A port is 1 to 65535.", "port"))
    if values.security not in ImapAccount.Security.values:
        errors.append(actions.MailError("INVALID", "TLS, STARTTLS or NONE.", "security"))
    if not values.username.strip() or len(values.username) > ADDRESS_MAX_LENGTH:
        errors.append(actions.MailError("REQUIRED", "Give the account's user name.", "username"))
    if not values.password and not has_password:
        errors.append(actions.MailError("REQUIRED", "Give the account's password.", "password"))
    if not values.folder.strip() or len(values.folder) > 200:
        errors.append(actions.MailError("INVALID", "Give the folder (INBOX).", "folder"))
    return errors


@transaction.atomic
def do_set_account(mailbox_id: uuid.UUID, tenant_id: uuid.UUID, values: AccountValues) -> Any:
    """Create or change a mailbox's account (the caller checked who may)."""
    found = ImapAccount.objects.filter(tenant_id=tenant_id, mailbox_id=mailbox_id).first()
    errors = check_account(values, bool(found and found.password_encrypted))
    if errors:
        return actions.Outcome(errors=errors)
    account = found or ImapAccount(tenant_id=tenant_id, mailbox_id=mailbox_id)
    account.host, account.port = values.host.strip(), values.port
    account.security, account.username = values.security, values.username.strip()
    account.folder, account.enabled = values.folder.strip(), values.enabled
    if values.password:
        account.password_encrypted = encrypt_password(values.password)
    account.last_error = ""
    account.save()
    return actions.Outcome(obj=account)
