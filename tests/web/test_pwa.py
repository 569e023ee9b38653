"""The portal as an installable web app: the service worker at /sw.js (root scope, right
type, never cached, naming the build's shell), the manifest and its icons, GraphiQL's page
with graphql-ws for subscriptions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.test import Client

from yui import views

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = ROOT / "web" / "public"
INDEX = (
    b'<!doctype html><html lang="ja"><link rel="manifest" href="/static/app/manifest.webmanifest">'
    b'<script type="module" src="/static/app/assets/index-AbC123.js"></script>'
    b'<link rel="stylesheet" href="/static/app/assets/index-XyZ789.css"></html>'
)


@pytest.fixture
def built_spa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # A stand-in for web/dist/spa with the real worker and manifest from web/public.
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "sw.js").write_bytes((PUBLIC / "sw.js").read_bytes())
    (tmp_path / "manifest.webmanifest").write_bytes((PUBLIC / "manifest.webmanifest").read_bytes())
    monkeypatch.setattr(views, "SPA_DIR", tmp_path)
    return tmp_path


def _shell(body: bytes) -> dict[str, object]:
    match = re.match(rb"self\.YUI_SHELL = (\{.*?\});\n", body)
    assert match, body[:200]
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_service_worker_is_served_at_the_root_uncached_with_the_builds_shell(
    built_spa: Path,
) -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    shell = _shell(response.content)
    assert shell["urls"] == [
        "/static/app/manifest.webmanifest",
        "/static/app/assets/index-AbC123.js",
        "/static/app/assets/index-XyZ789.css",
        "/static/app/icon-192.png",
    ]
    assert response.content.endswith((PUBLIC / "sw.js").read_bytes())

    # A new build (another index.html) is another worker script: browsers update on that.
    (built_spa / "index.html").write_bytes(INDEX.replace(b"AbC123", b"New456"))
    again = Client().get("/sw.js")
    assert _shell(again.content)["build"] != shell["build"]
    assert "/static/app/assets/index-New456.js" in _shell(again.content)["urls"]  # type: ignore[operator]


def test_service_worker_without_a_build_is_404_and_refuses_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "SPA_DIR", tmp_path)
    assert Client().get("/sw.js").status_code == 404
    assert Client().post("/sw.js").status_code == 405


def test_the_worker_never_caches_graphql_or_sign_in() -> None:
    code = (PUBLIC / "sw.js").read_text(encoding="utf-8")
    paths = re.search(r"const SERVER_PATHS = /(.*)/;", code)
    assert paths, "sw.js names the server's paths it leaves alone"
    for path in ("graphql", "auth", "subgraphs", "calendar", "files", "health"):
        assert path in paths.group(1)
    # Only navigations and the build's files are answered from the cache.
    assert code.count("event.respondWith(") == 2


def test_manifest_is_installable_and_its_icons_exist(built_spa: Path) -> None:
    response = Client().get("/static/app/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert manifest["name"] == "結 Yui"
    assert manifest["lang"] == "ja"
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        name = icon["src"].removeprefix("/static/app/")
        data = (PUBLIC / name).read_bytes()
        if icon["type"] == "image/png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n", name
            width = int.from_bytes(data[16:20], "big")
            height = int.from_bytes(data[20:24], "big")
            assert f"{width}x{height}" == icon["sizes"], name


def test_graphiql_of_the_gateway_loads_graphql_ws_and_subgraphs_do_not() -> None:
    from yui.federation import graphiql_html

    page = graphiql_html("/graphql")
    assert 'data-subscriptions="graphql-transport-ws"' in page
    assert '<script src="/static/vendor/graphql-ws.min.js">' in page
    assert "graphql-ws.min.js" in views.VENDOR_FILES
