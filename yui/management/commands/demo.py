"""``yui demo``: migrate and load two demo municipalities from the sample CSV files.

Safe to run again: tenants are reused, CSV imports upsert, demo passwords are reset,
demo presence is set only for staff who have none yet (what they set since is kept),
demo calendar entries are added only where their organizer has none of that title.

The demo staff of each town are colleagues of one 係 (taken as the HR file has them, not
moved), so the department week shows a team: their weekly meeting, one's 出張, another's
private appointment, side by side.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from subgraphs.calendar.actions import do_create_event
from subgraphs.calendar.models import Event
from subgraphs.core.principal import ROLE_FACILITY_ADMIN, ROLE_TENANT_ADMIN, Principal
from subgraphs.facilities.demo import DEMO_FACILITIES, load_demo_facilities
from subgraphs.facilities.models import Facility
from subgraphs.people import actions
from subgraphs.people.csv_io import do_import_csv
from subgraphs.people.models import Link, Organization, Person, RoleAssignment, Tenant
from subgraphs.presence.actions import do_set_presence
from subgraphs.presence.models import PresenceStatus

DEMO_DATA = Path(__file__).resolve().parents[3] / "subgraphs" / "people" / "demo_data"
COUNCIL = "福岡県南部自治体クラウド協議会"
TENANTS = [("402125", "okawa", "大川市"), ("406210", "kanda", "苅田町")]
ADMIN_PASSWORD = "yui-demo-admin"  # noqa: S105 - demo data, printed on purpose
STAFF_PASSWORD = "yui-demo-staff"  # noqa: S105
# The demo staff of each town, colleagues in one 係 of the sample HR files. The first
# is also 施設管理者 of that 係, which owns the 大会議室 (facilities' demo), and is printed
# first; the README's table lists the same accounts.
DEMO_STAFF = {
    # 建設部 > 建築課 > 庶務係: 山口 花子 (係長), 加藤 和也 and 遠藤 英樹 (主任主事)
    "402125": ("0656905", "0520529", "0468772"),
    # 市民部 > 市民課 > 庶務係: 清水 七夏 (主事, 兼務あり), 中島 健一 (主査), 齋藤 太一 (主事)
    "406210": ("0139154", "0390319", "0100338"),
}
DEMO_GROUP = "DX推進プロジェクト"
# (status, message) for the first demo staff of each tenant, in the order they are printed.
# Presence reads 未設定 again after the nightly reset (YUI_PRESENCE_RESET_HOUR), as any does.
# The link collection (リンク集) of each town's portal: intranet systems on the closed
# network (LGWAN), as a municipality's own would be. (title, path, category, description)
DEMO_LINKS = [
    ("財務会計システム", "zaimu", "業務システム", "予算執行・支出負担行為"),
    ("文書管理システム", "bunsho", "業務システム", "起案・決裁・収受"),
    ("例規集", "reiki", "規程・様式", "条例・規則・要綱"),
    ("庁内様式集", "yoshiki", "規程・様式", "各種申請書・届出書"),
]
DEMO_PRESENCE = [("MEETING", "第1会議室 15時まで"), ("OUT", "現地調査（市内巡回）")]


class Command(BaseCommand):
    help = "Create the database and load demo municipalities, staff and passwords."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        lines = []
        for code, slug, name in TENANTS:
            tenant = Tenant.objects.filter(code=code).first()
            if tenant is None:
                outcome = actions.do_add_tenant(code, name, slug, COUNCIL)
                if not outcome.ok:
                    raise CommandError("; ".join(e.message for e in outcome.errors))
                tenant = outcome.obj
            for kind in ("organizations", "staff"):
                report = do_import_csv(
                    tenant, kind, (DEMO_DATA / f"{code}-{kind}.csv").read_bytes()
                )
                if not report.ok:
                    raise CommandError(f"{code}-{kind}.csv: {report.errors[:3]}")
                self.stdout.write(
                    f"{code} {name}: {kind} +{len(report.added)} ~{len(report.updated)} "
                    f"={report.unchanged}"
                )
            lines += self._accounts(tenant)
            self._presence(tenant)
            self._calendar(tenant)
            self._facilities(tenant)
            self._links(tenant)
        self.stdout.write("\nDemo accounts (sign in on the portal, /):")
        for line in lines:
            self.stdout.write("  " + line)

    def _facilities(self, tenant: Tenant) -> None:
        admin = Person.objects.get(tenant=tenant, login_id="admin")
        staff = demo_staff(tenant)
        owner = staff[0].department_id if staff else None
        added = load_demo_facilities(
            tenant.id,
            admin.id,
            [p.id for p in staff],
            # The first demo staff member is 施設管理者 of this 係 (see _accounts).
            approval_department_id=owner,
        )
        if owner is not None:
            # Like the demo passwords, the demo's rooms needing approval are put back with
            # the demo team: a database loaded by an older demo had them elsewhere.
            approval_rooms = [
                name for _, rooms in DEMO_FACILITIES for name, *_, approval, _ in rooms if approval
            ]
            Facility.objects.filter(
                tenant_id=tenant.id, name__in=approval_rooms, needs_approval=True
            ).exclude(owning_department_id=owner).update(owning_department_id=owner)
        self.stdout.write(f"{tenant.code} {tenant.name}: reservations +{added}")

    def _links(self, tenant: Tenant) -> None:
        """Links the town has not got yet, by title (an administrator's edits are kept)."""
        system = Principal(tenant_id=tenant.id, person_id=None, via="cli")
        have = set(Link.objects.filter(tenant=tenant).values_list("title", flat=True))
        added = 0
        for title, path, category, description in DEMO_LINKS:
            if title in have:
                continue
            url = f"http://{path}.{tenant.slug}.lgwan.local/"
            data = {"title": title, "url": url, "category": category, "description": description}
            outcome = actions.do_save_link(system, None, data)
            if not outcome.ok:
                raise CommandError(f"{title}: {outcome.errors}")
            added += 1
        self.stdout.write(f"{tenant.code} {tenant.name}: links +{added}")

    @transaction.atomic
    def _accounts(self, tenant: Tenant) -> list[str]:
        system = Principal(tenant_id=tenant.id, person_id=None, via="cli")
        admin = Person.objects.filter(tenant=tenant, login_id="admin").first()
        if admin is None:
            admin = actions.do_create_person(
                system,
                {
                    "login_id": "admin",
                    "name": f"{tenant.name} システム管理者",
                    "title": "管理者",
                    "sort_order": 0,
                },
            ).obj
        admin.set_password(ADMIN_PASSWORD)
        admin.save()
        RoleAssignment.objects.get_or_create(tenant=tenant, person=admin, role=ROLE_TENANT_ADMIN)
        lines = [f"{tenant.code} ({tenant.slug})  admin  / {ADMIN_PASSWORD}   tenant administrator"]
        staff = demo_staff(tenant)
        for person in staff:
            person.set_password(STAFF_PASSWORD)
            person.save()
            lines.append(
                f"{tenant.code} ({tenant.slug})  {person.login_id} / {STAFF_PASSWORD}   "
                f"{person.name} ({person.title}, {department_path(person.department)})"
            )
        if staff:
            # The first demo staff member approves the 仮予約 of their department's 大会議室.
            RoleAssignment.objects.get_or_create(
                tenant=tenant, person=staff[0], role=ROLE_FACILITY_ADMIN
            )
            lines.append(
                f"{tenant.code} ({tenant.slug})  {staff[0].login_id} is also 施設管理者 "
                "(facility administrator): approves the 仮予約 of 大会議室, owned by "
                f"{department_path(staff[0].department)}"
            )
        group = actions.Group.objects.filter(tenant=tenant, name=DEMO_GROUP).first()
        actions.do_save_group(
            system,
            group,
            DEMO_GROUP,
            "部署横断のDX推進チーム",
            [str(p.id) for p in [admin, *staff]],
        )
        return lines

    def _presence(self, tenant: Tenant) -> None:
        added = 0
        for person, (status, message) in zip(demo_staff(tenant), DEMO_PRESENCE, strict=False):
            if PresenceStatus.objects.filter(tenant_id=tenant.id, person_id=person.id).exists():
                continue
            me = Principal(tenant_id=tenant.id, person_id=person.id, via="cli")
            outcome = do_set_presence(me, status, message)
            if not outcome.ok:
                raise CommandError("; ".join(e.message for e in outcome.errors))
            added += 1
        self.stdout.write(f"{tenant.code} {tenant.name}: presence +{added}")

    def _calendar(self, tenant: Tenant) -> None:
        """A weekly 課内会議 of the demo staff, an all-day 出張 and a private 通院."""
        staff = demo_staff(tenant)
        if not staff:
            return
        today = timezone.localdate()
        monday = today - timedelta(days=today.weekday())
        at = partial(datetime.combine, tzinfo=timezone.get_current_timezone())
        entries = [
            (
                staff[0],
                {
                    "title": "課内会議",
                    "location": "第1会議室",
                    "category": "会議",
                    "starts_at": at(monday, time(10)),
                    "ends_at": at(monday, time(11)),
                    "rrule": "FREQ=WEEKLY;BYDAY=MO",
                    "attendee_ids": [p.id for p in staff[1:]],
                },
            ),
            (
                staff[1 % len(staff)],
                {
                    "title": "出張（県庁）",
                    "category": "出張",
                    "all_day": True,
                    "start_date": monday + timedelta(days=2),
                    "end_date": monday + timedelta(days=3),
                },
            ),
            (
                staff[2 % len(staff)],
                {
                    "title": "通院",
                    "visibility": Event.Visibility.PRIVATE,
                    "starts_at": at(monday + timedelta(days=3), time(9)),
                    "ends_at": at(monday + timedelta(days=3), time(10, 30)),
                },
            ),
        ]
        added = 0
        for organizer, data in entries:
            exists = Event.objects.filter(
                tenant_id=tenant.id, organizer_id=organizer.id, title=data["title"]
            ).exists()
            if exists:
                continue
            me = Principal(tenant_id=tenant.id, person_id=organizer.id, via="cli")
            outcome = do_create_event(me, data)
            if not outcome.ok:
                raise CommandError("; ".join(e.message for e in outcome.errors))
            added += 1
        self.stdout.write(f"{tenant.code} {tenant.name}: calendar +{added}")


def demo_staff(tenant: Tenant) -> list[Person]:
    """The tenant's demo staff (DEMO_STAFF), in that order, once the HR file is imported."""
    login_ids = DEMO_STAFF[tenant.code]
    found = {
        p.login_id: p
        for p in Person.objects.filter(
            tenant=tenant, login_id__in=login_ids, is_active=True
        ).select_related("department")
    }
    missing = [login_id for login_id in login_ids if login_id not in found]
    if missing:
        raise CommandError(f"{tenant.code}: demo staff {', '.join(missing)} not in the staff CSV")
    return [found[login_id] for login_id in login_ids]


def department_path(department: Organization | None) -> str:
    """``総務部 > 総務課 > 庶務係``: where a 係 sits, as staff name it ("-" when none)."""
    names = []
    seen = set()
    while department is not None and department.id not in seen:  # a cycle cannot hang us
        seen.add(department.id)
        names.append(department.name)
        department = department.parent
    return " > ".join(reversed(names)) or "-"
