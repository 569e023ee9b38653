"""The audited ways to fetch facilities rows for a principal (one per aggregate).

Each returns None when the row does not exist, belongs to another tenant or the ID is not a
UUID, so callers cannot probe other municipalities' IDs. Also who may see and change what.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from subgraphs.core.principal import ROLE_FACILITY_ADMIN, Principal
from subgraphs.facilities.directory import department_ids_of
from subgraphs.facilities.models import Facility, FacilityGroup, PurposeOption, Reservation


def as_uuid(value: object) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def access_facility_group_by_id(principal: Principal, group_id: object) -> FacilityGroup | None:
    pk = as_uuid(group_id)
    if pk is None:
        return None
    return FacilityGroup.objects.for_principal(principal).filter(id=pk).first()


def access_facility_by_id(
    principal: Principal, facility_id: object, *, for_update: bool = False
) -> Facility | None:
    """The facility; ``for_update`` locks its row until the transaction ends (pools)."""
    pk = as_uuid(facility_id)
    if pk is None:
        return None
    rows = Facility.objects.for_principal(principal).filter(id=pk)
    if for_update:
        rows = rows.select_for_update()
    return rows.first()


def access_purpose_option_by_id(principal: Principal, option_id: object) -> PurposeOption | None:
    pk = as_uuid(option_id)
    if pk is None:
        return None
    return PurposeOption.objects.for_principal(principal).filter(id=pk).first()


def access_reservation_by_id(
    principal: Principal, reservation_id: object, *, for_update: bool = False
) -> Reservation | None:
    pk = as_uuid(reservation_id)
    if pk is None:
        return None
    rows = Reservation.objects.for_principal(principal).filter(id=pk).select_related("facility")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    return rows.first()


def may_see_purpose(
    principal: Principal, reservation: Reservation, *, may_decide_it: bool = False
) -> bool:
    """The purpose (e.g. 人事面談) is for the requester and the administrators only: tenant
    administrators, and whoever may decide the booking (``may_decide_it``, which the caller
    works out with ``may_decide``: departments live in people, asked once per operation).
    """
    return (
        principal.is_tenant_admin
        or reservation.requester_id == principal.person_id
        or may_decide_it
    )


def may_change(principal: Principal, reservation: Reservation) -> bool:
    """Move or cancel: the requester, or a tenant administrator."""
    return principal.is_tenant_admin or reservation.requester_id == principal.person_id


# --- who decides 仮予約 ------------------------------------------------------------------
#
# A tenant administrator decides every booking of the tenant; a facility administrator
# (ROLE_FACILITY_ADMIN) those of the facilities owned by their primary or additional (兼務)
# departments. A facility without an owning department is for tenant administrators only.
# Departments live in the people subgraph, so callers ask for them once per operation
# (``decision_departments``) and pass them in.


def may_decide_any(principal: Principal) -> bool:
    """Whether the principal holds a role that decides bookings at all."""
    return principal.is_authenticated and (
        principal.is_tenant_admin or ROLE_FACILITY_ADMIN in principal.roles
    )


async def decision_departments(principal: Principal) -> frozenset[uuid.UUID]:
    """The departments ``may_decide`` needs: asked of people only for facility
    administrators (a tenant administrator decides everything, anyone else nothing)."""
    if principal.is_tenant_admin or not may_decide_any(principal):
        return frozenset()
    return await department_ids_of(principal)


def decision_scope(
    principal: Principal, department_ids: frozenset[uuid.UUID]
) -> frozenset[uuid.UUID] | None:
    """The owning departments whose facilities' bookings the principal decides; None: every
    facility of the tenant. The one statement of the rule: ``may_decide`` and
    ``decidable_reservations`` both read it."""
    if not may_decide_any(principal):
        return frozenset()
    if principal.is_tenant_admin:
        return None
    return frozenset(department_ids)


def may_decide(
    principal: Principal, facility: Facility, department_ids: frozenset[uuid.UUID]
) -> bool:
    """Whether the principal may approve or reject bookings of ``facility``."""
    if facility.tenant_id != principal.tenant_id:
        return False
    scope = decision_scope(principal, department_ids)
    return scope is None or facility.owning_department_id in scope


def decidable_reservations(
    principal: Principal, department_ids: frozenset[uuid.UUID]
) -> QuerySet[Reservation]:
    """The tenant's reservations whose facility the principal may decide (any status)."""
    rows = Reservation.objects.for_principal(principal)
    scope = decision_scope(principal, department_ids)
    if scope is None:
        return rows  # type: ignore[no-any-return]
    return rows.filter(facility__owning_department_id__in=scope)  # type: ignore[no-any-return]
