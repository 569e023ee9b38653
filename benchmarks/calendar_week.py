"""A department's week and room bookings via the gateway: ``python -m benchmarks.calendar_week``.

Options: ``[--members 100] [--requests 200] [--clients 20] [--seconds 10] [--rooms 4]
[--database-url postgres://USER@HOST:PORT[/ignored]] [--cpu | --profile DIR]``.

Sets up a throwaway database (a SQLite file in a temporary directory; with
``--database-url`` a fresh ``yui_bench_<random>`` database on that PostgreSQL server,
dropped at the end), migrates it, and fills one tenant through the people, presence,
calendar and facilities actions: a department of N members, each with a weekly 課内会議
(one occurrence moved, one cancelled), 2-3 meetings a week with colleagues, a couple of
all-day 出張 and a few private entries over a month, plus the department's own entries.

Then ``yui serve`` is started as a subprocess on a free port with the same environment and:

1. the department week (``organization { members { presence events } events }``) is asked
   ``--requests`` times in a row over HTTP (with the server's CPU time per request, read
   from /proc); the same is repeated in-process through
   ``yui.federation.embedded_app()`` (ASGI), where one request's SQL queries are counted;
2. ``--clients`` concurrent clients book random 30-minute slots of one week in the rooms of
   one facility group for ``--seconds`` seconds, and a SQL query checks afterwards that no
   two active reservations of a room overlap.

Prints figures with the machine's load average (CI may share the machine) and the pauses
of the garbage collector in-process; not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import io
import os
import platform
import pstats
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from benchmarks.csv_import import GIVEN_NAMES, SURNAMES, TITLES
from yui.scratch_database import is_postgres, scratch_postgres

ROOT = Path(__file__).resolve().parents[1]
TOKYO = ZoneInfo("Asia/Tokyo")
SECRET_KEY = "yui-benchmark-fixed-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
START_TIMEOUT = 60.0

WEEK_QUERY = """query Week($d: ID!, $s: DateTime!, $e: DateTime!) {
  organization(id: $d) {
    name
    members { name presence { label } events(start: $s, end: $e) { title start end } }
    events(start: $s, end: $e) { title }
  }
}"""
BOOK = """mutation Book($f: ID!, $s: DateTime!, $e: DateTime!, $p: String!) {
  createReservation(input: {facilityId: $f, start: $s, end: $e, purpose: $p}) {
    __typename
    ... on ReservationPayload { reservation { id status } }
    ... on ReservationConflict { conflicts { start end } }
    ... on ReservationRefused { errors { message } }
  }
}"""
MEETINGS = [
    "打合せ",
    "業者打合せ",
    "予算ヒアリング",
    "庁内調整会議",
    "住民説明会準備",
    "システム検討会",
]
PLACES = ["第1会議室", "第2会議室", "本庁舎 3F 小会議室", "Teams", "分庁舎 会議室A"]
TRIPS = ["出張（県庁）", "出張（東京）", "研修（県自治研修所）", "出張（現地調査）"]
PRIVATE = ["通院", "私用", "子の学校行事", "年休"]
DEPARTMENT_ENTRIES = ["窓口当番", "課内研修", "締切: 予算要求", "議会対応", "来庁者対応（団体）"]


# --- machine and database ----------------------------------------------------------------


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f}"


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def throwaway_database(url: str | None, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database; removed again afterwards.

    On PostgreSQL the database is always a new ``yui_bench_<random>``: a name in the URL is
    ignored, so an existing database is never used, let alone dropped.
    """
    if not url:
        yield f"sqlite:///{directory / 'bench.sqlite3'}"
        return
    if not is_postgres(url):
        raise SystemExit(f"--database-url: expected postgres://USER@HOST:PORT, not {url!r}")
    from django.db import connections

    with scratch_postgres(url, "yui_bench") as scratch:
        try:
            yield scratch
        finally:
            connections.close_all()


def bench_environment(directory: Path, database_url: str) -> dict[str, str]:
    """What both this process and `yui serve` run with: none of the developer's YUI_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUI_")}
    # The server runs this checkout's code, as this process does: the console script alone
    # would import whichever checkout the virtual environment was installed from (an
    # editable install), so a "before" measured from a second worktree would serve "after".
    paths = [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths)),
            "YUI_DATA_DIR": str(directory),
            "YUI_DATABASE_URL": database_url,
            "YUI_SECRET_KEY": SECRET_KEY,
            "DJANGO_SETTINGS_MODULE": "yui.settings",
            "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    return env


def setup_django(env: dict[str, str]) -> None:
    for key in [k for k in os.environ if k.startswith("YUI_")]:
        del os.environ[key]
    os.environ.update(env)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def engine_description() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (file, IMMEDIATE transactions)"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return f"PostgreSQL {version} ({connection.settings_dict['NAME']})"


# --- data --------------------------------------------------------------------------------


@dataclass
class World:
    tenant_id: Any
    department_id: str
    member_ids: list[Any]
    tokens: list[str]  # one personal access token per member, in member order
    rooms: list[str] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO)


def next_monday() -> date:
    today = datetime.now(TOKYO).date()
    return today + timedelta(days=7 - today.weekday())


def build_people(members: int, rng: random.Random) -> World:
    from subgraphs.core.principal import ROLE_STAFF, ROLE_TENANT_ADMIN, Principal
    from subgraphs.people import actions as people
    from subgraphs.presence import actions as presence
    from subgraphs.presence.models import PresenceStatus

    def ok(outcome: Any) -> Any:
        assert outcome.ok, outcome.errors
        return outcome.obj

    tenant = ok(people.do_add_tenant("999001", "ベンチ市", "bench"))
    admin = Principal(tenant_id=tenant.id, person_id=None, roles=frozenset({ROLE_TENANT_ADMIN}))
    section = ok(people.do_create_organization(admin, {"code": "0101", "name": "総務課"}))
    department = ok(
        people.do_create_organization(
            admin, {"code": "010101", "name": "庶務係", "parent_id": section.id}
        )
    )
    persons = []
    for i in range(members):
        surname, surname_kana = rng.choice(SURNAMES)
        given, given_kana, _ = rng.choice(GIVEN_NAMES)
        title, title_code = TITLES[min(i, 2)] if i < 3 else rng.choice(TITLES[3:])
        data = {
            "login_id": f"{i + 1:07d}",
            "name": f"{surname} {given}",
            "name_kana": f"{surname_kana} {given_kana}",
            "department_id": department.id,
            "title": title,
            "title_code": title_code,
            "extension": f"{2000 + i}",
            "sort_order": i,
        }
        persons.append(ok(people.do_create_person(admin, data)))
    ok(people.do_set_roles(admin, persons[0], [ROLE_TENANT_ADMIN]))
    tokens = [ok_token(people.do_create_access_token(p, "benchmark", None)) for p in persons]
    statuses = list(PresenceStatus.Status.values)
    for person in persons:
        if rng.random() < 0.7:  # the others never set theirs
            me = Principal(tenant.id, person.id, frozenset({ROLE_STAFF}), via="token")
            ok(presence.do_set_presence(me, rng.choice(statuses), rng.choice(["", "15時戻り"])))
    return World(
        tenant_id=tenant.id,
        department_id=str(department.id),
        member_ids=[p.id for p in persons],
        tokens=tokens,
    )


def ok_token(outcome: Any) -> str:
    assert outcome.ok, outcome.errors
    return str(outcome.extra["token"])


def build_month(world: World, week: date, rng: random.Random) -> None:
    """Four weeks of entries (the week before ``week`` to two after it) for everyone."""
    from django.db import transaction

    from subgraphs.calendar import actions as calendar
    from subgraphs.core.principal import ROLE_STAFF, ROLE_TENANT_ADMIN, Principal

    first = week - timedelta(days=7)
    mondays = [first + timedelta(days=7 * w) for w in range(4)]
    ids = world.member_ids

    def principal(pk: Any, admin: bool = False) -> Principal:
        roles = {ROLE_STAFF, ROLE_TENANT_ADMIN} if admin else {ROLE_STAFF}
        return Principal(world.tenant_id, pk, frozenset(roles), via="token")

    def create(who: Principal, kind: str, data: dict[str, Any]) -> Any:
        outcome = calendar.do_create_event(who, data)
        assert outcome.ok, outcome.errors
        world.events[kind] += 1
        return outcome.obj

    with transaction.atomic():  # one commit: the setup is not what is measured
        for n, pk in enumerate(ids):
            me = principal(pk)
            # 課内会議: an endless weekly series begun months ago, at the member's team slot.
            weekday, hour = (n // 10) % 5, 9 + (n // 50) % 8
            since = first - timedelta(weeks=12) + timedelta(days=weekday)
            series = create(
                me,
                "課内会議 (weekly series)",
                {
                    "title": "課内会議",
                    "location": rng.choice(PLACES),
                    "starts_at": at(since, hour),
                    "ends_at": at(since, hour + 1),
                    "rrule": "FREQ=WEEKLY",
                },
            )
            moved, cancelled = rng.sample(range(4), 2)
            original = at(mondays[moved] + timedelta(days=weekday), hour)
            shifted = original + timedelta(days=1 if weekday < 4 else -1, hours=2)
            outcome = calendar.do_move_occurrence(
                me, series.id, original, shifted, shifted + timedelta(hours=1)
            )
            assert outcome.ok, outcome.errors
            outcome = calendar.do_cancel_occurrence(
                me, series.id, at(mondays[cancelled] + timedelta(days=weekday), hour)
            )
            assert outcome.ok, outcome.errors
            for monday in mondays:
                for _ in range(rng.randint(2, 3)):
                    day = monday + timedelta(days=rng.randrange(5))
                    start = at(day, 9) + timedelta(minutes=30 * rng.randrange(16))
                    others = rng.sample(
                        [o for o in ids if o != pk], min(rng.randint(2, 4), len(ids) - 1)
                    )
                    create(
                        me,
                        "meeting",
                        {
                            "title": rng.choice(MEETINGS),
                            "location": rng.choice(PLACES),
                            "visibility": "BUSY" if rng.random() < 0.1 else "PUBLIC",
                            "starts_at": start,
                            "ends_at": start + timedelta(minutes=rng.choice([30, 60, 90])),
                            "attendee_ids": others,
                        },
                    )
            for _ in range(2):
                day = rng.choice(mondays) + timedelta(days=rng.randrange(5))
                create(
                    me,
                    "出張 (all day)",
                    {
                        "title": rng.choice(TRIPS),
                        "all_day": True,
                        "start_date": day,
                        "end_date": day + timedelta(days=rng.choice([1, 1, 2])),
                    },
                )
            for _ in range(rng.randint(2, 4)):
                day = rng.choice(mondays) + timedelta(days=rng.randrange(5))
                start = at(day, 8) + timedelta(minutes=30 * rng.randrange(20))
                create(
                    me,
                    "private",
                    {
                        "title": rng.choice(PRIVATE),
                        "visibility": "PRIVATE",
                        "starts_at": start,
                        "ends_at": start + timedelta(hours=1),
                    },
                )
        chief = principal(ids[0], admin=True)
        create(
            chief,
            "department (weekly series)",
            {
                "title": "ノー残業デー",
                "all_day": True,
                "start_date": first + timedelta(days=2),
                "end_date": first + timedelta(days=3),
                "rrule": "FREQ=WEEKLY",
                "owner_department_id": world.department_id,
            },
        )
        for monday in mondays:
            for title in rng.sample(DEPARTMENT_ENTRIES, 3):
                start = at(monday + timedelta(days=rng.randrange(5)), 9) + timedelta(
                    hours=rng.randrange(8)
                )
                create(
                    chief,
                    "department",
                    {
                        "title": title,
                        "starts_at": start,
                        "ends_at": start + timedelta(hours=1),
                        "owner_department_id": world.department_id,
                    },
                )


def build_rooms(world: World, rooms: int) -> None:
    from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
    from subgraphs.facilities import actions as facilities

    admin = Principal(
        world.tenant_id, world.member_ids[0], frozenset({ROLE_TENANT_ADMIN}), via="token"
    )
    outcome = facilities.do_save_facility_group(admin, None, "会議室", 1)
    assert outcome.ok, outcome.errors
    for n in range(rooms):
        values = {
            "group_id": outcome.obj.id,
            "name": f"第{n + 1}会議室",
            "capacity": 12,
            "pool_size": 1,
            "sort_order": n,
            "open_time": datetime(2000, 1, 1, 8, 30).time(),
            "close_time": datetime(2000, 1, 1, 21, 0).time(),
            "bookable_weekdays": [0, 1, 2, 3, 4],
        }
        room = facilities.do_save_facility(admin, None, values)
        assert room.ok, room.errors
        world.rooms.append(str(room.obj.id))


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def yui_command(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "yui"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "yui.cli", *args]


@contextlib.contextmanager
def yui_serve(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """`yui serve` on a free port, as an operator starts it; its URL while it runs."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = yui_command(
        "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise SystemExit(f"`yui serve` exited:\n{log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/health", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"`yui serve` did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- measuring ---------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` 0.95 for p95)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def latency_line(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"  {label:<34} p50 {statistics.median(ms):7.1f} ms   p95 {percentile(ms, 0.95):7.1f} ms"
        f"   max {max(ms):7.1f} ms   ({len(ms)} requests)"
    )


def cpu_per_request(
    request: Callable[[], Awaitable[None]], requests: int, folder: Path | None, name: str
) -> str:
    """CPU milliseconds one in-process request costs (``time.process_time``: every thread of
    this process, so load elsewhere on the machine barely moves it), and with ``folder`` a
    cProfile of the same requests written to ``folder/name.txt`` (top 25 by cumulative and
    by own time). The profile counts each thread's CPU time (``time.thread_time``), in the
    event loop's thread and in this one, where ``async_to_sync`` runs the ORM work, and
    merges the two; its per-call overhead makes it slower than the unprofiled figure."""
    from asgiref.sync import async_to_sync

    once = async_to_sync(request)
    for _ in range(max(3, requests // 10)):
        once()  # warm: the gateway's plan cache, prepared statements, lazy imports
    cpu = []
    for _ in range(requests):
        started = time.process_time()
        once()
        cpu.append(time.process_time() - started)
    # The least is the steadiest figure on a shared machine (others' load only adds).
    line = (
        f"{name}: {latency_line('CPU per request (in-process)', cpu).strip()}, "
        f"least {min(cpu) * 1000:.1f} ms"
    )
    if folder is None:
        return line
    here, loop = cProfile.Profile(time.thread_time), cProfile.Profile(time.thread_time)

    async def profiled() -> None:
        loop.enable()
        try:
            await request()
        finally:
            loop.disable()

    profiled_once = async_to_sync(profiled)
    here.enable()
    for _ in range(requests):
        profiled_once()
    here.disable()
    text = io.StringIO()
    text.write(f"{line}\n{requests} requests profiled (CPU time of each thread)\n")
    stats = pstats.Stats(here, stream=text)
    stats.add(loop)
    for order in ("cumulative", "tottime"):
        text.write(f"\n=== top 25 by {order} ===\n")
        stats.sort_stats(order).print_stats(25)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(text.getvalue())
    stats.dump_stats(folder / f"{name}.prof")  # for pstats or snakeviz
    return f"{line}; profile in {folder / name}.txt"


class GcPauses:
    """Time the cyclic garbage collector stops this process, by generation, while in use
    (``with GcPauses() as pauses``): a full collection walks every object of the process,
    so at this request size it is a large share of the latency spread."""

    def __init__(self) -> None:
        self.collections = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.collections[info["generation"]] += 1
            self.seconds[info["generation"]] += time.perf_counter() - self._started

    def line(self, requests: int) -> str:
        ms = [s * 1000 for s in self.seconds]
        return (
            f"  garbage collection in-process: {self.collections[2]} full collections "
            f"({ms[2]:.0f} ms), {self.collections[1]} middle ones ({ms[1]:.0f} ms), "
            f"{self.collections[0]} young ones ({ms[0]:.0f} ms); "
            f"{sum(ms) / requests:.1f} ms per request on average"
        )


def week_variables(world: World, week: date) -> dict[str, str]:
    return {
        "d": world.department_id,
        "s": at(week, 0).isoformat(),
        "e": at(week + timedelta(days=7), 0).isoformat(),
    }


def week_counts(body: dict[str, Any]) -> tuple[int, int, int]:
    assert not body.get("errors"), body.get("errors")
    org = body["data"]["organization"]
    members = org["members"]
    return len(members), sum(len(m["events"]) for m in members), len(org["events"])


async def run_week(
    http: httpx.AsyncClient, payload: dict[str, Any], requests: int, warmup: int
) -> tuple[list[float], dict[str, Any]]:
    body: dict[str, Any] = {}
    for _ in range(warmup):
        response = await http.post("/graphql", json=payload)
        body = response.json()
        week_counts(body)
    seconds = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await http.post("/graphql", json=payload)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"department week: HTTP {response.status_code} {response.text[:500]}")
    body = response.json()
    week_counts(body)
    return seconds, body


TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE|JOIN)\s+"?([A-Za-z0-9_]+)"?', re.IGNORECASE)


def table_of(sql: str) -> str:
    found = TABLE.search(sql)
    if found is None:
        return "(no table: " + sql.split()[0].upper() + ")" if sql.strip() else "(empty)"
    return found.group(1)


def count_queries(app: Any, token: str, payload: dict[str, Any]) -> list[dict[str, str]]:
    """The SQL of one in-process request. Run under async_to_sync from this (the main)
    thread, the subgraphs' thread-sensitive sync_to_async work runs here too, on the
    connection CaptureQueriesContext watches."""
    from asgiref.sync import async_to_sync
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    async def one() -> None:
        async with in_process_client(app, token) as http:
            week_counts((await http.post("/graphql", json=payload)).json())

    async_to_sync(one)()  # warm: caches, prepared plans, the gateway's query plan
    with CaptureQueriesContext(connection) as captured:
        async_to_sync(one)()
    return list(captured.captured_queries)


def in_process_client(app: Any, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://bench.invalid",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def http_client(url: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60, trust_env=False
    )


@dataclass
class Bookings:
    booked: int = 0
    conflicts: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)


async def book_for(
    url: str, token: str, rooms: list[str], week: date, until: float, seed: int, out: Bookings
) -> None:
    rng = random.Random(seed)  # noqa: S311 (reproducible test data)
    async with http_client(url, token) as http:
        while time.perf_counter() < until:
            day = week + timedelta(days=rng.randrange(5))
            start = at(day, 9) + timedelta(minutes=15 * rng.randrange(31))  # 9:00 ... 16:30
            variables = {
                "f": rng.choice(rooms),
                "s": start.isoformat(),
                "e": (start + timedelta(minutes=30)).isoformat(),
                "p": "打合せ",
            }
            started = time.perf_counter()
            try:
                response = await http.post("/graphql", json={"query": BOOK, "variables": variables})
                body = response.json() if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError) as exc:
                out.errors[type(exc).__name__] += 1
                continue
            finally:
                out.seconds.append(time.perf_counter() - started)
            if body is None:
                out.errors[f"HTTP {response.status_code}"] += 1
            elif body.get("errors") or not body.get("data"):
                out.errors[str((body.get("errors") or [{}])[0].get("message"))[:80]] += 1
            else:
                result = body["data"]["createReservation"]
                kind = result["__typename"]
                if kind == "ReservationPayload":
                    out.booked += 1
                elif kind == "ReservationConflict":
                    out.conflicts += 1
                else:
                    out.refused[result["errors"][0]["message"][:80]] += 1


async def contend(
    url: str, world: World, week: date, clients: int, seconds: float
) -> tuple[Bookings, float]:
    out = Bookings()
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(
            book_for(url, world.tokens[i % len(world.tokens)], world.rooms, week, until, i, out)
            for i in range(clients)
        )
    )
    return out, time.perf_counter() - started


DOUBLE_BOOKINGS = """
SELECT COUNT(*) FROM facilities_reservation a
JOIN facilities_reservation b
  ON a.facility_id = b.facility_id AND a.id < b.id
 AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.status IN ('CONFIRMED', 'PENDING') AND b.status IN ('CONFIRMED', 'PENDING')
"""


def stored_bookings() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(DOUBLE_BOOKINGS)
        double = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT COUNT(*) FROM facilities_reservation WHERE status IN ('CONFIRMED', 'PENDING')"
        )
        active = int(cursor.fetchone()[0])
    return double, active


# --- main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rooms", type=int, default=4)
    parser.add_argument(
        "--database-url",
        help="postgres://USER@HOST:PORT: run on a new yui_bench_<random> database there "
        "(dropped at the end); default: a SQLite file in a temporary directory",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="a folder: only measure the CPU of the department week in-process (--requests of "
        "them) and write a cProfile into it, instead of the runs over HTTP",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="only measure the CPU of the department week in-process (--requests of them), "
        "without a profile",
    )
    args = parser.parse_args()
    if args.members < 2:
        parser.error("--members: at least 2")

    print(
        f"machine: {platform.node()}, nproc {cpu_count()}, {load_average()}, "
        f"Python {platform.python_version()}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="yui-bench-") as tmp,
        throwaway_database(args.database_url, Path(tmp)) as database_url,
    ):
        env = bench_environment(Path(tmp), database_url)
        setup_django(env)
        from asgiref.sync import async_to_sync
        from django import get_version
        from django.db import connection

        print(f"database: {engine_description()}, Django {get_version()}")

        rng = random.Random(2026)  # noqa: S311 (reproducible test data)
        week = next_monday()
        started = time.perf_counter()
        world = build_people(args.members, rng)
        build_month(world, week, rng)
        build_rooms(world, args.rooms)
        made = ", ".join(f"{n} {kind}" for kind, n in world.events.items())
        print(
            f"setup: 1 department, {args.members} members, {sum(world.events.values())} events "
            f"({made}), {args.rooms} rooms, in {time.perf_counter() - started:.1f} s"
        )
        connection.close()  # `yui serve` gets the database to itself while it is measured

        payload = {"query": WEEK_QUERY, "variables": week_variables(world, week)}
        viewer = world.tokens[0]  # the chief (also the tenant's administrator)
        if args.profile is not None or args.cpu:
            profile_week(payload, viewer, args.requests, args.profile)
            return
        print(f"\n1. department week {week} – {week + timedelta(days=6)} through the gateway")
        print(f"   ({load_average()})")
        with yui_serve(env, Path(tmp) / "serve.log") as url:

            async def over_http() -> tuple[list[float], dict[str, Any]]:
                async with http_client(url, viewer) as http:
                    return await run_week(http, payload, args.requests, args.warmup)

            from benchmarks.subscriptions import cpu_seconds, server_pids

            server = server_pids()
            cpu_before = cpu_seconds(server)
            seconds, body = asyncio.run(over_http())
            server_cpu = cpu_seconds(server) - cpu_before
            members, occurrences, own = week_counts(body)
            print(latency_line("`yui serve` over HTTP:", seconds))
            print(
                f"  `yui serve` CPU (user + system, /proc): "
                f"{server_cpu / (args.requests + args.warmup) * 1000:.1f} ms per request "
                f"on average, warm-up included"
            )

            from yui.federation import embedded_app
            from yui.heap import settle

            app = embedded_app()
            settle()  # as `yui serve` does once its application is built (yui/asgi.py)

            async def in_process() -> tuple[list[float], dict[str, Any]]:
                async with in_process_client(app, viewer) as http:
                    return await run_week(http, payload, args.requests, args.warmup)

            with GcPauses() as pauses:
                seconds, _ = async_to_sync(in_process)()
            print(latency_line("embedded_app() in-process (ASGI):", seconds))
            print(pauses.line(args.requests + args.warmup))
            print(
                f"  returned: {members} members, {occurrences} member occurrences, "
                f"{own} department entries; {len(json_bytes(body)) / 1024:.0f} KiB of JSON"
            )
            queries = count_queries(app, viewer, payload)
            tables = Counter(table_of(q["sql"]) for q in queries)
            by_prefix: Counter[str] = Counter()
            for table, n in tables.items():
                by_prefix[table.split("_", 1)[0]] += n
            print(
                f"  SQL queries of one request: {len(queries)} in all "
                "(people_accesstoken/roleassignment: the edge authenticating the token)"
            )
            for prefix, n in by_prefix.most_common():
                names = ", ".join(
                    f"{t} {c}" for t, c in tables.most_common() if t.split("_", 1)[0] == prefix
                )
                print(f"    {prefix + '_':<12} {n:4d}   ({names})")
            connection.close()

            print(
                f"\n2. bookings: {args.clients} clients × {args.seconds:.0f} s, random 30-minute "
                f"slots of {week} – {week + timedelta(days=4)} in {args.rooms} rooms"
            )
            print(f"   ({load_average()})")
            out, elapsed = asyncio.run(contend(url, world, week, args.clients, args.seconds))
            attempts = len(out.seconds)
            print(
                f"  {attempts} attempts in {elapsed:.1f} s: "
                f"{out.booked / elapsed:6.1f} bookings/s, "
                f"{out.conflicts / elapsed:6.1f} conflicts/s, "
                f"{sum(out.refused.values())} refused, {sum(out.errors.values())} errors"
            )
            print(latency_line("booking latency:", out.seconds))
            for message, n in (out.refused + out.errors).most_common(5):
                print(f"    {n} × {message}")
            print(f"   ({load_average()})")

        double, active = stored_bookings()
        print(f"  stored active reservations: {active} (booked answers: {out.booked})")
        print(f"  double bookings: {double}")
        connection.close()


def profile_week(payload: dict[str, Any], viewer: str, requests: int, folder: Path | None) -> None:
    from yui.federation import embedded_app
    from yui.heap import settle

    app = embedded_app()
    settle()

    async def week() -> None:
        async with in_process_client(app, viewer) as http:
            week_counts((await http.post("/graphql", json=payload)).json())

    print(cpu_per_request(week, requests, folder, "department-week"))


def json_bytes(body: dict[str, Any]) -> bytes:
    import json

    return json.dumps(body, ensure_ascii=False).encode()


if __name__ == "__main__":
    main()
