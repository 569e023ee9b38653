"""Presence subgraph models: where each staff member is right now (在席状況).

A subgraph owns its tables (DESIGN rule 1): ``tenant_id`` and ``person_id`` are plain UUIDs
of the people subgraph's Tenant and Person, never foreign keys. A person who has never set
a status has no row; ``PresenceStatus.unset`` stands in for it (未設定, version 0).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from subgraphs.core.tenancy import TenantQuerySet

MESSAGE_MAX_LENGTH = 100
# What is shown before a status is chosen, and after the nightly reset (see clock.py).
# Not one of the choices: nobody stores it or chooses it, it is what "not chosen" reads as.
UNSET = "UNSET"
UNSET_LABEL = "未設定"


class PresenceStatus(models.Model):
    """A staff member's current status, optional message and expected return time."""

    class Status(models.TextChoices):
        IN = "IN", "在席"
        AWAY = "AWAY", "離席"
        MEETING = "MEETING", "会議中"
        OUT = "OUT", "外出"
        TRIP = "TRIP", "出張"
        LEAVE = "LEAVE", "休暇"
        REMOTE = "REMOTE", "在宅勤務"

    tenant_id = models.UUIDField()
    person_id = models.UUIDField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IN)
    message = models.CharField(max_length=MESSAGE_MAX_LENGTH, blank=True, default="")
    back_at = models.DateTimeField(null=True, blank=True)
    # Set by do_set_presence from the presence clock (clock.now), which also decides when a
    # status is reset: one clock for both, so a test that freezes it sees a coherent day.
    updated_at = models.DateTimeField(default=timezone.now)
    # Grows by one with every change, so a subscriber can tell a new state from one it
    # has shown already (events are hints and may repeat or arrive late, DESIGN rule 6).
    version = models.PositiveIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "person_id"], name="presence_person_unique_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.label}"

    @property
    def label(self) -> str:
        """The status in Japanese, e.g. 会議中; 未設定 until one is chosen."""
        return UNSET_LABEL if self.status == UNSET else str(self.Status(self.status).label)

    @classmethod
    def unset(cls, tenant_id: uuid.UUID, person_id: uuid.UUID) -> PresenceStatus:
        """The presence of someone without a row: 未設定, no message, version 0 (not saved).

        Also what an ID of another tenant (or no person at all) gets: this subgraph cannot
        tell those apart from a colleague who never set a status without asking the people
        subgraph, and the default carries nothing from any row, so it reveals nothing.
        """
        row = cls(tenant_id=tenant_id, person_id=person_id, status=UNSET, version=0)
        row.updated_at = None  # type: ignore[assignment]  # never set, shown as null
        return row
