"""Service functions of the presence subgraph: check_* validate, do_* change.

``do_set_presence`` owns its transaction and tells subscribers about the change only after
it commits (DESIGN rule 3, CONVENTIONS: events on commit), so no board ever shows a status
that rolled back. Expected failures (a message too long, a return time in the past) come
back as ``PresenceError`` values the GraphQL layer returns as data (DESIGN rule 5).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from subgraphs.core.events import publish_on_commit
from subgraphs.core.principal import Principal
from subgraphs.presence import clock
from subgraphs.presence.access import access_presence_by_person_id
from subgraphs.presence.models import MESSAGE_MAX_LENGTH, UNSET, PresenceStatus

EVENT_TYPE = "presence.changed"
# A return time set a moment ago may reach us just after it passed (a slow network, a
# clock a little off); only times clearly in the past are refused.
BACK_AT_GRACE = timedelta(minutes=1)


@dataclass(frozen=True)
class PresenceError:
    """An expected failure, shown to the user next to ``field`` (None: the whole form)."""

    code: str
    message: str
    field: str | None = None


@dataclass
class Outcome:
    """What a do_* function returns: the row as it now is, or why nothing changed."""

    obj: PresenceStatus | None = None
    errors: list[PresenceError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def presence_group(tenant_id: uuid.UUID) -> str:
    """The channel-layer group of one tenant's presence changes."""
    return f"presence.{tenant_id.hex}"


@dataclass(frozen=True)
class PresenceValues:
    status: str
    message: str
    back_at: datetime | None


def check_presence(
    status: str, message: str | None, back_at: datetime | None, now: datetime | None = None
) -> tuple[list[PresenceError], PresenceValues]:
    """Validate and normalise what a person wants to show."""
    errors = []
    if status == UNSET:
        # 未設定 is what shows until a status is chosen; choosing it would say nothing.
        errors.append(
            PresenceError("INVALID", "Choose where you are (未設定 is not one).", "status")
        )
    elif status not in PresenceStatus.Status.values:
        errors.append(PresenceError("INVALID", f"Unknown status {status!r}.", "status"))
    # Shown on one line next to a name in the directory: line breaks become spaces.
    text = " ".join((message or "").splitlines()).strip()
    if len(text) > MESSAGE_MAX_LENGTH:
        errors.append(
            PresenceError(
                "TOO_LONG",
                f"Keep the message to {MESSAGE_MAX_LENGTH} characters ({len(text)} now).",
                "message",
            )
        )
    if back_at is not None:
        if timezone.is_naive(back_at):
            # A time without an offset is what the user read off a Japanese clock.
            back_at = timezone.make_aware(back_at)
        back_at = back_at.astimezone(UTC)
        if back_at < (now or timezone.now()) - BACK_AT_GRACE:
            errors.append(
                PresenceError("IN_THE_PAST", "The return time has passed already.", "backAt")
            )
    return errors, PresenceValues(status=status, message=text, back_at=back_at)


@transaction.atomic
def do_set_presence(
    principal: Principal,
    status: str,
    message: str | None = "",
    back_at: datetime | None = None,
) -> Outcome:
    """Set the principal's own presence; a change bumps ``version`` and is published on commit.

    Setting exactly what is shown already changes nothing: same version, no event. A
    status reset overnight (clock.py) shows 未設定, so choosing it again the next morning is
    a change.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    now = clock.now().astimezone(UTC)  # stored and answered in UTC, as rows read back
    errors, values = check_presence(status, message, back_at, now=now)
    if errors:
        return Outcome(errors=errors)
    row = access_presence_by_person_id(principal, principal.person_id, for_update=True)
    if row is None:
        try:
            with transaction.atomic():  # a savepoint: the outer transaction survives a clash
                row = PresenceStatus.objects.create(
                    tenant_id=principal.tenant_id,
                    person_id=principal.person_id,
                    status=values.status,
                    message=values.message,
                    back_at=values.back_at,
                    updated_at=now,
                    version=1,
                )
        except IntegrityError:
            # The same person's other tab created the row a moment ago: change that one.
            row = access_presence_by_person_id(principal, principal.person_id, for_update=True)
            assert row is not None
        else:
            _publish_on_commit(row)
            return Outcome(obj=row)
    unchanged = (row.status, row.message, row.back_at) == (
        values.status,
        values.message,
        values.back_at,
    )
    if unchanged and not clock.is_stale(row, now):
        return Outcome(obj=row)
    row.status, row.message, row.back_at = values.status, values.message, values.back_at
    row.updated_at = now
    row.version += 1  # the row is locked, so no concurrent change can take the same number
    row.save()
    _publish_on_commit(row)
    return Outcome(obj=row)


def _publish_on_commit(row: PresenceStatus) -> None:
    event = {"type": EVENT_TYPE, "person_id": str(row.person_id), "version": row.version}
    publish_on_commit(presence_group(row.tenant_id), event)
