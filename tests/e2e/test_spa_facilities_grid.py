"""The facilities grids in a real Chromium against `yui serve` with the demo: booking by
dragging over free hours of a room's row (checked on the server), the keyboard's way to the
same (a free hour, Shift+→, Enter), the bookings a period collides with shown before sending,
the group's week grid with the booking in its day, axe and screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import Tab, _axe, _gateway, expect, sign_in_through_spa, staff_accounts
from tests.e2e.test_spa_facilities import _weekday_ahead, open_facilities, pytestmark  # noqa: F401

browser = test_spa.browser
open_tab = test_spa.open_tab

JAPAN = ZoneInfo("Asia/Tokyo")


def _free_room(someone: YuiClient, day: Any) -> dict[str, Any]:
    """A room anyone may book without approval that day, open 9–17 and free all that time."""
    groups = _gateway(
        someone,
        "query($s: DateTime!, $e: DateTime!) { facilityGroups { id facilities { id name"
        " needsApproval allowedDepartmentIds bookableWeekdays openTime closeTime maxDaysAhead"
        " reservations(start: $s, end: $e) { id } } } }",
        {"s": f"{day}T09:00:00+09:00", "e": f"{day}T17:00:00+09:00"},
    )["facilityGroups"]
    ahead = (day - datetime.now(JAPAN).date()).days
    for group in groups:
        for room in group["facilities"]:
            if (
                not room["needsApproval"]
                and not room["allowedDepartmentIds"]
                and (not room["bookableWeekdays"] or day.weekday() in room["bookableWeekdays"])
                and (room["openTime"] or "00:00") <= "09:00"
                and (room["closeTime"] or "23:59") >= "17:00"
                and (room["maxDaysAhead"] is None or room["maxDaysAhead"] >= ahead)
                and not room["reservations"]
            ):
                return {**room, "groupId": group["id"]}
    raise AssertionError("the demo has no room free and open 9–17 that day")


def _center(locator: Any) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_book_by_dragging_and_by_keyboard_see_collisions_and_the_week(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    account = staff_accounts(yui_server)[2]
    api = sign_in(account.tenant, account.login_id)
    day = _weekday_ahead(12)
    room = _free_room(api, day)

    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    open_facilities(tab, yui_server)
    page.locator(".facility-tools select").select_option(room["groupId"])
    page.locator(".facility-tools input[type=date]").fill(day.isoformat())
    row = page.locator(f'table.facility-grid tr[data-facility="{room["id"]}"]')
    expect(row).to_be_visible()
    expect(page.locator("#day-grid-title")).to_contain_text(f"{day.month}月{day.day}日")

    # Dragging from 9時 to 11時 picks 9:00–12:00 and opens the form filled in.
    nine = row.locator('button[data-hour="9"]')
    x, y = _center(nine)
    page.mouse.move(x, y)
    page.mouse.down()
    for hour in (10, 11):
        page.mouse.move(*_center(row.locator(f'button[data-hour="{hour}"]')), steps=4)
    expect(row.locator("td.is-selected")).to_have_count(3)
    page.mouse.up()
    form = page.locator("form", has=page.get_by_label("利用目的"))
    expect(form.get_by_label("施設")).to_have_value(room["id"])
    expect(form.get_by_label("日付")).to_have_value(day.isoformat())
    expect(form.get_by_label("開始")).to_have_value("09:00")
    expect(form.get_by_label("終了")).to_have_value("12:00")
    expect(form.get_by_label("利用目的")).to_be_focused()
    form.get_by_label("利用目的").fill("e2e ドラッグ予約")
    form.get_by_role("button", name="予約", exact=True).click()
    expect(page.locator(".booking-result")).to_contain_text(f"{room['name']}を予約しました")
    booked = _gateway(
        api,
        "query($s: DateTime!, $e: DateTime!) { myReservations(start: $s, end: $e) {"
        " start end purpose facility { id } } }",
        {"s": f"{day}T00:00:00+09:00", "e": f"{day}T23:59:00+09:00"},
    )["myReservations"]
    mine = [r for r in booked if r["purpose"] == "e2e ドラッグ予約"]
    assert len(mine) == 1, booked
    assert mine[0]["facility"]["id"] == room["id"]
    assert datetime.fromisoformat(mine[0]["start"]).astimezone(JAPAN).strftime("%H:%M") == "09:00"
    assert datetime.fromisoformat(mine[0]["end"]).astimezone(JAPAN).strftime("%H:%M") == "12:00"
    # The grid shows the booking where the free hours were.
    expect(row.locator('button[data-hour="10"]')).to_have_count(0)
    expect(row).to_contain_text("09:00–12:00")

    # Keyboard: a free hour, Shift+→ widens the run (announced), Enter opens the form.
    fourteen = row.locator('button[data-hour="14"]')
    fourteen.focus()
    page.keyboard.press("Shift+ArrowRight")
    expect(row.locator("td.is-selected")).to_have_count(2)
    expect(page.locator(".day-grid [role=status]")).to_contain_text("14時〜16時")
    assert _axe(page) == []
    tab.screenshot("spa-facilities-keyboard-selection")
    page.keyboard.press("Enter")
    expect(form.get_by_label("開始")).to_have_value("14:00")
    expect(form.get_by_label("終了")).to_have_value("16:00")
    expect(form.get_by_label("利用目的")).to_be_focused()

    # A period over the booking: the form names it before anything is sent.
    form.get_by_label("開始").fill("11:00")
    collisions = form.locator(".collisions")
    expect(collisions).to_contain_text("09:00–12:00")
    form.get_by_label("開始").fill("12:00")
    expect(collisions).to_have_count(0)
    tab.screenshot("spa-facilities-collision")

    # The group's week: the booking in its day, holidays marked, a day opens from it.
    tab.graphql_posts.clear()
    page.get_by_role("button", name="週", exact=True).click()
    week = page.locator("table.facility-week")
    expect(week).to_be_visible()
    cell = week.locator(f'tr[data-facility="{room["id"]}"] td[data-date="{day}"]')
    expect(cell).to_contain_text("09:00–12:00")
    page.wait_for_timeout(300)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts
    assert _axe(page) == []
    tab.screenshot("spa-facilities-week")
    cell.get_by_role("button", name=re.compile("の予約を開く")).click()
    expect(page.locator("table.facility-grid")).to_be_visible()
    expect(page.locator("#day-grid-title")).to_contain_text(f"{day.month}月{day.day}日")
    tab.watch.assert_clean()


def test_the_week_grid_marks_closed_days_on_a_360_px_phone(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = tab.page
    sign_in_through_spa(tab, yui_server, staff_accounts(yui_server)[1])
    open_facilities(tab, yui_server)
    today = datetime.now(JAPAN).date()
    year = today.year if today <= today.replace(month=12, day=30) else today.year + 1
    page.locator(".facility-tools input[type=date]").fill(f"{year}-12-30")
    expect(page.locator("#day-grid-title")).to_contain_text("閉庁日")
    page.get_by_role("button", name="週", exact=True).click()
    header = page.locator("table.facility-week thead")
    expect(header.locator("th.holiday-closed").first).to_contain_text("閉庁日")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the week grid is {width} px wide on a 360-px screen"
    assert _axe(page) == []
    tab.screenshot("spa-facilities-week-360")
    tab.watch.assert_clean()
