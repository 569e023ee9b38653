"""Every answer of POST /auth/login to a JSON client is JSON with an ``error`` code, the
refusals before any password is checked and the overload answer included; the embedded
gateway's /graphql answers overload in GraphQL's JSON too."""

from __future__ import annotations

import json

import httpx
import pytest
from django.test import Client

from subgraphs.people import views
from tests.conftest import PASSWORD

SIGN_IN = {"tenant": "402125", "loginId": "0003", "password": PASSWORD}


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["ok"] is False and body["error"] == code and body["message"], body
    return body


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_no_json_object(body):
    response = Client().post("/auth/login", data=body, content_type="application/json")
    refused(response, 400, "bad_request")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/octet-stream"]
)
def test_a_content_type_other_than_json_or_the_form(content_type):
    response = Client().post("/auth/login", data=json.dumps(SIGN_IN), content_type=content_type)
    refused(response, 415, "unsupported_media_type")


def test_an_oversized_body():
    big = {**SIGN_IN, "password": "x" * 20_000}
    response = Client().post("/auth/login", data=json.dumps(big), content_type="application/json")
    refused(response, 413, "payload_too_large")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_methods_other_than_get_and_post(method):
    response = getattr(Client(), method)(
        "/auth/login", data=json.dumps(SIGN_IN), content_type="application/json"
    )
    refused(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


def test_logout_by_get_asked_for_json():
    response = Client().get("/auth/logout", headers={"Accept": "application/json"})
    refused(response, 405, "method_not_allowed")


@pytest.mark.django_db
def test_sign_ins_past_the_limit_are_told_to_come_back(okawa, settings):
    settings.LOGIN_MAX_IN_FLIGHT = 1
    client = Client()
    with views.admission.slot() as admitted:  # another sign-in is being checked
        assert admitted
        response = client.post("/auth/login", data=SIGN_IN, content_type="application/json")
        body = refused(response, 503, "overloaded")
    assert body["retryAfter"] == settings.LOGIN_OVERLOAD_RETRY_SECONDS
    assert response["Retry-After"] == str(settings.LOGIN_OVERLOAD_RETRY_SECONDS)
    # Once the other sign-in is done, this one goes through.
    response = client.post("/auth/login", data=SIGN_IN, content_type="application/json")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert views.admission.in_flight == 0


def test_the_sign_in_form_still_gets_its_page():
    # A browser's form post is answered with the page (here: the CSRF refusal), not JSON.
    response = Client(enforce_csrf_checks=True).post("/auth/login", data=SIGN_IN)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


async def test_graphql_past_its_limit_answers_503_in_json(settings):
    from yui.federation import embedded_app

    settings.GRAPHQL_MAX_IN_FLIGHT = 0
    transport = httpx.ASGITransport(app=embedded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://yui") as client:
        response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(settings.GRAPHQL_OVERLOAD_RETRY_SECONDS)
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
