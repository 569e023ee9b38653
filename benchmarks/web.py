"""The web portal's figures: ``python -m benchmarks.web [--runs 7] [--members 100] [--json]``.

Prints, against a real ``yui serve`` in a scratch data directory, driven by Debian's
Chromium through Playwright:

- the initial JavaScript + CSS of the built portal (what index.html loads), gzipped
  (target < 250 KB);
- the time from pressing サインイン to the portal rendered (its heading with the person's
  name), median of ``--runs`` sign-ins each in a fresh browser context (target < 1 s);
- the GraphQL requests the portal makes after sign-in (target: 1 over HTTP, plus the
  subscription's WebSocket);
- the department week (組織週間, /schedule) for a department of ``--members`` members,
  each with a month of entries (benchmarks.calendar_week's data), from navigation to its
  grid rendered, median of ``--runs``.

Needs the portal built (``./dev setup``) and /usr/bin/chromium. The machine's load
average is printed too: on a shared machine figures are upper bounds. ``--json`` prints
one JSON object instead (what tests/e2e/test_web_benchmark.py reads).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.calendar_week import (
    TOKYO,
    bench_environment,
    build_month,
    build_people,
    load_average,
    setup_django,
    throwaway_database,
    yui_serve,
)

ROOT = Path(__file__).resolve().parents[1]
SPA = ROOT / "web" / "dist" / "spa"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TENANT = "999001"  # benchmarks.calendar_week's ベンチ市
LOGIN_ID = "0000001"  # its first member, who signs in
PASSWORD = "yui-benchmark-passw0rd"  # noqa: S105 - a scratch account of a throwaway database
TIMEOUT_MS = 30_000
SETTLE_MS = 1_000  # after the portal shows, how long straggling requests are waited for
BUNDLE_TARGET_KB = 250
SIGN_IN_TARGET_S = 1.0


def initial_assets() -> list[tuple[str, int, int]]:
    """(file, bytes, gzipped bytes) of every script and stylesheet index.html loads."""
    index = (SPA / "index.html").read_text(encoding="utf-8")
    found = []
    pattern = r'<(?:script|link)\b[^>]*?(?:src|href)="/static/app/([^"]+\.(?:js|css))"'
    for name in dict.fromkeys(re.findall(pattern, index)):
        data = (SPA / name).read_bytes()
        found.append((name, len(data), len(gzip.compress(data, compresslevel=9))))
    return found


def seed(members: int) -> str:
    """A department of ``members`` with a month of entries; the signing-in member's name."""
    from subgraphs.people.models import Person

    rng = random.Random(20261203)  # noqa: S311 - test data, not secrets
    world = build_people(members, rng)
    today = datetime.now(TOKYO).date()
    build_month(world, today - timedelta(days=today.weekday()), rng)
    person = Person.objects.get(tenant_id=world.tenant_id, login_id=LOGIN_ID)
    person.set_password(PASSWORD)
    person.must_change_password = False  # the SPA would ask for a new password first
    person.save()
    return person.name


def measure(url: str, name: str, runs: int, members: int) -> dict[str, Any]:
    from playwright.sync_api import expect, sync_playwright

    sign_ins: list[float] = []
    weeks: list[float] = []
    week_answers: list[float] = []  # the slowest GraphQL answer of each week load
    graphql_posts: list[str] = []
    sockets: list[str] = []
    open_sockets = 0
    rows = 0

    def opened(socket: Any) -> None:
        # Counted while open: a socket of a client replaced at sign-in closes again.
        sockets.append(socket.url)
        socket.on("close", lambda _: sockets.remove(socket.url))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            for run in range(runs):
                context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo")
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                page.goto(f"{url}/login")
                page.get_by_label("自治体").fill(TENANT)
                page.get_by_label("ログインID").fill(LOGIN_ID)
                page.get_by_label("パスワード").fill(PASSWORD)
                heading = page.locator("main h1")
                posts: list[str] = []

                def graphql_request(request: Any, posts: list[str] = posts) -> None:
                    # HTTP only: the subscription's WebSocket is no request event.
                    if urlsplit(request.url).path == "/graphql":
                        posts.append(request.method)

                page.on("request", graphql_request)
                if run == 0:
                    page.on("websocket", opened)
                started = time.perf_counter()
                page.get_by_role("button", name="サインイン").click()
                expect(heading).to_contain_text(name, timeout=TIMEOUT_MS)
                sign_ins.append(time.perf_counter() - started)
                if run == 0:
                    page.wait_for_timeout(SETTLE_MS)
                    graphql_posts = list(posts)
                    open_sockets = len(sockets)

                answers: list[float] = []

                def answered(request: Any, answers: list[float] = answers) -> None:
                    if urlsplit(request.url).path == "/graphql":
                        answers.append(request.timing["responseEnd"] / 1000)

                page.on("requestfinished", answered)
                started = time.perf_counter()
                page.goto(f"{url}/schedule")
                body = page.locator("table.week-grid tbody tr")
                # A row per member and one for the department's own entries.
                try:
                    expect(body).to_have_count(members + 1, timeout=TIMEOUT_MS)
                except AssertionError:
                    shot = Path(tempfile.gettempdir()) / "yui-web-benchmark-week.png"
                    page.screenshot(path=str(shot), full_page=True)
                    raise SystemExit(f"the department week did not render; see {shot}") from None
                weeks.append(time.perf_counter() - started)
                page.wait_for_load_state("networkidle")
                week_answers.append(max(answers, default=0.0))
                rows = body.count()
                context.close()
        finally:
            browser.close()
    return {
        "sign_in_seconds": sign_ins,
        "department_week_seconds": weeks,
        "department_week_rows": rows,
        "department_week_graphql_seconds": week_answers,
        "graphql_requests": len(graphql_posts),
        "websockets": open_sockets,  # open after the portal settled
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="sign-ins and week loads timed")
    parser.add_argument("--members", type=int, default=100, help="members of the department")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not (SPA / "index.html").exists():
        raise SystemExit(f"the portal is not built ({SPA}): run ./dev setup")
    if not CHROMIUM.exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}: apt-get install chromium")

    assets = initial_assets()
    total_gzip = sum(gz for _, _, gz in assets)
    with tempfile.TemporaryDirectory(prefix="yui-web-") as tmp:
        directory = Path(tmp)
        with throwaway_database(None, directory) as database_url:
            env = bench_environment(directory, database_url)
            setup_django(env)
            seeded = time.perf_counter()
            name = seed(args.members)
            seeded = time.perf_counter() - seeded
            from django.db import connections

            connections.close_all()
            with yui_serve(env, directory / "serve.log") as url:
                figures = measure(url, name, args.runs, args.members)

    figures.update(
        {
            "initial_assets": [{"file": f, "bytes": b, "gzip_bytes": gz} for f, b, gz in assets],
            "initial_gzip_bytes": total_gzip,
            "members": args.members,
            "runs": args.runs,
            "load_average": load_average(),
        }
    )
    if args.json:
        print(json.dumps(figures))
        return
    kb = total_gzip / 1024
    sign_in = statistics.median(figures["sign_in_seconds"])
    week = statistics.median(figures["department_week_seconds"])
    print(f"machine: {load_average()}; data: {args.members} members seeded in {seeded:.0f} s")
    print("initial JS + CSS (gzip -9):")
    for file, size, gz in assets:
        print(f"  {file}: {size / 1024:.1f} KB, {gz / 1024:.1f} KB gzipped")
    verdict = "ok" if kb < BUNDLE_TARGET_KB else "OVER"
    print(f"  total {kb:.1f} KB gzipped (target < {BUNDLE_TARGET_KB} KB: {verdict})")
    verdict = "ok" if sign_in < SIGN_IN_TARGET_S else "OVER"
    spread = ", ".join(f"{s * 1000:.0f}" for s in figures["sign_in_seconds"])
    print(
        f"sign-in submit -> portal rendered: median {sign_in * 1000:.0f} ms of {args.runs} "
        f"(target < {SIGN_IN_TARGET_S * 1000:.0f} ms: {verdict}); runs: {spread} ms"
    )
    requests_ok = figures["graphql_requests"] == 1 and figures["websockets"] >= 1
    print(
        f"portal GraphQL: {figures['graphql_requests']} HTTP request(s) + "
        f"{figures['websockets']} open WebSocket(s) (target 1 + the subscription: "
        f"{'ok' if requests_ok else 'OFF'})"
    )
    spread = ", ".join(f"{s * 1000:.0f}" for s in figures["department_week_seconds"])
    answer = statistics.median(figures["department_week_graphql_seconds"])
    print(
        f"department week, {args.members} members ({figures['department_week_rows']} rows): "
        f"median {week * 1000:.0f} ms from navigation to the grid, of which the server's "
        f"GraphQL answer {answer * 1000:.0f} ms; runs: {spread} ms"
    )


if __name__ == "__main__":
    main()
