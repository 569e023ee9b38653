"""Database connections for work done outside Django's request cycle.

Django closes broken or old connections when a request starts and ends. The gateway's
authentication, the subgraphs it runs in-process and live subscriptions are no Django
requests: their ORM work runs on the one thread ``sync_to_async`` keeps for the process,
whose connection lives as long as the process. Without this, a database restart leaves
that connection broken for good ("the connection is closed" on every request).
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connections


def refresh_connections(*, health_check: bool = True) -> None:
    """Drop this thread's connections that are broken, before new work uses them.

    What ``close_old_connections`` does at a request's start, except closing a healthy
    connection for its age: this thread's connection is the process's one and reused
    (not a new thread's per request), so reconnecting for every operation would only
    cost. ``health_check`` makes the next query check the connection first
    (``CONN_HEALTH_CHECKS``), so the first request after a database restart already
    succeeds; without it only a connection that has failed is tested and replaced.
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block:
            continue  # nothing to check, or a transaction of this thread is running
        if health_check:
            # Django's own flag (stubs lack it): the next cursor runs is_usable() first.
            connection.health_check_done = False  # type: ignore[attr-defined]
        if connection.get_autocommit() != connection.settings_dict["AUTOCOMMIT"]:
            connection.close()
        elif connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()


async def arefresh_connections(*, health_check: bool = True) -> None:
    """``refresh_connections`` on the thread the ORM work of this context runs on."""
    await sync_to_async(refresh_connections)(health_check=health_check)


def database_is_up() -> bool:
    """Whether the default database answers (for /health), replacing a broken connection."""
    refresh_connections()
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True
