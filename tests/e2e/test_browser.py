"""A real Chromium against the real server: sign in through the form, then GraphiQL.

Uses Playwright's sync API with the system Chromium (never ``playwright install``). The
sync API refuses to run inside a running event loop, so everything here stays sync.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import YuiServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
TIMEOUT_MS = 15_000
_DATA_URL = re.compile(r"(data:[\w/+.-]*)[;,][^'\"\s)]*")  # a data: URL, shortened to its type

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"no Chromium at {CHROMIUM} (install it as root: "
        "apt-get update && apt-get install -y chromium)",
    ),
]

playwright_sync = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname in LOCAL_HOSTS


@dataclass
class Watch:
    """What a page did that it must not: console errors, uncaught errors, foreign requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("request", self._request)
        page.on("requestfailed", self._failed)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            text = _DATA_URL.sub(r"\1,...", message.text)
            self.console_errors.append(f"{text} @ {location.get('url', '?')}")

    def _failed(self, request: Any) -> None:
        # ERR_ABORTED is the browser dropping a request because the page navigated or
        # reloaded (an icon, a query in flight): the test's doing, not the page's failure.
        if "ERR_ABORTED" not in str(request.failure):
            self.failed_requests.append(f"{request.url} ({request.failure})")

    def _request(self, request: Any) -> None:
        self.requests.append(request.url)
        if not _is_local(request.url):
            self.foreign_requests.append(request.url)

    def assert_clean(self) -> None:
        # pytest.fail, not assert: on CI pytest prints whole diffs, and 34 CSP messages
        # with their data: URLs would bury the point.
        problems = []
        if self.foreign_requests:
            problems.append(f"requests left the deployment: {self.foreign_requests}")
        if self.console_errors:
            distinct = sorted(set(self.console_errors))
            problems.append(
                f"{len(self.console_errors)} console errors, {len(distinct)} distinct:\n  "
                + "\n  ".join(distinct)
            )
        if self.page_errors:
            problems.append(f"uncaught page errors: {self.page_errors}")
        if self.failed_requests:
            problems.append(f"failed requests: {self.failed_requests}")
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page_and_watch(browser: Any, tmp_path: Path) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
    context.set_default_timeout(TIMEOUT_MS)
    # Nothing may leave the deployment; should something try, fail it at once (it is still
    # recorded by the request listener) instead of waiting on the network.
    context.route(lambda url: not _is_local(url), lambda route: route.abort())
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    try:
        yield page, watch
    finally:
        # The page as it was left, also when the test failed half-way.
        with contextlib.suppress(Exception):
            page.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
        context.close()


def _sign_in_through_the_form(page: Any, yui_server: YuiServer, tenant: str, login_id: str) -> str:
    account = yui_server.account(tenant, login_id)
    assert account.name
    page.goto(f"{yui_server.url}/auth/login")
    page.fill("input[name=tenant]", account.tenant)
    page.fill("input[name=loginId]", account.login_id)
    page.fill("input[name=password]", account.password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return account.name


def test_sign_in_through_the_form_lands_on_home(
    page_and_watch: tuple[Any, Watch], yui_server: YuiServer, tmp_path: Path
) -> None:
    page, watch = page_and_watch
    name = _sign_in_through_the_form(page, yui_server, "402125", "0656905")

    assert urlsplit(page.url).path == "/", page.url
    playwright_sync.expect(page.locator("main")).to_contain_text(name)
    cookies = {c["name"]: c for c in page.context.cookies(yui_server.url)}
    assert "yui_session" in cookies, cookies.keys()
    assert cookies["yui_session"]["httpOnly"] is True
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    watch.assert_clean()


@pytest.mark.parametrize("endpoint", ["/graphql", "/subgraphs/people/graphql"])
def test_graphiql_runs_the_default_query_as_the_signed_in_person(
    page_and_watch: tuple[Any, Watch], yui_server: YuiServer, tmp_path: Path, endpoint: str
) -> None:
    page, watch = page_and_watch
    name = _sign_in_through_the_form(page, yui_server, "406210", "0139154")

    page.goto(f"{yui_server.url}{endpoint}")
    execute = page.locator(".graphiql-execute-button")
    execute.wait_for(state="visible")
    editor = page.locator(".graphiql-query-editor")
    playwright_sync.expect(editor).to_contain_text("me")
    execute.click()

    response = page.locator(".graphiql-response .result-window, .graphiql-response").first
    playwright_sync.expect(response).to_contain_text(name)
    playwright_sync.expect(response).to_contain_text('"department"')
    text = response.inner_text()
    assert '"errors"' not in text, text

    screenshot = tmp_path / "graphiql.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    print(f"GraphiQL screenshot: {screenshot}")  # shown with -s, and on failure

    graphql_posts = [u for u in watch.requests if urlsplit(u).path == endpoint]
    assert graphql_posts, watch.requests
    watch.assert_clean()
