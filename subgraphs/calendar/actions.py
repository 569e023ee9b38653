"""Service functions of the calendar subgraph: check_* validate, do_* change.

Each do_* owns its transaction and publishes ``calendar.changed`` on the tenant's
channel-layer group only after commit (DESIGN rule 3), with IDs and the version only
(rule 6). Expected failures come back as ``CalendarError`` values (rule 5); changing an
event one may not change raises ``NotPermitted``, which the GraphQL layer turns into a
FORBIDDEN error. Putting an entry into the week of a department one does not belong to is
a FORBIDDEN ``CalendarError`` on ``ownerDepartmentId`` (see ``access`` for who may).
``member_of`` is the principal's departments (main and 兼務), asked of people by the
caller: a write that involves a department's week is refused without them (unless an
administrator), never allowed by default.

Input to the do_* functions is a dict of model field names (plus ``attendee_ids``); a key
left out keeps what the event has.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import nh3
from django.db import transaction
from django.utils import timezone

from subgraphs.audit import actions as audit
from subgraphs.calendar import closed_days, ical, recurrence
from subgraphs.calendar.access import (
    access_event_by_id,
    as_uuid,
    can_change,
    may_write_department,
)
from subgraphs.calendar.models import (
    CATEGORY_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    LOCATION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    AnnualClosedDay,
    CalendarFeedToken,
    ClosedDay,
    Event,
    EventAttendee,
    EventOverride,
)
from subgraphs.core.events import publish_on_commit
from subgraphs.core.principal import Principal

EVENT_TYPE = "calendar.changed"
MAX_LENGTH = timedelta(days=366)  # one entry (or one occurrence) lasts at most a year
MAX_ATTENDEES = 500
# Excluded dates arrive as one list; a bound keeps a single request from parsing and storing
# an unbounded number of them (the series itself has at most recurrence.MAX_COUNT).
MAX_EXDATES = 1000
# Rich text a description may keep; everything else (scripts, styles, handlers) goes.
DESCRIPTION_TAGS = {"b", "i", "u", "br", "p", "ul", "ol", "li", "a"}
DESCRIPTION_ATTRIBUTES = {"a": {"href"}}
DESCRIPTION_URL_SCHEMES = {"http", "https", "mailto"}


class Kind:
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    CANCELLED = "CANCELLED"
    RESPONDED = "RESPONDED"


@dataclass(frozen=True)
class CalendarError:
    """An expected failure, shown to the user next to ``field`` (None: the whole form).

    A room that cannot follow the event (see ``bookings``) also names the facility and the
    period asked for, and for a conflict the booking in the way (``reservation_id``).
    """

    code: str
    message: str
    field: str | None = None
    facility_id: str | None = None
    facility_name: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    reservation_id: str | None = None


@dataclass
class Outcome:
    obj: Any = None
    errors: list[CalendarError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class NotPermitted(Exception):
    """The principal may not change this event (see ``access.can_change``)."""


NO_DEPARTMENTS: frozenset[uuid.UUID] = frozenset()


def check_department(
    principal: Principal, department_id: uuid.UUID | None, member_of: frozenset[uuid.UUID]
) -> list[CalendarError]:
    """FORBIDDEN when the principal may not write into ``department_id``'s week."""
    if may_write_department(principal, department_id, member_of):
        return []
    message = (
        "所属（兼務を含む）していない課の予定は登録できません。 / "
        "Only members of a department (or an administrator) may put entries into its week."
    )
    return [CalendarError("FORBIDDEN", message, "ownerDepartmentId")]


def calendar_group(tenant_id: uuid.UUID) -> str:
    """The channel-layer group of one tenant's calendar changes."""
    return f"calendar.{tenant_id.hex}"


def sanitise_description(text: str) -> str:
    return nh3.clean(
        text or "",
        tags=DESCRIPTION_TAGS,
        attributes=DESCRIPTION_ATTRIBUTES,
        url_schemes=DESCRIPTION_URL_SCHEMES,
    ).strip()


# --- validation ----------------------------------------------------------------------

TIMING_FIELDS = ("all_day", "starts_at", "ends_at", "start_date", "end_date")
VALUE_FIELDS = (
    "title",
    "description",
    "location",
    "category",
    "visibility",
    "owner_department_id",
    *TIMING_FIELDS,
    "rrule",
    "exdates",
)


def values_of(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in VALUE_FIELDS}


def check_event_values(
    data: Mapping[str, Any], base: Mapping[str, Any] | None = None
) -> tuple[list[CalendarError], dict[str, Any]]:
    """Validate ``data`` laid over ``base`` (an event's values); the normalised result."""
    v: dict[str, Any] = {
        "title": "",
        "description": "",
        "location": "",
        "category": "",
        "visibility": Event.Visibility.PUBLIC,
        "owner_department_id": None,
        "all_day": False,
        "starts_at": None,
        "ends_at": None,
        "start_date": None,
        "end_date": None,
        "rrule": "",
        "exdates": [],
    }
    v.update(base or {})
    v.update({k: val for k, val in data.items() if k in VALUE_FIELDS})
    errors: list[CalendarError] = []

    def err(code: str, message: str, at: str) -> None:
        errors.append(CalendarError(code, message, at))

    v["title"] = " ".join((v["title"] or "").split())
    if not v["title"]:
        err("REQUIRED", "Give the event a title.", "title")
    elif len(v["title"]) > TITLE_MAX_LENGTH:
        err("TOO_LONG", f"Keep the title to {TITLE_MAX_LENGTH} characters.", "title")
    v["description"] = sanitise_description(v["description"] or "")
    if len(v["description"]) > DESCRIPTION_MAX_LENGTH:
        err("TOO_LONG", "The description is too long.", "description")
    for name, limit in (("location", LOCATION_MAX_LENGTH), ("category", CATEGORY_MAX_LENGTH)):
        v[name] = " ".join((v[name] or "").split())
        if len(v[name]) > limit:
            err("TOO_LONG", f"Keep it to {limit} characters.", name)
    if v["visibility"] not in Event.Visibility.values:
        err("INVALID", f"Unknown visibility {v['visibility']!r}.", "visibility")
    if v["owner_department_id"] is not None:
        v["owner_department_id"] = as_uuid(v["owner_department_id"])
        if v["owner_department_id"] is None:
            err("INVALID", "Not a department ID.", "ownerDepartmentId")
    v["all_day"] = bool(v["all_day"])
    if v["all_day"]:
        v["starts_at"] = v["ends_at"] = None
        if not isinstance(v["start_date"], date) or not isinstance(v["end_date"], date):
            err("REQUIRED", "An all-day entry needs a start and an end date.", "startDate")
        elif v["end_date"] <= v["start_date"]:
            err("END_BEFORE_START", "The end date (exclusive) must follow the start.", "endDate")
        elif v["end_date"] - v["start_date"] > MAX_LENGTH:
            err("TOO_LONG", "An entry lasts at most a year.", "endDate")
    else:
        v["start_date"] = v["end_date"] = None
        if not isinstance(v["starts_at"], datetime) or not isinstance(v["ends_at"], datetime):
            err("REQUIRED", "Give a start and an end time.", "start")
        else:
            v["starts_at"] = recurrence.as_utc(v["starts_at"])
            v["ends_at"] = recurrence.as_utc(v["ends_at"])
            if v["ends_at"] <= v["starts_at"]:
                err("END_BEFORE_START", "The end must come after the start.", "end")
            elif v["ends_at"] - v["starts_at"] > MAX_LENGTH:
                err("TOO_LONG", "An entry lasts at most a year.", "end")
    v["rrule"] = (v["rrule"] or "").strip()
    if v["rrule"] and not errors:
        start = recurrence.local_midnight(v["start_date"]) if v["all_day"] else v["starts_at"]
        try:
            v["rrule"] = recurrence.normalise_rrule(v["rrule"], start)
        except recurrence.InvalidRule as exc:
            err(exc.code, str(exc), "rrule")  # INVALID_RRULE or RRULE_NEVER_OCCURS
    exdates = []
    if len(v["exdates"] or []) > MAX_EXDATES:
        err("TOO_MANY", f"Give at most {MAX_EXDATES} excluded dates.", "exdates")
        v["exdates"] = []
    for value in v["exdates"] or []:
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        except (TypeError, ValueError):
            err("INVALID", f"Not a time: {value!r}.", "exdates")
            continue
        exdates.append(recurrence.as_utc(moment).isoformat())
    v["exdates"] = sorted(set(exdates))
    return errors, v


def check_attendees(raw: Iterable[object] | None) -> tuple[list[CalendarError], list[uuid.UUID]]:
    """Person IDs of attendees, once each, in the order given.

    Whether an ID is a colleague is the people subgraph's to know: an ID of no person in
    this tenant stays an attendee nobody sees (the people subgraph resolves it to null).
    """
    ids: list[uuid.UUID] = []
    for value in raw or []:
        pk = as_uuid(value)
        if pk is None:
            return [CalendarError("INVALID", f"Not a person ID: {value}.", "attendeeIds")], []
        if pk not in ids:
            ids.append(pk)
    if len(ids) > MAX_ATTENDEES:
        return [
            CalendarError("TOO_MANY", f"Invite at most {MAX_ATTENDEES} people.", "attendeeIds")
        ], []
    return [], ids


# --- writes ----------------------------------------------------------------------------


def _refresh_span(event: Event) -> None:
    overrides = list(event.overrides.all()) if event.pk and not event._state.adding else []
    event.range_start, event.range_end = recurrence.span(event, overrides)


def _saved_change(event: Event, people: Iterable[uuid.UUID] | None = None) -> Outcome:
    """Save a changed event (span, one more version) and tell ``people`` (default: its
    people now) once the transaction commits."""
    _refresh_span(event)
    event.version += 1
    event.save()
    _publish_on_commit(event, Kind.UPDATED, _people_of(event) if people is None else people)
    return Outcome(obj=event)


def _people_of(event: Event) -> set[uuid.UUID]:
    return {
        event.organizer_id,
        *EventAttendee.objects.filter(event=event).values_list("person_id", flat=True),
    }


def _publish_on_commit(event: Event, kind: str, people: Iterable[uuid.UUID]) -> None:
    message = {
        "type": EVENT_TYPE,
        "event_id": str(event.id),
        "kind": kind,
        "version": event.version,
        # Whose calendars show it (before and after the change), so a department week
        # hears of an attendee removed too. IDs only: receivers re-read with their principal.
        "person_ids": sorted(str(p) for p in people),
        # The department whose own entry (課の予定) it is, for its department week.
        "department_ids": [str(event.owner_department_id)] if event.owner_department_id else [],
    }
    publish_on_commit(calendar_group(event.tenant_id), message)


def _set_attendees(event: Event, ids: list[uuid.UUID]) -> None:
    """Invite exactly ``ids``: new ones are PENDING, those still invited keep their answer."""
    current = set(EventAttendee.objects.filter(event=event).values_list("person_id", flat=True))
    EventAttendee.objects.filter(event=event).exclude(person_id__in=ids).delete()
    EventAttendee.objects.bulk_create(
        [
            EventAttendee(tenant_id=event.tenant_id, event=event, person_id=pk)
            for pk in ids
            if pk not in current
        ]
    )


def _locked_for_change(
    principal: Principal,
    event_id: object,
    expected_version: int | None = None,
    member_of: frozenset[uuid.UUID] = NO_DEPARTMENTS,
) -> tuple[Event | None, Outcome]:
    """The event, locked, if the principal may change it (and it is still at
    ``expected_version`` when one is given); else None and why not."""
    event = access_event_by_id(principal, event_id, for_update=True)
    if event is None:
        return None, Outcome(errors=[CalendarError("NOT_FOUND", "No such event.")])
    if not can_change(principal, event, member_of):
        if event.owner_department_id is not None:
            raise NotPermitted("Only members of the department may change its entries.")
        raise NotPermitted("Only the organizer may change this event.")
    if event.cancelled:
        return None, Outcome(errors=[CalendarError("CANCELLED", "The event has been cancelled.")])
    if expected_version is not None and expected_version != event.version:
        message = "Someone changed the event meanwhile: reload and try again."
        return None, Outcome(errors=[CalendarError("CONFLICT", message)])
    return event, Outcome(obj=event)


@transaction.atomic
def do_create_event(
    principal: Principal,
    data: Mapping[str, Any],
    *,
    event_id: uuid.UUID | None = None,
    member_of: frozenset[uuid.UUID] = NO_DEPARTMENTS,
) -> Outcome:
    """Create an event organised by the principal, inviting ``data['attendee_ids']``.

    ``event_id`` is the ID to give it: rooms are booked for an event before it is saved
    (``bookings.create_event_with_rooms``), so their bookings already carry its ID.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    errors, values = check_event_values(data)
    if not errors:
        errors += check_department(principal, values["owner_department_id"], member_of)
    attendee_errors, attendees = check_attendees(data.get("attendee_ids"))
    errors += attendee_errors
    if errors:
        return Outcome(errors=errors)
    return Outcome(
        obj=_create(principal.tenant_id, principal.person_id, values, attendees, event_id=event_id)
    )


def _create(
    tenant_id: uuid.UUID,
    organizer_id: uuid.UUID,
    values: dict[str, Any],
    attendees: list[uuid.UUID] | list[EventAttendee],
    ical_uid: str = "",
    event_id: uuid.UUID | None = None,
) -> Event:
    event = Event(
        tenant_id=tenant_id, organizer_id=organizer_id, version=1, ical_uid=ical_uid, **values
    )
    if event_id is not None:
        event.id = event_id
    event.range_start, event.range_end = recurrence.span(event)
    event.save()
    EventAttendee.objects.bulk_create(
        [
            EventAttendee(
                tenant_id=tenant_id,
                event=event,
                person_id=a.person_id if isinstance(a, EventAttendee) else a,
                response=a.response if isinstance(a, EventAttendee) else "PENDING",
                responded_at=a.responded_at if isinstance(a, EventAttendee) else None,
            )
            for a in attendees
        ]
    )
    _publish_on_commit(event, Kind.CREATED, _people_of(event))
    return event


# --- changed occurrences when the series' timing changes ---------------------------------
#
# A changed occurrence (moved, cancelled, given its own title or room) is keyed by the
# original start of its occurrence (RECURRENCE-ID), and so is an exdate. When the whole
# series changes its time, its rule or its start, those starts are no longer the
# series' and the exceptions would silently vanish: a moved meeting would jump back onto
# the series' new time, a cancelled one come back. As calendar apps do, an exception
# belongs to its occurrence's **day** (in Japan): it is re-keyed to the series' new start
# on the same day and keeps what it has: a moved occurrence stays where it was moved to
# (and its booked rooms with it), a cancelled one stays cancelled, an own title stays.
# Where that cannot be, the exception is dropped and the payload says so
# (``resetOccurrences``): the series no longer has an occurrence on that day (the rule
# now says Tuesdays, the series starts later, COUNT shrank, it is no longer recurring);
# or the series turned all-day or back, where the times it was moved to mean nothing
# (its own title and room stay, its time goes back to the series').


def _series_start_on(event: Event, day: date) -> datetime | None:
    """The original start the series has on ``day`` (Japan), exdates aside; None if none."""
    if not event.rrule:
        return None
    first = recurrence.series_start(event).astimezone(recurrence.TOKYO)
    start = datetime.combine(day, first.time(), recurrence.TOKYO).astimezone(UTC)
    probe = copy.copy(event)
    probe.exdates = []
    return start if recurrence.is_occurrence(probe, start) else None


def _day_of(moment: datetime) -> date:
    return recurrence.as_utc(moment).astimezone(recurrence.TOKYO).date()


def _live_overrides(event: Event, since: datetime | None = None) -> list[EventOverride]:
    """The event's changed occurrences (from ``since`` on) that are occurrences of it as it
    is now; rows left behind by earlier edits, which nobody sees, are deleted."""
    rows = EventOverride.objects.filter(event=event).order_by("recurrence_id")
    if since is not None:
        rows = rows.filter(recurrence_id__gte=since)
    probe = copy.copy(event)
    probe.exdates = []
    live = []
    for row in rows:
        if recurrence.is_occurrence(probe, row.recurrence_id):
            live.append(row)
        else:
            row.delete()
    return live


def _follow_new_timing(
    event: Event, overrides: Iterable[EventOverride], all_day_changed: bool
) -> list[datetime]:
    """Re-key ``overrides`` (of this event or of the series it was split from) and the
    event's exdates onto ``event``'s new timing, by day; the RECURRENCE-IDs of the changed
    occurrences that were reset (see above)."""
    reset: list[datetime] = []
    for row in overrides:
        old = recurrence.as_utc(row.recurrence_id)
        new = _series_start_on(event, _day_of(old))
        if new is None:
            reset.append(old)
            row.delete()
            continue
        if all_day_changed and (row.starts_at is not None or row.ends_at is not None):
            reset.append(old)
            row.starts_at = row.ends_at = None
            if not row.cancelled and row.title is None and row.location is None:
                row.delete()
                continue
        row.event = event
        row.recurrence_id = new
        row.save()
    exdates = set()
    for text in event.exdates or []:
        new = _series_start_on(event, _day_of(datetime.fromisoformat(text)))
        if new is not None:
            exdates.add(new.isoformat())
    event.exdates = sorted(exdates)
    return sorted(reset)


TIMING_KEYS = ("all_day", "starts_at", "start_date", "rrule")


def _timing_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    return any(before[name] != after[name] for name in TIMING_KEYS)


@transaction.atomic
def do_update_event(
    principal: Principal,
    event_id: object,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    *,
    member_of: frozenset[uuid.UUID] = NO_DEPARTMENTS,
) -> Outcome:
    """Change the whole event (every occurrence of a series); attendees if given."""
    event, outcome = _locked_for_change(principal, event_id, expected_version, member_of)
    if event is None:
        return outcome
    errors, values = check_event_values(data, values_of(event))
    if not errors and values["owner_department_id"] != event.owner_department_id:
        errors += check_department(principal, values["owner_department_id"], member_of)
    attendees: list[uuid.UUID] | None = None
    if "attendee_ids" in data and data["attendee_ids"] is not None:
        attendee_errors, attendees = check_attendees(data["attendee_ids"])
        errors += attendee_errors
    if errors:
        return Outcome(errors=errors)
    before = _people_of(event)
    old = values_of(event)
    live = _live_overrides(event) if event.is_recurring and _timing_changed(old, values) else None
    for name, value in values.items():
        setattr(event, name, value)
    reset: list[datetime] = []
    if live is not None:
        given = event.exdates
        reset = _follow_new_timing(event, live, old["all_day"] != values["all_day"])
        if "exdates" in data:  # exdates given with the change are meant for the new timing
            event.exdates = given
    if attendees is not None:
        _set_attendees(event, attendees)
    outcome = _saved_change(event, before | _people_of(event))
    outcome.extra["reset_occurrences"] = reset
    return outcome


@transaction.atomic
def do_cancel_event(
    principal: Principal, event_id: object, *, member_of: frozenset[uuid.UUID] = NO_DEPARTMENTS
) -> Outcome:
    """Cancel the event, every occurrence of a series included."""
    event, outcome = _locked_for_change(principal, event_id, member_of=member_of)
    if event is None:
        return outcome
    event.cancelled = True
    event.version += 1
    event.save()
    _publish_on_commit(event, Kind.CANCELLED, _people_of(event))
    return Outcome(obj=event)


def _occurrence_error(event: Event, recurrence_id: datetime) -> CalendarError | None:
    if not recurrence.is_occurrence(event, recurrence_id):
        return CalendarError(
            "NOT_AN_OCCURRENCE", "The series has no occurrence at that time.", "recurrenceId"
        )
    return None


def _override(event: Event, recurrence_id: datetime) -> EventOverride:
    rid = recurrence.as_utc(recurrence_id)
    override = EventOverride.objects.filter(event=event, recurrence_id=rid).first()
    return override or EventOverride(tenant_id=event.tenant_id, event=event, recurrence_id=rid)


@transaction.atomic
def do_cancel_occurrence(
    principal: Principal,
    event_id: object,
    recurrence_id: datetime,
    *,
    member_of: frozenset[uuid.UUID] = NO_DEPARTMENTS,
) -> Outcome:
    """Take one occurrence out of a series; a single event is cancelled whole."""
    event, outcome = _locked_for_change(principal, event_id, member_of=member_of)
    if event is None:
        return outcome
    if not event.is_recurring:
        return do_cancel_event(principal, event.id, member_of=member_of)
    if (error := _occurrence_error(event, recurrence_id)) is not None:
        return Outcome(errors=[error])
    override = _override(event, recurrence_id)
    override.cancelled = True
    override.save()
    return _saved_change(event)


def check_move(start: datetime, end: datetime) -> list[CalendarError]:
    if end <= start:
        return [CalendarError("END_BEFORE_START", "The end must come after the start.", "end")]
    if end - start > MAX_LENGTH:
        return [CalendarError("TOO_LONG", "An entry lasts at most a year.", "end")]
    return []


@transaction.atomic
def do_move_occurrence(
    principal: Principal,
    event_id: object,
    recurrence_id: datetime | None,
    start: datetime,
    end: datetime,
    *,
    member_of: frozenset[uuid.UUID] = NO_DEPARTMENTS,
) -> Outcome:
    """Drag & drop: one occurrence of a series moves (an override); a single event moves.

    An all-day entry moves by whole days in Japan: the dates of ``start`` and ``end``.
    """
    start, end = recurrence.as_utc(start), recurrence.as_utc(end)
    event, outcome = _locked_for_change(principal, event_id, member_of=member_of)
    if event is None:
        return outcome
    if errors := check_move(start, end):
        return Outcome(errors=errors)
    if event.all_day:
        first = start.astimezone(recurrence.TOKYO).date()
        last = end.astimezone(recurrence.TOKYO).date()
        start = recurrence.local_midnight(first)
        end = recurrence.local_midnight(max(last, first + timedelta(days=1)))
    if not event.is_recurring:
        data: dict[str, Any] = (
            {
                "start_date": start.astimezone(recurrence.TOKYO).date(),
                "end_date": end.astimezone(recurrence.TOKYO).date(),
            }
            if event.all_day
            else {"starts_at": start, "ends_at": end}
        )
        return do_update_event(principal, event.id, data, member_of=member_of)
    if recurrence_id is None:
        return Outcome(
            errors=[CalendarError("REQUIRED", "Say which occurrence moves.", "recurrenceId")]
        )
    if (error := _occurrence_error(event, recurrence_id)) is not None:
        return Outcome(errors=[error])
    override = _override(event, recurrence_id)
    override.cancelled = False
    override.starts_at, override.ends_at = start, end
    override.save()
    return _saved_change(event)


@transaction.atomic
def do_edit_following(
    principal: Principal,
    event_id: object,
    recurrence_id: datetime,
    data: Mapping[str, Any],
    new_event_id: uuid.UUID | None = None,
    *,
    member_of: frozenset[uuid.UUID] = NO_DEPARTMENTS,
) -> Outcome:
    """ "This and following": the series ends before ``recurrence_id`` and a new series,
    with ``data`` applied, starts there. Returns the new series.

    Changed occurrences and exdates from ``recurrence_id`` on go with the new series; a
    COUNT is shared between the two. From the first occurrence this is a whole-series edit.
    """
    event, outcome = _locked_for_change(principal, event_id, member_of=member_of)
    if event is None:
        return outcome
    if not event.is_recurring:
        return Outcome(errors=[CalendarError("NOT_RECURRING", "This is a single event.")])
    if (error := _occurrence_error(event, recurrence_id)) is not None:
        return Outcome(errors=[error])
    rid = recurrence.as_utc(recurrence_id)
    before = recurrence.occurrences_before(event, rid)
    if before == 0:
        return do_update_event(principal, event.id, data, member_of=member_of)
    # The new series' first occurrence is the one split at, with the series' duration.
    base = values_of(event)
    length = recurrence.duration(event)
    if event.all_day:
        day = rid.astimezone(recurrence.TOKYO).date()
        base.update(start_date=day, end_date=day + length)
    else:
        base.update(starts_at=rid, ends_at=rid + length)
    count = recurrence.rule_count(event.rrule)
    if count is not None:
        base["rrule"] = recurrence.with_count(event.rrule, count - before)
    base["exdates"] = [t for t in event.exdates if datetime.fromisoformat(t) >= rid]
    errors, values = check_event_values(data, base)
    if not errors and values["owner_department_id"] != event.owner_department_id:
        errors += check_department(principal, values["owner_department_id"], member_of)
    attendees: list[uuid.UUID] | list[EventAttendee] = list(event.attendees.all())
    if data.get("attendee_ids") is not None:
        attendee_errors, attendees = check_attendees(data["attendee_ids"])
        errors += attendee_errors
    if errors:
        return Outcome(errors=errors)
    people_before = _people_of(event)
    moving = _live_overrides(event, since=rid)
    event.rrule = recurrence.with_until(event.rrule, rid - timedelta(seconds=1))
    event.exdates = [t for t in event.exdates if datetime.fromisoformat(t) < rid]
    new = _create(event.tenant_id, event.organizer_id, values, attendees, event_id=new_event_id)
    reset: list[datetime] = []
    if not _timing_changed(base, values):
        # Same timing: the changed occurrences are still occurrences of the new series.
        EventOverride.objects.filter(pk__in=[o.pk for o in moving]).update(event=new)
    else:
        given = new.exdates
        reset = _follow_new_timing(new, moving, base["all_day"] != values["all_day"])
        if "exdates" in data:
            new.exdates = given
    _refresh_span(new)
    new.save()
    _saved_change(event, people_before)
    return Outcome(obj=new, extra={"reset_occurrences": reset})


def check_occurrence_values(data: Mapping[str, Any]) -> tuple[list[CalendarError], dict[str, Any]]:
    """Title and location of one occurrence: None goes back to the series' value, a key
    left out keeps what the occurrence has; "" is no location (a title is required)."""
    errors: list[CalendarError] = []
    values: dict[str, Any] = {}
    for name, limit in (("title", TITLE_MAX_LENGTH), ("location", LOCATION_MAX_LENGTH)):
        if name not in data:
            continue
        value = data[name]
        if value is not None:
            value = " ".join(str(value).split())
            if name == "title" and not value:
                errors.append(CalendarError("REQUIRED", "Give the occurrence a title.", name))
            elif len(value) > limit:
                errors.append(CalendarError("TOO_LONG", f"Keep it to {limit} characters.", name))
        values[name] = value
    return errors, values


@transaction.atomic
def do_edit_occurrence(
    principal: Principal,
    event_id: object,
    recurrence_id: datetime,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    *,
    member_of: frozenset[uuid.UUID] = NO_DEPARTMENTS,
) -> Outcome:
    """Give one occurrence of a series its own title or location (RECURRENCE-ID).

    Its times stay (``do_move_occurrence`` moves it, with its rooms); an occurrence that
    ends up like the series again loses its override row.
    """
    event, outcome = _locked_for_change(principal, event_id, expected_version, member_of)
    if event is None:
        return outcome
    if not event.is_recurring:
        return Outcome(
            errors=[CalendarError("NOT_RECURRING", "This is a single event: use updateEvent.")]
        )
    if (error := _occurrence_error(event, recurrence_id)) is not None:
        return Outcome(errors=[error])
    errors, values = check_occurrence_values(data)
    if errors:
        return Outcome(errors=errors)
    override = _override(event, recurrence_id)
    if override.cancelled:
        return Outcome(
            errors=[
                CalendarError("CANCELLED", "That occurrence has been cancelled.", "recurrenceId")
            ]
        )
    for name, value in values.items():
        setattr(override, name, value)
    plain = override.starts_at is None and override.ends_at is None
    if plain and override.title is None and override.location is None:
        if override.pk is not None:
            override.delete()
    else:
        override.save()
    return _saved_change(event)


@transaction.atomic
def do_respond_to_event(principal: Principal, event_id: object, response: str) -> Outcome:
    """An attendee answers ACCEPTED, DECLINED (or back to PENDING)."""
    assert principal.person_id is not None
    if response not in EventAttendee.Response.values:
        return Outcome(errors=[CalendarError("INVALID", "Unknown response.", "response")])
    event = access_event_by_id(principal, event_id, for_update=True)
    if event is None:
        return Outcome(errors=[CalendarError("NOT_FOUND", "No such event.")])
    if event.cancelled:
        return Outcome(errors=[CalendarError("CANCELLED", "The event has been cancelled.")])
    attendee = EventAttendee.objects.filter(event=event, person_id=principal.person_id).first()
    if attendee is None:
        return Outcome(errors=[CalendarError("NOT_INVITED", "You are not invited to this.")])
    if attendee.response != response:
        attendee.response = response
        attendee.responded_at = timezone.now()
        attendee.save()
        event.version += 1
        event.save(update_fields=["version", "updated_at"])
        _publish_on_commit(event, Kind.RESPONDED, _people_of(event))
    return Outcome(obj=event)


@transaction.atomic
def do_set_closed_day(principal: Principal, day: date, name: str) -> Outcome:
    """Mark ``day`` closed (年末年始, 開庁日の振替 ...) for the principal's tenant."""
    assert principal.tenant_id is not None
    name, errors = _closed_day_name(name)
    if errors:
        return Outcome(errors=errors)
    row, _ = ClosedDay.objects.update_or_create(
        tenant_id=principal.tenant_id, date=day, defaults={"name": name}
    )
    audit.record(
        "closed_day.set", target=row, principal=principal, after={"date": day, "name": name}
    )
    return Outcome(obj=row)


def _closed_day_name(name: str) -> tuple[str, list[CalendarError]]:
    name = " ".join((name or "").split())
    if not name:
        return name, [CalendarError("REQUIRED", "Name the closed day.", "name")]
    if len(name) > 100:
        return name, [CalendarError("TOO_LONG", "Keep the name to 100 characters.", "name")]
    return name, []


@transaction.atomic
def do_remove_closed_day(principal: Principal, day: date) -> Outcome:
    """Open ``day`` again: the dated closed day goes (an annual one of that date stays:
    ``do_remove_annual_closed_day``). NOT_FOUND when there is none."""
    assert principal.tenant_id is not None
    row = ClosedDay.objects.for_principal(principal).filter(date=day).first()
    if row is None:
        return Outcome(errors=[CalendarError("NOT_FOUND", "That day is not closed.", "day")])
    audit.record(
        "closed_day.removed",
        target=row,
        principal=principal,
        before={"date": day, "name": row.name},
    )
    row.delete()
    return Outcome(obj=row)


def _annual_errors(month: int, day: int) -> list[CalendarError]:
    try:
        date(2000, month, day)  # a leap year: 29 February may be closed where it exists
    except (ValueError, TypeError, OverflowError):
        return [CalendarError("INVALID", f"There is no {month}/{day}.", "day")]
    return []


@transaction.atomic
def do_set_annual_closed_day(principal: Principal, month: int, day: int, name: str) -> Outcome:
    """Close ``month``/``day`` every year (or rename it) for the principal's tenant."""
    assert principal.tenant_id is not None
    name, errors = _closed_day_name(name)
    errors += _annual_errors(month, day)
    if errors:
        return Outcome(errors=errors)
    closed_days.own_annual_rows(principal.tenant_id)
    row, _ = AnnualClosedDay.objects.update_or_create(
        tenant_id=principal.tenant_id, month=month, day=day, defaults={"name": name}
    )
    audit.record(
        "annual_closed_day.set",
        target=row,
        principal=principal,
        after={"month": month, "day": day, "name": name},
    )
    return Outcome(obj=row)


@transaction.atomic
def do_remove_annual_closed_day(principal: Principal, month: int, day: int) -> Outcome:
    """Stop closing ``month``/``day`` every year (the default 年末年始 days too)."""
    assert principal.tenant_id is not None
    if errors := _annual_errors(month, day):
        return Outcome(errors=errors)
    closed_days.own_annual_rows(principal.tenant_id)
    row = AnnualClosedDay.objects.for_principal(principal).filter(month=month, day=day).first()
    if row is None:
        return Outcome(errors=[CalendarError("NOT_FOUND", "That day is not closed.", "day")])
    audit.record(
        "annual_closed_day.removed",
        target=row,
        principal=principal,
        before={"month": month, "day": day, "name": row.name},
    )
    row.delete()
    return Outcome(obj=row)


# --- iCalendar feeds and import ----------------------------------------------------------

MAX_ACTIVE_FEEDS = 10
FEED_PATH = "/calendar/feed/{token}.ics"


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_principal(token: str) -> Principal | None:
    """Whose calendar a feed URL shows (from its token row alone), or None when revoked
    or unknown. The principal is a plain staff member: a feed never carries admin rights."""
    row = CalendarFeedToken.objects.filter(
        token_hash=hash_feed_token(token), revoked_at__isnull=True
    ).first()
    if row is None:
        return None
    return Principal(
        tenant_id=row.tenant_id, person_id=row.person_id, roles=frozenset({"staff"}), via="feed"
    )


@transaction.atomic
def do_create_calendar_feed(principal: Principal) -> Outcome:
    """A new private feed URL of the principal's calendar; ``extra['url']`` is shown once."""
    assert principal.tenant_id is not None and principal.person_id is not None
    active = CalendarFeedToken.objects.for_principal(principal).filter(
        person_id=principal.person_id, revoked_at__isnull=True
    )
    if active.count() >= MAX_ACTIVE_FEEDS:
        return Outcome(
            errors=[
                CalendarError(
                    "TOO_MANY", f"Revoke a feed first: at most {MAX_ACTIVE_FEEDS} at once."
                )
            ]
        )
    token = secrets.token_urlsafe(32)
    row = CalendarFeedToken.objects.create(
        tenant_id=principal.tenant_id,
        person_id=principal.person_id,
        token_hash=hash_feed_token(token),
    )
    return Outcome(obj=row, extra={"url": FEED_PATH.format(token=token)})


@transaction.atomic
def do_revoke_calendar_feed(principal: Principal, feed_id: object) -> Outcome:
    """Stop one of the principal's own feeds; revoking twice is harmless."""
    pk = as_uuid(feed_id)
    row = (
        CalendarFeedToken.objects.for_principal(principal)
        .filter(pk=pk, person_id=principal.person_id)
        .select_for_update()
        .first()
        if pk is not None
        else None
    )
    if row is None:
        return Outcome(errors=[CalendarError("NOT_FOUND", "No such feed.")])
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
    return Outcome(obj=row)


@dataclass
class ImportOutcome:
    """Events made by an import, how many VEVENTs were already there, or why none were."""

    created: list[Event] = field(default_factory=list)
    skipped: int = 0
    errors: list[ical.IcsProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _known_uids(principal: Principal) -> set[str]:
    """UIDs already in the principal's calendar: imported ones, and our own exported ones."""
    assert principal.person_id is not None
    mine = Event.objects.for_principal(principal).filter(organizer_id=principal.person_id)
    known = set(mine.exclude(ical_uid="").values_list("ical_uid", flat=True))
    invited = EventAttendee.objects.for_principal(principal).filter(person_id=principal.person_id)
    ids = {*mine.values_list("id", flat=True), *invited.values_list("event_id", flat=True)}
    known |= {f"{pk}@{ical.UID_DOMAIN}" for pk in ids}
    return known


@transaction.atomic
def do_import_ics(principal: Principal, text: str) -> ImportOutcome:
    """Each VEVENT of ``text`` becomes an event the principal organises, all or nothing.

    RRULE and EXDATE are kept and RECURRENCE-ID occurrences become changed or cancelled
    occurrences; a UID imported before (or an event already in the calendar) is skipped.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    parsed, problems = ical.parse_ics(text)
    if problems:
        return ImportOutcome(errors=problems)
    known = _known_uids(principal)
    todo = [p for p in parsed if p.uid not in known]
    checked: list[tuple[ical.ParsedEvent, dict[str, Any]]] = []
    for item in todo:
        errors, values = check_event_values(item.data)
        problems += [
            ical.IcsProblem(e.code, e.message, item.line_of_field(text, e.field), item.uid)
            for e in errors
        ]
        checked.append((item, values))
    if problems:
        return ImportOutcome(errors=problems)
    created = [
        _import_one(principal.tenant_id, principal.person_id, item, values)
        for item, values in checked
    ]
    return ImportOutcome(created=created, skipped=len(parsed) - len(todo))


def _import_one(
    tenant_id: uuid.UUID, organizer_id: uuid.UUID, item: ical.ParsedEvent, values: dict[str, Any]
) -> Event:
    event = _create(tenant_id, organizer_id, values, [], ical_uid=item.uid)
    if not event.is_recurring or not item.overrides:
        return event
    for parsed in item.overrides:
        rid = parsed.recurrence_id
        # Occurrences the series does not have (RFC 5545 counts a DTSTART off the rule,
        # which we do not) are left out rather than failing the whole import.
        if not recurrence.is_occurrence(event, rid):
            continue
        override = _override(event, rid)
        override.cancelled = parsed.cancelled
        if (
            not parsed.cancelled
            and parsed.starts_at
            and parsed.ends_at
            and not check_move(parsed.starts_at, parsed.ends_at)
        ):
            override.starts_at, override.ends_at = parsed.starts_at, parsed.ends_at
        override.title = parsed.title
        override.location = parsed.location
        override.save()
    _refresh_span(event)
    event.save()
    return event
