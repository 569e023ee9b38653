"""The 施設管理者 role (FACILITY_ADMIN): a tenant administrator grants it with setRoles, and
it reaches the principal however the person signs in (session, token, signed header), which
is what the facilities subgraph reads to let them decide 仮予約."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from subgraphs.core import signing
from subgraphs.core.principal import ROLE_FACILITY_ADMIN
from subgraphs.people import auth
from tests.conftest import PASSWORD
from tests.facilities import FACILITIES_URL, facilities_api

SET_ROLES = """
mutation($id: ID!, $roles: [Role!]!) {
  setRoles(input: {personId: $id, roles: $roles}) { person { loginId roles } errors { code } }
}
"""
PENDING = '{"query": "{ pendingReservations { id } }"}'


def _grant(okawa, key: str, roles: list[str]) -> dict:
    admin = okawa.api(okawa.admin)
    result = admin.data(SET_ROLES, {"id": str(okawa.people[key].id), "roles": roles})
    return result["setRoles"]  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_a_tenant_admin_grants_and_takes_the_facility_admin_role(okawa):
    granted = _grant(okawa, "kakari", ["FACILITY_ADMIN"])
    assert granted["errors"] == []
    assert granted["person"]["loginId"] == "0002"
    assert sorted(granted["person"]["roles"]) == ["FACILITY_ADMIN", "STAFF"]
    assert ROLE_FACILITY_ADMIN in auth.principal_for(okawa.people["kakari"], via="test").roles
    taken = _grant(okawa, "kakari", ["STAFF"])
    assert taken["person"]["roles"] == ["STAFF"]
    assert auth.principal_for(okawa.people["kakari"], via="test").roles == {"staff"}


@pytest.mark.django_db
def test_staff_cannot_grant_themselves_the_role(okawa):
    result = okawa.api("kakari")(
        SET_ROLES, {"id": str(okawa.people["kakari"].id), "roles": ["FACILITY_ADMIN"]}
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert auth.principal_for(okawa.people["kakari"], via="test").roles == {"staff"}


@pytest.mark.django_db
def test_the_role_reaches_the_principal_of_tokens_sessions_and_signed_headers(okawa):
    token_client = facilities_api(okawa, "kakari")
    refused = token_client("{ pendingReservations { id } }")
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    _grant(okawa, "kakari", ["FACILITY_ADMIN"])

    # A personal access token: its principal is built per request, with the new role.
    assert token_client.data("{ pendingReservations { id } }") == {"pendingReservations": []}
    # A browser session signed in after the grant.
    browser = Client(enforce_csrf_checks=True)
    signed_in = browser.post(
        "/auth/login",
        data=json.dumps({"tenant": "402125", "loginId": "0002", "password": PASSWORD}),
        content_type="application/json",
    )
    assert signed_in.status_code == 200
    answer = browser.post(
        FACILITIES_URL,
        data=PENDING,
        content_type="application/json",
        headers={"X-CSRFToken": browser.cookies["yui_csrftoken"].value},
    )
    assert answer.json() == {"data": {"pendingReservations": []}}
    # The header the gateway signs for a subgraph in another process keeps it too.
    principal = auth.principal_for(okawa.people["kakari"], via="session")
    header = signing.sign_principal(principal)
    assert ROLE_FACILITY_ADMIN in signing.verify_principal(header).roles
