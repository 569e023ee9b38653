"""Input types of the facilities subgraph's mutations. A time without offset is Japan time."""

from __future__ import annotations

from datetime import datetime, time

import strawberry


@strawberry.input(name="CreateReservationInput")
class CreateReservationInput:
    facility_id: strawberry.ID
    start: datetime
    end: datetime = strawberry.field(description="Exclusive: a booking to 11:00 frees 11:00.")
    purpose_option_id: strawberry.ID | None = None
    purpose: str = strawberry.field(default="", description="Free text, up to 200 characters.")
    event_id: strawberry.ID | None = strawberry.field(
        default=None, description="The calendar event this booking is for, if any."
    )


@strawberry.input(name="MoveReservationInput")
class MoveReservationInput:
    id: strawberry.ID
    start: datetime
    end: datetime


@strawberry.input(
    name="MoveEventReservationsInput",
    description="Move the bookings of a calendar event (yours; administrators: all) together.",
)
class MoveEventReservationsInput:
    event_id: strawberry.ID
    occurrence_start: datetime | None = strawberry.field(
        default=None,
        description="Only the bookings starting then (one occurrence of a series); null: "
        "every booking of the event.",
    )
    start: datetime
    end: datetime


@strawberry.input(name="PeriodInput")
class PeriodInput:
    start: datetime
    end: datetime = strawberry.field(description="Exclusive.")


@strawberry.input(name="SyncEventReservationsInput")
class SyncEventReservationsInput:
    event_id: strawberry.ID
    periods: list[PeriodInput] = strawberry.field(
        description="Where the event's occurrences are: one booking per period per facility."
    )
    since: datetime = strawberry.field(
        description="Bookings starting before this (the past) are left as they are."
    )
    facility_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The facilities to book; null: those the event already has bookings at.",
    )
    take_over_from: strawberry.ID | None = strawberry.field(
        default=None,
        description="Another event whose bookings from `since` on become this event's "
        "(editing this and following occurrences splits a series).",
    )


@strawberry.input(name="CreateRecurringReservationInput")
class CreateRecurringReservationInput:
    facility_id: strawberry.ID
    start: datetime = strawberry.field(description="The first occurrence's start.")
    end: datetime = strawberry.field(description="The first occurrence's end.")
    rrule: str = strawberry.field(
        description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TH;COUNT=10: DAILY to YEARLY, at "
        "most 100 dates, ending within 10 years (a rule with no date in that time is "
        "RRULE_NEVER_OCCURS)."
    )
    purpose_option_id: strawberry.ID | None = None
    purpose: str = ""
    book_free_dates_only: bool = strawberry.field(
        default=False,
        description="Book the dates that are free and skip the rest, instead of none at all.",
    )


@strawberry.input(name="SaveFacilityGroupInput")
class SaveFacilityGroupInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="None: a new group.")
    name: str
    sort_order: int = 0


@strawberry.input(name="SaveFacilityInput")
class SaveFacilityInput:
    id: strawberry.ID | None = strawberry.field(default=None, description="None: a new one.")
    group_id: strawberry.ID
    name: str
    capacity: int = 0
    notes: str = ""
    owning_department_id: strawberry.ID | None = None
    pool_size: int = 1
    sort_order: int = 0
    is_active: bool = True
    open_time: time | None = None
    close_time: time | None = None
    bookable_weekdays: list[int] = strawberry.field(default_factory=list)
    max_days_ahead: int | None = None
    min_minutes: int | None = None
    max_minutes: int | None = None
    allowed_department_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    needs_approval: bool = False


@strawberry.input(name="SavePurposeOptionInput")
class SavePurposeOptionInput:
    id: strawberry.ID | None = None
    label: str
    sort_order: int = 0
    is_active: bool = True
