"""メール無害化 through the real IMAP path (dovecot started by the tests): each policy on
real messages, internal mail untouched, and a held attachment fetched by nobody, by any URL,
until an administrator releases it; another municipality's administrator reaches nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client

from subgraphs.core import storage
from subgraphs.mail.harmless import defang
from subgraphs.mail.models import MailAttachment
from subgraphs.mail.views import download_path
from tests.mail import ERRORS, mail_api, personal, send, sent
from tests.mail.imap_server import Dovecot, start_dovecot
from tests.mail.test_attachments import bearer, files_in_inbox, uploaded
from tests.mail.test_imap import connect_account, messages, sync

pytestmark = pytest.mark.django_db(transaction=True)

POLICY = f"""mutation($input: MailHarmlessPolicyInput!) {{ updateMailHarmlessPolicy(input: $input)
  {{ policy {{ enabled htmlToText defangLinks attachments allowedTypes }} {ERRORS} }} }}"""
HELD = """{ heldMailAttachments { subject from { address } releaseRequestedBy { id }
  attachment { id name size contentType state url releaseRequestedAt } } }"""
REQUEST = f"""mutation($id: ID!) {{ requestMailAttachmentRelease(id: $id) {{
  attachment {{ id state releaseRequestedAt }} {ERRORS} }} }}"""
RELEASE = f"""mutation($id: ID!) {{ releaseMailAttachment(id: $id) {{
  attachment {{ id state }} {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{ deleteHeldMailAttachment(id: $id) {{
  attachment {{ id state }} {ERRORS} }} }}"""
ORIGINALS = "{ harmlessMailMessages { subject harmlessNotice originalHtmlBody } }"
ORIGINAL_FIELD = """query($mailbox: ID!) { mailMessages(mailboxId: $mailbox) {
  messages { subject originalHtmlBody } } }"""

PHISHING_HTML = (
    '<html><body><p>パスワードの確認が必要です。</p><p><a href="https://login.example-bank.jp/'
    'verify?id=1">こちら</a>から https://login.example-bank.jp/verify を開いてください。</p>'
    '<img src="https://tracker.example.com/pixel.gif"></body></html>'
)
TEXT_WITH_LINK = "詳細は https://www.example.jp/info?a=1 をご覧ください。\n"
PDF = b"%PDF-1.4\n"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    yield from start_dovecot()


def external(subject: str, *, html: str = "", text: str = TEXT_WITH_LINK, files: Any = ()) -> bytes:
    mime = EmailMessage()
    mime["From"] = "外部 差出人 <sender@example.com>"
    mime["To"] = "soumu@okawa.example.lg.jp"
    mime["Subject"] = subject
    mime.set_content(text, charset="utf-8")
    if html:
        mime.add_alternative(html, subtype="html", charset="utf-8")
    for name, data in files:
        mime.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(mime)


def set_policy(okawa: Any, **fields: Any) -> dict[str, Any]:
    payload = mail_api(okawa, "admin").data(POLICY, {"input": {"enabled": True, **fields}})
    result = payload["updateMailHarmlessPolicy"]
    assert result["errors"] == [], result
    return result["policy"]  # type: ignore[no-any-return]


def fetched(okawa: Any, dovecot: Dovecot, raw: bytes) -> dict[str, Any]:
    """Deliver ``raw`` to the IMAP account of kacho's mailbox, sync, and the message."""
    api = mail_api(okawa, "kacho")
    if not hasattr(dovecot, "connected"):
        connect_account(api, dovecot)
        dovecot.connected = True  # type: ignore[attr-defined]
    dovecot.append("soumu", raw)
    sync(api)
    return messages(api)[0]


def test_defang_makes_links_plain_text():
    assert defang("https://www.example.jp/a?b=1 と http://x.example.com") == (
        "hxxps://www[.]example[.]jp/a?b=1 と hxxp://x[.]example[.]com"
    )
    assert defang("www.example.jp を参照") == "www[.]example[.]jp を参照"
    assert defang("内線 1234、メールは a@example.jp") == "内線 1234、メールは a@example.jp"


def test_without_a_policy_external_mail_keeps_sanitised_html_links_and_files(okawa, dovecot):
    message = fetched(
        okawa, dovecot, external("通常", html=PHISHING_HTML, files=[("資料.pdf", PDF)])
    )
    assert 'href="https://login.example-bank.jp/verify?id=1"' in message["htmlBody"]
    assert "tracker.example.com" not in message["htmlBody"]  # remote content: never
    assert message["harmlessNotice"] == ""
    assert [a["state"] for a in message["attachments"]] == ["AVAILABLE"]


def test_html_becomes_text_with_defanged_links_and_the_original_is_for_administrators(
    okawa, kanda, dovecot
):
    set_policy(okawa, htmlToText=True, defangLinks=True, attachments="PASS")
    message = fetched(okawa, dovecot, external("HTMLのメール", html=PHISHING_HTML, text=""))
    assert message["htmlBody"] == ""
    assert "hxxps://login[.]example-bank[.]jp/verify" in message["textBody"]
    assert "https://" not in message["textBody"]
    assert "パスワードの確認が必要です。" in message["textBody"]
    notice = message["harmlessNotice"]
    assert "テキスト形式に変換" in notice and "リンクを無効化" in notice
    assert message["textBody"].startswith("【メール無害化】")
    # The original HTML: not for the recipient, for the administrators' review.
    kacho = mail_api(okawa, "kacho")
    listed = kacho.data(ORIGINAL_FIELD, {"mailbox": personal(kacho)["id"]})
    assert listed["mailMessages"]["messages"][0]["originalHtmlBody"] is None
    assert "FORBIDDEN" in str(kacho(ORIGINALS)["errors"])
    [review] = mail_api(okawa, "admin").data(ORIGINALS)["harmlessMailMessages"]
    assert review["subject"] == "HTMLのメール"
    assert review["originalHtmlBody"].strip() == PHISHING_HTML  # as sent (MIME adds a newline)
    assert mail_api(kanda, "admin").data(ORIGINALS)["harmlessMailMessages"] == []


def test_links_in_kept_html_are_removed_when_only_defanging(okawa, dovecot):
    set_policy(okawa, htmlToText=False, defangLinks=True, attachments="PASS")
    message = fetched(okawa, dovecot, external("リンク", html=PHISHING_HTML))
    assert "<a" not in message["htmlBody"] and "href" not in message["htmlBody"]
    assert "hxxps://login[.]example-bank[.]jp/verify" in message["htmlBody"]
    assert "hxxps://www[.]example[.]jp/info?a=1" in message["textBody"]


def test_internal_mail_is_untouched_by_the_policy(okawa):
    set_policy(okawa, htmlToText=True, defangLinks=True, attachments="HOLD")
    attachment = uploaded(okawa.people["kacho"], "庁内資料.pdf", PDF)
    sent(
        mail_api(okawa, "kacho"),
        to=["0002@okawa.invalid"],
        subject="庁内",
        textBody=TEXT_WITH_LINK,
        htmlBody='<p><a href="https://www.example.jp/">リンク</a></p>',
        attachmentIds=[attachment],
    )
    kakari = mail_api(okawa, "kakari")
    [message] = messages(kakari)
    assert message["textBody"] == TEXT_WITH_LINK
    assert 'href="https://www.example.jp/"' in message["htmlBody"]
    assert message["harmlessNotice"] == ""
    assert [a["state"] for a in message["attachments"]] == ["AVAILABLE"]


def test_allow_listed_types_pass_and_the_rest_are_held(okawa, dovecot):
    set_policy(okawa, attachments="ALLOW_LISTED", allowedTypes=["PDF", ".txt"])
    files = [("見積書.pdf", PDF), ("議事録.docx", b"PK\x03\x04"), ("メモ.txt", b"memo")]
    message = fetched(okawa, dovecot, external("添付3件", files=files))
    states = {a["name"]: a["state"] for a in message["attachments"]}
    assert states == {"見積書.pdf": "AVAILABLE", "議事録.docx": "HELD", "メモ.txt": "AVAILABLE"}
    assert "議事録.docx" in message["harmlessNotice"]
    held = next(a for a in message["attachments"] if a["state"] == "HELD")
    assert held["url"] is None and held["size"] == 4


def test_a_held_attachment_is_fetched_by_nobody_by_any_url_until_released(okawa, dovecot):
    set_policy(okawa, attachments="HOLD")
    message = fetched(okawa, dovecot, external("保留", files=[("請求書.pdf", PDF)]))
    [shown] = message["attachments"]
    assert (shown["name"], shown["state"], shown["url"]) == ("請求書.pdf", "HELD", None)
    pk = shown["id"]
    kacho, admin = okawa.people["kacho"], okawa.admin
    bare = f"/files/mail/{pk}"

    def refused_everywhere() -> None:
        for person in (kacho, admin):
            assert Client().get(bare, headers=bearer(person)).status_code == 404
            # Even a correctly signed link for the person (as `url` would give) is refused.
            file_id = MailAttachment.objects.get(id=pk).id
            token = storage.sign_file_token(okawa.principal(person), file_id)
            signed = download_path(file_id, token)
            assert Client().get(signed).status_code == 404
        browser = Client()
        browser.force_login(kacho)
        assert browser.get(bare).status_code == 404

    refused_everywhere()
    # Nor can it be sent on: forwarding names only files one may download.
    forward = send(mail_api(okawa, "kacho"), to=["0002@okawa.invalid"], attachmentIds=[pk])
    assert forward["errors"][0]["code"] == "NOT_FOUND"
    # The recipient asks; the administrator sees the request; still nobody gets the file.
    kacho_api, admin_api = mail_api(okawa, "kacho"), mail_api(okawa, "admin")
    asked = kacho_api.data(REQUEST, {"id": pk})["requestMailAttachmentRelease"]
    assert asked["errors"] == [] and asked["attachment"]["releaseRequestedAt"]
    [listed] = admin_api.data(HELD)["heldMailAttachments"]
    assert listed["subject"] == "保留" and listed["from"]["address"] == "sender@example.com"
    assert listed["releaseRequestedBy"]["id"] == str(kacho.id)
    assert listed["attachment"]["url"] is None
    refused_everywhere()
    # Only an administrator releases (a recipient cannot release their own).
    assert "FORBIDDEN" in str(kacho_api(RELEASE, {"id": pk})["errors"])
    released = admin_api.data(RELEASE, {"id": pk})["releaseMailAttachment"]
    assert released == {"attachment": {"id": pk, "state": "AVAILABLE"}, "errors": []}
    [now] = files_in_inbox(kacho_api)[0]["attachments"]
    response = Client().get(now["url"])
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert admin_api.data(HELD)["heldMailAttachments"] == []


def test_a_deleted_held_attachment_loses_its_bytes_and_stays_unreachable(okawa, dovecot):
    set_policy(okawa, attachments="HOLD")
    message = fetched(okawa, dovecot, external("削除", files=[("怪しい.zip", b"PK\x03\x04")]))
    pk = message["attachments"][0]["id"]
    key = MailAttachment.objects.get(id=pk).storage_key
    assert storage.file_storage().exists(key)
    deleted = mail_api(okawa, "admin").data(DELETE, {"id": pk})["deleteHeldMailAttachment"]
    assert deleted["attachment"]["state"] == "DELETED"
    assert not storage.file_storage().exists(key)
    [shown] = messages(mail_api(okawa, "kacho"))[0]["attachments"]
    assert (shown["name"], shown["state"], shown["url"]) == ("怪しい.zip", "DELETED", None)
    assert (
        Client().get(f"/files/mail/{pk}", headers=bearer(okawa.people["kacho"])).status_code == 404
    )
    # Neither release nor request works on it any more.
    again = mail_api(okawa, "admin").data(RELEASE, {"id": pk})["releaseMailAttachment"]
    assert again["errors"][0]["code"] == "NOT_FOUND"
    asked = mail_api(okawa, "kacho").data(REQUEST, {"id": pk})["requestMailAttachmentRelease"]
    assert asked["errors"][0]["code"] == "NOT_HELD"


def test_another_town_neither_lists_nor_releases_our_held_files(okawa, kanda, dovecot):
    set_policy(okawa, attachments="HOLD")
    message = fetched(okawa, dovecot, external("他市", files=[("a.pdf", PDF)]))
    pk = message["attachments"][0]["id"]
    theirs = mail_api(kanda, "admin")
    assert theirs.data(HELD)["heldMailAttachments"] == []
    for mutation, name in (
        (RELEASE, "releaseMailAttachment"),
        (DELETE, "deleteHeldMailAttachment"),
    ):
        assert theirs.data(mutation, {"id": pk})[name]["errors"][0]["code"] == "NOT_FOUND"
    asked = mail_api(kanda, "kacho").data(REQUEST, {"id": pk})["requestMailAttachmentRelease"]
    assert asked["errors"][0]["code"] == "NOT_FOUND"
    assert MailAttachment.objects.get(id=pk).state == MailAttachment.State.HELD


def test_the_policy_is_for_administrators_and_checked(okawa):
    staff = mail_api(okawa, "kacho")
    assert "FORBIDDEN" in str(staff(POLICY, {"input": {"enabled": True}})["errors"])
    admin = mail_api(okawa, "admin")
    bad = admin.data(
        POLICY, {"input": {"enabled": True, "attachments": "SOMETIMES", "allowedTypes": ["p df"]}}
    )["updateMailHarmlessPolicy"]
    assert {e["field"] for e in bad["errors"]} == {"attachments", "allowedTypes"}
    shown = admin.data("{ mailHarmlessPolicy { enabled attachments } }")["mailHarmlessPolicy"]
    assert shown == {"enabled": False, "attachments": "HOLD"}
