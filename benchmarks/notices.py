"""The portal's one request, notice panels included: ``python -m benchmarks.notices``.

Options: ``[--staff 4410] [--notices 1200] [--requests 200] [--warmup 10]
[--database-url postgres://USER@HOST:PORT[/ignored]] [--profile DIR] [--sql CHARS]``.

Sets up a throwaway database (as ``benchmarks.calendar_week`` does: a SQLite file, or a
fresh ``yui_bench_<random>`` PostgreSQL database dropped at the end) with one municipality
of ``--staff`` staff (30 部 × 3 係; the reference council's whole deployment in one tenant,
the worst case for notices to everyone) and a year of the notices subgraph's data: about
five notices a working day (15 % to the whole municipality, the rest to a department or
two), four circulations a working day to a 係, a survey a week (some to everyone); older
items mostly read, confirmed or answered, the last weeks' mostly not.

People and departments are made through the people actions; the year of notices is written
with the notices models directly: posting through the actions expands every audience
through the people subgraph, which is the same rows and an hour of setup.

Then the portal's request (``PortalPage`` of the SPA with its fragments: me, today and the
week, the department's presence, holidays, reservations, the notice panels with their
counts, links) is asked ``--requests`` times in a row in-process through
``yui.federation.embedded_app()`` as a staff member of an ordinary 係, and its SQL queries
are counted. Prints p50 / p95 (target: p50 under 50 ms embedded) with the machine's load.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.calendar_week import (
    GcPauses,
    bench_environment,
    cpu_count,
    cpu_per_request,
    engine_description,
    in_process_client,
    latency_line,
    load_average,
    setup_django,
    table_of,
    throwaway_database,
)
from benchmarks.csv_import import GIVEN_NAMES, SURNAMES

PORTAL_QUERY = """query PortalPage($dayStart: DateTime!, $dayEnd: DateTime!,
    $weekStart: DateTime!, $weekEnd: DateTime!, $firstDay: Date!, $afterLastDay: Date!) {
  me {
    id name title roles
    department { id name members { id name title presence { status message } } }
    presence { status message updatedAt version }
    today: events(start: $dayStart, end: $dayEnd) { start end allDay title location }
    week: events(start: $weekStart, end: $weekEnd) {
      start end allDay startDate endDate title location }
    unreadNoticeCount pendingCirculationCount openSurveyCount
    unreadMailCount unreadDirectMessageCount
  }
  holidays(start: $firstDay, end: $afterLastDay) { date name }
  myReservations(start: $dayStart, end: $dayEnd) { id start end status facility { id name } }
  pendingReservationCount
  portalNotices: notices(first: 5) { id title importance pinned isRead }
  portalCirculations: circulations(folder: UNCONFIRMED, first: 5) {
    id title sender { id name } }
  portalSurveys: surveys(first: 5) { id title closesAt myAnsweredAt }
  links { id title url description category opensInNewTab }
}"""

# The notices subgraph's part of it alone (the panels and their counts).
PANELS_QUERY = """query NoticePanels {
  me { id unreadNoticeCount pendingCirculationCount openSurveyCount }
  portalNotices: notices(first: 5) { id title importance pinned isRead }
  portalCirculations: circulations(folder: UNCONFIRMED, first: 5) { id title sender { id } }
  portalSurveys: surveys(first: 5) { id title closesAt myAnsweredAt }
}"""

NOTICE_TITLES = [
    "庁舎内の停電作業について",
    "健康診断の日程",
    "システムメンテナンスのお知らせ",
    "年末年始の窓口体制",
    "研修受講者の募集",
    "防災訓練の実施",
    "人事異動内示",
    "福利厚生事業のご案内",
]
CIRCULATION_TITLES = ["出張復命書", "会議録の回覧", "予算要求資料", "通知文の確認", "研修報告"]
SURVEY_TITLES = ["職員満足度調査", "テレワーク利用状況", "研修ニーズ調査", "庁内LAN利用状況"]


def build_people(staff: int, rng: random.Random) -> dict[str, Any]:
    from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
    from subgraphs.people import actions as people

    def ok(outcome: Any) -> Any:
        assert outcome.ok, outcome.errors
        return outcome.obj

    tenant = ok(people.do_add_tenant("999002", "ベンチ県", "bench-notices"))
    admin = Principal(tenant_id=tenant.id, person_id=None, roles=frozenset({ROLE_TENANT_ADMIN}))
    sections = []
    for b in range(30):
        bu = ok(people.do_create_organization(admin, {"code": f"{b:02d}", "name": f"第{b}部"}))
        for k in range(3):
            sections.append(
                ok(
                    people.do_create_organization(
                        admin,
                        {"code": f"{b:02d}{k:02d}", "name": f"第{b}部{k}係", "parent_id": bu.id},
                    )
                )
            )
    persons: list[Any] = []
    by_section: dict[Any, list[Any]] = {s.id: [] for s in sections}
    for i in range(staff):
        surname, surname_kana = rng.choice(SURNAMES)
        given, given_kana, _ = rng.choice(GIVEN_NAMES)
        section = sections[i % len(sections)]
        person = ok(
            people.do_create_person(
                admin,
                {
                    "login_id": f"{i + 1:07d}",
                    "name": f"{surname} {given}",
                    "name_kana": f"{surname_kana} {given_kana}",
                    "department_id": section.id,
                    "title": "主事",
                    "title_code": "600",
                    "sort_order": i,
                },
            )
        )
        persons.append(person)
        by_section[section.id].append(person.id)
    viewer = persons[len(sections) * 2]  # an ordinary 主事 of 第0部0係
    token = people.do_create_access_token(viewer, "benchmark", None).extra["token"]
    return {
        "tenant_id": tenant.id,
        "person_ids": [p.id for p in persons],
        "by_section": by_section,
        "viewer": viewer,
        "token": token,
    }


def insert_recipients(model: Any, rows: list[tuple[Any, Any, Any, datetime | None]]) -> None:
    """(tenant, notice, person, read at) rows by executemany: a year to everyone is most of a
    million rows, which model instances and bulk_create take many minutes to write."""
    from django.db import connection

    fields = [model._meta.get_field(n) for n in ("tenant_id", "notice", "person_id", "read_at")]
    table = model._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608 - our own table and columns
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                tuple(f.get_db_prep_value(v, connection) for f, v in zip(fields, row, strict=True))
                for row in rows
            ],
        )


def build_year(world: dict[str, Any], notices: int, rng: random.Random) -> Counter[str]:
    """A year of notices, circulations and surveys, written with the models."""
    from django.db import transaction

    from subgraphs.notices import models as m

    tenant_id = world["tenant_id"]
    everyone: list[Any] = world["person_ids"]
    sections: list[list[Any]] = list(world["by_section"].values())
    viewer_id = world["viewer"].id
    now = datetime.now(UTC)
    made: Counter[str] = Counter()

    def read_at(posted: datetime) -> datetime | None:
        age = (now - posted).days
        share = 0.97 if age > 30 else 0.7 if age > 7 else 0.3
        return posted + timedelta(hours=rng.randint(1, 48)) if rng.random() < share else None

    def when(n: int, total: int) -> datetime:
        return now - timedelta(days=365 * (total - n) / total, minutes=rng.randint(0, 600))

    with transaction.atomic():
        categories = [
            m.NoticeCategory.objects.create(tenant_id=tenant_id, name=name, sort_order=n)
            for n, name in enumerate(["庁内連絡", "人事", "福利厚生", "システム"])
        ]
    # One transaction: a commit per notice was most of the setup time.
    with transaction.atomic():
        for n in range(notices):
            posted = when(n, notices)
            if rng.random() < 0.15:
                audience, people = {"everyone": True}, everyone
            else:
                chosen = rng.sample(sections, rng.choice([1, 2]))
                people = [p for s in chosen for p in s]
                audience = {"everyone": False}
            author = rng.choice(everyone)
            notice = m.Notice.objects.create(
                tenant_id=tenant_id,
                category=rng.choice(categories),
                author_id=author,
                title=rng.choice(NOTICE_TITLES),
                body="<p>詳細は添付のとおりです。</p>",
                importance=rng.choice(["NORMAL"] * 6 + ["HIGH", "URGENT", "LOW"]),
                audience=audience,
                starts_at=posted,
                ends_at=posted + timedelta(days=rng.choice([14, 30, 90])),
                pinned=rng.random() < 0.02,
                created_at=posted,
            )
            insert_recipients(
                m.NoticeRecipient,
                [(tenant_id, notice.id, p, read_at(posted)) for p in people if p != author],
            )
            made["notices"] += 1
            made["notice recipients"] += len(people)
    circulations = notices * 4 // 5
    with transaction.atomic():
        for n in range(circulations):
            sent = when(n, circulations)
            section = rng.choice(sections)
            sender = rng.choice(section)
            done = rng.random() < (0.9 if (now - sent).days > 30 else 0.2)
            circulation = m.Circulation.objects.create(
                tenant_id=tenant_id,
                sender_id=sender,
                title=rng.choice(CIRCULATION_TITLES),
                status="COMPLETED" if done else "SENT",
                created_at=sent,
                sent_at=sent,
                completed_at=sent + timedelta(days=7) if done else None,
            )
            m.CirculationRecipient.objects.bulk_create(
                [
                    m.CirculationRecipient(
                        tenant_id=tenant_id,
                        circulation=circulation,
                        person_id=p,
                        opened_at=read_at(sent),
                        confirmed_at=read_at(sent),
                    )
                    for p in section
                    if p != sender
                ]
            )
            made["circulations"] += 1
    surveys = 52
    with transaction.atomic():
        for n in range(surveys):
            opened = when(n, surveys)
            people = everyone if n % 5 == 0 else rng.choice(sections)
            survey = m.Survey.objects.create(
                tenant_id=tenant_id,
                owner_id=rng.choice(everyone),
                title=rng.choice(SURVEY_TITLES),
                opens_at=opened,
                closes_at=opened + timedelta(days=14),
                created_at=opened,
            )
            m.SurveyQuestion.objects.create(
                tenant_id=tenant_id,
                survey=survey,
                position=0,
                kind="SINGLE_CHOICE",
                text="満足度",
                choices=["高い", "普通", "低い"],
            )
            m.SurveyRecipient.objects.bulk_create(
                [
                    m.SurveyRecipient(
                        tenant_id=tenant_id, survey=survey, person_id=p, answered_at=read_at(opened)
                    )
                    for p in people
                ],
                batch_size=2000,
            )
            made["surveys"] += 1
    # The viewer's own panels: what they have pending now.
    made["viewer's unread notices"] = m.NoticeRecipient.objects.filter(
        person_id=viewer_id, read_at__isnull=True
    ).count()
    return made


def portal_variables() -> dict[str, str]:
    from zoneinfo import ZoneInfo

    tokyo = ZoneInfo("Asia/Tokyo")
    today = datetime.now(tokyo).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    return {
        "dayStart": today.isoformat(),
        "dayEnd": (today + timedelta(days=1)).isoformat(),
        "weekStart": monday.isoformat(),
        "weekEnd": (monday + timedelta(days=7)).isoformat(),
        "firstDay": monday.date().isoformat(),
        "afterLastDay": (monday + timedelta(days=7)).date().isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=4410)
    parser.add_argument("--notices", type=int, default=1200)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument(
        "--database-url",
        help="postgres://USER@HOST:PORT: run on a new yui_bench_<random> database there "
        "(dropped at the end); default: a SQLite file in a temporary directory",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="also print the portal request's CPU time and write its cProfile to DIR",
    )
    parser.add_argument(
        "--sql",
        type=int,
        default=0,
        metavar="CHARS",
        help="also print each SQL query of the portal request (its first CHARS characters)",
    )
    args = parser.parse_args()
    if args.staff < 300:
        parser.error("--staff: at least 300")

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
        from django.test.utils import CaptureQueriesContext

        print(f"database: {engine_description()}, Django {get_version()}")
        rng = random.Random(2026)  # noqa: S311 (reproducible test data)
        started = time.perf_counter()
        world = build_people(args.staff, rng)
        print(f"setup: {args.staff} staff in 90 係 in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        made = build_year(world, args.notices, rng)
        print(
            "setup: a year of "
            + ", ".join(f"{n} {kind}" for kind, n in made.items())
            + f" in {time.perf_counter() - started:.1f} s"
        )

        from yui.federation import embedded_app
        from yui.heap import settle

        app = embedded_app()
        settle()
        payload = {"query": PORTAL_QUERY, "variables": portal_variables()}

        async def run(payload: dict[str, Any]) -> tuple[list[float], dict[str, Any]]:
            body: dict[str, Any] = {}
            async with in_process_client(app, world["token"]) as http:
                for _ in range(args.warmup):
                    body = (await http.post("/graphql", json=payload)).json()
                if "errors" in body or "data" not in body:
                    raise SystemExit(f"the request failed: {str(body)[:1000]}")
                seconds = []
                for _ in range(args.requests):
                    begun = time.perf_counter()
                    response = await http.post("/graphql", json=payload)
                    seconds.append(time.perf_counter() - begun)
                    if response.status_code != 200:
                        raise SystemExit(f"HTTP {response.status_code} {response.text[:500]}")
            return seconds, body

        def queries_of(payload: dict[str, Any]) -> list[dict[str, str]]:
            async def once() -> None:
                async with in_process_client(app, world["token"]) as http:
                    await http.post("/graphql", json=payload)

            with CaptureQueriesContext(connection) as captured:
                async_to_sync(once)()
            return list(captured.captured_queries)

        print(f"\n1. the portal's request as a 主事 of 第0部0係 ({load_average()})")
        with GcPauses() as pauses:
            seconds, body = async_to_sync(run)(payload)
        print(latency_line("embedded_app() in-process (ASGI):", seconds))
        print(pauses.line(args.requests + args.warmup))
        me = body["data"]["me"]
        print(
            f"  panels: {me['unreadNoticeCount']} unread notices, "
            f"{me['pendingCirculationCount']} pending circulations, "
            f"{me['openSurveyCount']} open surveys; "
            f"{len(body['data']['portalNotices'])} / {len(body['data']['portalCirculations'])} / "
            f"{len(body['data']['portalSurveys'])} listed; "
            f"{len(me['department']['members'])} department members"
        )
        ms = [s * 1000 for s in seconds]
        verdict = "met" if statistics.median(ms) < 50 else "NOT met"
        print(f"  target p50 < 50 ms embedded: {verdict}")
        queries = queries_of(payload)
        tables = Counter(table_of(q["sql"]) for q in queries)
        print(f"  SQL queries of one request: {len(queries)}")
        for table, n in tables.most_common():
            print(f"    {table:<36} {n:3d}")
        if args.sql:
            for q in queries:
                print(f"    {float(q['time']) * 1000:6.2f} ms  {q['sql'][: args.sql]}")

        if args.profile is not None:

            async def portal_once() -> None:
                async with in_process_client(app, world["token"]) as http:
                    await http.post("/graphql", json=payload)

            print("  " + cpu_per_request(portal_once, 50, args.profile, "notices_portal"))

        panels = {"query": PANELS_QUERY, "variables": {}}
        print(f"\n2. the notice panels alone, the notices subgraph's share ({load_average()})")
        seconds, _ = async_to_sync(run)(panels)
        print(latency_line("embedded_app() in-process (ASGI):", seconds))
        notices_sql = [q for q in queries_of(panels) if table_of(q["sql"]).startswith("notices_")]
        sql_ms = sum(float(q["time"]) for q in notices_sql) * 1000
        print(
            f"  SQL queries on notices tables: {len(notices_sql)}, {sql_ms:.1f} ms in the database"
        )
        connection.close()


if __name__ == "__main__":
    main()
