"""The time windows schedule queries accept: aware, ordered, and not too long."""

from __future__ import annotations

from datetime import datetime, timedelta

from graphql import GraphQLError

from subgraphs.facilities.actions import aware_utc

# A month view with its leading and trailing days; longer windows are paged by the client.
MAX_WINDOW = timedelta(days=62)


def check_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = aware_utc(start), aware_utc(end)
    if end <= start:
        raise GraphQLError("end must be after start.", extensions={"code": "BAD_USER_INPUT"})
    if end - start > MAX_WINDOW:
        raise GraphQLError(
            f"Ask for at most {MAX_WINDOW.days} days at once.",
            extensions={"code": "BAD_USER_INPUT"},
        )
    return start, end
