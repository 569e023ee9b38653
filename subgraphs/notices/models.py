"""Notices subgraph models: the information board (インフォメーション) with read tracking.

A subgraph owns its tables (DESIGN rule 1): tenant, person, department and group IDs are
plain UUIDs of the people subgraph's rows, never foreign keys. The audience of a notice is
expanded through people when it is posted (like a calendar event's attendees), into one
``NoticeRecipient`` row per person, which also holds that person's read state: the
author's reader / non-reader lists and "remind those who have not read" are plain queries
on those rows, and someone who joins a department later is not a recipient.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from subgraphs.core.tenancy import TenantQuerySet

TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 100_000  # sanitised HTML; a long 例規 notice fits many times over
CATEGORY_NAME_MAX_LENGTH = 50


class NoticeCategory(models.Model):
    """A category of the board (e.g. 庁内連絡, 人事, 福利厚生) and who may post in it.

    Posters are those holding one of ``poster_roles`` or working (main post or 兼務) in one
    of ``poster_department_ids``; tenant administrators always may. Both empty: every
    staff member may post.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    name = models.CharField(max_length=CATEGORY_NAME_MAX_LENGTH)
    sort_order = models.IntegerField(default=0)
    poster_roles = models.JSONField(default=list, blank=True)
    poster_department_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "name"], name="notices_category_name_unique_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Notice(models.Model):
    """One item of the information board."""

    class Importance(models.TextChoices):
        URGENT = "URGENT", "緊急"
        HIGH = "HIGH", "高"
        NORMAL = "NORMAL", "標準"
        LOW = "LOW", "低"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    category = models.ForeignKey(NoticeCategory, on_delete=models.PROTECT, related_name="+")
    author_id = models.UUIDField()
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    body = models.TextField(blank=True, default="")  # sanitised HTML (actions.sanitise_body)
    importance = models.CharField(
        max_length=10, choices=Importance.choices, default=Importance.NORMAL
    )
    # The audience as the author chose it, kept to show it again ("総務部（下位を含む）"):
    # {"everyone": bool, "departments": [{"id", "include_sub"}], "groups": [...],
    # "persons": [...]}. Who actually receives it are the NoticeRecipient rows.
    audience = models.JSONField(default=dict)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # One more with every change (a reminder too), so subscribers tell new from shown.
    version = models.PositiveIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["tenant_id", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class NoticeRecipient(models.Model):
    """A person the notice was posted to, and when they read it (null: not yet)."""

    tenant_id = models.UUIDField()
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="recipients")
    person_id = models.UUIDField()
    read_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "notice", "person_id"],
                name="notices_recipient_unique_per_tenant",
            )
        ]
        indexes = [models.Index(fields=["tenant_id", "person_id", "read_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} ({'read' if self.read_at else 'unread'})"


class NoticeReminder(models.Model):
    """A "remind those who have not read" sent by the author or an administrator."""

    tenant_id = models.UUIDField()
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reminders")
    sent_by = models.UUIDField()
    sent_at = models.DateTimeField(default=timezone.now)
    person_ids = models.JSONField(default=list)  # the non-readers it reached

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at"]

    def __str__(self) -> str:
        return f"reminder of {self.notice_id} at {self.sent_at:%Y-%m-%d %H:%M}"


# --- circulation / report (回覧・レポート) ----------------------------------------------

COMMENT_MAX_LENGTH = 2000


class Circulation(models.Model):
    """A document sent round to persons, departments or groups, each of whom confirms it.

    A draft has its audience as chosen but no recipients yet; sending expands the audience
    through people (a snapshot, as for notices). Once the sender completes it, nobody
    confirms or comments any more.
    """

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "下書き"
        SENT = "SENT", "回覧中"
        COMPLETED = "COMPLETED", "完了"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    sender_id = models.UUIDField()
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    body = models.TextField(blank=True, default="")  # sanitised HTML
    audience = models.JSONField(default=dict)  # as Notice.audience
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["tenant_id", "sender_id", "status"])]

    def __str__(self) -> str:
        return self.title


class CirculationRecipient(models.Model):
    """A person a circulation was sent to: when they opened and confirmed it."""

    tenant_id = models.UUIDField()
    circulation = models.ForeignKey(
        Circulation, on_delete=models.CASCADE, related_name="recipients"
    )
    person_id = models.UUIDField()
    opened_at = models.DateTimeField(null=True, blank=True)  # null: in their 新着 folder
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "circulation", "person_id"],
                name="notices_circulation_recipient_unique_per_tenant",
            )
        ]
        indexes = [models.Index(fields=["tenant_id", "person_id", "confirmed_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} ({'confirmed' if self.confirmed_at else 'unconfirmed'})"


class CirculationComment(models.Model):
    """A comment or answer on a circulation, by a recipient or its sender (plain text)."""

    tenant_id = models.UUIDField()
    circulation = models.ForeignKey(Circulation, on_delete=models.CASCADE, related_name="comments")
    person_id = models.UUIDField()
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.body[:20]}"


class CirculationWatch(models.Model):
    """A circulation on someone's watch list (ウォッチリスト): sender or recipient."""

    tenant_id = models.UUIDField()
    circulation = models.ForeignKey(Circulation, on_delete=models.CASCADE, related_name="+")
    person_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "circulation", "person_id"],
                name="notices_circulation_watch_unique_per_tenant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} watches {self.circulation_id}"


# --- surveys (アンケート) -------------------------------------------------------------

QUESTION_MAX_LENGTH = 500
CHOICE_MAX_LENGTH = 200
ANSWER_TEXT_MAX_LENGTH = 2000


class Survey(models.Model):
    """A questionnaire for an audience (expanded through people when created), open from
    ``opens_at`` until ``closes_at``; each recipient answers once and may change the
    answer until it closes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    owner_id = models.UUIDField()
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField(blank=True, default="")  # sanitised HTML
    # Anonymous: the owner sees aggregated results and the texts, never who answered what
    # (the database keeps the respondent, which "one answer each, editable" needs).
    anonymous = models.BooleanField(default=False)
    audience = models.JSONField(default=dict)  # as Notice.audience
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # One more with every answer too: the owner's live results follow it.
    version = models.PositiveIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["tenant_id", "owner_id"])]

    def __str__(self) -> str:
        return self.title


class SurveyQuestion(models.Model):
    """One question; ``choices`` for single and multiple choice, in display order."""

    class Kind(models.TextChoices):
        SINGLE_CHOICE = "SINGLE_CHOICE", "単一選択"
        MULTIPLE_CHOICE = "MULTIPLE_CHOICE", "複数選択"
        TEXT = "TEXT", "自由記述"
        NUMBER = "NUMBER", "数値"
        DATE = "DATE", "日付"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.CharField(max_length=QUESTION_MAX_LENGTH)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "survey", "position"],
                name="notices_question_position_unique_per_tenant",
            )
        ]

    def __str__(self) -> str:
        return self.text


class SurveyRecipient(models.Model):
    """A person asked to answer, and when they last answered (null: not yet)."""

    tenant_id = models.UUIDField()
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="recipients")
    person_id = models.UUIDField()
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "survey", "person_id"],
                name="notices_survey_recipient_unique_per_tenant",
            )
        ]
        indexes = [models.Index(fields=["tenant_id", "person_id", "answered_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} ({'answered' if self.answered_at else 'not answered'})"


class SurveyAnswer(models.Model):
    """One person's answer to one question. ``value``: a list of choice indexes for
    choice questions, a string for text, a decimal string for numbers, an ISO date."""

    tenant_id = models.UUIDField()
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="+")
    person_id = models.UUIDField()
    value = models.JSONField()
    answered_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "question", "person_id"],
                name="notices_answer_unique_per_tenant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.value}"


# --- attachments ----------------------------------------------------------------------------

ATTACHMENTS_MAX = 20  # per notice or circulation


class Attachment(models.Model):
    """A file uploaded for a notice or a circulation (subgraphs.core.storage keeps the bytes).

    Uploaded first (POST /files/notices, by its uploader, in their tenant) and attached by
    the mutation that names its ID; one not attached within a day is an orphan, deleted
    with its bytes by the next upload. The served name and type are decided at upload
    (storage.check_upload), never taken from the browser.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    uploaded_by = models.UUIDField()
    name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=200)
    storage_key = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    notice = models.ForeignKey(
        Notice, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    circulation = models.ForeignKey(
        Circulation, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    position = models.PositiveIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["position", "created_at"]
        indexes = [models.Index(fields=["tenant_id", "uploaded_by", "created_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_attached(self) -> bool:
        return self.notice_id is not None or self.circulation_id is not None


# --- across the council (協議会) ---------------------------------------------------------
#
# The only path by which data crosses a tenant boundary. A CouncilRequest belongs to the
# sender's municipality (its tenant_id); one CouncilDelivery per member municipality
# belongs to that municipality (its tenant_id). What crosses is exactly: the request's
# title, body, questions and sender's municipality name to each recipient municipality,
# and each delivery's response to the sender's municipality. Nothing else is read across
# (subgraphs.notices.council holds every such query).


class CouncilPurpose(models.TextChoices):
    """What a designated contact answers for (担当): every municipality sets its own."""

    INFORMATION_SYSTEMS = "INFORMATION_SYSTEMS", "情報システム担当"
    GENERAL_AFFAIRS = "GENERAL_AFFAIRS", "総務担当"
    DISASTER_PREVENTION = "DISASTER_PREVENTION", "防災担当"
    FINANCE = "FINANCE", "財政担当"
    HEALTH_WELFARE = "HEALTH_WELFARE", "保健福祉担当"
    EDUCATION = "EDUCATION", "教育担当"


class CouncilContact(models.Model):
    """A municipality's designated contact for one purpose: a department of its own (main
    post or 兼務 staff of it see and answer council requests of that purpose), set by the
    municipality's administrator. ``council_id``, code and name are as people told when it
    was set: the directory of whom a council request can reach."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()
    council_id = models.UUIDField()
    purpose = models.CharField(max_length=30, choices=CouncilPurpose.choices)
    department_id = models.UUIDField()
    tenant_code = models.CharField(max_length=6)
    tenant_name = models.CharField(max_length=100)
    updated_by = models.UUIDField()
    updated_at = models.DateTimeField(default=timezone.now)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "purpose"], name="notices_council_contact_unique_per_tenant"
            )
        ]
        indexes = [models.Index(fields=["council_id", "purpose"])]

    def __str__(self) -> str:
        return f"{self.tenant_name} {self.purpose}"


class CouncilRequest(models.Model):
    """A survey or circulation one municipality sends to the council's member
    municipalities' designated contacts for ``purpose``."""

    class Kind(models.TextChoices):
        SURVEY = "SURVEY", "照会（アンケート）"
        CIRCULATION = "CIRCULATION", "回覧"

    class Status(models.TextChoices):
        OPEN = "OPEN", "受付中"
        COMPLETED = "COMPLETED", "完了"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()  # the sender's municipality
    council_id = models.UUIDField()
    sender_id = models.UUIDField()
    sender_tenant_name = models.CharField(max_length=100)
    purpose = models.CharField(max_length=30, choices=CouncilPurpose.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    body = models.TextField(blank=True, default="")  # sanitised HTML
    # For a survey: [{"id", "kind", "text", "required", "choices"}], as SurveyQuestion.
    questions = models.JSONField(default=list, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["tenant_id", "created_at"])]

    def __str__(self) -> str:
        return self.title


class CouncilDelivery(models.Model):
    """A council request as one member municipality received it, and its response.

    ``tenant_id`` is the receiving municipality: its staff see this row and no other
    municipality's; the sender's municipality sees every delivery of its request.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant_id = models.UUIDField()  # the receiving municipality
    request = models.ForeignKey(CouncilRequest, on_delete=models.CASCADE, related_name="deliveries")
    department_id = models.UUIDField()  # its designated contact when sent
    tenant_code = models.CharField(max_length=6)
    tenant_name = models.CharField(max_length=100)
    opened_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.UUIDField(null=True, blank=True)
    responded_by_name = models.CharField(max_length=100, blank=True, default="")
    comment = models.TextField(blank=True, default="")
    # For a survey: [{"question": question id, "value": as SurveyAnswer.value}], in
    # question order (a list: PostgreSQL's jsonb does not keep an object's key order).
    answers = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["tenant_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant_id", "request"], name="notices_council_delivery_unique_per_tenant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_name}: {self.request_id}"
