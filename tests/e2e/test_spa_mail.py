"""メール in a real Chromium against `yui serve` with the demo: a staff member writes to a
colleague's own address and to a shared section mailbox the colleague is assigned; the
colleague finds it in both mailboxes (unread counts, keyboard through the list), reads it
(HTML with remote content blocked, and as plain text), searches, and replies; the reply
reaches the sender's inbox live. Opening a shared copy reads it for the whole section.
Files: attached in the compose form (a Japanese name; keyboard), downloaded by the
recipient byte for byte, forwarded, kept by a draft; a file メール無害化 holds (external
mail through a real IMAP server) shows 保留中, its release is asked for and an
administrator releases it on the mail screen. axe on every view, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import (
    Tab,
    _axe,
    _gateway,
    expect,
    sign_in_through_spa,
    staff_accounts,
)
from tests.mail.imap_server import USERS, Dovecot, start_dovecot

# The portal tests' fixtures: one Chromium for this module, a tab per browser context.
browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]

MAILBOXES = "{ mailboxes { id kind name address } }"


def own_address(api: YuiClient) -> str:
    boxes = _gateway(api, MAILBOXES)["mailboxes"]
    return next(box["address"] for box in boxes if box["kind"] == "PERSONAL")


def shared_mailbox_for(admin: YuiClient, person_id: str) -> dict[str, str]:
    """A shared section mailbox of this test's own, assigned to the person."""
    local = f"kakari-{secrets.token_hex(3)}"
    made = _gateway(
        admin,
        "mutation($i: CreateSharedMailboxInput!) { createSharedMailbox(input: $i) {"
        " mailbox { id name address } errors { code } } }",
        {"i": {"localPart": local, "name": f"庶務係共有 {local}"}},
    )["createSharedMailbox"]
    assert made["errors"] == [], made
    assigned = _gateway(
        admin,
        "mutation($i: AssignMailboxInput!) { assignMailbox(input: $i) { errors { code } } }",
        {"i": {"mailboxId": made["mailbox"]["id"], "personIds": [person_id]}},
    )["assignMailbox"]
    assert assigned["errors"] == [], assigned
    return made["mailbox"]  # type: ignore[no-any-return]


def open_mail(tab: Tab, server: YuiServer) -> None:
    tab.page.goto(f"{server.url}/mail")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("メール")
    expect(tab.page.locator(".mail-folder").get_by_role("status")).to_contain_text("件")


def test_mail_to_a_colleague_and_a_shared_mailbox_read_and_replied(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    sender, reader = staff_accounts(yui_server)[:2]
    api_a, api_b = sign_in(sender.tenant, sender.login_id), sign_in(reader.tenant, reader.login_id)
    reader_id = _gateway(api_b, "{ me { id } }")["me"]["id"]
    shared = shared_mailbox_for(sign_in(reader.tenant, "admin"), reader_id)
    address_a, address_b = own_address(api_a), own_address(api_b)
    subject = f"会議資料の件 {secrets.token_hex(2)}"

    # A writes through the compose form, to B and to B's section.
    a = open_tab()
    sign_in_through_spa(a, yui_server, sender)
    open_mail(a, yui_server)
    a.page.get_by_role("button", name="新規作成").click()
    compose = a.page.locator("form.mail-compose")
    expect(compose.get_by_role("heading", level=2)).to_be_focused()
    compose.get_by_label("宛先").fill(f"{address_b}, {shared['address']}")
    compose.get_by_label("件名").fill(subject)
    compose.get_by_label("本文").fill("明日の会議資料を共有します。\nご確認ください。")
    compose.get_by_role("button", name="送信").click()
    expect(a.page.get_by_role("status").filter(has_text="送信しました")).to_be_attached()
    expect(compose).to_be_hidden()
    # An HTML message too (through the API): a remote image and a script never reach the page.
    html = (
        '<p><b>至急</b>：<img src="http://203.0.113.9/track.png" alt="">'
        '<script>alert(1)</script><a href="https://example.jp/">案内</a></p>'
    )
    mailbox_a = next(
        b["id"] for b in _gateway(api_a, MAILBOXES)["mailboxes"] if b["kind"] == "PERSONAL"
    )
    sent = _gateway(
        api_a,
        "mutation($i: SendMailInput!) { sendMail(input: $i) { errors { code } } }",
        {"i": {"mailboxId": mailbox_a, "to": [address_b], "subject": "HTML版", "htmlBody": html}},
    )["sendMail"]
    assert sent["errors"] == [], sent

    # B: the personal inbox, by keyboard.
    b = open_tab()
    sign_in_through_spa(b, yui_server, reader)
    open_mail(b, yui_server)
    boxes = b.page.get_by_role("navigation", name="メールボックス")
    expect(boxes.get_by_role("heading", name=re.compile(shared["name"]))).to_contain_text("未読 1")
    items = b.page.locator(".mail-list").get_by_role("button")
    expect(items.first).to_contain_text("HTML版")
    mine = items.filter(has_text=subject)
    expect(mine).to_contain_text("未読")
    items.first.focus()
    b.page.keyboard.press("ArrowDown")
    expect(mine).to_be_focused()
    b.page.keyboard.press("Enter")
    reader_view = b.page.locator("article.mail-reader")
    expect(reader_view.get_by_role("heading", level=2)).to_have_text(subject)
    expect(reader_view.get_by_role("heading", level=2)).to_be_focused()
    expect(reader_view).to_contain_text("ご確認ください。")
    expect(reader_view).to_contain_text(address_a)
    expect(mine).not_to_contain_text("未読")  # opened: read
    assert _axe(b.page) == []
    b.screenshot("spa-mail-read")

    # The HTML one: shown sanitised, remote content blocked, and as plain text on request.
    items.filter(has_text="HTML版").click()
    expect(reader_view.get_by_role("heading", level=2)).to_have_text("HTML版")
    body = reader_view.locator(".mail-body")
    expect(body.locator("b")).to_have_text("至急")
    expect(body.locator("img, script")).to_have_count(0)
    expect(reader_view).to_contain_text("外部の画像などは表示しません")
    reader_view.get_by_label("テキストで表示").check()
    expect(reader_view.locator("pre.mail-body")).to_contain_text("至急")

    # Search by subject finds only that one.
    search = b.page.get_by_role("form", name="メールを検索")
    search.get_by_label("件名").fill(subject)
    search.get_by_role("button", name="検索").click()
    expect(b.page.locator(".mail-folder").get_by_role("status")).to_have_text("1件")
    expect(items).to_have_count(1)

    # The shared mailbox has it too, unread for its members until one opens it.
    shared_box = boxes.locator("section").filter(
        has=b.page.get_by_role("heading", name=re.compile(shared["name"]))
    )
    shared_box.get_by_role("button", name=re.compile("受信トレイ")).click()
    expect(b.page.locator(".mail-folder h2")).to_contain_text(shared["name"])
    expect(items.filter(has_text=subject)).to_have_count(1)
    items.filter(has_text=subject).click()
    expect(reader_view).to_contain_text(shared["address"])

    # B replies from the personal mailbox; A's inbox shows it without a reload.
    boxes.locator("section").first.get_by_role("button", name=re.compile("受信トレイ")).click()
    b.page.locator(".mail-list").get_by_role("button", name=re.compile(subject)).click()
    reader_view.get_by_role("button", name="返信", exact=True).click()
    reply = b.page.locator("form.mail-compose")
    expect(reply.get_by_label("宛先")).to_have_value(re.compile(re.escape(address_a)))
    expect(reply.get_by_label("件名")).to_have_value(f"Re: {subject}")
    expect(reply.get_by_label("本文")).to_have_value(re.compile("> 明日の会議資料を共有します。"))
    reply.get_by_label("本文").press("Control+Home")
    reply.get_by_label("本文").press_sequentially("承知しました。")
    assert _axe(b.page) == []
    b.screenshot("spa-mail-reply")
    reply.get_by_role("button", name="送信").click()
    expect(reply).to_be_hidden()
    expect(
        a.page.locator(".mail-list").get_by_role("button", name=re.compile(f"Re: {subject}"))
    ).to_be_visible()
    a.page.locator(".mail-list").get_by_role("button", name=re.compile(f"Re: {subject}")).click()
    expect(a.page.locator("article.mail-reader")).to_contain_text("承知しました。")
    expect(a.page.locator("article.mail-reader")).to_contain_text("このスレッドのメール（2件）")
    a.screenshot("spa-mail-thread")
    a.watch.assert_clean()
    b.watch.assert_clean()


def test_mail_on_a_360_px_phone_with_axe_and_drafts(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    me = staff_accounts(yui_server)[2]
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(tab, yui_server, me)
    open_mail(tab, yui_server)
    page = tab.page
    page.get_by_role("button", name="新規作成").click()
    compose = page.locator("form.mail-compose")
    compose.get_by_label("件名").fill("下書きのテスト")
    compose.get_by_label("本文").fill("あとで書きます")
    compose.get_by_role("button", name="下書き保存").click()
    expect(compose).to_be_hidden()
    page.get_by_role("button", name=re.compile("^下書き")).first.click()
    items = page.locator(".mail-list").get_by_role("button")
    expect(items.filter(has_text="下書きのテスト")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the mail screen is {width} px wide on a 360-px screen"
    assert _axe(page) == []
    tab.screenshot("spa-mail-360")
    # A draft opens in the form again, to be finished.
    items.filter(has_text="下書きのテスト").click()
    expect(compose.get_by_label("本文")).to_have_value("あとで書きます")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the compose form is {width} px wide on a 360-px screen"
    tab.screenshot("spa-mail-compose-360")
    tab.watch.assert_clean()


def test_opening_a_shared_copy_reads_it_for_the_section(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    sender, reader = staff_accounts(yui_server)[:2]
    api_a, api_b = sign_in(sender.tenant, sender.login_id), sign_in(reader.tenant, reader.login_id)
    reader_id = _gateway(api_b, "{ me { id } }")["me"]["id"]
    shared = shared_mailbox_for(sign_in(reader.tenant, "admin"), reader_id)
    boxes_a = _gateway(api_a, MAILBOXES)["mailboxes"]
    mailbox_a = next(b["id"] for b in boxes_a if b["kind"] == "PERSONAL")
    for subject in ("係あて", "係あて 検索用"):
        sent = _gateway(
            api_a,
            "mutation($i: SendMailInput!) { sendMail(input: $i) { errors { code } } }",
            {"i": {"mailboxId": mailbox_a, "to": [shared["address"]], "subject": subject}},
        )["sendMail"]
        assert sent["errors"] == [], sent
    b = open_tab()
    sign_in_through_spa(b, yui_server, reader)
    open_mail(b, yui_server)
    boxes = b.page.get_by_role("navigation", name="メールボックス")
    heading = boxes.get_by_role("heading", name=re.compile(shared["name"]))
    expect(heading).to_contain_text("未読 2")
    section = boxes.locator("section").filter(
        has=b.page.get_by_role("heading", name=re.compile(shared["name"]))
    )
    inbox = section.get_by_role("button", name=re.compile("受信トレイ"))
    inbox.click()
    items = b.page.locator(".mail-list").get_by_role("button")
    row = items.filter(has=b.page.locator(".mail-subject").get_by_text("係あて", exact=True))
    expect(row).to_contain_text("未読")

    # Opening it sends markMail, and the row and the counts change in place.
    with b.page.expect_response(lambda r: "MarkMail" in (r.request.post_data or "")):
        row.click()
    expect(b.page.locator("article.mail-reader h2")).to_have_text("係あて")
    expect(row).not_to_contain_text("未読")
    expect(heading).to_contain_text("未読 1")
    expect(inbox).to_have_text("受信トレイ (1)")

    # After a search too (the list is another query of the same page).
    search = b.page.get_by_role("form", name="メールを検索")
    search.get_by_label("件名").fill("検索用")
    search.get_by_role("button", name="検索").click()
    expect(b.page.locator(".mail-folder").get_by_role("status")).to_have_text("1件")
    found = items.filter(has_text="係あて 検索用")
    expect(found).to_contain_text("未読")
    with b.page.expect_response(lambda r: "MarkMail" in (r.request.post_data or "")):
        found.click()
    expect(b.page.locator("article.mail-reader h2")).to_have_text("係あて 検索用")
    expect(found).not_to_contain_text("未読")
    expect(heading).not_to_contain_text("未読")
    expect(inbox).to_have_text("受信トレイ")

    # For the whole section: a fresh load, and the API.
    open_mail(b, yui_server)
    expect(heading).not_to_contain_text("未読")
    box = next(
        x
        for x in _gateway(api_b, "{ mailboxes { id unreadCount } }")["mailboxes"]
        if x["id"] == shared["id"]
    )
    assert box["unreadCount"] == 0, box
    b.watch.assert_clean()


def personal_mailbox_id(api: YuiClient) -> str:
    boxes = _gateway(api, MAILBOXES)["mailboxes"]
    return next(box["id"] for box in boxes if box["kind"] == "PERSONAL")  # type: ignore[no-any-return]


MESSAGES_WITH_FILES = """query($box: ID!) { mailMessages(mailboxId: $box) { messages {
  id subject attachments { id name size state url releaseRequestedAt } } } }"""


def message_with_files(api: YuiClient, subject: str) -> dict[str, Any]:
    listed = _gateway(api, MESSAGES_WITH_FILES, {"box": personal_mailbox_id(api)})
    return next(m for m in listed["mailMessages"]["messages"] if m["subject"] == subject)  # type: ignore[no-any-return]


def test_a_file_sent_through_the_screen_downloads_the_same_bytes(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    sender, reader = staff_accounts(yui_server)[:2]
    api_a, api_b = sign_in(sender.tenant, sender.login_id), sign_in(reader.tenant, reader.login_id)
    address_a, address_b = own_address(api_a), own_address(api_b)
    subject = f"資料送付 {secrets.token_hex(2)}"
    name = "議事録（第３回）.pdf"
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 8  # 2,057 bytes: 2.0 KB

    a = open_tab()
    sign_in_through_spa(a, yui_server, sender)
    open_mail(a, yui_server)
    a.page.get_by_role("button", name="新規作成").click()
    compose = a.page.locator("form.mail-compose")
    compose.get_by_label("宛先").fill(address_b)
    compose.get_by_label("件名").fill(subject)
    compose.get_by_label("本文").fill("資料を添付します。")
    chooser = compose.get_by_label("ファイルを添付")
    chooser.set_input_files(
        [
            {"name": name, "mimeType": "application/pdf", "buffer": pdf},
            {"name": "メモ.txt", "mimeType": "text/plain", "buffer": "不要".encode()},
        ]
    )
    files = compose.get_by_role("list", name="添付ファイル")
    expect(files.locator("li")).to_have_count(2)
    expect(files.locator("li").first).to_contain_text(f"{name} (2.0 KB)")
    # By keyboard: the file input, then each file's 削除.
    chooser.focus()
    expect(chooser).to_be_focused()
    a.page.keyboard.press("Tab")
    expect(files.get_by_role("button", name=f"{name} を削除")).to_be_focused()
    a.page.keyboard.press("Tab")
    expect(files.get_by_role("button", name="メモ.txt を削除")).to_be_focused()
    a.page.keyboard.press("Enter")
    expect(files.locator("li")).to_have_count(1)
    expect(files).to_contain_text(name)
    assert _axe(a.page) == []
    a.screenshot("spa-mail-attach")
    compose.get_by_role("button", name="送信").click()
    expect(a.page.get_by_role("status").filter(has_text="送信しました")).to_be_attached()
    expect(compose).to_be_hidden()

    # B reads it: the file with its size, a download of the very bytes.
    b = open_tab()
    sign_in_through_spa(b, yui_server, reader)
    open_mail(b, yui_server)
    b.page.locator(".mail-list").get_by_role("button", name=re.compile(subject)).click()
    reader_view = b.page.locator("article.mail-reader")
    attachments = reader_view.get_by_role("region", name="添付ファイル")
    expect(attachments).to_contain_text(f"{name} (2.0 KB)")
    expect(attachments).not_to_contain_text("メモ.txt")
    link = attachments.get_by_role("link", name=name)
    expect(link).to_have_attribute("href", re.compile(r"^/files/mail/[\w-]+\?t="))
    with b.page.expect_download() as downloaded:
        link.click()
    assert downloaded.value.suggested_filename == name
    assert downloaded.value.path().read_bytes() == pdf
    assert _axe(b.page) == []
    b.screenshot("spa-mail-attachment-read")

    # Forwarded: the original's file is in the form, sent along (a copy of its bytes).
    reader_view.get_by_role("button", name="転送").click()
    forward = b.page.locator("form.mail-compose")
    expect(forward.get_by_label("件名")).to_have_value(re.compile(re.escape(subject)))
    expect(forward.get_by_role("list", name="添付ファイル")).to_contain_text(name)
    expect(forward.get_by_role("button", name=f"{name} を削除")).to_be_visible()
    forward.get_by_label("宛先").fill(address_a)
    forward.get_by_role("button", name="送信").click()
    expect(forward).to_be_hidden()
    forwarded = message_with_files(api_a, f"Fwd: {subject}")
    assert [(f["name"], f["size"], f["state"]) for f in forwarded["attachments"]] == [
        (name, len(pdf), "AVAILABLE")
    ], forwarded
    fetched = api_a.http.get(forwarded["attachments"][0]["url"])
    assert fetched.status_code == 200 and fetched.content == pdf

    # A draft keeps its files when it is opened again.
    a.page.get_by_role("button", name="新規作成").click()
    compose.get_by_label("件名").fill("添付つき下書き")
    compose.get_by_label("ファイルを添付").set_input_files(
        {"name": "下書き資料.txt", "mimeType": "text/plain", "buffer": "あとで".encode()}
    )
    expect(compose.get_by_role("list", name="添付ファイル")).to_contain_text("下書き資料.txt")
    compose.get_by_role("button", name="下書き保存").click()
    expect(compose).to_be_hidden()
    a.page.get_by_role("button", name=re.compile("^下書き")).first.click()
    a.page.locator(".mail-list").get_by_role("button", name=re.compile("添付つき下書き")).click()
    expect(compose.get_by_role("list", name="添付ファイル")).to_contain_text("下書き資料.txt")
    a.watch.assert_clean()
    b.watch.assert_clean()

    # Refused files are said next to the field, in Japanese (the refused upload's 400 is
    # the browser's console noise, so after the clean check).
    compose.get_by_label("ファイルを添付").set_input_files(
        {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}
    )
    expect(compose.locator(".attachments-picker").get_by_role("alert")).to_contain_text(
        "setup.exe: この種類のファイル"
    )


POLICY = """mutation($input: MailHarmlessPolicyInput!) { updateMailHarmlessPolicy(input: $input)
  { policy { enabled attachments } errors { code } } }"""
SET_IMAP = """mutation($input: MailboxImapAccountInput!) { setMailboxImapAccount(input: $input)
  { errors { code field } } }"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    yield from start_dovecot()


def external_mail(subject: str, files: list[tuple[str, bytes]]) -> bytes:
    mime = EmailMessage()
    mime["From"] = "外部 業者 <vendor@example.com>"
    mime["To"] = "someone@example.lg.jp"
    mime["Subject"] = subject
    mime.set_content("見積書を送ります。\n", charset="utf-8")
    for filename, data in files:
        mime.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return bytes(mime)


def test_a_held_file_is_asked_for_and_released_by_an_administrator(
    yui_server: YuiServer,
    open_tab: Callable[..., Tab],
    sign_in: Callable[[str, str], YuiClient],
    dovecot: Dovecot,
) -> None:
    # Another municipality's staff member: its policy and mail touch no other test.
    reader = next(a for a in yui_server.accounts if a.name and a.tenant != "402125")
    api = sign_in(reader.tenant, reader.login_id)
    admin_api = sign_in(reader.tenant, "admin")
    subject = f"見積書 {secrets.token_hex(2)}"
    name = "見積書（税込）.pdf"
    # The municipality holds every file of mail from the internet; the reader's mailbox
    # fetches from a real IMAP server (the worker of `yui serve` does).
    policy = _gateway(admin_api, POLICY, {"input": {"enabled": True, "attachments": "HOLD"}})
    assert policy["updateMailHarmlessPolicy"]["errors"] == [], policy
    account = {
        "mailboxId": personal_mailbox_id(api),
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "NONE",
        "username": "kanda",
        "password": USERS["kanda"],
        "folder": "INBOX",
        "enabled": True,
    }
    try:
        assert _gateway(api, SET_IMAP, {"input": account})["setMailboxImapAccount"]["errors"] == []
        dovecot.append("kanda", external_mail(subject, [(name, b"%PDF-1.4\n")]))
        deadline = time.monotonic() + 60
        while True:
            listed = _gateway(api, MESSAGES_WITH_FILES, {"box": account["mailboxId"]})
            if any(m["subject"] == subject for m in listed["mailMessages"]["messages"]):
                break
            assert time.monotonic() < deadline, "the worker did not fetch the IMAP message"
            time.sleep(0.5)

        tab = open_tab()
        sign_in_through_spa(tab, yui_server, reader)
        open_mail(tab, yui_server)
        tab.page.locator(".mail-list").get_by_role("button", name=re.compile(subject)).click()
        files = tab.page.locator("article.mail-reader").get_by_role("region", name="添付ファイル")
        expect(files).to_contain_text(name)
        expect(files).to_contain_text("保留中 (メール無害化)")
        expect(files.get_by_role("link")).to_have_count(0)
        ask = files.get_by_role("button", name=f"{name} の保留解除を依頼")
        expect(ask).to_be_enabled()  # once opening it has marked it read
        ask.focus()
        tab.page.keyboard.press("Enter")
        expect(files).to_contain_text("解除依頼済み")
        expect(ask).to_have_count(0)
        assert _axe(tab.page) == []
        tab.screenshot("spa-mail-held")
        held = message_with_files(api, subject)["attachments"][0]
        assert held["state"] == "HELD" and held["releaseRequestedAt"] and held["url"] is None

        # The administrator releases it from the mail screen.
        admin = open_tab()
        admin_account = yui_server.account(reader.tenant, "admin")
        sign_in_through_spa(admin, yui_server, admin_account)
        open_mail(admin, yui_server)
        admin.page.get_by_role("button", name="保留中の添付ファイル").click()
        panel = admin.page.locator("section.mail-held")
        row = panel.get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text(subject)
        expect(row).to_contain_text(f"{reader.name} が依頼")
        assert _axe(admin.page) == []
        admin.screenshot("spa-mail-held-admin")
        # On a phone the held files stay inside the screen (the table scrolls, if at all).
        admin.page.set_viewport_size({"width": 360, "height": 740})
        expect(row).to_be_visible()
        width = admin.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the held files are {width} px wide on a 360-px screen"
        for button in (f"{name} を解除", f"{name} を削除"):
            box = row.get_by_role("button", name=button).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 360, (button, box)
        assert _axe(admin.page) == []
        admin.screenshot("spa-mail-held-admin-360")
        admin.page.set_viewport_size({"width": 1280, "height": 720})
        row.get_by_role("button", name=f"{name} を解除").click()
        expect(
            admin.page.get_by_role("status").filter(has_text="保留を解除しました")
        ).to_be_attached()
        expect(panel.get_by_role("row").filter(has_text=name)).to_have_count(0)
        released = message_with_files(api, subject)["attachments"][0]
        assert released["state"] == "AVAILABLE" and released["url"], released
        tab.watch.assert_clean()
        admin.watch.assert_clean()
    finally:
        _gateway(api, SET_IMAP, {"input": {**account, "password": None, "enabled": False}})
        _gateway(admin_api, POLICY, {"input": {"enabled": False, "attachments": "HOLD"}})
