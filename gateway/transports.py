"""How the gateway reaches subgraphs: in-process (embedded), HTTP, WebSocket."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import orjson

from gateway.executor import RequestContext, SubgraphUnavailable
from gateway.http_client import HttpClient, HttpError
from gateway.supergraph import Graph

logger = logging.getLogger("gateway")


def format_error(error: Any) -> dict[str, Any]:
    """A graphql-core error as the JSON a subgraph would send over HTTP."""
    formatted = getattr(error, "formatted", None)
    if isinstance(formatted, dict):
        return formatted
    return {"message": str(error)}


class InProcessTransport:
    """Calls a Strawberry (or any graphql-core based) schema in this process: no HTTP hop.

    ``context_factory(request_context)`` builds the subgraph's context for each call, e.g.
    Yui's context carrying the principal as an object (DESIGN rule 4).
    """

    def __init__(self, schema: Any, context_factory: Callable[[RequestContext], Any] | None = None):
        self.schema = schema
        self.context_factory = context_factory

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        ctx = self.context_factory(context) if self.context_factory else None
        result = await self.schema.execute(document, variable_values=variables, context_value=ctx)
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [format_error(e) for e in result.errors]
        return response

    async def subscribe(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        ctx = self.context_factory(context) if self.context_factory else None
        results = await self.schema.subscribe(
            document, variable_values=variables, context_value=ctx
        )
        if not hasattr(results, "__aiter__"):
            response: dict[str, Any] = {"data": results.data}
            if results.errors:
                response["errors"] = [format_error(e) for e in results.errors]
            yield response
            return
        async for result in results:
            response = {"data": result.data}
            if result.errors:
                response["errors"] = [format_error(e) for e in result.errors]
            yield response


class HttpTransport:
    """POSTs to a subgraph over pooled keep-alive connections, with a timeout.

    ``headers_factory(request_context)`` adds per-request headers, e.g. Yui's signed
    principal header.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        timeout: float = 10.0,
        client: HttpClient | None = None,
        headers_factory: Callable[[RequestContext], Mapping[str, str]] | None = None,
    ):
        self.url = url
        self.timeout = timeout
        self.headers_factory = headers_factory
        self.client = client or HttpClient(timeout=timeout)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def execute(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> dict[str, Any]:
        url = self.url or graph.url
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.headers_factory:
            headers.update(self.headers_factory(context))
        body = orjson.dumps({"query": document, "variables": variables})
        try:
            status, raw = await self.client.post(url, body, headers)
        except TimeoutError as exc:
            raise SubgraphUnavailable(f"timed out after {self.timeout:g} s", graph.name) from exc
        except HttpError as exc:
            # The detail names the subgraph's internal address: the log has it, clients not.
            logger.warning("Subgraph %s at %s: %s", graph.name, url, exc)
            raise SubgraphUnavailable("no answer", graph.name) from exc
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise SubgraphUnavailable(f"HTTP {status}, not a GraphQL response", graph.name) from exc
        if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
            raise SubgraphUnavailable(f"HTTP {status}, not a GraphQL response", graph.name)
        return payload

    async def subscribe(
        self, graph: Graph, document: str, variables: dict[str, Any], context: RequestContext
    ) -> AsyncIterator[dict[str, Any]]:
        """Subscriptions over ``graphql-transport-ws`` to the subgraph's URL.

        Whatever ends the stream other than the subgraph's ``complete`` or ``error`` (it
        cannot be reached, does not acknowledge in time, or its connection drops: a
        subgraph that died or restarted) raises ``SubgraphUnavailable`` at once, so the
        client hears of it and may subscribe again.
        """
        import websockets

        url = (self.url or graph.url).replace("http://", "ws://").replace("https://", "wss://")
        headers = dict(self.headers_factory(context)) if self.headers_factory else {}

        def unavailable(reason: str, exc: BaseException | None = None) -> SubgraphUnavailable:
            logger.warning(
                "Subscription to subgraph %s at %s: %s (%r)", graph.name, url, reason, exc
            )
            return SubgraphUnavailable(reason, graph.name)

        try:
            async with asyncio.timeout(self.timeout):
                socket = await websockets.connect(
                    url,
                    subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    additional_headers=headers,
                    # Ending a subscription waits for the close handshake; a subgraph
                    # that is gone must not hold its client's connection for long.
                    close_timeout=2,
                )
        except TimeoutError as exc:
            raise unavailable(f"no WebSocket within {self.timeout:g} s", exc) from exc
        except (OSError, websockets.exceptions.WebSocketException) as exc:
            raise unavailable("cannot open a WebSocket", exc) from exc
        try:
            try:
                await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
                ack = json.loads(await asyncio.wait_for(socket.recv(), self.timeout))
            except TimeoutError as exc:
                raise unavailable(f"no connection_ack within {self.timeout:g} s", exc) from exc
            if not isinstance(ack, dict) or ack.get("type") != "connection_ack":
                raise unavailable("the WebSocket was not acknowledged")
            await socket.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": document, "variables": variables},
                    }
                )
            )
            async for raw in socket:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    yield message.get("payload") or {}
                elif kind == "error":
                    yield {"data": None, "errors": message.get("payload") or []}
                    return
                elif kind == "complete":
                    return
                elif kind == "ping":
                    await socket.send(json.dumps({"type": "pong"}))
            raise unavailable("the subscription's connection closed before it completed")
        except websockets.exceptions.ConnectionClosed as exc:
            raise unavailable("the subscription's connection was lost", exc) from exc
        except ValueError as exc:  # not JSON
            raise unavailable("the subgraph sent an invalid message", exc) from exc
        finally:
            await socket.close()
