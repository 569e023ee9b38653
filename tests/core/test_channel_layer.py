"""The embedded channel layer (yui.channel_layer): what channels' in-memory layer does,
with its expiry walk at most once a second and group sends without a task per member."""

from __future__ import annotations

import asyncio

import pytest
from channels.exceptions import ChannelFull

from yui.channel_layer import EmbeddedChannelLayer


async def _members(layer: EmbeddedChannelLayer, group: str, n: int) -> list[str]:
    names = [await layer.new_channel() for _ in range(n)]
    for name in names:
        await layer.group_add(group, name)
    return names


async def test_a_group_send_reaches_every_member_once_and_no_one_else() -> None:
    layer = EmbeddedChannelLayer()
    members = await _members(layer, "presence.okawa", 300)
    outsider = (await _members(layer, "presence.kanda", 1))[0]
    await layer.group_send("presence.okawa", {"type": "presence.changed", "version": 7})
    got = await asyncio.gather(*(layer.receive(name) for name in members))
    assert got == [{"type": "presence.changed", "version": 7}] * 300
    # Each member its own copy, as channels gives: one listener changing it changes nothing
    # for another.
    got[0]["version"] = 8
    assert got[1]["version"] == 7
    assert layer.channels.get(outsider) is None  # nothing was queued for 苅田町
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(layer.receive(members[0]), 0.05)  # and only once


async def test_a_member_with_a_full_queue_misses_the_message_and_the_others_get_it() -> None:
    layer = EmbeddedChannelLayer(capacity=2)
    slow, quick = await _members(layer, "g", 2)
    await layer.send(slow, {"type": "a"})
    await layer.send(slow, {"type": "b"})
    with pytest.raises(ChannelFull):
        await layer.send(slow, {"type": "c"})
    await layer.group_send("g", {"type": "news"})
    assert await layer.receive(quick) == {"type": "news"}
    assert [await layer.receive(slow), await layer.receive(slow)] == [{"type": "a"}, {"type": "b"}]


async def test_expiry_walks_at_most_once_a_second_and_still_removes_what_expired(
    monkeypatch,
) -> None:
    wall = [1000.0]  # time.time: the expiry stamps of messages and memberships
    pace = [50.0]  # time.monotonic: when the layer last walked
    monkeypatch.setattr("channels.layers.time.time", lambda: wall[0])
    monkeypatch.setattr("yui.channel_layer.time.monotonic", lambda: pace[0])
    layer = EmbeddedChannelLayer(expiry=60, group_expiry=3600)
    old, fresh = await _members(layer, "g", 2)
    await layer.group_send("g", {"type": "first"})  # a walk (nothing expired yet)
    assert await layer.receive(fresh) == {"type": "first"}
    wall[0] += 61  # `old`'s message has expired ...
    pace[0] += 0.5  # ... but less than a second has passed since the walk: none runs
    await layer.group_send("g", {"type": "second"})
    assert set(layer.groups["g"]) == {old, fresh}
    assert await layer.receive(fresh) == {"type": "second"}
    pace[0] += 0.6  # now the next call walks: `old` loses its expired message and the group
    await layer.group_send("g", {"type": "third"})
    assert list(layer.groups["g"]) == [fresh]
    assert await layer.receive(old) == {"type": "second"}  # "first" has gone
    assert await layer.receive(fresh) == {"type": "third"}
    # Memberships past group_expiry end at a walk, as channels ends them.
    wall[0] += 3600
    pace[0] += 1
    await layer.group_add("g", old)
    await layer.group_send("g", {"type": "later"})
    assert set(layer.groups["g"]) == {old}
    assert await layer.receive(old) == {"type": "later"}
