"""Write side of the mail subgraph: parse input, call one do_*, shape the result."""

from __future__ import annotations

import strawberry
from asgiref.sync import sync_to_async
from strawberry.types import Info

from subgraphs.core.graphql.context import context_of, principal_of
from subgraphs.core.graphql.errors import require_authenticated, require_tenant_admin
from subgraphs.mail import actions, attachments, directory, imap
from subgraphs.mail.access import as_uuid
from subgraphs.mail.actions import MailError
from subgraphs.mail.graphql.inputs import (
    AssignMailboxInput,
    CreateSharedMailboxInput,
    MailboxImapAccountInput,
    MailHarmlessPolicyInput,
    MarkMailInput,
    SendMailInput,
    StartConversationInput,
)
from subgraphs.mail.graphql.loaders import departments_of
from subgraphs.mail.graphql.queries import harmless_policy_type, imap_mailbox, my_mailboxes
from subgraphs.mail.graphql.types import (
    ConversationType,
    DirectMessageType,
    MailAttachmentType,
    MailboxImapAccountType,
    MailboxType,
    MailErrorType,
    MailFolderType,
    MailHarmlessPolicyType,
    MailMessageType,
    MailSettingsType,
    SharedMailboxType,
)


def _errors(errors: list[MailError]) -> list[MailErrorType]:
    return [MailErrorType(code=e.code, message=e.message, field=e.field) for e in errors]


@strawberry.type(name="MailMessagePayload")
class MailMessagePayload:
    message: MailMessageType | None = strawberry.field(
        description="The message as it now is (sent: in Sent); null when errors say why."
    )
    errors: list[MailErrorType]


@strawberry.type(name="MailMessagesPayload")
class MailMessagesPayload:
    messages: list[MailMessageType]
    errors: list[MailErrorType]


@strawberry.type(name="DeleteMailPayload")
class DeleteMailPayload:
    ids: list[strawberry.ID] = strawberry.field(
        description="The messages moved to Trash, or deleted for good if they were there."
    )
    errors: list[MailErrorType]


@strawberry.type(name="MailFolderPayload")
class MailFolderPayload:
    folder: MailFolderType | None
    errors: list[MailErrorType]


@strawberry.type(name="MailboxPayload")
class MailboxPayload:
    mailbox: MailboxType | None
    errors: list[MailErrorType]


@strawberry.type(name="SharedMailboxPayload")
class SharedMailboxPayload:
    mailbox: SharedMailboxType | None
    errors: list[MailErrorType]


@strawberry.type(name="MailSettingsPayload")
class MailSettingsPayload:
    settings: MailSettingsType | None
    errors: list[MailErrorType]


@strawberry.type(name="ConversationPayload")
class ConversationPayload:
    conversation: ConversationType | None
    errors: list[MailErrorType]


@strawberry.type(name="DirectMessagePayload")
class DirectMessagePayload:
    message: DirectMessageType | None
    errors: list[MailErrorType]


async def _refetched(outcome: actions.Outcome) -> list:
    from subgraphs.mail.models import MailEntry

    ids = [e.id for e in outcome.obj or []]
    rows = MailEntry.objects.filter(id__in=ids).select_related("message", "folder")
    return [x async for x in rows.order_by("-received_at")]


def _values(input: SendMailInput) -> dict:
    return {
        "mailbox_id": input.mailbox_id,
        "subject": input.subject,
        "text_body": input.text_body,
        "html_body": input.html_body,
        "reply_to_id": input.reply_to_id,
        "draft_id": input.draft_id,
        "attachment_ids": input.attachment_ids,
    }


@strawberry.type(name="MailAttachmentPayload")
class MailAttachmentPayload:
    attachment: MailAttachmentType | None
    errors: list[MailErrorType]


@strawberry.type(name="MailHarmlessPolicyPayload")
class MailHarmlessPolicyPayload:
    policy: MailHarmlessPolicyType | None
    errors: list[MailErrorType]


@strawberry.type(name="MailboxImapAccountPayload")
class MailboxImapAccountPayload:
    account: MailboxImapAccountType | None
    errors: list[MailErrorType]


@strawberry.type
class MailMutation:
    @strawberry.mutation(
        description="Send mail from one of your mailboxes: staff of your municipality (at its "
        "mail domain) get it at once, everyone else through the outbox (see `deliveries`)."
    )
    async def send_mail(self, info: Info, input: SendMailInput) -> MailMessagePayload:
        principal = require_authenticated(principal_of(info))
        mine = await my_mailboxes(info)  # makes one's own on first use, and the settings
        recipients, errors = actions.parse_recipients(
            {"to": input.to, "cc": input.cc, "bcc": input.bcc}
        )
        if recipients is None:
            return MailMessagePayload(message=None, errors=_errors(errors))
        assert principal.tenant_id is not None
        domain = await sync_to_async(actions.domain_of)(principal.tenant_id) if mine else None
        if domain is None:
            error = MailError("NOT_FOUND", "No such mailbox.", "mailboxId")
            return MailMessagePayload(message=None, errors=_errors([error]))
        staff = await directory.staff_by_login(
            principal, actions.internal_logins(recipients, domain)
        )
        me = next((m for m in mine if m.owner_id == principal.person_id), None)
        outcome = await sync_to_async(actions.do_send_mail)(
            principal,
            await departments_of(context_of(info)),
            _values(input),
            recipients,
            staff,
            me.name if me else "",
        )
        return MailMessagePayload(message=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(description="Save a draft (new, or `draftId` again); nothing is sent.")
    async def save_mail_draft(self, info: Info, input: SendMailInput) -> MailMessagePayload:
        principal = require_authenticated(principal_of(info))
        await my_mailboxes(info)
        recipients, errors = actions.parse_recipients(
            {"to": input.to, "cc": input.cc, "bcc": input.bcc}
        )
        if recipients is None:
            # A draft may have nobody yet; bad addresses are still refused.
            errors = [e for e in errors if e.code != "NO_RECIPIENTS"]
            if errors:
                return MailMessagePayload(message=None, errors=_errors(errors))
            recipients = actions.Recipients([], [], [])
        outcome = await sync_to_async(actions.do_save_draft)(
            principal, await departments_of(context_of(info)), _values(input), recipients
        )
        return MailMessagePayload(message=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(description="Mark read/unread, flagged/unflagged (shared by members).")
    async def mark_mail(self, info: Info, input: MarkMailInput) -> MailMessagesPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_mark)(
            principal,
            await departments_of(context_of(info)),
            list(input.ids),
            read=input.read,
            flagged=input.flagged,
        )
        messages = await _refetched(outcome) if outcome.ok else []
        return MailMessagesPayload(messages=messages, errors=_errors(outcome.errors))

    @strawberry.mutation(description="Move messages to another folder of their mailbox.")
    async def move_mail(
        self, info: Info, ids: list[strawberry.ID], folder_id: strawberry.ID
    ) -> MailMessagesPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_move)(
            principal, await departments_of(context_of(info)), list(ids), folder_id
        )
        messages = await _refetched(outcome) if outcome.ok else []
        return MailMessagesPayload(messages=messages, errors=_errors(outcome.errors))

    @strawberry.mutation(description="To Trash; from Trash, deleted for good.")
    async def delete_mail(self, info: Info, ids: list[strawberry.ID]) -> DeleteMailPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_delete)(
            principal, await departments_of(context_of(info)), list(ids)
        )
        done = [strawberry.ID(str(pk)) for pk in outcome.obj or []]
        return DeleteMailPayload(ids=done, errors=_errors(outcome.errors))

    @strawberry.mutation
    async def create_mail_folder(
        self, info: Info, mailbox_id: strawberry.ID, name: str
    ) -> MailFolderPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_create_folder)(
            principal, await departments_of(context_of(info)), mailbox_id, name
        )
        return MailFolderPayload(folder=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(description="Delete a folder you made; its messages go to Trash.")
    async def delete_mail_folder(self, info: Info, id: strawberry.ID) -> MailboxPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_delete_folder)(
            principal, await departments_of(context_of(info)), id
        )
        return MailboxPayload(mailbox=outcome.obj, errors=_errors(outcome.errors))

    # --- administration ----------------------------------------------------------------

    @strawberry.mutation(description="Set the municipality's mail domain (administrators).")
    async def update_mail_settings(self, info: Info, domain: str) -> MailSettingsPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(actions.do_update_settings)(principal, domain)
        found = MailSettingsType(domain=outcome.obj.domain) if outcome.ok else None
        return MailSettingsPayload(settings=found, errors=_errors(outcome.errors))

    @strawberry.mutation(description="Make a shared section mailbox (administrators).")
    async def create_shared_mailbox(
        self, info: Info, input: CreateSharedMailboxInput
    ) -> SharedMailboxPayload:
        principal = require_tenant_admin(principal_of(info))
        me = await directory.me(principal)
        local = input.local_part.strip().lower()
        taken = bool(local) and bool(await directory.staff_by_login(principal, [local]))
        outcome = await sync_to_async(actions.do_create_shared_mailbox)(
            principal, local, input.name, me.tenant_slug if me else "yui", taken
        )
        return SharedMailboxPayload(mailbox=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Give persons and/or departments a shared mailbox (administrators)."
    )
    async def assign_mailbox(self, info: Info, input: AssignMailboxInput) -> SharedMailboxPayload:
        principal = require_tenant_admin(principal_of(info))
        limit = directory.MAX_DIRECTORY_IDS
        if len(input.person_ids) > limit or len(input.department_ids) > limit:
            error = MailError("TOO_MANY", f"At most {limit} at once.", "personIds")
            return SharedMailboxPayload(mailbox=None, errors=_errors([error]))
        persons = await directory.active_persons(principal, input.person_ids)
        unknown = [p for p in input.person_ids if as_uuid(p) not in persons]
        if unknown:
            error = MailError("NOT_FOUND", f"No staff member {unknown[0]}.", "personIds")
            return SharedMailboxPayload(mailbox=None, errors=_errors([error]))
        missing = await directory.unknown_departments(principal, input.department_ids)
        if missing:
            error = MailError("NOT_FOUND", f"No department {missing[0]}.", "departmentIds")
            return SharedMailboxPayload(mailbox=None, errors=_errors([error]))
        departments = [d for d in (as_uuid(x) for x in input.department_ids) if d is not None]
        outcome = await sync_to_async(actions.do_assign_mailbox)(
            principal, input.mailbox_id, list(persons), departments
        )
        return SharedMailboxPayload(mailbox=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Remove an assignment: its persons lose the mailbox at once (administrators)."
    )
    async def unassign_mailbox(self, info: Info, id: strawberry.ID) -> SharedMailboxPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(actions.do_unassign_mailbox)(principal, id)
        return SharedMailboxPayload(mailbox=outcome.obj, errors=_errors(outcome.errors))

    # --- direct messages ---------------------------------------------------------------

    @strawberry.mutation(description="Start a conversation (or find your one-to-one again).")
    async def start_conversation(
        self, info: Info, input: StartConversationInput
    ) -> ConversationPayload:
        principal = require_authenticated(principal_of(info))
        limit = directory.MAX_DIRECTORY_IDS
        if len(input.person_ids) > limit:
            error = MailError("TOO_MANY", f"At most {limit} people.", "personIds")
            return ConversationPayload(conversation=None, errors=_errors([error]))
        persons = await directory.active_persons(principal, input.person_ids)
        unknown = [p for p in input.person_ids if as_uuid(p) not in persons]
        if unknown:
            error = MailError("NOT_FOUND", f"No staff member {unknown[0]}.", "personIds")
            return ConversationPayload(conversation=None, errors=_errors([error]))
        outcome = await sync_to_async(actions.do_start_conversation)(
            principal, list(persons), input.title, input.body
        )
        return ConversationPayload(conversation=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(description="Send a direct message; members hear it at once.")
    async def send_direct_message(
        self, info: Info, conversation_id: strawberry.ID, body: str
    ) -> DirectMessagePayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_send_direct_message)(
            principal, conversation_id, body
        )
        return DirectMessagePayload(message=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(description="You have read the conversation up to now.")
    async def mark_conversation_read(self, info: Info, id: strawberry.ID) -> ConversationPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_mark_conversation_read)(principal, id)
        return ConversationPayload(conversation=outcome.obj, errors=_errors(outcome.errors))

    # --- members of a group conversation ------------------------------------------------

    @strawberry.mutation(description="Add people to a group conversation of yours.")
    async def add_conversation_members(
        self, info: Info, id: strawberry.ID, person_ids: list[strawberry.ID]
    ) -> ConversationPayload:
        principal = require_authenticated(principal_of(info))
        limit = directory.MAX_DIRECTORY_IDS
        if len(person_ids) > limit:
            error = MailError("TOO_MANY", f"At most {limit} people.", "personIds")
            return ConversationPayload(conversation=None, errors=_errors([error]))
        persons = await directory.active_persons(principal, person_ids)
        unknown = [p for p in person_ids if as_uuid(p) not in persons]
        if unknown:
            error = MailError("NOT_FOUND", f"No staff member {unknown[0]}.", "personIds")
            return ConversationPayload(conversation=None, errors=_errors([error]))
        outcome = await sync_to_async(actions.do_add_conversation_members)(
            principal, id, list(persons)
        )
        return ConversationPayload(conversation=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description=(
            "Take someone out of a group conversation (whoever started it), or yourself "
            "(leave: `conversation` is then null)."
        )
    )
    async def remove_conversation_member(
        self, info: Info, id: strawberry.ID, person_id: strawberry.ID
    ) -> ConversationPayload:
        principal = require_authenticated(principal_of(info))
        outcome = await sync_to_async(actions.do_remove_conversation_member)(
            principal, id, as_uuid(person_id)
        )
        return ConversationPayload(conversation=outcome.obj, errors=_errors(outcome.errors))

    # --- attachments held by メール無害化 and incoming mail -----------------------------

    @strawberry.mutation(
        description="Ask the administrators to release a held file of a message you hold."
    )
    async def request_mail_attachment_release(
        self, info: Info, id: strawberry.ID
    ) -> MailAttachmentPayload:
        principal = require_authenticated(principal_of(info))
        departments = await departments_of(context_of(info))
        outcome = await sync_to_async(attachments.do_request_release)(principal, departments, id)
        return MailAttachmentPayload(attachment=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Release a held file: its recipients may download it (administrators)."
    )
    async def release_mail_attachment(self, info: Info, id: strawberry.ID) -> MailAttachmentPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(attachments.do_decide_held)(principal, id, release=True)
        return MailAttachmentPayload(attachment=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Delete a held file for good, bytes and all; its name stays (administrators)."
    )
    async def delete_held_mail_attachment(
        self, info: Info, id: strawberry.ID
    ) -> MailAttachmentPayload:
        principal = require_tenant_admin(principal_of(info))
        outcome = await sync_to_async(attachments.do_decide_held)(principal, id, release=False)
        return MailAttachmentPayload(attachment=outcome.obj, errors=_errors(outcome.errors))

    @strawberry.mutation(description="Set the municipality's メール無害化 policy (administrators).")
    async def update_mail_harmless_policy(
        self, info: Info, input: MailHarmlessPolicyInput
    ) -> MailHarmlessPolicyPayload:
        principal = require_tenant_admin(principal_of(info))
        await my_mailboxes(info)  # the settings row exists from here on
        outcome = await sync_to_async(actions.do_update_harmless_policy)(
            principal,
            enabled=input.enabled,
            html_to_text=input.html_to_text,
            defang_links=input.defang_links,
            attachments=input.attachments,
            allowed_types=list(input.allowed_types),
        )
        policy = harmless_policy_type(outcome.obj) if outcome.ok else None
        return MailHarmlessPolicyPayload(policy=policy, errors=_errors(outcome.errors))

    @strawberry.mutation(
        description="Fetch a mailbox's external mail from an IMAP account: its members, or "
        "administrators for a shared mailbox. The password is stored encrypted, never shown."
    )
    async def set_mailbox_imap_account(
        self, info: Info, input: MailboxImapAccountInput
    ) -> MailboxImapAccountPayload:
        principal = require_authenticated(principal_of(info))
        mailbox = await imap_mailbox(info, input.mailbox_id)
        if mailbox is None:
            error = MailError("NOT_FOUND", "No such mailbox.", "mailboxId")
            return MailboxImapAccountPayload(account=None, errors=_errors([error]))
        assert principal.tenant_id is not None
        values = imap.AccountValues(
            host=input.host,
            port=input.port,
            security=input.security,
            username=input.username,
            password=input.password,
            folder=input.folder,
            enabled=input.enabled,
        )
        outcome = await sync_to_async(imap.do_set_account)(mailbox.id, principal.tenant_id, values)
        return MailboxImapAccountPayload(account=outcome.obj, errors=_errors(outcome.errors))
