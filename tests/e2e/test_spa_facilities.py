"""Facilities (施設予約) in a real Chromium against `yui serve` with the demo: the group's day
grid from one request, booking by the form (a free hour of the grid fills it in), the same
period again shown as a conflict inline, my bookings, the approval queue of a 施設管理者 with
its count live and a decision, axe, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import (
    Tab,
    _axe,
    _gateway,
    colleague_of,
    expect,
    sign_in_through_spa,
    staff_accounts,
)

# The portal tests' fixtures: one Chromium for this module, a tab per browser context.
browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]


def _weekday_ahead(days: int) -> date:
    day = datetime.now(ZoneInfo("Asia/Tokyo")).date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def open_facilities(tab: Tab, server: YuiServer) -> None:
    expect(tab.page.locator("main h1")).to_be_visible()
    tab.page.wait_for_timeout(300)
    tab.graphql_posts.clear()
    tab.page.goto(f"{server.url}/facilities")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text(re.compile("施設予約"))
    expect(tab.page.locator("table.facility-grid")).to_be_visible()
    tab.page.wait_for_timeout(300)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts


def test_book_by_the_form_and_see_a_conflict_inline(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    account = staff_accounts(yui_server)[1]
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    open_facilities(tab, yui_server)
    room_row = page.locator("table.facility-grid tbody tr").first
    room = room_row.locator("th").inner_text().split("\n")[0].split(" ")[0]
    # A free hour of the grid fills in the form (keyboard: a button per free hour).
    room_row.get_by_role("button", name=re.compile("13時から予約")).click()
    form = page.locator("form", has=page.get_by_label("利用目的"))
    expect(form.get_by_label("開始")).to_have_value("13:00")
    day = _weekday_ahead(9)
    form.get_by_label("日付").fill(day.isoformat())
    form.get_by_label("開始").fill("13:00")
    form.get_by_label("終了").fill("14:00")
    form.get_by_label("利用目的").fill("e2e 打合せ")
    form.get_by_role("button", name="予約", exact=True).click()
    result = page.locator(".booking-result")
    expect(result).to_contain_text(f"{room}を予約しました")
    expect(page.locator("section[aria-labelledby=mine-title]")).to_contain_text(room)

    # The same period again: the booking in the way is named, nothing is booked.
    form.get_by_label("利用目的").fill("e2e 重複")
    form.get_by_role("button", name="予約", exact=True).click()
    expect(result).to_contain_text("その時間は予約が入っています。")
    expect(result).to_contain_text("13:00–14:00")
    tab.screenshot("spa-facilities-conflict")
    assert _axe(page) == []
    tab.watch.assert_clean()


def test_approval_queue_count_live_and_approve(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    decider = staff_accounts(yui_server)[0]
    decider_api = sign_in(decider.tenant, decider.login_id)
    colleague, password = colleague_of(yui_server, decider_api, sign_in)
    booker = YuiClient(yui_server)
    assert booker.login(colleague, password).status_code == 200
    groups = _gateway(booker, "{ facilityGroups { facilities { id name } } }")["facilityGroups"]
    room = next(f for g in groups for f in g["facilities"] if f["name"] == "大会議室")

    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, decider)
    open_facilities(tab, yui_server)
    badge = page.locator(".approval .count")
    expect(badge).to_have_text(re.compile(r"^\d+$"))
    page.get_by_role("button", name=re.compile("承認待ち")).click()
    expect(page.get_by_role("heading", name="承認待ちの仮予約")).to_be_visible()
    before = int(badge.inner_text())

    day = _weekday_ahead(10)
    mutation = (
        "mutation($input: CreateReservationInput!) { createReservation(input: $input) {"
        " __typename ... on ReservationPayload { reservation { id status } } } }"
    )
    booked = None
    # The page subscribes after its first answer: book until the count moves (events are hints).
    for hour in range(9, 16):
        booked = _gateway(
            booker,
            mutation,
            {
                "input": {
                    "facilityId": room["id"],
                    "start": f"{day.isoformat()}T{hour:02d}:00:00+09:00",
                    "end": f"{day.isoformat()}T{hour:02d}:30:00+09:00",
                    "purpose": "e2e 承認待ち",
                }
            },
        )["createReservation"]
        assert booked["__typename"] == "ReservationPayload", booked
        try:
            expect(badge).not_to_have_text(str(before), timeout=2_000)
            break
        except AssertionError:
            continue
    waiting = int(badge.inner_text())
    assert waiting > before
    item = page.locator(".queue li", has_text="e2e 承認待ち").first
    expect(item).to_be_visible()
    tab.screenshot("spa-facilities-queue")
    assert _axe(page) == []
    ours = page.locator(".queue li", has_text="e2e 承認待ち")
    listed = ours.count()
    item.get_by_role("button", name="承認").click()
    # Decided: it leaves the queue with the mutation's answer, and the badge follows the
    # server's count by the subscription (with Redis an event may trail the one before it).
    expect(ours).to_have_count(listed - 1)
    remaining = _gateway(decider_api, "{ pendingReservationCount }")["pendingReservationCount"]
    assert remaining < waiting
    expect(badge).to_have_text(str(remaining), timeout=10_000)
    booker.close()
    tab.watch.assert_clean()


def test_facilities_on_a_360_px_phone(yui_server: YuiServer, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(tab, yui_server, staff_accounts(yui_server)[1])
    open_facilities(tab, yui_server)
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"facilities are {width} px wide on a 360-px screen"
    tab.screenshot("spa-facilities-360")
    assert _axe(tab.page) == []
    tab.watch.assert_clean()
