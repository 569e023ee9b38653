"""Facilities subgraph models: rooms, official cars and lending equipment, and their bookings.

A subgraph owns its tables (DESIGN rule 1): tenants, people, departments and calendar events
are plain UUIDs, never foreign keys. Every unique constraint starts with ``tenant_id``.

No double booking is a property of the database, not of the code path: on PostgreSQL an
exclusion constraint (migration 0002) refuses two active reservations of one single
facility whose periods overlap; pools of N identical items are counted under a row lock on
the facility (see ``actions.do_create_reservation``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any, Self

from django.db import models
from django.db.models import Q

from subgraphs.core.tenancy import TenantQuerySet

ALL_WEEKDAYS = [0, 1, 2, 3, 4, 5, 6]  # Monday = 0, as datetime.weekday()


class FacilityGroup(models.Model):
    """A kind of facility shown as one schedule: 会議室, 公用車, 貸出PC ..."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    name = models.CharField(max_length=100)
    sort_order = models.IntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "name"], name="facilities_group_name_unique_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    """A bookable thing and its booking rules.

    ``pool_size`` 1 is a single room or car; N is N interchangeable items (five lending PCs
    booked as "a PC", not "PC #3"). Empty ``allowed_department_ids`` means everyone may book.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    group = models.ForeignKey(FacilityGroup, on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(max_length=100)
    capacity = models.PositiveIntegerField(default=0, help_text="People it seats; 0: n/a.")
    notes = models.TextField(blank=True, default="")
    owning_department_id = models.UUIDField(null=True, blank=True)
    pool_size = models.PositiveIntegerField(default=1)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # Booking rules (None: no limit).
    open_time = models.TimeField(null=True, blank=True)
    close_time = models.TimeField(null=True, blank=True)
    bookable_weekdays = models.JSONField(default=list)  # empty: every day
    max_days_ahead = models.PositiveIntegerField(null=True, blank=True)
    min_minutes = models.PositiveIntegerField(null=True, blank=True)
    max_minutes = models.PositiveIntegerField(null=True, blank=True)
    allowed_department_ids = models.JSONField(default=list)  # UUID strings; empty: everyone
    needs_approval = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "group", "name"],
                name="facilities_facility_name_unique_per_group",
            ),
            models.CheckConstraint(
                condition=Q(pool_size__gte=1), name="facilities_pool_size_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PurposeOption(models.Model):
    """A purpose staff pick from a list the administrators keep (会議, 来客対応, 研修 ...)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    label = models.CharField(max_length=100)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "label"], name="facilities_purpose_label_unique_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return self.label


class Reservation(models.Model):
    """One booking of a facility for [starts_at, ends_at) (aware UTC datetimes).

    PENDING (仮予約) and CONFIRMED (本予約) hold the slot; CANCELLED and REJECTED do not.
    ``exclusive`` copies ``facility.pool_size == 1`` onto the row, because an exclusion
    constraint can only look at the row it guards.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "仮予約"
        CONFIRMED = "CONFIRMED", "本予約"
        CANCELLED = "CANCELLED", "取消"
        REJECTED = "REJECTED", "却下"

    ACTIVE = (Status.PENDING, Status.CONFIRMED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="reservations")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    purpose_option = models.ForeignKey(
        PurposeOption, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    purpose_text = models.CharField(max_length=200, blank=True, default="")
    requester_id = models.UUIDField()
    event_id = models.UUIDField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    exclusive = models.BooleanField(default=True)
    recurrence_id = models.UUIDField(null=True, blank=True)
    approved_by = models.UUIDField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "created_at"]
        indexes = [
            models.Index(fields=["tenant_id", "facility", "starts_at"]),
            models.Index(fields=["tenant_id", "requester_id", "starts_at"]),
            models.Index(fields=["tenant_id", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="facilities_reservation_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility_id} {self.starts_at}–{self.ends_at} {self.status}"

    # The status the row had when read (None: not saved yet), so the events published after
    # a change can say what changed (e.g. PENDING -> CONFIRMED is an approval).
    loaded_status: str | None = None

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> Self:
        instance = super().from_db(db, field_names, values)
        instance.loaded_status = instance.__dict__.get("status")
        return instance

    @property
    def purpose(self) -> str:
        if self.purpose_option_id is not None and self.purpose_option is not None:
            extra = f" {self.purpose_text}" if self.purpose_text else ""
            return f"{self.purpose_option.label}{extra}"
        return self.purpose_text
