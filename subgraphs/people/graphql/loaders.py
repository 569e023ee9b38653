"""Per-operation DataLoaders of the people subgraph; each applies the tenant scope.

Build them through ``context.loader(make_...)`` so one operation shares them and no
operation sees another's cache.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from asgiref.sync import sync_to_async
from strawberry.dataloader import DataLoader

from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.principal import ROLE_STAFF, Principal
from subgraphs.people.models import (
    Group,
    GroupMembership,
    Organization,
    Person,
    PersonAdditionalDepartment,
    RoleAssignment,
    Tenant,
)

K = TypeVar("K")
V = TypeVar("V")


def _as_uuid(key: object) -> uuid.UUID | None:
    try:
        return key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
    except (ValueError, TypeError, AttributeError):
        return None


def _by_id_loader(
    context: YuiContext, fetch: Callable[[Principal, list[uuid.UUID]], Iterable[object]]
) -> DataLoader:
    principal = context.principal

    def batch(keys: Sequence[object]) -> list[object | None]:
        ids = [u for u in (_as_uuid(k) for k in keys) if u is not None]
        found = {row.id: row for row in fetch(principal, ids)} if ids else {}  # type: ignore[attr-defined]
        return [found.get(_as_uuid(k)) for k in keys]  # type: ignore[arg-type]

    return DataLoader(load_fn=sync_to_async(batch), cache_key_fn=str)


# Link tables carry tenant_id themselves, and the row at the far end of a link is scoped
# again: a link row that crossed tenants (which no API can create) still leaks nothing.
def _grouped_loader(
    context: YuiContext,
    fetch: Callable[[Principal, list[uuid.UUID]], Iterable[tuple[uuid.UUID, V]]],
) -> DataLoader:
    principal = context.principal

    def batch(keys: Sequence[uuid.UUID]) -> list[list[V]]:
        grouped: dict[uuid.UUID, list[V]] = defaultdict(list)
        for key, value in fetch(principal, list(keys)):
            grouped[key].append(value)
        return [grouped.get(k, []) for k in keys]

    return DataLoader(load_fn=sync_to_async(batch))


def make_person_by_id_loader(context: YuiContext) -> DataLoader:
    return _by_id_loader(context, lambda p, ids: Person.objects.for_principal(p).filter(id__in=ids))


def make_organization_by_id_loader(context: YuiContext) -> DataLoader:
    return _by_id_loader(
        context, lambda p, ids: Organization.objects.for_principal(p).filter(id__in=ids)
    )


def make_group_by_id_loader(context: YuiContext) -> DataLoader:
    return _by_id_loader(context, lambda p, ids: Group.objects.for_principal(p).filter(id__in=ids))


def make_tenant_by_id_loader(context: YuiContext) -> DataLoader:
    def fetch(p: Principal, ids: list[uuid.UUID]) -> Iterable[Tenant]:
        # A principal sees its own municipality only.
        return Tenant.objects.select_related("council").filter(
            id__in=[i for i in ids if i == p.tenant_id]
        )

    return _by_id_loader(context, fetch)


def make_additional_departments_by_person_loader(context: YuiContext) -> DataLoader:
    def fetch(p: Principal, ids: list[uuid.UUID]) -> Iterable[tuple[uuid.UUID, Organization]]:
        links = (
            PersonAdditionalDepartment.objects.for_principal(p)
            .filter(person_id__in=ids, organization__tenant_id=p.tenant_id)
            .select_related("organization")
            .order_by("sort_order", "organization__tree_rank")
        )
        return ((link.person_id, link.organization) for link in links)

    return _grouped_loader(context, fetch)


def make_children_by_organization_loader(context: YuiContext) -> DataLoader:
    def fetch(p: Principal, ids: list[uuid.UUID]) -> Iterable[tuple[uuid.UUID, Organization]]:
        children = Organization.objects.for_principal(p).filter(parent_id__in=ids)
        return ((child.parent_id, child) for child in children.order_by("tree_rank"))

    return _grouped_loader(context, fetch)


def make_members_by_organization_loader(context: YuiContext) -> DataLoader:
    def fetch(p: Principal, ids: list[uuid.UUID]) -> Iterable[tuple[uuid.UUID, Person]]:
        people = (
            Person.objects.for_principal(p)
            .filter(department_id__in=ids, is_active=True)
            .order_by("title_rank", "sort_order", "login_id")
        )
        return ((person.department_id, person) for person in people)

    return _grouped_loader(context, fetch)


def make_groups_by_person_loader(context: YuiContext) -> DataLoader:
    def fetch(p: Principal, ids: list[uuid.UUID]) -> Iterable[tuple[uuid.UUID, Group]]:
        links = (
            GroupMembership.objects.for_principal(p)
            .filter(person_id__in=ids, group__tenant_id=p.tenant_id)
            .select_related("group")
            .order_by("group__name")
        )
        return ((link.person_id, link.group) for link in links)

    return _grouped_loader(context, fetch)


def make_members_by_group_loader(context: YuiContext) -> DataLoader:
    def fetch(p: Principal, ids: list[uuid.UUID]) -> Iterable[tuple[uuid.UUID, Person]]:
        links = (
            GroupMembership.objects.for_principal(p)
            .filter(group_id__in=ids, person__tenant_id=p.tenant_id, person__is_active=True)
            .select_related("person", "person__department")
            .order_by("person__department__tree_rank", "person__title_rank", "person__sort_order")
        )
        return ((link.group_id, link.person) for link in links)

    return _grouped_loader(context, fetch)


def make_roles_by_person_loader(context: YuiContext) -> DataLoader:
    def fetch(p: Principal, ids: list[uuid.UUID]) -> Iterable[tuple[uuid.UUID, str]]:
        yield from ((i, ROLE_STAFF) for i in ids)
        assigned = RoleAssignment.objects.for_principal(p).filter(person_id__in=ids)
        yield from assigned.values_list("person_id", "role")

    return _grouped_loader(context, fetch)
