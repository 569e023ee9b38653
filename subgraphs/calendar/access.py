"""Who may see and change calendar entries, and the audited way to fetch one.

Every read is scoped to the principal's tenant; an ID of another tenant (or not an ID)
finds nothing, so callers cannot probe other municipalities. Within a tenant:
- the organizer and the attendees see everything of an event;
- colleagues see a PUBLIC event whole, a BUSY one as 予定あり with who takes part, and a
  PRIVATE one only as busy time (予定あり, no people, no details);
- a tenant administrator may change any event but, like any colleague, does not read
  the details of a BUSY or PRIVATE one (a 通院 stays private).

Who may write an event:
- an ordinary entry: its organizer and tenant administrators;
- a department's own entry (課の予定, ``owner_department_id``) is the department's, shown
  in its department week: only the department's members, whose main post (所属) or
  additional post (兼務) it is, and tenant administrators may put one there, change,
  move or cancel it. The organizer loses that right on leaving the department; any
  member may keep the department's week in order. People's roles are tenant-wide (there is
  no per-department 所属長 role), so a 課長 writes into the week of the 課 they belong to,
  not into its 係's unless they hold a 兼務 there.
  Departments live in the people subgraph: callers ask for the principal's once per
  operation (``directory.department_ids_of``) and pass them in as ``member_of``.
"""

from __future__ import annotations

import uuid

from subgraphs.calendar.models import Event
from subgraphs.core.principal import Principal

BUSY_TITLE = "予定あり"


def as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def attendee_ids(event: Event) -> set[uuid.UUID]:
    """Person IDs invited (uses prefetched attendees when the loader fetched them)."""
    return {a.person_id for a in event.attendee_rows()}


def takes_part(principal: Principal, event: Event) -> bool:
    return principal.person_id is not None and (
        principal.person_id == event.organizer_id or principal.person_id in attendee_ids(event)
    )


def can_see_details(principal: Principal, event: Event) -> bool:
    if principal.tenant_id != event.tenant_id:
        return False
    return event.visibility == Event.Visibility.PUBLIC or takes_part(principal, event)


def can_see_people(principal: Principal, event: Event) -> bool:
    """Organizer and attendees are shown for PUBLIC and BUSY events."""
    if principal.tenant_id != event.tenant_id:
        return False
    return event.visibility != Event.Visibility.PRIVATE or takes_part(principal, event)


def needs_departments(principal: Principal, *department_ids: uuid.UUID | None) -> bool:
    """Whether deciding a write needs the principal's departments (see the module)."""
    return not principal.is_tenant_admin and any(d is not None for d in department_ids)


def may_write_department(
    principal: Principal, department_id: uuid.UUID | None, member_of: frozenset[uuid.UUID]
) -> bool:
    """Whether the principal may put an entry into (or take one out of) the department
    week of ``department_id`` (None: no department week, anyone may)."""
    return department_id is None or principal.is_tenant_admin or department_id in member_of


def can_change(
    principal: Principal, event: Event, member_of: frozenset[uuid.UUID] = frozenset()
) -> bool:
    """Whether the principal may change, move or cancel ``event``; ``member_of`` are
    the principal's departments (main and 兼務), needed for a department's own entry."""
    if principal.tenant_id != event.tenant_id or not principal.is_authenticated:
        return False
    if principal.is_tenant_admin:
        return True
    if event.owner_department_id is not None:
        return event.owner_department_id in member_of
    return principal.person_id == event.organizer_id


def access_event_by_id(
    principal: Principal, event_id: object, *, for_update: bool = False
) -> Event | None:
    """The event ``event_id`` of the principal's tenant (cancelled ones too), or None.

    ``for_update`` locks the row until the surrounding transaction ends (inside atomic only).
    """
    pk = as_uuid(event_id)
    if pk is None:
        return None
    rows = Event.objects.for_principal(principal).filter(pk=pk)
    if for_update:
        rows = rows.select_for_update()
    return rows.first()
