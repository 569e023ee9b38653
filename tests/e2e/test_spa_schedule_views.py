"""The schedule's other views in a real Chromium against `yui serve` with the demo: the
personal month with an event and the holidays, a day opened from it, the address following
the view; an entry's end resized by keyboard and by pointer (checked on the server); the
group week; the people picker by keyboard and the free-slot finder filling in the form; axe
and screenshots on each, the month on a 360-px phone.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import (
    Tab,
    _axe,
    _gateway,
    expect,
    pytestmark,  # noqa: F401 - the same marks: browser, skipped without Chromium
    sign_in_through_spa,
    staff_accounts,
)

browser = test_spa.browser
open_tab = test_spa.open_tab

JAPAN = ZoneInfo("Asia/Tokyo")


def _january() -> date:
    """A January ahead: 元日 and 成人の日 (second Monday) are national holidays in it."""
    today = datetime.now(JAPAN).date()
    return date(today.year + 1, 1, 1)


def _second_monday(year: int) -> date:
    first = date(year, 1, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7)


def _create(someone: YuiClient, title: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    answer = _gateway(
        someone,
        "mutation($input: CreateEventInput!) { createEvent(input: $input) {"
        " event { id version } errors { code message } } }",
        {"input": {"title": title, "start": start, "end": end, **extra}},
    )["createEvent"]
    assert answer["errors"] == [], answer
    return answer["event"]


def _event_end(someone: YuiClient, event_id: str) -> datetime:
    event = _gateway(someone, "query($id: ID!) { event(id: $id) { end } }", {"id": event_id})
    return datetime.fromisoformat(event["event"]["end"]).astimezone(JAPAN)


def _wait_for_end(someone: YuiClient, event_id: str, wanted: datetime, tab: Tab) -> None:
    for _ in range(50):
        if _event_end(someone, event_id) == wanted:
            return
        tab.page.wait_for_timeout(200)
    assert _event_end(someone, event_id) == wanted


def test_month_shows_an_event_and_the_holidays_and_opens_a_day(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    account = staff_accounts(yui_server)[0]
    api = sign_in(account.tenant, account.login_id)
    january = _january()
    coming_of_age = _second_monday(january.year)
    day = coming_of_age + timedelta(days=1)
    title = f"e2e 月間 {uuid.uuid4().hex[:6]}"
    _create(api, title, f"{day}T10:00:00+09:00", f"{day}T11:00:00+09:00")

    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    expect(page.locator("main h1")).to_be_visible()
    page.wait_for_load_state("networkidle")
    tab.graphql_posts.clear()
    page.goto(f"{yui_server.url}/schedule?view=month&date={january.isoformat()}")
    grid = page.locator("table.month-grid")
    expect(grid).to_be_visible()
    expect(page.get_by_role("button", name="個人月間")).to_have_attribute("aria-pressed", "true")
    # The event in its day, the holidays named in theirs, the closed days (年末年始) too.
    expect(grid.locator(f'td[data-date="{day}"]')).to_contain_text(title)
    expect(grid.locator(f'td[data-date="{january}"]')).to_contain_text("元日")
    expect(grid.locator(f'td[data-date="{january}"]')).to_have_class(re.compile("is-holiday"))
    expect(grid.locator(f'td[data-date="{coming_of_age}"]')).to_contain_text("成人の日")
    expect(grid.locator(f'td[data-date="{january + timedelta(days=2)}"]')).to_contain_text("閉庁日")
    page.wait_for_timeout(300)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts
    assert _axe(page) == []
    tab.screenshot("spa-schedule-month")

    # The next month and back by the buttons; the address follows.
    page.get_by_role("button", name="次の月").click()
    expect(grid.locator("caption")).to_contain_text(f"{january.year}年2月")
    page.get_by_role("button", name="前の月").click()
    expect(grid.locator("caption")).to_contain_text(f"{january.year}年1月")
    # A day's number opens the day.
    grid.locator(f'td[data-date="{day}"]').get_by_role(
        "button", name=re.compile("の予定を開く")
    ).click()
    expect(page.get_by_role("button", name="個人日")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("table.week-grid")).to_contain_text(title)
    assert f"date={day}" in page.url and "view=day" in page.url, page.url
    # The address opens the same view again.
    page.reload()
    expect(page.get_by_role("button", name="個人日")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("table.week-grid")).to_contain_text(title)
    tab.watch.assert_clean()


def test_resize_an_entry_by_keyboard_and_by_pointer(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    account = staff_accounts(yui_server)[2]
    api = sign_in(account.tenant, account.login_id)
    today = datetime.now(JAPAN).date()
    day = today + timedelta(days=(7 - today.weekday()) % 7 + 8)  # a Tuesday ahead
    title = f"e2e 伸縮 {uuid.uuid4().hex[:6]}"
    event = _create(api, title, f"{day}T10:00:00+09:00", f"{day}T11:00:00+09:00")
    start = datetime(day.year, day.month, day.day, 10, tzinfo=JAPAN)

    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{yui_server.url}/schedule?view=week&date={day.isoformat()}")
    entry = page.locator("table.week-grid").get_by_role("button", name=re.compile(title))
    expect(entry).to_contain_text("10:00–11:00")

    # Keyboard: Alt+Shift+↓ twice is 30 minutes longer, shown at once, saved once.
    entry.focus()
    page.keyboard.press("Alt+Shift+ArrowDown")
    page.keyboard.press("Alt+Shift+ArrowDown")
    expect(entry).to_contain_text("10:00–11:30")
    expect(page.locator(".schedule > p[role=status]")).to_contain_text("11:30")
    _wait_for_end(api, event["id"], start + timedelta(minutes=90), tab)
    expect(page.locator(".schedule > p[role=status]")).to_contain_text("変更しました")
    expect(entry).to_be_focused()

    # Pointer: the end handle dragged 30 px down is two steps, 30 minutes longer again.
    handle = page.locator(f'[data-resize="{event["id"]}/"]')
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + 15, steps=3)
    page.mouse.move(x, y + 30, steps=3)
    expect(entry).to_contain_text("10:00–12:00")
    page.mouse.up()
    _wait_for_end(api, event["id"], start + timedelta(minutes=120), tab)
    expect(entry).to_contain_text("10:00–12:00")
    # Shorter by keyboard: never before the start plus 15 minutes.
    entry.focus()
    for _ in range(10):
        page.keyboard.press("Alt+Shift+ArrowUp")
    expect(entry).to_contain_text("10:00–10:15")
    _wait_for_end(api, event["id"], start + timedelta(minutes=15), tab)
    assert _axe(page) == []
    tab.screenshot("spa-schedule-resized")

    # A series asks which occurrences the new end is for; "all" gives each the new length.
    wednesday = day + timedelta(days=1)
    series_title = f"e2e 伸縮定例 {uuid.uuid4().hex[:6]}"
    series = _create(
        api,
        series_title,
        f"{wednesday}T15:00:00+09:00",
        f"{wednesday}T16:00:00+09:00",
        rrule="FREQ=WEEKLY;COUNT=3",
    )
    series_start = datetime(wednesday.year, wednesday.month, wednesday.day, 15, tzinfo=JAPAN)
    page.reload()
    occurrence = page.locator("table.week-grid").get_by_role(
        "button", name=re.compile(series_title)
    )
    expect(occurrence).to_contain_text("15:00–16:00")
    occurrence.focus()
    page.keyboard.press("Alt+Shift+ArrowDown")
    scope = page.get_by_role("dialog")
    expect(scope).to_contain_text("16:15")
    assert _axe(page) == []
    tab.screenshot("spa-schedule-resize-scope")
    scope.get_by_role("button", name="すべての予定").click()
    expect(scope).to_be_hidden()
    _wait_for_end(api, series["id"], series_start + timedelta(minutes=75), tab)
    expect(occurrence).to_contain_text("15:00–16:15")
    expect(occurrence).to_be_focused()
    # Escape gives a resize up: nothing changes.
    page.keyboard.press("Alt+Shift+ArrowDown")
    expect(scope).to_be_visible()
    page.keyboard.press("Escape")
    expect(scope).to_be_hidden()
    expect(occurrence).to_contain_text("15:00–16:15")
    assert _event_end(api, series["id"]) == series_start + timedelta(minutes=75)
    tab.watch.assert_clean()


def test_picker_by_keyboard_and_a_free_slot_fills_the_form(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    account = staff_accounts(yui_server)[0]
    api = sign_in(account.tenant, account.login_id)
    me = _gateway(api, "{ me { id department { members { id name } } } }")["me"]
    colleague = next(m for m in me["department"]["members"] if m["id"] != me["id"])
    today = datetime.now(JAPAN).date()
    monday = today + timedelta(days=7 - today.weekday() + 14)

    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{yui_server.url}/schedule?view=week&date={monday.isoformat()}")
    page.get_by_role("button", name="予定を登録").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("件名").fill(f"e2e 空き時間 {uuid.uuid4().hex[:6]}")

    # The picker by keyboard: type, ↓ to the match, Enter adds it (and sends no form).
    search = dialog.get_by_role("combobox", name="参加者を検索")
    search.fill(colleague["name"])
    option = dialog.get_by_role("option", name=re.compile(re.escape(colleague["name"])))
    expect(option).to_be_visible()
    search.press("ArrowDown")
    search.press("Enter")
    picked = dialog.get_by_role("list", name="選択した参加者")
    expect(picked).to_contain_text(colleague["name"])
    expect(dialog).to_be_visible()

    # The free-slot finder: the attendees and I, 60 minutes, a week from that Monday.
    dialog.get_by_text("空き時間を探す").click()
    dialog.get_by_label("所要時間").select_option("60")
    dialog.get_by_label("探す期間(開始)").fill(monday.isoformat())
    dialog.get_by_label("探す期間(終了)").fill((monday + timedelta(days=4)).isoformat())
    dialog.get_by_role("button", name="探す", exact=True).click()
    slots = dialog.get_by_role("list", name="空き時間").get_by_role("button")
    expect(slots.first).to_be_visible()
    expected = _gateway(
        api,
        "query($p: [ID!]!, $s: DateTime!, $e: DateTime!) {"
        " findFreeSlots(personIds: $p, start: $s, end: $e, durationMinutes: 60) { start end } }",
        {
            "p": [me["id"], colleague["id"]],
            "s": f"{monday}T00:00:00+09:00",
            "e": f"{monday + timedelta(days=5)}T00:00:00+09:00",
        },
    )["findFreeSlots"]
    assert expected, "nobody is free in a whole week?"
    expect(slots).to_have_count(len(expected))
    assert _axe(page) == []
    tab.screenshot("spa-schedule-free-slots")
    slots.nth(1 if len(expected) > 1 else 0).click()
    chosen = expected[1 if len(expected) > 1 else 0]
    start = datetime.fromisoformat(chosen["start"]).astimezone(JAPAN)
    end = datetime.fromisoformat(chosen["end"]).astimezone(JAPAN)
    expect(dialog.get_by_label("開始日")).to_have_value(start.date().isoformat())
    expect(dialog.get_by_label("開始時刻")).to_have_value(start.strftime("%H:%M"))
    expect(dialog.get_by_label("終了日")).to_have_value(end.date().isoformat())
    expect(dialog.get_by_label("終了時刻")).to_have_value(end.strftime("%H:%M"))
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    found = _gateway(
        api,
        "query($s: DateTime!, $e: DateTime!) { myEvents(start: $s, end: $e) {"
        " title start attendees { person { id } } } }",
        {"s": chosen["start"], "e": chosen["end"]},
    )["myEvents"]
    made = [o for o in found if o["title"].startswith("e2e 空き時間")]
    assert (
        made
        and made[0]["start"]
        and {a["person"]["id"] for a in made[0]["attendees"]} >= {colleague["id"]}
    ), found
    tab.watch.assert_clean()


def test_group_week_and_the_month_on_a_360_px_phone(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    account = staff_accounts(yui_server)[0]
    api = sign_in(account.tenant, account.login_id)
    groups = _gateway(api, "{ groups { id name members { id name } } }")["groups"]
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{yui_server.url}/schedule?view=month")
    expect(page.locator("table.month-grid")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the month is {width} px wide on a 360-px screen"
    assert _axe(page) == []
    tab.screenshot("spa-schedule-month-360")

    tab.graphql_posts.clear()
    page.get_by_role("button", name="グループ週間").click()
    if not groups:
        expect(page.locator("main")).to_contain_text("グループが登録されていません")
        return
    # The first group's week at once, in one request (the list came with the month).
    expect(page.locator("table.week-grid caption")).to_contain_text(groups[0]["name"])
    page.wait_for_timeout(300)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts
    group = next((g for g in groups if g["members"]), groups[0])
    page.get_by_label("グループ").select_option(group["id"])
    grid = page.locator("table.week-grid")
    expect(grid.locator("caption")).to_contain_text(group["name"])
    expect(grid.locator("tbody tr")).to_have_count(len(group["members"]))
    for member in group["members"][:3]:
        expect(grid.locator(f'tr[data-row="{member["id"]}"] th')).to_contain_text(member["name"])
    assert f"group={group['id']}" in page.url, page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the group week is {width} px wide on a 360-px screen"
    assert _axe(page) == []
    tab.screenshot("spa-schedule-group-week-360")
    tab.watch.assert_clean()


def test_another_municipalitys_group_is_not_shown_by_its_id(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    theirs = staff_accounts(yui_server, "406210")[0]
    their_api = sign_in(theirs.tenant, theirs.login_id)
    their_groups = _gateway(their_api, "{ groups { id name members { name } } }")["groups"]
    if not their_groups:
        # A group of their own, made by their administrator, so there is an ID to try.
        admin = next(a for a in yui_server.accounts if a.tenant == "406210" and a.name is None)
        made = _gateway(
            sign_in(admin.tenant, admin.login_id),
            'mutation { saveGroup(input: {name: "e2e 他団体の班"}) { group { id name } } }',
        )
        their_groups = [{**made["saveGroup"]["group"], "members": []}]
    group = their_groups[0]
    account = staff_accounts(yui_server)[0]
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{yui_server.url}/schedule?view=group&group={group['id']}")
    expect(page.get_by_role("alert")).to_contain_text("このグループは見つかりません")
    # Nothing of theirs: no week, none of their people; the list offers this municipality's.
    expect(page.get_by_label("グループ")).to_have_value("")
    for member in group["members"][:3]:
        expect(page.locator("main")).not_to_contain_text(member["name"])
    expect(page.locator("table.week-grid")).to_have_count(0)
    tab.watch.assert_clean()
