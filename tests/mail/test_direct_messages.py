"""Direct messages (ダイレクトメッセージ): one-to-one found again, small groups, unread counts
and read receipts, members only, one municipality only."""

from __future__ import annotations

import pytest

from tests.mail import ERRORS, mail_api

pytestmark = pytest.mark.django_db

START = f"""mutation($input: StartConversationInput!) {{ startConversation(input: $input) {{
  conversation {{ id isDirect title members {{ person {{ id }} }} }} {ERRORS} }} }}"""
SAY = f"""mutation($c: ID!, $body: String!) {{ sendDirectMessage(conversationId: $c, body: $body) {{
  message {{ id body sender {{ id }} conversationId }} {ERRORS} }} }}"""
READ = f"""mutation($id: ID!) {{ markConversationRead(id: $id) {{ conversation {{ id }} {ERRORS} }} }}"""
LIST = """{ conversations { id unreadCount messages { body sender { id } }
  members { person { id } lastReadAt } } }"""
ONE = "query($id: ID!) { conversation(id: $id) { id messages { body } } }"
COUNT = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on Person { unreadDirectMessageCount } } }"""


def start(api, *people, **more) -> dict:
    payload = api.data(START, {"input": {"personIds": [str(p.id) for p in people], **more}})
    payload = payload["startConversation"]
    assert payload["errors"] == [], payload
    return payload["conversation"]  # type: ignore[no-any-return]


def unread(api, person) -> int:
    reps = [{"__typename": "Person", "id": str(person.id)}]
    return api.data(COUNT, {"reps": reps})["_entities"][0]["unreadDirectMessageCount"]  # type: ignore[no-any-return]


def test_one_to_one_is_found_again_and_counts_unread_until_read(okawa):
    kacho, kakari = okawa.people["kacho"], okawa.people["kakari"]
    a, b = mail_api(okawa, "kacho"), mail_api(okawa, "kakari")
    first = start(a, kakari, body="今よろしいですか")
    assert first["isDirect"] is True
    assert {m["person"]["id"] for m in first["members"]} == {str(kacho.id), str(kakari.id)}
    again = start(b, kacho)  # the other way round: the same conversation
    assert again["id"] == first["id"]
    said = b.data(SAY, {"c": first["id"], "body": "  はい、どうぞ  "})["sendDirectMessage"]
    assert said["message"]["body"] == "はい、どうぞ"
    a.data(SAY, {"c": first["id"], "body": "資料を送ります"})
    # Answering reads what came before: only 髙橋's latest is unread for 山﨑.
    assert unread(b, kakari) == 1
    assert unread(a, kacho) == 0  # he wrote after her answer
    [listed] = b.data(LIST)["conversations"]
    assert listed["unreadCount"] == 1
    assert [m["body"] for m in listed["messages"]] == [
        "今よろしいですか",
        "はい、どうぞ",
        "資料を送ります",
    ]
    assert b.data(READ, {"id": first["id"]})["markConversationRead"]["errors"] == []
    assert unread(b, kakari) == 0
    # Read receipts: 髙橋 sees how far 山﨑 has read.
    [mine] = a.data(LIST)["conversations"]
    read_at = {m["person"]["id"]: m["lastReadAt"] for m in mine["members"]}
    assert read_at[str(kakari.id)] is not None
    # Someone else's count is not one's business.
    assert unread(a, kakari) is None


def test_groups_bad_input_and_outsiders(okawa, kanda):
    a = mail_api(okawa, "kacho")
    group = start(
        a, okawa.people["kakari"], okawa.people["shuji"], title="  防災  担当  ", body="集合"
    )
    assert (group["isDirect"], group["title"]) == (False, "防災 担当")
    empty = a.data(SAY, {"c": group["id"], "body": "   "})["sendDirectMessage"]
    assert [(e["code"], e["field"]) for e in empty["errors"]] == [("REQUIRED", "body")]
    long = a.data(SAY, {"c": group["id"], "body": "あ" * 5001})["sendDirectMessage"]
    assert [e["code"] for e in long["errors"]] == ["TOO_LONG"]
    nobody = a.data(START, {"input": {"personIds": [str(okawa.people["kacho"].id)]}})
    assert [e["code"] for e in nobody["startConversation"]["errors"]] == ["REQUIRED"]
    foreign = a.data(START, {"input": {"personIds": [str(kanda.people["shuji"].id)]}})
    assert [(e["code"], e["field"]) for e in foreign["startConversation"]["errors"]] == [
        ("NOT_FOUND", "personIds")
    ]
    # A colleague who is not a member, and another town, reach nothing.
    for outsider in (mail_api(okawa, "jinji"), mail_api(kanda, "kakari")):
        assert outsider.data(ONE, {"id": group["id"]})["conversation"] is None
        assert outsider.data(LIST)["conversations"] == []
        said = outsider.data(SAY, {"c": group["id"], "body": "割り込み"})["sendDirectMessage"]
        assert [e["code"] for e in said["errors"]] == ["NOT_FOUND"]
    assert [m["body"] for m in a.data(ONE, {"id": group["id"]})["conversation"]["messages"]] == [
        "集合"
    ]
