"""The portal's one GraphQL request with `@defer`, in a real Chromium against `yui serve`
with the demo: the request asks for incremental delivery (multipart/mixed,
deferSpec=20220824), the gateway answers in parts, and the deferred panels (the
department's presence board, the notice panels, the week) end up filled, in Japanese, with
no panel left waiting.

Screenshots go to var/screenshots/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_spa import Tab, expect, sign_in_through_spa, staff_accounts

browser = test_spa.browser
open_tab = test_spa.open_tab

pytestmark = [pytest.mark.browser]


def _graphql_responses(tab: Tab) -> list[Any]:
    """Every answer to a POST to /graphql the page receives, from now on."""
    responses: list[Any] = []

    def record(response: Any) -> None:
        request = response.request
        if request.method == "POST" and urlsplit(response.url).path == "/graphql":
            responses.append(response)

    tab.page.on("response", record)
    return responses


def test_portal_asks_with_defer_and_fills_the_deferred_panels_in_japanese(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    account = staff_accounts(yui_server)[0]
    me = sign_in(account.tenant, account.login_id).data(
        "{ me { id name department { name members { id name } } } }"
    )["me"]
    colleague = next(m["name"] for m in me["department"]["members"] if m["id"] != me["id"])

    tab = open_tab()
    responses = _graphql_responses(tab)
    sign_in_through_spa(tab, yui_server, account)
    page = tab.page
    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text(me["name"])

    # The deferred panel: the department's presence board, in Japanese, with a colleague.
    board = main.locator("section", has=page.locator("#department-title"))
    expect(board.get_by_role("heading", level=2)).to_have_text(
        f"所属の在席状況: {me['department']['name']}"
    )
    expect(board.get_by_role("rowheader", name=colleague)).to_be_visible()
    expect(board.get_by_role("columnheader", name="在席状況")).to_be_visible()
    expect(board.locator("td .presence").first).to_have_text(
        re.compile("^(在席|離席|会議中|外出|出張|休暇|在宅勤務|未設定)$")
    )
    expect(board).not_to_have_attribute("aria-busy", "true")
    # The other deferred panels came in the same part; none is left waiting.
    expect(main.locator("section", has=page.locator("#panel-notices"))).to_contain_text("件の未読")
    expect(
        main.locator("section", has=page.locator("#week-title")).locator("ol.week")
    ).to_be_visible()
    expect(main.locator("[aria-busy=true]")).to_have_count(0)
    expect(main).not_to_contain_text("読み込み中")
    # The mail and message panels lead to their screens (they said "coming soon").
    for panel, href in (("#panel-mail", "/mail"), ("#panel-messages", "/messages")):
        expect(main.locator(panel).get_by_role("link")).to_have_attribute("href", href)
    expect(main).not_to_contain_text("準備中")

    portal = [r for r in responses if "query PortalPage" in (r.request.post_data or "")]
    assert len(portal) == 1, [r.request.post_data[:80] for r in responses]
    answer = portal[0]
    accept = answer.request.headers.get("accept", "")
    assert "multipart/mixed" in accept and "deferSpec=20220824" in accept, accept
    content_type = answer.headers.get("content-type", "")
    assert content_type.startswith("multipart/mixed"), content_type
    assert 'boundary="graphql"' in content_type, content_type
    # Two parts: the top (hasNext: true) without the members, then the deferred fragments
    # at their labels, the members among them.
    body = answer.body().decode("utf-8")
    assert body.rstrip().endswith("\r\n--graphql--"), body[-100:]
    parts = [
        json.loads(part.split("\r\n\r\n", 1)[1])
        for part in body.rstrip().removesuffix("--graphql--").split("\r\n--graphql\r\n")[1:]
    ]
    assert len(parts) == 2, body[:300]
    first, rest = parts
    assert first["hasNext"] is True and "members" not in json.dumps(first), first
    assert first["data"]["me"]["name"] == me["name"], first
    assert rest["hasNext"] is False, rest
    items = {item["label"]: item for item in rest["incremental"]}
    assert {"department", "week", "holidays", "counts", "notices", "links"} <= set(items), items
    assert items["department"]["path"] == ["me", "department"], items["department"]
    assert colleague in [m["name"] for m in items["department"]["data"]["members"]]

    # Still one GraphQL request for the whole page.
    page.wait_for_timeout(300)
    assert len(tab.graphql_posts) == 1, tab.graphql_posts
    tab.screenshot("spa-portal-defer")
    tab.watch.assert_clean()
