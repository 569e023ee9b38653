"""Inputs of the mail subgraph's mutations."""

from __future__ import annotations

import strawberry


@strawberry.input(name="SendMailInput")
class SendMailInput:
    mailbox_id: strawberry.ID = strawberry.field(description="Send from this mailbox of yours.")
    to: list[str] = strawberry.field(
        default_factory=list, description="Addresses, bare or as `Name <address>`."
    )
    cc: list[str] = strawberry.field(default_factory=list)
    bcc: list[str] = strawberry.field(default_factory=list)
    subject: str = ""
    text_body: str = ""
    html_body: str = strawberry.field(
        default="", description="Sanitised when stored; the text body is made from it if empty."
    )
    reply_to_id: strawberry.ID | None = strawberry.field(
        default=None, description="The message answered (mailCompose gives it): same thread."
    )
    draft_id: strawberry.ID | None = strawberry.field(
        default=None, description="The draft this sends (it moves to Sent)."
    )
    attachment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Files to attach, in order: your uploads (POST /files/mail) or files the "
        "draft has; null keeps a draft's files. At most 20.",
    )


@strawberry.input(name="MarkMailInput")
class MarkMailInput:
    ids: list[strawberry.ID]
    read: bool | None = None
    flagged: bool | None = None


@strawberry.input(name="CreateSharedMailboxInput")
class CreateSharedMailboxInput:
    local_part: str = strawberry.field(description="Before the @, e.g. `shomu`.")
    name: str = strawberry.field(description="e.g. 総務課庶務係.")


@strawberry.input(name="AssignMailboxInput")
class AssignMailboxInput:
    mailbox_id: strawberry.ID
    person_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    department_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Everyone of the department (main post or 兼務)."
    )


@strawberry.input(name="StartConversationInput")
class StartConversationInput:
    person_ids: list[strawberry.ID] = strawberry.field(
        description="The others (you are added); one person: a one-to-one conversation, "
        "found again if it exists."
    )
    title: str = ""
    body: str | None = strawberry.field(default=None, description="A first message, if any.")


@strawberry.input(name="MailHarmlessPolicyInput", description="メール無害化 (administrators).")
class MailHarmlessPolicyInput:
    enabled: bool
    html_to_text: bool = True
    defang_links: bool = True
    attachments: str = strawberry.field(
        default="HOLD", description="PASS, HOLD or ALLOW_LISTED (MailAttachmentPolicy)."
    )
    allowed_types: list[str] = strawberry.field(
        default_factory=list, description="Extensions passed under ALLOW_LISTED, e.g. pdf."
    )


@strawberry.input(name="MailboxImapAccountInput")
class MailboxImapAccountInput:
    mailbox_id: strawberry.ID
    host: str
    port: int = 993
    security: str = strawberry.field(default="TLS", description="TLS, STARTTLS or NONE.")
    username: str = ""
    password: str | None = strawberry.field(
        default=None, description="Give it to set or change it; null keeps the stored one."
    )
    folder: str = "INBOX"
    enabled: bool = True
