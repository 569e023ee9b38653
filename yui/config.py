"""Settings read from the environment, each checked with a clear error.

Yui runs embedded with no configuration at all (SQLite and the in-memory channel layer
under the data directory); an operator points it at PostgreSQL and Redis with
``YUI_DATABASE_URL`` and ``YUI_REDIS_URL``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

POSTGRES_SCHEMES = frozenset({"postgres", "postgresql", "pgsql"})


def data_dir() -> Path:
    """Where the embedded database and the generated secret key live (``YUI_DATA_DIR``)."""
    path = Path(os.environ.get("YUI_DATA_DIR") or BASE_DIR / "var").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


# A database host that does not answer (a dead server, a dropped route) must not hang a
# request or /health for the operating system's TCP timeout (minutes): libpq gives up after
# this many seconds, and the client gets SERVICE_UNAVAILABLE.
POSTGRES_CONNECT_TIMEOUT = 5
_POSTGRES_URL_OPTIONS = {"connect_timeout", "sslmode"}


def _postgres_options(url: str, query: str) -> dict[str, object]:
    """libpq options from the URL's query (``?connect_timeout=2&sslmode=require``)."""
    given = dict(parse_qsl(query, keep_blank_values=True))
    unknown = sorted(set(given) - _POSTGRES_URL_OPTIONS)
    if unknown:
        raise ImproperlyConfigured(
            f"YUI_DATABASE_URL={url!r}: unknown option(s) {', '.join(unknown)}; "
            f"Yui takes {', '.join(sorted(_POSTGRES_URL_OPTIONS))}"
        )
    options: dict[str, object] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT}
    if "connect_timeout" in given:
        value = given["connect_timeout"]
        if not value.isdigit() or not 1 <= int(value) <= 600:
            raise ImproperlyConfigured(
                f"YUI_DATABASE_URL={url!r}: connect_timeout is whole seconds from 1 to 600"
            )
        options["connect_timeout"] = int(value)
    if "sslmode" in given:
        options["sslmode"] = given["sslmode"]
    return options


def database_from_url(url: str) -> dict[str, object]:
    """Turn ``sqlite:///path`` or ``postgres://user@host:port/name`` into Django's dict."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative/or/absolute/path ; sqlite:///:memory: for throwaway runs
        name = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not name:
            raise ImproperlyConfigured(
                f"YUI_DATABASE_URL={url!r}: a SQLite URL needs a file, e.g. sqlite:///var/yui.db"
            )
        return {
            # Django's sqlite3 backend, with cheaper UUID and datetime values (yui/sqlite)
            "ENGINE": "yui.sqlite",
            "NAME": name,
            # Writers wait for each other instead of failing with "database is locked";
            # IMMEDIATE makes every transaction take the write lock up front, which is what
            # serialises conflicting writes (bookings, imports) on SQLite. WAL lets readers
            # and the one writer run at once (in the default rollback journal a reader
            # blocks a commit, and a reader that then wants to write fails at once, busy
            # timeout or not). synchronous=NORMAL is WAL's usual pairing: no fsync per
            # commit; a power cut may lose the last commits, never the database's
            # consistency.
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
            "TEST": {"NAME": None},
        }
    if scheme in POSTGRES_SCHEMES:
        if not parts.path.strip("/"):
            raise ImproperlyConfigured(
                f"YUI_DATABASE_URL={url!r}: name the database, e.g. postgres://127.0.0.1/yui"
            )
        try:
            port = parts.port
        except ValueError as exc:
            raise ImproperlyConfigured(f"YUI_DATABASE_URL={url!r}: bad port ({exc})") from exc
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.strip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": 0,
            "OPTIONS": _postgres_options(url, parts.query),
        }
    raise ImproperlyConfigured(
        f"YUI_DATABASE_URL={url!r}: unsupported scheme {scheme!r}; "
        "use sqlite:///PATH or postgres://USER@HOST:PORT/NAME"
    )


def redis_url() -> str | None:
    """The Redis URL for the channel layer and the cache, or None when embedded."""
    url = os.environ.get("YUI_REDIS_URL", "").strip()
    if not url:
        return None
    if urlsplit(url).scheme not in {"redis", "rediss", "unix"}:
        raise ImproperlyConfigured(
            f"YUI_REDIS_URL={url!r}: expected redis://HOST:PORT/DB (or rediss://, unix://)"
        )
    return url


def subgraph_urls() -> dict[str, str]:
    """``YUI_SUBGRAPH_URLS``: where other subgraphs run when this process serves one of them.

    ``people=http://10.0.0.5:4001/graphql,facilities=http://10.0.0.6:4004/graphql``. A
    subgraph that asks another one (calendar books rooms through facilities) calls the URL
    with the signed principal header; a name not listed is called in-process (embedded).
    """
    raw = os.environ.get("YUI_SUBGRAPH_URLS", "").strip()
    urls: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or urlsplit(url.strip()).scheme not in {"http", "https"}:
            raise ImproperlyConfigured(
                f"YUI_SUBGRAPH_URLS: {item!r}: expected NAME=http://HOST:PORT/graphql"
            )
        urls[name.strip()] = url.strip()
    return urls


def public_url() -> str | None:
    """``YUI_PUBLIC_URL``: the address users reach this deployment at, e.g.
    ``https://groupware.example.lg.jp`` (a path prefix is allowed), for links that leave
    the browser (calendar feed URLs). Unset: each request's own scheme and host."""
    raw = os.environ.get("YUI_PUBLIC_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    try:
        parts.port  # noqa: B018  # raises ValueError for a bad port
    except ValueError as exc:
        raise ImproperlyConfigured(f"YUI_PUBLIC_URL={raw!r}: bad port ({exc})") from exc
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"YUI_PUBLIC_URL={raw!r}: expected http(s)://HOST[:PORT][/PATH], "
            "e.g. https://groupware.example.lg.jp"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ImproperlyConfigured(
            f"YUI_PUBLIC_URL={raw!r}: only scheme, host, port and path, no query or user"
        )
    return raw.rstrip("/")


def secret_key() -> str:
    """``YUI_SECRET_KEY``, or a key generated once and kept in the data directory.

    Every process of one deployment must share the key (it signs sessions and the
    principal header between gateway and subgraphs), so distributed deployments set it.
    """
    key = os.environ.get("YUI_SECRET_KEY", "").strip()
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured("YUI_SECRET_KEY must be at least 32 characters long")
        return key
    path = data_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected true or false")


def hour_of_day(name: str, default: int) -> int:
    """An hour 0-23 of the day in Japan time, e.g. ``YUI_PRESENCE_RESET_HOUR=4`` (04:00)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and 0 <= int(raw) <= 23):
        raise ImproperlyConfigured(f"{name}={raw!r}: expected an hour from 0 to 23 (Japan time)")
    return int(raw)


def count(name: str, default: int, *, most: int = 64) -> int:
    """A whole number from 0 to ``most``, e.g. ``YUI_DB_THREADS=4``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and int(raw) <= most):
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number from 0 to {most}")
    return int(raw)
