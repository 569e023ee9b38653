"""Members of a group conversation: the one who started it adds and takes out people, every
member may leave, a one-to-one keeps its two; removed members and other towns reach nothing."""

from __future__ import annotations

import pytest

from tests.mail import ERRORS, mail_api
from tests.mail.test_direct_messages import ONE, SAY, start

pytestmark = pytest.mark.django_db

ADD = f"""mutation($id: ID!, $p: [ID!]!) {{ addConversationMembers(id: $id, personIds: $p) {{
  conversation {{ id startedByYou members {{ person {{ id }} }} }} {ERRORS} }} }}"""
REMOVE = f"""mutation($id: ID!, $p: ID!) {{ removeConversationMember(id: $id, personId: $p) {{
  conversation {{ id members {{ person {{ id }} }} }} {ERRORS} }} }}"""
LIST = "{ conversations { id } }"


def members(payload: dict) -> set[str]:
    return {m["person"]["id"] for m in payload["conversation"]["members"]}


def codes(payload: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def test_add_remove_and_leave(okawa):
    kacho, kakari, shuji, jinji = (okawa.people[k] for k in ("kacho", "kakari", "shuji", "jinji"))
    a, b, c, d = (mail_api(okawa, k) for k in ("kacho", "kakari", "shuji", "jinji"))
    group = start(a, kakari, shuji, title="防災", body="集合")
    assert c.data(SAY, {"c": group["id"], "body": "了解"})["sendDirectMessage"]["errors"] == []

    added = a.data(ADD, {"id": group["id"], "p": [str(shuji.id), str(jinji.id)]})
    added = added["addConversationMembers"]
    assert added["errors"] == []
    assert added["conversation"]["startedByYou"] is True
    assert members(added) == {str(p.id) for p in (kacho, kakari, shuji, jinji)}
    # A newcomer sees the history and may speak.
    history = d.data(ONE, {"id": group["id"]})["conversation"]["messages"]
    assert [m["body"] for m in history] == ["集合", "了解"]
    assert (
        d.data(SAY, {"c": group["id"], "body": "参加します"})["sendDirectMessage"]["errors"] == []
    )
    again = a.data(ADD, {"id": group["id"], "p": [str(shuji.id)]})["addConversationMembers"]
    assert codes(again) == [("REQUIRED", "personIds")]

    # Only the one who started it takes others out.
    refused = b.data(REMOVE, {"id": group["id"], "p": str(shuji.id)})["removeConversationMember"]
    assert codes(refused) == [("FORBIDDEN", "personId")]
    taken = a.data(REMOVE, {"id": group["id"], "p": str(jinji.id)})["removeConversationMember"]
    assert taken["errors"] == []
    assert str(jinji.id) not in members(taken)
    assert d.data(ONE, {"id": group["id"]})["conversation"] is None
    said = d.data(SAY, {"c": group["id"], "body": "まだいます"})["sendDirectMessage"]
    assert codes(said) == [("NOT_FOUND", "conversationId")]
    gone = a.data(REMOVE, {"id": group["id"], "p": str(jinji.id)})["removeConversationMember"]
    assert codes(gone) == [("NOT_MEMBER", "personId")]

    # Leaving: the conversation is gone from one's own list, the others keep it.
    left = b.data(REMOVE, {"id": group["id"], "p": str(kakari.id)})["removeConversationMember"]
    assert left == {"conversation": None, "errors": []}
    assert b.data(LIST)["conversations"] == []
    assert [x["id"] for x in a.data(LIST)["conversations"]] == [group["id"]]
    # The last two leave: nobody has it any more.
    for api, person in ((c, shuji), (a, kacho)):
        out = api.data(REMOVE, {"id": group["id"], "p": str(person.id)})
        assert out["removeConversationMember"]["errors"] == []
    assert a.data(LIST)["conversations"] == [] and c.data(LIST)["conversations"] == []


def test_one_to_one_outsiders_and_bad_input(okawa, kanda):
    kakari, shuji = okawa.people["kakari"], okawa.people["shuji"]
    a = mail_api(okawa, "kacho")
    pair = start(a, kakari)
    widened = a.data(ADD, {"id": pair["id"], "p": [str(shuji.id)]})["addConversationMembers"]
    assert codes(widened) == [("INVALID", "id")]
    left = a.data(REMOVE, {"id": pair["id"], "p": str(kakari.id)})["removeConversationMember"]
    assert codes(left) == [("INVALID", "id")]

    group = start(a, kakari, shuji)
    foreign = a.data(ADD, {"id": group["id"], "p": [str(kanda.people["shuji"].id)]})
    assert codes(foreign["addConversationMembers"]) == [("NOT_FOUND", "personIds")]
    junk = a.data(REMOVE, {"id": group["id"], "p": "not-an-id"})["removeConversationMember"]
    assert codes(junk) == [("NOT_MEMBER", "personId")]
    for outsider, me in ((okawa, "jinji"), (kanda, "kacho")):
        outsider, me = mail_api(outsider, me), str(outsider.people[me].id)
        tried = outsider.data(ADD, {"id": group["id"], "p": [me]})["addConversationMembers"]
        assert codes(tried) == [("NOT_FOUND", "id")]
        out = outsider.data(REMOVE, {"id": group["id"], "p": str(shuji.id)})
        assert codes(out["removeConversationMember"]) == [("NOT_FOUND", "id")]
    assert len(a.data(ONE, {"id": group["id"]})["conversation"]["messages"]) == 0
