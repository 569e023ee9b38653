"""The department week (組織週間) in one round trip through the gateway: the people
subgraph lists the department's members, the calendar subgraph adds each one's
occurrences and the department's own entries, with visibility and tenancy applied."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from asgiref.sync import async_to_sync

import yui.federation
from gateway.engine import Gateway
from gateway.executor import RequestContext
from gateway.transports import InProcessTransport
from subgraphs.people.models import Person
from tests.calendar import create_event, iso, jst, principal_of
from yui import edge
from yui.registry import SUBGRAPHS, subgraph_schema

DEPARTMENT_WEEK = """query($org: ID!, $start: DateTime!, $end: DateTime!) {
  organization(id: $org) {
    name
    events(start: $start, end: $end) { title start allDay }
    members { name events(start: $start, end: $end) { title start organizer { name } } }
  }
}"""
WINDOW = {"start": iso(2026, 4, 6), "end": iso(2026, 4, 13)}


@pytest.fixture(scope="module")
def gateway() -> Gateway:
    transports = {
        name: InProcessTransport(subgraph_schema(name), edge.subgraph_context) for name in SUBGRAPHS
    }
    return Gateway(yui.federation.supergraph_sdl(), transports)


def run(gateway: Gateway, viewer: Person, query: str, variables: dict) -> dict[str, Any]:
    context = RequestContext(principal=principal_of(viewer))
    response = async_to_sync(gateway.execute)(query, variables, context=context)
    assert "errors" not in response.payload, response.payload
    return response.payload["data"]  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_the_department_week_in_one_request(gateway, okawa):
    kakari, shuji = okawa.people["kakari"], okawa.people["shuji"]
    shomu = okawa.orgs["shomu"]  # 庶務係: 山﨑 花子 (係長), 佐藤 次郎
    create_event(
        kakari,
        title="係内打合せ",
        starts_at=jst(2026, 4, 6, 10),
        ends_at=jst(2026, 4, 6, 11),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        attendee_ids=[shuji.id],
    )
    create_event(
        shuji,
        title="通院",
        visibility="PRIVATE",
        starts_at=jst(2026, 4, 8, 9),
        ends_at=jst(2026, 4, 8, 10),
    )
    create_event(
        kakari,
        title="窓口当番",
        all_day=True,
        start_date=date(2026, 4, 9),
        end_date=date(2026, 4, 10),
        owner_department_id=shomu.id,
    )
    data = run(gateway, kakari, DEPARTMENT_WEEK, {"org": str(shomu.id), **WINDOW})
    org = data["organization"]
    assert org["name"] == "庶務係"
    assert org["events"] == [{"title": "窓口当番", "start": iso(2026, 4, 9), "allDay": True}]
    members = {m["name"]: m["events"] for m in org["members"]}
    meeting = {
        "title": "係内打合せ",
        "start": iso(2026, 4, 6, 10),
        "organizer": {"name": "山﨑 花子"},
    }
    # she organised the department's 窓口当番 too, so it is in her row as well
    assert members["山﨑 花子"] == [
        meeting,
        {"title": "窓口当番", "start": iso(2026, 4, 9), "organizer": {"name": "山﨑 花子"}},
    ]
    # 佐藤's private 通院 shows to 山﨑 as busy time only, without the organizer
    assert members["佐藤 次郎"] == [
        meeting,
        {"title": "予定あり", "start": iso(2026, 4, 8, 9), "organizer": None},
    ]
    # ... and to 佐藤 himself in full
    mine = run(gateway, shuji, DEPARTMENT_WEEK, {"org": str(shomu.id), **WINDOW})
    titles = {m["name"]: [e["title"] for e in m["events"]] for m in mine["organization"]["members"]}
    assert titles["佐藤 次郎"] == ["係内打合せ", "通院"]


@pytest.mark.django_db
def test_another_municipality_gets_no_department_week(gateway, okawa, kanda):
    create_event(okawa.people["kakari"], starts_at=jst(2026, 4, 6, 10), ends_at=jst(2026, 4, 6, 11))
    data = run(
        gateway,
        kanda.people["kakari"],
        DEPARTMENT_WEEK,
        {"org": str(okawa.orgs["shomu"].id), **WINDOW},
    )
    assert data["organization"] is None


WEEK_WITH_PRESENCE = """query($org: ID!, $start: DateTime!, $end: DateTime!) {
  organization(id: $org) {
    events(start: $start, end: $end) { title }
    members {
      name
      presence { label }
      events(start: $start, end: $end) {
        title start end allDay location category visibility isRecurring isMoved recurrenceId
        attendees { response }
        event { version rrule canEdit exdates start end attendees { response } }
      }
    }
  }
}"""


@pytest.mark.django_db
def test_a_department_week_of_10_or_100_members_costs_the_same_queries_per_subgraph(gateway, okawa):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from subgraphs.people import actions as people_actions

    admin = principal_of(okawa.admin)

    def department(code: str, size: int) -> Any:
        org = people_actions.do_create_organization(
            admin, {"code": code, "name": f"{size}人の係", "parent_id": okawa.orgs["soumuka"].id}
        ).obj
        staff = [
            people_actions.do_create_person(
                admin,
                {"login_id": f"{code}{i:03}", "name": f"職員 {i}", "department_id": org.id},
            ).obj
            for i in range(size)
        ]
        create_event(
            staff[0],
            title="係内打合せ",
            starts_at=jst(2026, 4, 6, 10),
            ends_at=jst(2026, 4, 6, 11),
            rrule="FREQ=WEEKLY;BYDAY=MO",
            attendee_ids=[p.id for p in staff[1:]],
        )
        for person in staff[::2]:
            create_event(
                person, title="出張", starts_at=jst(2026, 4, 8, 9), ends_at=jst(2026, 4, 8, 17)
            )
        return org

    viewer = okawa.people["kakari"]
    counts = {}
    for size, code in ((10, "0110"), (100, "0111")):
        org = department(code, size)
        run(gateway, viewer, WEEK_WITH_PRESENCE, {"org": str(org.id), **WINDOW})  # warm
        with CaptureQueriesContext(connection) as queries:
            data = run(gateway, viewer, WEEK_WITH_PRESENCE, {"org": str(org.id), **WINDOW})
        members = data["organization"]["members"]
        assert len(members) == size
        assert sum(len(m["events"]) for m in members) == size + (size + 1) // 2
        counts[size] = {
            subgraph: sum(f'"{subgraph}_' in q["sql"] for q in queries.captured_queries)
            for subgraph in ("people", "presence", "calendar")
        }
    assert counts[10] == counts[100], counts
    assert all(counts[10].values()), counts  # each subgraph was asked, in a few queries
