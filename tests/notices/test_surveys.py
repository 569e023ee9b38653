"""Surveys (アンケート) on the notices endpoint: questions of every kind, one answer each
that can be changed until the survey closes, results and CSV for the owner only,
anonymity, isolation and query counts."""

from __future__ import annotations

import base64
import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subgraphs.core.spreadsheet import neutralise_formula
from tests.notices import notices_api

pytestmark = pytest.mark.django_db

ERRORS = "errors { code field }"
CREATE = f"""mutation($input: CreateSurveyInput!) {{ createSurvey(input: $input) {{
  survey {{ id status questions {{ id kind choices required }} }} {ERRORS} }} }}"""
ANSWER = f"""mutation($id: ID!, $answers: [SurveyAnswerInput!]!) {{
  answerSurvey(id: $id, answers: $answers) {{ survey {{ id myAnsweredAt
    myAnswers {{ questionId choices text }} }} {ERRORS} }} }}"""
CLOSE = f"""mutation($id: ID!) {{ closeSurvey(id: $id) {{ survey {{ status }} {ERRORS} }} }}"""
RESULTS = """query($id: ID!) { survey(id: $id) { title recipientCount respondentCount
  nonRespondents { id }
  results { question { text } answerCount choiceCounts { choice count }
    texts { text person { id } } dates { date count }
    numberCount numberSum numberMin numberMax numberAverage } } }"""
CSV = """query($id: ID!, $enc: CsvEncoding!) { surveyResultsCsv(id: $id, encoding: $enc) {
  filename encoding contentBase64 lossy } }"""
QUESTIONS = [
    {
        "kind": "SINGLE_CHOICE",
        "text": "参加しますか",
        "required": True,
        "choices": ["参加", "不参加"],
    },
    {"kind": "MULTIPLE_CHOICE", "text": "希望の日", "choices": ["月", "火", "水"]},
    {"kind": "TEXT", "text": "ご意見"},
    {"kind": "NUMBER", "text": "人数"},
    {"kind": "DATE", "text": "希望日"},
]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def create(m, owner: str = "kacho", **more: Any) -> dict[str, Any]:
    audience = more.pop(
        "audience",
        {
            "personIds": [str(p.id) for k, p in m.people.items() if k != owner],
        },
    )
    data = {"title": "歓迎会の出欠", "audience": audience, "questions": QUESTIONS, **more}
    payload = notices_api(m, owner).data(CREATE, {"input": data})["createSurvey"]
    assert payload["errors"] == [], payload
    return payload["survey"]  # type: ignore[no-any-return]


def answers(survey: dict[str, Any], single: int, *, days=None, text=None, number=None, date=None):
    q = [x["id"] for x in survey["questions"]]
    found = [{"questionId": q[0], "choices": [single]}]
    if days is not None:
        found.append({"questionId": q[1], "choices": days})
    if text is not None:
        found.append({"questionId": q[2], "text": text})
    if number is not None:
        found.append({"questionId": q[3], "number": number})
    if date is not None:
        found.append({"questionId": q[4], "date": date})
    return found


def test_answers_are_aggregated_for_the_owner_and_editable_until_close(okawa):
    survey = create(okawa)
    sid = survey["id"]
    shuji, kakari, shimin = (notices_api(okawa, k) for k in ("shuji", "kakari", "shimin"))
    payload = shuji.data(
        ANSWER,
        {
            "id": sid,
            "answers": answers(survey, 0, days=[0, 2], text="楽しみ", number=2, date="2026-12-18"),
        },
    )["answerSurvey"]
    assert payload["errors"] == [] and payload["survey"]["myAnsweredAt"]
    kakari.data(ANSWER, {"id": sid, "answers": answers(survey, 1, number=1.5)})
    # Changing one's answer replaces it: still one answer per person.
    payload = kakari.data(ANSWER, {"id": sid, "answers": answers(survey, 0, days=[2], number=3)})[
        "answerSurvey"
    ]
    assert payload["errors"] == []
    assert [a["choices"] or a["text"] for a in payload["survey"]["myAnswers"]] == [[0], [2], "3"]

    found = notices_api(okawa, "kacho").data(RESULTS, {"id": sid})["survey"]
    assert (found["recipientCount"], found["respondentCount"]) == (4, 2)
    assert {p["id"] for p in found["nonRespondents"]} == {
        str(okawa.people["jinji"].id),
        str(okawa.people["shimin"].id),
    }
    single, multiple, text, number, day = found["results"]
    assert single["choiceCounts"] == [
        {"choice": "参加", "count": 2},
        {"choice": "不参加", "count": 0},
    ]
    assert [c["count"] for c in multiple["choiceCounts"]] == [1, 0, 2]
    assert text["texts"] == [{"text": "楽しみ", "person": {"id": str(okawa.people["shuji"].id)}}]
    assert (
        number["numberCount"],
        number["numberSum"],
        number["numberMin"],
        number["numberMax"],
        number["numberAverage"],
    ) == (2, "5", "2", "3", "2.50")
    assert day["dates"] == [{"date": "2026-12-18", "count": 1}]
    # A respondent sees their own answers, never the results.
    seen = shuji.data(RESULTS, {"id": sid})["survey"]
    assert (seen["results"], seen["respondentCount"], seen["nonRespondents"]) == (None, None, None)
    assert shuji.data(CSV, {"id": sid, "enc": "CP932"})["surveyResultsCsv"] is None

    assert codes(shuji.data(CLOSE, {"id": sid})["closeSurvey"]) == ["NOT_AUTHOR"]
    assert (
        notices_api(okawa, "kacho").data(CLOSE, {"id": sid})["closeSurvey"]["survey"]["status"]
        == "CLOSED"
    )
    payload = shuji.data(ANSWER, {"id": sid, "answers": answers(survey, 1)})["answerSurvey"]
    assert codes(payload) == ["SURVEY_CLOSED"] and payload["survey"] is None
    payload = shimin.data(ANSWER, {"id": sid, "answers": answers(survey, 1)})["answerSurvey"]
    assert codes(payload) == ["SURVEY_CLOSED"]


def test_answers_are_checked_against_their_questions(okawa):
    survey = create(okawa)
    sid, q = survey["id"], [x["id"] for x in survey["questions"]]
    shuji = notices_api(okawa, "shuji")

    def errors(given):
        return [
            (e["code"], e["field"])
            for e in shuji.data(ANSWER, {"id": sid, "answers": given})["answerSurvey"]["errors"]
        ]

    assert errors([]) == [("REQUIRED", "questions.0")]
    assert errors([{"questionId": q[0], "choices": [0, 1]}]) == [("INVALID", "answers.0")]
    assert errors([{"questionId": q[0], "choices": [5]}]) == [("INVALID", "answers.0")]
    assert errors([{"questionId": q[0], "text": "参加"}]) == [("INVALID", "answers.0")]
    assert errors(
        [{"questionId": q[0], "choices": [0]}, {"questionId": q[1], "choices": [1, 1]}]
    ) == [("INVALID", "answers.1")]
    assert errors(
        [{"questionId": q[0], "choices": [0]}, {"questionId": q[2], "text": "長" * 2001}]
    ) == [("TOO_LONG", "answers.1")]
    assert errors([{"questionId": q[0], "choices": [0]}, {"questionId": str(okawa.tenant.id)}]) == [
        ("NOT_FOUND", "answers.1")
    ]
    # The owner, not asked, cannot answer; a survey not open yet takes no answers.
    payload = notices_api(okawa, "kacho").data(ANSWER, {"id": sid, "answers": answers(survey, 0)})
    assert codes(payload["answerSurvey"]) == ["NOT_RECIPIENT"]
    later = create(okawa, opensAt=(timezone.now() + timedelta(days=1)).isoformat())
    assert (
        shuji.data("query($id: ID!) { survey(id: $id) { id } }", {"id": later["id"]})["survey"]
        is None
    )
    payload = shuji.data(ANSWER, {"id": later["id"], "answers": answers(later, 0)})
    assert codes(payload["answerSurvey"]) == ["NOT_FOUND"]


def test_invalid_surveys_are_typed_errors(okawa):
    kacho = notices_api(okawa, "kacho")
    audience = {"personIds": [str(okawa.people["shuji"].id)]}

    def errors(**data):
        given = {"title": "x", "audience": audience, "questions": QUESTIONS, **data}
        return [
            (e["code"], e["field"])
            for e in kacho.data(CREATE, {"input": given})["createSurvey"]["errors"]
        ]

    assert errors(questions=[]) == [("REQUIRED", "questions")]
    assert errors(questions=[{"kind": "SINGLE_CHOICE", "text": "a", "choices": ["x"]}]) == [
        ("INVALID", "questions.0")
    ]
    assert errors(questions=[{"kind": "TEXT", "text": "a", "choices": ["x", "y"]}]) == [
        ("INVALID", "questions.0")
    ]
    assert errors(questions=[{"kind": "MULTIPLE_CHOICE", "text": "a", "choices": ["x", "x"]}]) == [
        ("DUPLICATE", "questions.0")
    ]
    now = timezone.now()
    assert errors(opensAt=now.isoformat(), closesAt=(now - timedelta(hours=1)).isoformat()) == [
        ("END_BEFORE_START", "closesAt")
    ]
    assert errors(audience={}) == [("NO_RECIPIENTS", "audience")]


def test_the_csv_is_cp932_by_default_utf8_on_request_and_neutralises_formulas(okawa):
    survey = create(okawa)
    sid = survey["id"]
    notices_api(okawa, "shuji").data(
        ANSWER,
        {
            "id": sid,
            "answers": answers(survey, 0, days=[0, 1], text='=HYPERLINK("http://evil")', number=-3),
        },
    )
    notices_api(okawa, "kakari").data(
        ANSWER, {"id": sid, "answers": answers(survey, 1, text="@SUM(A1) ＋髙橋 😀", number=5000)}
    )
    kacho = notices_api(okawa, "kacho")
    made = kacho.data(CSV, {"id": sid, "enc": "CP932"})["surveyResultsCsv"]
    assert made["encoding"] == "cp932" and made["lossy"] is True  # the emoji did not fit
    text = base64.b64decode(made["contentBase64"]).decode("cp932")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["職員番号", "氏名", "回答日時", "Q1 参加しますか"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["佐藤 次郎"][3:7] == ["参加", "月、火", '\'=HYPERLINK("http://evil")', "-3"]
    assert by_name["山﨑 花子"][5] == "'@SUM(A1) ＋髙橋 ?"
    assert by_name["山﨑 花子"][6] == "5000"  # as typed, not 5E+3
    assert by_name["佐藤 次郎"][0] == "0003"
    utf8 = kacho.data(CSV, {"id": sid, "enc": "UTF8"})["surveyResultsCsv"]
    raw = base64.b64decode(utf8["contentBase64"])
    assert raw.startswith(b"\xef\xbb\xbf") and utf8["lossy"] is False
    assert "😀" in raw.decode("utf-8-sig")


def test_an_anonymous_survey_never_shows_who_answered(okawa):
    survey = create(okawa, anonymous=True)
    sid = survey["id"]
    notices_api(okawa, "shuji").data(
        ANSWER, {"id": sid, "answers": answers(survey, 0, text="匿名の意見")}
    )
    kacho = notices_api(okawa, "kacho")
    found = kacho.data(RESULTS, {"id": sid})["survey"]
    assert found["results"][2]["texts"] == [{"text": "匿名の意見", "person": None}]
    assert found["nonRespondents"] is None and found["respondentCount"] == 1
    made = kacho.data(CSV, {"id": sid, "enc": "UTF8"})["surveyResultsCsv"]
    text = base64.b64decode(made["contentBase64"]).decode("utf-8-sig")
    assert "佐藤" not in text and "0003" not in text and "職員番号" not in text
    assert text.splitlines()[0].startswith("Q1 参加しますか")


def test_formula_neutraliser():
    assert [
        neutralise_formula(v)
        for v in ("=1+1", "+81", "-x", "@a", "＝1", "\tA", "-12", "-1.5", "abc", "'=1")
    ] == ["'=1+1", "'+81", "'-x", "'@a", "'＝1", "'\tA", "-12", "-1.5", "abc", "''=1"]


def test_another_municipalitys_survey_is_invisible_and_unchangeable(okawa, kanda):
    survey = create(okawa)
    sid = survey["id"]
    kanda_admin = notices_api(kanda, "admin")
    assert (
        kanda_admin.data("query($id: ID!) { survey(id: $id) { id } }", {"id": sid})["survey"]
        is None
    )
    entities = kanda_admin.data(
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Survey { title } } }",
        {"r": [{"__typename": "Survey", "id": sid}]},
    )
    assert entities["_entities"] == [None]
    assert codes(
        kanda_admin.data(ANSWER, {"id": sid, "answers": answers(survey, 0)})["answerSurvey"]
    ) == ["NOT_FOUND"]
    assert codes(kanda_admin.data(CLOSE, {"id": sid})["closeSurvey"]) == ["NOT_FOUND"]
    assert kanda_admin.data(CSV, {"id": sid, "enc": "CP932"})["surveyResultsCsv"] is None
    # Okawa's administrator does not read a survey not addressed to them either.
    assert notices_api(okawa, "admin").data(RESULTS, {"id": sid})["survey"] is None


OWNED_FULL = """{ ownedSurveys(first: 100) { id title status version isOwner
  questions { kind } myAnsweredAt recipientCount respondentCount results { answerCount } } }"""
COUNTS = """query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Person { openSurveyCount } } }"""


def test_lists_and_counts_cost_the_same_sql_queries_for_1_or_100(okawa):
    kacho, shuji = notices_api(okawa, "kacho"), notices_api(okawa, "shuji")
    first = create(okawa)
    shuji.data(ANSWER, {"id": first["id"], "answers": answers(first, 0, text="はい")})
    kacho.data(OWNED_FULL)
    with CaptureQueriesContext(connection) as queries:
        assert len(kacho.data(OWNED_FULL)["ownedSurveys"]) == 1
    one = len(queries)
    for _ in range(99):
        create(okawa)
    with CaptureQueriesContext(connection) as queries:
        assert len(kacho.data(OWNED_FULL)["ownedSurveys"]) == 100
    assert len(queries) == one, [q["sql"][:100] for q in queries.captured_queries]
    assert (
        shuji.data("{ me: surveys(first: 200) { id } }")["me"][0]["id"] != first["id"]
    )  # unanswered first
    admin = notices_api(okawa, "admin")
    reps = [{"__typename": "Person", "id": str(p.id)} for p in okawa.people.values()]
    found = admin.data(COUNTS, {"reps": reps})["_entities"]
    by_key = dict(zip(okawa.people, (e["openSurveyCount"] for e in found), strict=True))
    assert by_key == {"kacho": 0, "kakari": 100, "shuji": 99, "jinji": 100, "shimin": 100}
