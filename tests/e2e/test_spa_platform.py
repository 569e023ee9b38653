"""The portal as a progressive web app and the developer's GraphiQL, in a real Chromium
against `yui serve`: the shell opens from the service worker with the network gone and
says so, and works again when it is back; GraphiQL at /graphql runs a subscription and an
event arrives.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.e2e import test_spa
from tests.e2e.conftest import YuiClient, YuiServer
from tests.e2e.test_browser import CHROMIUM
from tests.e2e.test_spa import Tab, _axe, expect, sign_in_through_spa, staff_accounts

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]

browser = test_spa.browser
open_tab = test_spa.open_tab

OFFLINE_JA = "オフラインです"


def _wait_for_service_worker(tab: Tab) -> None:
    """Until the worker has taken the page over (it claims open pages once active).

    Polled from here with ``evaluate`` (a DevTools call, outside the page's CSP): a string
    given to ``wait_for_function`` is evaluated inside the page when it must be polled,
    which ``default-src 'self'`` refuses as eval."""
    for _ in range(150):
        if tab.page.evaluate("() => navigator.serviceWorker?.controller != null"):
            return
        tab.page.wait_for_timeout(100)
    raise AssertionError("the service worker did not take the page over within 15 s")


def test_offline_the_shell_opens_from_the_service_worker_and_says_so(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    account = staff_accounts(yui_server)[0]
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, account)
    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_be_visible()
    _wait_for_service_worker(tab)
    banner = page.locator(".offline-banner")
    expect(banner).to_have_text("")

    tab.context.set_offline(True)
    # The network is gone while the page is open: the banner says so at once.
    expect(banner).to_contain_text(OFFLINE_JA)
    # A reload with no network: the shell (index.html and its files) comes from the
    # worker, so the page is the portal's, not the browser's error page.
    response = page.reload()
    assert response is not None and response.ok, response
    assert response.from_service_worker
    expect(banner).to_contain_text(OFFLINE_JA)
    expect(page.get_by_role("link", name="本文へ移動")).to_have_count(1)
    expect(page).to_have_title(re.compile("Yui"))
    tab.screenshot("spa-offline")
    assert _axe(page) == []

    # Back online: the banner goes, and a reload shows the portal with its data again.
    tab.context.set_offline(False)
    expect(banner).to_have_text("")
    page.reload()
    expect(main.get_by_role("heading", level=1)).to_contain_text(account.name or "")
    assert OFFLINE_JA not in page.inner_text("body")


def test_the_service_worker_leaves_graphql_to_the_network(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    account = staff_accounts(yui_server)[0]
    tab = open_tab()
    sign_in_through_spa(tab, yui_server, account)
    _wait_for_service_worker(tab)
    cached = tab.page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
            }
            return urls;
        }"""
    )
    assert "/" in cached, cached
    assert any(url.startswith("/static/app/assets/") for url in cached), cached
    assert not [u for u in cached if u.startswith(("/graphql", "/auth"))], cached


def test_graphiql_runs_a_subscription_over_the_same_origin(
    yui_server: YuiServer,
    open_tab: Callable[..., Tab],
    sign_in: Callable[[str, str], YuiClient],
) -> None:
    me, colleague = staff_accounts(yui_server)[:2]
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, me)
    # GraphiQL opens with the query it kept in the browser's storage.
    page.evaluate(
        "localStorage.setItem('graphiql:query', "
        "'subscription { presenceChanged { message person { name } } }')"
    )
    page.goto(f"{yui_server.url}/graphql")
    execute = page.locator(".graphiql-execute-button")
    execute.wait_for(state="visible")
    expect(page.locator(".graphiql-query-editor")).to_contain_text("presenceChanged")
    execute.click()

    them = sign_in(colleague.tenant, colleague.login_id)
    response = page.locator(".graphiql-response").first
    for attempt in range(20):
        note = f"GraphiQL {attempt}"
        answer = them.http.post(
            "/graphql",  # the federated API (YuiClient's default is the people subgraph)
            json={
                "query": "mutation($m: String!) { setMyPresence(input: {status: IN, "
                "message: $m}) { errors { code } } }",
                "variables": {"m": note},
            },
            headers={"X-CSRFToken": them.csrf_token() or ""},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["setMyPresence"]["errors"] == [], answer.text
        try:
            expect(response).to_contain_text(note, timeout=1_000)
            break
        except AssertionError:
            continue
    else:
        pytest.fail(f"no event reached GraphiQL; response pane: {response.inner_text()}")
    expect(response).to_contain_text(colleague.name or "")
    assert '"errors"' not in response.inner_text()
    tab.screenshot("graphiql-subscription")


def test_sign_in_picks_the_municipality_from_a_typeahead_by_keyboard_and_mouse(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    account = staff_accounts(yui_server)[0]  # of 402125 大川市
    tab = open_tab(viewport={"width": 360, "height": 740})
    page = tab.page
    page.goto(f"{yui_server.url}/login")
    field = page.get_by_role("combobox", name="自治体")
    listbox = page.get_by_role("listbox", name="候補の一覧")

    # By name, with the keyboard: ↓ highlights the first match, Enter takes it.
    field.fill("大川")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(field).to_have_attribute("aria-expanded", "true")
    field.press("ArrowDown")
    option = listbox.get_by_role("option", name=re.compile("大川市"))
    expect(option).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", option.get_attribute("id") or "")
    tab.screenshot("spa-login-typeahead-360")
    assert _axe(page) == []
    field.press("Enter")
    expect(field).to_have_value("402125")
    expect(listbox).to_be_hidden()
    expect(page.locator("main")).to_contain_text("大川市")  # the hint names it
    assert urlsplit_path(page.url) == "/login"  # Enter took the suggestion, no submit

    # By short name, with the mouse; Escape closes the list and keeps what was typed.
    field.fill("kan")
    listbox.get_by_role("option", name=re.compile("苅田町")).click()
    expect(field).to_have_value("406210")
    expect(field).to_be_focused()
    field.fill("40")
    expect(listbox.get_by_role("option")).to_have_count(2)
    field.press("Escape")
    expect(listbox).to_be_hidden()
    expect(field).to_have_value("40")

    # Then signing in with the picked municipality works as with a typed code.
    field.fill("okawa")
    field.press("ArrowDown")
    field.press("Enter")
    expect(field).to_have_value(account.tenant)
    page.get_by_label("ログインID").fill(account.login_id)
    page.get_by_label("パスワード").fill(account.password)
    page.get_by_role("button", name="サインイン").click()
    expect(page).to_have_url(f"{yui_server.url}/")


def urlsplit_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
