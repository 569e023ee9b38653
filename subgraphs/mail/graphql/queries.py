"""Read side of the mail subgraph."""

from __future__ import annotations

import asyncio
import uuid
from enum import Enum

import strawberry
from asgiref.sync import sync_to_async
from django.db.models import Q
from graphql import GraphQLError
from strawberry.types import Info

from subgraphs.core.graphql.context import YuiContext, context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated, require_tenant_admin
from subgraphs.core.principal import Principal
from subgraphs.mail import actions, attachments, directory
from subgraphs.mail.access import (
    access_conversation_by_id,
    access_mailbox_by_id,
    as_uuid,
    visible_conversations,
    visible_entries,
    visible_mailboxes,
)
from subgraphs.mail.graphql.loaders import (
    AttachmentsByMessageLoader,
    EntryByIdLoader,
    UnreadByConversationLoader,
    departments_of,
)
from subgraphs.mail.graphql.types import (
    ConversationType,
    HarmlessMailMessageType,
    HeldMailAttachmentType,
    MailAddressType,
    MailAttachmentPolicyEnum,
    MailboxImapAccountType,
    MailboxType,
    MailComposeType,
    MailHarmlessPolicyType,
    MailMessageType,
    MailSettingsType,
    SharedMailboxType,
)
from subgraphs.mail.models import (
    Conversation,
    ImapAccount,
    Mailbox,
    MailEntry,
    MailMessage,
    MailSettings,
)

MAX_PAGE = 200


def harmless_policy_type(settings: MailSettings) -> MailHarmlessPolicyType:
    return MailHarmlessPolicyType(
        enabled=settings.harmless_enabled,
        html_to_text=settings.harmless_html_to_text,
        defang_links=settings.harmless_defang_links,
        attachments=MailAttachmentPolicyEnum(settings.harmless_attachments),
        allowed_types=list(settings.harmless_allowed_types or []),
    )


async def imap_mailbox(info: Info, mailbox_id: object) -> Mailbox | None:
    """A mailbox whose IMAP account the viewer may see and set: one they use, or (for
    administrators) any shared mailbox of their municipality."""
    principal = require_authenticated(principal_of(info))
    departments = await departments_of(context_of(info))
    found = await sync_to_async(access_mailbox_by_id)(principal, departments, mailbox_id)
    pk = as_uuid(mailbox_id)
    if found is None and principal.is_tenant_admin and pk is not None:
        shared = Mailbox.objects.for_principal(principal).filter(kind=Mailbox.Kind.SHARED)
        found = await shared.filter(id=pk).afirst()
    return found


class MyMailboxes:
    """The viewer's mailboxes, once per operation; their personal one made on first use."""

    def __init__(self, context: YuiContext) -> None:
        self._context = context
        self._found: asyncio.Future[list[Mailbox]] | None = None

    async def get(self) -> list[Mailbox]:
        if self._found is None:
            self._found = asyncio.ensure_future(self._load())
        return await self._found

    async def _load(self) -> list[Mailbox]:
        principal = self._context.principal
        owned = Mailbox.objects.for_principal(principal).filter(owner_id=principal.person_id)
        if not await owned.aexists():
            me = await directory.me(principal)
            if me is not None:
                await sync_to_async(actions.do_ensure_personal_mailbox)(
                    principal, me.staff, me.tenant_slug
                )
        departments = await departments_of(self._context)
        rows = visible_mailboxes(principal, departments).order_by("kind", "name")
        return [x async for x in rows]


async def my_mailboxes(info: Info) -> list[Mailbox]:
    require_authenticated(principal_of(info))
    return await context_of(info).loader(MyMailboxes).get()


def _page(first: int, offset: int) -> None:
    if not 0 <= first <= MAX_PAGE or offset < 0:
        raise GraphQLError(
            f"first must be between 0 and {MAX_PAGE}, offset not negative.",
            extensions={"code": "BAD_USER_INPUT"},
        )


@strawberry.input(name="MailSearchInput", description="Every given part must match.")
class MailSearchInput:
    sender: str | None = strawberry.field(
        default=None, description="In the sender's name or address."
    )
    subject: str | None = None
    text: str | None = strawberry.field(default=None, description="In the plain-text body.")
    unread_only: bool = False
    flagged_only: bool = False


@strawberry.type(name="MailMessageList")
class MailMessageListType:
    total_count: int
    messages: list[MailMessageType]


def message_list(
    principal: Principal,
    departments: frozenset[uuid.UUID],
    mailbox_id: object,
    folder_id: object | None,
    search: MailSearchInput | None,
    first: int,
    offset: int,
) -> tuple[int, list[MailEntry]] | None:
    mailbox = access_mailbox_by_id(principal, departments, mailbox_id)
    if mailbox is None:
        return None
    rows = visible_entries(principal, departments).filter(mailbox=mailbox)
    if folder_id is not None:
        pk = as_uuid(folder_id)
        if pk is None:
            return 0, []
        rows = rows.filter(folder_id=pk)
    if search is not None:
        if search.sender and search.sender.strip():
            word = search.sender.strip()
            rows = rows.filter(
                Q(message__from_name__icontains=word) | Q(message__from_address__icontains=word)
            )
        if search.subject and search.subject.strip():
            rows = rows.filter(message__subject__icontains=search.subject.strip())
        if search.text and search.text.strip():
            rows = rows.filter(message__text_body__icontains=search.text.strip())
        if search.unread_only:
            rows = rows.filter(is_read=False)
        if search.flagged_only:
            rows = rows.filter(is_flagged=True)
    total = rows.count()
    page = rows.select_related("message", "folder").order_by("-received_at", "-id")
    return total, list(page[offset : offset + first])


def thread(
    principal: Principal, departments: frozenset[uuid.UUID], entry_id: object
) -> list[MailEntry]:
    pk = as_uuid(entry_id)
    if pk is None:
        return []
    rows = visible_entries(principal, departments)
    entry = rows.filter(id=pk).select_related("message").first()
    if entry is None:
        return []
    return list(
        rows.filter(mailbox_id=entry.mailbox_id, message__thread_id=entry.message.thread_id)
        .select_related("message", "folder")
        .order_by("message__sent_at", "received_at")
    )


@strawberry.enum(name="MailComposeMode")
class MailComposeMode(Enum):
    REPLY = "REPLY"
    REPLY_ALL = "REPLY_ALL"
    FORWARD = "FORWARD"


def unread_direct_messages_sync(principal: Principal) -> int:
    from django.db.models import Count, F

    from subgraphs.mail.models import ConversationMember

    others = ~Q(conversation__messages__sender_id=principal.person_id)
    unseen = Q(last_read_at=None) | Q(conversation__messages__sent_at__gt=F("last_read_at"))
    rows = (
        ConversationMember.objects.for_principal(principal)
        .filter(person_id=principal.person_id)
        .annotate(n=Count("conversation__messages", filter=others & unseen))
        .values_list("n", flat=True)
    )
    return sum(rows)


async def unread_direct_messages(principal: Principal) -> int:
    return await sync_to_async(unread_direct_messages_sync)(principal)


@strawberry.type
class MailQuery:
    @strawberry.field(
        description="Your mailboxes: your own (made on first use) and the shared ones "
        "assigned to you or your departments."
    )
    async def mailboxes(self, info: Info) -> list[MailboxType]:
        return await my_mailboxes(info)  # type: ignore[return-value]

    @strawberry.field
    async def mailbox(self, info: Info, id: strawberry.ID) -> MailboxType | None:
        for mailbox in await my_mailboxes(info):
            if str(mailbox.id) == str(as_uuid(id)):
                return mailbox  # type: ignore[return-value]
        return None

    @strawberry.field(description="A mailbox's messages, newest first, a page at a time.")
    async def mail_messages(
        self,
        info: Info,
        mailbox_id: strawberry.ID,
        folder_id: strawberry.ID | None = None,
        search: MailSearchInput | None = None,
        first: int = 50,
        offset: int = 0,
    ) -> MailMessageListType:
        principal = require_authenticated(principal_of(info))
        _page(first, offset)
        departments = await departments_of(context_of(info))
        found = await sync_to_async(message_list)(
            principal, departments, mailbox_id, folder_id, search, first, offset
        )
        total, entries = found if found is not None else (0, [])
        return MailMessageListType(total_count=total, messages=entries)  # type: ignore[arg-type]

    @strawberry.field
    async def mail_message(self, info: Info, id: strawberry.ID) -> MailMessageType | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        if pk is None:
            return None
        return await context_of(info).loader(EntryByIdLoader).load(pk)  # type: ignore[return-value]

    @strawberry.field(description="The conversation of a message in its mailbox, oldest first.")
    async def mail_thread(self, info: Info, id: strawberry.ID) -> list[MailMessageType]:
        principal = require_authenticated(principal_of(info))
        departments = await departments_of(context_of(info))
        return await sync_to_async(thread)(principal, departments, id)  # type: ignore[return-value]

    @strawberry.field(description="The form reply, reply-all or forward of a message starts with.")
    async def mail_compose(
        self, info: Info, id: strawberry.ID, mode: MailComposeMode
    ) -> MailComposeType | None:
        require_authenticated(principal_of(info))
        pk = as_uuid(id)
        entry = await context_of(info).loader(EntryByIdLoader).load(pk) if pk else None
        if entry is None:
            return None
        mailbox = await Mailbox.objects.aget(id=entry.mailbox_id)
        domain = await sync_to_async(actions.domain_of)(mailbox.tenant_id) or ""
        c = actions.compose_from(entry, mode.value, actions.address_of(mailbox, domain))
        files = []
        if mode == MailComposeMode.FORWARD:
            loader = context_of(info).loader(AttachmentsByMessageLoader)
            files = [a for a in await loader.load(entry.message_id) if a.state == "AVAILABLE"]
        return MailComposeType(
            to=c.to,
            cc=c.cc,
            subject=c.subject,
            text_body=c.text_body,
            reply_to_id=strawberry.ID(str(c.reply_to_id)) if c.reply_to_id else None,
            attachments=files,  # type: ignore[arg-type]
        )

    @strawberry.field(description="The municipality's mail settings (administrators).")
    async def mail_settings(self, info: Info) -> MailSettingsType | None:
        principal = require_tenant_admin(principal_of(info))
        found = await MailSettings.objects.for_principal(principal).afirst()
        return MailSettingsType(domain=found.domain) if found else None

    @strawberry.field(description="The municipality's メール無害化 policy (administrators).")
    async def mail_harmless_policy(self, info: Info) -> MailHarmlessPolicyType:
        principal = require_tenant_admin(principal_of(info))
        found = await MailSettings.objects.for_principal(principal).afirst()
        return harmless_policy_type(found or MailSettings())

    @strawberry.field(
        description="Files held by メール無害化 in the municipality, release requests first "
        "(administrators)."
    )
    async def held_mail_attachments(
        self, info: Info, first: int = 100, offset: int = 0
    ) -> list[HeldMailAttachmentType]:
        principal = require_tenant_admin(principal_of(info))
        _page(first, offset)
        rows = attachments.held_attachments(principal)[offset : offset + first]
        return [x async for x in rows]  # type: ignore[misc]

    @strawberry.field(
        description="External messages メール無害化 changed, the latest first, with their "
        "original HTML (administrators)."
    )
    async def harmless_mail_messages(
        self, info: Info, first: int = 50, offset: int = 0
    ) -> list[HarmlessMailMessageType]:
        principal = require_tenant_admin(principal_of(info))
        _page(first, offset)
        rows = (
            MailMessage.objects.for_principal(principal)
            .filter(origin=MailMessage.Origin.EXTERNAL)
            .exclude(harmless_notice="")
            .order_by("-created_at")[offset : offset + first]
        )
        return [x async for x in rows]  # type: ignore[misc]

    @strawberry.field(
        description="A mailbox's IMAP account (its members; administrators for shared ones). "
        "Null when it has none."
    )
    async def mailbox_imap_account(
        self, info: Info, mailbox_id: strawberry.ID
    ) -> MailboxImapAccountType | None:
        mailbox = await imap_mailbox(info, mailbox_id)
        if mailbox is None:
            return None
        found = ImapAccount.objects.filter(tenant_id=mailbox.tenant_id, mailbox=mailbox)
        return await found.afirst()  # type: ignore[return-value]

    @strawberry.field(description="Every shared mailbox and who may use it (administrators).")
    async def shared_mailboxes(self, info: Info) -> list[SharedMailboxType]:
        principal = require_tenant_admin(principal_of(info))
        rows = (
            Mailbox.objects.for_principal(principal)
            .filter(kind=Mailbox.Kind.SHARED)
            .order_by("name")
        )
        return [x async for x in rows]  # type: ignore[arg-type]

    @strawberry.field(
        description="Address completion for the compose form: staff of your municipality "
        "(people's directory search: name, reading, login ID) and shared mailboxes whose "
        "name or address matches, at most `first`."
    )
    async def mail_address_suggestions(
        self, info: Info, search: str, first: int = 10
    ) -> list[MailAddressType]:
        principal = require_authenticated(principal_of(info))
        _page(first, 0)
        text = " ".join(search.split())[:100]
        if not text or not await my_mailboxes(info):
            return []
        assert principal.tenant_id is not None
        domain = await sync_to_async(actions.domain_of)(principal.tenant_id) or ""
        staff = await directory.search_staff(principal, text, first)
        found = [
            MailAddressType(name=s.name, address=f"{s.login_id.lower()}@{domain}") for s in staff
        ]
        shared = (
            Mailbox.objects.for_principal(principal)
            .filter(kind=Mailbox.Kind.SHARED)
            .filter(Q(name__icontains=text) | Q(local_part__icontains=text))
            .order_by("name")
        )
        found += [
            MailAddressType(name=m.name, address=f"{m.local_part}@{domain}")
            async for m in shared[:first]
        ]
        return found[:first]

    # --- direct messages ---------------------------------------------------------------

    @strawberry.field(description="Your conversations, the latest first.")
    async def conversations(self, info: Info, first: int = 50) -> list[ConversationType]:
        principal = require_authenticated(principal_of(info))
        _page(first, 0)
        rows = visible_conversations(principal).order_by("-last_message_at")[:first]
        found: list[Conversation] = [x async for x in rows]
        await context_of(info).loader(UnreadByConversationLoader).load_many([c.id for c in found])
        return found  # type: ignore[return-value]

    @strawberry.field
    async def conversation(self, info: Info, id: strawberry.ID) -> ConversationType | None:
        principal = require_authenticated(principal_of(info))
        return await sync_to_async(access_conversation_by_id)(principal, id)  # type: ignore[return-value]
