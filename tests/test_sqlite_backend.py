"""Yui's SQLite backend (yui/sqlite): the values it hands out are Django's, made cheaper."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from subgraphs.people.models import Person
from yui import config
from yui.sqlite import base

# Django's own operations, reached through Yui's backend: importing Django's sqlite3
# operations module before its backend module is a circular import (the PostgreSQL pass
# has not loaded the sqlite3 backend yet).
DjangoOperations = base.operations.DatabaseOperations


@pytest.fixture
def sqlite_connection(tmp_path):
    """A connection of Yui's SQLite backend as the settings make it, on either test pass."""
    handler = ConnectionHandler(
        {"default": config.database_from_url(f"sqlite:///{tmp_path / 'backend.sqlite3'}")}
    )
    made = handler["default"]
    yield made
    made.close()


def test_the_embedded_database_uses_yui_backend(sqlite_connection):
    assert isinstance(sqlite_connection, base.DatabaseWrapper)
    assert isinstance(sqlite_connection.ops, base.DatabaseOperations)
    assert sqlite_connection.vendor == "sqlite"


def test_uuids_are_djangos_values_and_one_object_per_text(sqlite_connection):
    ops, django = sqlite_connection.ops, DjangoOperations(sqlite_connection)
    text = uuid.uuid4().hex
    first = ops.convert_uuidfield_value(text, None, sqlite_connection)
    assert first == django.convert_uuidfield_value(text, None, sqlite_connection)
    assert isinstance(first, uuid.UUID)
    assert ops.convert_uuidfield_value(text, None, sqlite_connection) is first
    assert ops.convert_uuidfield_value(None, None, sqlite_connection) is None
    with pytest.raises(ValueError, match="badly formed"):
        ops.convert_uuidfield_value("not-a-uuid", None, sqlite_connection)


def test_the_uuid_cache_is_bounded(monkeypatch, sqlite_connection):
    monkeypatch.setattr(base, "LIMIT", 3)
    monkeypatch.setattr(base, "_uuids", {})
    texts = [uuid.uuid4().hex for _ in range(7)]
    for text in texts:
        assert sqlite_connection.ops.convert_uuidfield_value(text, None, None) == uuid.UUID(text)
        assert len(base._uuids) <= 3
    assert texts[-1] in base._uuids


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 7, 0, 30),  # naive, as sqlite3's converter hands it over
        datetime(2026, 12, 7, 9, 0, tzinfo=timezone(timedelta(hours=9))),
        "2026-12-07 00:30:00",  # text, from an expression without a declared type
        None,
    ],
)
def test_datetimes_are_djangos_values(sqlite_connection, value):
    ops, django = sqlite_connection.ops, DjangoOperations(sqlite_connection)
    ours = ops.convert_datetimefield_value(value, None, sqlite_connection)
    theirs = django.convert_datetimefield_value(value, None, sqlite_connection)
    if value is None:
        assert ours is None and theirs is None
        return
    assert (ours, ours.tzinfo) == (theirs, theirs.tzinfo)
    if not isinstance(value, datetime) or value.tzinfo is None:
        assert ours == datetime(2026, 12, 7, 0, 30, tzinfo=UTC)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the PostgreSQL pass reads no text")
def test_rows_read_through_the_orm_share_their_ids(okawa):
    person = okawa.people["kakari"]
    again, other = Person.objects.get(pk=person.pk), Person.objects.get(pk=person.pk)
    assert again.pk == person.pk and again.department_id == person.department_id
    assert again.pk is other.pk and again.department_id is other.department_id
    assert again.created_at == person.created_at and again.created_at.utcoffset() == timedelta(0)
