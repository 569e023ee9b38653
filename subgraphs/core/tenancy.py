"""The one tenant-scoping mechanism (DESIGN rule 2).

Every tenant-owned model uses ``TenantQuerySet`` as its manager; every read for a
principal goes through ``for_principal``; every GraphQL type of such a model inherits
``TenantScopedType`` so strawberry-django applies the same filter to nested relations.
"""

from __future__ import annotations

from typing import Any, Self

from django.db import models

from subgraphs.core.principal import Principal


class TenantQuerySet(models.QuerySet):
    def for_principal(self, principal: Principal) -> Self:
        """Rows of the principal's tenant; nothing at all for the anonymous principal."""
        if not principal.is_authenticated:
            return self.none()
        return self.filter(tenant_id=principal.tenant_id)


class TenantScopedType:
    """Mixin for strawberry-django types: scope any queryset it builds to the principal."""

    @classmethod
    def get_queryset(cls, queryset: models.QuerySet, info: Any, **kwargs: Any) -> Any:
        from subgraphs.core.graphql.context import principal_of

        return queryset.for_principal(principal_of(info))  # type: ignore[attr-defined]
