"""Sign-in, sessions with CSRF, login throttling, access tokens, passwords, and the
signed principal header between gateway and subgraphs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client, RequestFactory
from django.utils import timezone

from subgraphs.core import signing
from subgraphs.core.graphql.views import SubgraphView
from subgraphs.core.principal import Principal
from subgraphs.people import auth
from subgraphs.people.graphql.schema import schema as people_schema
from subgraphs.people.models import AccessToken
from tests.conftest import PASSWORD, PEOPLE_URL, GraphQLClient

ME = '{"query": "{ me { loginId name } }"}'


def login(client: Client, tenant="402125", login_id="0003", password=PASSWORD, **extra):
    return client.post(
        "/auth/login",
        data=json.dumps({"tenant": tenant, "loginId": login_id, "password": password}),
        content_type="application/json",
        **extra,
    )


def me(client: Client, csrf: bool = True):
    headers = {"X-CSRFToken": client.cookies["yui_csrftoken"].value} if csrf else {}
    return client.post(PEOPLE_URL, data=ME, content_type="application/json", headers=headers)


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


# --- sign-in ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_json_login_starts_a_session_that_graphql_accepts(okawa, browser):
    response = login(browser)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["person"]["name"] == "佐藤 次郎"
    assert body["tenant"] == {"code": "402125", "slug": "okawa", "name": "大川市"}
    assert me(browser).json() == {"data": {"me": {"loginId": "0003", "name": "佐藤 次郎"}}}


@pytest.mark.django_db
def test_login_by_slug_and_per_tenant_login_ids(okawa, kanda, browser):
    # Both towns have a 0003; the tenant decides whose account it is.
    assert login(browser, tenant="kanda").json()["tenant"]["code"] == "406210"
    assert me(browser).json()["data"]["me"]["name"] == "佐藤 次郎"
    assert login(Client(), tenant="okawa").json()["tenant"]["code"] == "402125"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tenant", "login_id", "password"),
    [
        ("402125", "0003", "wrong-password"),
        ("999999", "0003", PASSWORD),
        ("402125", "nobody", PASSWORD),
    ],
)
def test_bad_credentials_get_one_vague_401(okawa, browser, tenant, login_id, password):
    response = login(browser, tenant=tenant, login_id=login_id, password=password)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"
    assert "yui_session" not in browser.cookies


@pytest.mark.django_db
def test_malformed_login_requests_are_400(okawa, browser):
    bad_json = browser.post("/auth/login", data="{", content_type="application/json")
    assert bad_json.status_code == 400
    missing = browser.post(
        "/auth/login", data=json.dumps({"tenant": "402125"}), content_type="application/json"
    )
    assert missing.status_code == 400 and missing.json()["error"] == "missing_fields"


@pytest.mark.django_db
def test_deactivated_staff_cannot_sign_in_and_lose_their_session(okawa, browser):
    assert login(browser).status_code == 200
    person = okawa.people["shuji"]
    person.is_active = False
    person.save()
    assert me(browser).json()["data"]["me"] is None
    assert login(Client()).status_code == 401


@pytest.mark.django_db
def test_form_login_needs_the_csrf_token_and_redirects_safely(okawa, browser):
    page = browser.get("/auth/login?next=/subgraphs/people/graphql")
    assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in page.content.decode()
    token = browser.cookies["yui_csrftoken"].value
    form = {"tenant": "402125", "loginId": "0003", "password": PASSWORD}
    assert browser.post("/auth/login", data=form).status_code == 403
    ok = browser.post(
        "/auth/login",
        data={**form, "csrfmiddlewaretoken": token, "next": "/subgraphs/people/graphql"},
    )
    assert ok.status_code == 302 and ok["Location"] == "/subgraphs/people/graphql"
    evil = Client(enforce_csrf_checks=True)
    evil.get("/auth/login")
    away = evil.post(
        "/auth/login",
        data={
            **form,
            "csrfmiddlewaretoken": evil.cookies["yui_csrftoken"].value,
            "next": "https://evil.example/",
        },
    )
    assert away["Location"] == "/"


@pytest.mark.django_db
def test_logout_ends_the_session_and_needs_csrf(okawa, browser):
    login(browser)
    assert browser.post("/auth/logout").status_code == 403
    token = browser.cookies["yui_csrftoken"].value
    out = browser.post("/auth/logout", headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert out.json() == {"ok": True}
    assert me(browser).json()["data"]["me"] is None


@pytest.mark.django_db
def test_cookie_authenticated_graphql_posts_need_the_csrf_header(okawa, browser):
    login(browser)
    refused = me(browser, csrf=False)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_FAILED"
    assert me(browser, csrf=True).status_code == 200


def test_production_settings_hash_passwords_with_argon2():
    import yui.settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


# --- throttling ---------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]
    monkeypatch.setattr(auth, "_now", lambda: now[0])
    return now


@pytest.mark.django_db
def test_repeated_failures_slow_down_then_lock_the_account(okawa, clock):
    client = Client()
    for _ in range(3):
        assert login(client, password="wrong-password").status_code == 401
    slowed = login(client, password="wrong-password")
    assert slowed.status_code == 429
    assert slowed["Retry-After"] == "1"
    # While slowed down even the right password is refused: no free guesses.
    assert login(client).status_code == 429
    clock[0] += 1.5
    assert login(client, password="wrong-password").status_code == 401  # 4th failure
    assert int(login(client)["Retry-After"]) == 2  # waits double now
    for _ in range(6):  # failures 5..10, each after waiting out the delay
        clock[0] += 600
        assert login(client, password="wrong-password").status_code == 401
    clock[0] += 600
    locked = login(client)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60 - 600
    clock[0] += 15 * 60
    assert login(client).status_code == 200
    # Success clears the account's count: the next mistake is not throttled.
    assert login(client, password="wrong-password").status_code == 401
    assert login(client).status_code == 200


@pytest.mark.django_db
def test_throttling_one_account_leaves_colleagues_alone(okawa, clock):
    client = Client()
    for _ in range(4):
        login(client, login_id="0003", password="wrong-password")
    assert login(client, login_id="0003").status_code == 429
    assert login(client, login_id="0002").status_code == 200


@pytest.mark.django_db
def test_an_address_guessing_across_accounts_is_slowed_down(okawa, clock):
    client = Client()
    for i in range(30):
        assert login(client, login_id=f"guess{i}", password="x-wrong").status_code == 401
    assert login(client, login_id="0002").status_code == 429
    other_address = Client(REMOTE_ADDR="10.1.2.3")
    assert login(other_address, login_id="0002").status_code == 200


@pytest.mark.django_db
def test_a_locked_account_stays_locked_however_its_municipality_is_spelled(okawa, kanda, clock):
    attacker = Client(REMOTE_ADDR="10.0.0.66")
    for _ in range(10):  # locked after the 10th failure, each tried after the delay
        assert login(attacker, tenant="402125", password="wrong-password").status_code == 401
        clock[0] += 600
    assert login(attacker, tenant="402125").status_code == 429
    # 402125 and okawa are one municipality, ４０２１２５ is 402125 typed with an IME on,
    # and the login ID is one account whatever its width or surrounding spaces.
    for tenant, login_id in [
        ("okawa", "0003"),
        (" OKAWA ", "0003"),
        ("４０２１２５", "0003"),
        ("okawa", " ０００３ "),
    ]:
        locked = login(attacker, tenant=tenant, login_id=login_id)
        assert locked.status_code == 429, (tenant, login_id)
        assert locked.json()["error"] == "too_many_attempts"
    # The account lock holds from any address; colleagues and the other town's 0003 are free.
    assert login(Client(REMOTE_ADDR="10.9.9.9"), tenant="okawa").status_code == 429
    assert login(Client(REMOTE_ADDR="10.9.9.9"), tenant="okawa", login_id="0002").status_code == 200
    assert login(Client(REMOTE_ADDR="10.9.9.9"), tenant="kanda").status_code == 200
    clock[0] += 15 * 60
    assert login(Client(), tenant="okawa", login_id=" ０００３ ").status_code == 200


@pytest.mark.django_db
def test_an_address_is_slowed_down_across_every_spelling_of_municipalities(okawa, clock):
    prober = Client(REMOTE_ADDR="10.0.0.77")
    spellings = ["402125", "okawa", "OKAWA", "４０２１２５", "999999", "no-such-town"]
    for i in range(30):
        tenant = spellings[i % len(spellings)]
        assert login(prober, tenant=tenant, login_id=f"guess{i}").status_code == 401
    assert login(prober, tenant="okawa", login_id="0002").status_code == 429
    assert login(Client(REMOTE_ADDR="10.1.2.3"), tenant="okawa", login_id="0002").status_code == 200


class CountingHasher(MD5PasswordHasher):
    """The tests' fast hasher, counting the hashes it computes: checking a password
    computes one (``verify`` calls ``encode``), and so does hashing a new one."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.mark.django_db
def test_an_unknown_municipality_is_answered_and_throttled_like_a_known_one(okawa, clock, settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]

    def attempts(tenant, login_id, address):
        client = Client(REMOTE_ADDR=address)
        seen = []
        for _ in range(5):
            before = CountingHasher.calls
            response = login(client, tenant=tenant, login_id=login_id, password="wrong-password")
            body = response.json()
            seen.append((response.status_code, body, CountingHasher.calls - before))
        return seen

    known = attempts("402125", "0003", "10.0.1.1")
    unknown_account = attempts("402125", "nobody", "10.0.1.2")
    unknown_town = attempts("999999", "0003", "10.0.1.3")
    assert known == unknown_account == unknown_town
    # Three free failures, each costing one password hash, then slowed down without hashing.
    assert [(status, hashed) for status, _, hashed in known] == [
        (401, 1),
        (401, 1),
        (401, 1),
        (429, 0),
        (429, 0),
    ]


# --- access tokens -----------------------------------------------------------------------


CREATE_TOKEN = 'mutation { createAccessToken(name: "dashboard", expiresInDays: 30) { token accessToken { id name hint expiresAt } errors { code } } }'


@pytest.mark.django_db
def test_access_token_is_shown_once_works_and_dies_when_revoked(okawa, browser):
    login(browser)
    csrf = {"X-CSRFToken": browser.cookies["yui_csrftoken"].value}

    def session_gql(query):
        return browser.post(
            PEOPLE_URL,
            data=json.dumps({"query": query}),
            content_type="application/json",
            headers=csrf,
        ).json()

    created = session_gql(CREATE_TOKEN)["data"]["createAccessToken"]
    token = created["token"]
    assert token.startswith("yui_pat_") and created["accessToken"]["hint"] == token[:12]
    stored = AccessToken.objects.get(id=created["accessToken"]["id"])
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    listed = session_gql("{ accessTokens { name hint revokedAt } }")["data"]["accessTokens"]
    assert listed == [{"name": "dashboard", "hint": token[:12], "revokedAt": None}]

    app = GraphQLClient(token)
    assert app.data("{ me { loginId } }") == {"me": {"loginId": "0003"}}
    revoked = app.data(
        "mutation($id: ID!) { revokeAccessToken(id: $id) { accessToken { revokedAt } errors { code } } }",
        {"id": created["accessToken"]["id"]},
    )["revokeAccessToken"]
    assert revoked["errors"] == [] and revoked["accessToken"]["revokedAt"]
    dead = app.post("{ me { loginId } }")
    assert dead.status_code == 401
    assert dead.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.django_db
def test_token_listing_never_contains_the_secret(okawa):
    api = okawa.api("shuji")
    listed = api.data("{ accessTokens { id name hint createdAt lastUsedAt } }")["accessTokens"]
    assert len(listed) == 1
    assert api.token not in json.dumps(listed)
    assert listed[0]["lastUsedAt"] is not None


@pytest.mark.django_db
def test_expired_unknown_and_malformed_tokens_are_refused(okawa):
    api = okawa.api("shuji")
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.post("{ me { id } }").status_code == 401
    assert GraphQLClient("yui_pat_made-up").post("{ me { id } }").status_code == 401
    basic = Client().post(
        PEOPLE_URL,
        data=ME,
        content_type="application/json",
        headers={"Authorization": "Basic dXNlcjpwYXNz"},
    )
    assert basic.status_code == 401


@pytest.mark.django_db
def test_staff_cannot_revoke_a_colleagues_token_but_deactivation_does(okawa):
    victim = okawa.api("kakari")
    other = okawa.api("shuji")
    victim_token = AccessToken.objects.get(person=okawa.people["kakari"])
    result = other.data(
        "mutation($id: ID!) { revokeAccessToken(id: $id) { errors { code } } }",
        {"id": str(victim_token.id)},
    )
    assert result["revokeAccessToken"]["errors"] == [{"code": "NOT_FOUND"}]
    assert victim.data("{ me { loginId } }")["me"]["loginId"] == "0002"
    okawa.api(okawa.admin).data(
        "mutation($id: ID!) { deactivatePerson(id: $id) { errors { code } } }",
        {"id": str(okawa.people["kakari"].id)},
    )
    assert victim.post("{ me { loginId } }").status_code == 401


# --- passwords ----------------------------------------------------------------------------


CHANGE = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { ok errors { code field } } }"


@pytest.mark.django_db
def test_changing_the_password_keeps_this_session_and_ends_others(okawa, browser):
    login(browser)
    elsewhere = Client()
    login(elsewhere)
    csrf = {"X-CSRFToken": browser.cookies["yui_csrftoken"].value}

    def change(current, new):
        return browser.post(
            PEOPLE_URL,
            data=json.dumps({"query": CHANGE, "variables": {"c": current, "n": new}}),
            content_type="application/json",
            headers=csrf,
        ).json()["data"]["changePassword"]

    assert change("not-my-password", "a-much-better-pass")["errors"] == [
        {"code": "WRONG_PASSWORD", "field": "currentPassword"}
    ]
    assert change(PASSWORD, "12345678901")["errors"][0]["code"] == "WEAK_PASSWORD"
    assert change(PASSWORD, "a-much-better-pass") == {"ok": True, "errors": []}
    assert me(browser).json()["data"]["me"]["loginId"] == "0003"
    other = elsewhere.post(
        PEOPLE_URL,
        data=ME,
        content_type="application/json",
        headers={"X-CSRFToken": elsewhere.cookies["yui_csrftoken"].value},
    )
    assert other.json()["data"]["me"] is None
    assert login(Client()).status_code == 401
    assert login(Client(), password="a-much-better-pass").status_code == 200


@pytest.mark.django_db
def test_admin_resets_a_password_and_staff_may_not(okawa):
    reset = "mutation($id: ID!) { resetPassword(personId: $id) { ok generatedPassword errors { code } } }"
    target = {"id": str(okawa.people["kakari"].id)}
    denied = okawa.api("shuji")(reset, target)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    out = okawa.api(okawa.admin).data(reset, target)["resetPassword"]
    assert out["ok"] and len(out["generatedPassword"]) >= 12
    assert login(Client(), login_id="0002", password=PASSWORD).status_code == 401
    assert login(Client(), login_id="0002", password=out["generatedPassword"]).status_code == 200


# --- the signed principal header ----------------------------------------------------------


def test_signed_principal_round_trip_and_forgeries():
    principal = Principal(
        tenant_id=__import__("uuid").uuid4(),
        person_id=__import__("uuid").uuid4(),
        roles=frozenset({"staff"}),
        via="session",
    )
    header = signing.sign_principal(principal)
    assert signing.verify_principal(header) == principal
    version, expiry, body, mac = header.split(".")
    with pytest.raises(signing.InvalidSignature, match="bad principal signature"):
        signing.verify_principal(f"{version}.{int(expiry) + 3600}.{body}.{mac}")
    with pytest.raises(signing.InvalidSignature, match="expired"):
        signing.verify_principal(header, now=int(expiry) + 1)
    with pytest.raises(signing.InvalidSignature):
        signing.verify_principal("garbage")
    with pytest.raises(signing.InvalidSignature, match="missing"):
        signing.verify_principal(None)


@pytest.mark.django_db
def test_a_subgraph_in_signed_mode_refuses_requests_without_a_valid_header(okawa):
    view = SubgraphView.as_view(schema=people_schema, trust="signed")
    factory = RequestFactory()

    def call(headers):
        request = factory.post(
            "/subgraphs/people/graphql", data=ME, content_type="application/json", headers=headers
        )
        return async_to_sync(view)(request)

    assert call({}).status_code == 401
    # A valid bearer token is no use here: only the gateway's signature counts.
    token = okawa.api("shuji").token
    assert call({"Authorization": f"Bearer {token}"}).status_code == 401
    forged = signing.sign_principal(okawa.principal(okawa.people["shuji"])).replace(
        "v1.", "v1.9", 1
    )
    assert call({signing.HEADER: forged}).status_code == 401
    good = call({signing.HEADER: signing.sign_principal(okawa.principal(okawa.people["shuji"]))})
    assert good.status_code == 200
    assert json.loads(good.content) == {"data": {"me": {"loginId": "0003", "name": "佐藤 次郎"}}}


@pytest.mark.django_db
def test_guessing_the_current_password_is_throttled_like_signing_in(okawa, browser, clock):
    # Someone holding a stolen session must not guess the password at full speed through
    # changePassword, and the guesses lock the account for sign-ins as well.
    login(browser)
    csrf = {"X-CSRFToken": browser.cookies["yui_csrftoken"].value}

    def change(current):
        return browser.post(
            PEOPLE_URL,
            data=json.dumps(
                {"query": CHANGE, "variables": {"c": current, "n": "a-much-better-pass"}}
            ),
            content_type="application/json",
            headers=csrf,
        ).json()["data"]["changePassword"]

    for _ in range(3):
        assert change("guess")["errors"] == [{"code": "WRONG_PASSWORD", "field": "currentPassword"}]
    # Over the allowance even the right password waits, as at sign-in.
    assert change(PASSWORD)["errors"] == [{"code": "TOO_MANY_ATTEMPTS", "field": "currentPassword"}]
    assert login(Client()).status_code == 429
    clock[0] += 1.5
    assert change(PASSWORD) == {"ok": True, "errors": []}
    # Success clears the count: the next mistake is an ordinary one.
    assert change("guess")["errors"][0]["code"] == "WRONG_PASSWORD"
