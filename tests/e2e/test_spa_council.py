"""Across the council (協議会) in a real Chromium against `yui serve` with the demo's two
towns of one council: 苅田町's administrator names its 庶務係 the information-systems
contact in the administration screens; 大川市's administrator sends an inquiry to every
town's contact; 苅田町's staff member of that department answers on a 360-px phone and sees
their town's answer only; 大川市's open page shows it live in its one list and exports it as
CSV; 大川市 staff who are not its sender side see nothing of it. axe on every screen.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import Tab, _axe, expect, sign_in_through_spa, staff_accounts

browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]


def _open(tab: Tab, server: YuiServer, path: str, heading: str) -> None:
    tab.page.goto(f"{server.url}{path}")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(re.compile(heading))


def test_a_council_inquiry_sent_answered_by_a_town_and_seen_by_the_sender_only(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    kanda_staff = staff_accounts(yui_server, "406210")[0]
    kanda_api = sign_in(kanda_staff.tenant, kanda_staff.login_id)
    me = kanda_api.data("{ me { name department { id name } } }")["me"]
    department, responder = me["department"], me["name"]

    # 苅田町's administrator names the contact, by keyboard-reachable form controls.
    kanda_admin = open_tab()
    sign_in_through_spa(kanda_admin, yui_server, yui_server.account("406210", "admin"))
    _open(kanda_admin, yui_server, "/admin", "管理")
    kanda_admin.page.get_by_role("link", name="協議会の窓口").click()
    expect(kanda_admin.page.get_by_role("heading", level=1)).to_have_text("協議会の窓口")
    kanda_admin.page.get_by_label("情報システム担当", exact=True).select_option(department["id"])
    kanda_admin.page.get_by_role("button", name="情報システム担当の窓口を保存").press("Enter")
    row = kanda_admin.page.locator("form.council-contact", has_text="情報システム担当")
    expect(row.get_by_role("status")).to_have_text("保存しました。")
    kanda_admin.screenshot("spa-council-admin")
    assert _axe(kanda_admin.page) == []

    # 大川市's administrator sends an inquiry to every town's information-systems contact.
    sender = open_tab(accept_downloads=True)
    page = sender.page
    sign_in_through_spa(sender, yui_server, yui_server.account("402125", "admin"))
    _open(sender, yui_server, "/council", "協議会")
    assert _axe(page) == []
    page.get_by_role("link", name="協議会へ送信").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("協議会へ送信")
    title = f"e2e 基幹系システム更新時期の照会 {secrets.token_hex(3)}"
    page.get_by_label("照会", exact=True).check()
    page.get_by_label("送信先(各団体の窓口)").select_option("INFORMATION_SYSTEMS")
    page.get_by_label("タイトル").fill(title)
    page.get_by_label("本文").fill("各団体の更新予定をご回答ください。")
    page.get_by_label("質問 1 の文").fill("更新予定")
    page.get_by_label("質問 1 の選択肢(1行に1つ)").fill("令和7年度\n令和8年度\n未定")
    page.get_by_label("質問 1 を必須にする").check()
    assert _axe(page) == []
    page.get_by_role("button", name="送信", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    responses = page.locator("section", has=page.get_by_role("heading", name="各団体の回答"))
    kanda_row = responses.locator("tr[data-municipality='406210']")
    expect(kanda_row).to_contain_text("苅田町")
    expect(kanda_row).to_contain_text("未回答")
    sender.screenshot("spa-council-sent")
    assert _axe(page) == []

    # 苅田町's contact answers on a phone and sees only their own town's answer.
    phone = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(phone, yui_server, kanda_staff)
    _open(phone, yui_server, "/council", "協議会")
    received = phone.page.locator(
        "section", has=phone.page.get_by_role("heading", name="受け取った照会・回覧")
    )
    expect(received.get_by_role("listitem").filter(has_text=title)).to_contain_text("未回答")
    assert _axe(phone.page) == []
    received.get_by_role("link", name=title).click()
    expect(phone.page.get_by_role("heading", level=1)).to_have_text(title)
    expect(phone.page.locator("main")).to_contain_text("大川市")
    # A required question left empty is named, and nothing is sent.
    phone.page.get_by_role("button", name="回答を送信").click()
    expect(phone.page.locator(".survey-answer .error")).to_have_text("この質問は回答が必要です。")
    phone.page.get_by_label("令和8年度").check()
    phone.page.get_by_label("コメント").fill("予算要求中です。")
    phone.page.get_by_role("button", name="回答を送信").click()
    expect(phone.page.locator(".survey-answer .done")).to_have_text("回答を送信しました。")
    expect(phone.page.locator(".survey-answer")).to_contain_text(f"{responder} さんが回答しました")
    expect(phone.page.get_by_role("heading", name="各団体の回答")).to_have_count(0)
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the council answer is {width} px wide on a 360-px screen"
    phone.screenshot("spa-council-answer-360")
    assert _axe(phone.page) == []

    # The sender's open page follows, in its one list, and exports it for Excel.
    expect(kanda_row).to_contain_text("令和8年度", timeout=15_000)
    expect(kanda_row).to_contain_text("予算要求中です。")
    expect(kanda_row).to_contain_text(responder)
    expect(responses).to_contain_text("1/1 団体が回答")
    with page.expect_download() as downloaded:
        responses.get_by_role("button", name="結果を CSV でダウンロード").click()
    lines = downloaded.value.path().read_bytes().decode("cp932").splitlines()
    assert lines[0] == "団体コード,団体名,回答者,回答日時,コメント,Q1 更新予定", lines[0]
    cells = lines[1].split(",")
    assert cells[:3] == ["406210", "苅田町", responder] and cells[-2:] == [
        "予算要求中です。",
        "令和8年度",
    ], lines[1]
    page.get_by_role("button", name="完了にする(以後の回答を締め切る)").click()
    expect(page.locator(".notice-detail header .badge").nth(1)).to_have_text("完了")
    sender.screenshot("spa-council-responses")
    assert _axe(page) == []

    # 大川市 staff who are not its sender side, given the address, see nothing of it.
    okawa_staff = open_tab()
    sign_in_through_spa(okawa_staff, yui_server, staff_accounts(yui_server, "402125")[0])
    okawa_staff.page.goto(page.url)
    expect(okawa_staff.page.get_by_role("heading", level=1)).to_have_text(
        "この照会・回覧は見つかりません。"
    )
    expect(okawa_staff.page.locator("main")).not_to_contain_text(title)
    for tab in (kanda_admin, sender, phone, okawa_staff):
        tab.watch.assert_clean()
