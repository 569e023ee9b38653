"""The real server over HTTP: sign-in, CSRF, tokens, errors, assets, tenancy, demo data."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import httpx

from tests.e2e.conftest import DemoAccount, YuiClient, YuiServer, parse_demo_accounts

GRAPHQL = "/subgraphs/people/graphql"
OKAWA, KANDA = "402125", "406210"
YAMAGUCHI = "0656905"  # 山口 花子 (係長) in 402125-staff.csv, the first demo account
SignIn = Callable[[str, str], YuiClient]


def test_health(client: YuiClient) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_demo_printed_the_accounts_the_readme_promises(yui_server: YuiServer) -> None:
    printed = {(a.tenant, a.login_id) for a in yui_server.accounts}
    assert printed == {
        (OKAWA, "admin"),
        (OKAWA, "0656905"),
        (OKAWA, "0520529"),
        (OKAWA, "0468772"),
        (KANDA, "admin"),
        (KANDA, "0139154"),
        (KANDA, "0390319"),
        (KANDA, "0100338"),
    }, yui_server.demo_output
    assert yui_server.account(OKAWA, YAMAGUCHI).name == "山口 花子"


def test_json_login_then_me(client: YuiClient, yui_server: YuiServer) -> None:
    account = yui_server.account(OKAWA, YAMAGUCHI)
    response = client.login(account)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True
    assert body["person"]["name"] == "山口 花子"
    assert body["person"]["loginId"] == YAMAGUCHI
    assert body["csrfToken"]
    assert client.http.cookies.get("yui_session")
    assert client.http.cookies.get("yui_csrftoken")

    assert client.data("{ me { name } }") == {"me": {"name": account.name}}


def test_wrong_password_is_refused_without_a_session(
    client: YuiClient, yui_server: YuiServer
) -> None:
    response = client.login(yui_server.account(OKAWA, "0468772"), password="not-the-password")
    assert response.status_code == 401
    assert response.json()["ok"] is False
    assert response.json()["error"] == "invalid_credentials"
    assert "yui_session" not in response.cookies
    assert client.http.cookies.get("yui_session") is None
    # Still anonymous: GraphQL sees no one.
    assert client.data("{ me { name } }") == {"me": None}


def test_repeated_failures_are_throttled(client: YuiClient) -> None:
    # An unknown login ID of its own, so no demo account is slowed down for other tests.
    nobody = DemoAccount(KANDA, "kanda", "e2e-nobody", "wrong-password", None, "")
    statuses = []
    for _ in range(6):
        response = client.login(nobody)
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[:3] == [401, 401, 401], statuses
    assert statuses[-1] == 429, statuses
    assert response.json()["error"] == "too_many_attempts"
    assert int(response.headers["Retry-After"]) >= 1


def test_cookie_post_needs_the_csrf_header(sign_in: SignIn) -> None:
    yui = sign_in(OKAWA, YAMAGUCHI)

    refused = yui.graphql("{ me { name } }", csrf=False)
    assert refused.status_code == 403, refused.text
    errors = refused.json()["errors"]
    assert errors[0]["extensions"]["code"] == "CSRF_FAILED"
    assert "data" not in refused.json() or refused.json()["data"] is None

    wrong = yui.graphql("{ me { name } }", csrf=False, headers={"X-CSRFToken": "x" * 32})
    assert wrong.status_code == 403, wrong.text

    accepted = yui.graphql("{ me { name } }")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["data"] == {"me": {"name": "山口 花子"}}


def test_personal_access_token_until_revoked(sign_in: SignIn, yui_server: YuiServer) -> None:
    owner = sign_in(OKAWA, "0520529")
    created = owner.data(
        """mutation { createAccessToken(name: "e2e dashboard") {
             token accessToken { id name hint revokedAt } errors { code message } } }"""
    )["createAccessToken"]
    assert created["errors"] == []
    token, token_id = created["token"], created["accessToken"]["id"]
    assert token
    assert created["accessToken"]["name"] == "e2e dashboard"
    assert token.startswith(created["accessToken"]["hint"])

    with httpx.Client(base_url=yui_server.url, timeout=30.0, trust_env=False) as app:
        bearer = {"Authorization": f"Bearer {token}"}
        # No cookie and no CSRF token: the bearer token alone authenticates.
        me = app.post(GRAPHQL, json={"query": "{ me { name loginId } }"}, headers=bearer)
        assert me.status_code == 200, me.text
        assert me.json()["data"]["me"] == {"name": owner.person["name"], "loginId": "0520529"}

        revoked = app.post(
            GRAPHQL,
            json={
                "query": "mutation($id: ID!) { revokeAccessToken(id: $id) {"
                " accessToken { id revokedAt } errors { code } } }",
                "variables": {"id": token_id},
            },
            headers=bearer,
        )
        assert revoked.status_code == 200, revoked.text
        payload = revoked.json()["data"]["revokeAccessToken"]
        assert payload["errors"] == []
        assert payload["accessToken"]["revokedAt"]

        after = app.post(GRAPHQL, json={"query": "{ me { name } }"}, headers=bearer)
        assert after.status_code == 401, after.text
        assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

        garbage = app.post(
            GRAPHQL, json={"query": "{ me { name } }"}, headers={"Authorization": "Bearer nope"}
        )
        assert garbage.status_code == 401, garbage.text


def test_malformed_queries_are_graphql_errors_not_500(sign_in: SignIn) -> None:
    yui = sign_in(OKAWA, YAMAGUCHI)
    for query, expected in [
        ("{ me { name ", "Syntax Error"),
        ("{ noSuchField }", "noSuchField"),
        ("query($id: ID!) { person(id: $id) { name } }", "$id"),  # variable not given
    ]:
        response = yui.graphql(query)
        assert response.status_code in {200, 400}, (query, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/json"), response.headers
        body = response.json()
        assert body.get("data") is None, body
        assert body["errors"], body
        assert expected in body["errors"][0]["message"], body

    no_query = yui.http.post(
        GRAPHQL, json={"variables": {}}, headers={"X-CSRFToken": yui.csrf_token() or ""}
    )
    assert 400 <= no_query.status_code < 500, no_query.text
    not_json = yui.http.post(
        GRAPHQL,
        content=b"{ me { name } }",
        headers={"Content-Type": "application/json", "X-CSRFToken": yui.csrf_token() or ""},
    )
    assert 400 <= not_json.status_code < 500, not_json.text


def _references(html: str) -> list[str]:
    return re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""", html, flags=re.IGNORECASE)


def test_graphiql_page_and_its_assets_are_served_locally(client: YuiClient) -> None:
    page = client.http.get(GRAPHQL, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    html = page.text

    own = urlsplit(str(page.url))
    references = _references(html)
    expected_assets = {
        "/static/vendor/react.production.min.js",
        "/static/vendor/react-dom.production.min.js",
        "/static/vendor/graphiql.min.js",
        "/static/vendor/graphiql.min.css",
        "/static/yui/graphiql-init.js",
    }
    paths = {urlsplit(urljoin(str(page.url), ref)).path for ref in references}
    assert expected_assets <= paths, references

    for ref in references:
        absolute = urlsplit(urljoin(str(page.url), ref))
        assert (absolute.scheme, absolute.netloc) == (own.scheme, own.netloc), (
            f"the GraphiQL page references another host: {ref}"
        )
    foreign = [
        url
        for url in re.findall(r"""(?:https?:)?//[^\s"'<>()]+""", html)
        if urlsplit(url if ":" in url.split("//")[0] else "http:" + url).netloc != own.netloc
    ]
    assert foreign == [], f"external URLs in the GraphiQL page: {foreign}"

    for ref in references:
        asset = client.http.get(ref)
        assert asset.status_code == 200, (ref, asset.status_code)
        assert asset.content, ref
        kind = asset.headers.get("content-type", "")
        if ref.endswith(".js"):
            assert "javascript" in kind, (ref, kind)
        elif ref.endswith(".css"):
            assert kind.startswith("text/css"), (ref, kind)


def test_content_security_policy_on_every_kind_of_response(
    client: YuiClient, sign_in: SignIn
) -> None:
    yui = sign_in(OKAWA, YAMAGUCHI)
    responses = {
        "health": client.http.get("/health"),
        "login page": client.http.get("/auth/login"),
        "graphiql": client.http.get(GRAPHQL, headers={"Accept": "text/html"}),
        "graphql": yui.graphql("{ me { name } }"),
        "vendor asset": client.http.get("/static/vendor/graphiql.min.js"),
        "404": client.http.get("/no-such-page"),
    }
    for what, response in responses.items():
        csp = response.headers.get("content-security-policy")
        assert csp, f"{what}: no Content-Security-Policy"
        directives = {d.strip().split()[0]: d.strip() for d in csp.split(";") if d.strip()}
        assert directives.get("default-src") == "default-src 'self'", (what, csp)
        assert response.headers.get("x-content-type-options") == "nosniff", what


def test_staff_of_one_municipality_cannot_read_another(sign_in: SignIn) -> None:
    okawa = sign_in(OKAWA, YAMAGUCHI)
    kanda = sign_in(KANDA, "0139154")
    okawa_id = okawa.person["id"]
    by_id = "query($id: ID!) { person(id: $id) { id name } }"
    entities = (
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Person { id name } } }"
    )
    reference = {"r": [{"__typename": "Person", "id": okawa_id}]}

    # The owner's own municipality sees the person, both ways ...
    assert okawa.data(by_id, {"id": okawa_id})["person"]["name"] == "山口 花子"
    assert okawa.data(entities, reference)["_entities"] == [{"id": okawa_id, "name": "山口 花子"}]
    # ... the other municipality sees nothing, both ways.
    assert kanda.data(by_id, {"id": okawa_id}) == {"person": None}
    assert kanda.data(entities, reference) == {"_entities": [None]}
    # Nor does a search of the directory find them.
    found = kanda.data('{ people(search: "山口 花子") { totalCount edges { node { id } } } }')
    assert okawa_id not in {e["node"]["id"] for e in found["people"]["edges"]}


def _counts(yui: YuiClient) -> dict[str, int]:
    data = yui.data(
        "{ active: people { totalCount } all: people(includeInactive: true) { totalCount }"
        " organizations(includeInactive: true) { id } groups { id } }"
    )
    return {
        "active": data["active"]["totalCount"],
        "all": data["all"]["totalCount"],
        "organizations": len(data["organizations"]),
        "groups": len(data["groups"]),
    }


def test_demo_again_is_idempotent(sign_in: SignIn, yui_server: YuiServer) -> None:
    before = {code: _counts(sign_in(code, "admin")) for code in (OKAWA, KANDA)}
    # 120 and 80 staff from the CSV files, plus each municipality's administrator.
    assert before[OKAWA]["active"] == 121, before
    assert before[KANDA]["active"] == 81, before

    again = yui_server.run_yui("demo")
    assert again.returncode == 0, f"{again.stdout}\n{again.stderr}"
    imports = [
        line for line in again.stdout.splitlines() if re.search(r": (organizations|staff) ", line)
    ]
    assert len(imports) == 4, again.stdout
    for line in imports:
        assert " +0 ~0 =" in line, f"the second `yui demo` changed data: {line}"
    assert parse_demo_accounts(again.stdout) == yui_server.accounts

    # Fresh sign-ins: the demo passwords still work, and nothing was added or removed.
    after = {code: _counts(sign_in(code, "admin")) for code in (OKAWA, KANDA)}
    assert after == before
    assert sign_in(OKAWA, YAMAGUCHI).data("{ me { name } }") == {"me": {"name": "山口 花子"}}
