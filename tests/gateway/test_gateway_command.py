"""`yui gateway` federates a supergraph that is not Yui's, with no Yui database behind it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.gateway.fixtures.suites import supergraph_path
from tests.gateway.test_foreign_limits import LIST_OF_LISTS

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_yui_gateway_serves_a_foreign_supergraph_over_http(served_suite, tmp_path):
    urls = served_suite("shop")
    port = _free_port()
    yui = Path(sys.executable).parent / "yui"
    command = [
        str(yui) if yui.exists() else sys.executable,
        *([] if yui.exists() else ["-m", "yui.cli"]),
    ]
    command += ["gateway", "--supergraph", str(supergraph_path("shop")), "--port", str(port)]
    for name, url in urls.items():
        command += ["--subgraph", f"{name}={url}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUI_")}
    env["YUI_DATA_DIR"] = str(tmp_path)  # empty: no database, no accounts
    log = tmp_path / "gateway.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2, trust_env=False)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"yui gateway did not start:\n{log.read_text()}")
            time.sleep(0.2)
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={
                "query": "{ topProducts(first: 2) { name inStock reviews { author { username } } } }"
            },
            trust_env=False,
            timeout=20,
        )
        body = response.json()
        assert "errors" not in body, body
        assert [p["name"] for p in body["data"]["topProducts"]] == ["Table", "Couch"]
        assert all(isinstance(p["inStock"], bool) for p in body["data"]["topProducts"])
        # A foreign supergraph is not held to Yui's cost model (issue 11, item 8).
        lists = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": LIST_OF_LISTS},
            trust_env=False,
            timeout=20,
        ).json()
        assert "errors" not in lists, lists
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not (tmp_path / "yui.sqlite3").exists() or (tmp_path / "yui.sqlite3").stat().st_size == 0
