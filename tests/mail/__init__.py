"""Tests of the mail subgraph. Helpers shared by its test modules live here."""

from __future__ import annotations

from typing import Any

from subgraphs.people import actions as people_actions
from subgraphs.people.models import Person
from tests.conftest import GraphQLClient, Municipality

MAIL_URL = "/subgraphs/mail/graphql"
ERRORS = "errors { code field message }"
MESSAGE_FIELDS = """id subject isRead isFlagged isDraft threadId messageId inReplyTo origin
  from { name address } to { name address } cc { address } bcc { address }
  textBody htmlBody folder { role name } mailbox { id address }"""
MAILBOXES = """{ mailboxes { id kind name address unreadCount
  folders { id role name totalCount unreadCount } } }"""
SEND = f"""mutation($input: SendMailInput!) {{ sendMail(input: $input) {{
  message {{ {MESSAGE_FIELDS} deliveries {{ recipients status attempts }} }} {ERRORS} }} }}"""
LIST = f"""query($mailbox: ID!, $folder: ID, $search: MailSearchInput) {{
  mailMessages(mailboxId: $mailbox, folderId: $folder, search: $search) {{
    totalCount messages {{ {MESSAGE_FIELDS} }} }} }}"""
MESSAGE = f"query($id: ID!) {{ mailMessage(id: $id) {{ {MESSAGE_FIELDS} }} }}"
MARK = f"""mutation($input: MarkMailInput!) {{ markMail(input: $input) {{
  messages {{ id isRead isFlagged }} {ERRORS} }} }}"""


def mail_api(m: Municipality, person: Person | str) -> GraphQLClient:
    """A client of the mail endpoint signed in as ``person`` with a bearer token."""
    if isinstance(person, str):
        person = m.people[person] if person != "admin" else m.admin  # type: ignore[assignment]
    token = people_actions.do_create_access_token(person, "mail tests", None).extra["token"]  # type: ignore[arg-type]
    return GraphQLClient(token, url=MAIL_URL)


def mailboxes(api: GraphQLClient) -> list[dict[str, Any]]:
    return api.data(MAILBOXES)["mailboxes"]  # type: ignore[no-any-return]


def personal(api: GraphQLClient) -> dict[str, Any]:
    return next(m for m in mailboxes(api) if m["kind"] == "PERSONAL")


def folder(mailbox: dict[str, Any], role: str) -> str:
    return next(f["id"] for f in mailbox["folders"] if f["role"] == role)  # type: ignore[no-any-return]


def send(api: GraphQLClient, **fields: Any) -> dict[str, Any]:
    """The sendMail payload; from the sender's personal mailbox unless mailboxId is given."""
    if "mailboxId" not in fields:
        fields["mailboxId"] = personal(api)["id"]
    return api.data(SEND, {"input": fields})["sendMail"]  # type: ignore[no-any-return]


def sent(api: GraphQLClient, **fields: Any) -> dict[str, Any]:
    payload = send(api, **fields)
    assert payload["errors"] == [], payload
    return payload["message"]  # type: ignore[no-any-return]


def inbox(api: GraphQLClient, mailbox: dict[str, Any] | None = None, **search: Any) -> list:
    box = mailbox or personal(api)
    variables: dict[str, Any] = {"mailbox": box["id"], "folder": folder(box, "INBOX")}
    if search:
        variables["search"] = search
    return api.data(LIST, variables)["mailMessages"]["messages"]  # type: ignore[no-any-return]
