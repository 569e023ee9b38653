"""The council's morning: staff arriving at a steady rate, each signing in and opening the
portal. ``python -m benchmarks.morning``.

Options: ``[--towns 3] [--staff 300] [--rates 2,5,10] [--seconds 60] [--workers 1]
[--database-url postgres://USER@HOST:PORT] [--redis-url redis://HOST:PORT/DB] [--rooms 6]``.

Builds a municipal data set in a throwaway database (``--towns`` municipalities of
``--staff`` staff each, in departments of about 20; three weeks of entries each: a weekly
課内会議, meetings with colleagues, trips, private entries; presence for most; a group of
meeting rooms per town; one password for everyone, hashed once), starts ``yui serve`` on
it (``--workers`` processes; more than one needs ``--redis-url``), then for each rate in
``--rates`` lets users arrive at that many per second for ``--seconds`` seconds. Each user:

1. signs in with JSON (``/auth/login``),
2. loads the portal-like query: me with presence and my week, my department's week (every
   member's presence and entries), the bookings waiting for my approval, facility groups,
3. searches people by a surname,
4. one in five books a room for 30 minutes next week.

Prints p50/p95 per step and over all requests, errors by kind (HTTP status, content
type, GraphQL code), and the CPU of each core while the rate ran (the load generator runs
on the same machine: its own CPU is printed too). Also prints the cost of one password
check with Django's Argon2 defaults and with Yui's. Figures, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.calendar_week import (
    MEETINGS,
    PLACES,
    PRIVATE,
    ROOT,
    START_TIMEOUT,
    TOKYO,
    TRIPS,
    at,
    bench_environment,
    cpu_count,
    cpu_per_request,
    engine_description,
    free_port,
    load_average,
    next_monday,
    percentile,
    setup_django,
    throwaway_database,
    yui_command,
)
from benchmarks.csv_import import GIVEN_NAMES, SURNAMES, TITLES

PASSWORD = "morning-bench-password-2026"  # noqa: S105 - a throwaway database's
DEPARTMENT_SIZE = 20

PORTAL = """query Morning($s: DateTime!, $e: DateTime!) {
  me {
    id name title roles
    presence { status message updatedAt version }
    events(start: $s, end: $e) { start end allDay title location }
    department {
      id name
      members {
        id name title presence { status message }
        events(start: $s, end: $e) { start end title }
      }
      events(start: $s, end: $e) { start end title }
    }
  }
  pendingReservationCount
  facilityGroups { id name facilities { id name } }
}"""
SEARCH = """query Search($q: String!) {
  people(search: $q, first: 20) { edges { node { id name title department { name } } } }
}"""
BOOK = """mutation Book($f: ID!, $s: DateTime!, $e: DateTime!) {
  createReservation(input: {facilityId: $f, start: $s, end: $e, purpose: "打合せ"}) {
    __typename
  }
}"""


# --- data --------------------------------------------------------------------------------


@dataclass
class Account:
    tenant: str
    login_id: str


@dataclass
class Town:
    code: str
    rooms: list[str] = field(default_factory=list)


@dataclass
class DataSet:
    accounts: list[Account] = field(default_factory=list)
    towns: dict[str, Town] = field(default_factory=dict)
    events: int = 0


def build(towns: int, staff: int, rooms: int, rng: random.Random) -> DataSet:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from subgraphs.calendar import actions as calendar
    from subgraphs.core.principal import ROLE_STAFF, ROLE_TENANT_ADMIN, Principal
    from subgraphs.facilities import actions as facilities
    from subgraphs.people import actions as people
    from subgraphs.people.models import Person
    from subgraphs.presence import actions as presence
    from subgraphs.presence.models import PresenceStatus

    def ok(outcome: Any) -> Any:
        assert outcome.ok, outcome.errors
        return outcome.obj

    data = DataSet()
    monday = next_monday() - timedelta(days=7)  # this week (the run is "this morning")
    mondays = [monday + timedelta(days=7 * w) for w in (-1, 0, 1)]
    statuses = list(PresenceStatus.Status.values)
    # One password for everyone, hashed once: a check costs the same whoever signs in.
    hashed = make_password(PASSWORD)
    for t in range(towns):
        code = f"{999001 + t}"
        tenant = ok(people.do_add_tenant(code, f"ベンチ町{t + 1}", f"bench{t + 1}"))
        town = Town(code=code)
        data.towns[code] = town
        admin = Principal(tenant.id, None, frozenset({ROLE_TENANT_ADMIN}), via="token")
        with transaction.atomic():
            departments = []
            for d in range(max(1, staff // DEPARTMENT_SIZE)):
                bu = ok(
                    people.do_create_organization(
                        admin, {"code": f"{d + 1:02d}", "name": f"第{d + 1}部"}
                    )
                )
                departments.append(
                    ok(
                        people.do_create_organization(
                            admin,
                            {"code": f"{d + 1:02d}01", "name": f"第{d + 1}課", "parent_id": bu.id},
                        )
                    )
                )
            members: dict[Any, list[Any]] = defaultdict(list)
            for i in range(staff):
                surname, surname_kana = rng.choice(SURNAMES)
                given, given_kana, _ = rng.choice(GIVEN_NAMES)
                department = departments[i % len(departments)]
                title, title_code = rng.choice(TITLES)
                person = ok(
                    people.do_create_person(
                        admin,
                        {
                            "login_id": f"{i + 1:07d}",
                            "name": f"{surname} {given}",
                            "name_kana": f"{surname_kana} {given_kana}",
                            "department_id": department.id,
                            "title": title,
                            "title_code": title_code,
                            "sort_order": i,
                        },
                    )
                )
                members[department.id].append(person.id)
                data.accounts.append(Account(code, person.login_id))
            Person.objects.filter(tenant=tenant).update(password=hashed)
            first = Person.objects.filter(tenant=tenant).order_by("sort_order").first()
            assert first is not None
            ok(people.do_set_roles(admin, first, [ROLE_TENANT_ADMIN]))
            boss = Principal(tenant.id, first.id, frozenset({ROLE_TENANT_ADMIN}), via="token")
            group = ok(facilities.do_save_facility_group(boss, None, "会議室", 1))
            for n in range(rooms):
                room = facilities.do_save_facility(
                    boss,
                    None,
                    {
                        "group_id": group.id,
                        "name": f"第{n + 1}会議室",
                        "capacity": 12,
                        "pool_size": 1,
                        "sort_order": n,
                        "open_time": datetime(2000, 1, 1, 8, 30).time(),
                        "close_time": datetime(2000, 1, 1, 21, 0).time(),
                        "bookable_weekdays": [0, 1, 2, 3, 4],
                    },
                )
                town.rooms.append(str(ok(room).id))
            for department_id, ids in members.items():
                for n, pk in enumerate(ids):
                    me = Principal(tenant.id, pk, frozenset({ROLE_STAFF}), via="token")
                    if rng.random() < 0.7:
                        ok(presence.do_set_presence(me, rng.choice(statuses), ""))
                    since = mondays[0] - timedelta(weeks=8) + timedelta(days=n % 5)
                    events = [
                        {
                            "title": "課内会議",
                            "location": rng.choice(PLACES),
                            "starts_at": at(since, 9 + n % 8),
                            "ends_at": at(since, 10 + n % 8),
                            "rrule": "FREQ=WEEKLY",
                        }
                    ]
                    for week in mondays:
                        for _ in range(rng.randint(1, 3)):
                            start = at(week + timedelta(days=rng.randrange(5)), 9) + timedelta(
                                minutes=30 * rng.randrange(16)
                            )
                            others = rng.sample([o for o in ids if o != pk], min(2, len(ids) - 1))
                            events.append(
                                {
                                    "title": rng.choice(MEETINGS),
                                    "location": rng.choice(PLACES),
                                    "starts_at": start,
                                    "ends_at": start + timedelta(minutes=60),
                                    "attendee_ids": others,
                                }
                            )
                    day = rng.choice(mondays) + timedelta(days=rng.randrange(5))
                    events.append(
                        {
                            "title": rng.choice(TRIPS),
                            "all_day": True,
                            "start_date": day,
                            "end_date": day + timedelta(days=1),
                        }
                    )
                    start = at(rng.choice(mondays) + timedelta(days=rng.randrange(5)), 13)
                    events.append(
                        {
                            "title": rng.choice(PRIVATE),
                            "visibility": "PRIVATE",
                            "starts_at": start,
                            "ends_at": start + timedelta(hours=1),
                        }
                    )
                    for values in events:
                        ok(calendar.do_create_event(me, values))
                    data.events += len(events)
                chief = Principal(
                    tenant.id, ids[0], frozenset({ROLE_STAFF, ROLE_TENANT_ADMIN}), via="token"
                )
                ok(
                    calendar.do_create_event(
                        chief,
                        {
                            "title": "ノー残業デー",
                            "all_day": True,
                            "start_date": mondays[0] + timedelta(days=2),
                            "end_date": mondays[0] + timedelta(days=3),
                            "rrule": "FREQ=WEEKLY",
                            "owner_department_id": department_id,
                        },
                    )
                )
                data.events += 1
    return data


# --- measuring ---------------------------------------------------------------------------


def hash_cost() -> list[str]:
    """Wall and CPU milliseconds of one password check, Django's Argon2 defaults vs ours."""
    from django.contrib.auth.hashers import Argon2PasswordHasher

    from subgraphs.people.hashers import YuiArgon2PasswordHasher

    lines = []
    for hasher in (Argon2PasswordHasher(), YuiArgon2PasswordHasher()):
        encoded = hasher.encode(PASSWORD, hasher.salt())
        hasher.verify(PASSWORD, encoded)
        rounds = 20
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            hasher.verify(PASSWORD, encoded)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        lines.append(
            f"  {type(hasher).__name__:26} m={hasher.memory_cost // 1024} MiB t={hasher.time_cost} "
            f"p={hasher.parallelism}: {wall / rounds * 1000:6.1f} ms wall, "
            f"{cpu / rounds * 1000:6.1f} ms CPU per check"
        )
    return lines


def core_times() -> list[tuple[int, int]]:
    """(busy, total) jiffies of each core from /proc/stat."""
    cores = []
    with open("/proc/stat") as stat:
        for line in stat:
            name, *values = line.split()
            if name.startswith("cpu") and name != "cpu":
                numbers = [int(v) for v in values]
                idle = numbers[3] + numbers[4]  # idle + iowait
                cores.append((sum(numbers) - idle, sum(numbers)))
    return cores


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) of these processes so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def server_pids(root: int) -> list[int]:
    """The server process and its worker processes."""
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == root:
                    pids.append(int(entry.name))
    return pids


@dataclass
class Results:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    users: int = 0
    late: list[float] = field(default_factory=list)  # how late arrivals started

    def record(self, step: str, started: float, response: httpx.Response | None) -> Any:
        self.seconds[step].append(time.perf_counter() - started)
        if response is None:
            return None
        kind = response.headers.get("content-type", "").split(";")[0] or "none"
        if "json" not in kind:
            self.errors[f"{step}: HTTP {response.status_code} {kind}"] += 1
            return None
        body = response.json()
        if response.status_code != 200:
            code = body.get("error") or _codes(body)
            if "retry-after" in response.headers:
                code += " (Retry-After)"
            self.errors[f"{step}: HTTP {response.status_code} {code}"] += 1
            return None
        if isinstance(body, dict) and body.get("errors"):
            self.errors[f"{step}: {_codes(body)}"] += 1
        return body


def _codes(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    return ",".join(sorted({str((e.get("extensions") or {}).get("code")) for e in errors or []}))


async def one_user(
    url: str, account: Account, town: Town, rng: random.Random, results: Results
) -> None:
    week = next_monday() - timedelta(days=7)
    variables = {
        "s": at(week, 0).isoformat(),
        "e": at(week + timedelta(days=7), 0).isoformat(),
    }
    async with httpx.AsyncClient(base_url=url, timeout=120.0, trust_env=False) as http:
        started = time.perf_counter()
        try:
            response = await http.post(
                "/auth/login",
                json={"tenant": account.tenant, "loginId": account.login_id, "password": PASSWORD},
            )
        except httpx.HTTPError as exc:
            results.record("sign-in", started, None)
            results.errors[f"sign-in: {type(exc).__name__}"] += 1
            return
        if results.record("sign-in", started, response) is None:
            return
        headers = {"X-CSRFToken": http.cookies.get("yui_csrftoken") or ""}

        async def graphql(step: str, query: str, values: dict[str, Any]) -> None:
            started = time.perf_counter()
            try:
                response = await http.post(
                    "/graphql", json={"query": query, "variables": values}, headers=headers
                )
            except httpx.HTTPError as exc:
                results.record(step, started, None)
                results.errors[f"{step}: {type(exc).__name__}"] += 1
                return
            results.record(step, started, response)

        await graphql("portal", PORTAL, variables)
        await graphql("search", SEARCH, {"q": rng.choice(SURNAMES)[0]})
        if rng.random() < 0.2:
            day = next_monday() + timedelta(days=rng.randrange(5))
            start = at(day, 9) + timedelta(minutes=30 * rng.randrange(20))
            await graphql(
                "booking",
                BOOK,
                {
                    "f": rng.choice(town.rooms),
                    "s": start.isoformat(),
                    "e": (start + timedelta(minutes=30)).isoformat(),
                },
            )


async def arrivals(
    url: str, data: DataSet, rate: float, seconds: float, rng: random.Random
) -> Results:
    results = Results()
    accounts = data.accounts[:]
    rng.shuffle(accounts)
    count = int(rate * seconds)
    tasks = []
    begin = time.perf_counter()
    for i in range(count):
        due = begin + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            results.late.append(-delay)
        account = accounts[i % len(accounts)]
        town = data.towns[account.tenant]
        tasks.append(asyncio.create_task(one_user(url, account, town, rng, results)))
        results.users += 1
    await asyncio.gather(*tasks)
    return results


def table(rate: float, results: Results, cores: list[float], server: float, client: float) -> str:
    lines = [f"\n== {rate:g} users/s: {results.users} users =="]
    lines.append(f"  {'step':10} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    every: list[float] = []
    for step in ("sign-in", "portal", "search", "booking"):
        values = results.seconds.get(step, [])
        every += values
        if values:
            lines.append(
                f"  {step:10} {len(values):8} {percentile(values, 0.5) * 1000:8.0f} "
                f"{percentile(values, 0.95) * 1000:8.0f} {max(values) * 1000:8.0f}"
            )
    if every:
        lines.append(
            f"  {'all':10} {len(every):8} {percentile(every, 0.5) * 1000:8.0f} "
            f"{percentile(every, 0.95) * 1000:8.0f} {max(every) * 1000:8.0f}"
        )
    errors = ", ".join(f"{kind} ×{n}" for kind, n in results.errors.most_common()) or "none"
    lines.append(f"  errors: {errors}")
    lines.append(
        "  CPU per core: "
        + " ".join(f"cpu{i} {share:.0%}" for i, share in enumerate(cores))
        + f"; server {server:.0%} of a core, load generator {client:.0%} of a core"
    )
    if results.late and max(results.late) > 0.1:
        lines.append(
            f"  (the load generator started arrivals up to {max(results.late):.2f} s late)"
        )
    return "\n".join(lines)


# --- the server --------------------------------------------------------------------------


@contextlib.contextmanager
def yui_serve(env: dict[str, str], log_path: Path, workers: int) -> Iterator[tuple[str, int]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = yui_command(
        "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        "--workers", str(workers),
    )  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own console script
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise SystemExit(f"`yui serve` exited:\n{log_path.read_text(errors='replace')}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=2, trust_env=False).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit(f"`yui serve` did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        if workers > 1:
            time.sleep(3)  # every worker up, not only the first
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def profiler(folder: str | None, pid: int, rate: float, seconds: float) -> Any:
    """py-spy sampling the server (and its workers) while one rate runs: collapsed stacks
    per thread in ``FOLDER/rate-R.txt`` (flamegraph.pl or speedscope read them)."""
    if folder is None:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    out = Path(folder) / f"rate-{rate:g}.txt"
    beside = Path(sys.executable).parent / "py-spy"
    spy = str(beside) if beside.exists() else "py-spy"
    command = [
        *(spy, "record", "--pid", str(pid), "--subprocesses", "--threads", "--idle"),
        *("--format", "raw", "--duration", str(int(seconds)), "--rate", "50"),
        *("--output", str(out)),
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--towns", type=int, default=3)
    parser.add_argument("--staff", type=int, default=300, help="staff per town")
    parser.add_argument("--rooms", type=int, default=6, help="meeting rooms per town")
    parser.add_argument("--rates", default="2,5,10", help="users arriving per second, each run")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long each rate runs")
    parser.add_argument("--workers", type=int, default=1, help="`yui serve --workers`")
    parser.add_argument("--db-threads", default=None, help="YUI_DB_THREADS of the server")
    parser.add_argument("--database-url", default=None, help="postgres://USER@HOST:PORT")
    parser.add_argument("--redis-url", default=None, help="redis://HOST:PORT/DB")
    parser.add_argument("--seed", type=int, default=20260401)
    parser.add_argument(
        "--profile",
        default=None,
        help="a folder: py-spy (pip install py-spy) samples the server at each rate into it",
    )
    parser.add_argument(
        "--cpu-profile",
        type=Path,
        default=None,
        help="a folder: only measure the CPU of one sign-in and of one portal query "
        "in-process (100 of each) and write cProfiles into it, instead of the arrivals",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    rng = random.Random(args.seed)  # noqa: S311 - generated data, not secrets

    with tempfile.TemporaryDirectory(prefix="yui-morning-") as tmp:
        directory = Path(tmp)
        with throwaway_database(args.database_url, directory) as database_url:
            env = bench_environment(directory, database_url)
            if args.db_threads is not None:
                env["YUI_DB_THREADS"] = args.db_threads
            if args.redis_url:
                env["YUI_REDIS_URL"] = args.redis_url
                env["YUI_CACHE_PREFIX"] = f"morning-{os.getpid()}"
            setup_django(env)
            print(f"machine: {cpu_count()} cores, {load_average()}")
            print(f"database: {engine_description()}; redis: {args.redis_url or 'no'}")
            print("password check (Argon2id):")
            print("\n".join(hash_cost()))
            built = time.perf_counter()
            data = build(args.towns, args.staff, args.rooms, rng)
            print(
                f"data set: {args.towns} towns × {args.staff} staff "
                f"({len(data.accounts)} accounts, {data.events} calendar entries, "
                f"{args.rooms} rooms a town) in {time.perf_counter() - built:.0f} s"
            )
            from django.db import connections

            connections.close_all()
            if args.cpu_profile is not None:
                profile_in_process(data, args.cpu_profile)
                return
            with yui_serve(env, directory / "serve.log", args.workers) as (url, pid):
                threads = env.get("YUI_DB_THREADS", "default")
                print(f"yui serve --workers {args.workers} at {url} (YUI_DB_THREADS {threads})")
                for rate in rates:
                    pids = server_pids(pid)
                    cores_before, server_before = core_times(), process_cpu(pids)
                    client_before, wall = time.process_time(), time.perf_counter()
                    spy = profiler(args.profile, pid, rate, args.seconds)
                    results = asyncio.run(arrivals(url, data, rate, args.seconds, rng))
                    if spy is not None:
                        spy.wait(timeout=args.seconds + 30)
                    wall = time.perf_counter() - wall
                    cores_after = core_times()
                    cores = [
                        (b1 - b0) / max(1, t1 - t0)
                        for (b0, t0), (b1, t1) in zip(cores_before, cores_after, strict=True)
                    ]
                    server = (process_cpu(pids) - server_before) / wall
                    client = (time.process_time() - client_before) / wall
                    print(table(rate, results, cores, server, client), flush=True)
                    time.sleep(2)
            log = (directory / "serve.log").read_text(errors="replace")
            noted = [line for line in log.splitlines() if "ERROR" in line or "locked" in line]
            if noted:
                print(f"\nserver log: {len(noted)} error lines, the last ones:")
                print("\n".join(noted[-8:]))
            print(f"\n{load_average()}; {datetime.now(TOKYO):%Y-%m-%d %H:%M} JST")


def profile_in_process(data: DataSet, folder: Path, requests: int = 100) -> None:
    """CPU per request of the morning's two heavy steps, through the application
    `yui serve` runs (Django for the sign-in, the embedded gateway for the portal)."""
    from yui.asgi import application

    def client(cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application),
            base_url="http://127.0.0.1",
            cookies=cookies,
            timeout=60,
        )

    accounts = iter(data.accounts * (requests // max(1, len(data.accounts)) + 2))
    signed_in: dict[str, Any] = {}

    async def sign_in() -> None:
        account = next(accounts)
        async with client() as http:
            response = await http.post(
                "/auth/login",
                json={"tenant": account.tenant, "loginId": account.login_id, "password": PASSWORD},
            )
            if response.status_code != 200 or not response.json().get("ok"):
                raise SystemExit(f"sign-in: HTTP {response.status_code} {response.text[:300]}")
            signed_in["cookies"] = http.cookies

    week = next_monday() - timedelta(days=7)
    variables = {"s": at(week, 0).isoformat(), "e": at(week + timedelta(days=7), 0).isoformat()}

    async def portal() -> None:
        cookies = signed_in["cookies"]
        async with client(cookies) as http:
            response = await http.post(
                "/graphql",
                json={"query": PORTAL, "variables": variables},
                headers={"X-CSRFToken": cookies.get("yui_csrftoken") or ""},
            )
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                raise SystemExit(f"portal: HTTP {response.status_code} {str(body)[:300]}")

    print(cpu_per_request(sign_in, requests, folder, "sign-in"))
    print(cpu_per_request(portal, requests, folder, "portal"))


if __name__ == "__main__":
    main()
