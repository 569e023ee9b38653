"""Read side of the calendar subgraph."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

import jpholiday
import strawberry
from asgiref.sync import sync_to_async
from django.utils import timezone
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.calendar import access, availability, closed_days, directory, ical
from subgraphs.calendar.graphql.inputs import WorkingHoursInput
from subgraphs.calendar.graphql.loaders import EventByIdLoader, OccurrencesByPersonLoader
from subgraphs.calendar.graphql.types import (
    AnnualClosedDayType,
    CalendarFeedType,
    EventType,
    HolidayKind,
    HolidayType,
    OccurrenceType,
    PersonFreeBusyType,
    PersonType,
    SlotType,
    TimeIntervalType,
    check_window,
)
from subgraphs.calendar.models import CalendarFeedToken, ClosedDay
from subgraphs.calendar.recurrence import TOKYO
from subgraphs.core.graphql.context import YuiContext, context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal

MAX_HOLIDAY_DAYS = 3 * 366
DEFAULT_WORKING_HOURS = WorkingHoursInput(start="08:30", end="17:15")
NO_FACILITIES: list[strawberry.ID] = []  # never mutated: the argument's default


def holidays_between(principal: Principal, start: date, end: date) -> list[HolidayType]:
    """National holidays (substitute holidays included) and the tenant's closed days in
    [start, end), by date. jpholiday ships the rules: nothing is fetched (DESIGN rule 7)."""
    found = [
        HolidayType(date=day, name=name, kind=HolidayKind.NATIONAL)
        for day, name in jpholiday.between(start, end - timedelta(days=1))
    ]
    assert principal.tenant_id is not None
    closed = closed_days.closed_between(principal.tenant_id, start, end - timedelta(days=1))
    found += [HolidayType(date=d, name=n, kind=HolidayKind.CLOSED) for d, n in closed.items()]
    return sorted(found, key=lambda h: (h.date, h.kind.value))


@strawberry.type
class Query:
    @strawberry.field(
        description="Your occurrences (organised or invited) overlapping [start, end), at "
        "most a year; a time without offset is Japan time."
    )
    async def my_events(self, info: Info, start: datetime, end: datetime) -> list[OccurrenceType]:
        principal = require_authenticated(principal_of(info))
        start, end = check_window(start, end)
        loader = context_of(info).loader(OccurrencesByPersonLoader)
        found = await loader.load((principal.person_id, start, end))  # type: ignore[arg-type]
        return [OccurrenceType(occurrence=o) for o in found]

    @strawberry.field(description="An event of your municipality by ID (null if none).")
    async def event(self, info: Info, id: strawberry.ID) -> EventType | None:
        require_authenticated(principal_of(info))
        event = await context_of(info).loader(EventByIdLoader).load(id)
        return EventType.of(event) if event else None

    @strawberry.field(
        description="National holidays incl. substitute holidays (振替休日) and your "
        "municipality's closed days in [start, end), by date."
    )
    async def holidays(self, info: Info, start: date, end: date) -> list[HolidayType]:
        principal = require_authenticated(principal_of(info))
        if end <= start or (end - start).days > MAX_HOLIDAY_DAYS:
            raise GraphQLError(
                "end must follow start, at most three years later.",
                extensions={"code": "BAD_USER_INPUT"},
            )
        return await sync_to_async(holidays_between)(principal, start, end)

    @strawberry.field(
        description="The days your municipality closes every year (年末年始 12/29–1/3 "
        "unless its administrators changed them), by date in the year."
    )
    async def annual_closed_days(self, info: Info) -> list[AnnualClosedDayType]:
        principal = require_authenticated(principal_of(info))
        assert principal.tenant_id is not None
        rules = await sync_to_async(closed_days.annual)(principal.tenant_id)
        return [AnnualClosedDayType(month=m, day=d, name=n) for m, d, n in rules]

    @strawberry.field(
        description="The dates your municipality's administrators closed one by one "
        "(setClosedDay) in [start, end), by date: the annual days are annualClosedDays. "
        "A date closed both ways is listed here too, so it can be opened again."
    )
    async def closed_dates(self, info: Info, start: date, end: date) -> list[HolidayType]:
        principal = require_authenticated(principal_of(info))
        if end <= start or (end - start).days > MAX_HOLIDAY_DAYS:
            raise GraphQLError(
                "end must follow start, at most three years later.",
                extensions={"code": "BAD_USER_INPUT"},
            )

        def fetch() -> list[HolidayType]:
            rows = ClosedDay.objects.for_principal(principal).filter(date__gte=start, date__lt=end)
            return [
                HolidayType(date=r.date, name=r.name, kind=HolidayKind.CLOSED)
                for r in rows.order_by("date")
            ]

        return await sync_to_async(fetch)()

    @strawberry.field(
        description="Your calendar as iCalendar (RFC 5545) text: every event you organise or "
        "are invited to, series with their changed and cancelled occurrences."
    )
    async def my_calendar_ics(self, info: Info) -> str:
        principal = require_authenticated(principal_of(info))
        return await sync_to_async(ical.export_person)(principal)

    @strawberry.field(description="Your iCalendar feed URLs, revoked ones too (no tokens).")
    async def calendar_feeds(self, info: Info) -> list[CalendarFeedType]:
        principal = require_authenticated(principal_of(info))

        def read() -> list[CalendarFeedType]:
            rows = CalendarFeedToken.objects.for_principal(principal).filter(
                person_id=principal.person_id
            )
            return [CalendarFeedType.of(row) for row in rows]

        return await sync_to_async(read)()

    @strawberry.field(
        description="When colleagues are busy in [start, end) (at most a year), merged, "
        "without titles; in order of personIds. An ID of no colleague has no busy time."
    )
    async def free_busy(
        self, info: Info, person_ids: list[strawberry.ID], start: datetime, end: datetime
    ) -> list[PersonFreeBusyType]:
        require_authenticated(principal_of(info))
        start, end = check_window(start, end)
        busy = await _busy(context_of(info), person_ids, start, end)
        return [
            PersonFreeBusyType(
                person=PersonType(id=pid),
                busy=[TimeIntervalType(start=_jst(s), end=_jst(e)) for s, e in intervals],
            )
            for pid, intervals in zip(person_ids, busy, strict=True)
        ]

    @strawberry.field(
        description="Up to 10 times of durationMinutes in [start, end) (at most 92 days) when "
        "everybody is free, within working hours (Japan time) on weekdays, starting on a "
        "quarter hour; proposals do not overlap. skipHolidays leaves out national holidays "
        "and your municipality's closed days. With facilityIds each of those rooms, cars "
        "or pools can still be booked then too."
    )
    async def find_free_slots(
        self,
        info: Info,
        person_ids: list[strawberry.ID],
        start: datetime,
        end: datetime,
        duration_minutes: int,
        working_hours: WorkingHoursInput = DEFAULT_WORKING_HOURS,
        skip_holidays: bool = True,
        facility_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(
                description="Facilities (施設) that must be bookable for the slot too: "
                "within their opening hours (Japan time) and bookable weekdays, and with "
                "fewer bookings (仮予約 and 本予約) at once than their poolSize, no further "
                "ahead than they may be booked. An ID of no facility of your municipality, or "
                "a duration outside a facility's minimum and maximum, is an error."
            ),
        ] = NO_FACILITIES,
    ) -> list[SlotType]:
        principal = require_authenticated(principal_of(info))
        start, end = check_window(start, end)
        if end - start > availability.MAX_SEARCH:
            raise _bad_input("Search at most 92 days at once.")
        if not 15 <= duration_minutes <= 24 * 60:
            raise _bad_input("durationMinutes must be 15 to 1440.")
        opens, closes = _hours(working_hours)
        busy = await _busy(context_of(info), person_ids, start, end)
        facilities = await directory.facility_times(principal, facility_ids, start, end)
        for facility in facilities:
            if (
                not (facility.min_minutes or 0)
                <= duration_minutes
                <= (facility.max_minutes or duration_minutes)
            ):
                raise _bad_input(
                    f"{facility.name} takes bookings of {facility.min_minutes or 0}"
                    f"–{facility.max_minutes or '∞'} minutes."
                )
            if facility.max_days_ahead is not None:
                # Later than its last bookable day no slot would be bookable.
                today = timezone.localdate()
                last_day = today + timedelta(days=facility.max_days_ahead + 1)
                end = min(end, datetime.combine(last_day, time.min, TOKYO))
        if end <= start:
            return []
        hours = availability.within_hours(
            opens, closes, [f.open_time for f in facilities], [f.close_time for f in facilities]
        )
        if hours is None:
            return []  # the facilities are closed for the whole of the working hours
        first = start.astimezone(TOKYO).date()
        last = end.astimezone(TOKYO).date()
        days = await sync_to_async(availability.working_days)(principal, first, last, skip_holidays)
        for facility in facilities:
            if facility.bookable_weekdays:
                days = {d for d in days if d.weekday() in facility.bookable_weekdays}
        blocked = [i for person in busy for i in person]
        for facility in facilities:
            blocked += availability.full_times(facility.bookings, facility.pool_size)
        slots = availability.free_slots(
            blocked, start, end, timedelta(minutes=duration_minutes), *hours, days
        )
        return [SlotType(start=_jst(s), end=_jst(e)) for s, e in slots]


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def _jst(moment: datetime) -> datetime:
    return moment.astimezone(TOKYO)


def _hours(hours: WorkingHoursInput) -> tuple[time, time]:
    try:
        opens, closes = time.fromisoformat(hours.start), time.fromisoformat(hours.end)
    except ValueError as exc:
        raise _bad_input("Working hours are HH:MM, e.g. 08:30.") from exc
    if closes <= opens:
        raise _bad_input("Working hours must end after they start.")
    return opens, closes


async def _busy(
    context: YuiContext, person_ids: list[strawberry.ID], start: datetime, end: datetime
) -> list[list[availability.Interval]]:
    """Busy intervals of each of ``person_ids`` (one batch of queries for all of them)."""
    if len(person_ids) > availability.MAX_PEOPLE:
        raise _bad_input(f"Ask for at most {availability.MAX_PEOPLE} people at once.")
    ids = [access.as_uuid(pid) for pid in person_ids]
    loader = context.loader(OccurrencesByPersonLoader)
    found = await loader.load_many([(pk, start, end) for pk in ids if pk is not None])
    by_id = dict(zip([pk for pk in ids if pk is not None], found, strict=True))
    return [availability.busy_of(pk, by_id[pk], start, end) if pk is not None else [] for pk in ids]
