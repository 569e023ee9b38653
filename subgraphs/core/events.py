"""Events between processes (DESIGN rule 6: events are hints).

A change publishes a small message (IDs and a version) on a channel-layer group after its
transaction commits; subscriptions listen on the group and re-read what changed with
their own principal, so a message carries nothing a receiver could not read anyway.
Channel-layer groups are at-most-once and drop messages over capacity: clients re-query
after a reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.db import transaction

from subgraphs.core.db import arefresh_connections

logger = logging.getLogger(__name__)

# Channel layers drop a group member after `group_expiry` (a day by default); a board on a
# wall display stays subscribed for longer, so listeners renew their membership.
REJOIN_SECONDS = 60 * 60

# Listeners check the database connections before handling a message at most this often
# per process. Every subscription's database work runs on the process's one shared thread
# (yui.federation.DatabaseLanes), so one check serves them all; a change that wakes a
# thousand subscribers at once no longer costs a thousand hops to that thread.
REFRESH_SECONDS = 1.0
_last_refresh = [0.0]  # time.monotonic() of the last check, for this process


def publish_on_commit(group: str, message: dict[str, Any]) -> None:
    """Send ``message`` to ``group`` once the current transaction commits.

    The change is committed whatever happens to the hint: a channel layer that is down
    is logged (the event lost, its name in the log), never reported to the user as a
    failed change, and its address never shown to them.
    """

    def send() -> None:
        _send(group, message)

    # robust: should _send itself fail, Django logs that too and runs the other callbacks.
    transaction.on_commit(send, robust=True)


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is configured in settings"
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning(
            "event %s for %s lost: the channel layer is not reachable",
            message.get("type", "?"),
            group,
            exc_info=True,
        )


async def group_messages(group: str) -> AsyncGenerator[dict[str, Any], None]:
    """Every message sent to ``group`` from now on, until the consumer stops."""
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is configured in settings"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    renewal = asyncio.ensure_future(_stay_in_group(layer, group, channel))
    try:
        while True:
            message = await layer.receive(channel)
            # Django checks connections when a request starts; a subscription is no
            # request, so it drops broken ones itself, or one database restart would end
            # every live view. Before the message is handled: the first message after a
            # quiet second always finds a checked connection.
            now = time.monotonic()
            if now - _last_refresh[0] >= REFRESH_SECONDS:
                _last_refresh[0] = now
                await arefresh_connections()
            yield message
    finally:
        renewal.cancel()
        await layer.group_discard(group, channel)


async def _stay_in_group(layer: BaseChannelLayer, group: str, channel: str) -> None:
    while True:
        await asyncio.sleep(REJOIN_SECONDS)
        try:
            await layer.group_add(group, channel)
        except Exception:  # a Redis hiccup must not end the subscription; retry next time
            logger.warning("could not renew %s in %s", channel, group, exc_info=True)
