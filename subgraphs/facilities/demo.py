"""Demo facilities for ``yui demo``: safe to run again (reuses what exists by name)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
from subgraphs.facilities import actions
from subgraphs.facilities.models import Facility, FacilityGroup, PurposeOption, Reservation

# (group, [(name, capacity, pool size, needs approval, rules)])
WEEKDAYS = {
    "open_time": time(8, 30),
    "close_time": time(21, 0),
    "bookable_weekdays": [0, 1, 2, 3, 4],
}
DEMO_FACILITIES: list[tuple[str, list[tuple[str, int, int, bool, dict[str, Any]]]]] = [
    (
        "会議室",
        [
            ("第1会議室", 12, 1, False, WEEKDAYS),
            ("第2会議室", 6, 1, False, WEEKDAYS),
            ("大会議室", 40, 1, True, WEEKDAYS),
        ],
    ),
    (
        "公用車",
        [("公用車1号（プリウス）", 5, 1, False, {}), ("公用車2号（軽バン）", 2, 1, False, {})],
    ),
    ("貸出PC", [("貸出ノートPC", 0, 5, False, {"max_days_ahead": 30})]),
]
DEMO_PURPOSES = ["会議・打合せ", "来客対応", "研修", "現地調査", "その他"]


def load_demo_facilities(
    tenant_id: Any, admin_id: Any, staff_ids: list[Any], approval_department_id: Any = None
) -> int:
    """Create the demo groups, facilities and purposes once, and a few bookings next week
    when the tenant has none yet. Returns how many reservations were added.

    The facilities that need approval belong to ``approval_department_id`` (when given), so
    its facility administrators (施設管理者) decide their 仮予約, not only the tenant admin.
    """
    admin = Principal(tenant_id=tenant_id, person_id=admin_id, roles=frozenset({ROLE_TENANT_ADMIN}))
    for order, label in enumerate(DEMO_PURPOSES, 1):
        if not PurposeOption.objects.filter(tenant_id=tenant_id, label=label).exists():
            actions.do_save_purpose_option(admin, None, label, order, True)
    for order, (group_name, facilities) in enumerate(DEMO_FACILITIES, 1):
        group = FacilityGroup.objects.filter(tenant_id=tenant_id, name=group_name).first()
        if group is None:
            group = actions.do_save_facility_group(admin, None, group_name, order).obj
        for sort, (name, capacity, pool, approval, rules) in enumerate(facilities, 1):
            existing = Facility.objects.filter(tenant_id=tenant_id, group=group, name=name)
            if existing.exists():
                if approval and approval_department_id:  # a demo loaded before owners existed
                    existing.filter(owning_department_id=None).update(
                        owning_department_id=approval_department_id
                    )
                continue
            values = {"group_id": group.id, "name": name, "capacity": capacity, "pool_size": pool}
            values |= {"needs_approval": approval, "sort_order": sort, **rules}
            if approval:
                values["owning_department_id"] = approval_department_id
            outcome = actions.do_save_facility(admin, None, values)
            assert outcome.ok, outcome.errors
    if Reservation.objects.filter(tenant_id=tenant_id).exists() or not staff_ids:
        return 0
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    meeting = PurposeOption.objects.filter(tenant_id=tenant_id, label="会議・打合せ").first()
    plans = [
        ("第1会議室", 0, "10:00", "11:30", "係内打合せ"),
        ("第2会議室", 1, "14:00", "15:00", "来庁者との協議"),
        ("大会議室", 2, "13:30", "16:30", "市民説明会リハーサル"),
        ("公用車1号（プリウス）", 3, "09:00", "12:00", "県庁へ書類提出"),
        ("貸出ノートPC", 3, "13:00", "17:00", "出張先でのプレゼン"),
    ]
    added = 0
    for n, (name, day, start, end, purpose) in enumerate(plans):
        facility = Facility.objects.get(tenant_id=tenant_id, name=name)
        person = Principal(
            tenant_id=tenant_id, person_id=staff_ids[n % len(staff_ids)], roles=frozenset({"staff"})
        )
        date = monday + timedelta(days=day)
        outcome = actions.do_create_reservation(
            person,
            facility.id,
            _at(date, start),
            _at(date, end),
            purpose_option_id=meeting.id if meeting and n == 0 else None,
            purpose=purpose,
        )
        added += outcome.ok
    return added


def _at(day: Any, hhmm: str) -> datetime:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return timezone.make_aware(datetime(day.year, day.month, day.day, hours, minutes))
