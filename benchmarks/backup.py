"""How long a backup and a restore take, and how big the archive is:
``python -m benchmarks.backup [--staff 4410] [--events-per-week 2] [--weeks 52] [--rooms 20]
[--database-url postgres://USER@HOST:PORT[/ignored]]``.

Fills a throwaway deployment (a SQLite file in a temporary directory; with
``--database-url`` a fresh ``yui_bench_<random>`` database on that PostgreSQL server,
dropped at the end) with one municipality of ``--staff`` staff in a department tree, a year
of events (each staff member organises ``--events-per-week`` meetings a week and attends
them) and room bookings (``--rooms`` rooms, four bookings each working day), written in
bulk. Then times ``yui backup -o``, ``yui backup --verify``, ``yui restore`` into a new
SQLite deployment and ``yui backup --compare`` there, and prints rows, archive size and
seconds with the machine's load average. Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from yui.scratch_database import is_postgres, scratch_postgres

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "yui-benchmark-fixed-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105


def fill(staff: int, per_week: int, weeks: int, rooms: int) -> None:
    """Write the deployment's rows in bulk (runs in a child process with its environment)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yui.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
    from django.db import transaction

    from subgraphs.calendar.models import Event, EventAttendee
    from subgraphs.facilities.models import Facility, FacilityGroup, Reservation
    from subgraphs.people.actions import do_add_tenant, rebuild_organization_tree
    from subgraphs.people.models import Organization, Person

    tenant = do_add_tenant("402125", "大川市", "okawa").obj
    with transaction.atomic():
        orgs = []
        for d in range(8):
            top = Organization(tenant=tenant, code=f"{d:02d}", name=f"部{d}")
            orgs.append(top)
            for s in range(4):
                orgs.append(
                    Organization(tenant=tenant, code=f"{d:02d}{s:02d}", name=f"課{s}", parent=top)
                )
        Organization.objects.bulk_create(orgs)
        rebuild_organization_tree(tenant.id)
        leaves = [o for o in orgs if o.parent_id is not None]
        people = []
        for n in range(staff):
            person = Person(
                tenant=tenant,
                login_id=f"{n:07d}",
                name=f"職員 {n}",
                name_kana="ショクイン",
                department=leaves[n % len(leaves)],
                password=UNUSABLE_PASSWORD_PREFIX + "bench",
            )
            person.refresh_derived()
            people.append(person)
        Person.objects.bulk_create(people, batch_size=1000)
    start = datetime(2026, 4, 6, 0, 0, tzinfo=UTC)
    for person in people:
        events, attendees = [], []
        for week in range(weeks):
            for k in range(per_week):
                at = start + timedelta(days=7 * week + k, hours=1 + k)
                event = Event(
                    tenant_id=tenant.id,
                    title="係内打合せ",
                    starts_at=at,
                    ends_at=at + timedelta(hours=1),
                    range_start=at,
                    range_end=at + timedelta(hours=1),
                    organizer_id=person.id,
                )
                events.append(event)
                attendees.append(
                    EventAttendee(tenant_id=tenant.id, event=event, person_id=person.id)
                )
        with transaction.atomic():
            Event.objects.bulk_create(events, batch_size=1000)
            EventAttendee.objects.bulk_create(attendees, batch_size=1000)
    group = FacilityGroup.objects.create(tenant_id=tenant.id, name="会議室")
    reservations = []
    for r in range(rooms):
        room = Facility.objects.create(tenant_id=tenant.id, group=group, name=f"会議室{r}")
        for day in range(weeks * 7):
            if day % 7 >= 5:
                continue
            for slot in range(4):
                at = start + timedelta(days=day, hours=slot * 2)
                reservations.append(
                    Reservation(
                        tenant_id=tenant.id,
                        facility=room,
                        starts_at=at,
                        ends_at=at + timedelta(hours=1),
                        requester_id=people[(day + slot) % len(people)].id,
                        status="CONFIRMED",
                    )
                )
    Reservation.objects.bulk_create(reservations, batch_size=1000)


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUI_")}
    env.update({"YUI_DATA_DIR": str(data_dir), "YUI_SECRET_KEY": SECRET_KEY})
    if database_url:
        env["YUI_DATABASE_URL"] = database_url
    return env


def _run(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603 - this interpreter, our own modules
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return time.monotonic() - started, done.stdout.strip()


@contextlib.contextmanager
def _database(url: str | None) -> Iterator[str | None]:
    if not url:
        yield None
        return
    if not is_postgres(url):
        raise SystemExit("--database-url takes a postgres:// URL")
    with scratch_postgres(url, "yui_bench") as scratch:
        yield scratch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--staff", type=int, default=4410)
    parser.add_argument("--events-per-week", type=int, default=2)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--fill", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        fill(args.staff, args.events_per_week, args.weeks, args.rooms)
        return
    with (
        tempfile.TemporaryDirectory(prefix="yui-bench-backup-") as tmp,
        _database(args.database_url) as source_url,
    ):
        source = _env(Path(tmp) / "source", source_url)
        target = _env(Path(tmp) / "target", None)
        archive = Path(tmp) / "yui.tar.gz"
        _run(source, "-m", "yui.cli", "migrate", "--skip-checks", "-v0")
        seconds, _ = _run(
            source,
            "-m",
            "benchmarks.backup",
            "--fill",
            f"--staff={args.staff}",
            f"--events-per-week={args.events_per_week}",
            f"--weeks={args.weeks}",
            f"--rooms={args.rooms}",
        )
        print(f"filled {'PostgreSQL' if source_url else 'SQLite'} in {seconds:.1f} s")
        backup_s, said = _run(source, "-m", "yui.cli", "backup", "-o", str(archive))
        print(f"yui backup:    {backup_s:6.1f} s  {said}")
        verify_s, _ = _run(source, "-m", "yui.cli", "backup", "--verify", str(archive))
        print(f"yui backup --verify: {verify_s:6.1f} s")
        restore_s, said = _run(target, "-m", "yui.cli", "restore", str(archive))
        print(f"yui restore (into SQLite): {restore_s:6.1f} s  {said}")
        compare_s, _ = _run(target, "-m", "yui.cli", "backup", "--compare", str(archive))
        print(f"yui backup --compare: {compare_s:6.1f} s")
        size = archive.stat().st_size
        print(f"archive: {size / 1e6:.1f} MB; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
