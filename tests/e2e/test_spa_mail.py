"""メール in a real Chromium against `yui serve` with the demo: a staff member writes to a
colleague's own address and to a shared section mailbox the colleague is assigned; the
colleague finds it in both mailboxes (unread counts, keyboard through the list), reads it
(HTML with remote content blocked, and as plain text), searches, and replies; the reply
reaches the sender's inbox live. axe on every view, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

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


@pytest.mark.xfail(
    strict=False,
    reason="known gap: opening a shared copy does not always mark it read (seen on PostgreSQL: "
    "no markMail is sent; on SQLite the row and count do not always update in place)",
)
def test_opening_a_shared_copy_reads_it_for_the_section(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    sender, reader = staff_accounts(yui_server)[:2]
    api_a, api_b = sign_in(sender.tenant, sender.login_id), sign_in(reader.tenant, reader.login_id)
    reader_id = _gateway(api_b, "{ me { id } }")["me"]["id"]
    shared = shared_mailbox_for(sign_in(reader.tenant, "admin"), reader_id)
    boxes_a = _gateway(api_a, MAILBOXES)["mailboxes"]
    mailbox_a = next(b["id"] for b in boxes_a if b["kind"] == "PERSONAL")
    sent = _gateway(
        api_a,
        "mutation($i: SendMailInput!) { sendMail(input: $i) { errors { code } } }",
        {"i": {"mailboxId": mailbox_a, "to": [shared["address"]], "subject": "係あて"}},
    )["sendMail"]
    assert sent["errors"] == [], sent
    b = open_tab()
    sign_in_through_spa(b, yui_server, reader)
    open_mail(b, yui_server)
    boxes = b.page.get_by_role("navigation", name="メールボックス")
    heading = boxes.get_by_role("heading", name=re.compile(shared["name"]))
    expect(heading).to_contain_text("未読 1")
    section = boxes.locator("section").filter(has=heading)
    section.get_by_role("button", name=re.compile("受信トレイ")).click()
    with b.page.expect_response(lambda r: "MarkMail" in (r.request.post_data or "")):
        b.page.locator(".mail-list").get_by_role("button", name=re.compile("係あて")).click()
    open_mail(b, yui_server)
    expect(heading).not_to_contain_text("未読")
