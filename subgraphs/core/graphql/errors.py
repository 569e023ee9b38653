"""GraphQL errors for auth failures (rule 5: business failures are data, these are not),
and what every subgraph does with an error it did not raise on purpose."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable

from django.db import InterfaceError, OperationalError
from graphql import GraphQLError

from subgraphs.core.principal import Principal

logger = logging.getLogger(__name__)

INTERNAL = "INTERNAL"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
BAD_USER_INPUT = "BAD_USER_INPUT"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class NotAuthenticated(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Sign in first.", extensions={"code": "UNAUTHENTICATED"})


class Forbidden(GraphQLError):
    def __init__(self, message: str = "You are not allowed to do this.") -> None:
        super().__init__(message, extensions={"code": "FORBIDDEN"})


def require_authenticated(principal: Principal) -> Principal:
    if not principal.is_authenticated:
        raise NotAuthenticated()
    return principal


def require_tenant_admin(principal: Principal) -> Principal:
    require_authenticated(principal)
    if not principal.is_tenant_admin:
        raise Forbidden("Only a tenant administrator may do this.")
    return principal


# --- errors nobody raised on purpose ----------------------------------------------------------


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean a backing service (the database, Redis) is down, not a bug."""
    errors: list[type[BaseException]] = [OperationalError, InterfaceError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis is installed with channels_redis
        pass
    else:
        errors += [RedisConnectionError, RedisTimeoutError]
    return tuple(errors)


UNAVAILABLE_ERRORS = _unavailable_errors()


def new_reference() -> str:
    """A short random reference a person can read out to the help desk."""
    return secrets.token_hex(4).upper()


def unexpected_error_payload(exc: BaseException) -> tuple[str, dict[str, str]]:
    """Message and extensions for ``exc``, logged with its traceback under a new reference.

    The client learns only the reference: an exception's own text may carry SQL, internal
    host names and ports, or another tenant's data.
    """
    reference = new_reference()
    if isinstance(exc, UNAVAILABLE_ERRORS):
        logger.warning(
            "Service unavailable (reference %s): %s",
            reference,
            type(exc).__name__,
            exc_info=exc,
        )
        message = (
            f"A service Yui needs is not available; try again shortly (reference {reference})."
        )
        return message, {"code": SERVICE_UNAVAILABLE, "reference": reference}
    logger.error("Internal error (reference %s)", reference, exc_info=exc)
    return f"Internal error (reference {reference})", {"code": INTERNAL, "reference": reference}


def _document_error_code(error: GraphQLError) -> str:
    """The code of an error graphql-core found in the client's document or variables."""
    if error.message.startswith("Syntax Error"):
        return GRAPHQL_PARSE_FAILED
    if error.message.startswith("Variable '$") or error.path is not None:
        # Variables that do not fit their types; arguments coerced during execution.
        return BAD_USER_INPUT
    return GRAPHQL_VALIDATION_FAILED


def give_codes(errors: Iterable[GraphQLError]) -> None:
    """Give every error a client will see an ``extensions.code``, in place.

    - an error raised on purpose with a code keeps it;
    - graphql-core's own errors about the document or the variables (no exception behind
      them, or a GraphQLError raised without a code) keep their message and get
      GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED or BAD_USER_INPUT;
    - any other exception becomes INTERNAL (or SERVICE_UNAVAILABLE when the database or
      Redis is down) with a reference the server log carries with the traceback.
    """
    for error in errors:
        if (error.extensions or {}).get("code"):
            continue
        original = error.original_error
        if original is None or isinstance(original, GraphQLError) or _is_input_error(error):
            error.extensions = {**(error.extensions or {}), "code": _document_error_code(error)}
            continue
        error.message, error.extensions = unexpected_error_payload(original)


def _is_input_error(error: GraphQLError) -> bool:
    """graphql-core wraps a scalar's ValueError about a client's value in its own message."""
    return error.path is None and error.message.startswith(
        ("Variable '$", "Expected value of type", "Argument '")
    )
