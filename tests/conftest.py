"""Shared fixtures: two municipalities with departments and staff, and a GraphQL client
that goes through the real HTTP stack (middleware, authentication, CSRF, the view)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from subgraphs.core.i18n import set_language
from subgraphs.core.principal import ROLE_TENANT_ADMIN, Principal
from subgraphs.people import actions
from subgraphs.people.models import Organization, Person, RoleAssignment, Tenant

PEOPLE_URL = "/subgraphs/people/graphql"
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 (the production hasher) costs ~50 ms a hash; fixtures hash a dozen passwords
    # per test. tests/people/test_auth.py checks that production settings use Argon2, and
    # the end-to-end tests run the real server with it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Login throttling lives in the cache (Redis when YUI_REDIS_URL is set).
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_outside_requests():
    # asgiref's async_to_sync copies the called coroutine's context changes back to the
    # caller, so a sync test that calls the edge's ``authenticate`` (which sets the
    # request's language) leaves that language on the test thread. In the server every
    # request runs in its own task; here each test starts in the default language again.
    yield
    set_language("en")


class GraphQLClient:
    """Posts GraphQL to a subgraph endpoint as a person (bearer token) or anonymously."""

    def __init__(self, token: str | None = None, url: str = PEOPLE_URL):
        self.client = Client()
        self.token = token
        self.url = url

    def post(self, query: str, variables: dict[str, Any] | None = None, **extra: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.client.post(
            self.url,
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            headers=headers,
            **extra,
        )
        return response

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(query, variables)
        assert response.status_code == 200, response.content
        return response.json()  # type: ignore[no-any-return]

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of a query that must succeed without errors."""
        result = self(query, variables)
        assert "errors" not in result, result["errors"]
        return result["data"]  # type: ignore[no-any-return]


@dataclass
class Municipality:
    tenant: Tenant
    orgs: dict[str, Organization] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    admin: Person | None = None

    def principal(self, person: Person) -> Principal:
        from subgraphs.people.auth import principal_for

        return principal_for(person, via="test")

    def api(self, person: Person | str) -> GraphQLClient:
        if isinstance(person, str):
            person = self.people.get(person, self.admin)  # type: ignore[assignment]
        outcome = actions.do_create_access_token(person, "tests", None)  # type: ignore[arg-type]
        return GraphQLClient(outcome.extra["token"])


def build_municipality(code: str, slug: str, name: str) -> Municipality:
    """A small tenant: 総務部 > 総務課 > 庶務係 / 人事係, 市民部 > 市民課, five staff, an admin."""
    tenant = actions.do_add_tenant(code, name, slug, "テスト協議会").obj
    m = Municipality(tenant=tenant)
    system = Principal(tenant_id=tenant.id, person_id=None, via="test")

    def org(key: str, code: str, name: str, parent: str | None, sort_order: int) -> None:
        outcome = actions.do_create_organization(
            system,
            {
                "code": code,
                "name": name,
                "parent_id": m.orgs[parent].id if parent else None,
                "sort_order": sort_order,
            },
        )
        assert outcome.ok, outcome.errors
        m.orgs[key] = outcome.obj

    org("soumu", "01", "総務部", None, 1)
    org("soumuka", "0101", "総務課", "soumu", 1)
    org("shomu", "010101", "庶務係", "soumuka", 1)
    org("jinji", "010102", "人事係", "soumuka", 2)
    org("shimin", "02", "市民部", None, 2)
    org("shiminka", "0201", "市民課", "shimin", 1)

    def person(
        key: str,
        login_id: str,
        name: str,
        kana: str,
        dept: str,
        title: str,
        title_code: str,
        sort_order: int,
        **more: Any,
    ) -> None:
        outcome = actions.do_create_person(
            system,
            {
                "login_id": login_id,
                "name": name,
                "name_kana": kana,
                "department_id": m.orgs[dept].id,
                "title": title,
                "title_code": title_code,
                "sort_order": sort_order,
                "email": f"{login_id}@{slug}.example.lg.jp",
                **more,
            },
        )
        assert outcome.ok, outcome.errors
        m.people[key] = outcome.obj

    person("kacho", "0001", "髙橋 一郎", "タカハシ イチロウ", "soumuka", "課長", "200", 1)
    person("kakari", "0002", "山﨑 花子", "ﾔﾏｻﾞｷ ﾊﾅｺ", "shomu", "係長", "300", 1)
    person("shuji", "0003", "佐藤 次郎", "さとう じろう", "shomu", "主事", "600", 2)
    person(
        "jinji",
        "0004",
        "鈴木 三郎",
        "スズキ サブロウ",
        "jinji",
        "主事",
        "600",
        1,
        additional_department_ids=[m.orgs["shiminka"].id],
    )
    person("shimin", "0005", "田中 美咲", "タナカ ミサキ", "shiminka", "主任", "500", 1)
    admin = actions.do_create_person(
        system, {"login_id": "admin", "name": f"{name} 管理者", "password": PASSWORD}
    ).obj
    RoleAssignment.objects.create(tenant=tenant, person=admin, role=ROLE_TENANT_ADMIN)
    m.admin = admin
    for p in m.people.values():
        p.set_password(PASSWORD)
        p.save()
    return m


@pytest.fixture
def okawa(db) -> Municipality:
    return build_municipality("402125", "okawa", "大川市")


@pytest.fixture
def kanda(db) -> Municipality:
    return build_municipality("406210", "kanda", "苅田町")


@pytest.fixture
def anonymous() -> GraphQLClient:
    return GraphQLClient()
