"""Incoming external mail over real IMAP (dovecot, started by the tests): Japanese messages
in several encodings fetched and shown correctly, a message deleted on the server gone from
Yui, UIDVALIDITY bookkeeping, the account's settings (password never shown), the worker's
IDLE watcher, and another municipality reaching none of it.
"""

from __future__ import annotations

import base64
import io
import ssl
import threading
from collections.abc import Iterator
from email.header import Header
from email.message import EmailMessage
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from imapclient.exceptions import LoginError

from subgraphs.mail import imap
from subgraphs.mail.models import ImapAccount, ImapMessage, MailMessage
from subgraphs.mail.outbox import OutboxWorker
from tests.mail import ERRORS, inbox, mail_api, personal
from tests.mail.imap_server import USERS, Dovecot, start_dovecot
from tests.mail.test_access import shared_of, shared_shomu
from tests.mail.test_subscriptions import mail_listener

pytestmark = pytest.mark.django_db(transaction=True)

SET_ACCOUNT = f"""mutation($input: MailboxImapAccountInput!) {{
  setMailboxImapAccount(input: $input) {{ account {{ host port security username folder
  enabled hasPassword lastCheckedAt lastError }} {ERRORS} }} }}"""
ACCOUNT = """query($id: ID!) { mailboxImapAccount(mailboxId: $id) { host username hasPassword
  lastError } }"""
DELETE = f"mutation($ids: [ID!]!) {{ deleteMail(ids: $ids) {{ ids {ERRORS} }} }}"
WITH_FILES = """query($mailbox: ID!) { mailMessages(mailboxId: $mailbox) { totalCount
  messages { id subject origin from { name address } textBody htmlBody harmlessNotice
  attachments { id name size state url } } } }"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    yield from start_dovecot()


def connect_account(
    api: Any, server: Dovecot, user: str = "soumu", folder: str = "INBOX", **more: Any
) -> dict[str, Any]:
    """Give the caller's personal mailbox the IMAP account ``user`` of ``server``."""
    fields = {
        "mailboxId": personal(api)["id"],
        "host": server.host,
        "port": server.port,
        "security": "NONE",
        "username": user,
        "password": USERS[user],
        "folder": folder,
        **more,
    }
    payload = api.data(SET_ACCOUNT, {"input": fields})["setMailboxImapAccount"]
    assert payload["errors"] == [], payload
    return payload["account"]  # type: ignore[no-any-return]


def sync(mailbox_owner_api: Any) -> imap.SyncResult:
    account = ImapAccount.objects.get(mailbox_id=personal(mailbox_owner_api)["id"])
    return imap.sync_account(account.id)


def messages(api: Any) -> list[dict[str, Any]]:
    box = personal(api)["id"]
    return api.data(WITH_FILES, {"mailbox": box})["mailMessages"]["messages"]  # type: ignore[no-any-return]


# --- messages as Japanese senders write them ---------------------------------------------


def iso2022jp_message() -> bytes:
    """The classic Japanese mail: ISO-2022-JP body (7bit), RFC 2047 B-encoded headers."""
    subject = Header("会議のお知らせ", "iso-2022-jp").encode()
    name = Header("山田 太郎", "iso-2022-jp").encode()
    body = "総務課各位\r\n本日の会議は午後3時からです。\r\n".encode("iso-2022-jp")
    return (
        f"From: {name} <yamada@example.co.jp>\r\n"
        "To: soumu@okawa.example.lg.jp\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <iso-1@example.co.jp>\r\n"
        "Date: Thu, 03 Dec 2026 09:00:00 +0900\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
        "Content-Transfer-Encoding: 7bit\r\n\r\n"
    ).encode() + body


def utf8_message_with_attachment() -> bytes:
    """UTF-8 (quoted-printable) subject and body, and a file whose name is written the
    RFC 2231 way (filename*=UTF-8''...) as most mailers do."""
    mime = EmailMessage()
    mime["From"] = "株式会社サンプル 佐藤 <sato@example.com>"
    mime["To"] = "soumu@okawa.example.lg.jp"
    mime["Subject"] = "【見積書】令和7年度 庁舎清掃業務"
    mime["Message-ID"] = "<utf8-1@example.com>"
    mime.set_content("お世話になっております。\n見積書を添付いたします。\n", charset="utf-8")
    mime.add_attachment(
        b"%PDF-1.4\n", maintype="application", subtype="pdf", filename="見積書（清掃）.pdf"
    )
    return bytes(mime)


def shift_jis_message() -> bytes:
    """Shift_JIS in base64, and an RFC 2047 Q-encoded UTF-8 subject."""
    body = "住民票の写しについて問い合わせます。\r\n".encode("shift_jis")
    return (
        b"From: =?UTF-8?Q?=E9=88=B4=E6=9C=A8?= <suzuki@example.net>\r\n"
        b"Subject: =?UTF-8?Q?=E5=95=8F=E3=81=84=E5=90=88=E3=82=8F=E3=81=9B?=\r\n"
        b"Message-ID: <sjis-1@example.net>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=Shift_JIS\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
    ) + base64.encodebytes(body)


def plain(subject: str, body: str = "本文") -> bytes:
    mime = EmailMessage()
    mime["From"] = "外部 <someone@example.com>"
    mime["Subject"] = subject
    mime.set_content(body)
    return bytes(mime)


# --- the tests -------------------------------------------------------------------------------


def test_japanese_mail_in_several_encodings_is_fetched_and_shown_correctly(okawa, dovecot):
    for raw in (iso2022jp_message(), utf8_message_with_attachment(), shift_jis_message()):
        dovecot.append("soumu", raw)
    api = mail_api(okawa, "kacho")
    connect_account(api, dovecot)
    assert sync(api) == imap.SyncResult(fetched=3, removed=0)

    by_subject = {m["subject"]: m for m in messages(api)}
    assert set(by_subject) == {"会議のお知らせ", "【見積書】令和7年度 庁舎清掃業務", "問い合わせ"}
    meeting = by_subject["会議のお知らせ"]
    assert meeting["from"] == {"name": "山田 太郎", "address": "yamada@example.co.jp"}
    assert "本日の会議は午後3時からです。" in meeting["textBody"]
    assert meeting["origin"] == "EXTERNAL"
    estimate = by_subject["【見積書】令和7年度 庁舎清掃業務"]
    assert estimate["from"]["name"] == "株式会社サンプル 佐藤"
    assert "見積書を添付いたします。" in estimate["textBody"]
    [attachment] = estimate["attachments"]
    assert (attachment["name"], attachment["size"]) == ("見積書（清掃）.pdf", 9)
    assert by_subject["問い合わせ"]["from"]["name"] == "鈴木"
    assert "住民票の写し" in by_subject["問い合わせ"]["textBody"]
    # In the inbox, unread, as the unread count says.
    assert len(inbox(api)) == 3
    assert personal(api)["unreadCount"] == 3
    # A second round fetches nothing twice.
    assert sync(api) == imap.SyncResult(fetched=0, removed=0)


def test_a_message_deleted_on_the_server_disappears_from_yui(okawa, dovecot):
    keep = dovecot.append("soumu", plain("残るメール"))
    gone = dovecot.append("soumu", plain("消えるメール"))
    api = mail_api(okawa, "kacho")
    connect_account(api, dovecot)
    sync(api)
    assert {m["subject"] for m in messages(api)} == {"残るメール", "消えるメール"}
    dovecot.delete("soumu", gone)
    assert sync(api) == imap.SyncResult(fetched=0, removed=1)
    assert [m["subject"] for m in messages(api)] == ["残るメール"]
    assert not MailMessage.objects.filter(subject="消えるメール").exists()
    assert list(ImapMessage.objects.values_list("uid", flat=True)) == [keep]


def test_a_message_deleted_in_yui_is_not_fetched_again(okawa, dovecot):
    dovecot.append("soumu", plain("要らないメール"))
    api = mail_api(okawa, "kacho")
    connect_account(api, dovecot)
    sync(api)
    [message] = messages(api)
    for _ in range(2):  # to Trash, then for good
        deleted = api.data(DELETE, {"ids": [message["id"]]})["deleteMail"]
        assert deleted["errors"] == []
    assert not MailMessage.objects.exists()
    assert sync(api) == imap.SyncResult(fetched=0, removed=0)
    assert messages(api) == []


def test_a_new_uidvalidity_means_the_folder_is_fetched_again(okawa, dovecot):
    with dovecot.client("soumu") as client:
        client.create_folder("Yui")
    dovecot.append("soumu", plain("古い世代"), folder="Yui")
    api = mail_api(okawa, "kacho")
    connect_account(api, dovecot, folder="Yui")
    sync(api)
    first = ImapAccount.objects.get().uid_validity
    # The folder made again: the server starts a new UIDVALIDITY, old UIDs mean nothing.
    with dovecot.client("soumu") as client:
        client.delete_folder("Yui")
        client.create_folder("Yui")
    dovecot.append("soumu", plain("新しい世代"), folder="Yui")
    assert sync(api) == imap.SyncResult(fetched=1, removed=1)
    assert ImapAccount.objects.get().uid_validity != first
    assert [m["subject"] for m in messages(api)] == ["新しい世代"]


def test_the_password_is_stored_encrypted_never_shown_and_a_wrong_one_is_reported(okawa, dovecot):
    api = mail_api(okawa, "kacho")
    shown = connect_account(api, dovecot)
    assert shown["hasPassword"] is True
    assert "password" not in shown
    stored = ImapAccount.objects.get()
    assert USERS["soumu"] not in stored.password_encrypted
    assert imap.decrypt_password(stored.password_encrypted) == USERS["soumu"]
    # Changing the host keeps the password when none is given.
    connect_account(api, dovecot, password=None)
    assert imap.decrypt_password(ImapAccount.objects.get().password_encrypted) == USERS["soumu"]

    connect_account(api, dovecot, password="wrong")
    with pytest.raises(LoginError):
        sync(api)
    account = api.data(ACCOUNT, {"id": personal(api)["id"]})["mailboxImapAccount"]
    assert account["lastError"]
    assert USERS["soumu"] not in str(account) and "wrong" not in str(account)


def test_bad_account_settings_are_refused_field_by_field(okawa):
    api = mail_api(okawa, "kacho")
    fields = {
        "mailboxId": personal(api)["id"],
        "host": "bad host",
        "port": 70000,
        "security": "SOMETIMES",
        "username": "",
    }
    payload = api.data(SET_ACCOUNT, {"input": fields})["setMailboxImapAccount"]
    assert payload["account"] is None
    assert {e["field"] for e in payload["errors"]} == {
        "host",
        "port",
        "security",
        "username",
        "password",
    }


def test_another_town_neither_sees_nor_sets_our_mailboxes_account(okawa, kanda, dovecot):
    ours = mail_api(okawa, "kacho")
    connect_account(ours, dovecot)
    box = personal(ours)["id"]
    for theirs in (mail_api(kanda, "kacho"), mail_api(kanda, "admin"), mail_api(okawa, "shuji")):
        assert theirs.data(ACCOUNT, {"id": box})["mailboxImapAccount"] is None
        fields = {"mailboxId": box, "host": "evil.example", "username": "x", "password": "y"}
        payload = theirs.data(SET_ACCOUNT, {"input": fields})["setMailboxImapAccount"]
        assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert ImapAccount.objects.get().host == dovecot.host


def test_the_worker_waits_in_idle_and_fetches_what_arrives(okawa, dovecot, settings):
    settings.MAIL_IMAP_POLL_SECONDS = 3600  # only IDLE can bring it in time
    api = mail_api(okawa, "kacho")
    connect_account(api, dovecot)
    fetcher = imap.ImapFetcher()
    fetcher.tick()
    try:
        wait_until(lambda: ImapAccount.objects.get().last_checked_at is not None)
        dovecot.append("soumu", plain("IDLEで届く"))
        wait_until(lambda: MailMessage.objects.filter(subject="IDLEで届く").exists())
        # A disabled account's watcher is stopped at the next tick.
        ImapAccount.objects.update(enabled=False)
        fetcher.tick()
        assert fetcher.watchers == {}
    finally:
        fetcher.stop()
    assert [m["subject"] for m in messages(api)] == ["IDLEで届く"]


def wait_until(condition: Any, seconds: float = 30.0) -> None:
    """Wait for a condition (not a time): fail only if it never holds."""
    done = threading.Event()
    for _ in range(int(seconds * 10)):
        if condition():
            return
        done.wait(0.1)
    raise AssertionError("the condition never held")


def test_the_mail_worker_fetches_a_shared_mailboxs_account_for_its_members(okawa, dovecot):
    """The worker ``yui serve`` runs in a thread (and ``yui worker`` as its loop) brings
    external mail into a section's shared mailbox, set up by an administrator."""
    box = shared_shomu(okawa)
    admin = mail_api(okawa, "admin")
    fields = {
        "mailboxId": box["id"],
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "NONE",
        "username": "soumu",
        "password": USERS["soumu"],
    }
    payload = admin.data(SET_ACCOUNT, {"input": fields})["setMailboxImapAccount"]
    assert payload["errors"] == [], payload
    assert admin.data(ACCOUNT, {"id": box["id"]})["mailboxImapAccount"]["hasPassword"]
    dovecot.append("soumu", plain("係あての問い合わせ"))
    worker = OutboxWorker(interval=0.1).start()
    try:
        wait_until(lambda: MailMessage.objects.filter(subject="係あての問い合わせ").exists())
    finally:
        worker.stop()
    member = mail_api(okawa, "kakari")
    shared = shared_of(member)
    assert [m["subject"] for m in inbox(member, shared)] == ["係あての問い合わせ"]
    assert shared["unreadCount"] == 1
    # Not in anyone's personal mailbox, and not for a colleague outside the section.
    assert inbox(member) == []
    assert shared_of(mail_api(okawa, "kacho")) is None


async def test_fetched_mail_reaches_the_mailboxs_subscribers(okawa, dovecot):
    api = await sync_to_async(mail_api)(okawa, "kacho")
    await sync_to_async(connect_account)(api, dovecot)
    async with mail_listener(okawa, "kacho") as listener:
        await sync_to_async(dovecot.append)("soumu", plain("外から届いた"))
        await sync_to_async(sync)(api)
        event = await listener.take()
    assert event["kind"] == "RECEIVED"
    assert event["message"] == {"subject": "外から届いた", "isRead": False}
    assert event["mailbox"]["kind"] == "PERSONAL"


@pytest.mark.parametrize("security", ["TLS", "STARTTLS"])
def test_tls_and_starttls_check_the_servers_certificate(okawa, dovecot, settings, security):
    port = dovecot.tls_port if security == "TLS" else dovecot.port
    dovecot.append("soumu", plain(f"{security}で届く"))
    api = mail_api(okawa, "kacho")
    connect_account(api, dovecot, security=security, port=port)
    # Without the municipality's CA the certificate is not trusted: nothing is fetched.
    settings.MAIL_IMAP_CA_FILE = ""
    with pytest.raises(ssl.SSLCertVerificationError):
        sync(api)
    settings.MAIL_IMAP_CA_FILE = str(dovecot.ca_file)
    assert sync(api) == imap.SyncResult(fetched=1, removed=0)
    assert [m["subject"] for m in messages(api)] == [f"{security}で届く"]


def test_yui_worker_batch_fetches_every_account_once(okawa, dovecot):
    dovecot.append("soumu", plain("一度で取り込む"))
    api = mail_api(okawa, "kacho")
    connect_account(api, dovecot)
    out = io.StringIO()
    call_command("worker", "--batch", stdout=out)
    assert "soumu@127.0.0.1: 1 fetched, 0 removed" in out.getvalue()
    assert [m["subject"] for m in messages(api)] == ["一度で取り込む"]


def test_iso2022jp_from_windows_mailers_keeps_circled_numbers_and_ibm_kanji(okawa, dovecot):
    """Outlook and other Windows mailers write ①, ㈱ and 髙 (outside JIS X 0208) into
    ISO-2022-JP bodies (CP50220); Python's codec refuses them, Yui reads them."""
    body = b"\x1b$B-!2q5D$N$*CN$i$;\x1b(B \x1b$B|b66MM\x1b(B \x1b(I6E\x1b(B \x1b$B-j\x1b(B\r\n"
    raw = (
        b"From: =?ISO-2022-JP?B?GyRCfGI2NhsoQg==?= <windows@example.co.jp>\r\n"
        b"Subject: =?ISO-2022-JP?B?GyRCLSEycTVEGyhC?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + body
    )
    dovecot.append("soumu", raw)
    api = mail_api(okawa, "kacho")
    connect_account(api, dovecot)
    sync(api)
    [message] = messages(api)
    assert message["subject"] == "①会議"
    assert message["from"] == {"name": "髙橋", "address": "windows@example.co.jp"}
    assert message["textBody"].strip() == "①会議のお知らせ 髙橋様 ｶﾅ ㈱"
