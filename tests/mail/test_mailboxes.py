"""Mailboxes, internal delivery, state, folders, reply / reply-all / forward and search,
through the mail subgraph's endpoint."""

from __future__ import annotations

import pytest

from subgraphs.mail.models import MailEntry, OutboxItem
from tests.mail import (
    ERRORS,
    LIST,
    MARK,
    MESSAGE,
    folder,
    inbox,
    mail_api,
    mailboxes,
    personal,
    send,
    sent,
)

pytestmark = pytest.mark.django_db

COMPOSE = """query($id: ID!, $mode: MailComposeMode!) { mailCompose(id: $id, mode: $mode) {
  to cc subject textBody replyToId } }"""
THREAD = "query($id: ID!) { mailThread(id: $id) { id subject from { address } } }"
SETTINGS = f"""mutation($domain: String!) {{ updateMailSettings(domain: $domain) {{
  settings {{ domain }} {ERRORS} }} }}"""


def test_a_personal_mailbox_is_made_on_first_use_with_its_folders(okawa):
    api = mail_api(okawa, "kakari")
    [box] = mailboxes(api)
    assert box["kind"] == "PERSONAL"
    assert box["name"] == "山﨑 花子"
    assert box["address"] == "0002@okawa.invalid"
    assert [(f["role"], f["name"]) for f in box["folders"]] == [
        ("INBOX", "INBOX"),
        ("SENT", "Sent"),
        ("DRAFTS", "Drafts"),
        ("TRASH", "Trash"),
    ]
    assert mailboxes(api) == [box]  # made once, not again
    # The administrator sets the municipality's domain: every address follows.
    payload = mail_api(okawa, "admin").data(SETTINGS, {"domain": "City.Okawa.LG.JP"})
    assert payload["updateMailSettings"] == {
        "settings": {"domain": "city.okawa.lg.jp"},
        "errors": [],
    }
    assert personal(api)["address"] == "0002@city.okawa.lg.jp"
    bad = mail_api(okawa, "admin").data(SETTINGS, {"domain": "not a domain"})
    assert [e["code"] for e in bad["updateMailSettings"]["errors"]] == ["INVALID"]
    refused = mail_api(okawa, "kakari")(SETTINGS, {"domain": "x.example.jp"})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_internal_mail_is_delivered_at_once_and_counted_unread(okawa):
    kacho, kakari, shuji = (mail_api(okawa, k) for k in ("kacho", "kakari", "shuji"))
    message = sent(
        kacho,
        to=["山﨑 花子 <0002@okawa.invalid>"],
        cc=["0003@okawa.invalid"],
        subject="会議の件",
        textBody="明日10時から第一会議室です。",
    )
    assert message["folder"]["role"] == "SENT"
    assert message["isRead"] is True
    assert message["from"] == {"name": "髙橋 一郎", "address": "0001@okawa.invalid"}
    assert message["deliveries"] == []  # nobody outside: nothing in the outbox
    assert not OutboxItem.objects.exists()
    for api in (kakari, shuji):
        [got] = inbox(api)
        assert (got["subject"], got["isRead"], got["origin"]) == ("会議の件", False, "INTERNAL")
        assert got["textBody"] == "明日10時から第一会議室です。"
        assert got["messageId"] == message["messageId"]
        assert personal(api)["unreadCount"] == 1
    # Reading it is one's own business: 佐藤's copy stays unread.
    [got] = inbox(kakari)
    marked = kakari.data(MARK, {"input": {"ids": [got["id"]], "read": True, "flagged": True}})
    assert marked["markMail"]["messages"] == [{"id": got["id"], "isRead": True, "isFlagged": True}]
    assert personal(kakari)["unreadCount"] == 0
    assert personal(shuji)["unreadCount"] == 1
    # The sender's copy does not count as unread.
    assert personal(kacho)["unreadCount"] == 0


def test_bad_and_unknown_addresses_are_typed_errors_and_nothing_is_stored(okawa):
    api = mail_api(okawa, "kacho")
    payload = send(api, to=["not an address"], subject="x")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_ADDRESS", "to")]
    payload = send(api, to=[], subject="x")
    assert [e["code"] for e in payload["errors"]] == ["NO_RECIPIENTS"]
    payload = send(api, to=["9999@okawa.invalid"], subject="x")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("UNKNOWN_RECIPIENT", "to")]
    assert payload["message"] is None
    assert not MailEntry.objects.exists()


def test_html_is_sanitised_and_a_text_body_is_always_there(okawa):
    kacho = mail_api(okawa, "kacho")
    sent(
        kacho,
        to=["0002@okawa.invalid"],
        subject="HTML",
        htmlBody='<p>お知らせ<script>alert(1)</script></p><img src="http://evil/x.png">'
        '<a href="javascript:alert(1)">x</a><a href="https://example.jp/">link</a>',
    )
    [got] = inbox(mail_api(okawa, "kakari"))
    assert "script" not in got["htmlBody"] and "<img" not in got["htmlBody"]
    assert "javascript:" not in got["htmlBody"]
    assert 'href="https://example.jp/"' in got["htmlBody"]
    assert got["textBody"].startswith("お知らせ")
    assert "alert" not in got["textBody"]


def test_reply_reply_all_forward_and_threads(okawa):
    kacho, kakari = mail_api(okawa, "kacho"), mail_api(okawa, "kakari")
    sent(
        kacho,
        to=["0002@okawa.invalid"],
        cc=["0003@okawa.invalid", "someone@example.com"],
        bcc=["0005@okawa.invalid"],
        subject="予算要求",
        textBody="一行目\n二行目",
    )
    [original] = inbox(kakari)
    assert original["bcc"] == []  # recipients never see the bcc
    reply = kakari.data(COMPOSE, {"id": original["id"], "mode": "REPLY"})["mailCompose"]
    assert reply["to"] == ["髙橋 一郎 <0001@okawa.invalid>"]
    assert reply["cc"] == []
    assert reply["subject"] == "Re: 予算要求"
    assert "> 一行目\n> 二行目" in reply["textBody"]
    everyone = kakari.data(COMPOSE, {"id": original["id"], "mode": "REPLY_ALL"})["mailCompose"]
    # Everyone but oneself, and never the bcc.
    assert everyone["cc"] == ["0003@okawa.invalid", "someone@example.com"]
    forward = kakari.data(COMPOSE, {"id": original["id"], "mode": "FORWARD"})["mailCompose"]
    assert (forward["to"], forward["subject"], forward["replyToId"]) == ([], "Fwd: 予算要求", None)
    assert "二行目" in forward["textBody"]
    answer = sent(
        kakari,
        to=reply["to"],
        subject=reply["subject"],
        textBody="承知しました" + reply["textBody"],
        replyToId=reply["replyToId"],
    )
    assert answer["inReplyTo"] == original["messageId"]
    assert answer["threadId"] == original["threadId"]
    [back] = inbox(kacho)
    assert back["subject"] == "Re: 予算要求"
    thread = kacho.data(THREAD, {"id": back["id"]})["mailThread"]
    assert [t["subject"] for t in thread] == ["予算要求", "Re: 予算要求"]
    # Re: Re: does not pile up.
    again = kacho.data(COMPOSE, {"id": back["id"], "mode": "REPLY"})["mailCompose"]
    assert again["subject"] == "Re: 予算要求"


def test_search_by_sender_subject_and_text(okawa):
    sent(
        mail_api(okawa, "kacho"),
        to=["0003@okawa.invalid"],
        subject="防災訓練",
        textBody="集合は9時",
    )
    sent(
        mail_api(okawa, "kakari"), to=["0003@okawa.invalid"], subject="健康診断", textBody="問診票"
    )
    shuji = mail_api(okawa, "shuji")
    assert {m["subject"] for m in inbox(shuji)} == {"防災訓練", "健康診断"}
    assert [m["subject"] for m in inbox(shuji, sender="山﨑")] == ["健康診断"]
    assert [m["subject"] for m in inbox(shuji, sender="0001@")] == ["防災訓練"]
    assert [m["subject"] for m in inbox(shuji, subject="診断")] == ["健康診断"]
    assert [m["subject"] for m in inbox(shuji, text="9時")] == ["防災訓練"]
    assert inbox(shuji, subject="診断", text="9時") == []


def test_folders_move_and_delete_through_trash(okawa):
    sent(mail_api(okawa, "kacho"), to=["0002@okawa.invalid"], subject="保存用")
    kakari = mail_api(okawa, "kakari")
    box = personal(kakari)
    created = kakari.data(
        f"""mutation($m: ID!) {{ createMailFolder(mailboxId: $m, name: "予算") {{
        folder {{ id role name }} {ERRORS} }} }}""",
        {"m": box["id"]},
    )["createMailFolder"]
    assert created["folder"]["role"] == "CUSTOM"
    [message] = inbox(kakari)
    moved = kakari.data(
        f"""mutation($ids: [ID!]!, $f: ID!) {{ moveMail(ids: $ids, folderId: $f) {{
        messages {{ folder {{ name }} }} {ERRORS} }} }}""",
        {"ids": [message["id"]], "f": created["folder"]["id"]},
    )["moveMail"]
    assert moved["messages"] == [{"folder": {"name": "予算"}}]
    assert inbox(kakari) == []
    delete = f"""mutation($ids: [ID!]!) {{ deleteMail(ids: $ids) {{ ids {ERRORS} }} }}"""
    assert kakari.data(delete, {"ids": [message["id"]]})["deleteMail"]["errors"] == []
    assert kakari.data(MESSAGE, {"id": message["id"]})["mailMessage"]["folder"]["role"] == "TRASH"
    assert kakari.data(delete, {"ids": [message["id"]]})["deleteMail"]["errors"] == []
    assert kakari.data(MESSAGE, {"id": message["id"]})["mailMessage"] is None
    # The sender's copy is untouched.
    box = personal(mail_api(okawa, "kacho"))
    sent_list = mail_api(okawa, "kacho").data(
        LIST, {"mailbox": box["id"], "folder": folder(box, "SENT")}
    )
    assert [m["subject"] for m in sent_list["mailMessages"]["messages"]] == ["保存用"]


def test_drafts_are_saved_then_sent(okawa):
    kacho = mail_api(okawa, "kacho")
    box = personal(kacho)
    save = f"""mutation($input: SendMailInput!) {{ saveMailDraft(input: $input) {{
      message {{ id isDraft folder {{ role }} subject }} {ERRORS} }} }}"""
    draft = kacho.data(save, {"input": {"mailboxId": box["id"], "subject": "下書き"}})
    draft = draft["saveMailDraft"]["message"]
    assert (draft["isDraft"], draft["folder"]["role"]) == (True, "DRAFTS")
    assert inbox(mail_api(okawa, "kakari")) == []
    message = sent(kacho, to=["0002@okawa.invalid"], subject="清書", draftId=draft["id"])
    assert message["id"] == draft["id"]
    assert (message["isDraft"], message["folder"]["role"]) == (False, "SENT")
    assert [m["subject"] for m in inbox(mail_api(okawa, "kakari"))] == ["清書"]
