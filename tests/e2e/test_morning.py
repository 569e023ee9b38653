"""The council's morning in small: many people signing in at the same moment against a
real ``yui serve`` all get JSON answers, on SQLite too (no "database is locked")."""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import YuiServer

ME = {"query": "{ me { name } }"}
# More than the server checks at once (LOGIN_MAX_IN_FLIGHT, 32): some are told to retry.
SIGN_INS = 48


async def _morning(server: YuiServer) -> list[tuple[str, int, str, object]]:
    accounts = [a for a in server.accounts if a.name]
    gate = asyncio.Event()
    retried: list[int] = []

    async def one(i: int) -> tuple[str, int, str, object]:
        account = accounts[i % len(accounts)]
        async with httpx.AsyncClient(base_url=server.url, timeout=60.0, trust_env=False) as http:
            await gate.wait()
            for _ in range(5):
                response = await http.post(
                    "/auth/login",
                    json={
                        "tenant": account.tenant,
                        "loginId": account.login_id,
                        "password": account.password,
                    },
                )
                kind = response.headers.get("content-type", "")
                if response.status_code != 503 or not kind.startswith("application/json"):
                    break
                # More sign-ins at once than the server checks: it says when to come back.
                assert response.json()["error"] == "overloaded"
                retried.append(int(response.headers["retry-after"]))
                await asyncio.sleep(int(response.headers["retry-after"]))
            if response.status_code != 200:
                return ("sign-in", response.status_code, kind, response.text[:200])
            me = await http.post(
                "/graphql", json=ME, headers={"X-CSRFToken": http.cookies["yui_csrftoken"]}
            )
            return ("me", me.status_code, me.headers.get("content-type", ""), me.json())

    tasks = [asyncio.create_task(one(i)) for i in range(SIGN_INS)]
    await asyncio.sleep(0.2)  # every client is connected and waiting: all go at once
    gate.set()
    return await asyncio.gather(*tasks)


def test_concurrent_sign_ins_all_answer_json_200(yui_server: YuiServer) -> None:
    results = asyncio.run(_morning(yui_server))
    failed = [r for r in results if r[0] != "me" or r[1] != 200 or "errors" in r[3]]  # type: ignore[operator]
    assert not failed, (failed[:5], yui_server.log_tail())
    assert all("json" in r[2] for r in results), {r[2] for r in results}
    assert "database is locked" not in yui_server.log_tail(400)


def test_the_embedded_database_runs_in_wal_mode(yui_server: YuiServer) -> None:
    url = urlsplit(yui_server.database_url)
    if url.scheme != "sqlite":
        return  # PostgreSQL: nothing to check
    # journal_mode=WAL is a property of the database file: any connection reads it back.
    with sqlite3.connect(url.path[1:]) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_several_processes_need_redis(settings) -> None:
    from django.core.management import CommandError, call_command

    settings.REDIS_URL = None
    with pytest.raises(CommandError, match="YUI_REDIS_URL"):
        call_command("serve", workers=2)
