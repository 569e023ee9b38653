"""The forced password change: an account whose password an administrator issued may sign
in, but the API answers only ``me`` and ``changePassword`` until the person has chosen
their own, whether asked with a session, a personal access token, through the gateway
or in a subscription."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from django.test import Client

from subgraphs.core import signing
from subgraphs.core.graphql.context import YuiContext
from subgraphs.core.principal import Principal
from subgraphs.people import actions
from subgraphs.people.auth import principal_for
from subgraphs.people.models import Person
from subgraphs.presence.graphql.schema import schema as presence_schema
from tests.conftest import PEOPLE_URL, Municipality, build_municipality

RESET = (
    "mutation($id: ID!, $pw: String, $require: Boolean! = true) {"
    " resetPassword(personId: $id, newPassword: $pw, requirePasswordChange: $require)"
    " { ok generatedPassword errors { code } } }"
)
ME = "{ me { loginId mustChangePassword } }"
CHANGE = (
    "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n)"
    " { ok errors { code field } } }"
)
ISSUED = "issued-by-admin-42"
CHOSEN = "my-own-choice-2026"


def code_of(body: dict) -> str | None:
    errors = body.get("errors") or []
    return errors[0]["extensions"]["code"] if errors else None


def reset(m: Municipality, key: str, password: str = ISSUED, require: bool = True) -> None:
    out = m.api(m.admin).data(
        RESET, {"id": str(m.people[key].id), "pw": password, "require": require}
    )["resetPassword"]
    assert out["ok"], out


def sign_in(client: Client, login_id: str, password: str) -> dict:
    response = client.post(
        "/auth/login",
        data=json.dumps({"tenant": "402125", "loginId": login_id, "password": password}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


def session_post(client: Client, query: str, variables: dict | None = None) -> dict:
    return client.post(  # type: ignore[no-any-return]
        PEOPLE_URL,
        data=json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        headers={"X-CSRFToken": client.cookies["yui_csrftoken"].value},
    ).json()


@pytest.mark.django_db
def test_an_issued_password_allows_only_me_and_changing_it_even_with_an_older_token(okawa):
    # A token made before the reset: it must not become a way around the forced change.
    token = okawa.api("kakari")
    assert token.data(ME)["me"]["mustChangePassword"] is False
    reset(okawa, "kakari")

    assert token.data(ME)["me"] == {"loginId": "0002", "mustChangePassword": True}
    refused = [
        "{ people(first: 1) { totalCount } }",
        "{ me { name } organizations { id } }",  # one refused field refuses the operation
        "query { ...Sneaky } fragment Sneaky on Query { groups { id } }",
        "{ ... on Query { accessTokens { id } } }",
        'mutation { createAccessToken(name: "around") { token errors { code } } }',
    ]
    for query in refused:
        body = token(query)
        assert code_of(body) == "PASSWORD_CHANGE_REQUIRED", (query, body)
        assert body.get("data") is None, (query, body)

    # The issued password may not be kept: the administrator knows it.
    same = token.data(CHANGE, {"c": ISSUED, "n": ISSUED})["changePassword"]
    assert same == {"ok": False, "errors": [{"code": "SAME_PASSWORD", "field": "newPassword"}]}
    assert token.data(ME)["me"]["mustChangePassword"] is True

    assert token.data(CHANGE, {"c": ISSUED, "n": CHOSEN})["changePassword"]["ok"] is True
    assert token.data(ME)["me"]["mustChangePassword"] is False
    assert token.data("{ people(first: 1) { totalCount } }")["people"]["totalCount"] == 6


@pytest.mark.django_db
def test_sign_in_says_so_and_the_session_is_held_until_the_password_is_changed(okawa):
    reset(okawa, "shuji")
    browser = Client()

    answer = sign_in(browser, "0003", ISSUED)

    assert answer["person"]["mustChangePassword"] is True
    assert session_post(browser, ME)["data"]["me"]["mustChangePassword"] is True
    assert code_of(session_post(browser, "{ groups { id } }")) == "PASSWORD_CHANGE_REQUIRED"
    changed = session_post(browser, CHANGE, {"c": ISSUED, "n": CHOSEN})["data"]["changePassword"]
    assert changed == {"ok": True, "errors": []}
    # The same session goes on, now allowed everything.
    assert session_post(browser, "{ groups { id } }")["data"] == {"groups": []}
    assert sign_in(Client(), "0003", CHOSEN)["person"]["mustChangePassword"] is False


@pytest.mark.django_db
def test_must_change_is_told_to_the_person_only_and_an_administrator_may_waive_it(okawa):
    admin = okawa.api(okawa.admin)
    reset(okawa, "shuji")
    ask = "query($id: ID!) { person(id: $id) { mustChangePassword hasPassword } }"
    seen = admin.data(ask, {"id": str(okawa.people["shuji"].id)})["person"]
    assert seen == {"mustChangePassword": None, "hasPassword": True}

    reset(okawa, "shuji", require=False)
    assert not Person.objects.get(id=okawa.people["shuji"].id).must_change_password
    created = admin.data(
        'mutation { createPerson(input: {loginId: "0099", name: "新人", password: "a-long-first-pw"})'
        " { person { id } errors { code } } }"
    )["createPerson"]
    assert Person.objects.get(id=created["person"]["id"]).must_change_password


@pytest.mark.django_db
def test_staff_may_not_reset_passwords_and_another_municipality_is_not_found(okawa, kanda):
    body = okawa.api("kacho")(RESET, {"id": str(okawa.people["kakari"].id), "pw": ISSUED})
    assert code_of(body) == "FORBIDDEN"
    other = okawa.api(okawa.admin).data(
        RESET, {"id": str(kanda.people["kakari"].id), "pw": ISSUED}
    )["resetPassword"]
    assert other["errors"] == [{"code": "NOT_FOUND"}]
    assert not Person.objects.get(id=kanda.people["kakari"].id).must_change_password


@pytest.mark.django_db
def test_no_access_token_while_the_password_must_change(okawa):
    person = okawa.people["kakari"]
    actions.do_reset_password(person, ISSUED)
    outcome = actions.do_create_access_token(person, "app", None)
    assert [e.code for e in outcome.errors] == ["PASSWORD_CHANGE_REQUIRED"]


def test_every_subgraph_of_the_deployment_enforces_it():
    # A subgraph added later without the shared extensions would answer such an account.
    from subgraphs.core.graphql.password_gate import PasswordChangeGate
    from yui.registry import SUBGRAPHS, subgraph_schema

    missing = [n for n in SUBGRAPHS if PasswordChangeGate not in subgraph_schema(n).extensions]
    assert missing == []


def test_the_signed_principal_header_carries_the_flag():
    flagged = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"staff"}), "session", True)
    assert signing.verify_principal(signing.sign_principal(flagged)).must_change_password
    plain = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"staff"}), "session")
    assert not signing.verify_principal(signing.sign_principal(plain)).must_change_password


async def test_subscriptions_are_refused_too():
    # The principal as the edge makes it for such an account (principal_for reads the flag).
    principal = Principal(uuid.uuid4(), uuid.uuid4(), frozenset({"staff"}), "session", True)
    stream = await presence_schema.subscribe(
        "subscription { presenceChanged { status } }",
        context_value=YuiContext(principal=principal),
    )
    first = await stream.__anext__()
    await stream.aclose()
    assert first.errors and first.errors[0].extensions["code"] == "PASSWORD_CHANGE_REQUIRED"


@pytest.mark.django_db
def test_the_principal_of_such_an_account_carries_the_flag(okawa):
    person = okawa.people["kakari"]
    assert not principal_for(person, "session").must_change_password
    actions.do_reset_password(person, ISSUED)
    assert principal_for(person, "session").must_change_password


# --- through the gateway (/graphql, every subgraph in-process) ----------------------------


@pytest.fixture
async def gateway(settings):
    from yui.federation import embedded_app

    # Every ORM call on sync_to_async's one thread, whose connection is closed below (the
    # database lanes' threads would keep theirs, and PostgreSQL the test database).
    settings.DB_THREADS = 0

    transport = httpx.ASGITransport(app=embedded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
        yield client
    # The gateway's ORM work ran on worker threads; PostgreSQL will not drop the test
    # database while their connections stay open.
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_through_the_gateway_other_subgraphs_refuse_and_me_answers(gateway):
    okawa = await sync_to_async(build_municipality)("402125", "okawa", "大川市")
    person = okawa.people["kakari"]
    token = (await sync_to_async(actions.do_create_access_token)(person, "app", None)).extra[
        "token"
    ]
    await sync_to_async(actions.do_reset_password)(person, ISSUED)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    async def ask(query: str, variables: dict | None = None) -> dict:
        response = await gateway.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return response.json()  # type: ignore[no-any-return]

    me = await ask("{ me { name department { name } mustChangePassword } }")
    assert me == {
        "data": {
            "me": {
                "name": "山﨑 花子",
                "department": {"name": "庶務係"},
                "mustChangePassword": True,
            }
        }
    }
    holidays = await ask('{ holidays(start: "2026-12-01", end: "2026-12-31") { date } }')
    assert code_of(holidays) == "PASSWORD_CHANGE_REQUIRED"
    presence = await ask("{ me { name presence { status } } }")
    assert presence["data"]["me"]["name"] == "山﨑 花子"  # who you are, but nothing more
    assert code_of(presence) == "PASSWORD_CHANGE_REQUIRED"

    changed = await ask(CHANGE, {"c": ISSUED, "n": CHOSEN})
    assert changed["data"]["changePassword"]["ok"] is True
    holidays = await ask('{ holidays(start: "2026-12-01", end: "2026-12-31") { date } }')
    assert "errors" not in holidays and holidays["data"]["holidays"]


@pytest.mark.django_db(transaction=True)
async def test_changing_it_through_the_gateway_keeps_this_session_and_ends_the_others(gateway):
    # The portal changes passwords through /graphql, where there is no Django request to
    # rotate the session: this session must stay signed in (it used to end with the others).
    okawa = await sync_to_async(build_municipality)("402125", "okawa", "大川市")
    person = okawa.people["kakari"]
    await sync_to_async(actions.do_reset_password)(person, ISSUED)
    credentials = {"tenant": "402125", "loginId": person.login_id, "password": ISSUED}

    def sign_in() -> dict[str, str]:
        browser = Client()
        signed_in = browser.post(
            "/auth/login", data=json.dumps(credentials), content_type="application/json"
        )
        assert signed_in.status_code == 200, signed_in.content
        return {name: morsel.value for name, morsel in browser.cookies.items()}

    here, elsewhere = await sync_to_async(sign_in)(), await sync_to_async(sign_in)()

    async def ask(cookies: dict[str, str], query: str, variables: dict | None = None):
        headers = {
            "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
            "X-CSRFToken": cookies["yui_csrftoken"],
        }
        return await gateway.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    changed = (await ask(here, CHANGE, {"c": ISSUED, "n": CHOSEN})).json()
    assert changed["data"]["changePassword"] == {"ok": True, "errors": []}
    mine = (await ask(here, ME)).json()
    assert mine["data"]["me"] == {"loginId": person.login_id, "mustChangePassword": False}
    other = await ask(elsewhere, ME)
    assert other.status_code == 401 or other.json()["data"]["me"] is None
