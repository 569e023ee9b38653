"""Tenant administration in a real Chromium against `yui serve` with the demo: 管理 in the
menu for the administrator only; the link collection (a script URL refused with the draft
kept, a link added and moved, a colleague's portal showing it); a closed day added and
marked in a colleague's schedule; a facility created with opening hours that a colleague
then books inside them and is refused outside them; axe on every screen, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import DemoAccount, YuiClient, YuiServer
from tests.e2e.test_spa import Tab, _axe, _gateway, expect, staff_accounts

browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]

JAPAN = ZoneInfo("Asia/Tokyo")


def sign_in_through_spa(tab: Tab, server: YuiServer, account: DemoAccount) -> None:
    """Through the SPA's form at /login (the municipality field may offer a typeahead)."""
    page = tab.page
    response = page.goto(f"{server.url}/login")
    assert response is not None and response.status == 200
    page.get_by_label("自治体").first.fill(account.tenant)
    page.keyboard.press("Escape")
    page.get_by_label("ログインID").fill(account.login_id)
    page.get_by_label("パスワード").fill(account.password)
    page.get_by_role("button", name="サインイン").click()
    expect(page).to_have_url(f"{server.url}/")


def admin_account(server: YuiServer) -> DemoAccount:
    return next(a for a in server.accounts if a.tenant == "402125" and a.login_id == "admin")


def open_admin(tab: Tab, server: YuiServer, path: str, heading: str) -> None:
    """An administration screen through the menu and the index, as the administrator."""
    page = tab.page
    expect(page.locator("main h1")).to_be_visible()
    page.get_by_role("navigation").get_by_role("link", name="管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("管理")
    tab.graphql_posts.clear()
    page.locator("main").get_by_role("link", name=heading, exact=True).click()
    expect(page).to_have_url(f"{server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.wait_for_timeout(300)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts


def _free_weekday(admin: YuiClient, days_ahead: int) -> date:
    """A weekday that is neither a holiday nor a closed day, about `days_ahead` away."""
    day = datetime.now(JAPAN).date() + timedelta(days=days_ahead)
    while True:
        found = _gateway(
            admin,
            "query($d: Date!, $e: Date!) { holidays(start: $d, end: $e) { date } }",
            {"d": day.isoformat(), "e": (day + timedelta(days=1)).isoformat()},
        )["holidays"]
        if day.weekday() < 5 and not found:
            return day
        day += timedelta(days=1)


def test_menu_offers_administration_to_the_administrator_only(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    staff = open_tab()
    sign_in_through_spa(staff, yui_server, staff_accounts(yui_server)[1])
    expect(staff.page.locator("main h1")).to_be_visible()
    nav = staff.page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="ポータル")).to_be_visible()
    expect(nav.get_by_role("link", name="管理")).to_have_count(0)
    staff.page.goto(f"{yui_server.url}/admin/links")
    expect(staff.page.get_by_role("alert")).to_have_text("この画面はテナント管理者だけが使えます。")

    admin = open_tab()
    sign_in_through_spa(admin, yui_server, admin_account(yui_server))
    expect(admin.page.get_by_role("navigation").get_by_role("link", name="管理")).to_be_visible()
    admin.page.get_by_role("navigation").get_by_role("link", name="管理").click()
    main = admin.page.locator("main")
    for section in ("リンク集", "閉庁日", "施設"):
        expect(main.get_by_role("link", name=section, exact=True)).to_be_visible()
    admin.screenshot("spa-admin-index")
    assert _axe(admin.page) == []
    # Every screen opened straight from its address (a new page, no portal visited first)
    # knows from its own one request whether to offer administration.
    for path, heading in (
        ("/schedule", "スケジュール"),
        ("/directory", "名簿"),
        ("/settings", "設定"),
        ("/circulations", "回覧"),
        ("/surveys", "アンケート"),
    ):
        admin.page.goto(f"{yui_server.url}{path}")
        expect(admin.page.get_by_role("heading", level=1)).to_contain_text(heading)
        menu = admin.page.get_by_role("navigation").get_by_role("link", name="管理")
        expect(menu).to_be_visible()
    staff.watch.assert_clean()
    admin.watch.assert_clean()


def test_admin_adds_a_link_and_a_colleague_sees_it_on_the_portal(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, admin_account(yui_server))
    open_admin(tab, yui_server, "/admin/links", "リンク集")
    items = page.locator("ol.admin-list > li")
    expect(items.first).to_contain_text("財務会計システム")  # the demo's links
    before = items.count()

    form = page.locator("form", has=page.get_by_label("URL"))
    form.get_by_label("表示名").fill("e2e 電子申請システム")
    form.get_by_label("URL").fill("javascript:alert(document.cookie)")
    form.get_by_label("見出し(分類)").fill("業務システム")
    form.get_by_role("button", name="保存").click()
    expect(form.locator("p.error")).to_have_text(
        "URLは http:// または https:// で始まるアドレスを入力してください。"
    )
    expect(form.get_by_label("URL")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("表示名")).to_have_value("e2e 電子申請システム")  # nothing lost
    expect(items).to_have_count(before)

    form.get_by_label("URL").fill("https://shinsei.okawa.lgwan.local/")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".admin-status")).to_have_text("保存しました。")
    expect(items).to_have_count(before + 1)
    expect(items.last).to_contain_text("e2e 電子申請システム")

    # Up by the keyboard: Alt+↑ on the entry's button, the focus stays with the link.
    up = page.get_by_role("button", name="「e2e 電子申請システム」を上へ")
    up.focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(items.nth(before - 1)).to_contain_text("e2e 電子申請システム")
    expect(page.locator(".admin-status")).to_have_text(
        f"「e2e 電子申請システム」を{before}番目に移動しました。"
    )
    expect(up).to_be_focused()
    # ... and back down by the button.
    page.get_by_role("button", name="「e2e 電子申請システム」を下へ").click()
    expect(items.last).to_contain_text("e2e 電子申請システム")
    tab.screenshot("spa-admin-links")
    assert _axe(page) == []

    # A colleague's portal lists it under its heading, in the portal's one request.
    colleague = open_tab()
    sign_in_through_spa(colleague, yui_server, staff_accounts(yui_server)[0])
    panel = colleague.page.locator("section.links-panel")
    link = panel.get_by_role("link", name=re.compile("e2e 電子申請システム"))
    expect(link).to_have_attribute("href", "https://shinsei.okawa.lgwan.local/")
    expect(link).to_have_attribute("target", "_blank")
    group = panel.locator(".link-group").filter(has_text="e2e 電子申請システム")
    expect(group.get_by_role("heading", level=3)).to_have_text("業務システム")
    colleague.screenshot("spa-portal-links")
    assert _axe(colleague.page) == []

    # The open portal follows the collection live (linksChanged), without reloading. The
    # page subscribes after its first answer: add until one shows (events are hints).
    admin_api = sign_in("402125", "admin")
    save = "mutation($input: SaveLinkInput!) { saveLink(input: $input) { link { id } errors { code } } }"
    for attempt in range(6):
        title = f"e2e 生きたリンク {attempt}"
        _gateway(admin_api, save, {"input": {"title": title, "url": "https://live.example/"}})
        try:
            expect(panel.get_by_role("link", name=re.compile(title))).to_be_visible(timeout=2_000)
            break
        except AssertionError:
            continue
    else:
        pytest.fail("the portal never showed a link added while it was open")
    live = [
        x["id"]
        for x in _gateway(admin_api, "{ links { id title } }")["links"]
        if "生きた" in x["title"]
    ]
    for link_id in live:
        _gateway(
            admin_api, "mutation($id: ID!) { deleteLink(id: $id) { deletedId } }", {"id": link_id}
        )
    expect(panel.get_by_role("link", name=re.compile("e2e 生きたリンク"))).to_have_count(0)

    # Deleted (asked twice), and it is gone from the list.
    row = items.filter(has_text="e2e 電子申請システム")
    row.get_by_role("button", name="削除").click()
    expect(row.get_by_role("button", name="取消")).to_be_focused()
    row.get_by_role("button", name="削除する").click()
    expect(items.filter(has_text="e2e 電子申請システム")).to_have_count(0)
    titles = [x["title"] for x in _gateway(admin_api, "{ links { title } }")["links"]]
    assert "e2e 電子申請システム" not in titles
    tab.watch.assert_clean()
    colleague.watch.assert_clean()


def test_admin_adds_a_closed_day_and_the_schedule_marks_it(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    admin_api = sign_in("402125", "admin")
    day = _free_weekday(admin_api, 15)
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, admin_account(yui_server))
    open_admin(tab, yui_server, "/admin/closed-days", "閉庁日")
    annual = page.locator("section[aria-labelledby=annual-title]")
    expect(annual).to_contain_text("12月29日")  # 年末年始, the default
    expect(annual).to_contain_text("年末年始")
    dated = page.locator("section[aria-labelledby=dated-title]")
    form = dated.locator("form")
    form.get_by_label("日付").fill(day.isoformat())
    expect(form).to_contain_text("令和")  # the date in 和暦 next to the input
    form.get_by_role("button", name="閉庁日を追加").click()
    # Without a name nothing is sent; the date stays filled in.
    expect(form.get_by_role("alert")).to_have_text("必須の項目が入力されていません。")
    expect(form.get_by_label("日付")).to_have_value(day.isoformat())
    form.get_by_label("名称").fill("e2e 臨時閉庁")
    form.get_by_role("button", name="閉庁日を追加").click()
    expect(dated.locator("ol.admin-list, ul.admin-list")).to_contain_text("e2e 臨時閉庁")
    expect(dated).to_contain_text(f"{day.year}年{day.month}月{day.day}日")
    tab.screenshot("spa-admin-closed-days")
    assert _axe(page) == []

    try:
        colleague = open_tab()
        sign_in_through_spa(colleague, yui_server, staff_accounts(yui_server)[1])
        colleague.page.goto(f"{yui_server.url}/schedule?date={day.isoformat()}")
        header = colleague.page.locator("table.week-grid thead")
        closed = header.locator("th.holiday-closed", has_text=f"{day.month}/{day.day}")
        expect(closed).to_contain_text("閉庁日")
        colleague.screenshot("spa-schedule-closed-day")
        colleague.watch.assert_clean()
    finally:
        removed = _gateway(
            admin_api,
            "mutation($d: Date!) { removeClosedDay(day: $d) { errors { code } } }",
            {"d": day.isoformat()},
        )["removeClosedDay"]
        assert removed["errors"] == []
    tab.watch.assert_clean()


def test_admin_creates_a_facility_with_hours_and_a_colleague_books_it(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    admin_api = sign_in("402125", "admin")
    day = _free_weekday(admin_api, 12)
    first_group = _gateway(admin_api, "{ facilityGroups { name } }")["facilityGroups"][0]["name"]
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, admin_account(yui_server))
    open_admin(tab, yui_server, "/admin/facilities", "施設")
    form = page.locator("form", has=page.get_by_label("施設名"))
    form.get_by_label("分類").select_option(label=first_group)
    form.get_by_label("施設名").fill("e2e 第9会議室")
    form.get_by_label("定員(人)").fill("abc")
    form.get_by_role("button", name="保存").click()
    expect(form.locator("p.error")).to_have_text("0以上の整数で入力してください。")
    form.get_by_label("定員(人)").fill("8")
    form.get_by_label("利用開始時刻").fill("09:00")
    form.get_by_label("利用終了時刻").fill("17:00")
    for weekday in ("月", "火", "水", "木", "金"):
        form.get_by_label(weekday, exact=True).check()
    form.get_by_label("表示順").fill("99")
    form.get_by_role("button", name="保存").click()
    expect(page.locator(".admin-status")).to_contain_text("保存しました。")
    entry = page.locator("ul.admin-list > li", has_text="e2e 第9会議室")
    expect(entry).to_contain_text("09:00–17:00")
    expect(entry).to_contain_text("月火水木金")
    tab.screenshot("spa-admin-facilities")
    assert _axe(page) == []

    colleague = open_tab()
    sign_in_through_spa(colleague, yui_server, staff_accounts(yui_server)[1])
    cpage = colleague.page
    cpage.goto(f"{yui_server.url}/facilities")
    expect(cpage.locator("table.facility-grid")).to_contain_text("e2e 第9会議室")
    booking = cpage.locator("form", has=cpage.get_by_label("利用目的"))
    booking.get_by_label("施設").select_option(label="e2e 第9会議室")
    booking.get_by_label("日付").fill(day.isoformat())
    booking.get_by_label("開始").fill("08:00")
    booking.get_by_label("終了").fill("09:00")
    booking.get_by_label("利用目的").fill("e2e 早朝")
    booking.get_by_role("button", name="予約", exact=True).click()
    result = cpage.locator(".booking-result")
    expect(result).to_contain_text("施設の利用時間外です。")
    booking.get_by_label("開始").fill("10:00")
    booking.get_by_label("終了").fill("11:00")
    booking.get_by_label("利用目的").fill("e2e 打合せ")
    booking.get_by_role("button", name="予約", exact=True).click()
    expect(result).to_contain_text("e2e 第9会議室を予約しました")
    colleague.screenshot("spa-facilities-new-room-booked")

    # A group is added, and deleted while it is empty (asked twice).
    group_form = page.locator("form", has=page.get_by_label("分類名"))
    group_form.get_by_label("分類名").fill("e2e 臨時分類")
    group_form.get_by_role("button", name="保存").click()
    section = page.locator("section.card", has=page.get_by_role("heading", name="e2e 臨時分類"))
    expect(section).to_contain_text("この分類に施設はありません。")
    section.get_by_role("button", name="削除").click()
    section.get_by_role("button", name="削除する").click()
    expect(page.get_by_role("heading", name="e2e 臨時分類")).to_have_count(0)
    tab.watch.assert_clean()
    colleague.watch.assert_clean()


def test_admin_screens_on_a_360_px_phone(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(tab, yui_server, admin_account(yui_server))
    expect(tab.page.locator("main h1")).to_be_visible()
    for path, heading, shot in (
        ("/admin", "管理", "spa-admin-index-360"),
        ("/admin/links", "リンク集", "spa-admin-links-360"),
        ("/admin/closed-days", "閉庁日", "spa-admin-closed-days-360"),
        ("/admin/facilities", "施設", "spa-admin-facilities-360"),
    ):
        tab.page.goto(f"{yui_server.url}{path}")
        expect(tab.page.get_by_role("heading", level=1)).to_have_text(heading)
        width = tab.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide on a 360-px screen"
        tab.screenshot(shot)
        assert _axe(tab.page) == [], path
    tab.watch.assert_clean()
