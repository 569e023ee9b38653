"""The audit screen (監査ログ) in a real Chromium against `yui serve` with the demo: a failed
sign-in and a role change made over HTTP show up for okawa's administrator — who, from
where, what, before → after — found by keyboard alone through the actor and kind filters,
paged, and downloaded as the CP932 CSV; kanda's records never; axe, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable

import httpx
import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import Tab, _axe, _gateway, expect
from tests.e2e.test_spa_admin_people import admin_account, open_admin, sign_in_through_spa

browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]


def fail_sign_in(server: YuiServer, tenant: str, login_id: str) -> None:
    response = httpx.post(
        f"{server.url}/auth/login",
        json={"tenant": tenant, "loginId": login_id, "password": "not-the-password"},
    )
    assert response.status_code in {401, 429}


def test_administrator_finds_records_by_keyboard_and_downloads_them(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    # A failed sign-in in okawa under a login ID nobody has, and one in kanda under the same.
    fail_sign_in(yui_server, "402125", "e2e-audit-nobody")
    fail_sign_in(yui_server, "406210", "e2e-audit-nobody")
    admin_api = sign_in("402125", "admin")
    staff = _gateway(admin_api, '{ people(search: "0468772", first: 1) { nodes { id name } } }')
    person = staff["people"]["nodes"][0]
    for roles in ("[FACILITY_ADMIN]", "[]"):
        _gateway(
            admin_api,
            f'mutation {{ setRoles(input: {{personId: "{person["id"]}", roles: {roles}}}) '
            "{ errors { code } } }",
        )

    tab = open_tab(accept_downloads=True)
    page = tab.page
    account = admin_account(yui_server)
    sign_in_through_spa(tab, yui_server, account, account.password)
    open_admin(tab, yui_server, "/admin/audit", "監査ログ")
    expect(page.get_by_role("heading", name=re.compile(r"件中 1〜"))).to_be_visible()
    assert _axe(page) == []

    # The role changes, newest first, each with its before → after.
    rows = page.get_by_role("row").filter(has_text="権限の変更")
    expect(rows.first).to_contain_text("facility_admin")
    expect(rows.first).to_contain_text("admin")

    # By keyboard: the actor field, then the kind of action, then "show".
    page.get_by_label("操作者(ログインIDまたは氏名)").focus()
    page.keyboard.type("e2e-audit-nobody")
    page.keyboard.press("Tab")
    expect(page.get_by_label("操作の種類")).to_be_focused()
    page.get_by_label("操作の種類").select_option(label="サインイン")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="表示", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", name=re.compile(r"^1件中"))
    expect(heading).to_be_focused()
    [row] = page.get_by_role("row").filter(has_text="サインイン失敗").all()
    expect(row).to_contain_text("e2e-audit-nobody")
    expect(row).to_contain_text("127.0.0.1")
    tab.screenshot("spa-admin-audit-filtered")
    assert _axe(page) == []

    with page.expect_download() as download:
        page.get_by_role("button", name="CSVをダウンロード(Excel用)").click()
    raw = download.value.path().read_bytes()
    table = list(csv.reader(io.StringIO(raw.decode("cp932"))))
    assert table[0][:5] == ["番号", "日時", "操作者", "アドレス", "操作"]
    # Only okawa's record, though kanda has one naming the same login ID.
    assert [r[4] for r in table[1:]] == ["signin.failed"]
    assert "e2e-audit-nobody" in table[1][7]
    expect(page.get_by_role("status").filter(has_text="ダウンロードしました")).to_be_visible()

    # An end before the start is said at once and not sent.
    page.get_by_label("開始日").fill("2026-04-02")
    page.get_by_label("終了日").fill("2026-04-01")
    expect(page.get_by_role("alert")).to_have_text("終了日は開始日以降にしてください。")
    expect(page.get_by_role("button", name="表示", exact=True)).to_be_disabled()
    tab.watch.assert_clean()


def test_pages_of_the_trail_follow_each_other_by_keyboard(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    # More than a page of token records (made and revoked again: 52 records), made over
    # HTTP rather than by failed sign-ins, which the throttle would count against the address.
    admin_api = sign_in("402125", "admin")
    for index in range(26):
        made = _gateway(
            admin_api,
            f'mutation {{ createAccessToken(name: "e2e-audit-{index}") {{ accessToken {{ id }} }} }}',
        )
        token_id = made["createAccessToken"]["accessToken"]["id"]
        _gateway(
            admin_api,
            f'mutation {{ revokeAccessToken(id: "{token_id}") {{ accessToken {{ id }} }} }}',
        )
    tab = open_tab()
    page = tab.page
    account = admin_account(yui_server)
    sign_in_through_spa(tab, yui_server, account, account.password)
    page.goto(f"{yui_server.url}/admin/audit")
    page.get_by_label("操作の種類").select_option(label="アクセストークン")
    page.get_by_role("button", name="表示", exact=True).press("Enter")
    first_page = page.get_by_role("heading", name=re.compile(r"件中 1〜50件目"))
    expect(first_page).to_be_focused()
    older = page.get_by_role("button", name="古い記録へ")
    older.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"件中 51〜"))).to_be_focused()
    expect(page.get_by_role("row").filter(has_text="アクセストークンの").first).to_be_visible()
    page.get_by_role("button", name="新しい記録へ").focus()
    page.keyboard.press("Enter")
    expect(first_page).to_be_focused()
    tab.watch.assert_clean()


def test_administrator_hands_a_leavers_mailbox_over_by_keyboard(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    # A colleague of the test's own, so that no demo account leaves.
    admin_api = sign_in("402125", "admin")
    made = _gateway(
        admin_api,
        'mutation { createPerson(input: {loginId: "e2e-leaver", name: "退職 予定子", '
        'email: "leaver@example.jp", extension: "9999"}) { person { id } errors { code } } }',
    )
    leaver_id = made["createPerson"]["person"]["id"]
    _gateway(
        admin_api, f'mutation {{ deactivatePerson(id: "{leaver_id}") {{ errors {{ code }} }} }}'
    )
    successor = yui_server.account("402125", "0520529")

    tab = open_tab()
    page = tab.page
    account = admin_account(yui_server)
    sign_in_through_spa(tab, yui_server, account, account.password)
    open_admin(tab, yui_server, "/admin/leavers", "退職者")
    item = page.get_by_role("listitem").filter(has_text="退職 予定子(退職)").first
    expect(item).to_contain_text("個人データ削除予定")
    expect(item).to_contain_text("メールボックス: 未定")
    assert _axe(page) == []

    # Hand over by keyboard: the successor found by the people picker, then decide.
    group = page.get_by_role("form", name="退職 予定子 さんの個人メールボックス")
    expect(group.get_by_label("後任者に引き継ぐ")).to_be_checked()
    search = group.get_by_label("退職 予定子 さんの後任者を検索")
    search.focus()
    successor_name = _gateway(
        admin_api, f'{{ people(search: "{successor.login_id}", first: 1) {{ nodes {{ name }} }} }}'
    )["people"]["nodes"][0]["name"]
    page.keyboard.type(successor.login_id)
    expect(page.get_by_role("option", name=re.compile(re.escape(successor_name)))).to_be_visible()
    page.keyboard.press("Enter")
    expect(group.get_by_role("list", name="後任者")).to_contain_text(successor_name)
    group.get_by_role("button", name="決定").focus()
    page.keyboard.press("Enter")
    expect(item).to_contain_text(f"メールボックス: {successor_name} さんに引継ぎ")
    tab.screenshot("spa-admin-leavers")
    assert _axe(page) == []

    # What is kept and why, behind a disclosure a keyboard opens.
    page.get_by_text("削除したもの・残すものと理由").first.focus()
    page.keyboard.press("Enter")
    expect(item).to_contain_text("監査ログは追記のみ")
    tab.watch.assert_clean()


def test_audit_screen_on_a_360_px_phone_and_not_for_staff(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    account = admin_account(yui_server)
    sign_in_through_spa(tab, yui_server, account, account.password)
    tab.page.goto(f"{yui_server.url}/admin/audit")
    expect(tab.page.get_by_role("heading", name=re.compile(r"件中 1〜"))).to_be_visible()
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the audit screen is {width} px wide on a 360-px screen"
    tab.screenshot("spa-admin-audit-360")
    assert _axe(tab.page) == []
    tab.page.goto(f"{yui_server.url}/admin/leavers")
    expect(tab.page.get_by_role("heading", name=re.compile(r"^退職者\("))).to_be_visible()
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the leavers screen is {width} px wide on a 360-px screen"
    tab.screenshot("spa-admin-leavers-360")
    assert _axe(tab.page) == []

    colleague = open_tab()
    staff = yui_server.account("402125", "0656905")
    sign_in_through_spa(colleague, yui_server, staff, staff.password)
    colleague.page.goto(f"{yui_server.url}/admin/audit")
    expect(colleague.page.get_by_role("alert")).to_have_text(
        "この画面はテナント管理者だけが使えます。"
    )
