"""Settings from the environment: safe defaults, clear errors for bad values."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from yui import config


def test_sqlite_and_postgres_urls_become_django_settings():
    sqlite = config.database_from_url("sqlite:////srv/yui/yui.sqlite3")
    assert sqlite["ENGINE"] == "yui.sqlite"
    assert sqlite["NAME"] == "/srv/yui/yui.sqlite3"
    pg = config.database_from_url("postgres://yui:s%40cret@db.local:5433/yui")
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql",
        "yui",
        "yui",
        "s@cret",
        "db.local",
        "5433",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/yui", "unsupported scheme 'mysql'"),
        ("postgres://127.0.0.1", "name the database"),
        ("postgres://127.0.0.1:notaport/yui", "bad port"),
        ("sqlite://", "needs a file"),
    ],
)
def test_bad_database_urls_are_refused_clearly(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        config.database_from_url(url)


def test_bad_redis_url_secret_and_flag(monkeypatch):
    monkeypatch.setenv("YUI_REDIS_URL", "http://localhost:6379")
    with pytest.raises(ImproperlyConfigured, match="YUI_REDIS_URL"):
        config.redis_url()
    monkeypatch.setenv("YUI_SECRET_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        config.secret_key()
    monkeypatch.setenv("YUI_DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="expected true or false"):
        config.flag("YUI_DEBUG", False)


def test_generated_secret_key_is_kept_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("YUI_SECRET_KEY", raising=False)
    monkeypatch.setenv("YUI_DATA_DIR", str(tmp_path))
    first = config.secret_key()
    assert len(first) >= 50
    assert config.secret_key() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_the_yui_command_reports_a_bad_setting_without_a_traceback(tmp_path):
    env = {**os.environ, "YUI_DATA_DIR": str(tmp_path), "YUI_DATABASE_URL": "oracle://x/y"}
    result = subprocess.run(
        [sys.executable, "-m", "yui.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "yui: configuration error: YUI_DATABASE_URL='oracle://x/y'" in result.stderr
    assert "Traceback" not in result.stderr


def test_postgres_url_options_and_their_errors():
    default = config.database_from_url("postgres://yui@db.local/yui")
    assert default["OPTIONS"] == {"connect_timeout": config.POSTGRES_CONNECT_TIMEOUT}
    tuned = config.database_from_url(
        "postgres://yui@db.local/yui?connect_timeout=2&sslmode=require"
    )
    assert tuned["OPTIONS"] == {"connect_timeout": 2, "sslmode": "require"}
    with pytest.raises(ImproperlyConfigured, match="unknown option"):
        config.database_from_url("postgres://yui@db.local/yui?application_nam=x")
    with pytest.raises(ImproperlyConfigured, match="connect_timeout"):
        config.database_from_url("postgres://yui@db.local/yui?connect_timeout=0")


def test_a_database_host_that_never_answers_is_given_up_on():
    # A socket that accepts connections and never says a word, as a hung server or a
    # half-dead route does: without connect_timeout, libpq would wait indefinitely.
    import socket
    import time

    import psycopg

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        port = silent.getsockname()[1]
        db = config.database_from_url(f"postgres://yui@127.0.0.1:{port}/yui?connect_timeout=2")
        started = time.monotonic()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(
                host=db["HOST"],
                port=db["PORT"],
                dbname=db["NAME"],
                user=db["USER"],
                **db["OPTIONS"],
            )
        assert time.monotonic() - started < 30
    finally:
        silent.close()
