"""Attachments of mail: upload, attach on compose and draft, download, and who may.

Through the real HTTP stack (the /files/mail views and the mail endpoint), the embedded
storage in a temporary directory; the outgoing MIME through a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from subgraphs.core import storage
from subgraphs.mail import outbox
from subgraphs.mail.models import MailAttachment
from subgraphs.people import actions as people_actions
from subgraphs.people.models import Person
from tests.mail import ERRORS, mail_api, personal, send, sent
from tests.mail.test_outbox import relay  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)

JAPANESE_NAME = "令和7年度 予算要求（案）.pdf"
PDF = b"%PDF-1.4\n% a tiny pdf\n"
WITH_FILES = """query($mailbox: ID!, $folder: ID) { mailMessages(mailboxId: $mailbox,
  folderId: $folder) { messages { id subject attachments { id name size contentType state
  url } } } }"""
DRAFT = f"""mutation($input: SendMailInput!) {{ saveMailDraft(input: $input) {{
  message {{ id attachments {{ id name }} }} {ERRORS} }} }}"""


@pytest.fixture(autouse=True)
def _local_storage(settings, tmp_path):
    settings.FILE_STORAGE = {"backend": "local", "location": tmp_path / "files"}
    storage.file_storage.cache_clear()
    yield
    storage.file_storage.cache_clear()


def bearer(person: Person) -> dict[str, str]:
    token = people_actions.do_create_access_token(person, "files", None).extra["token"]
    return {"Authorization": f"Bearer {token}"}


def upload(person: Person, name: str = JAPANESE_NAME, content: bytes = PDF) -> Any:
    return Client().post(
        "/files/mail", {"file": SimpleUploadedFile(name, content)}, headers=bearer(person)
    )


def uploaded(person: Person, name: str = JAPANESE_NAME, content: bytes = PDF) -> str:
    response = upload(person, name, content)
    assert response.status_code == 201, response.content
    return response.json()["attachment"]["id"]  # type: ignore[no-any-return]


def files_in_inbox(api: Any) -> list[dict[str, Any]]:
    box = personal(api)
    folder = next(f["id"] for f in box["folders"] if f["role"] == "INBOX")
    messages = api.data(WITH_FILES, {"mailbox": box["id"], "folder": folder})["mailMessages"]
    return messages["messages"]  # type: ignore[no-any-return]


def test_a_file_sent_inside_the_town_reaches_the_recipient_with_its_japanese_name(okawa):
    kacho, kakari = okawa.people["kacho"], okawa.people["kakari"]
    attachment = uploaded(kacho)
    sent(
        mail_api(okawa, "kacho"),
        to=["0002@okawa.invalid"],
        subject="予算資料",
        attachmentIds=[attachment],
    )
    [message] = files_in_inbox(mail_api(okawa, "kakari"))
    [shown] = message["attachments"]
    assert (shown["name"], shown["size"], shown["state"]) == (JAPANESE_NAME, len(PDF), "AVAILABLE")
    assert shown["contentType"] == "application/pdf"

    # The signed link works without any other credential, and as a download only.
    response = Client().get(shown["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == JAPANESE_NAME
    assert response["X-Content-Type-Options"] == "nosniff"
    # The recipient's own session or token works on the bare address too.
    assert Client().get(f"/files/mail/{attachment}", headers=bearer(kakari)).status_code == 200


def test_nobody_outside_the_messages_mailboxes_gets_the_file(okawa, kanda):
    attachment = uploaded(okawa.people["kacho"])
    sent(mail_api(okawa, "kacho"), to=["0002@okawa.invalid"], attachmentIds=[attachment])
    url = f"/files/mail/{attachment}"
    for outsider in (okawa.people["shuji"], okawa.admin, kanda.people["kakari"]):
        response = Client().get(url, headers=bearer(outsider))
        assert response.status_code == 404, outsider
        assert response.json()["errors"][0]["code"] == "NOT_FOUND"
    # A link signed for someone else's principal names that principal: still nothing.
    stranger = okawa.principal(okawa.people["shuji"])
    forged = storage.sign_file_token(stranger, MailAttachment.objects.get().id)
    assert Client().get(f"{url}?t={forged}").status_code == 404
    assert Client().get(f"{url}?t=v1.1.x.y").status_code == 403
    assert Client().get(url).status_code == 401


def test_uploads_are_checked_and_only_ones_own_can_be_attached(okawa, settings):
    refused = upload(okawa.people["kacho"], "setup.exe", b"MZ...")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "FILE_TYPE_NOT_ALLOWED"
    settings.FILE_MAX_BYTES = 10
    assert upload(okawa.people["kacho"], "big.pdf", b"x" * 11).status_code == 413
    settings.FILE_MAX_BYTES = 1024 * 1024

    theirs = uploaded(okawa.people["shuji"])
    payload = send(mail_api(okawa, "kacho"), to=["0002@okawa.invalid"], attachmentIds=[theirs])
    assert payload["message"] is None
    assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert payload["errors"][0]["field"] == "attachmentIds"
    assert files_in_inbox(mail_api(okawa, "kakari")) == []
    bad = send(mail_api(okawa, "kacho"), to=["0002@okawa.invalid"], attachmentIds=["nope"])
    assert bad["errors"][0]["code"] == "NOT_FOUND"


def test_a_draft_keeps_its_files_until_sent_and_can_drop_one(okawa):
    api = mail_api(okawa, "kacho")
    kacho = okawa.people["kacho"]
    first, second = uploaded(kacho, "一.pdf"), uploaded(kacho, "二.pdf")
    box = personal(api)["id"]
    draft = api.data(
        DRAFT, {"input": {"mailboxId": box, "subject": "下書き", "attachmentIds": [first, second]}}
    )["saveMailDraft"]["message"]
    assert [a["name"] for a in draft["attachments"]] == ["一.pdf", "二.pdf"]
    # Saving again without attachmentIds keeps them; with a shorter list drops the other.
    again = api.data(DRAFT, {"input": {"mailboxId": box, "draftId": draft["id"]}})
    assert len(again["saveMailDraft"]["message"]["attachments"]) == 2
    sent(
        api,
        draftId=draft["id"],
        to=["0002@okawa.invalid"],
        subject="送ります",
        attachmentIds=[second],
    )
    [message] = files_in_inbox(mail_api(okawa, "kakari"))
    assert [a["name"] for a in message["attachments"]] == ["二.pdf"]
    assert not MailAttachment.objects.filter(id=first).exists()


def test_an_external_recipient_gets_the_file_with_an_rfc2231_name(okawa, relay):  # noqa: F811
    relay.start()
    attachment = uploaded(okawa.people["kacho"])
    message = sent(
        mail_api(okawa, "kacho"),
        to=["taro@example.com"],
        subject="資料送付",
        attachmentIds=[attachment],
    )
    outbox.run_pending()
    [mime] = relay.messages()
    [part] = list(mime.iter_attachments())
    assert part.get_filename() == JAPANESE_NAME
    assert part.get_content() == PDF
    raw = relay.received[0].original_content
    # RFC 2231 on the wire (long names continue as filename*0*, *1*), never raw UTF-8.
    assert re.search(rb"filename\*(0\*)?=utf-8''%E4%BB%A4", raw)
    assert JAPANESE_NAME.encode() not in raw
    assert mime["Subject"] == "資料送付"
    assert message["subject"] == "資料送付"


def test_a_list_with_files_costs_the_queries_of_a_list_of_one(okawa):
    kacho, kakari = mail_api(okawa, "kacho"), mail_api(okawa, "kakari")

    def send_with_file(subject: str) -> None:
        files = [uploaded(okawa.people["kacho"], f"{subject}.pdf")]
        sent(kacho, to=["0002@okawa.invalid"], subject=subject, attachmentIds=files)

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            found = files_in_inbox(kakari)
        assert all(len(m["attachments"]) == 1 and m["attachments"][0]["url"] for m in found)
        return len(found), len(queries)

    send_with_file("最初")
    files_in_inbox(kakari)  # the first request of a person makes their mailbox settings once
    one, queries_for_one = cost()
    for i in range(9):
        send_with_file(f"資料{i}")
    many, queries_for_many = cost()
    assert (one, many) == (1, 10)
    assert queries_for_many == queries_for_one


COMPOSE = """query($id: ID!) { mailCompose(id: $id, mode: FORWARD) { subject
  attachments { id name } } }"""


def test_forwarding_sends_copies_of_the_files_one_holds(okawa):
    kacho, kakari, shuji = (mail_api(okawa, k) for k in ("kacho", "kakari", "shuji"))
    original = uploaded(okawa.people["kacho"])
    sent(kacho, to=["0002@okawa.invalid"], subject="資料", attachmentIds=[original])
    [received] = files_in_inbox(kakari)
    form = kakari.data(COMPOSE, {"id": received["id"]})["mailCompose"]
    assert [a["name"] for a in form["attachments"]] == [JAPANESE_NAME]
    # Someone who does not hold the message cannot forward its file.
    stolen = send(shuji, to=["0004@okawa.invalid"], attachmentIds=[original])
    assert stolen["errors"][0]["code"] == "NOT_FOUND"
    sent(
        kakari,
        to=["0003@okawa.invalid"],
        subject=form["subject"],
        attachmentIds=[a["id"] for a in form["attachments"]],
    )
    [forwarded] = files_in_inbox(shuji)
    [copy] = forwarded["attachments"]
    assert copy["name"] == JAPANESE_NAME and copy["id"] != original
    response = Client().get(copy["url"])
    assert b"".join(response.streaming_content) == PDF
    assert MailAttachment.objects.get(id=original).message is not None  # the original stays
