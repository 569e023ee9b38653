"""Tests of the notices subgraph. Helpers shared by its test modules live here."""

from __future__ import annotations

from typing import Any

from subgraphs.people import actions as people_actions
from subgraphs.people.models import Person
from tests.conftest import GraphQLClient, Municipality

NOTICES_URL = "/subgraphs/notices/graphql"
ERRORS = "errors { code field message }"
CREATE_CATEGORY = f"""mutation($input: CreateNoticeCategoryInput!) {{
  createNoticeCategory(input: $input) {{ category {{ id name canPost }} {ERRORS} }} }}"""
POST_NOTICE = f"""mutation($input: PostNoticeInput!) {{
  postNotice(input: $input) {{ notice {{ id title body importance importanceLabel status
    version }} {ERRORS} }} }}"""
MARK_READ = f"""mutation($id: ID!) {{ markNoticeRead(id: $id) {{ notice {{ id isRead readAt }}
  {ERRORS} }} }}"""
REMIND = f"""mutation($id: ID!) {{ remindNotice(id: $id) {{
  reminder {{ sentAt persons {{ id }} }} {ERRORS} }} }}"""
NOTICE_READERS = """query($id: ID!) { notice(id: $id) { id title recipientCount readCount
  readers { person { id } readAt } nonReaders { person { id } readAt lastRemindedAt } } }"""
BOARD = """query($closed: Boolean! = false) { notices(includeClosed: $closed) {
  id title isRead status pinned importance } }"""


def notices_api(m: Municipality, person: Person | str) -> GraphQLClient:
    """A client of the notices endpoint signed in as ``person`` with a bearer token."""
    if isinstance(person, str):
        person = m.people[person] if person != "admin" else m.admin  # type: ignore[assignment]
    token = people_actions.do_create_access_token(person, "notices tests", None).extra["token"]  # type: ignore[arg-type]
    return GraphQLClient(token, url=NOTICES_URL)


def create_category(m: Municipality, name: str = "庁内連絡", **more: Any) -> str:
    payload = notices_api(m, "admin").data(CREATE_CATEGORY, {"input": {"name": name, **more}})
    payload = payload["createNoticeCategory"]
    assert payload["errors"] == [], payload
    return payload["category"]["id"]  # type: ignore[no-any-return]


def post_notice(
    api: GraphQLClient, category_id: str, audience: dict[str, Any], **more: Any
) -> dict[str, Any]:
    """The postNotice payload (notice and errors)."""
    data = {"categoryId": category_id, "title": "お知らせ", "audience": audience, **more}
    return api.data(POST_NOTICE, {"input": data})["postNotice"]  # type: ignore[no-any-return]


def posted(api: GraphQLClient, category_id: str, audience: dict[str, Any], **more: Any) -> str:
    payload = post_notice(api, category_id, audience, **more)
    assert payload["errors"] == [], payload
    return payload["notice"]["id"]  # type: ignore[no-any-return]
