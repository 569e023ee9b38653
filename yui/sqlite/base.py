"""Django's SQLite backend, with the values of UUID and datetime columns made cheaper.

SQLite stores a ``UUIDField`` as 32 hex digits, so every row Django reads builds a
``uuid.UUID`` per such column; a department week reads about 1,600 rows in which the same
few hundred IDs (people, events) recur. ``uuid.UUID`` is immutable, so one object per
distinct text is handed to every row that has it, from a cache bounded to ``LIMIT``
entries (emptied when full: at most a few MB). Datetimes arrive parsed and naive (Django
registers a converter for "datetime" columns with the sqlite3 module); they are made aware
as Django's ``make_aware`` does, without its checks. Both showed in a py-spy profile of
``benchmarks.calendar_week``; together they took about a tenth of the calendar loader's
CPU time.

Everything else (vendor ``sqlite``, SQL, transactions) is Django's backend unchanged.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.backends.sqlite3 import base, operations

LIMIT = 50_000

_uuids: dict[str, uuid.UUID] = {}


def _uuid(text: str) -> uuid.UUID:
    found = _uuids.get(text)
    if found is None:
        found = uuid.UUID(text)  # a malformed value raises as Django's converter does
        if len(_uuids) >= LIMIT:
            _uuids.clear()
        _uuids[text] = found
    return found


class DatabaseOperations(operations.DatabaseOperations):
    def convert_uuidfield_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else _uuid(value)

    def convert_datetimefield_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if (
            settings.USE_TZ
            and isinstance(value, datetime)
            and value.tzinfo is None  # naive, as the sqlite3 module's converter leaves it
        ):
            return value.replace(tzinfo=self.connection.timezone)
        return super().convert_datetimefield_value(value, expression, connection)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
