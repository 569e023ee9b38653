"""Across the council (協議会): the one path by which data crosses a tenant boundary.

大川市 (okawa) asks every member municipality's information-systems contact; 苅田町
(kanda) and みやこ町 (miyako) answer, each seeing its own answer only; 大川市's sender
side sees all; a municipality outside the council, staff outside the contact
department, and 大川市 staff who are not its sender side see nothing, by ID, by
``_entities`` and by subscription.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from subgraphs.core.graphql.context import YuiContext
from subgraphs.notices.graphql.schema import schema
from subgraphs.notices.models import CouncilDelivery, CouncilRequest
from subgraphs.people.models import Tenant
from tests.conftest import GraphQLClient, Municipality, build_municipality
from tests.notices import notices_api

ERRORS = "errors { code field message }"
SET_CONTACT = f"""mutation($purpose: CouncilPurpose!, $dept: ID) {{
  setCouncilContact(purpose: $purpose, departmentId: $dept) {{
    contact {{ purpose department {{ id }} }} {ERRORS} }} }}"""
SEND = f"""mutation($input: SendCouncilRequestInput!) {{ sendCouncilRequest(input: $input) {{
  request {{ id kind status questions {{ id kind text choices }}
    deliveries {{ municipalityName }} }} {ERRORS} }} }}"""
RESPOND = f"""mutation($id: ID!, $comment: String, $answers: [SurveyAnswerInput!]) {{
  respondToCouncilRequest(id: $id, comment: $comment, answers: $answers) {{
    request {{ id myDelivery {{ municipalityName comment answers {{ questionId choices text }} }} }}
    {ERRORS} }} }}"""
COMPLETE = f"""mutation($id: ID!) {{ completeCouncilRequest(id: $id) {{ request {{ status }}
  {ERRORS} }} }}"""
DETAIL = """query($id: ID!) { councilRequest(id: $id) { id title body senderMunicipalityName
  isSender sender { id } questions { id text }
  myDelivery { municipalityName comment respondedByName respondedBy { id }
    answers { questionId choices text } }
  deliveries { municipalityCode municipalityName comment respondedByName respondedBy { id }
    respondedAt answers { questionId choices text } }
  respondedCount } }"""
LIST = """query($sent: Boolean) { councilRequests(sent: $sent) { id title
  myDelivery { municipalityName } deliveries { municipalityName } } }"""
ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on CouncilRequest { id title myDelivery { municipalityName comment
    answers { text } } deliveries { municipalityName } } } }"""

IT = "INFORMATION_SYSTEMS"


@pytest.fixture
def miyako(db) -> Municipality:
    return build_municipality("406252", "miyako", "みやこ町")


@pytest.fixture
def outsider(db) -> Municipality:
    m = build_municipality("401005", "kitaq", "北九市")
    Tenant.objects.filter(id=m.tenant.id).update(council=None)
    return m


def set_contact(m: Municipality, dept: str | None) -> dict[str, Any]:
    variables = {"purpose": IT, "dept": str(m.orgs[dept].id) if dept else None}
    return notices_api(m, "admin").data(SET_CONTACT, variables)["setCouncilContact"]  # type: ignore[no-any-return]


def survey_input(**more: Any) -> dict[str, Any]:
    return {
        "kind": "SURVEY",
        "purpose": IT,
        "title": "基幹系システム更新時期の照会",
        "body": "<p>ご回答ください<script>alert(1)</script></p>",
        "questions": [
            {
                "kind": "SINGLE_CHOICE",
                "text": "更新予定",
                "required": True,
                "choices": ["令和7年度", "令和8年度", "未定"],
            },
            {"kind": "TEXT", "text": "課題"},
        ],
        **more,
    }


@pytest.fixture
def sent(okawa, kanda, miyako, outsider) -> dict[str, Any]:
    """Contacts set in kanda (庶務係) and miyako (人事係); okawa's admin sends a survey."""
    assert set_contact(kanda, "shomu")["errors"] == []
    assert set_contact(miyako, "jinji")["errors"] == []
    payload = notices_api(okawa, "admin").data(SEND, {"input": survey_input()})
    payload = payload["sendCouncilRequest"]
    assert payload["errors"] == [], payload
    return payload["request"]  # type: ignore[no-any-return]


def answer(m: Municipality, who: str, request: dict[str, Any], pick: int, text: str) -> dict:
    q1, q2 = (q["id"] for q in request["questions"])
    answers = [{"questionId": q1, "choices": [pick]}, {"questionId": q2, "text": text}]
    payload = notices_api(m, who).data(RESPOND, {"id": request["id"], "answers": answers})
    return payload["respondToCouncilRequest"]  # type: ignore[no-any-return]


@pytest.mark.django_db
def test_the_request_reaches_exactly_the_member_municipalities_contacts(sent, okawa):
    assert sent["kind"] == "SURVEY" and sent["status"] == "OPEN"
    # kanda and miyako named contacts; okawa (the sender) and the outsider did not.
    assert [d["municipalityName"] for d in sent["deliveries"]] == ["苅田町", "みやこ町"]
    assert CouncilDelivery.objects.count() == 2
    stored = CouncilRequest.objects.get(id=sent["id"])
    assert "<script>" not in stored.body and "ご回答ください" in stored.body


@pytest.mark.django_db
def test_only_administrators_and_liaisons_send_and_only_inside_a_council(okawa, kanda, outsider):
    assert set_contact(kanda, "shomu")["errors"] == []
    refused = notices_api(okawa, "kacho").data(SEND, {"input": survey_input()})
    assert [e["code"] for e in refused["sendCouncilRequest"]["errors"]] == ["NOT_COUNCIL_SENDER"]
    alone = notices_api(outsider, "admin").data(SEND, {"input": survey_input()})
    assert [e["code"] for e in alone["sendCouncilRequest"]["errors"]] == ["NOT_IN_COUNCIL"]
    assert [e["code"] for e in set_contact(outsider, "shomu")["errors"]] == ["NOT_IN_COUNCIL"]
    # A department of another municipality cannot be one's contact.
    foreign = notices_api(kanda, "admin").data(
        SET_CONTACT, {"purpose": IT, "dept": str(okawa.orgs["shomu"].id)}
    )["setCouncilContact"]
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    nobody = notices_api(okawa, "admin").data(SEND, {"input": survey_input(purpose="EDUCATION")})[
        "sendCouncilRequest"
    ]
    assert [e["code"] for e in nobody["errors"]] == ["NO_RECIPIENTS"]
    assert not CouncilRequest.objects.exists()
    # A staff member (not an administrator) cannot name the contact.
    response = notices_api(kanda, "kacho")(
        SET_CONTACT, {"purpose": IT, "dept": str(kanda.orgs["shomu"].id)}
    )
    assert response["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.django_db
def test_each_municipality_sees_its_own_answer_and_the_sender_sees_all(sent, okawa, kanda, miyako):
    kanda_answer = answer(kanda, "shuji", sent, 0, "苅田町の課題: 予算")
    assert kanda_answer["errors"] == []
    assert kanda_answer["request"]["myDelivery"]["municipalityName"] == "苅田町"
    assert answer(miyako, "jinji", sent, 2, "みやこ町の課題: 人員")["errors"] == []

    # kanda's contact (庶務係) sees the request and kanda's own answer, nothing of miyako's.
    seen = notices_api(kanda, "kakari")(DETAIL, {"id": sent["id"]})
    assert "errors" not in seen
    request = seen["data"]["councilRequest"]
    assert request["senderMunicipalityName"] == "大川市"
    assert request["sender"] is None and request["isSender"] is False
    assert request["deliveries"] is None and request["respondedCount"] is None
    assert request["myDelivery"]["respondedByName"] == "佐藤 次郎"
    assert request["myDelivery"]["respondedBy"] == {"id": str(kanda.people["shuji"].id)}
    assert [a["text"] for a in request["myDelivery"]["answers"] if a["text"]] == [
        "苅田町の課題: 予算"
    ]
    raw = json.dumps(seen, ensure_ascii=False)
    assert "みやこ" not in raw and "人員" not in raw
    assert "<script>" not in request["body"]
    mine = notices_api(miyako, "admin").data(DETAIL, {"id": sent["id"]})["councilRequest"]
    assert "苅田" not in json.dumps(mine, ensure_ascii=False)
    assert mine["myDelivery"]["comment"] == ""

    # The lists: kanda's contact finds it among those received, not among those sent.
    received = notices_api(kanda, "kakari").data(LIST, {"sent": False})["councilRequests"]
    assert [r["id"] for r in received] == [sent["id"]]
    assert notices_api(kanda, "kakari").data(LIST, {"sent": True})["councilRequests"] == []
    assert notices_api(okawa, "admin").data(LIST, {"sent": False})["councilRequests"] == []
    [mine] = notices_api(okawa, "admin").data(LIST, {"sent": True})["councilRequests"]
    assert len(mine["deliveries"]) == 2 and mine["myDelivery"] is None

    # okawa's sender side sees every municipality's answer.
    full = notices_api(okawa, "admin").data(DETAIL, {"id": sent["id"]})["councilRequest"]
    assert full["isSender"] is True and full["respondedCount"] == 2
    assert full["myDelivery"] is None
    by_town = {d["municipalityName"]: d for d in full["deliveries"]}
    assert by_town["苅田町"]["respondedByName"] == "佐藤 次郎"
    assert by_town["苅田町"]["respondedBy"] is None  # a person of another municipality
    assert [a["choices"] for a in by_town["苅田町"]["answers"] if a["choices"]] == [[0]]
    assert [a["text"] for a in by_town["みやこ町"]["answers"] if a["text"]] == [
        "みやこ町の課題: 人員"
    ]


@pytest.mark.django_db
def test_nobody_else_sees_it_by_id_list_or_entities(sent, okawa, kanda, miyako, outsider):
    answer(kanda, "shuji", sent, 1, "苅田町の回答")
    reps = {"reps": [{"__typename": "CouncilRequest", "id": sent["id"]}]}
    for m, who in (
        (kanda, "shimin"),  # kanda, but not in its contact department
        (miyako, "shuji"),  # miyako's contact is 人事係, not 庶務係
        (okawa, "kacho"),  # the sender's municipality, but not its sender side
        (outsider, "admin"),  # outside the council altogether
        (outsider, "shuji"),
    ):
        api = notices_api(m, who)
        assert api.data(DETAIL, {"id": sent["id"]})["councilRequest"] is None, (m, who)
        assert api.data(LIST, {"sent": None})["councilRequests"] == [], (m, who)
        assert api.data(ENTITIES, reps)["_entities"] == [None], (m, who)
    # Through _entities, miyako's contact gets miyako's delivery only.
    [entity] = notices_api(miyako, "jinji").data(ENTITIES, reps)["_entities"]
    assert entity["deliveries"] is None
    assert entity["myDelivery"] == {"municipalityName": "みやこ町", "comment": "", "answers": []}
    # Neither can anyone outside respond or complete it.
    for m, who in ((kanda, "shimin"), (outsider, "admin"), (okawa, "kacho")):
        refused = answer(m, who, sent, 0, "横入り")
        assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"], (m, who)
    refused = notices_api(kanda, "admin").data(COMPLETE, {"id": sent["id"]})
    assert [e["code"] for e in refused["completeCouncilRequest"]["errors"]] == ["NOT_AUTHOR"]
    assert CouncilDelivery.objects.get(tenant_id=kanda.tenant.id).comment == ""
    assert [a["value"] for a in CouncilDelivery.objects.get(tenant_id=kanda.tenant.id).answers] == [
        [1],
        "苅田町の回答",
    ]


@pytest.mark.django_db
def test_answers_are_checked_changed_until_closed_and_not_after_completion(sent, okawa, kanda):
    q1, _ = (q["id"] for q in sent["questions"])
    api = notices_api(kanda, "shuji")
    missing = api.data(RESPOND, {"id": sent["id"], "answers": []})["respondToCouncilRequest"]
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("REQUIRED", "questions.0")]
    bad = api.data(RESPOND, {"id": sent["id"], "answers": [{"questionId": q1, "choices": [7]}]})
    assert [e["code"] for e in bad["respondToCouncilRequest"]["errors"]] == ["INVALID"]
    assert answer(kanda, "shuji", sent, 0, "最初")["errors"] == []
    assert answer(kanda, "kakari", sent, 1, "変更後")["errors"] == []
    delivery = CouncilDelivery.objects.get(tenant_id=kanda.tenant.id)
    assert [a["value"] for a in delivery.answers] == [[1], "変更後"]
    assert delivery.responded_by_name == "山﨑 花子"

    done = notices_api(okawa, "admin").data(COMPLETE, {"id": sent["id"]})
    assert done["completeCouncilRequest"]["request"]["status"] == "COMPLETED"
    late = answer(kanda, "shuji", sent, 2, "完了後")
    assert [e["code"] for e in late["errors"]] == ["COMPLETED"]
    assert [a["value"] for a in CouncilDelivery.objects.get(id=delivery.id).answers] == [
        [1],
        "変更後",
    ]


@pytest.mark.django_db
def test_a_council_circulation_is_confirmed_with_a_comment_and_closes(okawa, kanda):
    assert set_contact(kanda, "shomu")["errors"] == []
    closes = (timezone.now() + timedelta(days=3)).isoformat()
    payload = notices_api(okawa, "admin").data(
        SEND,
        {
            "input": {
                "kind": "CIRCULATION",
                "purpose": IT,
                "title": "研修のご案内",
                "closesAt": closes,
            }
        },
    )["sendCouncilRequest"]
    assert payload["errors"] == []
    pk = payload["request"]["id"]
    api = notices_api(kanda, "kakari")
    with_answers = api.data(RESPOND, {"id": pk, "answers": [{"questionId": pk, "text": "x"}]})
    assert [e["code"] for e in with_answers["respondToCouncilRequest"]["errors"]] == ["INVALID"]
    confirmed = api.data(RESPOND, {"id": pk, "comment": "2名参加します"})
    assert confirmed["respondToCouncilRequest"]["request"]["myDelivery"]["comment"] == (
        "2名参加します"
    )
    CouncilRequest.objects.filter(id=pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    closed = api.data(RESPOND, {"id": pk, "comment": "3名に変更"})
    assert [e["code"] for e in closed["respondToCouncilRequest"]["errors"]] == [
        "COUNCIL_REQUEST_CLOSED"
    ]


SET_ROLES = """mutation($id: ID!, $roles: [Role!]!) {
  setRoles(input: {personId: $id, roles: $roles}) { person { roles } errors { code } } }"""


@pytest.mark.django_db
def test_an_administrator_grants_the_council_liaison_role_which_lets_staff_send(okawa, kanda):
    assert set_contact(kanda, "shomu")["errors"] == []
    kacho = str(okawa.people["kacho"].id)
    granted = okawa.api(okawa.admin).data(SET_ROLES, {"id": kacho, "roles": ["COUNCIL_LIAISON"]})
    assert granted["setRoles"]["errors"] == []
    assert sorted(granted["setRoles"]["person"]["roles"]) == ["COUNCIL_LIAISON", "STAFF"]
    payload = notices_api(okawa, "kacho").data(SEND, {"input": survey_input()})
    assert payload["sendCouncilRequest"]["errors"] == []
    assert [
        d["municipalityName"] for d in payload["sendCouncilRequest"]["request"]["deliveries"]
    ] == ["苅田町"]
    # A liaison is not an administrator: naming the contacts stays with administrators.
    refused = notices_api(okawa, "kacho")(SET_CONTACT, {"purpose": IT, "dept": None})
    assert refused.get("errors") or refused["data"]["setCouncilContact"]["errors"]
    # Taken away again, the next request is refused.
    okawa.api(okawa.admin).data(SET_ROLES, {"id": kacho, "roles": []})
    again = notices_api(okawa, "kacho").data(SEND, {"input": survey_input()})
    assert [e["code"] for e in again["sendCouncilRequest"]["errors"]] == ["NOT_COUNCIL_SENDER"]
    # Someone of another municipality cannot be granted it by okawa's administrator.
    foreign = okawa.api(okawa.admin)(
        SET_ROLES, {"id": str(kanda.people["kacho"].id), "roles": ["COUNCIL_LIAISON"]}
    )
    assert foreign.get("errors") or foreign["data"]["setRoles"]["errors"]


COUNCIL_CSV = """query($id: ID!, $encoding: CsvEncoding! = CP932) {
  councilResultsCsv(id: $id, encoding: $encoding) { filename encoding contentBase64 lossy } }"""


@pytest.mark.django_db
def test_the_sender_side_exports_every_municipalitys_answer_as_csv(sent, okawa, kanda, miyako):
    assert answer(kanda, "kakari", sent, 1, "=HYPERLINK(1)")["errors"] == []
    found = notices_api(okawa, "admin").data(COUNCIL_CSV, {"id": sent["id"]})
    csv_file = found["councilResultsCsv"]
    assert csv_file["encoding"] == "cp932" and not csv_file["lossy"]
    rows = base64.b64decode(csv_file["contentBase64"]).decode("cp932").split("\r\n")
    assert rows[0] == "団体コード,団体名,回答者,回答日時,コメント,Q1 更新予定,Q2 課題"
    kanda_row, miyako_row = rows[1].split(","), rows[2].split(",")
    assert kanda_row[:2] == ["406210", "苅田町"] and kanda_row[2]
    # A cell a spreadsheet would run as a formula is neutralised.
    assert kanda_row[5:] == ["令和8年度", "'=HYPERLINK(1)"]
    # miyako has not responded: its row is there, empty.
    assert miyako_row == ["406252", "みやこ町", "", "", "", "", ""]
    utf8 = notices_api(okawa, "admin").data(COUNCIL_CSV, {"id": sent["id"], "encoding": "UTF8"})
    assert base64.b64decode(utf8["councilResultsCsv"]["contentBase64"]).startswith(b"\xef\xbb\xbf")
    # A receiving municipality (even its administrator) does not get the others' answers.
    for m, who in ((kanda, "admin"), (kanda, "kakari"), (miyako, "admin"), (okawa, "kacho")):
        assert (
            notices_api(m, who).data(COUNCIL_CSV, {"id": sent["id"]})["councilResultsCsv"] is None
        )


@pytest.mark.django_db
def test_the_list_costs_the_same_queries_for_one_request_and_for_many(sent, okawa, kanda):
    sender, receiver = notices_api(okawa, "admin"), notices_api(kanda, "shuji")

    def queries(api: GraphQLClient) -> int:
        api.data(LIST)  # a token's first use records itself: not part of the list
        with CaptureQueriesContext(connection) as captured:
            api.data(LIST)
        return len(captured.captured_queries)

    one = (queries(sender), queries(receiver))
    for n in range(4):
        data = sender.data(SEND, {"input": survey_input(title=f"照会{n}")})
        assert data["sendCouncilRequest"]["errors"] == []
    assert len(receiver.data(LIST)["councilRequests"]) == 5
    assert (queries(sender), queries(receiver)) == one


# --- subscriptions ------------------------------------------------------------------------

EVENTS = """subscription { councilRequestEvents { kind request { id title
  myDelivery { municipalityName } deliveries { municipalityName } } } }"""


async def _subscribe(m: Municipality, who: str) -> Any:
    person = m.admin if who == "admin" else m.people[who]
    principal = await sync_to_async(m.principal)(person)
    stream = await schema.subscribe(EVENTS, context_value=YuiContext(principal=principal))
    return stream


class Inbox:
    """One subscriber's stream, already listening (its next event is awaited from the start,
    so it has joined its group before anything is sent)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.pending = asyncio.ensure_future(stream.__anext__())

    async def next(self, seconds: float = 5.0) -> dict[str, Any]:
        result = await asyncio.wait_for(asyncio.shield(self.pending), seconds)
        self.pending = asyncio.ensure_future(self.stream.__anext__())
        assert result.errors is None, result.errors
        return result.data["councilRequestEvents"]  # type: ignore[no-any-return]

    async def close(self) -> None:
        self.pending.cancel()
        await asyncio.gather(self.pending, return_exceptions=True)
        await self.stream.aclose()


@pytest.mark.django_db(transaction=True)
async def test_subscribers_hear_only_what_they_may_see(okawa, kanda, miyako, outsider):
    await sync_to_async(set_contact)(kanda, "shomu")
    await sync_to_async(set_contact)(miyako, "jinji")
    contact = Inbox(await _subscribe(kanda, "shuji"))
    bystander = Inbox(await _subscribe(kanda, "shimin"))
    stranger = Inbox(await _subscribe(outsider, "admin"))
    sender = Inbox(await _subscribe(okawa, "admin"))
    try:
        await asyncio.sleep(0.3)  # let the subscriptions join their groups
        request = await sync_to_async(
            lambda: notices_api(okawa, "admin").data(SEND, {"input": survey_input()})
        )()
        request = request["sendCouncilRequest"]["request"]
        received = await contact.next()
        assert received["kind"] == "RECEIVED"
        assert received["request"]["id"] == request["id"]
        assert received["request"]["deliveries"] is None
        assert received["request"]["myDelivery"] == {"municipalityName": "苅田町"}

        await sync_to_async(answer)(miyako, "jinji", request, 0, "みやこ町")
        responded = await sender.next()
        assert responded["kind"] == "RESPONDED"
        assert {d["municipalityName"] for d in responded["request"]["deliveries"]} == {
            "苅田町",
            "みやこ町",
        }
        # kanda's contact heard nothing of miyako's answer; the bystander and the outsider
        # heard nothing at all.
        await asyncio.sleep(0.5)
        assert not contact.pending.done()
        assert not bystander.pending.done()
        assert not stranger.pending.done()
    finally:
        for inbox in (contact, bystander, stranger, sender):
            await inbox.close()
        await sync_to_async(connections.close_all)()
