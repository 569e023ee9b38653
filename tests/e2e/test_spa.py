"""The web portal in a real Chromium against the real server (`yui serve` with the demo):
sign in through the SPA's form, the portal from one GraphQL request, presence set in one
browser and seen live in a colleague's, the screens not built yet, a 360-px phone, CSP,
nothing fetched from outside, no console errors, axe-core without serious violations.

Screenshots go to var/screenshots/ (git-ignored) for a reviewer to look at.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import DemoAccount, YuiClient, YuiServer
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Watch, _is_local

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SPA_INDEX = ROOT / "web" / "dist" / "spa" / "index.html"
COLLEAGUE_PASSWORD = "yui-e2e-colleague-passw0rd"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM} (install it as root: apt-get install -y chromium)",
    ),
]

playwright_sync = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
expect = playwright_sync.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not SPA_INDEX.exists():
        pytest.fail(f"the web portal is not built ({SPA_INDEX}): run ./dev setup", pytrace=False)
    with playwright_sync.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


class Tab:
    """A browser context with one page and what it did."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route(lambda url: not _is_local(url), lambda route: route.abort())
        self.page = self.context.new_page()
        self.watch = Watch()
        self.watch.attach(self.page)
        self.graphql_posts: list[str] = []
        self.page.on("request", self._count)
        self.frames_received: list[str] = []
        self.page.on(
            "websocket",
            lambda socket: socket.on(
                "framereceived", lambda frame: self.frames_received.append(str(frame))
            ),
        )

    def _count(self, request: Any) -> None:
        # HTTP requests to /graphql only: the subscription's WebSocket is not a request.
        if urlsplit(request.url).path == "/graphql":
            self.graphql_posts.append(f"{request.method} {request.post_data or ''}"[:200])

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.-]+", "-", name).strip("-")
        path = SCREENSHOTS / f"{safe}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_tab(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Tab]]:
    tabs: list[Tab] = []

    def _open(**options: Any) -> Tab:
        tab = Tab(browser, **options)
        tabs.append(tab)
        return tab

    yield _open
    for index, tab in enumerate(tabs):
        with contextlib.suppress(Exception):
            tab.screenshot(f"spa-last-{request.node.name}-{index}")
        tab.close()


def sign_in_through_spa(
    tab: Tab, server: YuiServer, account: DemoAccount, password: str | None = None
) -> None:
    """Through the SPA's own form at /login, as a person would."""
    page = tab.page
    response = page.goto(f"{server.url}/login")
    assert response is not None and response.status == 200
    page.get_by_label("自治体").fill(account.tenant)
    page.get_by_label("ログインID").fill(account.login_id)
    page.get_by_label("パスワード").fill(password or account.password)
    page.get_by_role("button", name="サインイン").click()
    expect(page).to_have_url(f"{server.url}/")


def staff_accounts(server: YuiServer, tenant: str = "402125") -> list[DemoAccount]:
    return [a for a in server.accounts if a.tenant == tenant and a.name is not None]


def colleague_of(
    server: YuiServer, me: YuiClient, sign_in_api: Callable[[str, str], YuiClient]
) -> tuple[DemoAccount, str]:
    """Someone of my department who can sign in: a demo account if one is, otherwise a
    colleague whose password the tenant administrator sets for this test."""
    members = me.data("{ me { id department { members { id loginId name } } } }")["me"]
    others = [m for m in members["department"]["members"] if m["id"] != members["id"]]
    assert others, "the demo person has no colleague in their department"
    demo = {a.login_id: a for a in staff_accounts(server)}
    for member in others:
        if member["loginId"] in demo:
            return demo[member["loginId"]], demo[member["loginId"]].password
    member = others[0]
    admin = sign_in_api("402125", "admin")
    reset = admin.data(
        # Not forced to change it: the test signs in as this colleague straight away.
        "mutation($id: ID!, $pw: String) { resetPassword(personId: $id, newPassword: $pw, "
        "requirePasswordChange: false) { ok errors { code message } } }",
        {"id": member["id"], "pw": COLLEAGUE_PASSWORD},
    )["resetPassword"]
    assert reset["ok"], reset
    account = DemoAccount(
        "402125", "okawa", member["loginId"], COLLEAGUE_PASSWORD, member["name"], ""
    )
    return account, COLLEAGUE_PASSWORD


def test_sign_in_portal_in_one_request_and_presence_live_at_a_colleague(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    me_account = staff_accounts(yui_server)[0]
    me_api = sign_in(me_account.tenant, me_account.login_id)
    profile = me_api.data("{ me { name department { name } } }")["me"]
    colleague, colleague_password = colleague_of(yui_server, me_api, sign_in)

    mine = open_tab()
    page = mine.page
    sign_in_through_spa(mine, yui_server, me_account)
    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text(profile["name"])
    expect(main).to_contain_text(profile["department"]["name"])
    expect(main.get_by_role("heading", name=re.compile("今日の予定"))).to_be_visible()
    expect(main.get_by_role("heading", name=re.compile("今週の予定"))).to_be_visible()
    page.wait_for_timeout(300)  # let any straggling request show up before counting
    assert len(mine.graphql_posts) == 1, mine.graphql_posts

    # A fresh load of the portal (signed in) is one request too.
    mine.graphql_posts.clear()
    response = page.reload()
    assert response is not None
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(main.get_by_role("heading", level=1)).to_contain_text(profile["name"])
    page.wait_for_timeout(300)
    assert len(mine.graphql_posts) == 1, mine.graphql_posts
    assert mine.graphql_posts[0].startswith("POST"), mine.graphql_posts
    mine.screenshot("spa-portal")
    assert _axe(page) == []

    theirs = open_tab()
    sign_in_through_spa(theirs, yui_server, colleague, colleague_password)
    board = theirs.page.locator("table.members")
    my_row = board.locator("tr", has=theirs.page.get_by_role("rowheader", name=profile["name"]))
    expect(my_row).to_have_count(1)
    _until_live(theirs, my_row, me_api)

    # Two clicks at most: here one, on the new status. Pick one that is not the current.
    current = page.locator(".presence-buttons button[aria-pressed=true]")
    target = "外出" if current.count() and current.inner_text() == "会議中" else "会議中"
    page.get_by_label("ひとこと").fill("第2会議室 16時まで")
    page.locator(".presence-buttons").get_by_role("button", name=target, exact=True).click()
    expect(
        page.locator(".presence-buttons").get_by_role("button", name=target, exact=True)
    ).to_have_attribute("aria-pressed", "true")
    # Live, without reloading the colleague's page.
    try:
        expect(my_row).to_contain_text(target, timeout=10_000)
    except AssertionError:
        pytest.fail(
            f"the colleague's page did not show {target}; it received {theirs.frames_received};"
            f" mine received {mine.frames_received}\n--- server log ---\n{yui_server.log_tail()}",
            pytrace=False,
        )
    expect(my_row).to_contain_text("第2会議室 16時まで")
    theirs.screenshot("spa-portal-colleague")
    # The colleague's page got the change by subscription, not by asking again.
    assert len(theirs.graphql_posts) == 1, theirs.graphql_posts

    page.get_by_role("button", name="サインアウト").click()
    expect(page).to_have_url(f"{yui_server.url}/login")
    expect(page.get_by_role("button", name="サインイン")).to_be_visible()
    for tab in (mine, theirs):
        tab.watch.assert_clean()


def _until_live(tab: Tab, row: Any, someone: YuiClient, attempts: int = 20) -> None:
    """Wait until presence changes of `someone` show in `row` of the tab without a reload.

    The page subscribes after its first answer; until the server has registered the
    subscription (with Redis, a round trip more), a change is not announced to it (events
    are hints, DESIGN rule 6). So change their presence through the API until one shows."""
    mutation = (
        "mutation($m: String!) { setMyPresence(input: {status: IN, message: $m}) "
        "{ errors { code } } }"
    )
    for attempt in range(attempts):
        response = someone.http.post(
            "/graphql",
            json={"query": mutation, "variables": {"m": f"warm-up {attempt}"}},
            headers={"X-CSRFToken": someone.csrf_token() or ""},
        )
        assert response.status_code == 200 and not response.json().get("errors"), response.text
        with contextlib.suppress(AssertionError):
            expect(row).to_contain_text("warm-up", timeout=1_000)
            return
    pytest.fail(
        f"{attempts} presence changes did not show on the page; it received {tab.frames_received}"
    )


def _gateway(someone: YuiClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    """The data of a GraphQL operation sent to the federated /graphql as that person."""
    response = someone.http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"X-CSRFToken": someone.csrf_token() or ""},
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), response.text
    return body["data"]


def test_approval_badge_counts_bookings_waiting_live(
    yui_server: YuiServer, open_tab: Callable[..., Tab], sign_in: Callable[[str, str], YuiClient]
) -> None:
    # The first demo staff member is 施設管理者 of the 係 that owns the 大会議室 (needs approval).
    decider = staff_accounts(yui_server)[0]
    decider_api = sign_in(decider.tenant, decider.login_id)
    assert "FACILITY_ADMIN" in _gateway(decider_api, "{ me { roles } }")["me"]["roles"]
    colleague, password = colleague_of(yui_server, decider_api, sign_in)
    booker = YuiClient(yui_server)
    assert booker.login(colleague, password).status_code == 200
    groups = _gateway(booker, "{ facilityGroups { facilities { id name } } }")["facilityGroups"]
    room = next(f for g in groups for f in g["facilities"] if f["name"] == "大会議室")

    tab = open_tab()
    sign_in_through_spa(tab, yui_server, decider)
    badge = tab.page.locator(".approval .count")
    expect(badge).to_have_text(re.compile(r"^\d+$"))
    _until_live(tab, tab.page.locator("table.members tr", has_text=colleague.name or ""), booker)
    before = int(badge.inner_text())

    # A weekday a week ahead, 15:00-16:00 Japan time.
    day = datetime.now(ZoneInfo("Asia/Tokyo")).date() + timedelta(days=7)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    booked = _gateway(
        booker,
        "mutation($input: CreateReservationInput!) { createReservation(input: $input) {"
        " __typename ... on ReservationPayload { reservation { id status } }"
        " ... on ReservationRefused { errors { code message } }"
        " ... on ReservationConflict { message } } }",
        {
            "input": {
                "facilityId": room["id"],
                "start": f"{day.isoformat()}T15:00:00+09:00",
                "end": f"{day.isoformat()}T16:00:00+09:00",
                "purpose": "e2e",
            }
        },
    )["createReservation"]
    assert booked["__typename"] == "ReservationPayload", booked
    assert booked["reservation"]["status"] == "PENDING", booked
    expect(badge).to_have_text(str(before + 1), timeout=10_000)
    tab.screenshot("spa-portal-approval")

    approved = _gateway(
        decider_api,
        "mutation($id: ID!) { approveReservation(id: $id) { __typename } }",
        {"id": booked["reservation"]["id"]},
    )["approveReservation"]
    assert approved["__typename"] == "ReservationPayload", approved
    expect(badge).to_have_text(str(before), timeout=10_000)
    booker.close()
    tab.watch.assert_clean()


def test_wrong_password_says_so_in_japanese(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    account = staff_accounts(yui_server)[-1]
    tab.page.goto(f"{yui_server.url}/login")
    tab.page.get_by_label("自治体").fill(account.slug)
    tab.page.get_by_label("ログインID").fill(account.login_id)
    tab.page.get_by_label("パスワード").fill("not-the-password")
    tab.page.get_by_role("button", name="サインイン").click()
    expect(tab.page.get_by_role("alert")).to_contain_text(
        "自治体、ログインID、またはパスワードが正しくありません。"
    )
    tab.screenshot("spa-login-error")
    # The browser logs the 401 of the sign-in request; nothing else may go wrong.
    tab.watch.console_errors = [e for e in tab.watch.console_errors if "401" not in e]
    tab.watch.assert_clean()


def test_portal_on_a_360_px_phone_with_axe(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    account = staff_accounts(yui_server)[0]
    tab.page.goto(f"{yui_server.url}/login")
    violations_login = _axe(tab.page)
    sign_in_through_spa(tab, yui_server, account)
    expect(tab.page.locator("table.members")).to_be_visible()
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the portal is {width} px wide on a 360-px screen"
    violations_portal = _axe(tab.page)
    tab.screenshot("spa-portal-360")
    assert violations_login == [] and violations_portal == [], (violations_login, violations_portal)
    tab.watch.assert_clean()


def _axe(page: Any) -> list[str]:
    """Serious and critical violations axe-core finds on the page, one line each.

    axe is evaluated through the browser's debugging protocol, which the page's CSP does
    not govern: the page itself still runs under default-src 'self'."""
    if not AXE.exists():
        pytest.fail(f"axe-core is missing ({AXE}): run npm ci in web/", pytrace=False)
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        "async () => (await axe.run(document, { resultTypes: ['violations'] })).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"
    )
    return list(result)


def test_signed_out_the_portal_asks_to_sign_in(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    tab.page.goto(f"{yui_server.url}/")
    expect(tab.page).to_have_url(f"{yui_server.url}/login")
    expect(tab.page.get_by_role("button", name="サインイン")).to_be_visible()
    assert len(tab.graphql_posts) == 1, tab.graphql_posts
    tab.watch.assert_clean()


@pytest.mark.parametrize("path", ["/", "/login", "/schedule", "/graphql", "/auth/login"])
def test_every_page_carries_the_content_security_policy(
    yui_server: YuiServer, client: YuiClient, path: str
) -> None:
    response = client.http.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code)
    assert "text/html" in response.headers["content-type"]
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'self'"), policy
    # GraphiQL runs without inline scripts or eval; only its stylesheet's fonts and icons
    # come as data: URLs.
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy


def test_the_menu_works_with_the_keyboard(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    page = tab.page
    sign_in_through_spa(tab, yui_server, staff_accounts(yui_server)[-1])
    expect(page.locator("main h1")).to_be_visible()
    page.goto(f"{yui_server.url}/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ページが見つかりません")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="本文へ移動")).to_be_focused()
    page.get_by_role("link", name="施設予約").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{yui_server.url}/facilities")
    expect(page.get_by_role("heading", level=1)).to_contain_text("施設予約")
    # The new screen's content has the focus; the next Tab reaches a control inside it.
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("main :focus")).to_have_count(1)
    expect(page.get_by_role("link", name="施設予約")).to_have_attribute("aria-current", "page")
    page.go_back()
    expect(page).to_have_url(f"{yui_server.url}/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ページが見つかりません")
    tab.watch.assert_clean()


def test_english_is_chosen_once_and_kept(
    yui_server: YuiServer, open_tab: Callable[..., Tab]
) -> None:
    tab = open_tab()
    tab.page.goto(f"{yui_server.url}/no-such-page")
    expect(tab.page.get_by_role("heading", level=1)).to_contain_text("ページが見つかりません")
    tab.page.get_by_label("表示言語").select_option("en")
    expect(tab.page.get_by_role("heading", level=1)).to_contain_text("Page not found")
    expect(tab.page.locator("html")).to_have_attribute("lang", "en")
    tab.page.reload()
    expect(tab.page.get_by_role("navigation")).to_contain_text("Facilities")
    expect(tab.page.get_by_role("heading", level=1)).to_contain_text("Page not found")
    tab.watch.assert_clean()
