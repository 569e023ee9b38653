"""Input types of the presence subgraph's mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from subgraphs.presence.graphql.types import PresenceStatusKind
from subgraphs.presence.models import MESSAGE_MAX_LENGTH


@strawberry.input(name="SetPresenceInput")
class SetPresenceInput:
    status: PresenceStatusKind
    message: str = strawberry.field(
        default="",
        description=f"Up to {MESSAGE_MAX_LENGTH} characters, e.g. 第1会議室 15時まで.",
    )
    back_at: datetime | None = strawberry.field(
        default=None,
        description="When you expect to be back; a time without offset is Japan time.",
    )
