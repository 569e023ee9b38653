"""The audited ways to fetch facilities rows for a principal (one per aggregate).

Each returns None when the row does not exist, belongs to another tenant or the ID is not a
UUID, so callers cannot probe other municipalities' IDs. Also who may see and change what.
"""

from __future__ import annotations

import uuid

from subgraphs.core.principal import Principal
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


def may_see_purpose(principal: Principal, reservation: Reservation) -> bool:
    """The purpose (e.g. 人事面談) is for the requester and the administrators only.

    Administrators are the tenant administrators: department membership lives in the
    people subgraph, and "admin of the owning department" would need it on every read.
    """
    return principal.is_tenant_admin or reservation.requester_id == principal.person_id


def may_change(principal: Principal, reservation: Reservation) -> bool:
    """Move or cancel: the requester, or a tenant administrator."""
    return principal.is_tenant_admin or reservation.requester_id == principal.person_id
