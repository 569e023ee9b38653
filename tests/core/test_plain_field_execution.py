"""PlainFieldExecutionContext answers exactly what graphql-core's ordinary execution does:
the same data and the same errors, for well-formed values and for values the schema refuses
(a null in a non-null field, a number that is not an Int, an unknown enum value)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest
import strawberry
from graphql.execution.executor import Executor

from subgraphs.core.graphql.execution import PlainFieldExecutionContext, plain_attribute


@strawberry.enum
class Kind(Enum):
    MEETING = "MEETING"
    TRIP = "TRIP"


@strawberry.type
class Entry:
    title: str
    count: int | None
    kind: Kind
    start: datetime

    @strawberry.field
    def shout(self) -> str:
        return self.title.upper()


def _entries() -> list[Any]:
    good = Entry(
        title="課内会議", count=3, kind=Kind.MEETING, start=datetime(2026, 4, 1, tzinfo=UTC)
    )
    no_title = Entry(title=None, count=None, kind=Kind.TRIP, start=good.start)  # type: ignore[arg-type]
    bad_count = Entry(title="出張", count="many", kind=Kind.TRIP, start=good.start)  # type: ignore[arg-type]
    bad_kind = Entry(title="私用", count=1, kind="HOLIDAY", start=good.start)  # type: ignore[arg-type]
    return [good, no_title, bad_count, bad_kind]


@strawberry.type
class Query:
    @strawberry.field
    def entries(self) -> list[Entry | None]:
        return _entries()


QUERY = "{ entries { title count kind start shout } }"


def _run(execution_context_class: Any) -> tuple[Any, list[tuple[str, Any]]]:
    schema = strawberry.Schema(query=Query, execution_context_class=execution_context_class)
    result = schema.execute_sync(QUERY)
    errors = sorted((e.message, e.path) for e in result.errors or [])
    return result.data, errors


def test_same_answer_as_ordinary_execution() -> None:
    ordinary = _run(None)
    plain = _run(PlainFieldExecutionContext)
    assert plain == ordinary
    data, errors = plain
    start = "2026-04-01T00:00:00+00:00"
    assert data["entries"] == [
        {"title": "課内会議", "count": 3, "kind": "MEETING", "start": start, "shout": "課内会議"},
        None,  # a null title: the non-null field nulls its entry
        {"title": "出張", "count": None, "kind": "TRIP", "start": start, "shout": "出張"},
        None,  # an unknown enum value in a non-null field
    ]
    assert errors == [
        ("Cannot return null for non-nullable field Entry.title.", ["entries", 1, "title"]),
        ("Enum 'Kind' cannot represent value: 'HOLIDAY'", ["entries", 3, "kind"]),
        ("Int cannot represent non-integer value: 'many'", ["entries", 2, "count"]),
    ]


def test_only_plain_scalar_attributes_take_the_short_way() -> None:
    schema = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecutionContext)
    entry = schema._schema.type_map["Entry"]
    planned = {name for name, field in entry.fields.items() if plain_attribute(field) is not None}
    assert planned == {"title", "count", "kind", "start"}  # not `shout`, a resolver
    query = schema._schema.type_map["Query"]
    assert plain_attribute(query.fields["entries"]) is None  # a resolver returning objects


ALL_PLAIN = [
    "{ entries { title count kind start } }",
    "{ entries { __typename t: title start kind count } }",
    "{ entries { title title count kind @include(if: true) } }",
    "{ entries { ... on Entry { title count } kind } }",
    "{ entries { title count kind start shout } }",  # one resolver: every object the old way
]


def _run_query(execution_context_class: Any, query: str) -> tuple[Any, list[tuple[str, Any]]]:
    schema = strawberry.Schema(query=Query, execution_context_class=execution_context_class)
    result = schema.execute_sync(query)
    return result.data, sorted((e.message, e.path) for e in result.errors or [])


@pytest.mark.parametrize("query", ALL_PLAIN)
def test_objects_of_plain_fields_answer_as_ordinary_execution(query: str) -> None:
    plain = _run_query(PlainFieldExecutionContext, query)
    assert plain == _run_query(None, query)
    assert plain[0]["entries"][0] is not None and plain[0]["entries"][1] is None


def test_an_object_of_plain_fields_skips_the_per_field_steps(monkeypatch) -> None:
    ordinary: list[str] = []
    original = Executor.execute_fields

    def counted(self: Any, parent_type: Any, *args: Any) -> Any:
        ordinary.append(parent_type.name)
        return original(self, parent_type, *args)

    monkeypatch.setattr(Executor, "execute_fields", counted)
    data, errors = _run_query(PlainFieldExecutionContext, "{ entries { title count kind } }")
    assert data["entries"][0] == {"title": "課内会議", "count": 3, "kind": "MEETING"}
    assert len(errors) == 3
    # The query, and the three entries whose values are wrong (so their errors are
    # graphql-core's own); the well-formed entry never reaches the ordinary way.
    assert sorted(ordinary) == ["Entry", "Entry", "Entry", "Query"]


@strawberry.enum
class Shared(Enum):
    """Two names for one value: Strawberry serialises a member by the first name whose
    value equals the member's."""

    FIRST = "same"
    OTHER = "other"


@strawberry.type
class Tagged:
    kind: Kind
    shared: Shared
    maybe: Kind | None


@strawberry.type
class TagQuery:
    @strawberry.field
    def tags(self) -> list[Tagged]:
        return [
            Tagged(kind=Kind.MEETING, shared=Shared.FIRST, maybe=None),
            Tagged(kind=Kind.TRIP, shared=Shared.OTHER, maybe=Kind.TRIP),
            Tagged(kind="MEETING", shared=Shared.OTHER, maybe="HOLIDAY"),  # type: ignore[arg-type]
        ]


def test_enum_members_are_named_without_strawberrys_loop(monkeypatch) -> None:
    from strawberry.schema.schema_converter import CustomGraphQLEnumType

    def ask(execution_context_class: Any) -> Any:
        schema = strawberry.Schema(query=TagQuery, execution_context_class=execution_context_class)
        result = schema.execute_sync("{ tags { kind shared maybe } }")
        return result.data, sorted((e.message, e.path) for e in result.errors or [])

    expected = ask(None)
    assert expected[1]  # the unknown value is an error
    calls: list[Any] = []
    original = CustomGraphQLEnumType.coerce_output_value

    def counted(self: Any, value: Any) -> Any:
        calls.append(value)
        return original(self, value)

    monkeypatch.setattr(CustomGraphQLEnumType, "coerce_output_value", counted)
    assert ask(PlainFieldExecutionContext) == expected
    # Only the values that are not members of the enum went Strawberry's way (the raw
    # "MEETING" and "HOLIDAY", the latter once more the ordinary way to report it).
    assert Kind.MEETING not in calls and Shared.OTHER not in calls
    assert "MEETING" in calls and "HOLIDAY" in calls


@strawberry.type
class Event:
    number: int
    entry: Entry


@strawberry.type
class EventQuery:
    ready: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def events(self) -> AsyncGenerator[Event, None]:
        for number in range(40):
            yield Event(number=number, entry=_entries()[0])


async def test_a_subscriptions_events_collect_each_selection_once() -> None:
    """graphql-core remembered an object's subfields by the identity of the list holding its
    field nodes, new for every event of a subscription, in a dictionary its events share:
    each event collected them again and left its entries behind (about 3 KiB per event and
    subscriber of presence, so 3 MiB per change with 1,000 subscribers, for good)."""
    collected: list[Any] = []
    original = Executor.collect_subfields

    def counting(self: Any, return_type: Any, field_details_list: Any) -> Any:
        collected.append(self)
        return original(self, return_type, field_details_list)

    schema = strawberry.Schema(
        query=EventQuery,
        subscription=Subscription,
        execution_context_class=PlainFieldExecutionContext,
    )
    Executor.collect_subfields = counting  # type: ignore[method-assign]
    try:
        stream = await schema.subscribe("subscription { events { number entry { title kind } } }")
        numbers = [result.data["events"]["number"] async for result in stream]
    finally:
        Executor.collect_subfields = original  # type: ignore[method-assign]
    assert numbers == list(range(40))
    # `events` and `entry`: once each, not once per event.
    assert len(collected) == 2
    executor = collected[-1]
    assert len(executor._relevant_sub_fields) == 2
    assert len(executor._subfields) == 2
    # Nor do the plans of the objects' fields pile up: one each for `events` and `entry`
    # (the root object is never planned).
    assert len(executor._object_plans) == 2
