"""The 人事異動 screen in a real Chromium against `yui serve` with the demo: okawa's
administrator stages next year's files (exported, one department renamed, one person
transferred) for a date by keyboard, sees the preview (who moves where, the renamed
department), finds the change in the list, and withdraws it; nothing changed meanwhile.
axe on each state, a 360-px phone.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Callable
from datetime import date

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import Tab, _axe, _gateway, expect
from tests.e2e.test_spa_admin_people import JA, admin_account, open_admin, sign_in_through_spa

browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]

EXPORT = 'query($kind: CsvKind!) { exportCsv(kind: $kind, encoding: "utf-8") { contentBase64 } }'


def exported(admin: YuiClient, kind: str) -> list[list[str]]:
    data = _gateway(admin, EXPORT, {"kind": kind})["exportCsv"]["contentBase64"]
    return list(csv.reader(io.StringIO(base64.b64decode(data).decode("utf-8"))))


def as_file(name: str, table: list[list[str]]) -> dict:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table)
    return {"name": name, "mimeType": "text/csv", "buffer": out.getvalue().encode("cp932")}


def test_administrator_stages_previews_and_withdraws_a_reorganisation_by_keyboard(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    admin_api = sign_in("402125", "admin")
    orgs = exported(admin_api, "ORGANIZATIONS")
    staff = exported(admin_api, "STAFF")
    # Next year: the first department below the top renamed, one person moved to it.
    renamed = next(row for row in orgs[1:] if row[3])
    old_name, renamed[1] = renamed[1], "e2e人事異動課"
    mover = next(row for row in staff[1:] if row[4] and row[4] != renamed[0])
    mover[4] = renamed[0]
    effective = date(date.today().year + 1, 4, 1)

    tab = open_tab(viewport={"width": 360, "height": 740})
    page = tab.page
    account = admin_account(yui_server)
    sign_in_through_spa(tab, yui_server, account, account.password)
    open_admin(tab, yui_server, "/admin/reorg", JA["admin.reorg.title"])
    expect(page.get_by_text(JA["admin.reorg.none"])).to_be_visible()
    assert _axe(page) == []

    # By keyboard: the date, the two files, then the button.
    page.get_by_label(JA["admin.reorg.date"], exact=True).fill(effective.isoformat())
    page.get_by_label(JA["admin.reorg.orgFile"], exact=True).set_input_files(
        as_file("org-next.csv", orgs)
    )
    page.get_by_label(JA["admin.reorg.staffFile"], exact=True).set_input_files(
        as_file("staff-next.csv", staff)
    )
    submit = page.get_by_role("button", name=JA["admin.reorg.stage"])
    expect(submit).to_be_enabled()
    submit.focus()
    page.keyboard.press("Enter")

    preview = page.locator(".reorg-preview")
    expect(preview.get_by_role("heading", level=2)).to_be_focused()
    expect(preview.get_by_role("heading", level=2)).to_contain_text("実施の内容")
    expect(preview).to_contain_text(f"{renamed[0]} e2e人事異動課")
    expect(preview).to_contain_text(f"旧名称: {old_name}")
    move = preview.get_by_role("row").filter(has_text=mover[0])
    expect(move).to_contain_text(f"{renamed[0]} e2e人事異動課")
    expect(page.get_by_role("status").filter(has_text=JA["admin.reorg.staged"])).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    tab.screenshot("spa-admin-reorg-preview-360")
    assert _axe(page) == []
    # Staged, not applied: the directory still has today's name.
    names = {
        o["code"]: o["name"]
        for o in _gateway(admin_api, "{ organizations { code name } }")["organizations"]
    }
    assert names[renamed[0]] == old_name

    # The list: scheduled; withdrawn by keyboard, asked once more in place.
    row = page.get_by_role("row").filter(has_text=re.compile(JA["admin.reorg.state.SCHEDULED"]))
    expect(row).to_have_count(1)
    row.get_by_role("button", name=JA["admin.reorg.withdraw"]).focus()
    page.keyboard.press("Enter")
    confirm = row.get_by_role("button", name=JA["admin.reorg.withdrawYes"])
    confirm.focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("row").filter(has_text=JA["admin.reorg.state.WITHDRAWN"])
    ).to_have_count(1)
    tab.screenshot("spa-admin-reorg-withdrawn-360")
    assert _axe(page) == []
    tab.watch.assert_clean()
