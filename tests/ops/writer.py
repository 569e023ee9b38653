"""A deployment's users, as a process: ``python -m tests.ops.writer seed`` makes a
municipality (an administrator, a room, a stored file); ``python -m tests.ops.writer run
STOPFILE`` then writes until STOPFILE appears (the rounds done so far in
STOPFILE.rounds). Each round is one transaction that adds a
person, a token, an event and a booking of the room, so a consistent copy holds as many
writer people as writer events and bookings. Prints the number of rounds at the end."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yui.settings")
    import django

    django.setup()
    from django.db import transaction

    from subgraphs.calendar.actions import do_create_event
    from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
    from subgraphs.facilities import actions as facilities
    from subgraphs.facilities.models import Facility
    from subgraphs.people import actions as people
    from subgraphs.people.models import Person, RoleAssignment

    if sys.argv[1] == "seed":
        tenant = people.do_add_tenant("402125", "大川市", "okawa").obj
        system = Principal(
            tenant_id=tenant.id, person_id=None, roles=frozenset({ROLE_TENANT_ADMIN})
        )
        admin = people.do_create_person(
            system, {"login_id": "admin", "name": "管理者", "password": "yui-test-admin-pw"}
        ).obj
        RoleAssignment.objects.create(tenant=tenant, person=admin, role=ROLE_TENANT_ADMIN)
        boss = Principal(tenant.id, admin.id, frozenset({ROLE_TENANT_ADMIN}), "test")
        group = facilities.do_save_facility_group(boss, None, "会議室", 0).obj
        facilities.do_save_facility(boss, None, {"group_id": group.id, "name": "大会議室"})
        # Through the deployment's file store: a directory, or an S3-compatible bucket.
        from django.core.files.base import ContentFile

        from subgraphs.core.storage import file_storage

        content = ContentFile(b"%PDF-1.4 " + os.urandom(4096))
        stored = file_storage().save("notices/議事録.pdf", content)
        assert stored == "notices/議事録.pdf", stored
        return

    stop = Path(sys.argv[2])
    progress = stop.with_suffix(".rounds")
    admin = Person.objects.get(login_id="admin")
    boss = Principal(admin.tenant_id, admin.id, frozenset({ROLE_TENANT_ADMIN}), "test")
    room = Facility.objects.get(name="大会議室")
    start = datetime(2030, 1, 1, tzinfo=UTC)
    rounds = 0
    while not stop.exists():
        at = start + timedelta(hours=rounds)
        with transaction.atomic():
            person = people.do_create_person(
                boss, {"login_id": f"w{rounds:05d}", "name": "書込"}
            ).obj
            people.do_create_access_token(person, "app", None)
            made = do_create_event(
                boss,
                {"title": f"w{rounds}", "starts_at": at, "ends_at": at + timedelta(minutes=30)},
            )
            assert made.ok, made.errors
            booked = facilities.do_create_reservation(boss, room.id, at, at + timedelta(minutes=30))
            assert booked.ok, booked.errors
        rounds += 1
        # How far the writer is, for the test to place its backup among the writes.
        progress.write_text(str(rounds))
        time.sleep(0.005)
    print(rounds)


if __name__ == "__main__":
    main()
