"""Service functions of the facilities subgraph: check_* validate, do_* change.

Bookings never collide, and the database is what guarantees it:
- a single facility (pool_size 1): PostgreSQL's exclusion constraint (migration 0002)
  refuses a second active reservation overlapping the first. Two transactions that race past
  the overlap check both insert; the second one's insert fails with an exclusion violation,
  which becomes the same typed conflict as the one the check would have found.
- a pool of N items: the facility row is locked (``select_for_update``) before counting,
  so two bookings of one pool are decided one after the other.
- SQLite: every write transaction is IMMEDIATE (yui.config), so the check-then-insert of
  one writer never interleaves with another's.

Expected failures come back as values (DESIGN rule 5): ``FacilityError`` for rules and
input, ``Outcome.conflicts`` naming the bookings in the way. Events are published only
after commit (CONVENTIONS), carrying IDs and a version.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import rrule, rrulestr
from django.db import IntegrityError, transaction
from django.utils import timezone

from subgraphs.audit import actions as audit
from subgraphs.core import rrules
from subgraphs.core.events import publish_on_commit
from subgraphs.core.principal import Principal
from subgraphs.facilities.access import (
    access_facility_by_id,
    access_facility_group_by_id,
    access_purpose_option_by_id,
    access_reservation_by_id,
    as_uuid,
    may_change,
    may_decide,
)
from subgraphs.facilities.models import Facility, FacilityGroup, PurposeOption, Reservation

EVENT_TYPE = "facilities.reservation"
PENDING_EVENT_TYPE = "facilities.pending"
Status = Reservation.Status
# A booking made "now" may reach us a little after its start; only clearly past ones fail.
START_GRACE = timedelta(minutes=15)
MAX_OCCURRENCES = 100
PURPOSE_MAX_LENGTH = 200
# PostgreSQL's SQLSTATE for exclusion_violation.
EXCLUSION_VIOLATION = "23P01"


@dataclass(frozen=True)
class FacilityError:
    """An expected failure, shown next to ``field`` (None: the whole form)."""

    code: str
    message: str
    field: str | None = None


@dataclass
class DateProblem:
    """Why one occurrence of a recurring booking cannot be booked."""

    day: date
    starts_at: datetime
    ends_at: datetime
    errors: list[FacilityError] = field(default_factory=list)
    conflicts: list[Reservation] = field(default_factory=list)
    facility: Facility | None = None


@dataclass
class Outcome:
    """What a do_* function returns: the changed row(s), or why nothing changed."""

    obj: Any = None
    errors: list[FacilityError] = field(default_factory=list)
    conflicts: list[Reservation] = field(default_factory=list)
    rows: list[Reservation] = field(default_factory=list)
    problems: list[DateProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.conflicts and (self.obj is not None or bool(self.rows))


def facilities_group(tenant_id: uuid.UUID) -> str:
    """The channel-layer group of one tenant's facility changes."""
    return f"facilities.{tenant_id.hex}"


def pending_tenant_group(tenant_id: uuid.UUID) -> str:
    """The group of every approval change in a tenant: its tenant administrators listen."""
    return f"facilities.pending.{tenant_id.hex}"


def pending_department_group(tenant_id: uuid.UUID, department_id: uuid.UUID) -> str:
    """The group of approval changes at the facilities one department owns: its facility
    administrators listen."""
    return f"facilities.pending.{tenant_id.hex}.{department_id.hex}"


def error(code: str, ja: str, en: str, field_name: str | None = None) -> FacilityError:
    return FacilityError(code, f"{ja} / {en}", field_name)


NOT_FOUND = error("NOT_FOUND", "施設が見つかりません。", "No such facility.", "facilityId")


def aware_utc(value: datetime) -> datetime:
    """A time without an offset is what the user read off a Japanese clock."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(UTC)


def local(value: datetime) -> datetime:
    return timezone.localtime(value)


# --- rules -------------------------------------------------------------------------------


def check_reservation(
    facility: Facility,
    principal: Principal,
    starts_at: datetime,
    ends_at: datetime,
    department_ids: frozenset[uuid.UUID] | None,
    now: datetime | None = None,
) -> list[FacilityError]:
    """The facility's booking rules for this period and this person; [] when all hold."""
    if not facility.is_active:
        return [error("INACTIVE", "この施設は現在予約できません。", "Not bookable now.")]
    if ends_at <= starts_at:
        return [
            error(
                "INVALID_PERIOD",
                "終了は開始より後にしてください。",
                "The end must be after the start.",
                "end",
            )
        ]
    errors = []
    now = now or timezone.now()
    if starts_at < now - START_GRACE:
        errors.append(
            error("IN_THE_PAST", "過去の日時は予約できません。", "That time has passed.", "start")
        )
    minutes = (ends_at - starts_at).total_seconds() / 60
    if facility.min_minutes and minutes < facility.min_minutes:
        errors.append(
            error(
                "TOO_SHORT",
                f"{facility.min_minutes}分以上で予約してください。",
                f"Book at least {facility.min_minutes} minutes.",
                "end",
            )
        )
    if facility.max_minutes and minutes > facility.max_minutes:
        errors.append(
            error(
                "TOO_LONG",
                f"{facility.max_minutes}分以内で予約してください。",
                f"Book at most {facility.max_minutes} minutes.",
                "end",
            )
        )
    first, last = local(starts_at), local(ends_at - timedelta(microseconds=1))
    if facility.open_time is not None or facility.close_time is not None:
        opens = facility.open_time or time.min
        closes = facility.close_time
        end_time = local(ends_at).time()
        # An end at midnight (00:00) is the end of the day: after any closing time.
        within = (
            first.date() == last.date()
            and first.time() >= opens
            and (closes is None or (end_time != time.min and end_time <= closes))
        )
        if not within:
            hours = f"{opens:%H:%M}–{closes:%H:%M}" if closes else f"{opens:%H:%M}–"
            errors.append(
                error(
                    "OUTSIDE_HOURS",
                    f"予約できる時間は{hours}です。",
                    f"Bookable hours are {hours}.",
                    "start",
                )
            )
    if facility.bookable_weekdays:
        days = (
            first.date() + timedelta(days=n) for n in range((last.date() - first.date()).days + 1)
        )
        if any(d.weekday() not in facility.bookable_weekdays for d in days):
            names = "".join("月火水木金土日"[d] for d in sorted(facility.bookable_weekdays))
            errors.append(
                error(
                    "CLOSED_WEEKDAY",
                    f"予約できる曜日は{names}です。",
                    "The facility cannot be booked on that day of the week.",
                    "start",
                )
            )
    if facility.max_days_ahead is not None:
        ahead = (first.date() - local(now).date()).days
        if ahead > facility.max_days_ahead:
            errors.append(
                error(
                    "TOO_FAR_AHEAD",
                    f"予約は{facility.max_days_ahead}日先までです。",
                    f"Book at most {facility.max_days_ahead} days ahead.",
                    "start",
                )
            )
    allowed = {as_uuid(d) for d in facility.allowed_department_ids or []}
    if allowed and not principal.is_tenant_admin and not (allowed & (department_ids or set())):
        errors.append(
            error(
                "DEPARTMENT_NOT_ALLOWED",
                "この施設はあなたの所属では予約できません。",
                "Your department may not book this facility.",
                "facilityId",
            )
        )
    return errors


def _check_purpose(
    principal: Principal, option_id: object | None, text: str | None
) -> tuple[list[FacilityError], PurposeOption | None, str]:
    text = " ".join((text or "").splitlines()).strip()
    errors = []
    option = None
    if option_id:
        option = access_purpose_option_by_id(principal, option_id)
        if option is None or not option.is_active:
            errors.append(
                error(
                    "UNKNOWN_PURPOSE",
                    "その利用目的は選べません。",
                    "Pick a purpose from the list.",
                    "purposeOptionId",
                )
            )
    if len(text) > PURPOSE_MAX_LENGTH:
        errors.append(
            error(
                "PURPOSE_TOO_LONG",
                f"利用目的は{PURPOSE_MAX_LENGTH}文字以内にしてください。",
                f"Keep the purpose to {PURPOSE_MAX_LENGTH} characters.",
                "purpose",
            )
        )
    return errors, option, text


# --- overlap -----------------------------------------------------------------------------


def overlapping(
    facility: Facility,
    starts_at: datetime,
    ends_at: datetime,
    exclude_id: uuid.UUID | None = None,
    exclude_ids: Collection[uuid.UUID] = (),
) -> list[Reservation]:
    """Active reservations of ``facility`` overlapping [starts_at, ends_at) (half-open),
    leaving out ``exclude_id`` and ``exclude_ids`` (bookings that are about to move)."""
    rows = Reservation.objects.filter(
        tenant_id=facility.tenant_id,
        facility_id=facility.id,
        status__in=Reservation.ACTIVE,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).select_related("purpose_option")
    if exclude_id is not None:
        rows = rows.exclude(id=exclude_id)
    if exclude_ids:
        rows = rows.exclude(id__in=list(exclude_ids))
    return list(rows)


def peak(periods: Iterable[tuple[datetime, datetime]]) -> int:
    """The most periods in use at one instant (ends before starts: [10,11) and [11,12) fit)."""
    points = sorted(
        itertools.chain.from_iterable(((s, 1), (e, -1)) for s, e in periods),
        key=lambda p: (p[0], p[1]),
    )
    most = current = 0
    for _, delta in points:
        current += delta
        most = max(most, current)
    return most


def clashes(
    facility: Facility,
    starts_at: datetime,
    ends_at: datetime,
    exclude_id: uuid.UUID | None = None,
    planned: Iterable[tuple[datetime, datetime]] = (),
    exclude_ids: Collection[uuid.UUID] = (),
) -> list[Reservation]:
    """The bookings in the way of [starts_at, ends_at); [] when it fits.

    A pool of N fits the booking unless N bookings are in use at one instant of the period
    (three bookings of a pool of 3 that do not overlap each other leave room for a fourth).
    ``planned`` are periods of the same request not saved yet (a recurring series).
    """
    rows = overlapping(facility, starts_at, ends_at, exclude_id, exclude_ids)
    others = [
        (max(s, starts_at), min(e, ends_at))
        for s, e in [(r.starts_at, r.ends_at) for r in rows] + list(planned)
        if s < ends_at and e > starts_at
    ]
    if peak(others) < facility.pool_size:
        return []
    return rows or [_planned_marker(facility, *others[0])]


def _planned_marker(facility: Facility, starts_at: datetime, ends_at: datetime) -> Reservation:
    # An occurrence of the same series in the way: an unsaved row, shown like any other.
    return Reservation(
        facility=facility, starts_at=starts_at, ends_at=ends_at, status=Status.PENDING
    )


def _is_exclusion_violation(exc: IntegrityError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION


def _facility_for_booking(principal: Principal, facility_id: object) -> Facility | None:
    facility = access_facility_by_id(principal, facility_id)
    if facility is not None and facility.pool_size > 1:
        # Pools are counted, which no constraint can do: decide them one at a time.
        facility = access_facility_by_id(principal, facility_id, for_update=True)
    return facility


# --- reservations ------------------------------------------------------------------------


def do_create_reservation(
    principal: Principal,
    facility_id: object,
    starts_at: datetime,
    ends_at: datetime,
    *,
    purpose_option_id: object | None = None,
    purpose: str | None = "",
    event_id: object | None = None,
    department_ids: frozenset[uuid.UUID] | None = None,
) -> Outcome:
    """Book a facility; PENDING (仮予約) where it needs approval, else CONFIRMED."""
    assert principal.tenant_id is not None and principal.person_id is not None
    starts_at, ends_at = aware_utc(starts_at), aware_utc(ends_at)
    event = as_uuid(event_id) if event_id else None
    with transaction.atomic():
        facility = _facility_for_booking(principal, facility_id)
        if facility is None:
            return Outcome(errors=[NOT_FOUND])
        errors = check_reservation(facility, principal, starts_at, ends_at, department_ids)
        purpose_errors, option, text = _check_purpose(principal, purpose_option_id, purpose)
        errors += purpose_errors
        if event_id and event is None:
            errors.append(
                error("INVALID_EVENT", "予定のIDが不正です。", "Not an event ID.", "eventId")
            )
        if errors:
            return Outcome(errors=errors)
        in_the_way = clashes(facility, starts_at, ends_at)
        if in_the_way:
            return Outcome(conflicts=in_the_way)
        row = Reservation(
            tenant_id=principal.tenant_id,
            facility=facility,
            starts_at=starts_at,
            ends_at=ends_at,
            purpose_option=option,
            purpose_text=text,
            requester_id=principal.person_id,
            event_id=event,
            status=Status.PENDING if facility.needs_approval else Status.CONFIRMED,
            exclusive=facility.pool_size == 1,
        )
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the outer intact
                row.save(force_insert=True)
        except IntegrityError as exc:
            if not _is_exclusion_violation(exc):
                raise
            # Another transaction booked the slot between our check and our insert.
            return Outcome(conflicts=clashes(facility, starts_at, ends_at) or [])
        _publish_on_commit(row)
        return Outcome(obj=row)


def do_move_reservation(
    principal: Principal,
    reservation_id: object,
    starts_at: datetime,
    ends_at: datetime,
    *,
    department_ids: frozenset[uuid.UUID] | None = None,
) -> Outcome:
    """Move a booking to another period of the same facility, with the same checks.

    At a facility that needs approval, a move by anyone who may not decide its bookings
    (``may_decide``) asks again.
    """
    starts_at, ends_at = aware_utc(starts_at), aware_utc(ends_at)
    with transaction.atomic():
        row = access_reservation_by_id(principal, reservation_id, for_update=True)
        refusal = _refuse_change(principal, row)
        if refusal:
            return Outcome(errors=[refusal])
        assert row is not None
        facility = _facility_for_booking(principal, row.facility_id)
        assert facility is not None
        errors = check_reservation(facility, principal, starts_at, ends_at, department_ids)
        if errors:
            return Outcome(errors=errors)
        in_the_way = clashes(facility, starts_at, ends_at, exclude_id=row.id)
        if in_the_way:
            return Outcome(conflicts=in_the_way)
        row.starts_at, row.ends_at = starts_at, ends_at
        row.exclusive = facility.pool_size == 1
        if facility.needs_approval and not may_decide(
            principal, facility, department_ids or frozenset()
        ):
            row.status, row.approved_by, row.decided_at = Status.PENDING, None, None
        row.version += 1
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError as exc:
            if not _is_exclusion_violation(exc):
                raise
            return Outcome(conflicts=clashes(facility, starts_at, ends_at, exclude_id=row.id))
        _publish_on_commit(row)
        return Outcome(obj=row)


# --- bookings that follow a calendar event -------------------------------------------------
#
# The calendar subgraph calls these (through this subgraph's GraphQL schema) when an event
# with rooms moves or is cancelled. "The event's bookings" are the active reservations
# linked to ``event_id`` that the caller made; a tenant administrator acts on every active
# reservation linked to it. So a booking someone else linked to your event is theirs and
# never blocks or follows your event, and another tenant's rows are never seen at all.
# ``occurrence_start`` narrows them to one occurrence of a series: the bookings starting
# at that occurrence's current start.


def _event_reservations(
    principal: Principal, event: uuid.UUID, occurrence_start: datetime | None
) -> list[Reservation]:
    rows = (
        Reservation.objects.for_principal(principal)
        .filter(event_id=event, status__in=Reservation.ACTIVE)
        .select_related("facility")
        .select_for_update(of=("self",))
        .order_by("starts_at", "id")
    )
    if not principal.is_tenant_admin:
        rows = rows.filter(requester_id=principal.person_id)
    if occurrence_start is not None:
        rows = rows.filter(starts_at=aware_utc(occurrence_start))
    return list(rows)


INVALID_EVENT = error("INVALID_EVENT", "予定のIDが不正です。", "Not an event ID.", "eventId")


def do_move_event_reservations(
    principal: Principal,
    event_id: object,
    starts_at: datetime,
    ends_at: datetime,
    *,
    occurrence_start: datetime | None = None,
    department_ids: frozenset[uuid.UUID] | None = None,
) -> Outcome:
    """Move every booking of an event to [starts_at, ends_at): all of them or none.

    Each booking's facility rules and overlaps are checked for the new period first; any
    broken rule comes back in ``errors``, every booking in the way in ``conflicts``, and
    then nothing moved. An event with no bookings moves nothing and succeeds (``rows``
    empty). As with ``do_move_reservation``, a move by a non-administrator at a facility
    that needs approval asks again (PENDING).
    """
    event = as_uuid(event_id)
    if event is None:
        return Outcome(errors=[INVALID_EVENT])
    starts_at, ends_at = aware_utc(starts_at), aware_utc(ends_at)
    with transaction.atomic():
        rows = _event_reservations(principal, event, occurrence_start)
        moving = {row.id for row in rows}
        errors: list[FacilityError] = []
        conflicts: list[Reservation] = []
        facilities: dict[uuid.UUID, Facility] = {}
        for row in rows:
            facility = _facility_for_booking(principal, row.facility_id)
            assert facility is not None
            facilities[row.id] = facility
            errors += check_reservation(facility, principal, starts_at, ends_at, department_ids)
            conflicts += [
                r
                for r in clashes(facility, starts_at, ends_at, exclude_id=row.id)
                if r.id not in moving
            ]
        if errors or conflicts:
            return Outcome(errors=list(dict.fromkeys(errors)), conflicts=conflicts)
        for row in rows:
            facility = facilities[row.id]
            row.starts_at, row.ends_at = starts_at, ends_at
            row.exclusive = facility.pool_size == 1
            if facility.needs_approval and not principal.is_tenant_admin:
                row.status, row.approved_by, row.decided_at = Status.PENDING, None, None
            row.version += 1
        try:
            with transaction.atomic():
                for row in rows:
                    row.save()
        except IntegrityError as exc:
            if not _is_exclusion_violation(exc):
                raise
            # Someone booked the new period between our check and our write.
            lost = [
                r
                for row in rows
                for r in clashes(facilities[row.id], starts_at, ends_at, exclude_id=row.id)
                if r.id not in moving
            ]
            marker = _planned_marker(rows[0].facility, starts_at, ends_at)
            return Outcome(conflicts=lost or [marker])
        for row in rows:
            _publish_on_commit(row)
        return Outcome(rows=rows)


def do_cancel_event_reservations(
    principal: Principal, event_id: object, *, occurrence_start: datetime | None = None
) -> Outcome:
    """Cancel every booking of an event (or of one occurrence): frees the rooms.

    Nothing to cancel is a success with ``rows`` empty, so cancelling twice is harmless.
    """
    event = as_uuid(event_id)
    if event is None:
        return Outcome(errors=[INVALID_EVENT])
    with transaction.atomic():
        rows = _event_reservations(principal, event, occurrence_start)
        for row in rows:
            row.status = Status.CANCELLED
            row.version += 1
            row.save()
            _publish_on_commit(row)
        return Outcome(rows=rows)


def do_sync_event_reservations(
    principal: Principal,
    event_id: object,
    periods: Iterable[tuple[datetime, datetime]],
    *,
    since: datetime,
    facility_ids: Iterable[object] | None = None,
    take_over_from: object | None = None,
    department_ids: frozenset[uuid.UUID] | None = None,
) -> Outcome:
    """Make the event's bookings from ``since`` on match ``periods``: one booking per
    period in each facility, all of them or none.

    The calendar calls this after working out where the occurrences of an event (a series,
    an all-day entry, a single meeting) will be. For each facility (``facility_ids``, or
    the facilities the event already has bookings at) a booking already at a period stays
    untouched; the others move to the remaining periods (keeping their IDs), bookings left
    over are cancelled and periods left over are booked anew. Bookings that start before
    ``since`` (the past) and periods starting before it are left alone. Bookings at a
    facility not in ``facility_ids`` are cancelled. ``take_over_from``: the bookings of
    that event from ``since`` on become this event's first (editing "this and following"
    splits a series in two).

    Every new or moved period is checked against the facility's rules and the bookings of
    others; each failing date comes back in ``problems`` and then nothing changed. As
    everywhere, "the event's bookings" are the caller's (administrators: everybody's).
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    event = as_uuid(event_id)
    donor = as_uuid(take_over_from) if take_over_from else None
    if event is None or (take_over_from and donor is None):
        return Outcome(errors=[INVALID_EVENT])
    since = aware_utc(since)
    wanted = sorted({(aware_utc(s), aware_utc(e)) for s, e in periods if aware_utc(s) >= since})
    if len(wanted) > MAX_OCCURRENCES:
        return Outcome(
            errors=[
                error(
                    "TOO_MANY_OCCURRENCES",
                    f"施設の予約は{MAX_OCCURRENCES}回までです。",
                    f"At most {MAX_OCCURRENCES} occurrences can have rooms booked.",
                    "periods",
                )
            ]
        )
    with transaction.atomic():
        rows = _event_reservations(principal, event, None)
        if donor is not None:
            rows += [r for r in _event_reservations(principal, donor, None) if r.starts_at >= since]
        chosen = (
            list(dict.fromkeys(as_uuid(f) for f in facility_ids))
            if facility_ids is not None
            else list(dict.fromkeys(r.facility_id for r in rows))
        )
        facilities: dict[uuid.UUID, Facility] = {}
        for facility_id in chosen:
            facility = _facility_for_booking(principal, facility_id) if facility_id else None
            if facility is None:
                return Outcome(errors=[NOT_FOUND])
            facilities[facility.id] = facility
        in_scope = [r for r in rows if r.starts_at >= since]
        ours = {r.id for r in in_scope}
        cancels = [r for r in in_scope if r.facility_id not in facilities]
        moves: list[tuple[Reservation, tuple[datetime, datetime]]] = []
        creates: list[tuple[Facility, tuple[datetime, datetime]]] = []
        relinks: list[Reservation] = []
        problems: list[DateProblem] = []
        for facility in facilities.values():
            there = [r for r in in_scope if r.facility_id == facility.id]
            kept = [r for r in there if (r.starts_at, r.ends_at) in wanted]
            kept = list({(r.starts_at, r.ends_at): r for r in reversed(kept)}.values())
            kept_periods = {(r.starts_at, r.ends_at) for r in kept}
            spare = [r for r in there if r not in kept]
            todo = [p for p in wanted if p not in kept_periods]
            moves += list(zip(spare, todo, strict=False))
            creates += [(facility, p) for p in todo[len(spare) :]]
            cancels += spare[len(todo) :]
            relinks += [r for r in kept if r.event_id != event]
            planned: list[tuple[datetime, datetime]] = sorted(kept_periods)
            for s, e in todo:
                errors = check_reservation(facility, principal, s, e, department_ids)
                in_the_way = (
                    [] if errors else clashes(facility, s, e, planned=planned, exclude_ids=ours)
                )
                if errors or in_the_way:
                    problems.append(
                        DateProblem(local(s).date(), s, e, errors, in_the_way, facility)
                    )
                planned.append((s, e))
        if problems:
            return Outcome(problems=problems)
        changed: list[Reservation] = []
        for row in cancels:
            row.status = Status.CANCELLED
            row.version += 1
            row.save(update_fields=["status", "version", "updated_at"])
            changed.append(row)
        # Moving bookings may pass through each other's old periods (a weekly series one
        # day later): take them out of the exclusion constraint first, then set each one.
        for row, _ in moves:
            row.exclusive = False
            row.save(update_fields=["exclusive"])
        new_rows = [
            Reservation(
                tenant_id=principal.tenant_id,
                facility=facility,
                starts_at=s,
                ends_at=e,
                purpose_text="",
                requester_id=principal.person_id,
                event_id=event,
                status=Status.PENDING if facility.needs_approval else Status.CONFIRMED,
                exclusive=facility.pool_size == 1,
            )
            for facility, (s, e) in creates
        ]
        try:
            with transaction.atomic():
                for row, (s, e) in moves:
                    facility = facilities[row.facility_id]
                    row.starts_at, row.ends_at, row.event_id = s, e, event
                    row.exclusive = facility.pool_size == 1
                    if facility.needs_approval and not principal.is_tenant_admin:
                        row.status, row.approved_by, row.decided_at = Status.PENDING, None, None
                    row.version += 1
                    row.save()
                for row in new_rows:
                    row.save(force_insert=True)
        except IntegrityError as exc:
            if not _is_exclusion_violation(exc):
                raise
            # Someone booked one of the periods between our check and our write: report
            # them, and undo the cancellations made above with everything else.
            lost = [
                DateProblem(local(s).date(), s, e, [], clashes(f, s, e, exclude_ids=ours), f)
                for f, (s, e) in [(facilities[r.facility_id], p) for r, p in moves] + creates
            ]
            transaction.set_rollback(True)
            return Outcome(problems=[p for p in lost if p.conflicts] or lost)
        for row in relinks:
            row.event_id = event
            row.version += 1
            row.save(update_fields=["event_id", "version", "updated_at"])
        changed += [row for row, _ in moves] + new_rows + relinks
        for row in changed:
            _publish_on_commit(row)
        now = _event_reservations(principal, event, None)
        return Outcome(rows=[r for r in now if r.starts_at >= since])


def _refuse_change(principal: Principal, row: Reservation | None) -> FacilityError | None:
    if row is None:
        return error("NOT_FOUND", "予約が見つかりません。", "No such reservation.", "id")
    if not may_change(principal, row):
        return error(
            "NOT_YOURS",
            "他の人の予約は変更できません。",
            "Only the requester or an administrator may change this reservation.",
            "id",
        )
    if row.status not in Reservation.ACTIVE:
        return error(
            "NOT_ACTIVE",
            "取消・却下済みの予約は変更できません。",
            "The reservation was cancelled or rejected.",
            "id",
        )
    return None


@transaction.atomic
def do_cancel_reservation(principal: Principal, reservation_id: object) -> Outcome:
    """Cancel a booking (the requester's own, or any as an administrator); frees the slot."""
    row = access_reservation_by_id(principal, reservation_id, for_update=True)
    refusal = _refuse_change(principal, row)
    if refusal:
        return Outcome(errors=[refusal])
    assert row is not None
    row.status = Status.CANCELLED
    row.version += 1
    row.save()
    _publish_on_commit(row)
    return Outcome(obj=row)


NOT_DECIDER = error(
    "FORBIDDEN",
    "この施設の予約を承認・却下する権限がありません。",
    "Only a tenant administrator or a facility administrator of the owning department "
    "may approve or reject this reservation.",
    "id",
)


@transaction.atomic
def do_decide_reservation(
    principal: Principal,
    reservation_id: object,
    approve: bool,
    department_ids: frozenset[uuid.UUID] = frozenset(),
) -> Outcome:
    """Approve (本予約) or reject a PENDING booking, as whoever ``may_decide`` it (a tenant
    administrator, or a facility administrator of the owning department: ``department_ids``
    are the caller's). Refused with NOT_DECIDER otherwise, which the GraphQL layer turns
    into FORBIDDEN. The slot was held while pending, so approving needs no new check."""
    row = access_reservation_by_id(principal, reservation_id, for_update=True)
    if row is None:
        return Outcome(
            errors=[error("NOT_FOUND", "予約が見つかりません。", "No such reservation.", "id")]
        )
    if not may_decide(principal, row.facility, department_ids):
        return Outcome(errors=[NOT_DECIDER])
    if row.status != Status.PENDING:
        return Outcome(
            errors=[
                error(
                    "NOT_PENDING",
                    "承認待ちの予約ではありません。",
                    "The reservation is not waiting for approval.",
                    "id",
                )
            ]
        )
    row.status = Status.CONFIRMED if approve else Status.REJECTED
    row.approved_by = principal.person_id
    row.decided_at = timezone.now()
    row.version += 1
    row.save()
    audit.record(
        "reservation.approved" if approve else "reservation.rejected",
        target=row,
        principal=principal,
        summary=f"{row.facility.name} {row.starts_at.isoformat()}",
        before={"status": Status.PENDING},
        after={"status": row.status},
    )
    _publish_on_commit(row)
    return Outcome(obj=row)


def expand_rrule(
    rule: str, starts_at: datetime, ends_at: datetime
) -> list[tuple[datetime, datetime]] | FacilityError:
    """Occurrences of ``rule`` from the first period, expanded in Japan time (BYDAY=TH means
    Thursday in Japan), at most MAX_OCCURRENCES of them, all within rrules.HORIZON_YEARS.

    The expansion is bounded (subgraphs/core/rrules.py): a rule that never occurs (30
    February) is refused after a look at ten years, not a walk to year 9999. Rules more
    often than daily are refused as the calendar refuses them (FREQ=SECONDLY booked
    one-second reservations).
    """
    first = local(starts_at).replace(tzinfo=None)
    length = ends_at - starts_at
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    freq = re.search(r"(?:^|;)\s*FREQ\s*=\s*([A-Za-z]+)", text)
    if freq is not None and freq.group(1).upper() in rrules.SUB_DAILY:
        return error(
            "INVALID_RRULE",
            "繰り返しは日・週・月・年単位で指定してください。",
            "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY.",
            "rrule",
        )
    try:
        occurrences = rrulestr(text, dtstart=first)
        if not isinstance(occurrences, rrule):
            raise ValueError("give one RRULE")
        horizon = rrules.horizon(first)
        starts = rrules.between(occurrences, first, horizon, limit=MAX_OCCURRENCES + 1)
    except (ValueError, TypeError, OverflowError) as exc:
        return error(
            "INVALID_RRULE", "繰り返しの指定が不正です。", f"Not a valid RRULE ({exc}).", "rrule"
        )
    if not starts:
        return error(
            "RRULE_NEVER_OCCURS",
            f"{rrules.HORIZON_YEARS}年以内に該当する日がありません。",
            f"The rule yields no dates within {rrules.HORIZON_YEARS} years.",
            "rrule",
        )
    # dateutil keeps COUNT and UNTIL private; only whether the series goes on matters here.
    count, until = occurrences._count, occurrences._until  # type: ignore[attr-defined]
    endless = count is None and (until is None or until >= horizon)
    if len(starts) > MAX_OCCURRENCES or endless or (count is not None and len(starts) < count):
        return error(
            "TOO_MANY_OCCURRENCES",
            f"繰り返しは{MAX_OCCURRENCES}回まで、{rrules.HORIZON_YEARS}年以内です"
            "（COUNTかUNTILを指定してください）。",
            f"At most {MAX_OCCURRENCES} occurrences within {rrules.HORIZON_YEARS} years: "
            "give COUNT or UNTIL.",
            "rrule",
        )
    return [(aware_utc(s), aware_utc(s) + length) for s in starts]


def do_create_recurring_reservation(
    principal: Principal,
    facility_id: object,
    starts_at: datetime,
    ends_at: datetime,
    rule: str,
    *,
    book_free_dates_only: bool = False,
    purpose_option_id: object | None = None,
    purpose: str | None = "",
    department_ids: frozenset[uuid.UUID] | None = None,
) -> Outcome:
    """Book every occurrence of ``rule``, all or nothing; with ``book_free_dates_only`` the
    dates that cannot be booked are skipped (and reported in ``problems``)."""
    assert principal.tenant_id is not None and principal.person_id is not None
    starts_at, ends_at = aware_utc(starts_at), aware_utc(ends_at)
    if ends_at <= starts_at:
        return Outcome(
            errors=[
                error(
                    "INVALID_PERIOD",
                    "終了は開始より後にしてください。",
                    "The end must be after the start.",
                    "end",
                )
            ]
        )
    periods = expand_rrule(rule, starts_at, ends_at)
    if isinstance(periods, FacilityError):
        return Outcome(errors=[periods])
    with transaction.atomic():
        facility = _facility_for_booking(principal, facility_id)
        if facility is None:
            return Outcome(errors=[NOT_FOUND])
        purpose_errors, option, text = _check_purpose(principal, purpose_option_id, purpose)
        if purpose_errors:
            return Outcome(errors=purpose_errors)
        problems: list[DateProblem] = []
        free: list[tuple[Any, Any]] = []
        for s, e in periods:
            errors = check_reservation(facility, principal, s, e, department_ids)
            in_the_way = [] if errors else clashes(facility, s, e, planned=free)
            if errors or in_the_way:
                problems.append(DateProblem(local(s).date(), s, e, errors, in_the_way))
            else:
                free.append((s, e))
        if (problems and not book_free_dates_only) or not free:
            return Outcome(problems=problems)
        series = uuid.uuid4()
        rows = [
            Reservation(
                tenant_id=principal.tenant_id,
                facility=facility,
                starts_at=s,
                ends_at=e,
                purpose_option=option,
                purpose_text=text,
                requester_id=principal.person_id,
                status=Status.PENDING if facility.needs_approval else Status.CONFIRMED,
                exclusive=facility.pool_size == 1,
                recurrence_id=series,
            )
            for s, e in free
        ]
        try:
            with transaction.atomic():
                for row in rows:
                    row.save(force_insert=True)
        except IntegrityError as exc:
            if not _is_exclusion_violation(exc):
                raise
            # Someone booked one of the dates meanwhile: report them all as they now are.
            lost = [
                DateProblem(local(s).date(), s, e, [], clashes(facility, s, e)) for s, e in free
            ]
            return Outcome(problems=problems + [p for p in lost if p.conflicts])
        for row in rows:
            _publish_on_commit(row)
        return Outcome(rows=rows, problems=problems)


# --- administration ----------------------------------------------------------------------


def _name_error(name: str, what: str) -> FacilityError | None:
    if not name.strip():
        return error("REQUIRED", f"{what}を入力してください。", "Give a name.", "name")
    if len(name.strip()) > 100:
        return error("TOO_LONG", "100文字以内にしてください。", "At most 100 characters.", "name")
    return None


@transaction.atomic
def do_save_facility_group(
    principal: Principal, group_id: object | None, name: str, sort_order: int
) -> Outcome:
    """Create (no ``group_id``) or rename/reorder a facility group (administrators)."""
    assert principal.is_tenant_admin and principal.tenant_id is not None
    group = None
    if group_id:
        group = access_facility_group_by_id(principal, group_id)
        if group is None:
            return Outcome(
                errors=[error("NOT_FOUND", "分類が見つかりません。", "No such group.", "id")]
            )
    bad = _name_error(name, "分類名")
    if bad:
        return Outcome(errors=[bad])
    name = name.strip()
    taken = FacilityGroup.objects.for_principal(principal).filter(name=name)
    if group is not None:
        taken = taken.exclude(id=group.id)
    if taken.exists():
        return Outcome(
            errors=[error("DUPLICATE", "同じ名前の分類があります。", "That name is taken.", "name")]
        )
    before = audit.snapshot(group, ("name", "sort_order")) if group else {}
    group = group or FacilityGroup(tenant_id=principal.tenant_id)
    group.name, group.sort_order = name, sort_order
    group.save()
    audit.record(
        "facility_group.saved",
        target=group,
        principal=principal,
        before=before or None,
        after=audit.snapshot(group, ("name", "sort_order")),
    )
    return Outcome(obj=group)


@transaction.atomic
def do_delete_facility_group(principal: Principal, group_id: object) -> Outcome:
    """Delete an empty facility group (administrators); one with facilities is refused."""
    assert principal.is_tenant_admin
    group = access_facility_group_by_id(principal, group_id)
    if group is None:
        return Outcome(
            errors=[error("NOT_FOUND", "分類が見つかりません。", "No such group.", "id")]
        )
    if Facility.objects.for_principal(principal).filter(group=group).exists():
        return Outcome(
            errors=[
                error(
                    "NOT_EMPTY",
                    "施設が登録されている分類は削除できません。",
                    "Move or remove its facilities first.",
                    "id",
                )
            ]
        )
    deleted_id = group.id
    audit.record(
        "facility_group.deleted",
        target=group,
        principal=principal,
        before=audit.snapshot(group, ("name", "sort_order")),
    )
    group.delete()
    return Outcome(obj=deleted_id)


# A facility's booking rules as the audit trail shows them, before → after.
FACILITY_AUDIT_FIELDS = (
    "group_id",
    "name",
    "capacity",
    "notes",
    "owning_department_id",
    "pool_size",
    "sort_order",
    "is_active",
    "open_time",
    "close_time",
    "bookable_weekdays",
    "max_days_ahead",
    "min_minutes",
    "max_minutes",
    "allowed_department_ids",
    "needs_approval",
)


@transaction.atomic
def do_save_facility(
    principal: Principal, facility_id: object | None, values: dict[str, Any]
) -> Outcome:
    """Create or change a facility and its booking rules (administrators).

    Changing ``pool_size`` between 1 and N re-marks the reservations still to come, which
    the exclusion constraint guards only while they are ``exclusive``.
    """
    assert principal.is_tenant_admin and principal.tenant_id is not None
    facility = None
    if facility_id:
        facility = access_facility_by_id(principal, facility_id, for_update=True)
        if facility is None:
            return Outcome(errors=[NOT_FOUND])
    group = access_facility_group_by_id(principal, values.get("group_id"))
    errors = []
    if group is None:
        errors.append(error("NOT_FOUND", "分類が見つかりません。", "No such group.", "groupId"))
    bad = _name_error(values.get("name") or "", "施設名")
    if bad:
        errors.append(bad)
    pool_size = values.get("pool_size")
    if pool_size is not None and pool_size < 1:
        errors.append(
            error("INVALID", "台数は1以上です。", "The pool size is at least 1.", "poolSize")
        )
    # The columns hold no negative number: refused here as input, not by the database.
    for name, field_name, least in (
        ("capacity", "capacity", 0),
        ("max_days_ahead", "maxDaysAhead", 0),
        ("min_minutes", "minMinutes", 1),
        ("max_minutes", "maxMinutes", 1),
    ):
        value = values.get(name)
        if value is not None and value < least:
            errors.append(
                error(
                    "INVALID",
                    f"{least}以上の数で入力してください。",
                    f"At least {least}.",
                    field_name,
                )
            )
    weekdays = values.get("bookable_weekdays") or []
    if any(d not in range(7) for d in weekdays):
        errors.append(
            error(
                "INVALID",
                "曜日は0（月）〜6（日）です。",
                "Weekdays are 0 (Mon) to 6 (Sun).",
                "bookableWeekdays",
            )
        )
    opens, closes = values.get("open_time"), values.get("close_time")
    if opens and closes and opens >= closes:
        errors.append(
            error(
                "INVALID",
                "開始時刻は終了時刻より前です。",
                "Opening is before closing.",
                "closeTime",
            )
        )
    lo, hi = values.get("min_minutes"), values.get("max_minutes")
    if lo and hi and lo > hi:
        errors.append(
            error("INVALID", "最短が最長を超えています。", "Minimum exceeds maximum.", "minMinutes")
        )
    departments = [as_uuid(d) for d in values.get("allowed_department_ids") or []]
    if any(d is None for d in departments):
        errors.append(
            error("INVALID", "所属IDが不正です。", "Not a department ID.", "allowedDepartmentIds")
        )
    owner = values.get("owning_department_id")
    if owner and as_uuid(owner) is None:
        errors.append(
            error("INVALID", "所属IDが不正です。", "Not a department ID.", "owningDepartmentId")
        )
    if errors:
        return Outcome(errors=errors)
    assert group is not None
    name = values["name"].strip()
    taken = Facility.objects.for_principal(principal).filter(group=group, name=name)
    if facility is not None:
        taken = taken.exclude(id=facility.id)
    if taken.exists():
        return Outcome(
            errors=[error("DUPLICATE", "同じ名前の施設があります。", "That name is taken.", "name")]
        )
    old_pool = facility.pool_size if facility else None
    before = audit.snapshot(facility, FACILITY_AUDIT_FIELDS) if facility else None
    facility = facility or Facility(tenant_id=principal.tenant_id)
    facility.group = group
    facility.name = name
    facility.capacity = values.get("capacity") or 0
    facility.notes = values.get("notes") or ""
    facility.owning_department_id = as_uuid(owner) if owner else None
    facility.pool_size = values.get("pool_size") or 1
    facility.sort_order = values.get("sort_order") or 0
    facility.is_active = values.get("is_active", True)
    facility.open_time, facility.close_time = opens, closes
    facility.bookable_weekdays = sorted(set(weekdays))
    facility.max_days_ahead = values.get("max_days_ahead")
    facility.min_minutes, facility.max_minutes = lo, hi
    facility.allowed_department_ids = [str(d) for d in departments]
    facility.needs_approval = bool(values.get("needs_approval"))
    if old_pool is not None and (old_pool == 1) != (facility.pool_size == 1):
        upcoming = Reservation.objects.filter(
            tenant_id=facility.tenant_id,
            facility_id=facility.id,
            status__in=Reservation.ACTIVE,
            ends_at__gt=timezone.now(),
        )
        if facility.pool_size == 1 and peak((r.starts_at, r.ends_at) for r in upcoming) > 1:
            return Outcome(
                errors=[
                    error(
                        "POOL_IN_USE",
                        "重なる予約があるため1台にできません。",
                        "Overlapping reservations still to come need more than one item.",
                        "poolSize",
                    )
                ]
            )
        upcoming.update(exclusive=facility.pool_size == 1)
    if old_pool is not None:
        facility.version += 1
    facility.save()
    if before is None:
        audit.record(
            "facility.created",
            target=facility,
            principal=principal,
            after=audit.snapshot(facility, FACILITY_AUDIT_FIELDS),
        )
    else:
        audit.record_change("facility.updated", facility, before, principal=principal)
    return Outcome(obj=facility)


@transaction.atomic
def do_save_purpose_option(
    principal: Principal, option_id: object | None, label: str, sort_order: int, is_active: bool
) -> Outcome:
    """Create or change an entry of the purpose list (administrators)."""
    assert principal.is_tenant_admin and principal.tenant_id is not None
    option = None
    if option_id:
        option = access_purpose_option_by_id(principal, option_id)
        if option is None:
            return Outcome(
                errors=[error("NOT_FOUND", "利用目的が見つかりません。", "No such purpose.", "id")]
            )
    bad = _name_error(label, "利用目的")
    if bad:
        return Outcome(errors=[FacilityError(bad.code, bad.message, "label")])
    label = label.strip()
    taken = PurposeOption.objects.for_principal(principal).filter(label=label)
    if option is not None:
        taken = taken.exclude(id=option.id)
    if taken.exists():
        return Outcome(
            errors=[error("DUPLICATE", "同じ利用目的があります。", "That purpose exists.", "label")]
        )
    option = option or PurposeOption(tenant_id=principal.tenant_id)
    option.label, option.sort_order, option.is_active = label, sort_order, is_active
    option.save()
    audit.record(
        "purpose_option.saved",
        target=option,
        principal=principal,
        after=audit.snapshot(option, ("label", "sort_order", "is_active")),
    )
    return Outcome(obj=option)


# --- events ------------------------------------------------------------------------------


def _publish_on_commit(row: Reservation) -> None:
    event = {
        "type": EVENT_TYPE,
        "group_id": str(row.facility.group_id),
        "facility_id": str(row.facility_id),
        "reservation_id": str(row.id),
        "version": row.version,
    }
    publish_on_commit(facilities_group(row.tenant_id), event)
    _publish_pending_on_commit(row)


def pending_change_kind(before: str | None, after: str) -> str | None:
    """What a change from status ``before`` (None: a new booking) to ``after`` means to
    those who decide: REQUESTED, MOVED, APPROVED, REJECTED, WITHDRAWN, or None (nothing)."""
    if after == Status.PENDING:
        return "MOVED" if before == Status.PENDING else "REQUESTED"
    if before != Status.PENDING:
        return None
    return {
        Status.CONFIRMED: "APPROVED",
        Status.REJECTED: "REJECTED",
        Status.CANCELLED: "WITHDRAWN",
    }.get(Status(after))


def _publish_pending_on_commit(row: Reservation) -> None:
    # Every writer ends in _publish_on_commit, so the kind is worked out here from the status
    # the row was read with, and no do_* function has to name it.
    kind = pending_change_kind(row.loaded_status, row.status)
    if kind is None:
        return
    event = {
        "type": PENDING_EVENT_TYPE,
        "kind": kind,
        "facility_id": str(row.facility_id),
        "reservation_id": str(row.id),
        "version": row.version,
    }
    publish_on_commit(pending_tenant_group(row.tenant_id), event)
    if row.facility.owning_department_id is not None:
        group = pending_department_group(row.tenant_id, row.facility.owning_department_id)
        publish_on_commit(group, event)
