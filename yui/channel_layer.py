"""The embedded deployment's channel layer: channels' in-memory layer, with housekeeping
that does not grow with the number of listeners.

channels' ``InMemoryChannelLayer`` walks every channel and every group member for expired
messages on each ``receive`` and ``group_send``, and sends to a group through one task per
member. A presence change in a municipality whose portals are open wakes every
subscriber of that municipality's group: with a thousand of them that walk ran a thousand
times (a million queue checks for one change), and the tasks cost as much again. Here the
walk runs at most once a second (messages expire after ``expiry`` seconds, 60, and group
memberships after a day: a second more changes nothing a listener can see), and a group
send puts the message on each member's queue directly, which is all the library's
``send`` does (it never waits).

The Redis layer of a deployment at scale is unaffected (``settings.CHANNEL_LAYERS``).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer


class EmbeddedChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    clean_every_seconds = 1.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cleaned_at = float("-inf")

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._cleaned_at < self.clean_every_seconds:
            return
        self._cleaned_at = now
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            # As channels does: a listener this far behind (a full queue) misses it.
            with contextlib.suppress(ChannelFull):
                await self.send(channel, message)
