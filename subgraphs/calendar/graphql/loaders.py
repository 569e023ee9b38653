"""Per-operation DataLoaders of the calendar subgraph; each applies the tenant scope.

Build them through ``context.loader(...)`` so one operation shares them and no operation
sees another's cache. Occurrence loaders are keyed by (id, start, end): a department week
asks the same window for every member, so 10 or 100 people cost one batch, i.e. the
same three SQL queries (events, their attendees, their overrides).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from asgiref.sync import sync_to_async
from django.db.models import Q, QuerySet
from strawberry.dataloader import DataLoader

from subgraphs.calendar import access, recurrence
from subgraphs.calendar.access import as_uuid
from subgraphs.calendar.models import (
    AttendeeRow,
    Event,
    EventAttendee,
    EventOverride,
    with_rows,
)
from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.principal import Principal

Window = tuple[uuid.UUID, datetime, datetime]


def events_for(principal: Principal) -> QuerySet[Event]:
    """The tenant's events with what every reader needs, prefetched (2 more queries)."""
    return with_rows(Event.objects.for_principal(principal))


class EventByIdLoader(DataLoader[object, Event | None]):
    """Events by ID (cancelled ones too); None for another tenant's or no event."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[object]) -> list[Event | None]:
            ids = {pk for pk in (as_uuid(k) for k in keys) if pk is not None}
            found = {e.id: e for e in events_for(principal).filter(id__in=ids)} if ids else {}
            return [found.get(as_uuid(k)) for k in keys]  # type: ignore[arg-type]

        super().__init__(load_fn=sync_to_async(batch), cache_key_fn=str)


@dataclass(frozen=True, slots=True)
class ReaderView:
    """What one reader may see of an event (access.py), decided once per event."""

    details: bool  # title, location, description and category, or 予定あり and nulls

    @classmethod
    def of(cls, principal: Principal, event: Event) -> ReaderView:
        return _SEES_DETAILS if access.can_see_details(principal, event) else _SEES_TIME_ONLY

    @classmethod
    def loaded(cls, event: Event) -> ReaderView | None:
        """The view of the principal a windowed loader read ``event`` for, if it did."""
        return getattr(event, "reader_view", None)


# The two views there are, shared: hundreds of events need no object each.
_SEES_DETAILS = ReaderView(details=True)
_SEES_TIME_ONLY = ReaderView(details=False)


# Columns an occurrence never shows: not converted for the hundreds of events of a week.
UNREAD = ("range_start", "range_end", "ical_uid", "created_at", "updated_at")


def _attach_rows(principal: Principal, events: list[Event], query: QuerySet[Event]) -> None:
    """What ``with_rows`` prefetches, for ``events`` already fetched by ``query``: their
    attendees and overrides as plain lists (``Event.attendee_rows``, ``override_rows``), one
    query each.

    For the hundreds of events of a department week this costs about a third less than
    ``prefetch_related``, which goes through the related descriptors for every row; the
    attendees come as values (``AttendeeRow``), not model instances. The events are named by
    ``query`` as a subquery, not by their IDs: an ``IN`` of a thousand IDs cost more in
    Django (each one prepared and converted) than SQLite spends running the query again.
    """
    by_id = {event.id: event for event in events}
    attendees: dict[uuid.UUID, list[AttendeeRow]] = {pk: [] for pk in by_id}
    overrides: dict[uuid.UUID, list[EventOverride]] = {pk: [] for pk in by_id}
    if by_id:
        ids = query.values("id")
        rows = (
            EventAttendee.objects.for_principal(principal)
            .filter(event_id__in=ids)
            .values_list("id", "event_id", "person_id", "response")
        )
        # An event written between the queries may turn up here only: it is skipped, as
        # the events' own query did not see it.
        for pk, event_id, person_id, response in rows:
            if (found := attendees.get(event_id)) is not None:
                found.append(AttendeeRow(pk, person_id, response))
        for override in EventOverride.objects.for_principal(principal).filter(event_id__in=ids):
            if (changes := overrides.get(override.event_id)) is not None:
                changes.append(override)
    for pk, event in by_id.items():
        event.prefetched_attendees = attendees[pk]  # type: ignore[attr-defined]
        event.prefetched_overrides = overrides[pk]  # type: ignore[attr-defined]


def _windowed_loader(
    context: YuiContext,
    match: Callable[[Principal, set[uuid.UUID]], Q],
    owners: Callable[[Event], set[uuid.UUID]],
) -> Callable[[Sequence[Window]], list[list[recurrence.Occurrence]]]:
    principal = context.principal

    def batch(keys: Sequence[Window]) -> list[list[recurrence.Occurrence]]:
        windows: dict[tuple[datetime, datetime], set[uuid.UUID]] = defaultdict(set)
        for owner, start, end in keys:
            windows[(start, end)].add(owner)
        found: dict[Window, list[recurrence.Occurrence]] = defaultdict(list)
        names: dict[uuid.UUID, str] = {}  # event ID as text: the last sort key
        for (start, end), ids in windows.items():
            query = Event.objects.for_principal(principal).filter(
                match(principal, ids),
                Q(range_end__isnull=True) | Q(range_end__gt=start),
                cancelled=False,
                range_start__lt=end,
            )
            events = list(query.defer(*UNREAD))
            _attach_rows(principal, events, query)
            for event in events:
                # The loader is the operation's and reads for its principal only.
                event.reader_view = ReaderView.of(principal, event)  # type: ignore[attr-defined]
                names[event.id] = str(event.id)
                expanded = recurrence.occurrences(event, start, end, event.override_rows())
                for owner in owners(event) & ids:
                    found[(owner, start, end)].extend(expanded)
        for occurrences in found.values():
            occurrences.sort(key=lambda o: (o.start, o.end, names[o.event.id]))
        return [found.get(key, []) for key in keys]

    return batch


def _by_person(principal: Principal, ids: set[uuid.UUID]) -> Q:
    invited = EventAttendee.objects.for_principal(principal).filter(person_id__in=ids)
    return Q(organizer_id__in=ids) | Q(id__in=invited.values("event_id"))


def _people(event: Event) -> set[uuid.UUID]:
    return {event.organizer_id, *(a.person_id for a in event.attendee_rows())}


class OccurrencesByPersonLoader(DataLoader[Window, list[recurrence.Occurrence]]):
    """Occurrences a person organises or is invited to, by (person ID, start, end)."""

    def __init__(self, context: YuiContext) -> None:
        super().__init__(load_fn=sync_to_async(_windowed_loader(context, _by_person, _people)))


def _by_department(principal: Principal, ids: set[uuid.UUID]) -> Q:
    return Q(owner_department_id__in=ids)


def _department(event: Event) -> set[uuid.UUID]:
    return {event.owner_department_id} if event.owner_department_id else set()


class OccurrencesByOrganizationLoader(DataLoader[Window, list[recurrence.Occurrence]]):
    """A department's own entries (owner_department_id), by (department ID, start, end)."""

    def __init__(self, context: YuiContext) -> None:
        super().__init__(
            load_fn=sync_to_async(_windowed_loader(context, _by_department, _department))
        )
