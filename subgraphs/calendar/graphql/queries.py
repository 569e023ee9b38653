"""Read side of the calendar subgraph."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import jpholiday
import strawberry
from asgiref.sync import sync_to_async
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.calendar.graphql.loaders import EventByIdLoader, OccurrencesByPersonLoader
from subgraphs.calendar.graphql.types import (
    EventType,
    HolidayKind,
    HolidayType,
    OccurrenceType,
    check_window,
)
from subgraphs.calendar.models import ClosedDay
from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.core.principal import Principal

MAX_HOLIDAY_DAYS = 3 * 366


def holidays_between(principal: Principal, start: date, end: date) -> list[HolidayType]:
    """National holidays (substitute holidays included) and the tenant's closed days in
    [start, end), by date. jpholiday ships the rules: nothing is fetched (DESIGN rule 7)."""
    found = [
        HolidayType(date=day, name=name, kind=HolidayKind.NATIONAL)
        for day, name in jpholiday.between(start, end - timedelta(days=1))
    ]
    closed = ClosedDay.objects.for_principal(principal).filter(date__gte=start, date__lt=end)
    found += [HolidayType(date=c.date, name=c.name, kind=HolidayKind.CLOSED) for c in closed]
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
