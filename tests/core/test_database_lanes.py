"""The gateway path's database work: independent requests run it at the same time, each
on a thread of its own (``DB_THREADS``), instead of all queueing for one thread."""

from __future__ import annotations

import asyncio
import threading

import httpx

from subgraphs.core.principal import ANONYMOUS
from yui import edge


async def _requests_meeting(monkeypatch, requests: int, parties: int) -> tuple[list[int], set[int]]:
    from yui.federation import embedded_app

    barrier = threading.Barrier(parties, timeout=3)
    threads: set[int] = set()
    statuses: list[int] = []

    def authenticate(incoming):  # runs where the request's ORM work runs
        threads.add(threading.get_ident())
        barrier.wait()  # both requests must be in here at once to pass
        return ANONYMOUS, None, None  # (principal, session store, token policy)

    monkeypatch.setattr(edge, "_authenticate_sync", authenticate)
    transport = httpx.ASGITransport(app=embedded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:

        async def one() -> None:
            response = await client.post(
                "/graphql",
                json={"query": "{ __typename }"},
                headers={"Authorization": "Bearer x"},
            )
            statuses.append(response.status_code)

        await asyncio.wait_for(asyncio.gather(*(one() for _ in range(requests))), 20)
    return statuses, threads


async def test_two_requests_do_their_database_work_at_once(monkeypatch, settings):
    settings.DB_THREADS = 2
    statuses, threads = await _requests_meeting(monkeypatch, 2, 2)
    assert statuses == [200, 200]
    assert len(threads) == 2
    assert threading.get_ident() not in threads  # never the event loop's thread


async def test_more_requests_than_threads_wait_for_one(monkeypatch, settings):
    # Four requests, two threads: a third request waits for a free thread instead of
    # starting a thread (and a connection) of its own; the barrier of 2 lets pairs pass.
    settings.DB_THREADS = 2
    statuses, threads = await _requests_meeting(monkeypatch, 4, 2)
    assert statuses == [200] * 4
    assert len(threads) == 2
