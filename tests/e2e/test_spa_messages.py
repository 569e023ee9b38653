"""メッセージ in a real Chromium against `yui serve` with the demo: a staff member starts a
conversation from a colleague's card in the directory, writes with Enter (Shift+Enter a new
line), the colleague's open page gets it live with its unread count, reads it, and the
writer sees 既読 live; a small group made with the people picker, a member taken out, the
group left. axe on each view, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
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

# The portal tests' fixtures: one Chromium for this module, a tab per browser context.
browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]

START = """mutation($p: [ID!]!) { startConversation(input: {personIds: $p}) {
  conversation { id } errors { code } } }"""
SAY = """mutation($c: ID!, $b: String!) { sendDirectMessage(conversationId: $c, body: $b) {
  errors { code } } }"""


def me_of(api: YuiClient) -> dict[str, str]:
    return _gateway(api, "{ me { id name } }")["me"]  # type: ignore[no-any-return]


def open_messages(tab: Tab, server: YuiServer) -> None:
    tab.page.goto(f"{server.url}/messages")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("メッセージ")
    expect(tab.page.get_by_role("heading", name="会話")).to_be_visible()


def until_live(where: Any, api: YuiClient, conversation: str, shows: str | None = None) -> None:
    """The page subscribes after its first answer; until the server has registered the
    subscription, a message is not announced to it (events are hints, DESIGN rule 6). So
    write through the API until one shows without a reload (the message itself, or what
    `shows` says the page shows of it)."""
    for attempt in range(20):
        text = f"接続確認 {attempt}"
        said = _gateway(api, SAY, {"c": conversation, "b": text})
        assert said["sendDirectMessage"]["errors"] == []
        with contextlib.suppress(AssertionError):
            expect(where).to_contain_text(shows or text, timeout=1_000)
            return
    pytest.fail("no direct message reached the page live")


def test_conversation_from_a_person_card_live_with_read_receipts(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    writer, reader = staff_accounts(yui_server)[:2]
    api_a, api_b = sign_in(writer.tenant, writer.login_id), sign_in(reader.tenant, reader.login_id)
    me_a, me_b = me_of(api_a), me_of(api_b)

    # B's page is open first; the one-to-one exists (found again from A's card below).
    b = open_tab()
    sign_in_through_spa(b, yui_server, reader)
    open_messages(b, yui_server)
    pair = _gateway(api_a, START, {"p": [me_b["id"]]})["startConversation"]["conversation"]["id"]
    b_list = b.page.get_by_role("navigation", name="会話")
    until_live(b_list, api_a, pair, shows=me_a["name"])
    expect(b_list.get_by_role("button", name=re.compile(me_a["name"]))).to_contain_text("未読")

    # A: the directory, B's card, メッセージを送る.
    a = open_tab()
    sign_in_through_spa(a, yui_server, writer)
    a.page.goto(f"{yui_server.url}/directory")
    a.page.get_by_label("職員を検索").fill(me_b["name"])
    a.page.get_by_role("button", name="検索", exact=True).click()
    a.page.locator(".people-results").get_by_role(
        "button", name=re.compile(re.escape(me_b["name"]))
    ).first.click()
    a.page.locator(".person-card").get_by_role("link", name="メッセージを送る").click()
    expect(a.page).to_have_url(f"{yui_server.url}/messages")
    view = a.page.locator("section.conversation")
    expect(view.get_by_role("heading", level=2)).to_have_text(me_b["name"])
    expect(view.get_by_role("list", name="メッセージ")).to_contain_text("接続確認")
    until_live(view, api_b, pair)  # A's page hears B's receipts from here on

    # Enter sends, Shift+Enter is a new line.
    box = view.get_by_label("メッセージを入力")
    box.fill("会議室の件、今よろしいですか")
    box.press("Shift+Enter")
    box.press_sequentially("15時からです")
    expect(box).to_have_value("会議室の件、今よろしいですか\n15時からです")
    box.press("Enter")
    expect(box).to_have_value("")
    sent = view.locator("li.dm.mine").filter(has_text="15時からです")
    expect(sent.locator(".dm-body")).to_have_text("会議室の件、今よろしいですか\n15時からです")
    expect(sent).not_to_contain_text("既読")

    # B: it arrives live; opening the conversation reads it, and A sees 既読 live.
    conversation_b = b_list.get_by_role("button", name=re.compile(me_a["name"]))
    expect(conversation_b).to_contain_text("未読")
    conversation_b.focus()
    b.page.keyboard.press("Enter")
    b_view = b.page.locator("section.conversation")
    expect(b_view.locator("li.dm").filter(has_text="15時からです")).to_be_visible()
    expect(conversation_b).not_to_contain_text("未読")
    expect(sent).to_contain_text("既読")
    # B answers with Enter; A's open conversation shows it live, and it is read at once.
    b_view.get_by_label("メッセージを入力").fill("はい、どうぞ")
    b_view.get_by_label("メッセージを入力").press("Enter")
    expect(view.locator("li.dm").filter(has_text="はい、どうぞ")).to_be_visible()
    # A's page reads it on arrival; the receipt travels back (longer through Redis).
    expect(b_view.locator("li.dm.mine").filter(has_text="はい、どうぞ")).to_contain_text(
        "既読", timeout=15_000
    )
    assert _axe(a.page) == [] and _axe(b.page) == []
    a.screenshot("spa-messages-writer")
    b.screenshot("spa-messages-reader")
    a.watch.assert_clean()
    b.watch.assert_clean()


def test_a_small_group_made_changed_and_left_on_a_phone(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    me, second, third = staff_accounts(yui_server)[:3]
    names = [me_of(sign_in(p.tenant, p.login_id))["name"] for p in (second, third)]
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(tab, yui_server, me)
    open_messages(tab, yui_server)
    page = tab.page
    page.get_by_role("button", name="新しい会話").click()
    form = page.get_by_role("form", name="新しい会話")
    search = form.get_by_label("相手を検索")
    for name in names:
        search.fill(name)
        expect(form.get_by_role("option").first).to_contain_text(name)
        search.press("Enter")
        expect(form.get_by_role("list", name="相手")).to_contain_text(name)
    form.get_by_label("グループ名（任意）").fill("防災訓練の連絡")
    form.get_by_role("button", name="会話を始める").click()
    view = page.locator("section.conversation")
    expect(view.get_by_role("heading", level=2)).to_have_text("防災訓練の連絡")
    view.get_by_label("メッセージを入力").fill("集合は9時です")
    view.get_by_label("メッセージを入力").press("Enter")
    expect(view.locator("li.dm.mine")).to_contain_text("集合は9時です")
    members = view.locator("details.dm-members")
    members.locator("summary").click()
    expect(members.locator("summary")).to_have_text("メンバー（3人）")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the messages screen is {width} px wide on a 360-px screen"
    assert _axe(page) == []
    tab.screenshot("spa-messages-group-360")

    members.get_by_role("button", name=f"{names[1]}さんを外す").click()
    expect(members.locator("summary")).to_have_text("メンバー（2人）")
    expect(members).not_to_contain_text(names[1])
    members.get_by_role("button", name="退出する").click()
    expect(page.get_by_role("status").filter(has_text="退出しました")).to_be_attached()
    expect(page.get_by_role("navigation", name="会話")).not_to_contain_text("防災訓練の連絡")
    tab.watch.assert_clean()
