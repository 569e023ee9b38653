"""A broken deployment, on purpose: what a browser and a script see, and that every process
answers normally again once the fault is gone.

- distributed (`yui gateway` + `yui subgraph`): a browser's session cookie works through
  the gateway; the gateway checks CSRF, the subgraphs trust its signed principal;
- PostgreSQL restarted: every process (`yui serve`, `yui gateway`, `yui subgraph`)
  answers with coded GraphQL errors while it is away and normally once it is back.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.conftest import (
    ROOT,
    Distributed,
    _free_port,
    _server_env,
    _start,
    _stop,
    _wait_for_health,
    yui_command,
)
from yui.scratch_database import _server_params, is_postgres, scratch_postgres

SET = """mutation($m: String!) {
  setMyPresence(input: {status: OUT, message: $m}) { presence { message } errors { message } }
}"""


# --- cookie sessions through the distributed gateway (the subgraphs do not re-check CSRF) --


def test_a_browser_session_works_through_the_distributed_gateway(
    distributed: Distributed,
) -> None:
    # The last staff account of the demo's second town: no other test changes its presence.
    account = [a for a in distributed.server.accounts if a.tenant == "406210"][-1]
    staff = distributed.sign_in(account.tenant, account.login_id)
    # A write to presence, and one to people (its service refused every session before).
    made = staff.data(SET, {"m": "クッキーで"})
    assert made["setMyPresence"] == {"presence": {"message": "クッキーで"}, "errors": []}
    token = staff.data('mutation { createAccessToken(name: "cookie") { token } }')
    assert token["createAccessToken"]["token"].startswith("yui_pat_")
    assert staff.data("{ me { loginId } myPresence { message } }") == {
        "me": {"loginId": account.login_id},
        "myPresence": {"message": "クッキーで"},
    }
    # Without the CSRF header the gateway refuses the cookie-authenticated write.
    refused = staff.graphql(SET, {"m": "偽サイトから"}, csrf=False)
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert staff.data("{ myPresence { message } }")["myPresence"]["message"] == "クッキーで"


# --- PostgreSQL restarted ---------------------------------------------------------------

ADMIN_PASSWORD = "faults-admin-password-1"


@dataclass
class Deployment:
    database_url: str
    database: str
    serve: str
    gateway: str
    subgraphs: list[str]  # base URLs of the `yui subgraph` processes
    token: str


def _yui(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    done = subprocess.run(  # noqa: S603 - our own console script
        yui_command(*args),
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"yui {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """`yui serve`, and `yui gateway` in front of `yui subgraph people|presence`, on a
    PostgreSQL database of their own (its connections are killed by the test)."""
    configured = os.environ.get("YUI_DATABASE_URL", "").strip()
    if not is_postgres(configured):
        pytest.skip("needs PostgreSQL (YUI_DATABASE_URL)")
    tmp = tmp_path_factory.mktemp("faults")
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(scratch_postgres(configured, "yui_faults"))
        env = _server_env(tmp, url)
        _yui(env, "migrate", "--verbosity", "0")
        _yui(env, "tenant", "add", "402125", "大川市", "--slug", "okawa")
        _yui(env, "admin", "add", "--tenant", "402125", "itkanri", "--password-stdin",
             stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
        processes: list[subprocess.Popen[bytes]] = []
        stack.callback(lambda: [_stop(p) for p in processes])
        ports = {name: _free_port() for name in ("serve", "people", "presence", "gateway")}
        log = tmp / "serve.log"
        with log.open("wb") as out:
            serve = subprocess.Popen(  # noqa: S603 - our own console script
                yui_command("serve", "--port", str(ports["serve"]), "--log-level", "warning"),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append(serve)
        serve_url = f"http://127.0.0.1:{ports['serve']}"
        _wait_for_health(serve_url, serve, log)
        urls = {n: f"http://127.0.0.1:{ports[n]}/graphql" for n in ("people", "presence")}
        for name, sub_url in urls.items():
            processes.append(
                _start(name, ["subgraph", name, "--port", str(ports[name])], env, tmp, sub_url)
            )
        gateway_url = f"http://127.0.0.1:{ports['gateway']}/graphql"
        args = ["gateway", "--supergraph", str(ROOT / "schema" / "supergraph.graphql")]
        args += ["--port", str(ports["gateway"])]
        for name, sub_url in urls.items():
            args += ["--subgraph", f"{name}={sub_url}"]
        processes.append(_start("gateway", args, env, tmp, gateway_url))

        with httpx.Client(base_url=serve_url, trust_env=False, timeout=30) as browser:
            signed_in = browser.post(
                "/auth/login",
                json={"tenant": "402125", "loginId": "itkanri", "password": ADMIN_PASSWORD},
            )
            assert signed_in.status_code == 200, signed_in.text
            made = browser.post(
                "/graphql",
                json={"query": 'mutation { createAccessToken(name: "faults") { token } }'},
                headers={"X-CSRFToken": browser.cookies["yui_csrftoken"]},
            )
            token = made.json()["data"]["createAccessToken"]["token"]
        yield Deployment(
            database_url=url,
            database=url.rsplit("/", 1)[1],
            serve=serve_url,
            gateway=f"http://127.0.0.1:{ports['gateway']}",
            subgraphs=[u.removesuffix("/graphql") for u in urls.values()],
            token=token,
        )


def _restart_postgres(deployment: Deployment) -> int:
    """What a restart does to the servers' connections, without restarting the shared
    PostgreSQL: every connection to the deployment's database is terminated."""
    import psycopg

    with psycopg.connect(autocommit=True, **_server_params(deployment.database_url)) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (deployment.database,),
        ).fetchall()
    return len(rows)


@contextlib.contextmanager
def _postgres_away(deployment: Deployment) -> Iterator[None]:
    """The deployment's database refuses connections (and loses those it had) until the
    block ends: an outage of the servers' database, the shared PostgreSQL untouched."""
    import psycopg
    from psycopg import sql

    name = sql.Identifier(deployment.database)
    with psycopg.connect(autocommit=True, **_server_params(deployment.database_url)) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(name))
        try:
            _restart_postgres(deployment)
            yield
        finally:
            conn.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(name))


CHECKS = {
    # (base, path, query): the gateway path of `yui serve` (edge + in-process subgraphs),
    # a subgraph endpoint of `yui serve` (Django's request cycle), and the distributed
    # gateway (its edge) with the people and presence services behind it.
    "serve /graphql": ("serve", "/graphql", "{ me { name } myPresence { label } }"),
    "serve people": ("serve", "/subgraphs/people/graphql", "{ me { name } }"),
    "gateway /graphql": ("gateway", "/graphql", "{ me { name } myPresence { label } }"),
}


def _ask(deployment: Deployment, check: str) -> httpx.Response:
    base, path, query = CHECKS[check]
    return httpx.post(
        getattr(deployment, base) + path,
        json={"query": query},
        headers={"Authorization": f"Bearer {deployment.token}", "Accept": "application/json"},
        trust_env=False,
        timeout=30,
    )


def _ok(response: httpx.Response) -> bool:
    if response.status_code == 200 and not response.json().get("errors"):
        return True
    # While the database is away: a GraphQL error with a code, never an HTML page.
    assert response.headers["content-type"].startswith("application/json"), response.text
    errors = response.json()["errors"]
    assert all(e.get("extensions", {}).get("code") for e in errors), errors
    assert response.status_code in {200, 503}, response.text
    return False


def test_every_process_answers_normally_after_a_database_restart(
    deployment: Deployment,
) -> None:
    for check in CHECKS:
        assert _ok(_ask(deployment, check)), check
    for restart in range(3):  # more than once: a replaced connection must be replaced again
        assert _restart_postgres(deployment) >= 1  # the processes held connections
        for check in CHECKS:
            answers = [_ask(deployment, check) for _ in range(3)]
            failed = [a for a in answers if not _ok(a)]
            assert len(failed) <= 1, (restart, check, [a.text for a in failed])
            assert _ok(answers[-1]), (restart, check, answers[-1].text)
    for url in (deployment.serve, deployment.gateway, *deployment.subgraphs):
        health = httpx.get(url + "/health", trust_env=False)
        assert health.status_code == 200 and health.json()["database"] == "ok", url


def test_while_the_database_is_away_every_process_answers_with_codes(
    deployment: Deployment,
) -> None:
    with _postgres_away(deployment):
        for check in CHECKS:
            response = _ask(deployment, check)
            assert not _ok(response), check
            assert response.status_code == 503, (check, response.text)
            assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert "127.0.0.1" not in response.text and "port 5432" not in response.text
        for url in (deployment.serve, deployment.gateway, *deployment.subgraphs):
            health = httpx.get(url + "/health", trust_env=False, timeout=30)
            assert health.status_code == 503, url
            assert health.json() == {"status": "unavailable", "database": "unavailable"}
    for check in CHECKS:
        assert _ok(_ask(deployment, check)), check
