"""Tenant isolation and query counts of the information board: another municipality's
notices are invisible and unchangeable by ID and by ``_entities``; every list costs the
same SQL queries whatever its length."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from subgraphs.notices.actions import do_mark_notice_read
from subgraphs.notices.models import NoticeRecipient
from subgraphs.people import actions as people_actions
from tests.notices import MARK_READ, NOTICE_READERS, REMIND, create_category, notices_api, posted

pytestmark = pytest.mark.django_db

NOTICE_ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  __typename ... on Notice { id title readers { person { id } } } } }"""
PERSON_COUNTS = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Person { id unreadNoticeCount pendingCirculationCount } } }"""


def test_another_municipalitys_notice_is_invisible_and_unchangeable(okawa, kanda):
    category = create_category(okawa)
    okawa_admin = notices_api(okawa, "admin")
    notice = posted(okawa_admin, category, {"everyone": True}, title="大川市の内部連絡")
    kanda_admin = notices_api(kanda, "admin")
    assert kanda_admin.data(NOTICE_READERS, {"id": notice})["notice"] is None
    reps = [{"__typename": "Notice", "id": notice}]
    assert kanda_admin.data(NOTICE_ENTITIES, {"reps": reps})["_entities"] == [None]
    for mutation, name in ((MARK_READ, "markNoticeRead"), (REMIND, "remindNotice")):
        payload = kanda_admin.data(mutation, {"id": notice})[name]
        assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    assert NoticeRecipient.objects.filter(read_at__isnull=False).count() == 0
    assert kanda_admin.data("{ notices { id } postedNotices(allAuthors: true) { id } }") == {
        "notices": [],
        "postedNotices": [],
    }
    # Okawa's own see it through _entities too; a non-recipient sees the others' lists not.
    found = okawa_admin.data(NOTICE_ENTITIES, {"reps": reps})["_entities"][0]
    assert found["title"] == "大川市の内部連絡" and len(found["readers"]) == 0
    # Posting into a category of the other municipality finds no such category.
    kanda_category = create_category(kanda)
    result = notices_api(okawa, "admin").data(
        "mutation($i: PostNoticeInput!) { postNotice(input: $i) { errors { code field } } }",
        {"i": {"categoryId": kanda_category, "title": "x", "audience": {"everyone": True}}},
    )
    assert result["postNotice"]["errors"] == [{"code": "NOT_FOUND", "field": "categoryId"}]


def test_unread_counts_are_only_for_yourself_and_administrators_and_per_tenant(okawa, kanda):
    category = create_category(okawa)
    posted(notices_api(okawa, "admin"), category, {"everyone": True})
    shuji, kakari = okawa.people["shuji"], okawa.people["kakari"]
    reps = [{"__typename": "Person", "id": str(p.id)} for p in (shuji, kakari)]
    seen = notices_api(okawa, "shuji").data(PERSON_COUNTS, {"reps": reps})["_entities"]
    assert [e["unreadNoticeCount"] for e in seen] == [1, None]
    seen = notices_api(okawa, "admin").data(PERSON_COUNTS, {"reps": reps})["_entities"]
    assert [e["unreadNoticeCount"] for e in seen] == [1, 1]
    seen = notices_api(kanda, "admin").data(PERSON_COUNTS, {"reps": reps})["_entities"]
    assert [e["unreadNoticeCount"] for e in seen] == [0, 0]
    do_mark_notice_read(okawa.principal(shuji), NoticeRecipient.objects.first().notice_id)
    seen = notices_api(okawa, "shuji").data(PERSON_COUNTS, {"reps": reps[:1]})["_entities"]
    assert seen[0]["unreadNoticeCount"] == 0


def _staff(okawa, count: int):
    system = okawa.principal(okawa.admin)
    found = []
    for i in range(count):
        outcome = people_actions.do_create_person(
            system,
            {"login_id": f"7{i:03}", "name": f"職員 {i}", "department_id": okawa.orgs["shomu"].id},
        )
        found.append(outcome.obj)
    return found


def test_unread_counts_of_1_or_100_people_cost_the_same_sql_queries(okawa):
    staff = _staff(okawa, 100)
    category = create_category(okawa)
    admin = notices_api(okawa, "admin")
    for title in ("一", "二", "三"):
        posted(admin, category, {"everyone": True}, title=title)
    for person in staff[::2]:
        do_mark_notice_read(
            okawa.principal(person),
            NoticeRecipient.objects.filter(person_id=person.id).first().notice_id,
        )
    reps = [{"__typename": "Person", "id": str(p.id)} for p in staff]
    admin.data("{ noticeCategories { id } }")  # the token's first use records last_used_at
    counts = {}
    for size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            found = admin.data(PERSON_COUNTS, {"reps": reps[:size]})["_entities"]
        counts[size] = len(queries)
    assert [e["unreadNoticeCount"] for e in found[:4]] == [2, 3, 2, 3]
    assert counts[1] == counts[100], counts


BOARD_FULL = """{ notices(first: 100) { id title body importance importanceLabel status
  pinned isRead readAt canManage version category { name } author { id }
  audience { everyone persons { id } } recipientCount readCount
  readers { readAt } nonReaders { person { id } } reminders { sentAt } } }"""


def test_the_board_of_1_or_100_notices_costs_the_same_sql_queries(okawa):
    category = create_category(okawa)
    kacho = notices_api(okawa, "kacho")
    audience = {"personIds": [str(okawa.people["shuji"].id), str(okawa.people["kakari"].id)]}
    first = posted(kacho, category, audience, title="最初")
    kacho.data(REMIND, {"id": first})
    kacho.data(BOARD_FULL)
    with CaptureQueriesContext(connection) as queries:
        board = kacho.data(BOARD_FULL)["notices"]
    one = len(queries)
    assert len(board) == 1 and len(board[0]["nonReaders"]) == 2
    for i in range(99):
        posted(kacho, category, audience, title=f"お知らせ {i}")
    shuji = notices_api(okawa, "shuji")
    shuji.data(MARK_READ, {"id": first})
    with CaptureQueriesContext(connection) as queries:
        board = kacho.data(BOARD_FULL)["notices"]
    assert len(board) == 100
    assert len(queries) == one, [q["sql"][:100] for q in queries.captured_queries]
    # And a recipient's board of 100.
    shuji.data(BOARD_FULL)
    with CaptureQueriesContext(connection) as queries:
        board = shuji.data(BOARD_FULL)["notices"]
    assert len(board) == 100 and board[-1]["title"] == "最初" and board[-1]["isRead"]
    assert len(queries) <= one, [q["sql"][:100] for q in queries.captured_queries]
