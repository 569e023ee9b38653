"""Redis down: a change that committed is a success, the lost event is logged, and no
client ever sees the channel layer's address."""

from __future__ import annotations

import logging
import socket

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from subgraphs.core.graphql.context import YuiContext
from subgraphs.presence.graphql.schema import schema as presence_schema
from tests.conftest import Municipality
from tests.presence import MY_PRESENCE, SET_MY_PRESENCE, presence_api, principal_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis_down(settings) -> str:
    """A Redis channel layer on a port nothing listens on; its address, as "host:port"."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{port}/0"]},
        }
    }
    return f"{port}"


def test_a_committed_change_succeeds_and_the_lost_event_is_logged(
    okawa: Municipality, redis_down: str, caplog: pytest.LogCaptureFixture
) -> None:
    api = presence_api(okawa, "shuji")
    with caplog.at_level(logging.WARNING):
        response = api.post(SET_MY_PRESENCE, {"input": {"status": "MEETING", "message": "会議"}})
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["setMyPresence"]["errors"] == []
    assert body["data"]["setMyPresence"]["presence"]["message"] == "会議"
    assert redis_down not in response.content.decode()
    # The change was saved.
    assert api.data(MY_PRESENCE)["myPresence"]["message"] == "会議"
    lost = [r for r in caplog.records if "presence.changed" in r.getMessage()]
    assert lost and lost[0].levelno == logging.WARNING, caplog.text
    assert "lost" in lost[0].getMessage()


async def test_a_subscription_without_redis_is_told_so_without_the_address(
    okawa: Municipality, redis_down: str
) -> None:
    try:
        stream = await presence_schema.subscribe(
            "subscription { presenceChanged { message } }",
            context_value=YuiContext(principal=principal_of(okawa.people["shuji"])),
        )
        result = await anext(stream)  # type: ignore[arg-type]
        assert result.errors, result
        error = result.errors[0].formatted
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
        assert redis_down not in str(error) and "127.0.0.1" not in str(error)
        await stream.aclose()  # type: ignore[union-attr]
    finally:
        await sync_to_async(connections.close_all)()
