"""The portal's link collection stays current (`linksChanged`), run on the people subgraph's
schema as the gateway runs it in-process, over the configured channel layer (in-memory, or
Redis with YUI_REDIS_URL): a committed change reaches every colleague of the municipality
with the whole collection in order; another municipality never hears of it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.principal import ROLE_STAFF, ROLE_TENANT_ADMIN, Principal
from subgraphs.people.graphql.schema import schema
from subgraphs.people.models import Link, Person

pytestmark = pytest.mark.django_db(transaction=True)

LINKS_CHANGED = "subscription { linksChanged { title url sortOrder } }"
SAVE = """
mutation($input: SaveLinkInput!) { saveLink(input: $input) { link { id } errors { code } } }
"""
DELETE = "mutation($id: ID!) { deleteLink(id: $id) { deletedId errors { code } } }"
WAIT_SECONDS = 5.0


@pytest.fixture(autouse=True)
async def _close_worker_connections():
    yield
    await sync_to_async(connections.close_all)()


def principal(person: Person, *roles: str) -> Principal:
    return Principal(
        tenant_id=person.tenant_id,
        person_id=person.id,
        roles=frozenset({ROLE_STAFF, *roles}),
        via="test",
    )


async def run(person: Person, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    result = await schema.execute(
        query,
        variable_values=variables,
        context_value=YuiContext(principal=principal(person, ROLE_TENANT_ADMIN)),
    )
    assert result.errors is None, result.errors
    return result.data  # type: ignore[return-value]


async def save_link(admin: Person, title: str, url: str) -> str:
    out = (await run(admin, SAVE, {"input": {"title": title, "url": url}}))["saveLink"]
    assert out["errors"] == []
    return out["link"]["id"]  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def portal(viewer: Person, admin: Person) -> AsyncIterator[Any]:
    """``viewer``'s subscription once it listens: the administrator saves a link until one
    event arrives (a subscription joins its group only when it starts running)."""
    stream = await schema.subscribe(
        LINKS_CHANGED, context_value=YuiContext(principal=principal(viewer))
    )
    assert hasattr(stream, "__anext__"), stream
    first = asyncio.ensure_future(stream.__anext__())
    try:
        for i in range(100):
            await save_link(admin, f"ping {i}", f"https://ping{i}.example/")
            done, _ = await asyncio.wait({first}, timeout=0.05)
            if done:
                break
        else:
            pytest.fail("the subscription never heard a change")
        yield stream
    finally:
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
            await first
        await stream.aclose()


async def next_links(stream: Any) -> list[dict[str, Any]]:
    result = await asyncio.wait_for(stream.__anext__(), WAIT_SECONDS)
    assert result.errors is None, result.errors
    return result.data["linksChanged"]  # type: ignore[no-any-return]


async def latest_links(stream: Any, title: str) -> list[dict[str, Any]]:
    """The collection once an event shows `title` (late pings may come first)."""
    while True:
        links = await next_links(stream)
        if any(link["title"] == title for link in links):
            return links


async def test_a_new_link_reaches_a_colleagues_portal_with_the_whole_collection(okawa):
    admin = okawa.admin
    async with portal(okawa.people["shuji"], admin) as stream:
        await save_link(admin, "財務会計システム", "http://zaimu.okawa.lgwan.local/")
        links = await latest_links(stream, "財務会計システム")
        assert links[-1] == {
            "title": "財務会計システム",
            "url": "http://zaimu.okawa.lgwan.local/",
            "sortOrder": len(links) - 1,
        }
        assert [link["sortOrder"] for link in links] == list(range(len(links)))
        deleted = await run(admin, DELETE, {"id": await _id_of(okawa, "財務会計システム")})
        assert deleted["deleteLink"]["errors"] == []
        while True:
            after = await next_links(stream)
            if all(link["title"] != "財務会計システム" for link in after):
                break


async def _id_of(m: Any, title: str) -> str:
    return str(
        await Link.objects.filter(tenant=m.tenant, title=title).values_list("id", flat=True).aget()
    )


async def test_another_municipality_never_hears_of_the_change(okawa, kanda):
    async with portal(kanda.people["shuji"], kanda.admin) as stream:
        await save_link(okawa.admin, "大川市だけのリンク", "https://okawa.example/")
        await save_link(kanda.admin, "苅田町のリンク", "https://kanda.example/")
        links = await latest_links(stream, "苅田町のリンク")
        assert all("大川市" not in link["title"] for link in links)


async def test_signed_out_cannot_subscribe(okawa):
    stream = await schema.subscribe(
        LINKS_CHANGED, context_value=YuiContext(principal=Principal(None, None))
    )
    result = stream if not hasattr(stream, "__anext__") else await stream.__anext__()
    assert result.errors and result.errors[0].extensions["code"] == "UNAUTHENTICATED"
