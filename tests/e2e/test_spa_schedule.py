"""The schedule screen (スケジュール) in a real Chromium against `yui serve` with the demo: the
department week (組織週間) from one GraphQL request, a weekly meeting with two colleagues and
a room made through the form, seen live in a colleague's department week, one occurrence
moved by drag & drop and another by keyboard (checked on the server), a room conflict shown
inline in the form, axe without serious violations, a 360-px phone.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
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
    pytestmark,  # noqa: F401 - the same marks: browser, skipped without Chromium
    sign_in_through_spa,
    staff_accounts,
)

# The browser and its tabs, as the portal's tests have them (fixtures shared by reference).
browser = test_spa.browser
open_tab = test_spa.open_tab

JAPAN = ZoneInfo("Asia/Tokyo")


def _next_monday() -> date:
    today = datetime.now(JAPAN).date()
    return today + timedelta(days=7 - today.weekday())


def _open_schedule(tab: Tab, server: YuiServer) -> Any:
    # Let the portal (where signing in lands) finish its own request before counting.
    expect(tab.page.locator("main h1")).to_be_visible()
    tab.page.wait_for_load_state("networkidle")
    tab.graphql_posts.clear()
    response = tab.page.goto(f"{server.url}/schedule")
    assert response is not None and response.status == 200
    grid = tab.page.locator("table.week-grid")
    expect(grid).to_be_visible()
    return grid


def _my_row(tab: Tab, person_id: str) -> Any:
    return tab.page.locator(f'table.week-grid tr[data-row="{person_id}"]')


def _occurrences(someone: YuiClient, event_id: str, start: date, days: int) -> list[dict[str, Any]]:
    return _gateway(
        someone,
        "query($id: ID!, $s: DateTime!, $e: DateTime!) { event(id: $id) {"
        " occurrences(start: $s, end: $e) { start recurrenceId isMoved } } }",
        {
            "id": event_id,
            "s": f"{start.isoformat()}T00:00:00+09:00",
            "e": f"{(start + timedelta(days=days)).isoformat()}T00:00:00+09:00",
        },
    )["event"]["occurrences"]


def _japan_day(instant: str) -> date:
    return datetime.fromisoformat(instant).astimezone(JAPAN).date()


def test_department_week_meeting_with_room_live_moves_and_conflict(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    me_account = staff_accounts(yui_server)[0]
    me_api = sign_in(me_account.tenant, me_account.login_id)
    me = _gateway(me_api, "{ me { id name department { id members { id name } } } }")["me"]
    colleagues = [m for m in me["department"]["members"] if m["id"] != me["id"]]
    assert len(colleagues) >= 2, "the demo person needs two colleagues in their department"
    watcher, watcher_password = colleague_of(yui_server, me_api, sign_in)
    # A room anyone may book without approval, open at 13:15-14:00 on Tuesdays.
    groups = _gateway(
        me_api,
        "{ facilityGroups { facilities { id name needsApproval allowedDepartmentIds"
        " bookableWeekdays openTime closeTime } } }",
    )["facilityGroups"]
    room = next(
        f
        for g in groups
        for f in g["facilities"]
        if not f["needsApproval"]
        and not f["allowedDepartmentIds"]
        and (not f["bookableWeekdays"] or 1 in f["bookableWeekdays"])
        and (f["openTime"] or "00:00") <= "13:15"
        and (f["closeTime"] or "23:59") >= "14:00"
    )

    # The department week: one request, a row per colleague and the department's own row.
    mine = open_tab()
    sign_in_through_spa(mine, yui_server, me_account)
    grid = _open_schedule(mine, yui_server)
    page = mine.page
    for colleague in colleagues[:3]:
        expect(
            grid.get_by_role("rowheader", name=re.compile(re.escape(colleague["name"])))
        ).to_be_visible()
    expect(grid.locator("tbody tr")).to_have_count(len(me["department"]["members"]) + 1)
    page.wait_for_timeout(300)  # a straggling request would show up now
    assert len(mine.graphql_posts) == 1, mine.graphql_posts
    assert "organization" in mine.graphql_posts[0] or "department" in mine.graphql_posts[0]
    assert _axe(page) == []
    mine.screenshot("spa-schedule-department-week")

    # A colleague watches their own department week, the week of the meeting.
    theirs = open_tab()
    sign_in_through_spa(theirs, yui_server, watcher, watcher_password)
    _open_schedule(theirs, yui_server)
    theirs.page.get_by_role("button", name="次の週").click()
    monday = _next_monday()
    expect(theirs.page.locator("table.week-grid thead")).to_contain_text(
        f"{monday.month}/{monday.day}"
    )

    # The weekly meeting through the form: Tuesdays of next week for four weeks.
    tuesday = monday + timedelta(days=1)
    title = f"e2e 定例会議 {uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name="次の週").click()
    page.get_by_role("button", name="予定を登録").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("件名").fill(title)
    dialog.get_by_label("開始日").fill(tuesday.isoformat())
    dialog.get_by_label("開始時刻").fill("13:15")
    dialog.get_by_label("終了日").fill(tuesday.isoformat())
    dialog.get_by_label("終了時刻").fill("14:00")
    # 和暦 next to the date.
    expect(dialog).to_contain_text("令和")
    dialog.get_by_label("繰り返しの種類").select_option("WEEKLY")
    # Weekly on the weekday of the start, which the form chose by itself.
    expect(dialog.get_by_role("checkbox", name="火", exact=True)).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="金", exact=True)).not_to_be_checked()
    dialog.get_by_label("終了日(繰り返し)").fill((tuesday + timedelta(days=21)).isoformat())
    for colleague in colleagues[:2]:
        dialog.get_by_label("参加者を検索").fill(colleague["name"])
        dialog.get_by_role("option", name=re.compile(re.escape(colleague["name"]))).click()
    expect(dialog.get_by_role("list", name="選択した参加者").get_by_role("listitem")).to_have_count(
        2
    )
    dialog.get_by_label(room["name"], exact=True).check()
    assert _axe(page) == []
    mine.screenshot("spa-schedule-form")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()

    my_row = _my_row(mine, me["id"])
    expect(my_row.get_by_role("button", name=re.compile(re.escape(title)))).to_have_count(1)
    for colleague in colleagues[:2]:
        expect(
            _my_row(mine, colleague["id"]).get_by_role("button", name=re.compile(re.escape(title)))
        ).to_have_count(1)

    # Live at the colleague's, without reloading their page.
    try:
        expect(theirs.page.locator("table.week-grid")).to_contain_text(title, timeout=10_000)
    except AssertionError:
        pytest.fail(
            f"the colleague's week did not show the meeting; it received {theirs.frames_received}"
            f"\n--- server log ---\n{yui_server.log_tail()}",
            pytrace=False,
        )
    theirs.screenshot("spa-schedule-colleague-live")
    # Presence next to the names is live too.
    status = _gateway(
        me_api,
        'mutation { setMyPresence(input: {status: TRIP, message: "e2e"}) {'
        " errors { code } presence { status } } }",
    )["setMyPresence"]
    assert status["errors"] == [], status
    expect(_my_row(theirs, me["id"]).locator("th")).to_contain_text("出張", timeout=10_000)

    found = _gateway(
        me_api,
        "query($s: DateTime!, $e: DateTime!) { me { events(start: $s, end: $e) {"
        " eventId title isRecurring attendees { person { id } } event { rrule reservations"
        " { facility { id } } } } } }",
        {"s": f"{monday}T00:00:00+09:00", "e": f"{monday + timedelta(days=7)}T00:00:00+09:00"},
    )["me"]["events"]
    meeting = next(o for o in found if o["title"] == title)
    assert meeting["isRecurring"] and "FREQ=WEEKLY" in meeting["event"]["rrule"], meeting
    assert {a["person"]["id"] for a in meeting["attendees"]} >= {c["id"] for c in colleagues[:2]}
    assert {r["facility"]["id"] for r in meeting["event"]["reservations"]} == {room["id"]}
    event_id = meeting["eventId"]

    # Drag & drop: this week's occurrence from Tuesday to Wednesday.
    entry = my_row.get_by_role("button", name=re.compile(re.escape(title)))
    wednesday_cell = my_row.locator(f'td[data-date="{(tuesday + timedelta(days=1)).isoformat()}"]')
    entry.drag_to(wednesday_cell)
    expect(wednesday_cell.get_by_role("button", name=re.compile(re.escape(title)))).to_have_count(1)
    expect(page.locator(".schedule > p[role=status]")).to_contain_text("移動しました")
    occurrences = _occurrences(me_api, event_id, monday, 28)
    assert [_japan_day(o["start"]) for o in occurrences][:2] == [
        tuesday + timedelta(days=1),
        tuesday + timedelta(days=7),
    ], occurrences
    assert occurrences[0]["isMoved"] and not occurrences[1]["isMoved"]

    # Keyboard: the following week's occurrence, Alt+→ moves it to Wednesday, the focus stays.
    page.get_by_role("button", name="次の週").click()
    following = tuesday + timedelta(days=7)
    expect(page.locator("table.week-grid thead")).to_contain_text(
        f"{following.month}/{following.day}"
    )
    entry = my_row.get_by_role("button", name=re.compile(re.escape(title)))
    entry.focus()
    page.keyboard.press("Alt+ArrowRight")
    moved_cell = my_row.locator(f'td[data-date="{(following + timedelta(days=1)).isoformat()}"]')
    moved = moved_cell.get_by_role("button", name=re.compile(re.escape(title)))
    expect(moved).to_have_count(1)
    expect(moved).to_be_focused()
    expect(page.locator(".schedule > p[role=status]")).to_contain_text("移動しました")
    occurrences = _occurrences(me_api, event_id, monday, 28)
    assert [_japan_day(o["start"]) for o in occurrences][:3] == [
        tuesday + timedelta(days=1),
        following + timedelta(days=1),
        following + timedelta(days=7),
    ], occurrences
    mine.screenshot("spa-schedule-moved")

    # A second meeting in the same room at the same time on the third Tuesday: the form says
    # inline which room is taken when.
    third = tuesday + timedelta(days=14)
    page.get_by_role("button", name="予定を登録").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("件名").fill(f"{title} 重複")
    dialog.get_by_label("開始日").fill(third.isoformat())
    dialog.get_by_label("開始時刻").fill("13:30")
    dialog.get_by_label("終了日").fill(third.isoformat())
    dialog.get_by_label("終了時刻").fill("14:30")
    dialog.get_by_label(room["name"], exact=True).check()
    dialog.get_by_role("button", name="保存").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text(room["name"])
    expect(alert).to_contain_text("13:30–14:30")  # the period the room was asked for
    expect(dialog.locator(".room-problem")).to_be_visible()
    mine.screenshot("spa-schedule-room-conflict")
    assert _axe(page) == []
    dialog.get_by_role("button", name="閉じる").click()
    expect(dialog).to_be_hidden()
    # The focus is back on what opened the form.
    expect(page.get_by_role("button", name="予定を登録")).to_be_focused()

    # A series asks what a change is for: the third Tuesday alone gets its own title ...
    page.get_by_role("button", name="次の週").click()
    expect(page.locator("table.week-grid thead")).to_contain_text(f"{third.month}/{third.day}")
    my_row.get_by_role("button", name=re.compile(re.escape(title))).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("radio", name="この予定のみ")).to_be_checked()
    dialog.get_by_label("件名").fill(f"{title} 拡大版")
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    expect(
        my_row.get_by_role("button", name=re.compile(re.escape(f"{title} 拡大版")))
    ).to_have_count(1)
    # ... and deleting "this and following" from the fourth Tuesday ends the series before it.
    page.get_by_role("button", name="次の週").click()
    fourth = tuesday + timedelta(days=21)
    expect(page.locator("table.week-grid thead")).to_contain_text(f"{fourth.month}/{fourth.day}")
    my_row.get_by_role("button", name=re.compile(re.escape(title))).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name="これ以降の予定").check()
    dialog.get_by_role("button", name="削除").click()
    expect(dialog).to_be_hidden()
    expect(my_row.get_by_role("button", name=re.compile(re.escape(title)))).to_have_count(0)
    titles = [
        o["title"]
        for o in _gateway(
            me_api,
            "query($id: ID!, $s: DateTime!, $e: DateTime!) { event(id: $id) {"
            " occurrences(start: $s, end: $e) { title } } }",
            {
                "id": event_id,
                "s": f"{monday}T00:00:00+09:00",
                "e": f"{monday + timedelta(days=35)}T00:00:00+09:00",
            },
        )["event"]["occurrences"]
    ]
    assert titles == [title, title, f"{title} 拡大版"], titles

    for tab in (mine, theirs):
        tab.watch.assert_clean()


def test_schedule_on_a_360_px_phone(yui_server: YuiServer, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(tab, yui_server, staff_accounts(yui_server)[0])
    _open_schedule(tab, yui_server)
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the schedule is {width} px wide on a 360-px screen"
    tab.screenshot("spa-schedule-department-360")
    assert _axe(tab.page) == []
    tab.page.get_by_role("button", name="個人週間").click()
    expect(tab.page.locator("table.week-grid caption")).to_contain_text("さんの予定")
    tab.screenshot("spa-schedule-360")
    assert _axe(tab.page) == []
    tab.page.get_by_role("button", name="予定を登録").click()
    expect(tab.page.get_by_role("dialog")).to_be_visible()
    tab.screenshot("spa-schedule-form-360")
    assert _axe(tab.page) == []

    # The municipality's closed days (年末年始 by default) are marked in the week.
    today = datetime.now(JAPAN).date()
    closed = (
        date(today.year, 12, 30)
        if today <= date(today.year, 12, 30)
        else date(today.year + 1, 12, 30)
    )
    tab.page.goto(f"{yui_server.url}/schedule?date={closed.isoformat()}")
    header = tab.page.locator("table.week-grid thead")
    expect(header.locator("th.holiday-closed").first).to_contain_text("閉庁日")
    expect(header).to_contain_text(f"{closed.month}/{closed.day}")
    tab.watch.assert_clean()


def test_a_concurrent_post_department_week_in_one_request(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    # 清水 七夏 of 苅田町 holds a second post (兼務): its week is one choice away, one request.
    account = staff_accounts(yui_server, "406210")[0]
    api = sign_in(account.tenant, account.login_id)
    other = _gateway(api, "{ me { additionalDepartments { id name members { id name } } } }")["me"][
        "additionalDepartments"
    ]
    assert other, "the demo's 兼務 person has no second department"
    second = other[0]
    tab = open_tab()
    sign_in_through_spa(tab, yui_server, account)
    grid = _open_schedule(tab, yui_server)
    tab.graphql_posts.clear()
    tab.page.get_by_label("部署").select_option(second["id"])
    expect(grid.locator("caption")).to_contain_text(second["name"])
    expect(grid.locator("tbody tr")).to_have_count(len(second["members"]) + 1)
    for member in second["members"][:3]:
        expect(grid.locator(f'tr[data-row="{member["id"]}"] th')).to_contain_text(member["name"])
    tab.page.wait_for_timeout(300)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts
    assert _axe(tab.page) == []
    tab.watch.assert_clean()
