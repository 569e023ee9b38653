"""`python -m benchmarks.web` keeps working: run small (two sign-ins, a department of 12),
and check what does not depend on the machine's speed — the portal's GraphQL requests
(one over HTTP, plus the subscription's socket), the week's rows, the bundle measured."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_browser import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(
        not (ROOT / "web" / "dist" / "spa" / "index.html").exists(),
        reason="the web portal is not built",
    ),
]


def test_the_web_benchmark_runs_and_the_portal_makes_one_request() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.web", "--runs", "2", "--members", "12", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["graphql_requests"] == 1
    assert figures["websockets"] == 1
    assert figures["department_week_rows"] == 12 + 1
    assert len(figures["sign_in_seconds"]) == 2
    assert len(figures["department_week_seconds"]) == 2
    assert figures["initial_gzip_bytes"] > 0
    assert {a["file"].rsplit(".", 1)[1] for a in figures["initial_assets"]} == {"js", "css"}
