"""Who reaches which mail: shared section mailboxes by assignment (person or department,
removed at once), and another municipality never, by ID, `_entities` or mutation."""

from __future__ import annotations

from typing import Any

import pytest

from subgraphs.mail.models import MailEntry
from tests.mail import (
    ERRORS,
    MARK,
    MESSAGE,
    inbox,
    mail_api,
    mailboxes,
    personal,
    send,
    sent,
)

pytestmark = pytest.mark.django_db

CREATE_SHARED = f"""mutation($input: CreateSharedMailboxInput!) {{
  createSharedMailbox(input: $input) {{ mailbox {{ id name address
    assignments {{ id person {{ id }} department {{ id }} }} }} {ERRORS} }} }}"""
ASSIGN = f"""mutation($input: AssignMailboxInput!) {{ assignMailbox(input: $input) {{
  mailbox {{ id assignments {{ id person {{ id }} department {{ id }} }} }} {ERRORS} }} }}"""
UNASSIGN = f"""mutation($id: ID!) {{ unassignMailbox(id: $id) {{ mailbox {{ id }} {ERRORS} }} }}"""
ENTITIES = """query($reps: [_Any!]!) { _entities(representations: $reps) {
  ... on MailMessage { id subject } ... on Person { id unreadMailCount mailboxes { id } } } }"""


def shared_shomu(okawa) -> dict:
    """庶務係's shared mailbox, assigned to 庶務係 (山﨑, 佐藤) and to 田中 of 市民課."""
    admin = mail_api(okawa, "admin")
    payload = admin.data(CREATE_SHARED, {"input": {"localPart": "Shomu", "name": "総務課庶務係"}})
    payload = payload["createSharedMailbox"]
    assert payload["errors"] == [], payload
    box = payload["mailbox"]
    assert box["address"] == "shomu@okawa.invalid"
    assigned = admin.data(
        ASSIGN,
        {
            "input": {
                "mailboxId": box["id"],
                "departmentIds": [str(okawa.orgs["shomu"].id)],
                "personIds": [str(okawa.people["shimin"].id)],
            }
        },
    )["assignMailbox"]
    assert assigned["errors"] == [], assigned
    return assigned["mailbox"]  # type: ignore[no-any-return]


def shared_of(api) -> Any:
    return next((m for m in mailboxes(api) if m["kind"] == "SHARED"), None)


def test_a_shared_mailbox_is_seen_by_its_members_who_share_its_state(okawa):
    box = shared_shomu(okawa)
    kakari, shuji, shimin = (mail_api(okawa, k) for k in ("kakari", "shuji", "shimin"))
    kacho, jinji = mail_api(okawa, "kacho"), mail_api(okawa, "jinji")
    for member in (kakari, shuji, shimin):
        assert shared_of(member)["id"] == box["id"]
    for outsider in (kacho, jinji, mail_api(okawa, "admin")):
        assert shared_of(outsider) is None  # administrators manage, they do not read
    sent(kacho, to=["shomu@okawa.invalid"], subject="備品の発注")
    [message] = inbox(kakari, shared_of(kakari))
    assert shared_of(shuji)["unreadCount"] == 1
    assert personal(kakari)["unreadCount"] == 0  # shared mail is not personal mail
    # 山﨑 reads it: read for 佐藤 and 田中 too, one state for the section.
    kakari.data(MARK, {"input": {"ids": [message["id"]], "read": True, "flagged": True}})
    for member in (shuji, shimin):
        [seen] = inbox(member, shared_of(member))
        assert (seen["isRead"], seen["isFlagged"]) == (True, True)
        assert shared_of(member)["unreadCount"] == 0
    assert MailEntry.objects.filter(message__subject="備品の発注").count() == 2  # Sent + shared
    # A member sends as the section: the reply comes from the shared address.
    answer = sent(shuji, mailboxId=box["id"], to=["0001@okawa.invalid"], subject="Re: 備品")
    assert answer["from"] == {"name": "総務課庶務係", "address": "shomu@okawa.invalid"}
    # Outsiders reach none of it by ID.
    assert kacho.data(MESSAGE, {"id": message["id"]})["mailMessage"] is None
    marked = jinji.data(MARK, {"input": {"ids": [message["id"]], "read": False}})["markMail"]
    assert [e["code"] for e in marked["errors"]] == ["NOT_FOUND"]
    payload = send(jinji, mailboxId=box["id"], to=["0001@okawa.invalid"], subject="なりすまし")
    assert [e["code"] for e in payload["errors"]] == ["NOT_FOUND"]


def test_removing_an_assignment_removes_access_at_once(okawa):
    box = shared_shomu(okawa)
    sent(mail_api(okawa, "kacho"), to=["shomu@okawa.invalid"], subject="至急")
    shimin = mail_api(okawa, "shimin")
    [message] = inbox(shimin, shared_of(shimin))
    person_assignment = next(a for a in box["assignments"] if a["person"])
    admin = mail_api(okawa, "admin")
    assert admin.data(UNASSIGN, {"id": person_assignment["id"]})["unassignMailbox"]["errors"] == []
    assert shared_of(shimin) is None
    assert shimin.data(MESSAGE, {"id": message["id"]})["mailMessage"] is None
    # The department's members keep it.
    assert shared_of(mail_api(okawa, "shuji"))["id"] == box["id"]


def test_only_administrators_manage_shared_mailboxes_and_checks_hold(okawa, kanda):
    refused = mail_api(okawa, "kakari")(CREATE_SHARED, {"input": {"localPart": "x", "name": "x"}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = mail_api(okawa, "admin")
    taken = admin.data(CREATE_SHARED, {"input": {"localPart": "0002", "name": "x"}})
    assert [e["code"] for e in taken["createSharedMailbox"]["errors"]] == ["DUPLICATE"]
    bad = admin.data(CREATE_SHARED, {"input": {"localPart": "a b", "name": ""}})
    assert {e["code"] for e in bad["createSharedMailbox"]["errors"]} == {"INVALID", "REQUIRED"}
    box = shared_shomu(okawa)
    foreign = admin.data(
        ASSIGN,
        {"input": {"mailboxId": box["id"], "personIds": [str(kanda.people["shuji"].id)]}},
    )["assignMailbox"]
    assert [(e["code"], e["field"]) for e in foreign["errors"]] == [("NOT_FOUND", "personIds")]
    foreign = admin.data(
        ASSIGN,
        {"input": {"mailboxId": box["id"], "departmentIds": [str(kanda.orgs["shomu"].id)]}},
    )["assignMailbox"]
    assert [(e["code"], e["field"]) for e in foreign["errors"]] == [("NOT_FOUND", "departmentIds")]
    # Another municipality's administrator cannot touch this mailbox.
    other = mail_api(kanda, "admin").data(
        ASSIGN, {"input": {"mailboxId": box["id"], "personIds": [str(kanda.people["shuji"].id)]}}
    )["assignMailbox"]
    assert [e["code"] for e in other["errors"]] == ["NOT_FOUND"]


def test_another_municipality_reaches_nothing_by_id_entities_or_address(okawa, kanda):
    okawa_kacho = mail_api(okawa, "kacho")
    sent(okawa_kacho, to=["0002@okawa.invalid"], subject="大川市の内部文書")
    [message] = inbox(mail_api(okawa, "kakari"))
    okawa_box = personal(mail_api(okawa, "kakari"))
    intruder = mail_api(kanda, "kakari")  # the same login ID, another town
    assert personal(intruder)["address"] == "0002@kanda.invalid"
    assert intruder.data(MESSAGE, {"id": message["id"]})["mailMessage"] is None
    found = intruder.data(
        ENTITIES,
        {
            "reps": [
                {"__typename": "MailMessage", "id": message["id"]},
                {"__typename": "Person", "id": str(okawa.people["kakari"].id)},
            ]
        },
    )["_entities"]
    assert found[0] is None
    assert found[1]["unreadMailCount"] is None and found[1]["mailboxes"] is None
    listing = intruder.data(
        """query($m: ID!) { mailMessages(mailboxId: $m) { totalCount messages { id } } }""",
        {"m": okawa_box["id"]},
    )
    assert listing["mailMessages"] == {"totalCount": 0, "messages": []}
    marked = intruder.data(MARK, {"input": {"ids": [message["id"]], "read": True}})
    assert [e["code"] for e in marked["markMail"]["errors"]] == ["NOT_FOUND"]
    assert not MailEntry.objects.get(id=message["id"]).is_read
    # Mail from 苅田町 to an 大川市 address is not delivered inside Yui: it goes out.
    outgoing = sent(intruder, to=["0002@okawa.invalid"], subject="外から")
    assert outgoing["deliveries"] == [
        {"recipients": ["0002@okawa.invalid"], "status": "PENDING", "attempts": 0}
    ]
    assert [m["subject"] for m in inbox(mail_api(okawa, "kakari"))] == ["大川市の内部文書"]


def test_unread_mail_count_is_only_for_oneself(okawa):
    sent(mail_api(okawa, "kacho"), to=["0002@okawa.invalid"], subject="一通")
    api = mail_api(okawa, "kakari")
    me = api.data(
        ENTITIES, {"reps": [{"__typename": "Person", "id": str(okawa.people["kakari"].id)}]}
    )["_entities"][0]
    assert me["unreadMailCount"] == 1
    assert len(me["mailboxes"]) == 1
    other = api.data(
        ENTITIES, {"reps": [{"__typename": "Person", "id": str(okawa.people["kacho"].id)}]}
    )["_entities"][0]
    assert other == {
        "id": str(okawa.people["kacho"].id),
        "unreadMailCount": None,
        "mailboxes": None,
    }


SUGGEST = "query($s: String!) { mailAddressSuggestions(search: $s) { name address } }"


def test_address_completion_finds_colleagues_and_shared_mailboxes_of_one_town(okawa, kanda):
    shared_shomu(okawa)
    api = mail_api(okawa, "kacho")
    found = api.data(SUGGEST, {"s": "山﨑"})["mailAddressSuggestions"]
    assert found == [{"name": "山﨑 花子", "address": "0002@okawa.invalid"}]
    found = api.data(SUGGEST, {"s": "庶務"})["mailAddressSuggestions"]
    assert found == [{"name": "総務課庶務係", "address": "shomu@okawa.invalid"}]
    # 苅田町 has its own 山﨑 and no 庶務 mailbox: neither town sees the other's.
    other = mail_api(kanda, "kacho")
    assert other.data(SUGGEST, {"s": "山﨑"})["mailAddressSuggestions"] == [
        {"name": "山﨑 花子", "address": "0002@kanda.invalid"}
    ]
    assert other.data(SUGGEST, {"s": "庶務"})["mailAddressSuggestions"] == []
    assert api.data(SUGGEST, {"s": "   "})["mailAddressSuggestions"] == []
