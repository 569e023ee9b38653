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
from datetime import datetime

from asgiref.sync import sync_to_async
from django.db.models import Q, QuerySet
from strawberry.dataloader import DataLoader

from subgraphs.calendar import recurrence
from subgraphs.calendar.access import as_uuid
from subgraphs.calendar.models import Event, EventAttendee, with_rows
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
        for (start, end), ids in windows.items():
            events = events_for(principal).filter(
                match(principal, ids),
                Q(range_end__isnull=True) | Q(range_end__gt=start),
                cancelled=False,
                range_start__lt=end,
            )
            for event in events:
                expanded = recurrence.occurrences(event, start, end, event.override_rows())
                for owner in owners(event) & ids:
                    found[(owner, start, end)].extend(expanded)
        for occurrences in found.values():
            occurrences.sort(key=lambda o: (o.start, o.end, str(o.event.id)))
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
