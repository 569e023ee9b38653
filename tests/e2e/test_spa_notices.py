"""Notices (お知らせ・回覧・アンケート) in a real Chromium against `yui serve` with the demo:
an author posts information to their department through the form, a colleague's open portal
counts it live, the colleague opens it and the author sees them among its readers; a
circulation sent, confirmed with a comment, and the sender sees both; a survey created,
answered on a 360-px phone, its results live at the owner and exported as CSV. axe on every
screen.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import DemoAccount, YuiClient, YuiServer
from tests.e2e.test_spa import (
    Tab,
    _axe,
    colleague_of,
    expect,
    sign_in_through_spa,
    staff_accounts,
)

browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]


def _two_colleagues(
    server: YuiServer, sign_in: Callable[[str, str], YuiClient]
) -> tuple[DemoAccount, YuiClient, DemoAccount, str, str]:
    """An author (a demo account), a colleague of their department who can sign in, and
    the colleague's name."""
    author = staff_accounts(server)[0]
    author_api = sign_in(author.tenant, author.login_id)
    colleague, password = colleague_of(server, author_api, sign_in)
    other = YuiClient(server)
    assert other.login(colleague, password).status_code == 200
    name = other.data("{ me { name } }")["me"]["name"]
    other.close()
    return author, author_api, colleague, password, name


def _open(tab: Tab, server: YuiServer, path: str, heading: str) -> None:
    tab.page.goto(f"{server.url}{path}")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(re.compile(heading))


def test_notice_to_a_department_counted_live_read_and_seen_among_readers(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    author, author_api, colleague, password, colleague_name = _two_colleagues(yui_server, sign_in)
    department = author_api.data("{ me { department { id name } } }")["me"]["department"]
    # The tenant administrator adds a category on the board (the demo has none).
    category = f"e2e 連絡 {secrets.token_hex(3)}"
    admin = open_tab()
    sign_in_through_spa(admin, yui_server, yui_server.account("402125", "admin"))
    _open(admin, yui_server, "/notices", "お知らせ")
    admin.page.get_by_label("新しいカテゴリ(全職員が掲載可)").fill(category)
    admin.page.get_by_role("button", name="カテゴリを追加").click()
    expect(admin.page.get_by_label("カテゴリで絞り込み")).to_contain_text(category)
    assert _axe(admin.page) == []
    admin.watch.assert_clean()

    # The colleague's portal is open before anything is posted.
    reader = open_tab()
    sign_in_through_spa(reader, yui_server, colleague, password)
    unread = reader.page.locator(".unread-notices .count")
    expect(unread).to_have_text(re.compile(r"^\d+$"))
    before = int(unread.inner_text())
    # Mail and direct messages come in the same request (no mail screen yet, so no link).
    expect(reader.page.locator(".unread-mail .count")).to_have_text(re.compile(r"^\d+$"))
    expect(reader.page.locator(".unread-messages .count")).to_have_text(re.compile(r"^\d+$"))
    assert _axe(reader.page) == []

    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, author)
    _open(tab, yui_server, "/notices", "お知らせ")
    assert _axe(page) == []
    page.get_by_role("link", name="お知らせを掲載").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("お知らせを掲載")
    title = f"e2e 防災訓練のお知らせ {secrets.token_hex(3)}"
    page.get_by_label("カテゴリ").select_option(label=category)
    page.get_by_label("件名").fill(title)
    # Typed text stays text: the markup-looking line must show as typed, not as markup.
    page.get_by_label("本文").fill("12月10日に訓練を行います。\n\n<b>参加必須</b>")
    page.get_by_label("重要度").select_option(label="高")
    # A file with a Japanese name, uploaded as soon as it is chosen.
    page.get_by_label("ファイルを添付").set_input_files(
        {"name": "訓練計画.txt", "mimeType": "text/plain", "buffer": "集合 9:00".encode()}
    )
    expect(page.get_by_role("list", name="添付ファイル")).to_contain_text("訓練計画.txt")
    page.get_by_label("部署", exact=True).select_option(department["id"])
    page.get_by_role("button", name="部署を追加").click()
    expect(page.get_by_role("list", name="選んだ対象者")).to_contain_text(department["name"])
    tab.screenshot("spa-notices-form")
    assert _axe(page) == []
    page.get_by_role("button", name="掲載する").click()
    expect(page).to_have_url(re.compile(r"/notices/[\w-]+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator(".notice-body")).to_contain_text("<b>参加必須</b>")
    readers = page.locator("section.readers")
    expect(readers.get_by_role("list", name="未読")).to_contain_text(colleague_name)

    # Live at the colleague: the portal's unread count goes up without a reload.
    expect(unread).to_have_text(str(before + 1), timeout=15_000)
    link = reader.page.locator("section.notice-panel").get_by_role("link", name=title)
    expect(link).to_be_visible()
    reader.screenshot("spa-portal-notice-panels")
    link.click()
    expect(reader.page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(reader.page.locator(".badge.importance")).to_have_text("高")
    expect(reader.page.locator(".notice-body")).to_contain_text("12月10日に訓練を行います。")
    assert reader.page.locator(".notice-body b").count() == 0
    with reader.page.expect_download() as downloaded:
        reader.page.get_by_role("link", name="訓練計画.txt").click()
    assert downloaded.value.suggested_filename == "訓練計画.txt"
    assert downloaded.value.path().read_bytes().decode() == "集合 9:00"
    assert _axe(reader.page) == []

    # The author's open page hears of the read and lists the colleague among readers.
    expect(readers.get_by_role("list", name="既読")).to_contain_text(colleague_name, timeout=15_000)
    expect(readers.get_by_role("list", name="未読")).not_to_contain_text(colleague_name)
    # "Remind those who have not read it" reaches only those still in the 未読 list.
    not_read = readers.get_by_role("list", name="未読").locator("li")
    waiting = not_read.count()
    readers.get_by_role("button", name="未読の人に督促する").click()
    expect(readers).to_contain_text(f"{waiting} 人に督促しました")
    expect(not_read.first).to_contain_text("督促")
    tab.screenshot("spa-notices-readers")
    assert _axe(page) == []

    # The author corrects it through the same form: the colleague keeps having read it.
    page.get_by_role("link", name="編集する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("編集する")
    expect(page.get_by_label("件名")).to_have_value(title)
    expect(page.get_by_role("list", name="添付ファイル")).to_contain_text("訓練計画.txt")
    expect(page.get_by_role("list", name="選んだ対象者")).to_contain_text(department["name"])
    title = f"{title}(訂正)"
    page.get_by_label("件名").fill(title)
    assert _axe(page) == []
    page.get_by_role("button", name="変更を保存する").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(readers.get_by_role("list", name="既読")).to_contain_text(colleague_name)

    # Back on the board the colleague sees it as read, in the current list.
    _open(reader, yui_server, "/notices", "お知らせ")
    row = reader.page.locator("tr", has_text=title)
    expect(row).to_have_class(re.compile("is-read"))
    reader.screenshot("spa-notices-board")
    notice_url = page.url

    # Another municipality's staff, given the address, see nothing of it.
    stranger = open_tab()
    sign_in_through_spa(stranger, yui_server, staff_accounts(yui_server, "406210")[0])
    stranger.page.goto(notice_url)
    expect(stranger.page.get_by_role("heading", level=1)).to_have_text(
        "このお知らせは表示できません"
    )
    expect(stranger.page.locator("main")).not_to_contain_text(title)
    tab.watch.assert_clean()
    reader.watch.assert_clean()
    stranger.watch.assert_clean()


def test_circulation_sent_confirmed_with_a_comment_and_seen_by_the_sender(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    sender, _api, colleague, password, colleague_name = _two_colleagues(yui_server, sign_in)
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, sender)
    _open(tab, yui_server, "/circulations/new", "回覧を作成")
    title = f"e2e 回覧 {secrets.token_hex(3)}"
    page.get_by_label("件名").fill(title)
    page.get_by_label("本文").fill("年末の当番表です。確認してください。")
    page.get_by_label("個人を検索して追加").fill(colleague_name.split(" ")[0])
    page.get_by_role("listbox", name="検索結果").get_by_role(
        "option", name=re.compile(colleague_name)
    ).click()
    expect(page.get_by_role("list", name="選んだ個人")).to_contain_text(colleague_name)
    assert _axe(page) == []
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    confirmations = page.locator("section.readers")
    expect(confirmations.get_by_role("list", name="未確認")).to_contain_text(colleague_name)

    other = open_tab()
    sign_in_through_spa(other, yui_server, colleague, password)
    _open(other, yui_server, "/circulations", "回覧")
    expect(other.page.get_by_role("button", name="新着")).to_have_attribute("aria-pressed", "true")
    other.page.get_by_role("link", name=title).click()
    expect(other.page.get_by_role("heading", level=1)).to_have_text(title)
    assert _axe(other.page) == []
    other.page.get_by_label("コメント・回答(任意)").fill("当番、了解しました。")
    other.page.get_by_role("button", name="確認しました").click()
    expect(other.page.locator("ol.comments")).to_contain_text("当番、了解しました。")
    other.screenshot("spa-circulation-confirmed")

    # The sender's open page follows: confirmed with a time, the comment in the one list.
    expect(confirmations.get_by_role("list", name="確認済み")).to_contain_text(
        colleague_name, timeout=15_000
    )
    expect(page.locator("ol.comments")).to_contain_text("当番、了解しました。")
    expect(confirmations.get_by_role("list", name="未確認")).not_to_contain_text(colleague_name)
    page.get_by_role("button", name="回覧を完了する").click()
    expect(page.locator(".page-header .badge")).to_have_text("完了")
    tab.screenshot("spa-circulation-sender")
    assert _axe(page) == []
    tab.watch.assert_clean()
    other.watch.assert_clean()


def test_survey_created_answered_on_a_phone_with_live_results_and_csv(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    owner, _api, colleague, password, colleague_name = _two_colleagues(yui_server, sign_in)
    tab = open_tab(accept_downloads=True)
    page = tab.page
    sign_in_through_spa(tab, yui_server, owner)
    _open(tab, yui_server, "/surveys/new", "アンケートを作成")
    title = f"e2e 忘年会アンケート {secrets.token_hex(3)}"
    page.get_by_label("タイトル").fill(title)
    page.get_by_label("質問 1 の文").fill("参加しますか")
    page.get_by_label("質問 1 の選択肢(1行に1つ)").fill("はい\nいいえ")
    page.get_by_label("質問 1 を必須にする").check()
    page.get_by_role("button", name="質問を追加").click()
    page.get_by_label("質問 2 の文").fill("希望予算(円)")
    page.get_by_label("質問 2 の形式").select_option("NUMBER")
    page.get_by_label("個人を検索して追加").fill(colleague_name.split(" ")[0])
    # The shared people picker by keyboard: the whole name matches one, Enter adds it.
    page.get_by_label("個人を検索して追加").fill(colleague_name)
    matches = page.get_by_role("listbox", name="検索結果").get_by_role("option")
    expect(matches).to_have_count(1)
    expect(matches).to_contain_text(colleague_name)
    page.get_by_label("個人を検索して追加").press("Enter")
    expect(page.get_by_role("list", name="選んだ個人")).to_contain_text(colleague_name)
    assert _axe(page) == []
    page.get_by_role("button", name="アンケートを作成する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    results = page.locator("section.results")
    expect(results.locator(".read-count")).to_have_text("回答 0 / 1 人")

    phone = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(phone, yui_server, colleague, password)
    _open(phone, yui_server, "/surveys", "アンケート")
    phone.page.get_by_role("link", name=title).click()
    expect(phone.page.get_by_role("heading", level=1)).to_have_text(title)
    # A required question left empty is named, and nothing is sent.
    phone.page.get_by_role("button", name="回答する").click()
    expect(phone.page.locator(".survey-answer .error")).to_have_text("この質問は回答が必要です。")
    phone.page.get_by_label("はい").check()
    phone.page.get_by_label("2. 希望予算(円)").fill("5000")
    phone.page.get_by_role("button", name="回答する").click()
    expect(phone.page.locator(".survey-answer .done")).to_have_text("回答を保存しました")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the survey is {width} px wide on a 360-px screen"
    phone.screenshot("spa-survey-answer-360")
    assert _axe(phone.page) == []

    # Live at the owner: the count and the choice's tally move without a reload.
    expect(results.locator(".read-count")).to_have_text("回答 1 / 1 人", timeout=15_000)
    expect(results.locator("tr", has_text="はい")).to_contain_text("1")
    expect(results).to_contain_text("合計 5000")
    tab.screenshot("spa-survey-results")
    assert _axe(page) == []

    with page.expect_download() as downloaded:
        results.get_by_role("button", name="結果を CSV でダウンロード").click()
    data = downloaded.value.path().read_bytes()
    header, row = data.decode("cp932").splitlines()[:2]
    assert header.endswith("Q1 参加しますか,Q2 希望予算(円)"), header
    cells = row.split(",")
    assert cells[1] == colleague_name and cells[-2] == "はい", row
    # The number as a spreadsheet reads it (the export writes 5000 as 5E+3 today).
    assert float(cells[-1]) == 5000, row
    tab.watch.assert_clean()
    phone.watch.assert_clean()


def test_the_board_pages_beyond_its_first_hundred(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    reader = staff_accounts(yui_server)[1]
    admin = sign_in("402125", "admin")
    admin.graphql_url = "/graphql"  # the gateway: notices are not the people subgraph's
    me = sign_in(reader.tenant, reader.login_id).data("{ me { id } }")["me"]
    category = f"e2e 大量 {secrets.token_hex(3)}"
    made = admin.data(
        "mutation($name: String!) { createNoticeCategory(input: {name: $name}) { category { id } } }",
        {"name": category},
    )["createNoticeCategory"]["category"]["id"]
    post = (
        """mutation($input: PostNoticeInput!) { postNotice(input: $input) { errors { code } } }"""
    )
    for n in range(101):
        audience = {"personIds": [me["id"]]}
        data = {"categoryId": made, "title": f"e2e 連番 {n:03d}", "audience": audience}
        assert admin.data(post, {"input": data})["postNotice"]["errors"] == []
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, reader)
    _open(tab, yui_server, "/notices", "お知らせ")
    page.get_by_label("カテゴリで絞り込み").select_option(label=category)
    # Newest first: the first hundred are 100 … 001; 000 only after "more".
    first = page.locator("#notices-open").locator("..").locator("tbody tr")
    expect(first).to_have_count(100)
    expect(page.locator("main")).not_to_contain_text("e2e 連番 000")
    page.get_by_role("button", name="さらに表示").focus()
    page.keyboard.press("Enter")
    more = page.get_by_role("table", name="101〜101件目")
    expect(more).to_contain_text("e2e 連番 000")
    expect(page.get_by_role("button", name="さらに表示")).to_have_count(0)
    assert _axe(page) == []
    tab.watch.assert_clean()
