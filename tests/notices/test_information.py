"""The information board through the notices endpoint: posting to an audience expanded
through people, the board's order, read tracking, reader lists and reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from subgraphs.notices.models import NoticeRecipient
from tests.notices import (
    BOARD,
    MARK_READ,
    NOTICE_READERS,
    REMIND,
    create_category,
    notices_api,
    post_notice,
    posted,
)

pytestmark = pytest.mark.django_db


def ids(*people) -> set[str]:
    return {str(p.id) for p in people}


def test_a_department_with_sub_departments_reaches_all_its_staff(okawa):
    category = create_category(okawa)
    kacho = notices_api(okawa, "kacho")
    soumuka = str(okawa.orgs["soumuka"].id)
    with_sub = posted(
        kacho, category, {"departments": [{"id": soumuka, "includeSubDepartments": True}]}
    )
    admin = notices_api(okawa, "admin")
    found = admin.data(NOTICE_READERS, {"id": with_sub})["notice"]
    # 総務課 and its 庶務係 / 人事係; the author (課長 of 総務課) is not his own recipient.
    people = okawa.people
    assert {r["person"]["id"] for r in found["nonReaders"]} == ids(
        people["kakari"], people["shuji"], people["jinji"]
    )
    # 総務課 itself (without 係) has only its 課長, the author: nobody else to post to.
    payload = post_notice(kacho, category, {"departments": [{"id": soumuka}]})
    assert [e["code"] for e in payload["errors"]] == ["NO_RECIPIENTS"]


def test_posting_to_nobody_but_yourself_is_a_typed_error(okawa):
    category = create_category(okawa)
    payload = post_notice(
        notices_api(okawa, "kacho"), category, {"personIds": [str(okawa.people["kacho"].id)]}
    )
    assert payload["notice"] is None
    assert [e["code"] for e in payload["errors"]] == ["NO_RECIPIENTS"]
    payload = post_notice(notices_api(okawa, "kacho"), category, {})
    assert [e["code"] for e in payload["errors"]] == ["NO_RECIPIENTS"]


def test_groups_persons_and_the_whole_municipality(okawa):
    category = create_category(okawa)
    admin = notices_api(okawa, "admin")
    everyone = posted(admin, category, {"everyone": True})
    found = admin.data(NOTICE_READERS, {"id": everyone})["notice"]
    assert {r["person"]["id"] for r in found["nonReaders"]} == ids(*okawa.people.values())
    one = posted(admin, category, {"personIds": [str(okawa.people["shimin"].id)]})
    found = admin.data(NOTICE_READERS, {"id": one})["notice"]
    assert [r["person"]["id"] for r in found["nonReaders"]] == [str(okawa.people["shimin"].id)]


def test_unknown_or_foreign_audience_ids_are_typed_errors(okawa, kanda):
    category = create_category(okawa)
    admin = notices_api(okawa, "admin")
    payload = post_notice(admin, category, {"departments": [{"id": str(kanda.orgs["soumu"].id)}]})
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "departments")]
    payload = post_notice(admin, category, {"personIds": [str(kanda.people["shuji"].id)]})
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "personIds")]
    payload = post_notice(admin, category, {"groupIds": ["not-an-id"]})
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID", "groupIds")]


def test_who_may_post_follows_the_category(okawa):
    shomu = str(okawa.orgs["shomu"].id)
    category = create_category(okawa, "人事", posterDepartmentIds=[shomu])
    audience = {"everyone": True}
    payload = post_notice(notices_api(okawa, "shimin"), category, audience)
    assert [e["code"] for e in payload["errors"]] == ["NOT_ALLOWED"]
    assert post_notice(notices_api(okawa, "shuji"), category, audience)["errors"] == []
    assert post_notice(notices_api(okawa, "admin"), category, audience)["errors"] == []
    by_role = create_category(okawa, "防災", posterRoles=["disaster_officer"])
    payload = post_notice(notices_api(okawa, "shuji"), by_role, audience)
    assert [e["code"] for e in payload["errors"]] == ["NOT_ALLOWED"]
    cats = notices_api(okawa, "shimin").data("{ noticeCategories { name canPost } }")
    assert cats["noticeCategories"] == [
        {"name": "人事", "canPost": False},
        {"name": "防災", "canPost": False},
    ]


def test_a_category_names_only_departments_of_its_municipality(okawa, kanda):
    query = """mutation($input: CreateNoticeCategoryInput!) { createNoticeCategory(input: $input) {
      category { id } errors { code field } } }"""
    admin = notices_api(okawa, "admin")
    for bad in (str(kanda.orgs["soumu"].id), "not-an-id"):
        payload = admin.data(query, {"input": {"name": "x", "posterDepartmentIds": [bad]}})
        assert payload["createNoticeCategory"] == {
            "category": None,
            "errors": [{"code": "NOT_FOUND", "field": "posterDepartmentIds"}],
        }
    payload = admin.data(
        query, {"input": {"name": "人事", "posterDepartmentIds": [str(okawa.orgs["jinji"].id)]}}
    )
    assert payload["createNoticeCategory"]["errors"] == []
    payload = admin.data(query, {"input": {"name": "人事"}})
    assert payload["createNoticeCategory"]["errors"] == [{"code": "DUPLICATE", "field": "name"}]


def test_only_administrators_create_categories(okawa):
    result = notices_api(okawa, "shuji")(
        'mutation { createNoticeCategory(input: {name: "x"}) { category { id } } }'
    )
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_posting_period_hides_before_and_closes_after(okawa):
    category = create_category(okawa)
    kacho = notices_api(okawa, "kacho")
    now = timezone.now()
    audience = {"personIds": [str(okawa.people["shuji"].id)]}
    later = posted(
        kacho, category, audience, title="来週", startsAt=(now + timedelta(days=7)).isoformat()
    )
    ended = posted(
        kacho,
        category,
        audience,
        title="終了",
        startsAt=(now - timedelta(days=7)).isoformat(),
        endsAt=(now - timedelta(days=1)).isoformat(),
    )
    shuji = notices_api(okawa, "shuji")
    assert shuji.data(BOARD)["notices"] == []
    closed = shuji.data(BOARD, {"closed": True})["notices"]
    assert [(n["title"], n["status"]) for n in closed] == [("終了", "CLOSED")]
    assert shuji.data("query($id: ID!) { notice(id: $id) { id } }", {"id": later})["notice"] is None
    payload = shuji.data(MARK_READ, {"id": later})["markNoticeRead"]
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]
    # The author sees the scheduled one.
    mine = kacho.data("{ postedNotices { title status } }")["postedNotices"]
    assert {(n["title"], n["status"]) for n in mine} == {("来週", "SCHEDULED"), ("終了", "CLOSED")}
    payload = post_notice(
        kacho,
        category,
        audience,
        startsAt=now.isoformat(),
        endsAt=(now - timedelta(hours=1)).isoformat(),
    )
    assert [e["code"] for e in payload["errors"]] == ["END_BEFORE_START"]
    assert ended


def test_the_board_lists_unread_first_then_pinned_then_by_importance(okawa):
    category = create_category(okawa)
    kacho = notices_api(okawa, "kacho")
    audience = {"personIds": [str(okawa.people["shuji"].id)]}
    base = timezone.now() - timedelta(hours=1)

    def at(minutes: int) -> str:
        return (base + timedelta(minutes=minutes)).isoformat()

    read_one = posted(kacho, category, audience, title="既読", startsAt=at(50))
    posted(kacho, category, audience, title="低", importance="LOW", startsAt=at(40))
    posted(kacho, category, audience, title="緊急", importance="URGENT", startsAt=at(10))
    posted(kacho, category, audience, title="固定", pinned=True, startsAt=at(5))
    posted(kacho, category, audience, title="標準", startsAt=at(30))
    shuji = notices_api(okawa, "shuji")
    assert shuji.data(MARK_READ, {"id": read_one})["markNoticeRead"]["notice"]["isRead"] is True
    board = shuji.data(BOARD)["notices"]
    assert [n["title"] for n in board] == ["固定", "緊急", "標準", "低", "既読"]
    assert [n["isRead"] for n in board] == [False, False, False, False, True]
    labels = kacho.data("{ postedNotices { importance importanceLabel } }")["postedNotices"]
    assert {(n["importance"], n["importanceLabel"]) for n in labels} == {
        ("URGENT", "緊急"),
        ("LOW", "低"),
        ("NORMAL", "標準"),
    }


def test_readers_non_readers_and_remind_for_300_recipients(okawa, monkeypatch):
    from subgraphs.notices import directory
    from subgraphs.notices.actions import do_mark_notice_read

    monkeypatch.setattr(directory, "PAGE", 40)  # people's directory pages are followed
    from subgraphs.people import actions as people_actions

    system = okawa.principal(okawa.admin)
    staff = []
    for i in range(300):
        outcome = people_actions.do_create_person(
            system,
            {
                "login_id": f"8{i:03}",
                "name": f"職員 {i}",
                "department_id": okawa.orgs["shiminka"].id,
            },
        )
        assert outcome.ok, outcome.errors
        staff.append(outcome.obj)
    category = create_category(okawa)
    kacho = notices_api(okawa, "kacho")
    notice = posted(
        kacho,
        category,
        {"departments": [{"id": str(okawa.orgs["shimin"].id), "includeSubDepartments": True}]},
    )
    recipients = [*staff, okawa.people["shimin"], okawa.people["jinji"]]  # 兼務 in 市民課 too
    readers = recipients[::3] + recipients[1:40:3]
    for person in readers[:-2]:
        assert do_mark_notice_read(okawa.principal(person), notice).ok
    for person in readers[-2:]:  # and some through the API
        notices_api(okawa, person).data(MARK_READ, {"id": notice})
    # Reading twice keeps the first time.
    first_time = NoticeRecipient.objects.get(person_id=readers[0].id).read_at
    do_mark_notice_read(okawa.principal(readers[0]), notice)
    assert NoticeRecipient.objects.get(person_id=readers[0].id).read_at == first_time

    found = kacho.data(NOTICE_READERS, {"id": notice})["notice"]
    assert found["recipientCount"] == 302
    assert found["readCount"] == len(set(readers))
    assert {r["person"]["id"] for r in found["readers"]} == ids(*readers)
    assert all(r["readAt"] for r in found["readers"])
    non_readers = set(ids(*recipients)) - ids(*readers)
    assert {r["person"]["id"] for r in found["nonReaders"]} == non_readers
    assert len(found["readers"]) + len(found["nonReaders"]) == 302

    # A recipient sees neither list nor counts; a colleague who got nothing sees nothing.
    seen = notices_api(okawa, readers[0]).data(NOTICE_READERS, {"id": notice})["notice"]
    assert (seen["readers"], seen["nonReaders"], seen["recipientCount"]) == (None, None, None)
    assert notices_api(okawa, "shuji").data(NOTICE_READERS, {"id": notice})["notice"] is None
    payload = notices_api(okawa, readers[0]).data(REMIND, {"id": notice})["remindNotice"]
    assert [e["code"] for e in payload["errors"]] == ["NOT_AUTHOR"]

    payload = kacho.data(REMIND, {"id": notice})["remindNotice"]
    assert payload["errors"] == []
    assert {p["id"] for p in payload["reminder"]["persons"]} == non_readers
    found = kacho.data(NOTICE_READERS, {"id": notice})["notice"]
    assert all(r["lastRemindedAt"] for r in found["nonReaders"])
    assert all(
        row.last_reminded_at is None
        for row in NoticeRecipient.objects.filter(person_id__in=[p.id for p in readers])
    )
    # The administrator may remind too; once everyone has read, there is nothing to remind.
    assert notices_api(okawa, "admin").data(REMIND, {"id": notice})["remindNotice"]["errors"] == []
    for row in NoticeRecipient.objects.filter(read_at__isnull=True):
        row.read_at = timezone.now()
        row.save()
    payload = kacho.data(REMIND, {"id": notice})["remindNotice"]
    assert [e["code"] for e in payload["errors"]] == ["EVERYONE_READ"]


def test_bodies_are_sanitised_before_they_are_stored(okawa):
    from subgraphs.notices.models import Notice

    category = create_category(okawa)
    body = (
        '<p onclick="steal()">本文<script>alert(1)</script>'
        '<a href="javascript:alert(2)">リンク</a><a href="https://example.lg.jp/">正規</a>'
        '<img src=x onerror="alert(3)"><iframe src="https://evil"></iframe>'
        '<a href="JaVaScRiPt:alert(4)">x</a><style>p{}</style></p>'
    )
    payload = post_notice(
        notices_api(okawa, "kacho"),
        category,
        {"personIds": [str(okawa.people["shuji"].id)]},
        body=body,
    )
    stored = Notice.objects.get(id=payload["notice"]["id"]).body
    assert payload["notice"]["body"] == stored
    for bad in (
        "script",
        "onclick",
        "onerror",
        "javascript",
        "JaVaScRiPt",
        "iframe",
        "alert",
        "style",
    ):
        assert bad.lower() not in stored.lower(), stored
    assert '<a href="https://example.lg.jp/" rel="noopener noreferrer">正規</a>' in stored
    assert "本文" in stored


UPDATE = """mutation($input: UpdateNoticeInput!) { updateNotice(input: $input) {
  notice { id title body importance version pinned } errors { code field } } }"""


def _change(api, notice_id: str, audience: dict, **more) -> dict:
    values = {"id": notice_id, "title": "変更後", "audience": audience, **more}
    return api.data(UPDATE, {"input": values})["updateNotice"]  # type: ignore[no-any-return]


def _read_and_unread(admin, notice_id: str) -> tuple[set[str], set[str]]:
    found = admin.data(NOTICE_READERS, {"id": notice_id})["notice"]
    return (
        {r["person"]["id"] for r in found["readers"]},
        {r["person"]["id"] for r in found["nonReaders"]},
    )


def test_editing_keeps_read_state_re_expands_the_audience_and_a_significant_change_resets(okawa):
    category = create_category(okawa)
    people = okawa.people
    kacho, admin = notices_api(okawa, "kacho"), notices_api(okawa, "admin")
    persons = [str(people[k].id) for k in ("kakari", "shuji")]
    notice = posted(kacho, category, {"personIds": persons}, body="<p>最初</p>")
    assert notices_api(okawa, "kakari").data(MARK_READ, {"id": notice})["markNoticeRead"]
    # shuji leaves the audience, shimin joins; kakari keeps having read it.
    audience = {"personIds": [str(people["kakari"].id), str(people["shimin"].id)]}
    changed = _change(
        kacho, notice, audience, body="<p>訂正<script>x()</script></p>", importance="HIGH"
    )
    assert changed["errors"] == []
    assert changed["notice"]["title"] == "変更後" and changed["notice"]["importance"] == "HIGH"
    assert "<script" not in changed["notice"]["body"] and changed["notice"]["version"] == 2
    assert _read_and_unread(admin, notice) == (ids(people["kakari"]), ids(people["shimin"]))
    board = notices_api(okawa, "shuji").data(BOARD)["notices"]
    assert notice not in [n["id"] for n in board]
    # 重要な変更: everyone reads it again.
    again = _change(kacho, notice, audience, significantChange=True)
    assert again["errors"] == []
    assert _read_and_unread(admin, notice) == (set(), ids(people["kakari"], people["shimin"]))


def test_only_its_author_or_an_administrator_edits_and_bad_input_is_typed(okawa, kanda):
    category = create_category(okawa)
    kacho = notices_api(okawa, "kacho")
    audience = {"personIds": [str(okawa.people["kakari"].id)]}
    notice = posted(kacho, category, audience)
    refused = _change(notices_api(okawa, "kakari"), notice, audience)
    assert [e["code"] for e in refused["errors"]] == ["NOT_AUTHOR"]
    assert _change(notices_api(okawa, "admin"), notice, audience)["errors"] == []
    foreign = _change(notices_api(kanda, "admin"), notice, {"everyone": True})
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    blank = _change(kacho, notice, audience, title=" ")
    assert [(e["code"], e["field"]) for e in blank["errors"]] == [("REQUIRED", "title")]
    nobody = _change(kacho, notice, {"personIds": [str(okawa.people["kacho"].id)]})
    assert [e["code"] for e in nobody["errors"]] == ["NO_RECIPIENTS"]
    unknown = _change(kacho, notice, audience, attachmentIds=["not-an-id"])
    assert [e["code"] for e in unknown["errors"]] == ["NOT_FOUND"]
    assert _change(kacho, "not-an-id", audience)["errors"][0]["code"] == "NOT_FOUND"
