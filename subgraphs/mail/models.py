"""Mail subgraph models: mailboxes (personal and shared), folders, messages, the outbox,
and direct messages.

A subgraph owns its tables (DESIGN rule 1): tenant, person and department IDs are plain
UUIDs of the people subgraph's rows. A message is stored once (``MailMessage``); each
mailbox that holds it has a ``MailEntry`` with that mailbox's state (folder, read,
flagged). A shared section mailbox (課・係の共有アカウント) has one entry per message for all
its members, so they share read state, flags and folders.

Addresses are ``<local part>@<the municipality's mail domain>``: a personal mailbox's
local part is its owner's login ID, a shared one's is chosen by the administrator. The
domain is ``MailSettings.domain``; until an administrator sets it, it is
``<tenant slug>.invalid`` (RFC 2606: clearly not deliverable from outside).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from subgraphs.core.tenancy import TenantQuerySet

LOCAL_PART_MAX_LENGTH = 64  # RFC 5321
DOMAIN_MAX_LENGTH = 253
ADDRESS_MAX_LENGTH = 320
NAME_MAX_LENGTH = 100
FOLDER_NAME_MAX_LENGTH = 50
SUBJECT_MAX_LENGTH = 998  # RFC 5322 line limit
BODY_MAX_LENGTH = 1_000_000
MAX_RECIPIENTS = 100
DIRECT_MESSAGE_MAX_LENGTH = 5000
CONVERSATION_MAX_MEMBERS = 20


class MailSettings(models.Model):
    """A municipality's mail settings (administrators change them)."""

    class AttachmentPolicy(models.TextChoices):
        PASS = "PASS", "そのまま渡す"
        HOLD = "HOLD", "すべて保留"
        ALLOW_LISTED = "ALLOW_LISTED", "許可した種類のみ渡す"

    tenant_id = models.UUIDField(unique=True)
    domain = models.CharField(max_length=DOMAIN_MAX_LENGTH)
    updated_at = models.DateTimeField(default=timezone.now)
    # メール無害化 (rendering mail from the internet harmless), for EXTERNAL incoming mail only.
    harmless_enabled = models.BooleanField(default=False)
    harmless_html_to_text = models.BooleanField(default=True)
    harmless_defang_links = models.BooleanField(default=True)
    harmless_attachments = models.CharField(
        max_length=20, choices=AttachmentPolicy.choices, default=AttachmentPolicy.HOLD
    )
    # File extensions (lower case, no dot) passed under ALLOW_LISTED.
    harmless_allowed_types = models.JSONField(default=list, blank=True)

    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        return self.domain


class Mailbox(models.Model):
    """A personal mailbox (one per staff member, made on first use) or a shared one."""

    class Kind(models.TextChoices):
        PERSONAL = "PERSONAL", "個人"
        SHARED = "SHARED", "共有"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    owner_id = models.UUIDField(null=True, blank=True)  # the person, for a personal mailbox
    local_part = models.CharField(max_length=LOCAL_PART_MAX_LENGTH)
    name = models.CharField(max_length=NAME_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "local_part"], name="mail_mailbox_address_unique_per_tenant"
            ),
            models.UniqueConstraint(
                fields=["tenant_id", "owner_id"],
                condition=Q(owner_id__isnull=False),
                name="mail_one_personal_mailbox_per_person",
            ),
        ]

    def __str__(self) -> str:
        return self.local_part


class MailboxAssignment(models.Model):
    """Who may use a shared mailbox: a person, or everyone of a department (main or 兼務)."""

    tenant_id = models.UUIDField()
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="assignments")
    person_id = models.UUIDField(null=True, blank=True)
    department_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person_id__isnull=True, department_id__isnull=False)
                | Q(person_id__isnull=False, department_id__isnull=True),
                name="mail_assignment_person_xor_department",
            ),
            models.UniqueConstraint(
                fields=["tenant_id", "mailbox", "person_id"],
                condition=Q(person_id__isnull=False),
                name="mail_assignment_person_unique",
            ),
            models.UniqueConstraint(
                fields=["tenant_id", "mailbox", "department_id"],
                condition=Q(department_id__isnull=False),
                name="mail_assignment_department_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant_id", "person_id"]),
            models.Index(fields=["tenant_id", "department_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id} → {self.person_id or self.department_id}"


class MailFolder(models.Model):
    """A folder of a mailbox: the four standard ones, and those its users make."""

    class Role(models.TextChoices):
        INBOX = "INBOX", "受信トレイ"
        SENT = "SENT", "送信済み"
        DRAFTS = "DRAFTS", "下書き"
        TRASH = "TRASH", "ごみ箱"
        CUSTOM = "CUSTOM", "フォルダ"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders")
    role = models.CharField(max_length=10, choices=Role.choices)
    name = models.CharField(max_length=FOLDER_NAME_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "mailbox", "name"], name="mail_folder_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


STANDARD_FOLDERS = [
    (MailFolder.Role.INBOX, "INBOX"),
    (MailFolder.Role.SENT, "Sent"),
    (MailFolder.Role.DRAFTS, "Drafts"),
    (MailFolder.Role.TRASH, "Trash"),
]


class MailMessage(models.Model):
    """One message as written: headers and bodies, stored once however many hold it.

    ``to``/``cc``/``bcc`` are lists of ``{"name", "address"}``. ``html_body`` is sanitised
    when stored (actions.sanitise_html); ``text_body`` is always there, so a plain-text
    view is always available. ``thread_id`` groups a conversation: a reply takes the
    thread of the message it answers (In-Reply-To / References).
    """

    class Origin(models.TextChoices):
        INTERNAL = "INTERNAL", "庁内"
        EXTERNAL = "EXTERNAL", "外部"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    message_id = models.CharField(max_length=ADDRESS_MAX_LENGTH + 2)
    in_reply_to = models.CharField(max_length=ADDRESS_MAX_LENGTH + 2, blank=True, default="")
    references = models.TextField(blank=True, default="")
    thread_id = models.UUIDField(default=uuid.uuid4)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.INTERNAL)
    sender_mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_person_id = models.UUIDField(null=True, blank=True)
    from_name = models.CharField(max_length=NAME_MAX_LENGTH * 2, blank=True, default="")
    from_address = models.CharField(max_length=ADDRESS_MAX_LENGTH)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list)
    bcc = models.JSONField(default=list)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, blank=True, default="")
    text_body = models.TextField(blank=True, default="")
    html_body = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)  # null: a draft
    created_at = models.DateTimeField(default=timezone.now)
    # メール無害化: the HTML as it arrived (administrators only) and what was done, in words.
    original_html_body = models.TextField(blank=True, default="")
    harmless_notice = models.TextField(blank=True, default="")

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["tenant_id", "message_id"]),
            models.Index(fields=["tenant_id", "thread_id"]),
        ]

    def __str__(self) -> str:
        return self.subject


class MailEntry(models.Model):
    """A message in one mailbox, with that mailbox's state (shared by its members)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="entries")
    message = models.ForeignKey(MailMessage, on_delete=models.CASCADE, related_name="entries")
    folder = models.ForeignKey(MailFolder, on_delete=models.PROTECT, related_name="entries")
    is_read = models.BooleanField(default=False)
    is_flagged = models.BooleanField(default=False)
    received_at = models.DateTimeField(default=timezone.now)
    # One more with every change of state, so subscribers tell new from shown.
    version = models.PositiveIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "mailbox", "message"], name="mail_entry_unique_per_mailbox"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant_id", "mailbox", "folder", "received_at"]),
            models.Index(fields=["tenant_id", "mailbox", "is_read"]),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} in {self.mailbox_id}"


class OutboxItem(models.Model):
    """A message on its way to external recipients through the SMTP relay.

    Committed with the message, before anything is sent; the worker claims it (PENDING →
    SENDING with a lease), sends it, and marks it SENT, so a second worker or a second
    task for the same item finds nothing to do. A relay that is down or answers 4xx puts
    it back to PENDING with a later ``next_attempt_at`` (exponential backoff); a 5xx
    answer or too many attempts make it FAILED, kept with the relay's answer.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "送信待ち"
        SENDING = "SENDING", "送信中"
        SENT = "SENT", "送信済み"
        FAILED = "FAILED", "送信失敗"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    message = models.ForeignKey(MailMessage, on_delete=models.CASCADE, related_name="outbox")
    recipients = models.JSONField(default=list)  # envelope addresses (bcc included)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The queue's task that is to send it next (django-tasks-db's result ID), so a restarted
    # worker can tell an item whose task died with a worker from one still queued.
    task_id = models.CharField(max_length=64, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.status}"


# --- direct messages (ダイレクトメッセージ) ------------------------------------------------


class Conversation(models.Model):
    """A one-to-one or small-group conversation between staff of one municipality.

    A one-to-one conversation has ``pair_key`` (the two person IDs, sorted; empty for a
    group), so starting one with the same colleague again finds the existing one.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    title = models.CharField(max_length=NAME_MAX_LENGTH, blank=True, default="")
    pair_key = models.CharField(max_length=73, blank=True, default="")
    created_by = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "pair_key"],
                condition=~Q(pair_key=""),
                name="mail_one_conversation_per_pair",
            )
        ]

    def __str__(self) -> str:
        return self.title or str(self.id)


class ConversationMember(models.Model):
    """A member of a conversation and how far they have read it."""

    tenant_id = models.UUIDField()
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="members")
    person_id = models.UUIDField()
    last_read_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "conversation", "person_id"],
                name="mail_conversation_member_unique",
            )
        ]
        indexes = [models.Index(fields=["tenant_id", "person_id"])]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.conversation_id}"


class DirectMessage(models.Model):
    """One message of a conversation (plain text)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender_id = models.UUIDField()
    body = models.TextField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at"]
        indexes = [models.Index(fields=["tenant_id", "conversation", "sent_at"])]

    def __str__(self) -> str:
        return self.body[:40]


# --- attachments and incoming mail ---------------------------------------------------------

ATTACHMENTS_MAX = 20  # per message
ATTACHMENT_NAME_MAX_LENGTH = 255


class MailAttachment(models.Model):
    """A file of a message (subgraphs.core.storage keeps the bytes).

    Outgoing: uploaded first (POST /files/mail, by its uploader) with ``message`` unset, then
    attached by sendMail / saveMailDraft naming its ID. Incoming: stored by the IMAP
    fetcher. Under メール無害化 an external message's attachment may be HELD: nobody can
    fetch it until a tenant administrator releases it (or it is deleted, bytes and all).
    """

    class State(models.TextChoices):
        AVAILABLE = "AVAILABLE", "利用可"
        HELD = "HELD", "保留中"
        DELETED = "DELETED", "削除済み"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    uploaded_by = models.UUIDField(null=True, blank=True)  # null: arrived by IMAP
    message = models.ForeignKey(
        MailMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    name = models.CharField(max_length=ATTACHMENT_NAME_MAX_LENGTH)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=200)
    storage_key = models.CharField(max_length=500, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.AVAILABLE)
    release_requested_by = models.UUIDField(null=True, blank=True)
    release_requested_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.UUIDField(null=True, blank=True)  # the administrator who released/deleted
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [
            models.Index(fields=["tenant_id", "uploaded_by", "created_at"]),
            models.Index(fields=["tenant_id", "state"]),
        ]

    def __str__(self) -> str:
        return self.name


class ImapAccount(models.Model):
    """Where a mailbox's external mail comes from: an IMAP account, fetched by the worker.

    The password is stored encrypted (subgraphs.mail.imap.encrypt_password) and never
    returned by the API. ``uid_validity``/``last_uid`` are the server's bookkeeping of the
    folder last seen (RFC 3501 2.3.1.1): a changed UIDVALIDITY means every UID is new.
    """

    class Security(models.TextChoices):
        TLS = "TLS", "TLS"
        STARTTLS = "STARTTLS", "STARTTLS"
        NONE = "NONE", "なし"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    mailbox = models.OneToOneField(Mailbox, on_delete=models.CASCADE, related_name="imap_account")
    host = models.CharField(max_length=DOMAIN_MAX_LENGTH)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.TLS)
    username = models.CharField(max_length=ADDRESS_MAX_LENGTH)
    password_encrypted = models.TextField()
    folder = models.CharField(max_length=200, default="INBOX")
    enabled = models.BooleanField(default=True)
    uid_validity = models.BigIntegerField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.username}@{self.host}"


class ImapMessage(models.Model):
    """One server message (UID under UIDVALIDITY) and the Yui message it became."""

    tenant_id = models.UUIDField()
    account = models.ForeignKey(ImapAccount, on_delete=models.CASCADE, related_name="messages")
    uid_validity = models.BigIntegerField()
    uid = models.BigIntegerField()
    # Null once deleted in Yui for good: the UID stays known, so it is not fetched again.
    message = models.ForeignKey(
        MailMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "uid_validity", "uid"], name="mail_imap_uid_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.uid_validity}:{self.uid}"
