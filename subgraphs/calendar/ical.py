"""iCalendar (RFC 5545) export and parsing of a person's calendar.

Export: one VEVENT per event (RRULE, EXDATE for cancelled occurrences) and one more, with
RECURRENCE-ID, for each moved or edited occurrence; times carry TZID=Asia/Tokyo with its
VTIMEZONE, all-day entries VALUE=DATE. What a reader may see follows access.py: an event
shown only as busy is 予定あり without location or description.

Parsing (for import) turns each VEVENT into the input of ``actions.check_event_values``;
it never writes. Everything the file holds that we cannot represent is a problem reported
with the line it is on, so that an import is all-or-nothing.
"""

from __future__ import annotations

import hashlib
import html
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
import nh3
from django.db.models import Q

from subgraphs.calendar import access, recurrence
from subgraphs.calendar.models import (
    LOCATION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Event,
    EventAttendee,
    with_rows,
)
from subgraphs.core import timerange
from subgraphs.core.principal import Principal

PRODID = "-//Yui//Calendar//JA"
UID_DOMAIN = "yui.calendar"
MAX_IMPORT_CHARACTERS = 5_000_000
MAX_IMPORT_EVENTS = 5_000
# Checking a rule is bounded (subgraphs/core/rrules.py), and a file stops being checked
# after this many problems, so a file full of rules that never occur costs little.
MAX_IMPORT_PROBLEMS = 50
# RFC 5545 lets a timed VEVENT without DTEND or DURATION last no time at all; our events
# must end after they start, so such an entry (a reminder, mostly) gets this length.
DEFAULT_TIMED_LENGTH = timedelta(minutes=30)
VISIBILITY_OF_CLASS = {
    "PUBLIC": Event.Visibility.PUBLIC,
    "CONFIDENTIAL": Event.Visibility.BUSY,
    "PRIVATE": Event.Visibility.PRIVATE,
}
FIELD_PROPERTIES = {
    "title": "SUMMARY",
    "location": "LOCATION",
    "description": "DESCRIPTION",
    "rrule": "RRULE",
    "exdates": "EXDATE",
    "start": "DTSTART",
    "startDate": "DTSTART",
    "end": "DTEND",
    "endDate": "DTEND",
}
CLASS_OF_VISIBILITY = {v: k for k, v in VISIBILITY_OF_CLASS.items()}


def event_uid(event: Event) -> str:
    """The VEVENT UID of an event: stable, made from its ID."""
    return f"{event.id}@{UID_DOMAIN}"


def event_id_of_uid(uid: str) -> uuid.UUID | None:
    """The event ID an exported UID was made from, if it is one of ours."""
    local, _, domain = uid.partition("@")
    return access.as_uuid(local) if domain == UID_DOMAIN else None


# iCalendar text (SUMMARY, DESCRIPTION, LOCATION, CATEGORIES) is plain text, but calendar
# apps and web views show DESCRIPTION as HTML often enough that a "<img onerror=...>" the
# user typed as text (stored as "&lt;img ...&gt;") must not come out as a tag. So angle
# brackets in exported text become their full-width forms, which read the same in Japanese
# text and are markup to no one; no entity is left for a consumer to decode a second time.
_NO_MARKUP = str.maketrans({"<": "\uff1c", ">": "\uff1e"})


def ics_text(text: str) -> str:
    """Plain text as an iCalendar text value carries it: no markup (see _NO_MARKUP)."""
    return (text or "").translate(_NO_MARKUP)


def plain_text(description: str) -> str:
    """The text of a sanitised HTML description: line breaks kept, tags gone, entities
    decoded once (``&lt;b&gt;`` is the text "<b>")."""
    text = re.sub(r"<br\s*/?>|</p>|</li>", "\n", description or "", flags=re.IGNORECASE)
    text = html.unescape(nh3.clean(text, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_of_text(text: str) -> str:
    """Plain text as the HTML a description holds (escaped, line breaks as <br>)."""
    return "<br>".join(html.escape(line) for line in (text or "").strip().splitlines())


# --- export -----------------------------------------------------------------------------


def events_of_person(principal: Principal) -> list[Event]:
    """The principal's own calendar: events they organise or are invited to, not cancelled."""
    invited = EventAttendee.objects.for_principal(principal).filter(person_id=principal.person_id)
    return list(
        with_rows(Event.objects.for_principal(principal))
        .filter(Q(organizer_id=principal.person_id) | Q(id__in=invited.values("event_id")))
        .filter(cancelled=False)
        .order_by("range_start", "id")
    )


def export_person(principal: Principal) -> str:
    """The principal's calendar as .ics text."""
    return export_calendar(principal, events_of_person(principal))


def export_calendar(principal: Principal, events: Iterable[Event]) -> str:
    """A VCALENDAR of ``events`` as ``principal`` may see them."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for event in events:
        if event.cancelled or event.tenant_id != principal.tenant_id:
            continue
        for component in _components(principal, event):
            calendar.add_component(component)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()


def _moment(value: datetime, all_day: bool) -> datetime | date:
    local = value.astimezone(recurrence.TOKYO)
    return local.date() if all_day else local


def _components(principal: Principal, event: Event) -> list[icalendar.Event]:
    details = access.can_see_details(principal, event)
    first = recurrence.first_start(event)
    master = _vevent(principal, event, details)
    master.add("dtstart", _moment(first, event.all_day))
    master.add("dtend", _moment(first + recurrence.duration(event), event.all_day))
    found = [master]
    if not event.rrule:
        return found
    master.add("rrule", icalendar.vRecur.from_ical(_rrule_text(event)))
    excluded = recurrence.exdate_set(event)
    for override in event.override_rows():
        if override.cancelled:
            excluded.add(recurrence.as_utc(override.recurrence_id))
            continue
        moved = recurrence.changed_occurrence(event, override)
        if moved is None:
            continue
        assert moved.recurrence_id is not None
        component = _vevent(principal, event, details, moved.title, moved.location)
        component.add("recurrence-id", _moment(moved.recurrence_id, event.all_day))
        component.add("dtstart", _moment(moved.start, event.all_day))
        component.add("dtend", _moment(moved.end, event.all_day))
        found.append(component)
    if excluded:
        master.add("exdate", [_moment(d, event.all_day) for d in sorted(excluded)])
    return found


def _rrule_text(event: Event) -> str:
    """The stored rule; for an all-day series UNTIL becomes a DATE, as RFC 5545 requires."""
    parts = dict(item.split("=", 1) for item in event.rrule.split(";"))
    if event.all_day and "UNTIL" in parts:
        until = datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        parts["UNTIL"] = until.astimezone(recurrence.TOKYO).strftime("%Y%m%d")
    return ";".join(f"{k}={v}" for k, v in parts.items())


def _vevent(
    principal: Principal,
    event: Event,
    details: bool,
    title: str | None = None,
    location: str | None = None,
) -> icalendar.Event:
    component = icalendar.Event()
    component.add("uid", event_uid(event))
    # The time of the last change, not of this export: a feed fetched twice is the same.
    component.add("dtstamp", event.updated_at.astimezone(UTC))
    component.add("last-modified", event.updated_at.astimezone(UTC))
    if not details:
        component.add("summary", access.BUSY_TITLE)
        component.add("class", "CONFIDENTIAL")
        return component
    component.add("summary", ics_text(title if title is not None else event.title))
    where = location if location is not None else event.location
    if where:
        component.add("location", ics_text(where))
    text = plain_text(event.description)
    if text:
        component.add("description", ics_text(text))
    if event.category:
        component.add("categories", [ics_text(event.category)])
    component.add("class", CLASS_OF_VISIBILITY[Event.Visibility(event.visibility)])
    return component


# --- parsing for import -------------------------------------------------------------------


@dataclass(frozen=True)
class IcsProblem:
    """Why a file cannot be imported: ``line`` (1-based) and ``uid`` where known."""

    code: str
    message: str
    line: int | None = None
    uid: str | None = None


@dataclass
class ParsedOverride:
    recurrence_id: datetime
    cancelled: bool
    starts_at: datetime | None
    ends_at: datetime | None
    title: str | None
    location: str | None


@dataclass
class ParsedEvent:
    uid: str
    line: int | None
    data: dict[str, Any]
    span: tuple[int, int] = (1, 1)
    overrides: list[ParsedOverride] = field(default_factory=list)

    def line_of_field(self, text: str, name: str | None) -> int | None:
        """The line of the property behind an input field of ``check_event_values``."""
        prop = FIELD_PROPERTIES.get(name or "")
        return _property_line(text, prop, self.span) if prop else self.line


def _line_of(text: str, needle: str) -> int | None:
    if not needle:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def _vevent_spans(text: str) -> list[tuple[int, int]]:
    """(BEGIN, END) line numbers of each VEVENT, in the order the parser walks them."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().upper() == "BEGIN:VEVENT":
            begin = number
        elif line.strip().upper() == "END:VEVENT" and begin:
            spans.append((begin, number))
            begin = 0
    return spans


def _as_utc_moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return recurrence.as_utc(value)
    return recurrence.local_midnight(value)


def _times(component: icalendar.Component) -> tuple[date | datetime, date | datetime]:
    """DTSTART and DTEND (from DURATION, or the RFC 5545 default when neither is given),
    both within the dates we accept (else _Unsupported with INVALID_INPUT)."""
    start = _checked("DTSTART", component.decoded("DTSTART"))
    try:
        if "DTEND" in component:
            end = component.decoded("DTEND")
        elif "DURATION" in component:
            end = start + component.decoded("DURATION")
        elif isinstance(start, datetime):
            end = start + DEFAULT_TIMED_LENGTH
        else:
            end = start + timedelta(days=1)
    except OverflowError:
        end = date.max
    return start, _checked("DTEND" if "DTEND" in component else "DURATION", end)


def _checked(name: str, value: Any) -> Any:
    if isinstance(value, date) and not timerange.in_range(value):
        raise _Unsupported(
            name, f"{name} must lie within {timerange.RANGE_TEXT}.", timerange.INVALID_INPUT
        )
    return value


def _text(component: icalendar.Component, name: str) -> str:
    value = component.get(name)
    return str(value) if value is not None else ""


def _exdates(component: icalendar.Component) -> list[datetime]:
    raw = component.get("EXDATE")
    if raw is None:
        return []
    lists = raw if isinstance(raw, list) else [raw]
    return [_as_utc_moment(_checked("EXDATE", d.dt)) for values in lists for d in values.dts]


def parse_ics(text: str) -> tuple[list[ParsedEvent], list[IcsProblem]]:
    """The VEVENTs of ``text`` as event values, or the problems that prevent importing."""
    if len(text) > MAX_IMPORT_CHARACTERS:
        return [], [IcsProblem("TOO_LARGE", "The file is too large to import.")]
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as exc:
        quoted = re.search(r"'(.*?)'", str(exc))
        at = _line_of(text, quoted.group(1)) if quoted else None
        return [], [IcsProblem("UNPARSABLE", f"Not an iCalendar file: {exc}", at)]
    problems: list[IcsProblem] = []
    masters: dict[str, ParsedEvent] = {}
    overrides: list[tuple[str, icalendar.Component]] = []
    components = [c for cal in calendars for c in cal.walk("VEVENT")]
    if not calendars or any(cal.name != "VCALENDAR" for cal in calendars):
        return [], [IcsProblem("UNPARSABLE", "The file holds no VCALENDAR.", 1)]
    if len(components) > MAX_IMPORT_EVENTS:
        return [], [IcsProblem("TOO_LARGE", f"Import at most {MAX_IMPORT_EVENTS} events.")]
    spans = _vevent_spans(text)
    for index, component in enumerate(components):
        if len(problems) >= MAX_IMPORT_PROBLEMS:
            problems.append(
                IcsProblem("TOO_MANY_PROBLEMS", "Stopped checking: fix these problems first.")
            )
            return [], problems
        uid = _text(component, "UID") or _fallback_uid(component)
        span = spans[index] if len(spans) == len(components) else (1, len(text.splitlines()))
        line: int | None = span[0]
        for name, message in component.errors:
            if name:
                where = _property_line(text, name, span)
            else:
                quoted = re.search(r"'(.*?)'", message)
                where = _line_of(text, quoted.group(1)) if quoted else None
            problems.append(IcsProblem("UNPARSABLE", f"{name or 'Line'}: {message}", where, uid))
        if component.errors:
            continue
        if "DTSTART" not in component:
            problems.append(IcsProblem("REQUIRED", "A VEVENT has no DTSTART.", line, uid))
            continue
        if "RECURRENCE-ID" in component:
            overrides.append((uid, component))
            continue
        if uid in masters or _text(component, "STATUS").upper() == "CANCELLED":
            continue  # a cancelled entry is not imported; a repeated UID only once
        try:
            masters[uid] = _parse_master(uid, line, span, component)
        except _Unsupported as exc:
            problems.append(
                IcsProblem(exc.code, str(exc), _property_line(text, exc.name, span), uid)
            )
    for uid, component in overrides:
        master = masters.get(uid)
        if master is None:
            continue  # a changed occurrence of a series that is not (or no longer) in the file
        try:
            master.overrides.append(_parse_override(component, master))
        except _Unsupported as exc:
            problems.append(IcsProblem(exc.code, str(exc), master.line, uid))
    return list(masters.values()), problems


def _property_line(text: str, name: str, span: tuple[int, int]) -> int | None:
    """The line of property ``name`` within the VEVENT at ``span`` (or the VEVENT's)."""
    lines = text.splitlines()
    for number in range(span[0], min(span[1], len(lines)) + 1):
        line = lines[number - 1]
        if re.match(rf"{re.escape(name)}[;:]", line, flags=re.IGNORECASE):
            return number
    return span[0]


def _fallback_uid(component: icalendar.Component) -> str:
    # RFC 5545 requires a UID; without one, the same content is the same event.
    return "sha256-" + hashlib.sha256(component.to_ical()).hexdigest()


class _Unsupported(ValueError):
    def __init__(self, name: str, message: str, code: str = "UNSUPPORTED") -> None:
        super().__init__(message)
        self.name = name
        self.code = code


def _parse_master(
    uid: str, line: int | None, span: tuple[int, int], component: icalendar.Component
) -> ParsedEvent:
    for name in ("RDATE", "EXRULE"):
        if name in component:
            raise _Unsupported(name, f"{name} is not supported; use RRULE and EXDATE.")
    rules = component.get("RRULE")
    if isinstance(rules, list):
        raise _Unsupported("RRULE", "Only one RRULE per event is supported.")
    start, end = _times(component)
    all_day = not isinstance(start, datetime)
    data: dict[str, Any] = {
        "title": _text(component, "SUMMARY")[:TITLE_MAX_LENGTH] or "（件名なし）",
        "location": _text(component, "LOCATION")[:LOCATION_MAX_LENGTH],
        "description": html_of_text(_text(component, "DESCRIPTION")),
        "visibility": VISIBILITY_OF_CLASS.get(
            _text(component, "CLASS").upper(), Event.Visibility.PUBLIC
        ),
        "all_day": all_day,
        "rrule": rules.to_ical().decode() if rules is not None else "",
        "exdates": _exdates(component),
    }
    if all_day:
        end_day = end.date() if isinstance(end, datetime) else end
        data.update(start_date=start, end_date=end_day)
    else:
        data.update(starts_at=start, ends_at=end)
    if data["rrule"]:
        # Checked here, bounded, so that a file of rules that never occur (30 February)
        # stops at MAX_IMPORT_PROBLEMS; the import checks every value again.
        first = _as_utc_moment(start)
        try:
            recurrence.normalise_rrule(data["rrule"], first)
        except recurrence.InvalidRule as exc:
            raise _Unsupported("RRULE", str(exc), exc.code) from exc
    return ParsedEvent(uid=uid, line=line, data=data, span=span)


def _parse_override(component: icalendar.Component, master: ParsedEvent) -> ParsedOverride:
    start, end = _times(component)
    title = _text(component, "SUMMARY")
    location = _text(component, "LOCATION")
    return ParsedOverride(
        recurrence_id=_as_utc_moment(_checked("RECURRENCE-ID", component.decoded("RECURRENCE-ID"))),
        cancelled=_text(component, "STATUS").upper() == "CANCELLED",
        starts_at=_as_utc_moment(start),
        ends_at=_as_utc_moment(end),
        title=title[:TITLE_MAX_LENGTH] if title and title != master.data["title"] else None,
        location=location[:LOCATION_MAX_LENGTH] if location != master.data["location"] else None,
    )
