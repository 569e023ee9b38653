"""A municipality's closed days (閉庁日) besides the national holidays.

Two kinds, both the municipality's administrators' to edit:
- **annual** ones by month and day (``AnnualClosedDay``): 年末年始, 12/29–1/3, the year-end
  days nearly every municipality's ordinance closes under 地方自治法 4条の2, is the
  **default**: a new municipality has it
  from its first day, with nothing to seed. Tenants are the people subgraph's, so the
  calendar cannot hook their creation without reaching into it (DESIGN rule 1); instead a
  municipality with no ``CalendarSettings`` row reads ``DEFAULT_ANNUAL``, and its
  administrator's first edit of the annual days copies the defaults into rows and edits
  those (so removing 1/3 leaves 12/29–1/2; removing all six leaves none). Existing
  municipalities got the default the same way, without a data migration.
- **dated** ones (``ClosedDay``): 開庁日の振替, a one-off closure; their name wins over an
  annual one of the same date.
The holidays query and free-slot search (``availability.working_days``) read both here.
"""

from __future__ import annotations

import uuid
from datetime import date

from subgraphs.calendar.models import AnnualClosedDay, CalendarSettings, ClosedDay

YEAR_END = "年末年始"
DEFAULT_ANNUAL: tuple[tuple[int, int, str], ...] = (
    (12, 29, YEAR_END),
    (12, 30, YEAR_END),
    (12, 31, YEAR_END),
    (1, 1, YEAR_END),
    (1, 2, YEAR_END),
    (1, 3, YEAR_END),
)


def annual(tenant_id: uuid.UUID) -> list[tuple[int, int, str]]:
    """The municipality's annual closed days (month, day, name), by date in the year."""
    rows = [(r.month, r.day, r.name) for r in AnnualClosedDay.objects.filter(tenant_id=tenant_id)]
    if rows or CalendarSettings.objects.filter(tenant_id=tenant_id).exists():
        return rows
    return sorted(DEFAULT_ANNUAL)


def closed_between(tenant_id: uuid.UUID, first: date, last: date) -> dict[date, str]:
    """The municipality's closed days in [first, last] (inclusive) and their names."""
    found: dict[date, str] = {}
    if last < first:
        return found
    rules = annual(tenant_id)
    for year in range(first.year, last.year + 1):
        for month, day, name in rules:
            try:
                when = date(year, month, day)
            except ValueError:  # 29 February of a common year
                continue
            if first <= when <= last:
                found[when] = name
    dated = ClosedDay.objects.filter(tenant_id=tenant_id, date__gte=first, date__lte=last)
    found.update(dated.values_list("date", "name"))
    return dict(sorted(found.items()))


def own_annual_rows(tenant_id: uuid.UUID) -> None:
    """Before the first edit: the defaults become the municipality's own rows (inside the
    caller's transaction; two first edits at once make them once, the unique settings row
    decides)."""
    _, created = CalendarSettings.objects.get_or_create(tenant_id=tenant_id)
    if created:
        AnnualClosedDay.objects.bulk_create(
            [
                AnnualClosedDay(tenant_id=tenant_id, month=m, day=d, name=name)
                for m, d, name in DEFAULT_ANNUAL
            ]
        )
