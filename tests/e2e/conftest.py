"""End-to-end fixtures: Yui started the way the README starts it, as real processes.

One server per test session: ``yui demo`` loads the demo municipalities into a fresh
database, then ``yui serve`` answers on a free port until the session ends.

Database: when ``YUI_DATABASE_URL`` names PostgreSQL, a throwaway database is created on
that server (and dropped at the end); otherwise a SQLite file in a temporary directory.
``YUI_REDIS_URL`` passes through unchanged, with a cache key prefix of our own so login
throttling counters of other runs on the same Redis do not leak in.

These tests never touch pytest-django's test database.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from yui.scratch_database import is_postgres, scratch_postgres

ROOT = Path(__file__).resolve().parents[2]
GRAPHQL_PATH = "/subgraphs/people/graphql"
SECRET_KEY = "yui-e2e-fixed-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"
DEMO_TIMEOUT = 300.0  # seconds for one `yui demo` (migrations + two CSV imports)
START_TIMEOUT = 60.0  # seconds for `yui serve` to answer /health
STOP_TIMEOUT = 10.0

# "  402125 (okawa)  0656905 / yui-demo-staff   山口 花子 (係長, 建設部 > 建築課 > 庶務係)"
_ACCOUNT_LINE = re.compile(
    r"^\s+(?P<code>\d{6}) \((?P<slug>[\w-]+)\)\s+(?P<login>\S+)\s+/\s+(?P<password>\S+)\s+(?P<rest>.*)$"
)


@dataclass(frozen=True)
class DemoAccount:
    """One account `yui demo` printed."""

    tenant: str
    slug: str
    login_id: str
    password: str
    name: str | None  # None for the tenant administrator (its name is not printed)
    description: str  # what follows the password on the printed line


def parse_demo_accounts(output: str) -> list[DemoAccount]:
    accounts = []
    for line in output.splitlines():
        match = _ACCOUNT_LINE.match(line)
        if match is None:
            continue
        rest = match["rest"].strip()
        name = rest.rsplit(" (", 1)[0] if rest.endswith(")") and " (" in rest else None
        accounts.append(
            DemoAccount(
                tenant=match["code"],
                slug=match["slug"],
                login_id=match["login"],
                password=match["password"],
                name=name,
                description=rest,
            )
        )
    return accounts


def yui_command(*args: str) -> list[str]:
    """The installed ``yui`` console script next to this interpreter (or its module)."""
    script = Path(sys.executable).parent / "yui"
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "yui.cli", *args]


@dataclass
class YuiServer:
    """A running ``yui serve`` and what is needed to run more ``yui`` commands against it."""

    url: str
    env: dict[str, str]
    database_url: str
    data_dir: Path
    log_path: Path
    demo_output: str
    accounts: list[DemoAccount] = field(default_factory=list)

    def account(self, tenant: str, login_id: str) -> DemoAccount:
        for account in self.accounts:
            if account.tenant == tenant and account.login_id == login_id:
                return account
        printed = "\n".join(f"{a.tenant} {a.login_id}" for a in self.accounts)
        raise LookupError(
            f"`yui demo` printed no account {tenant} {login_id}; it printed:\n{printed}"
        )

    def run_yui(
        self, *args: str, timeout: float = DEMO_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own console script
            yui_command(*args),
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


class YuiClient:
    """An HTTP client of one browser-like session (cookies) against the server."""

    def __init__(self, server: YuiServer, graphql_url: str = GRAPHQL_PATH) -> None:
        self.server = server
        self.graphql_url = graphql_url  # a path on the server, or another process's URL
        self.http = httpx.Client(
            base_url=server.url, timeout=30.0, follow_redirects=False, trust_env=False
        )
        self.person: dict[str, Any] = {}  # the signed-in person, as /auth/login returned it

    def login(self, account: DemoAccount, password: str | None = None) -> httpx.Response:
        """JSON sign-in; on success later GraphQL POSTs carry the CSRF token."""
        response = self.http.post(
            "/auth/login",
            json={
                "tenant": account.tenant,
                "loginId": account.login_id,
                "password": account.password if password is None else password,
            },
        )
        if response.status_code == 200:
            body = response.json()
            self.person = body["person"]
        return response

    def csrf_token(self) -> str | None:
        return self.http.cookies.get("yui_csrftoken")

    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        csrf: bool = True,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        token = self.csrf_token()
        if csrf and token:
            sent["X-CSRFToken"] = token
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        return self.http.post(self.graphql_url, json=payload, headers=sent)

    def data(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """The ``data`` of a query that must succeed without GraphQL errors."""
        response = self.graphql(query, variables, **kwargs)
        assert response.status_code == 200, (
            f"{response.status_code} {response.text}\n--- server log ---\n{self.server.log_tail()}"
        )
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]

    def close(self) -> None:
        self.http.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _database(tmp: Path) -> Iterator[str]:
    """A fresh, empty database URL for the server; PostgreSQL when the environment uses it."""
    configured = os.environ.get("YUI_DATABASE_URL", "").strip()
    if not is_postgres(configured):
        yield f"sqlite:///{tmp / 'yui.sqlite3'}"
        return
    with scratch_postgres(configured, "yui_e2e") as url:
        yield url


def _server_env(data_dir: Path, database_url: str) -> dict[str, str]:
    # Settings of the developer's own deployment (YUI_DEBUG, YUI_SECURE_COOKIES, ...) must
    # not leak into the server under test; YUI_REDIS_URL is the one that is meant to.
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUI_")}
    if os.environ.get("YUI_REDIS_URL"):
        env["YUI_REDIS_URL"] = os.environ["YUI_REDIS_URL"]
    env.update(
        {
            "YUI_DATA_DIR": str(data_dir),
            "YUI_DATABASE_URL": database_url,
            "YUI_SECRET_KEY": SECRET_KEY,
            "YUI_CACHE_PREFIX": f"yui-e2e-{secrets.token_hex(4)}",
            "DJANGO_SETTINGS_MODULE": "yui.settings",
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    return env


def _wait_for_health(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last_error = "no answer yet"
    while True:
        if process.poll() is not None:
            log = log_path.read_text(encoding="utf-8", errors="replace")
            pytest.fail(f"`yui serve` exited with {process.returncode}:\n{log}", pytrace=False)
        try:
            response = httpx.get(f"{url}/health", timeout=2.0, trust_env=False)
            if response.status_code == 200:
                return
            last_error = f"{response.status_code} {response.text[:200]}"
        except httpx.TransportError as exc:
            last_error = repr(exc)
        if time.monotonic() > deadline:
            log = log_path.read_text(encoding="utf-8", errors="replace")
            pytest.fail(
                f"`yui serve` did not answer /health in {START_TIMEOUT:.0f}s ({last_error}):\n{log}",
                pytrace=False,
            )
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def yui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[YuiServer]:
    tmp = tmp_path_factory.mktemp("yui-e2e")
    data_dir = tmp / "data"
    data_dir.mkdir()
    with _database(tmp) as database_url:
        env = _server_env(data_dir, database_url)
        demo = subprocess.run(  # noqa: S603 - our own console script
            yui_command("demo"),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=DEMO_TIMEOUT,
            check=False,
        )
        if demo.returncode != 0:
            pytest.fail(
                f"`yui demo` failed with {demo.returncode}:\n{demo.stdout}\n{demo.stderr}",
                pytrace=False,
            )
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = tmp / "serve.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own console script
                yui_command(
                    "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"
                ),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_for_health(url, process, log_path)
                yield YuiServer(
                    url=url,
                    env=env,
                    database_url=database_url,
                    data_dir=data_dir,
                    log_path=log_path,
                    demo_output=demo.stdout,
                    accounts=parse_demo_accounts(demo.stdout),
                )
            finally:
                _stop(process)


# --- distributed: each subgraph its own process, `yui gateway` in front ---------------------


@dataclass
class Distributed:
    gateway: str
    subgraphs: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]]
    env: dict[str, str]
    logs: Path
    server: YuiServer

    def sign_in(self, tenant: str, login_id: str) -> YuiClient:
        """A browser-like client whose GraphQL goes through this deployment's gateway.

        The session cookie comes from ``yui serve``'s /auth/login: the distributed
        deployment shares its database and secret key, and the gateway has no sign-in
        page of its own. Mutations carry the X-CSRFToken header, as the SPA sends it.
        """
        client = YuiClient(self.server, graphql_url=f"{self.gateway}/graphql")
        response = client.login(self.server.account(tenant, login_id))
        assert response.status_code == 200, response.text
        return client


def _wait_port(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited:\n{log.read_text()}", pytrace=False)
        try:
            httpx.post(url, json={"query": "{ __typename }"}, timeout=2, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not start:\n{log.read_text()}", pytrace=False)


def _start(
    name: str, args: list[str], env: dict[str, str], logs: Path, url: str
) -> subprocess.Popen[bytes]:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            yui_command(*args),
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    _wait_port(url, process, log)
    return process


@pytest.fixture(scope="session")
def distributed(
    yui_server: YuiServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Distributed]:
    """Each subgraph as its own process on the e2e database, and `yui gateway` in front."""
    logs = tmp_path_factory.mktemp("distributed")
    names = ("people", "presence", "calendar", "facilities")
    ports = {name: _free_port() for name in (*names, "gateway")}
    urls = {name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()}
    # Subgraphs that ask others (calendar books rooms, facilities reads departments) reach
    # them over HTTP with the signed principal, as in a real distributed deployment.
    peers = {
        "calendar": f"facilities={urls['facilities']},people={urls['people']}",
        "facilities": f"people={urls['people']}",
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in names:
            env = dict(yui_server.env)
            if name in peers:
                env["YUI_SUBGRAPH_URLS"] = peers[name]
            processes[name] = _start(
                name, ["subgraph", name, "--port", str(ports[name])], env, logs, urls[name]
            )
        args = [
            "gateway",
            "--supergraph",
            str(ROOT / "schema" / "supergraph.graphql"),
            "--port",
            str(ports["gateway"]),
        ]
        for name in names:
            args += ["--subgraph", f"{name}={urls[name]}"]
        processes["gateway"] = _start("gateway", args, yui_server.env, logs, urls["gateway"])
        yield Distributed(
            gateway=f"http://127.0.0.1:{ports['gateway']}",
            subgraphs={n: urls[n] for n in names},
            processes=processes,
            env=yui_server.env,
            logs=logs,
            server=yui_server,
        )
    finally:
        for process in processes.values():
            _stop(process)


@pytest.fixture
def client(yui_server: YuiServer) -> Iterator[YuiClient]:
    """An anonymous client with its own cookie jar."""
    yui = YuiClient(yui_server)
    yield yui
    yui.close()


@pytest.fixture
def sign_in(yui_server: YuiServer) -> Iterator[Callable[[str, str], YuiClient]]:
    """``sign_in(tenant_code, login_id)``: a new client signed in as that demo account.

    Every test signs in afresh: `yui demo` resets the demo passwords, which ends the
    sessions made before it.
    """
    clients: list[YuiClient] = []

    def _sign_in(tenant: str, login_id: str) -> YuiClient:
        yui = YuiClient(yui_server)
        clients.append(yui)
        response = yui.login(yui_server.account(tenant, login_id))
        assert response.status_code == 200, (
            f"sign-in as {tenant} {login_id}: {response.status_code} {response.text}"
        )
        return yui

    yield _sign_in
    for yui in clients:
        yui.close()
