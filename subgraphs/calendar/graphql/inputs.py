"""Input types of the calendar subgraph's mutations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from subgraphs.calendar.graphql.types import EventVisibility


@strawberry.input(name="CreateEventInput")
class CreateEventInput:
    title: str
    description: str = strawberry.field(
        default="", description="Rich text: b, i, u, br, p, ul, ol, li, a[href]; the rest goes."
    )
    location: str = ""
    category: str = strawberry.field(default="", description="e.g. 会議, 出張, 休暇.")
    visibility: EventVisibility = EventVisibility.PUBLIC
    all_day: bool = False
    start: datetime | None = strawberry.field(
        default=None, description="A time without offset is Japan time. Not for all-day."
    )
    end: datetime | None = None
    start_date: date | None = strawberry.field(default=None, description="All-day entries.")
    end_date: date | None = strawberry.field(default=None, description="Exclusive.")
    rrule: str | None = strawberry.field(
        default=None,
        description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO or FREQ=MONTHLY;BYDAY=2TU;"
        "COUNT=12. UNTIL without Z is Japan time.",
    )
    exdates: list[datetime] = strawberry.field(default_factory=list)
    attendee_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    owner_department_id: strawberry.ID | None = strawberry.field(
        default=None, description="Makes it the department's own entry (課の予定)."
    )
    facility_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Rooms to book for the event (single timed events): all or no event.",
    )

    def to_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "location": self.location,
            "category": self.category,
            "visibility": self.visibility.value,
            "all_day": self.all_day,
            "starts_at": self.start,
            "ends_at": self.end,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "rrule": self.rrule or "",
            "exdates": self.exdates,
            "attendee_ids": self.attendee_ids,
            "owner_department_id": self.owner_department_id,
        }


@strawberry.input(name="UpdateEventInput", description="Fields left out stay as they are.")
class UpdateEventInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    location: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    visibility: EventVisibility | None = strawberry.UNSET
    all_day: bool | None = strawberry.UNSET
    start: datetime | None = strawberry.UNSET
    end: datetime | None = strawberry.UNSET
    start_date: date | None = strawberry.UNSET
    end_date: date | None = strawberry.UNSET
    rrule: str | None = strawberry.field(
        default=strawberry.UNSET, description="Empty string or null: no longer recurring."
    )
    exdates: list[datetime] | None = strawberry.UNSET
    attendee_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET, description="The whole new list of attendees."
    )
    owner_department_id: strawberry.ID | None = strawberry.UNSET

    def to_data(self) -> dict[str, Any]:
        names = {
            "title": "title",
            "description": "description",
            "location": "location",
            "category": "category",
            "visibility": "visibility",
            "all_day": "all_day",
            "start": "starts_at",
            "end": "ends_at",
            "start_date": "start_date",
            "end_date": "end_date",
            "rrule": "rrule",
            "exdates": "exdates",
            "attendee_ids": "attendee_ids",
            "owner_department_id": "owner_department_id",
        }
        data: dict[str, Any] = {}
        for attribute, name in names.items():
            value = getattr(self, attribute)
            if value is strawberry.UNSET:
                continue
            if isinstance(value, EventVisibility):
                value = value.value
            data[name] = value
        return data


@strawberry.input(name="WorkingHoursInput", description="Japan time, HH:MM.")
class WorkingHoursInput:
    start: str = "08:30"
    end: str = "17:15"
