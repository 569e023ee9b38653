"""The directory (名簿・在席確認) in a real Chromium against `yui serve` with the demo: people
found by their reading typed in hiragana (stored in katakana), the person card with free/busy,
the organisation tree by keyboard, one GraphQL request per view, a department's presence board
updated live when a colleague changes presence in another browser, axe, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import (
    Tab,
    _axe,
    _until_live,
    colleague_of,
    expect,
    sign_in_through_spa,
    staff_accounts,
)

# The portal tests' fixtures: one Chromium for this module, a tab per browser context.
browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]


def hiragana(text: str) -> str:
    """Katakana (ァ..ヶ) to hiragana, as a person types a reading."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _settled(tab: Tab) -> None:
    tab.page.wait_for_timeout(300)  # let a straggling request show up before counting


def open_directory(tab: Tab, server: YuiServer) -> None:
    """A fresh load of /directory after the portal that signing in leads to has rendered;
    what the tab asked before is forgotten, so the counts are this screen's."""
    expect(tab.page.locator("main h1")).to_be_visible()
    _settled(tab)
    tab.graphql_posts.clear()
    tab.page.goto(f"{server.url}/directory")
    expect(tab.page.get_by_role("heading", level=1)).to_contain_text("名簿")
    expect(tab.page.locator(".presence-board")).to_be_visible()
    _settled(tab)


def test_search_by_hiragana_reading_and_the_person_card(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    me = staff_accounts(yui_server)[0]
    api = sign_in(me.tenant, me.login_id)
    everyone = api.data(
        "{ me { id } people(first: 200) { nodes { id name nameKana email extension title"
        " department { name } additionalDepartments { name } } } }"
    )
    people = [
        p
        for p in everyone["people"]["nodes"]
        if p["id"] != everyone["me"]["id"] and re.search("[ァ-ヶ]", p["nameKana"])
    ]
    # Someone with 兼務 if the demo has one, so the card shows it.
    target = next((p for p in people if p["additionalDepartments"]), people[0])
    family = re.split(r"[ \u3000]", target["nameKana"])[0]
    typed = hiragana(family)
    assert typed != family, family
    expected = api.data(
        "query($s: String) { people(search: $s, first: 1) { totalCount } }", {"s": family}
    )["people"]["totalCount"]
    assert expected >= 1

    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, me)
    open_directory(tab, yui_server)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts

    page.get_by_label("職員を検索").fill(typed)
    page.get_by_role("button", name="検索", exact=True).click()
    results = page.locator(".people-results")
    expect(results.get_by_role("status")).to_contain_text(f"{expected}件中")
    expect(
        results.get_by_role("button", name=re.compile(re.escape(target["name"])))
    ).to_be_visible()
    _settled(tab)
    assert len(tab.graphql_posts) == 2, tab.graphql_posts  # the search view: one request

    results.get_by_role("button", name=re.compile(re.escape(target["name"]))).click()
    card = page.locator(".person-card")
    expect(card.get_by_role("heading", level=2)).to_contain_text(target["name"])
    expect(card.get_by_role("heading", level=2)).to_be_focused()
    expect(card).to_contain_text(target["nameKana"])
    if target["department"]:
        expect(card).to_contain_text(target["department"]["name"])
    for extra in target["additionalDepartments"]:
        expect(card).to_contain_text(extra["name"])
    if target["extension"]:
        expect(card).to_contain_text(target["extension"])
    if target["email"]:
        mail = card.get_by_role("link", name=target["email"])
        expect(mail).to_have_attribute("href", f"mailto:{target['email']}")
    expect(card.get_by_role("heading", level=3)).to_contain_text("の予定")
    expect(card.locator(".free, .busy")).to_be_visible()
    _settled(tab)
    assert len(tab.graphql_posts) == 3, tab.graphql_posts  # the card view: one request
    tab.screenshot("spa-directory-card")
    assert _axe(page) == []

    # The tree by keyboard: a branch opens and closes with Enter on its toggle.
    toggle = page.locator(".org-tree .org-toggle").first
    before = toggle.get_attribute("aria-expanded")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "false" if before == "true" else "true")
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", before or "false")
    # Choosing a department by keyboard shows its board.
    department = page.locator(".org-tree .org-name").first
    name = department.inner_text()
    department.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".presence-board h2")).to_contain_text(name)
    expect(department).to_have_attribute("aria-current", "true")
    tab.watch.assert_clean()


def test_paging_through_search_results_by_cursor(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    me = staff_accounts(yui_server)[0]
    api = sign_in(me.tenant, me.login_id)
    # Everyone's e-mail contains "@": a search that matches the whole municipality.
    total = api.data('{ people(search: "@", first: 1) { totalCount } }')["people"]["totalCount"]
    if total <= 20:
        pytest.skip(f"the demo has {total} staff, one page")
    tab = open_tab()
    sign_in_through_spa(tab, yui_server, me)
    open_directory(tab, yui_server)
    page = tab.page
    page.get_by_label("職員を検索").fill("@")
    page.get_by_role("button", name="検索", exact=True).click()
    status = page.locator(".people-results").get_by_role("status")
    expect(status).to_contain_text(f"{total}件中 1–20件目")
    first_page = page.locator(".person-name").all_inner_texts()
    page.get_by_role("button", name="次へ").click()
    expect(status).to_contain_text(f"{total}件中 21–")
    expect(page.locator(".directory-main")).to_have_attribute("aria-busy", "false")
    second_page = page.locator(".person-name").all_inner_texts()
    assert second_page and not set(first_page) & set(second_page), (first_page, second_page)
    page.get_by_role("button", name="前へ").click()
    expect(status).to_contain_text(f"{total}件中 1–20件目")
    expect(page.locator(".directory-main")).to_have_attribute("aria-busy", "false")
    assert page.locator(".person-name").all_inner_texts() == first_page
    tab.watch.assert_clean()


def test_presence_board_changes_live_when_a_colleague_sets_presence(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    me = staff_accounts(yui_server)[0]
    me_api = sign_in(me.tenant, me.login_id)
    colleague, password = colleague_of(yui_server, me_api, sign_in)
    colleague_api = YuiClient(yui_server)
    assert colleague_api.login(colleague, password).status_code == 200

    mine = open_tab()
    sign_in_through_spa(mine, yui_server, me)
    open_directory(mine, yui_server)
    row = mine.page.locator(".presence-board tr", has_text=colleague.name or "")
    expect(row).to_have_count(1)
    _until_live(mine, row, colleague_api)

    theirs = open_tab()
    sign_in_through_spa(theirs, yui_server, colleague, password)
    buttons = theirs.page.locator(".presence-buttons")
    current = buttons.locator("button[aria-pressed=true]")
    target = "出張" if current.count() and current.inner_text() == "外出" else "外出"
    theirs.page.get_by_label("ひとこと").fill("本庁舎 17時戻り")
    buttons.get_by_role("button", name=target, exact=True).click()
    expect(row).to_contain_text(target, timeout=10_000)
    expect(row).to_contain_text("本庁舎 17時戻り")
    mine.screenshot("spa-directory-board-live")
    # Live by the subscription: the board asked the server once.
    assert len(mine.graphql_posts) == 1, mine.graphql_posts
    colleague_api.close()
    for tab in (mine, theirs):
        tab.watch.assert_clean()


def test_directory_on_a_360_px_phone(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    me = staff_accounts(yui_server)[0]
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(tab, yui_server, me)
    open_directory(tab, yui_server)
    page: Any = tab.page
    first = page.locator(".presence-board tbody th button").first
    first.click()
    expect(page.locator(".person-card")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the directory is {width} px wide on a 360-px screen"
    tab.screenshot("spa-directory-360")
    assert _axe(page) == []
    tab.watch.assert_clean()
