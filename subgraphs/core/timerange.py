"""The dates and times a client may give: one range, checked in one place.

Python's ``date`` ends at year 9999 and starts at year 1, so a client's "9999-12-31" or
"0001-01-01" made calendar arithmetic (a time zone, a day more, a series expanded towards
it) fail deep inside with ``OverflowError`` or "date value out of range", or walk through
eight thousand years first. No municipal record needs anything outside 1900–2200, so every
``Date`` and ``DateTime`` a client sends is checked against that range when the subgraph
parses it: ``SCALAR_OVERRIDES`` replaces Strawberry's two scalars in each subgraph's
schema, so every argument and every input field of those types is covered, present and
future ones alike, before any resolver runs.

The error's code is ``INVALID_INPUT`` and its message names the allowed range. Code that
reads dates from elsewhere (an iCalendar file, an RRULE's UNTIL) uses ``in_range``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
INVALID_INPUT = "INVALID_INPUT"  # the code (written out below for the web contract test)
RANGE_TEXT = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"


class OutOfRange(StrawberryInputCoercionError):
    """A date or time outside EARLIEST..LATEST; a client error with code INVALID_INPUT."""

    def __init__(self, value: object) -> None:
        super().__init__(
            f"{value} is outside the dates this service accepts ({RANGE_TEXT}).",
            extensions={"code": "INVALID_INPUT"},
        )


def in_range(value: date | datetime) -> bool:
    """Whether the day of ``value`` (in its own offset, if any) is within the range.

    The range ends far from Python's limits, so any offset and a day either way stay
    representable once a value has passed.
    """
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def check(value: Any) -> Any:
    """``value`` if it is a date or datetime within the range (else OutOfRange)."""
    if isinstance(value, date) and not in_range(value):
        raise OutOfRange(value.isoformat())
    return value


def _checked(definition: ScalarDefinition) -> ScalarDefinition:
    parse = definition.parse_value
    assert parse is not None

    def parse_value(value: object) -> object:
        return check(parse(value))

    return ScalarDefinition(
        name=definition.name,
        description=definition.description,
        specified_by_url=definition.specified_by_url,
        serialize=definition.serialize,
        parse_value=parse_value,
        parse_literal=None,
        origin=definition.origin,
    )


# For ``strawberry.federation.Schema(..., scalar_overrides=SCALAR_OVERRIDES)``: same names
# and SDL as Strawberry's own, so the schema (and the supergraph) does not change.
SCALAR_OVERRIDES: dict[object, Any] = {
    date: _checked(DateDefinition),
    datetime: _checked(DateTimeDefinition),
}
