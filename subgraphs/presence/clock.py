"""The presence subgraph's clock and its nightly reset to 未設定.

A status says where someone is today: one set yesterday is stale by morning, and a board
showing 会議中 for a meeting that ended last night misleads. So every night at
``settings.PRESENCE_RESET_HOUR`` (Japan time, 04:00 by default) every status reads as
未設定 again. Nothing is written: whether a row is stale is worked out when it is read,
so no job has to run, a stopped server misses nothing, and every way of reading presence
(``myPresence``, ``presences``, ``Person.presence`` on a department board, the
``presenceChanged`` events) goes through ``as_shown`` and agrees.

A return time (``backAt``) is the one way to choose a status that lasts: 出張 until Friday
17:00 still shows on Thursday, and is reset at the first reset hour after its return time.

Tests freeze time by replacing ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from subgraphs.presence.models import UNSET, PresenceStatus

JAPAN = ZoneInfo("Asia/Tokyo")


def now() -> datetime:
    """The current time for everything presence decides (aware, UTC)."""
    return timezone.now()


# The last answer of ``last_reset``: (reset hour, reset, and the day it covers in UTC, the
# zone of ``now()``: aware times of one zone compare without asking for offsets). Every
# subscriber of a change asks it for the same moment, and the answer stays for a day.
_last_answer: list[tuple[int, datetime, datetime, datetime]] = []


def last_reset(at: datetime) -> datetime:
    """The most recent reset at or before ``at``: today's reset hour, else yesterday's."""
    hour = settings.PRESENCE_RESET_HOUR
    if _last_answer:
        answer_hour, reset, start, end = _last_answer[0]
        if answer_hour == hour and start <= at < end:
            return reset
    local = at.astimezone(JAPAN)
    reset = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if reset > local:
        reset -= timedelta(days=1)  # Japan has no daylight saving time: a day is 24 hours
    start = reset.astimezone(UTC)
    _last_answer[:] = [(hour, reset, start, start + timedelta(days=1))]
    return reset


def _lasts_from(row: PresenceStatus) -> datetime | None:
    """From when a set status counts: its last change, or its return time if later."""
    if row.status == UNSET or row.updated_at is None:
        return None
    if row.back_at is not None and row.back_at > row.updated_at:
        return row.back_at
    return row.updated_at


def resets_at(row: PresenceStatus) -> datetime | None:
    """When ``row`` will read as 未設定 by itself (None: it already does)."""
    start = _lasts_from(row)
    if start is None:
        return None
    return last_reset(start) + timedelta(days=1)


def is_stale(row: PresenceStatus, at: datetime) -> bool:
    """Whether a reset has passed since ``row`` was set (or since its return time)."""
    start = _lasts_from(row)
    return start is not None and start < last_reset(at)


def as_shown(row: PresenceStatus, at: datetime) -> PresenceStatus:
    """``row`` as colleagues see it at ``at``: itself, or 未設定 once a reset has passed.

    A reset row keeps its version and ``updated_at`` (when they last set something); its
    message and return time go with the status they described.
    """
    if not is_stale(row, at):
        return row
    shown = PresenceStatus(
        tenant_id=row.tenant_id,
        person_id=row.person_id,
        status=UNSET,
        message="",
        back_at=None,
        version=row.version,
    )
    shown.updated_at = row.updated_at
    return shown
