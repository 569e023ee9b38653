"""GraphQL errors for auth failures (rule 5: business failures are data, these are not)."""

from __future__ import annotations

from graphql import GraphQLError

from subgraphs.core.principal import Principal


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
