"""GET /auth/municipalities: the deployment's municipalities for the sign-in typeahead,
public, code / name / short name only, the same answer for everyone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from subgraphs.people import actions, municipality_list


@pytest.fixture(autouse=True)
def fresh_list() -> Iterator[None]:
    municipality_list.forget_cached_list()
    yield
    municipality_list.forget_cached_list()


@pytest.mark.django_db
def test_anyone_gets_the_municipalities_by_code(okawa: Any, kanda: Any) -> None:
    response = Client().get("/auth/municipalities")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response.json() == {
        "municipalities": [
            {"code": "402125", "name": "大川市", "slug": "okawa"},
            {"code": "406210", "name": "苅田町", "slug": "kanda"},
        ]
    }
    assert "set-cookie" not in {k.lower() for k in response.headers}


@pytest.mark.django_db
def test_the_list_is_kept_for_a_minute_then_read_again(
    okawa: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(municipality_list.time, "monotonic", lambda: now[0])
    assert [m["code"] for m in Client().get("/auth/municipalities").json()["municipalities"]] == [
        "402125"
    ]
    actions.do_add_tenant("401005", "北九州市", "kitakyushu")
    now[0] += 30
    cached = Client().get("/auth/municipalities").json()["municipalities"]
    assert [m["code"] for m in cached] == ["402125"]
    now[0] += 31
    fresh = Client().get("/auth/municipalities").json()["municipalities"]
    assert [m["code"] for m in fresh] == ["401005", "402125"]


@pytest.mark.django_db
def test_only_get(okawa: Any) -> None:
    response = Client().post("/auth/municipalities", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert response.json()["message"] == "Ask with GET."
    assert Client().post("/auth/municipalities").json()["message"] == "GET で問い合わせてください。"
