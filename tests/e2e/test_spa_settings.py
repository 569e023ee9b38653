"""Settings (設定) in a real Chromium against `yui serve` with the demo: changing my password
(the wrong current one refused in Japanese, a weak one too, then the new one signs in), a
personal access token shown once that works as a Bearer token until revoked, a calendar feed
URL that is absolute and stops on revocation, axe, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import DemoAccount, YuiClient, YuiServer
from tests.e2e.test_spa import Tab, _axe, expect, sign_in_through_spa, staff_accounts

# The portal tests' fixtures: one Chromium for this module, a tab per browser context.
browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]

FIRST_PASSWORD = "yui-e2e-settings-first-1"
NEW_PASSWORD = "yui-e2e-settings-second-2"


def _settled(tab: Tab) -> None:
    tab.page.wait_for_timeout(300)


def open_settings(tab: Tab, server: YuiServer) -> None:
    expect(tab.page.locator("main h1")).to_be_visible()
    _settled(tab)
    tab.graphql_posts.clear()
    tab.page.goto(f"{server.url}/settings")
    expect(tab.page.get_by_role("heading", level=1)).to_have_text("設定")
    expect(tab.page.get_by_role("heading", name="作成したトークン")).to_be_visible()
    _settled(tab)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts


def someone_of_our_own(
    server: YuiServer, sign_in: Callable[[str, str], YuiClient], password: str
) -> DemoAccount:
    """A staff member no other test signs in as (not a demo account, not of the first demo
    person's department), with a password the tenant administrator sets now."""
    admin = sign_in("402125", "admin")
    demo = {a.login_id for a in staff_accounts(server)}
    first = staff_accounts(server)[0]
    theirs = sign_in(first.tenant, first.login_id).data("{ me { department { id } } }")
    department = theirs["me"]["department"]["id"]
    people = admin.data("{ people(first: 200) { nodes { id loginId name department { id } } } }")[
        "people"
    ]["nodes"]
    person = next(
        p
        for p in reversed(people)
        if p["loginId"] not in demo
        and p["loginId"] != "admin"  # the administrator signs in to reset it
        and p["department"] is not None
        and p["department"]["id"] != department
    )
    reset = admin.data(
        # Not forced to change it at sign-in: the test changes it in the settings.
        "mutation($id: ID!, $pw: String) { resetPassword(personId: $id, newPassword: $pw,"
        " requirePasswordChange: false) { ok errors { code } } }",
        {"id": person["id"], "pw": password},
    )["resetPassword"]
    assert reset["ok"], reset
    return DemoAccount("402125", "okawa", person["loginId"], password, person["name"], "")


def test_change_password_refusals_in_japanese_then_sign_in_with_the_new_one(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    account = someone_of_our_own(yui_server, sign_in, FIRST_PASSWORD)
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    open_settings(tab, yui_server)
    form = page.locator("form", has=page.get_by_label("現在のパスワード"))
    message = form.get_by_role("status")

    form.get_by_label("現在のパスワード").fill("not-my-password")
    form.get_by_label("新しいパスワード", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("新しいパスワード(確認)").fill(NEW_PASSWORD)
    form.get_by_role("button", name="パスワードを変更").click()
    expect(message).to_have_text("現在のパスワードが正しくありません。")
    expect(form.get_by_label("現在のパスワード")).to_have_attribute("aria-invalid", "true")
    tab.screenshot("spa-settings-wrong-password")

    form.get_by_label("現在のパスワード").fill(FIRST_PASSWORD)
    form.get_by_label("新しいパスワード", exact=True).fill("1234")
    form.get_by_label("新しいパスワード(確認)").fill("1234")
    form.get_by_role("button", name="パスワードを変更").click()
    expect(message).to_contain_text("パスワードが弱すぎます")

    form.get_by_label("新しいパスワード", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("新しいパスワード(確認)").fill(NEW_PASSWORD + "x")
    form.get_by_role("button", name="パスワードを変更").click()
    expect(message).to_have_text("新しいパスワードが確認欄と一致しません。")

    form.get_by_label("新しいパスワード(確認)").fill(NEW_PASSWORD)
    form.get_by_role("button", name="パスワードを変更").click()
    expect(message).to_contain_text("パスワードを変更しました")
    expect(form.get_by_label("現在のパスワード")).to_have_value("")

    # This session stays signed in; the old password no longer signs in, the new one does.
    page.get_by_role("button", name="サインアウト").click()
    expect(page).to_have_url(f"{yui_server.url}/login")
    assert YuiClient(yui_server).login(account, FIRST_PASSWORD).status_code == 401
    sign_in_through_spa(tab, yui_server, account, NEW_PASSWORD)
    expect(page.locator("main h1")).to_contain_text(account.name or "")
    # The browser logs nothing for these; the sign-in's own 401 came from httpx, not the page.
    tab.watch.assert_clean()


def _bearer_me(server: YuiServer, token: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/graphql",
        json={"query": "{ me { loginId } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
        trust_env=False,
    )


def test_access_token_shown_once_works_as_bearer_until_revoked(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    account = staff_accounts(yui_server)[1]
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    open_settings(tab, yui_server)
    page.get_by_label("名前(用途)").fill("e2e 集計ダッシュボード")
    page.get_by_label("有効期間").select_option("30")
    page.get_by_role("button", name="トークンを作成").click()
    created = page.locator("section.secret")
    expect(created).to_contain_text("今しか表示されません")
    token = created.get_by_label("トークン", exact=True).input_value()
    assert len(token) >= 20, token
    expect(created.get_by_role("button", name="コピー")).to_be_visible()
    row = page.locator("table.tokens tr", has_text="e2e 集計ダッシュボード")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("有効")
    tab.screenshot("spa-settings-token")
    assert _axe(page) == []

    answer = _bearer_me(yui_server, token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["me"]["loginId"] == account.login_id, answer.text

    # Shown once: a fresh load lists the token but never shows it again.
    page.reload()
    expect(row).to_have_count(1)
    expect(page.locator("section.secret")).to_have_count(0)
    assert token not in page.content()

    row.get_by_role("button", name="取り消す").click()
    expect(row.locator("fieldset")).to_contain_text("すぐに使えなくなります")
    expect(row.get_by_role("button", name="やめる")).to_be_focused()
    row.get_by_role("button", name="やめる").click()
    expect(row).to_contain_text("有効")
    row.get_by_role("button", name="取り消す").click()
    row.locator("fieldset").get_by_role("button", name="取り消す").click()
    expect(row).to_contain_text("取消済み")
    revoked = _bearer_me(yui_server, token)
    assert revoked.status_code == 401 or not (revoked.json().get("data") or {}).get("me"), (
        revoked.text
    )
    tab.watch.console_errors = [e for e in tab.watch.console_errors if "401" not in e]
    tab.watch.assert_clean()


def test_calendar_feed_url_is_absolute_and_stops_when_revoked(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    account = staff_accounts(yui_server)[1]
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    open_settings(tab, yui_server)
    feeds_before = page.locator(".feeds li").count()
    page.get_by_role("button", name="購読URLを発行").click()
    url = page.get_by_label("購読URL").input_value()
    assert re.fullmatch(rf"{re.escape(yui_server.url)}/calendar/feed/[^/]+\.ics", url), url
    assert url.startswith("http://127.0.0.1:"), url
    feed = httpx.get(url, timeout=30.0, trust_env=False)
    assert feed.status_code == 200 and "BEGIN:VCALENDAR" in feed.text, feed.status_code
    expect(page.locator(".feeds li")).to_have_count(feeds_before + 1)
    newest = page.locator(".feeds li", has=page.get_by_role("button", name="取り消す")).last
    newest.get_by_role("button", name="取り消す").click()
    newest.locator("fieldset").get_by_role("button", name="取り消す").click()
    expect(page.locator(".feeds li").last).to_contain_text("取消済み")
    assert httpx.get(url, timeout=30.0, trust_env=False).status_code == 404
    tab.watch.assert_clean()


ICS_PASSWORD = "yui-e2e-settings-ics-3"


def _ics(*events: str) -> bytes:
    body = "".join(events)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//e2e//JA\r\n" + body + "END:VCALENDAR\r\n"
    ).encode()


def test_an_ics_file_is_imported_all_or_nothing_from_the_settings(
    yui_server: YuiServer,
    open_tab: Callable[..., Tab],
    sign_in: Callable[[str, str], YuiClient],
) -> None:
    account = someone_of_our_own(yui_server, sign_in, ICS_PASSWORD)
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    open_settings(tab, yui_server)
    section = page.locator(
        "section", has=page.get_by_role("heading", name="予定の取り込み(iCalendar)")
    )
    file_field = section.get_by_label(".ics ファイル")
    uid = f"e2e-{uuid.uuid4()}@example.lg.jp"
    good = (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART;TZID=Asia/Tokyo:20270115T100000\r\n"
        "DTEND;TZID=Asia/Tokyo:20270115T110000\r\nSUMMARY:取り込んだ打合せ\r\nEND:VEVENT\r\n"
    )
    broken = "BEGIN:VEVENT\r\nUID:no-start@example.lg.jp\r\nSUMMARY:開始なし\r\nEND:VEVENT\r\n"

    # One bad event refuses the whole file, naming the problem; the good one is not made.
    file_field.set_input_files(
        {"name": "予定.ics", "mimeType": "text/calendar", "buffer": _ics(good, broken)}
    )
    section.get_by_role("button", name="取り込む").click()
    expect(section.get_by_role("status")).to_contain_text("何も取り込みませんでした")
    expect(section.locator(".ics-problems li")).not_to_have_count(0)
    tab.screenshot("spa-settings-ics-refused")
    assert _axe(page) == []

    file_field.set_input_files(
        {"name": "予定.ics", "mimeType": "text/calendar", "buffer": _ics(good)}
    )
    section.get_by_role("button", name="取り込む").click()
    expect(section.get_by_role("status")).to_contain_text("1件の予定を取り込みました")
    # The same file again: already here, skipped, nothing made twice.
    section.get_by_role("button", name="取り込む").click()
    expect(section.get_by_role("status")).to_contain_text("0件の予定を取り込みました")
    expect(section.get_by_role("status")).to_contain_text("飛ばしたもの 1件")
    tab.screenshot("spa-settings-ics-imported")
    tab.watch.assert_clean()


def test_settings_on_a_360_px_phone(yui_server: YuiServer, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sign_in_through_spa(tab, yui_server, staff_accounts(yui_server)[1])
    open_settings(tab, yui_server)
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"settings are {width} px wide on a 360-px screen"
    tab.screenshot("spa-settings-360")
    assert _axe(tab.page) == []
    tab.watch.assert_clean()
