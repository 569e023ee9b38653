"""GraphQL types of the mail subgraph.

``Person`` and ``Organization`` are the people subgraph's entities, known by key only;
``Person`` gains ``mailboxes``, ``unreadMailCount`` and ``unreadDirectMessageCount``, for
oneself (null for anyone else's). A ``MailMessage`` is a message as one mailbox holds it
(its ``MailEntry``), with that mailbox's state; what a viewer may read is applied by the
loaders and access.py, so queries, ``_entities`` and subscriptions show the same.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from subgraphs.core import storage
from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated
from subgraphs.mail.access import as_uuid
from subgraphs.mail.graphql.loaders import (
    AssignmentsByMailboxLoader,
    AttachmentsByMessageLoader,
    CountsByFolderLoader,
    DeliveriesByMessageLoader,
    DomainLoader,
    EntryByIdLoader,
    FoldersByMailboxLoader,
    MailboxByIdLoader,
    MembersByConversationLoader,
    UnreadByConversationLoader,
    UnreadByMailboxLoader,
    departments_of,
)
from subgraphs.mail.models import (
    Conversation,
    ConversationMember,
    DirectMessage,
    ImapAccount,
    MailAttachment,
    Mailbox,
    MailboxAssignment,
    MailEntry,
    MailFolder,
    MailMessage,
    OutboxItem,
)


@strawberry.enum(name="MailboxKind")
class MailboxKind(Enum):
    PERSONAL = strawberry.enum_value("PERSONAL", description="Your own mailbox.")
    SHARED = strawberry.enum_value("SHARED", description="A section's shared mailbox.")


@strawberry.enum(name="MailFolderRole")
class MailFolderRole(Enum):
    INBOX = "INBOX"
    SENT = "SENT"
    DRAFTS = "DRAFTS"
    TRASH = "TRASH"
    CUSTOM = strawberry.enum_value("CUSTOM", description="A folder its users made.")


@strawberry.enum(name="OutboxStatus")
class OutboxStatusEnum(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting (for the relay, or retry).")
    SENDING = "SENDING"
    SENT = strawberry.enum_value("SENT", description="The relay accepted it.")
    FAILED = strawberry.enum_value("FAILED", description="Refused for good; see lastError.")


@strawberry.type(name="MailError", description="An expected failure, shown next to a field.")
class MailErrorType:
    code: str = strawberry.field(
        description="REQUIRED, TOO_LONG, TOO_MANY, INVALID, INVALID_ADDRESS, NO_RECIPIENTS, "
        "UNKNOWN_RECIPIENT, NOT_FOUND, DUPLICATE, FORBIDDEN, NOT_MEMBER ..."
    )
    message: str
    field: str | None = strawberry.field(description="The input field at fault, if one.")


@strawberry.federation.type(name="Organization", keys=["id"])
class OrganizationType:
    """The people subgraph's department, by key only."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> OrganizationType | None:
        return cls(id=id) if as_uuid(id) is not None else None


def _is_me(info: Info, pk: object) -> bool:
    principal = require_authenticated(principal_of(info))
    return as_uuid(pk) == principal.person_id


@strawberry.federation.type(name="Person", keys=["id"])
class PersonType:
    """The people subgraph's staff member, by key only; mail adds mailboxes and counts."""

    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, info: Info, id: strawberry.ID) -> PersonType | None:
        return cls(id=id) if as_uuid(id) is not None else None

    @strawberry.field(
        description="Your mailboxes (your own and the shared ones assigned to you or your "
        "departments), each with its unread count. Null for anyone else's."
    )
    async def mailboxes(self, info: Info) -> list[MailboxType] | None:
        if not _is_me(info, self.id):
            return None
        from subgraphs.mail.graphql.queries import my_mailboxes

        return await my_mailboxes(info)  # type: ignore[return-value]

    @strawberry.field(
        description="Unread mail in all your mailboxes (not counting Sent, Drafts, Trash). "
        "Null for anyone else's."
    )
    async def unread_mail_count(self, info: Info) -> int | None:
        if not _is_me(info, self.id):
            return None
        from subgraphs.mail.graphql.queries import my_mailboxes

        loader = context_of(info).loader(UnreadByMailboxLoader)
        counts = [await loader.load(m.id) for m in await my_mailboxes(info)]
        return sum(counts)

    @strawberry.field(
        description="Direct messages from others you have not read. Null for anyone else's."
    )
    async def unread_direct_message_count(self, info: Info) -> int | None:
        if not _is_me(info, self.id):
            return None
        from subgraphs.mail.graphql.queries import unread_direct_messages

        return await unread_direct_messages(principal_of(info))


def _person(pk: object) -> PersonType:
    return PersonType(id=strawberry.ID(str(pk)))


@strawberry.type(name="MailAddress")
class MailAddressType:
    name: str = strawberry.field(description="The display name; may be empty.")
    address: str


def _addresses(values: list[dict[str, str]]) -> list[MailAddressType]:
    return [MailAddressType(name=v.get("name") or "", address=v["address"]) for v in values]


@strawberry.type(name="MailFolder")
class MailFolderType:
    @strawberry.field
    def id(self, root: MailFolder) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def role(self, root: MailFolder) -> MailFolderRole:
        return MailFolderRole(root.role)

    @strawberry.field(description="Its name (the standard ones: INBOX, Sent, Drafts, Trash).")
    def name(self, root: MailFolder) -> str:
        return root.name

    @strawberry.field
    async def total_count(self, info: Info, root: MailFolder) -> int:
        return (await context_of(info).loader(CountsByFolderLoader).load(root.id)).total

    @strawberry.field
    async def unread_count(self, info: Info, root: MailFolder) -> int:
        return (await context_of(info).loader(CountsByFolderLoader).load(root.id)).unread


@strawberry.type(name="Mailbox")
class MailboxType:
    @strawberry.field
    def id(self, root: Mailbox) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def kind(self, root: Mailbox) -> MailboxKind:
        return MailboxKind(root.kind)

    @strawberry.field
    def name(self, root: Mailbox) -> str:
        return root.name

    @strawberry.field(description="Its address: local part @ the municipality's mail domain.")
    async def address(self, info: Info, root: Mailbox) -> str:
        domain = await context_of(info).loader(DomainLoader).load(root.tenant_id)
        return f"{root.local_part}@{domain}"

    @strawberry.field(description="Unread messages, not counting Sent, Drafts and Trash.")
    async def unread_count(self, info: Info, root: Mailbox) -> int:
        return await context_of(info).loader(UnreadByMailboxLoader).load(root.id)

    @strawberry.field(description="INBOX, Sent, Drafts, Trash, then its own folders by name.")
    async def folders(self, info: Info, root: Mailbox) -> list[MailFolderType]:
        return await context_of(info).loader(FoldersByMailboxLoader).load(root.id)  # type: ignore[return-value]


@strawberry.type(name="OutboxDelivery", description="How an external delivery is going.")
class OutboxDeliveryType:
    @strawberry.field
    def recipients(self, root: OutboxItem) -> list[str]:
        return list(root.recipients)

    @strawberry.field
    def status(self, root: OutboxItem) -> OutboxStatusEnum:
        return OutboxStatusEnum(root.status)

    @strawberry.field
    def attempts(self, root: OutboxItem) -> int:
        return root.attempts

    @strawberry.field(description="When it is tried again, while PENDING.")
    def next_attempt_at(self, root: OutboxItem) -> datetime | None:
        return root.next_attempt_at if root.status == OutboxItem.Status.PENDING else None

    @strawberry.field(description="The relay's last answer, if it refused or was away.")
    def last_error(self, root: OutboxItem) -> str:
        return root.last_error

    @strawberry.field
    def sent_at(self, root: OutboxItem) -> datetime | None:
        return root.sent_at


@strawberry.enum(name="MailAttachmentState")
class MailAttachmentStateEnum(Enum):
    AVAILABLE = strawberry.enum_value("AVAILABLE", description="May be downloaded (url).")
    HELD = strawberry.enum_value(
        "HELD", description="Held by メール無害化: nobody may download it until released."
    )
    DELETED = strawberry.enum_value("DELETED", description="Deleted by an administrator.")


@strawberry.type(name="MailAttachment", description="A file of a message.")
class MailAttachmentType:
    @strawberry.field
    def id(self, root: MailAttachment) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field(description="The file name as sent (Japanese names kept).")
    def name(self, root: MailAttachment) -> str:
        return root.name

    @strawberry.field(description="In bytes.")
    def size(self, root: MailAttachment) -> int:
        return root.size

    @strawberry.field(description="The type it is served as (from its name, not the sender).")
    def content_type(self, root: MailAttachment) -> str:
        return root.content_type

    @strawberry.field
    def state(self, root: MailAttachment) -> MailAttachmentStateEnum:
        return MailAttachmentStateEnum(root.state)

    @strawberry.field(description="A recipient asked the administrators to release it.")
    def release_requested_at(self, root: MailAttachment) -> datetime | None:
        return root.release_requested_at

    @strawberry.field(
        description=f"A download link for you, valid {storage.TOKEN_TTL_SECONDS // 60} minutes; "
        "null while the file is held or deleted."
    )
    def url(self, info: Info, root: MailAttachment) -> str | None:
        if root.state != MailAttachment.State.AVAILABLE or not root.storage_key:
            return None
        from subgraphs.mail.views import download_path

        token = storage.sign_file_token(principal_of(info), root.id)
        return download_path(root.id, token)


@strawberry.federation.type(
    name="MailMessage", keys=["id"], description="A message as one of your mailboxes holds it."
)
class MailMessageType:
    @classmethod
    def is_type_of(cls, obj: object, info: Info) -> bool:
        return isinstance(obj, cls | MailEntry)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> MailEntry | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(EntryByIdLoader).load(pk)

    @strawberry.field
    def id(self, root: MailEntry) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    async def mailbox(self, info: Info, root: MailEntry) -> MailboxType:
        return await context_of(info).loader(MailboxByIdLoader).load(root.mailbox_id)  # type: ignore[return-value]

    @strawberry.field
    def folder(self, root: MailEntry) -> MailFolderType:
        return root.folder  # type: ignore[return-value]

    @strawberry.field(description="Read, for every member of a shared mailbox alike.")
    def is_read(self, root: MailEntry) -> bool:
        return root.is_read

    @strawberry.field
    def is_flagged(self, root: MailEntry) -> bool:
        return root.is_flagged

    @strawberry.field
    def is_draft(self, root: MailEntry) -> bool:
        return root.message.sent_at is None

    @strawberry.field
    def received_at(self, root: MailEntry) -> datetime:
        return root.received_at

    @strawberry.field
    def sent_at(self, root: MailEntry) -> datetime | None:
        return root.message.sent_at

    @strawberry.field
    def version(self, root: MailEntry) -> int:
        return root.version

    @strawberry.field
    def subject(self, root: MailEntry) -> str:
        return root.message.subject

    @strawberry.field(name="from")
    def from_(self, root: MailEntry) -> MailAddressType:
        m = root.message
        return MailAddressType(name=m.from_name, address=m.from_address)

    @strawberry.field
    def to(self, root: MailEntry) -> list[MailAddressType]:
        return _addresses(root.message.to)

    @strawberry.field
    def cc(self, root: MailEntry) -> list[MailAddressType]:
        return _addresses(root.message.cc)

    @strawberry.field(description="Only in the sender's mailbox; empty for every recipient.")
    def bcc(self, root: MailEntry) -> list[MailAddressType]:
        if root.message.sender_mailbox_id != root.mailbox_id:
            return []
        return _addresses(root.message.bcc)

    @strawberry.field(description="The plain-text body; always there.")
    def text_body(self, root: MailEntry) -> str:
        return root.message.text_body

    @strawberry.field(
        description="The HTML body, sanitised when stored: no scripts, styles, images or "
        "other remote content, links only to http(s) and mailto. Empty for plain-text mail."
    )
    def html_body(self, root: MailEntry) -> str:
        return root.message.html_body

    @strawberry.field(description="Its files, in order (held ones without a url).")
    async def attachments(self, info: Info, root: MailEntry) -> list[MailAttachmentType]:
        loader = context_of(info).loader(AttachmentsByMessageLoader)
        return await loader.load(root.message_id)  # type: ignore[return-value]

    @strawberry.field(
        description="メール無害化: what was done to this message from the internet (HTML made "
        "text, links defanged, files held), one line each; empty when nothing was."
    )
    def harmless_notice(self, root: MailEntry) -> str:
        return root.message.harmless_notice

    @strawberry.field(
        description="The HTML as it arrived, before メール無害化 made it text: administrators "
        "only (null for everyone else, and when nothing was converted)."
    )
    def original_html_body(self, info: Info, root: MailEntry) -> str | None:
        if not principal_of(info).is_tenant_admin or not root.message.original_html_body:
            return None
        return root.message.original_html_body

    @strawberry.field(description="The Message-ID header.")
    def message_id(self, root: MailEntry) -> str:
        return root.message.message_id

    @strawberry.field
    def in_reply_to(self, root: MailEntry) -> str:
        return root.message.in_reply_to

    @strawberry.field(description="Messages of one conversation share it (mailThread).")
    def thread_id(self, root: MailEntry) -> strawberry.ID:
        return strawberry.ID(str(root.message.thread_id))

    @strawberry.field(description="INTERNAL (within the municipality) or EXTERNAL.")
    def origin(self, root: MailEntry) -> str:
        return root.message.origin

    @strawberry.field(
        description="External deliveries of a message you sent (empty for received mail)."
    )
    async def deliveries(self, info: Info, root: MailEntry) -> list[OutboxDeliveryType]:
        if root.message.sender_mailbox_id != root.mailbox_id:
            return []
        loader = context_of(info).loader(DeliveriesByMessageLoader)
        return await loader.load(root.message_id)  # type: ignore[return-value]


@strawberry.type(name="MailboxAssignment", description="Who may use a shared mailbox.")
class MailboxAssignmentType:
    @strawberry.field
    def id(self, root: MailboxAssignment) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def person(self, root: MailboxAssignment) -> PersonType | None:
        return _person(root.person_id) if root.person_id else None

    @strawberry.field
    def department(self, root: MailboxAssignment) -> OrganizationType | None:
        if root.department_id is None:
            return None
        return OrganizationType(id=strawberry.ID(str(root.department_id)))


@strawberry.type(name="SharedMailbox", description="A shared mailbox as administrators see it.")
class SharedMailboxType:
    @strawberry.field
    def id(self, root: Mailbox) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def name(self, root: Mailbox) -> str:
        return root.name

    @strawberry.field
    async def address(self, info: Info, root: Mailbox) -> str:
        domain = await context_of(info).loader(DomainLoader).load(root.tenant_id)
        return f"{root.local_part}@{domain}"

    @strawberry.field
    async def assignments(self, info: Info, root: Mailbox) -> list[MailboxAssignmentType]:
        return await context_of(info).loader(AssignmentsByMailboxLoader).load(root.id)  # type: ignore[return-value]


@strawberry.type(name="MailSettings")
class MailSettingsType:
    domain: str = strawberry.field(description="Addresses are local part @ this domain.")


@strawberry.enum(name="MailAttachmentPolicy")
class MailAttachmentPolicyEnum(Enum):
    PASS = strawberry.enum_value("PASS", description="Files reach the recipient as sent.")
    HOLD = strawberry.enum_value("HOLD", description="Every file is held for release.")
    ALLOW_LISTED = strawberry.enum_value(
        "ALLOW_LISTED", description="Files of the allowed types pass; the rest are held."
    )


@strawberry.type(
    name="MailHarmlessPolicy",
    description="メール無害化: how mail from the internet (EXTERNAL, fetched by IMAP) is "
    "rendered harmless before anyone reads it. Internal mail is never touched.",
)
class MailHarmlessPolicyType:
    enabled: bool
    html_to_text: bool = strawberry.field(
        description="HTML bodies become text; the original is kept for administrators."
    )
    defang_links: bool = strawberry.field(
        description="Links shown as plain text, not clickable: hxxps://example[.]jp."
    )
    attachments: MailAttachmentPolicyEnum
    allowed_types: list[str] = strawberry.field(
        description="Extensions (no dot) that pass under ALLOW_LISTED, e.g. pdf."
    )


@strawberry.type(
    name="HeldMailAttachment", description="A held file of the municipality (administrators)."
)
class HeldMailAttachmentType:
    @strawberry.field
    def attachment(self, root: MailAttachment) -> MailAttachmentType:
        return root  # type: ignore[return-value]

    @strawberry.field(description="The subject of its message.")
    def subject(self, root: MailAttachment) -> str:
        return root.message.subject if root.message else ""

    @strawberry.field(name="from", description="Who sent its message.")
    def from_(self, root: MailAttachment) -> MailAddressType:
        m = root.message
        return MailAddressType(name=m.from_name if m else "", address=m.from_address if m else "")

    @strawberry.field(description="When its message arrived.")
    def received_at(self, root: MailAttachment) -> datetime:
        return root.created_at

    @strawberry.field(description="Who asked for it to be released, if anyone.")
    def release_requested_by(self, root: MailAttachment) -> PersonType | None:
        return _person(root.release_requested_by) if root.release_requested_by else None


@strawberry.type(
    name="HarmlessMailMessage",
    description="An external message メール無害化 changed, as administrators review it.",
)
class HarmlessMailMessageType:
    @strawberry.field(description="The stored message's ID (not a mailbox's MailMessage ID).")
    def id(self, root: MailMessage) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def subject(self, root: MailMessage) -> str:
        return root.subject

    @strawberry.field(name="from")
    def from_(self, root: MailMessage) -> MailAddressType:
        return MailAddressType(name=root.from_name, address=root.from_address)

    @strawberry.field
    def received_at(self, root: MailMessage) -> datetime:
        return root.created_at

    @strawberry.field(description="What was done, one line each.")
    def harmless_notice(self, root: MailMessage) -> str:
        return root.harmless_notice

    @strawberry.field(description="The HTML as it arrived (empty if it had none).")
    def original_html_body(self, root: MailMessage) -> str:
        return root.original_html_body


@strawberry.enum(name="ImapSecurity")
class ImapSecurityEnum(Enum):
    TLS = strawberry.enum_value("TLS", description="TLS from the start (port 993).")
    STARTTLS = strawberry.enum_value("STARTTLS", description="Upgraded to TLS (port 143).")
    NONE = strawberry.enum_value("NONE", description="Plain text: a closed network only.")


@strawberry.type(
    name="MailboxImapAccount",
    description="Where a mailbox's external mail is fetched from. The password is never shown.",
)
class MailboxImapAccountType:
    @strawberry.field
    def host(self, root: ImapAccount) -> str:
        return root.host

    @strawberry.field
    def port(self, root: ImapAccount) -> int:
        return root.port

    @strawberry.field
    def security(self, root: ImapAccount) -> ImapSecurityEnum:
        return ImapSecurityEnum(root.security)

    @strawberry.field
    def username(self, root: ImapAccount) -> str:
        return root.username

    @strawberry.field(description="The server's folder fetched (INBOX by default).")
    def folder(self, root: ImapAccount) -> str:
        return root.folder

    @strawberry.field
    def enabled(self, root: ImapAccount) -> bool:
        return root.enabled

    @strawberry.field(description="A password is stored (it is never shown).")
    def has_password(self, root: ImapAccount) -> bool:
        return bool(root.password_encrypted)

    @strawberry.field
    def last_checked_at(self, root: ImapAccount) -> datetime | None:
        return root.last_checked_at

    @strawberry.field(description="The last failure (sign-in, connection), empty when fine.")
    def last_error(self, root: ImapAccount) -> str:
        return root.last_error


@strawberry.type(name="MailCompose", description="What reply, reply-all or forward start with.")
class MailComposeType:
    to: list[str]
    cc: list[str]
    subject: str
    text_body: str
    reply_to_id: strawberry.ID | None = strawberry.field(
        description="Give it to sendMail, so the reply joins the thread."
    )
    attachments: list[MailAttachmentType] = strawberry.field(
        default_factory=list,
        description="FORWARD: the message's files that may be forwarded (not held ones); "
        "give their IDs in sendMail's attachmentIds to send copies.",
    )


# --- direct messages ----------------------------------------------------------------------


@strawberry.type(name="DirectMessage")
class DirectMessageType:
    @strawberry.field
    def id(self, root: DirectMessage) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def sender(self, root: DirectMessage) -> PersonType:
        return _person(root.sender_id)

    @strawberry.field
    def body(self, root: DirectMessage) -> str:
        return root.body

    @strawberry.field
    def sent_at(self, root: DirectMessage) -> datetime:
        return root.sent_at

    @strawberry.field
    def conversation_id(self, root: DirectMessage) -> strawberry.ID:
        return strawberry.ID(str(root.conversation_id))


@strawberry.type(name="ConversationMember")
class ConversationMemberType:
    @strawberry.field
    def person(self, root: ConversationMember) -> PersonType:
        return _person(root.person_id)

    @strawberry.field(description="Up to when they have read (read receipts).")
    def last_read_at(self, root: ConversationMember) -> datetime | None:
        return root.last_read_at


@strawberry.type(name="Conversation", description="A direct-message conversation of yours.")
class ConversationType:
    @strawberry.field
    def id(self, root: Conversation) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field
    def title(self, root: Conversation) -> str:
        return root.title

    @strawberry.field(description="True for one-to-one.")
    def is_direct(self, root: Conversation) -> bool:
        return bool(root.pair_key)

    @strawberry.field
    def last_message_at(self, root: Conversation) -> datetime:
        return root.last_message_at

    @strawberry.field(description="You started it: in a group, you may take others out.")
    def started_by_you(self, info: Info, root: Conversation) -> bool:
        return root.created_by == principal_of(info).person_id

    @strawberry.field
    async def members(self, info: Info, root: Conversation) -> list[ConversationMemberType]:
        return await context_of(info).loader(MembersByConversationLoader).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Messages of others you have not read.")
    async def unread_count(self, info: Info, root: Conversation) -> int:
        return await context_of(info).loader(UnreadByConversationLoader).load(root.id)

    @strawberry.field(description="The latest messages, oldest first (at most `last`).")
    async def messages(
        self, info: Info, root: Conversation, last: int = 50
    ) -> list[DirectMessageType]:

        last = max(0, min(last, 200))
        rows = DirectMessage.objects.filter(tenant_id=root.tenant_id, conversation=root)
        found = [x async for x in rows.order_by("-sent_at")[:last]]
        return list(reversed(found))  # type: ignore[arg-type]


async def departments(info: Info) -> frozenset[uuid.UUID]:
    return await departments_of(context_of(info))
