"""The federated API at /graphql, as real processes: embedded (`yui serve`, subgraphs
in-process) and distributed (`yui subgraph` per subgraph behind `yui gateway`)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.e2e.conftest import (
    Distributed,
    YuiServer,
    _start,
    _stop,
)
from tests.e2e.test_server import SignIn

JOIN = """{
  me { name department { name } presence { status label } }
  people(first: 3) { edges { node { name presence { label } } } }
}"""
SUBSCRIBE = "subscription { presenceChanged { label message person { name department { name } } } }"
SET = "mutation($m: String!) { setMyPresence(input: {status: OUT, message: $m}) { presence { label } errors { message } } }"


def gateway_post(client, query: str, variables: dict | None = None) -> dict:
    response = client.http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"X-CSRFToken": client.csrf_token() or ""},
    )
    assert response.status_code == 200, response.text
    return response.json()


def create_token(client) -> str:
    body = gateway_post(client, 'mutation { createAccessToken(name: "e2e") { token } }')
    return body["data"]["createAccessToken"]["token"]


def test_one_request_joins_people_and_presence(sign_in: SignIn) -> None:
    staff = sign_in("402125", "0656905")
    body = gateway_post(staff, JOIN)
    assert "errors" not in body, body
    me = body["data"]["me"]
    assert me["name"] == "山口 花子"
    assert me["department"] == {"name": "庶務係"}
    assert me["presence"]["label"] in {
        "未設定",
        "在席",
        "会議中",
        "外出",
        "離席",
        "出張",
        "休暇",
        "在宅勤務",
    }
    assert all(e["node"]["presence"]["label"] for e in body["data"]["people"]["edges"])


def test_graphql_over_get_and_csrf_on_the_gateway(sign_in: SignIn) -> None:
    staff = sign_in("402125", "0656905")
    got = staff.http.get("/graphql", params={"query": "{ me { name } }"})
    assert got.json() == {"data": {"me": {"name": "山口 花子"}}}
    refused = staff.http.post("/graphql", json={"query": "{ me { name } }"})
    assert refused.status_code == 403


async def _ws_events(url: str, headers: dict, init: dict, count: int, trigger) -> list[dict]:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(
        ws_url, subprotocols=["graphql-transport-ws"], additional_headers=headers
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": init}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        await socket.send(
            json.dumps({"id": "s1", "type": "subscribe", "payload": {"query": SUBSCRIBE}})
        )
        await asyncio.sleep(0.5)  # let the subscription join its channel group
        await trigger()
        events = []
        while len(events) < count:
            message = json.loads(await asyncio.wait_for(socket.recv(), 15))
            assert message["type"] == "next", message
            events.append(message["payload"])
        return events


def _cookie_header(client) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.http.cookies.items())


async def test_subscription_over_websocket_carries_fields_of_another_subgraph(
    sign_in: SignIn, yui_server: YuiServer
) -> None:
    staff = sign_in("402125", "0520529")

    async def trigger() -> None:
        await asyncio.to_thread(gateway_post, staff, SET, {"m": "本庁舎 2F 会議"})

    headers = {"Cookie": _cookie_header(staff), "Origin": yui_server.url}
    events = await _ws_events(yui_server.url, headers, {}, 1, trigger)
    change = events[0]["data"]["presenceChanged"]
    assert change["label"] == "外出" and change["message"] == "本庁舎 2F 会議"
    # name and department come from the people subgraph, resolved per event by the gateway
    assert change["person"] == {"name": "加藤 和也", "department": {"name": "庶務係"}}


async def test_cookie_websocket_from_a_foreign_page_is_refused(
    sign_in: SignIn, yui_server: YuiServer
) -> None:
    staff = sign_in("402125", "0656905")
    ws_url = yui_server.url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(
        ws_url,
        subprotocols=["graphql-transport-ws"],
        additional_headers={"Cookie": _cookie_header(staff), "Origin": "https://evil.example"},
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_subscription_over_sse(sign_in: SignIn, yui_server: YuiServer) -> None:
    staff = sign_in("402125", "0468772")
    token = create_token(staff)
    async with (
        httpx.AsyncClient(base_url=yui_server.url, timeout=20, trust_env=False) as http,
        http.stream(
            "POST",
            "/graphql",
            json={"query": SUBSCRIBE},
            headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
        ) as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        await asyncio.sleep(0.5)
        mutated = await http.post(
            "/graphql",
            json={"query": SET, "variables": {"m": "SSE で確認"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert mutated.json()["data"]["setMyPresence"]["errors"] == []
        buffer = ""
        async for chunk in stream.aiter_text():
            buffer += chunk
            if "\n\n" in buffer:
                break
    event, data = buffer.split("\n\n")[0].split("\n", 1)
    assert event == "event: next"
    payload = json.loads(data.removeprefix("data: "))
    change = payload["data"]["presenceChanged"]
    assert change["message"] == "SSE で確認"
    assert change["person"]["name"] == "遠藤 英樹"


# --- distributed -------------------------------------------------------------------------


def test_distributed_gateway_answers_the_same_join(
    distributed: Distributed, sign_in: SignIn
) -> None:
    token = create_token(sign_in("406210", "0139154"))
    response = httpx.post(
        distributed.gateway + "/graphql",
        json={"query": JOIN},
        headers={"Authorization": f"Bearer {token}"},
        trust_env=False,
        timeout=20,
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["me"]["name"] == "清水 七夏"
    assert body["data"]["me"]["presence"]["label"]
    anonymous = httpx.post(
        distributed.gateway + "/graphql", json={"query": "{ me { name } }"}, trust_env=False
    )
    assert anonymous.json() == {"data": {"me": None}}


def test_distributed_calendar_books_a_car_through_the_facilities_service(
    distributed: Distributed, sign_in: SignIn
) -> None:
    """calendar → facilities → people over HTTP with the signed principal header."""
    import datetime as dt

    token = create_token(sign_in("402125", "0656905"))

    def post(query: str, variables: dict | None = None) -> dict:
        response = httpx.post(
            distributed.gateway + "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
            trust_env=False,
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    groups = post("{ facilityGroups { name facilities { id name } } }")["facilityGroups"]
    car = next(g for g in groups if g["name"] == "公用車")["facilities"][0]
    day = dt.date.today() + dt.timedelta(days=11)
    window = {"s": f"{day}T00:00:00+09:00", "e": f"{day + dt.timedelta(days=1)}T00:00:00+09:00"}
    made = post(
        """mutation($input: CreateEventInput!) {
          createEvent(input: $input) { event { id } errors { code message } } }""",
        {
            "input": {
                "title": "現地調査",
                "start": f"{day}T09:00:00+09:00",
                "end": f"{day}T10:30:00+09:00",
                "facilityIds": [car["id"]],
            }
        },
    )["createEvent"]
    assert made["errors"] == [], made
    mine = post(
        """query($s: DateTime!, $e: DateTime!) {
          myReservations(start: $s, end: $e) { eventId start facility { name } requester { name } }
        }""",
        window,
    )["myReservations"]
    assert [(r["eventId"], r["facility"]["name"]) for r in mine] == [
        (made["event"]["id"], car["name"])
    ]
    assert mine[0]["requester"]["name"] == "山口 花子"
    cancelled = post(
        "mutation($id: ID!) { cancelEvent(id: $id) { errors { code } } }",
        {"id": made["event"]["id"]},
    )
    assert cancelled["cancelEvent"]["errors"] == []
    left = post(
        "query($s: DateTime!, $e: DateTime!) { myReservations(start: $s, end: $e) { id } }",
        window,
    )
    assert left["myReservations"] == []


def test_subgraph_services_refuse_requests_not_signed_by_the_gateway(
    distributed: Distributed, sign_in: SignIn
) -> None:
    token = create_token(sign_in("406210", "0139154"))
    for url in distributed.subgraphs.values():
        direct = httpx.post(
            url,
            json={"query": "{ _service { sdl } }"},
            headers={"Authorization": f"Bearer {token}"},
            trust_env=False,
        )
        assert direct.status_code == 401
        forged = httpx.post(
            url,
            json={"query": "{ _service { sdl } }"},
            headers={"X-Yui-Principal": "v1.9999999999.e30.AAAA"},
            trust_env=False,
        )
        assert forged.status_code == 401


async def test_distributed_subscription_resolves_people_fields_per_event(
    distributed: Distributed, sign_in: SignIn
) -> None:
    staff = sign_in("406210", "0390319")
    token = create_token(staff)

    async def trigger() -> None:
        async with httpx.AsyncClient(trust_env=False, timeout=20) as http:
            response = await http.post(
                distributed.gateway + "/graphql",
                json={"query": SET, "variables": {"m": "分散構成"}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.json()["data"]["setMyPresence"]["errors"] == []

    events = await _ws_events(
        distributed.gateway, {}, {"authorization": f"Bearer {token}"}, 1, trigger
    )
    change = events[0]["data"]["presenceChanged"]
    assert change["message"] == "分散構成"
    assert change["person"]["name"] == "中島 健一"


def test_a_stopped_subgraph_gives_partial_data_and_the_gateway_recovers(
    distributed: Distributed, sign_in: SignIn
) -> None:
    token = create_token(sign_in("406210", "0139154"))
    headers = {"Authorization": f"Bearer {token}"}
    query = "{ me { name } myPresence { label } }"
    _stop(distributed.processes["presence"])
    try:
        body = httpx.post(
            distributed.gateway + "/graphql",
            json={"query": query},
            headers=headers,
            trust_env=False,
            timeout=20,
        ).json()
        assert body["data"]["me"] == {"name": "清水 七夏"}
        assert body["data"]["myPresence"] is None
        assert body["errors"][0]["extensions"]["serviceName"] == "presence"
    finally:
        port = distributed.subgraphs["presence"].rsplit(":", 1)[1].split("/")[0]
        distributed.processes["presence"] = _start(
            "presence-again",
            ["subgraph", "presence", "--port", port],
            distributed.env,
            distributed.logs,
            distributed.subgraphs["presence"],
        )
    healed = httpx.post(
        distributed.gateway + "/graphql",
        json={"query": query},
        headers=headers,
        trust_env=False,
        timeout=20,
    ).json()
    assert "errors" not in healed and healed["data"]["myPresence"]["label"]


# --- calendar and facilities through the gateway ------------------------------------------


def test_department_week_in_one_round_trip(sign_in: SignIn) -> None:
    import datetime as dt

    staff = sign_in("402125", "0656905")
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    department = gateway_post(staff, "{ me { department { id } } }")["data"]["me"]["department"]
    week = gateway_post(
        staff,
        """query($d: ID!, $s: DateTime!, $e: DateTime!) {
          organization(id: $d) {
            name
            members { name presence { label } events(start: $s, end: $e) { title start } }
          }
          holidays(start: "2026-05-01", end: "2026-05-08") { date name }
        }""",
        {
            "d": department["id"],
            "s": f"{monday.isoformat()}T00:00:00+09:00",
            "e": f"{(monday + dt.timedelta(days=7)).isoformat()}T00:00:00+09:00",
        },
    )
    assert "errors" not in week, week
    members = {m["name"]: m for m in week["data"]["organization"]["members"]}
    # the three demo staff are one team: the weekly 課内会議 (Mondays 10:00) of 山口 (係長)
    # with her two colleagues shows in the week of each of them
    for name in ("山口 花子", "加藤 和也", "遠藤 英樹"):
        assert any(e["title"] == "課内会議" for e in members[name]["events"]), members
    assert {"date": "2026-05-06", "name": "憲法記念日 振替休日"} in week["data"]["holidays"]


def test_fifty_concurrent_bookings_of_one_car_through_the_gateway(sign_in: SignIn) -> None:
    """Exactly one wins; the others get the typed conflict naming the winner's period.
    On PostgreSQL (CI's second pass) the exclusion constraint decides races."""
    import concurrent.futures
    import datetime as dt

    staff = sign_in("402125", "0656905")
    token = create_token(staff)
    groups = gateway_post(staff, "{ facilityGroups { name facilities { id name } } }")
    cars = next(g for g in groups["data"]["facilityGroups"] if g["name"] == "公用車")
    car = cars["facilities"][-1]["id"]
    day = dt.date.today() + dt.timedelta(days=9)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    start = f"{day.isoformat()}T13:00:00+09:00"
    mutation = """mutation($f: ID!, $s: DateTime!, $e: DateTime!, $p: String!) {
      createReservation(input: {facilityId: $f, start: $s, end: $e, purpose: $p}) {
        __typename
        ... on ReservationPayload { reservation { id status } }
        ... on ReservationConflict { conflicts { start end requester { name } } }
        ... on ReservationRefused { errors { message } }
      }
    }"""

    def attempt(i: int) -> dict:
        response = httpx.post(
            staff.server.url + "/graphql",
            json={
                "query": mutation,
                "variables": {
                    "f": car,
                    "s": start,
                    "e": f"{day.isoformat()}T14:{i % 30:02d}:00+09:00",
                    "p": f"試験 {i}",
                },
            },
            headers={"Authorization": f"Bearer {token}"},
            trust_env=False,
            timeout=60,
        )
        return response.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    kinds = [r["data"]["createReservation"]["__typename"] for r in results if "data" in r]
    assert len(kinds) == 50, [r for r in results if "data" not in r][:3]
    assert kinds.count("ReservationPayload") == 1, kinds
    assert kinds.count("ReservationConflict") == 49, kinds
    conflict = next(
        r for r in results if r["data"]["createReservation"]["__typename"] == "ReservationConflict"
    )
    # the owner's name comes from the people subgraph through the gateway
    assert conflict["data"]["createReservation"]["conflicts"][0]["requester"]["name"] == "山口 花子"


def test_twenty_concurrent_bookings_of_a_pool_of_five_through_the_gateway(
    sign_in: SignIn,
) -> None:
    """A pool of 5 lending PCs: exactly five of twenty overlapping requests win."""
    import concurrent.futures
    import datetime as dt

    staff = sign_in("402125", "0656905")
    token = create_token(staff)
    groups = gateway_post(staff, "{ facilityGroups { name facilities { id poolSize } } }")
    [pcs] = next(g for g in groups["data"]["facilityGroups"] if g["name"] == "貸出PC")["facilities"]
    assert pcs["poolSize"] == 5
    day = dt.date.today() + dt.timedelta(days=12)
    mutation = """mutation($f: ID!, $s: DateTime!, $e: DateTime!) {
      createReservation(input: {facilityId: $f, start: $s, end: $e}) { __typename } }"""

    def attempt(i: int) -> dict:
        variables = {
            "f": pcs["id"],
            "s": f"{day}T10:{i:02d}:00+09:00",
            "e": f"{day}T12:00:00+09:00",
        }
        response = httpx.post(
            staff.server.url + "/graphql",
            json={"query": mutation, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            trust_env=False,
            timeout=60,
        )
        return response.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    kinds = [r["data"]["createReservation"]["__typename"] for r in results if "data" in r]
    assert len(kinds) == 20, results
    assert kinds.count("ReservationPayload") == 5, kinds
    assert kinds.count("ReservationConflict") == 15, kinds
