"""Calendar subgraph models: events, their attendees and changed occurrences, closed days.

A subgraph owns its tables (DESIGN rule 1): ``tenant_id``, ``organizer_id``, ``person_id``
and ``owner_department_id`` are plain UUIDs of the people subgraph's rows, never foreign
keys. Every unique constraint includes ``tenant_id`` (DESIGN rule 2).

Times are aware UTC datetimes; an all-day entry has dates instead (end exclusive), read in
Japan (DESIGN rule 8). ``range_start``/``range_end`` are derived by ``actions`` on every
write, so "what overlaps this week" is one indexed query whatever the recurrence.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import models

from subgraphs.core.tenancy import TenantQuerySet

TITLE_MAX_LENGTH = 200
LOCATION_MAX_LENGTH = 200
CATEGORY_MAX_LENGTH = 50
DESCRIPTION_MAX_LENGTH = 10_000


class Event(models.Model):
    """A calendar entry: one meeting, a trip, a department's own entry, or a series."""

    class Visibility(models.TextChoices):
        PUBLIC = "PUBLIC", "公開"
        BUSY = "BUSY", "予定ありのみ表示"
        PRIVATE = "PRIVATE", "非公開"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, default="")  # sanitised HTML, see actions
    location = models.CharField(max_length=LOCATION_MAX_LENGTH, blank=True, default="")
    category = models.CharField(max_length=CATEGORY_MAX_LENGTH, blank=True, default="")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    all_day = models.BooleanField(default=False)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)  # exclusive
    organizer_id = models.UUIDField()
    owner_department_id = models.UUIDField(null=True, blank=True)
    # RFC 5545 RRULE value without the "RRULE:" prefix; empty for a single event. UNTIL is
    # always stored in UTC (actions normalise it).
    rrule = models.TextField(blank=True, default="")
    # Start times (UTC ISO 8601) of occurrences taken out of the series.
    exdates = models.JSONField(default=list, blank=True)
    cancelled = models.BooleanField(default=False)
    # Span of every occurrence including moved ones; range_end is null for an endless series.
    range_start = models.DateTimeField()
    range_end = models.DateTimeField(null=True, blank=True)
    # The UID of the iCalendar VEVENT this was imported from ("" if made here), so that
    # importing the same file again creates nothing new.
    ical_uid = models.CharField(max_length=255, blank=True, default="")
    # One more with every change (series, occurrence or response): subscribers compare it.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["tenant_id", "organizer_id", "range_start"]),
            models.Index(fields=["tenant_id", "owner_department_id", "range_start"]),
            models.Index(fields=["tenant_id", "range_start"]),
            models.Index(fields=["tenant_id", "organizer_id", "ical_uid"]),
        ]

    def __str__(self) -> str:
        return self.title

    # Readers (loaders, exports) fetch attendees and overrides with Prefetch(to_attr=...):
    # plain lists, so each visibility check reads a list instead of cloning a queryset.
    def attendee_rows(self) -> Sequence[EventAttendee | AttendeeRow]:
        rows = getattr(self, "prefetched_attendees", None)
        return rows if rows is not None else list(self.attendees.all())

    def override_rows(self) -> list[EventOverride]:
        rows = getattr(self, "prefetched_overrides", None)
        return rows if rows is not None else list(self.overrides.all())

    @property
    def is_recurring(self) -> bool:
        return bool(self.rrule)


@dataclass(frozen=True, slots=True)
class AttendeeRow:
    """What readers of many events need of an attendee, without a model instance each (a
    department week reads ~800 attendees; ``graphql.loaders`` fetches them as values)."""

    pk: uuid.UUID
    person_id: uuid.UUID
    response: str


class EventAttendee(models.Model):
    """A person invited to an event, and what they answered."""

    class Response(models.TextChoices):
        PENDING = "PENDING", "未回答"
        ACCEPTED = "ACCEPTED", "出席"
        DECLINED = "DECLINED", "欠席"

    tenant_id = models.UUIDField()
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="attendees")
    person_id = models.UUIDField()
    response = models.CharField(max_length=10, choices=Response.choices, default=Response.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "event", "person_id"], name="calendar_attendee_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant_id", "person_id"])]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.response}"


class EventOverride(models.Model):
    """One occurrence of a series that differs: cancelled, moved or edited (RECURRENCE-ID).

    ``recurrence_id`` is the original start of the occurrence (for an all-day series,
    midnight in Japan of its date); empty fields keep the series' values.
    """

    tenant_id = models.UUIDField()
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="overrides")
    recurrence_id = models.DateTimeField()
    cancelled = models.BooleanField(default=False)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    # Null keeps the series' value; "" is an edit to nothing (a location cleared): the
    # two differ, so these strings are nullable on purpose.
    title = models.CharField(max_length=TITLE_MAX_LENGTH, null=True, blank=True)  # noqa: DJ001
    location = models.CharField(max_length=LOCATION_MAX_LENGTH, null=True, blank=True)  # noqa: DJ001

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "event", "recurrence_id"], name="calendar_override_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} @ {self.recurrence_id}"


class ClosedDay(models.Model):
    """A day the municipality's offices are closed besides national holidays (年末年始 ...)."""

    tenant_id = models.UUIDField()
    date = models.DateField()
    name = models.CharField(max_length=100)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "date"], name="calendar_closed_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class AnnualClosedDay(models.Model):
    """A day closed every year (年末年始 12/29–1/3 ...), by month and day.

    A municipality without a ``CalendarSettings`` row has not edited them yet and gets the
    defaults (``closed_days.DEFAULT_ANNUAL``); its first edit copies the defaults in here.
    """

    tenant_id = models.UUIDField()
    month = models.PositiveSmallIntegerField()
    day = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["month", "day"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "month", "day"], name="calendar_annual_closed_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month}/{self.day} {self.name}"


class CalendarSettings(models.Model):
    """The calendar's own record of a municipality (the people subgraph owns the tenant):
    made on its administrator's first edit of the annual closed days."""

    tenant_id = models.UUIDField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        return f"calendar settings of {self.tenant_id}"


class CalendarFeedToken(models.Model):
    """A private, revocable iCalendar feed URL of one person's calendar.

    Only the SHA-256 of the token is kept: the URL is shown once, when made. The feed view
    reads tenant and person from this row alone (calendar apps fetch it without a session).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    person_id = models.UUIDField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant_id", "person_id"])]

    def __str__(self) -> str:
        return f"feed {self.id} of {self.person_id}"


def with_rows(events: models.QuerySet[Event]) -> models.QuerySet[Event]:
    """Attendees and overrides fetched as plain lists (``Event.attendee_rows`` and
    ``override_rows``): one query each for all events, no queryset per event."""
    return events.prefetch_related(
        models.Prefetch("attendees", to_attr="prefetched_attendees"),
        models.Prefetch("overrides", to_attr="prefetched_overrides"),
    )
