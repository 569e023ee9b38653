"""Opening the shared subscription connection (gateway.transports, multiplexed): clients
that subscribe together while a subgraph does not answer wait for ONE attempt to open it
and all get its error, instead of each trying and timing out in turn. The subgraph here
is a real TCP listener that accepts connections and never answers the handshake."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from gateway.executor import RequestContext, SubgraphUnavailable
from gateway.transports import HttpTransport


async def test_subscribers_waiting_for_a_failed_opening_share_its_error() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # never answers: the WebSocket handshake times out

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/graphql"
    transport = HttpTransport(url, timeout=1, multiplex=True)
    graph = SimpleNamespace(name="beats", url=url)

    async def subscribe() -> None:
        async for _ in transport.subscribe(graph, "subscription { beat }", {}, RequestContext()):
            pytest.fail("no event can come")

    try:
        outcomes = await asyncio.gather(*(subscribe() for _ in range(5)), return_exceptions=True)
        assert all(isinstance(o, SubgraphUnavailable) for o in outcomes), outcomes
        assert {o.service for o in outcomes} == {"beats"}  # type: ignore[union-attr]
        assert len(accepted) == 1
        # a subscription that comes after the failure tries again
        with pytest.raises(SubgraphUnavailable):
            await subscribe()
        assert len(accepted) == 2
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
        await transport.aclose()
