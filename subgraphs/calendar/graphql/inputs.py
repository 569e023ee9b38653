"""Input types of the calendar subgraph's mutations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from subgraphs.calendar.actions import MAX_ATTENDEES
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
        "COUNT=12. UNTIL without Z is Japan time. DAILY to YEARLY, COUNT at most 1000; the "
        "first occurrence must come within 10 years of the start (else RRULE_NEVER_OCCURS).",
    )
    exdates: list[datetime] = strawberry.field(default_factory=list)
    attendee_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    attendee_department_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Invite everyone in these departments (課・係) as they are now: their "
        "active staff whose main department it is (not 兼務 staff, not sub-departments, "
        f"not you). Someone who joins later is not invited. At most {MAX_ATTENDEES} attendees "
        "in all.",
    )
    attendee_group_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Invite the active members of these groups (not you) as they are now; "
        "someone who joins later is not invited.",
    )
    owner_department_id: strawberry.ID | None = strawberry.field(
        default=None, description="Makes it the department's own entry (課の予定)."
    )
    facility_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Rooms, cars or PCs to book for every occurrence from now on (a series "
        "up to a year ahead, an all-day entry from midnight to midnight): all of them or no "
        "event. They then follow every change of the event.",
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
        default=strawberry.UNSET,
        description="The whole new list of attendees: with attendeeDepartmentIds or "
        "attendeeGroupIds, together with their members (a list left out counts as empty).",
    )
    attendee_department_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Invite everyone in these departments (課・係) as they are now (active "
        "staff whose main department it is, not 兼務 staff); later joiners are not added. "
        "Replaces the attendees, see attendeeIds.",
    )
    attendee_group_ids: list[strawberry.ID] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Invite the active members of these groups as they are now; later "
        "joiners are not added. Replaces the attendees, see attendeeIds.",
    )
    owner_department_id: strawberry.ID | None = strawberry.UNSET
    facility_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="The rooms, cars or PCs the event should have from now on (empty: none); "
        "left out or null: the ones it has. Booked for every occurrence ahead, all or none.",
    )

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

    def changes_attendees(self) -> bool:
        """Whether any of the three attendee lists is given (not left out, not null)."""
        return any(
            value is not strawberry.UNSET and value is not None
            for value in (self.attendee_ids, self.attendee_department_ids, self.attendee_group_ids)
        )


@strawberry.input(
    name="EditOccurrenceInput",
    description="What one occurrence of a series shows instead of the series' values. A "
    "field left out stays as the occurrence has it; null goes back to the series' value.",
)
class EditOccurrenceInput:
    title: str | None = strawberry.UNSET
    location: str | None = strawberry.field(
        default=strawberry.UNSET, description="An empty string: no location for this occurrence."
    )

    def to_data(self) -> dict[str, Any]:
        return {
            name: getattr(self, name)
            for name in ("title", "location")
            if getattr(self, name) is not strawberry.UNSET
        }


@strawberry.input(name="WorkingHoursInput", description="Japan time, HH:MM.")
class WorkingHoursInput:
    start: str = "08:30"
    end: str = "17:15"
