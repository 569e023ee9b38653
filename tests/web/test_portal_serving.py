"""The web portal as the server hands it out: index.html for / and every client-side route,
hashed files cached for a year, the server's own paths untouched, CSP on every page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from yui import views

INDEX = b'<!doctype html><html lang="ja"><script type="module" src="/static/app/assets/index-AbC123.js"></script><div id="root"></div></html>'


@pytest.fixture
def built_spa(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # A stand-in for web/dist/spa, so these tests do not depend on a front-end build.
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "assets" / "index-AbC123.js").write_text("console.log('yui')\n")
    (tmp_path / "icon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    monkeypatch.setattr(views, "SPA_DIR", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "path", ["/", "/login", "/schedule", "/facilities", "/directory", "/settings", "/a/b-c/"]
)
def test_portal_routes_serve_index_html_with_csp_and_no_cache(built_spa: Path, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert response.content == INDEX
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "no-cache"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp.split(";")[0], csp


def test_hashed_assets_are_cached_for_a_year(built_spa: Path) -> None:
    response = Client().get("/static/app/assets/index-AbC123.js")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"console.log('yui')\n"  # type: ignore[attr-defined]
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    icon = Client().get("/static/app/icon.svg")
    assert icon.status_code == 200
    assert icon["Cache-Control"] == "public, max-age=86400"


@pytest.mark.parametrize(
    "path",
    [
        "/static/app/assets/missing-123.js",
        "/static/app/../../pyproject.toml",
        "/favicon.ico",
        "/robots.txt",
        "/auth/unknown",
        "/subgraphs/nope",
        "/calendar/feed/",
        "/static/anything",
    ],
)
def test_server_paths_and_files_are_not_the_portal(built_spa: Path, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 404, (path, response.status_code)


def test_the_server_keeps_its_own_pages(built_spa: Path, db: None) -> None:
    client = Client()
    login = client.get("/auth/login")
    assert login.status_code == 200
    assert b"<form" in login.content
    assert "default-src 'self'" in login["Content-Security-Policy"]
    assert client.get("/health").status_code in {200, 503}
    assert client.post("/").status_code == 405


def test_an_unbuilt_portal_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "SPA_DIR", tmp_path / "missing")
    response = Client().get("/")
    assert response.status_code == 503
    assert b"./dev setup" in response.content
