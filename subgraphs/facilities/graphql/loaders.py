"""Per-operation DataLoaders of the facilities subgraph; each applies the tenant scope.

Build them through ``context.loader(FacilityByIdLoader)`` so one operation shares one and
no operation sees another's cache. Window loaders take (id, start, end) keys and answer
every key of one window with one SQL query.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.db import models
from strawberry.dataloader import DataLoader

from subgraphs.core.graphql.context import YuiContext
from subgraphs.facilities.access import as_uuid
from subgraphs.facilities.models import Facility, FacilityGroup, Reservation

Window = tuple[uuid.UUID, datetime, datetime]


def _by_id(context: YuiContext, rows: Callable[[], models.QuerySet]) -> Any:
    principal = context.principal

    def batch(keys: Sequence[object]) -> list[object | None]:
        ids = {pk for pk in (as_uuid(k) for k in keys) if pk is not None}
        found = {r.id: r for r in rows().for_principal(principal).filter(id__in=ids)} if ids else {}  # type: ignore[attr-defined]
        return [found.get(as_uuid(k)) for k in keys]  # type: ignore[arg-type]

    return sync_to_async(batch)


class FacilityByIdLoader(DataLoader[object, Facility | None]):
    """Facilities of the principal's tenant by ID; None for any other ID."""

    def __init__(self, context: YuiContext) -> None:
        super().__init__(load_fn=_by_id(context, Facility.objects.all), cache_key_fn=str)


class FacilityGroupByIdLoader(DataLoader[object, FacilityGroup | None]):
    def __init__(self, context: YuiContext) -> None:
        super().__init__(load_fn=_by_id(context, FacilityGroup.objects.all), cache_key_fn=str)


class ReservationByIdLoader(DataLoader[object, Reservation | None]):
    """Reservations of the principal's tenant by ID (``_entities`` batches through it)."""

    def __init__(self, context: YuiContext) -> None:
        rows = Reservation.objects.select_related("purpose_option").all
        super().__init__(load_fn=_by_id(context, rows), cache_key_fn=str)


class FacilitiesByGroupIdLoader(DataLoader[uuid.UUID, list[Facility]]):
    """The facilities of each group, active ones only, in display order."""

    active_only = True

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal
        active_only = self.active_only

        def batch(keys: Sequence[uuid.UUID]) -> list[list[Facility]]:
            found: dict[uuid.UUID, list[Facility]] = defaultdict(list)
            rows = Facility.objects.for_principal(principal).filter(group_id__in=set(keys))
            if active_only:
                rows = rows.filter(is_active=True)
            for row in rows:
                found[row.group_id].append(row)
            return [found[k] for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class AllFacilitiesByGroupIdLoader(FacilitiesByGroupIdLoader):
    """The facilities of each group, deactivated ones too (administrators' lists)."""

    active_only = False


def _window_loader(context: YuiContext, column: str) -> Any:
    principal = context.principal

    def batch(keys: Sequence[Window]) -> list[list[Reservation]]:
        windows: dict[tuple[datetime, datetime], set[uuid.UUID]] = defaultdict(set)
        for owner, start, end in keys:
            windows[(start, end)].add(owner)
        found: dict[Window, list[Reservation]] = defaultdict(list)
        for (start, end), owners in windows.items():
            rows = (
                Reservation.objects.for_principal(principal)
                .filter(
                    **{f"{column}__in": owners},
                    status__in=Reservation.ACTIVE,
                    starts_at__lt=end,
                    ends_at__gt=start,
                )
                .select_related("purpose_option")
            )
            for row in rows:
                found[(getattr(row, column), start, end)].append(row)
        return [found[k] for k in keys]

    return sync_to_async(batch)


class ReservationsByFacilityLoader(DataLoader[Window, list[Reservation]]):
    """Active reservations of a facility overlapping a window: key (facility, start, end)."""

    def __init__(self, context: YuiContext) -> None:
        super().__init__(load_fn=_window_loader(context, "facility_id"))


class ReservationsByRequesterLoader(DataLoader[Window, list[Reservation]]):
    """Active reservations a person made overlapping a window: key (person, start, end)."""

    def __init__(self, context: YuiContext) -> None:
        super().__init__(load_fn=_window_loader(context, "requester_id"))


class ReservationsByEventLoader(DataLoader[uuid.UUID, list[Reservation]]):
    """Active reservations linked to a calendar event, by start: key the event's ID."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[Reservation]]:
            found: dict[uuid.UUID, list[Reservation]] = defaultdict(list)
            rows = (
                Reservation.objects.for_principal(principal)
                .filter(event_id__in=set(keys), status__in=Reservation.ACTIVE)
                .select_related("purpose_option")
                .order_by("starts_at", "id")
            )
            for row in rows:
                assert row.event_id is not None
                found[row.event_id].append(row)
            return [found[k] for k in keys]

        super().__init__(load_fn=sync_to_async(batch))
