"""People subgraph models: tenants, the department tree, staff (who are also accounts),
groups, roles and personal access tokens.

Every tenant-owned row carries ``tenant_id`` and every unique constraint includes it, so the
data could be sharded by tenant (DESIGN rule 2).
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from subgraphs.core.principal import (
    ROLE_COUNCIL_LIAISON,
    ROLE_FACILITY_ADMIN,
    ROLE_STAFF,
    ROLE_TENANT_ADMIN,
)
from subgraphs.core.tenancy import TenantQuerySet
from subgraphs.people.kana import search_key

NO_TITLE_RANK = 999_999


def title_rank(title_code: str) -> int:
    """Sort key of a title code: Japanese offices order staff by rank (部長 100, 課長 200 ...).

    Codes are kept as strings (``"050"`` stays ``"050"``); numeric codes sort numerically
    so ``"90"`` comes before ``"100"``, anything else after every numeric code.
    """
    code = (title_code or "").strip()
    return int(code) if code.isdigit() else NO_TITLE_RANK


class Source(models.TextChoices):
    """Where a department or an account came from. An import deactivates only rows of the
    HR file (``csv``): what an administrator made by hand is not the file's to remove."""

    CSV = "csv", "人事CSV"
    ADMIN = "admin", "yui admin add"
    MANUAL = "manual", "画面・API"


class Council(models.Model):
    """A council (協議会) of municipalities that share the deployment, e.g. a prefecture's
    joint cloud; room for council-wide features (shared notices, cross-municipality groups)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Tenant(models.Model):
    """A municipality, identified by its 6-digit local government code (e.g. 402125 大川市)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=6, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    council = models.ForeignKey(
        Council, null=True, blank=True, on_delete=models.SET_NULL, related_name="tenants"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # How long a leaver's personal data stays after they leave; None: the deployment's
    # YUI_LEAVER_RETENTION_DAYS (subgraphs.people.leavers).
    leaver_retention_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Organization(models.Model):
    """A department (部 / 課 / 係) in a tenant's tree.

    ``tree_path`` (ancestor ids) and ``tree_rank`` (position in a pre-order walk ordered by
    display order, then code) are maintained by ``actions.rebuild_organization_tree`` so
    "this department and everything below it" and directory order are single-column queries.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    name_kana = models.CharField(max_length=200, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # As for staff: a department made by hand (createOrganization) is never deactivated by
    # an import; the import sets csv on every department it creates or updates.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    tree_path = models.CharField(max_length=1000, default="", db_index=True)
    tree_rank = models.IntegerField(default=0)
    depth = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["tree_rank"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="org_code_unique_per_tenant")
        ]
        indexes = [models.Index(fields=["tenant", "tree_rank"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PersonManager(BaseUserManager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    pass


class Person(AbstractBaseUser):
    """A staff member, who is also the sign-in account (login ID unique per tenant).

    Staff imported from CSV have no usable password until an administrator sets one.
    ``source`` says where the account came from: only accounts of the HR file (``csv``) are
    deactivated by an import that does not list them.
    """

    Source = Source

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    login_id = models.CharField(max_length=100)
    name = models.CharField(max_length=100)
    name_kana = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    extension = models.CharField(max_length=30, blank=True)
    department = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    additional_departments: models.ManyToManyField[Organization, PersonAdditionalDepartment] = (
        models.ManyToManyField(
            Organization,
            through="PersonAdditionalDepartment",
            related_name="additional_members",
        )
    )
    title = models.CharField(max_length=100, blank=True)
    title_code = models.CharField(max_length=20, blank=True)
    title_rank = models.IntegerField(default=NO_TITLE_RANK)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)  # type: ignore[misc]  # a column, not the base class flag
    # Manual by default, so an account made by any other way than the import is never the
    # import's to deactivate; the import sets csv on every row it creates or updates.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    # Set when an administrator issues or resets the password (which the administrator then
    # knows): until the person chooses their own with changePassword, the API answers only
    # ``me`` and ``changePassword`` (PASSWORD_CHANGE_REQUIRED for everything else).
    must_change_password = models.BooleanField(default=False)
    search_text = models.TextField(default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "login_id"
    REQUIRED_FIELDS = []

    objects = PersonManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "login_id"], name="person_login_unique_per_tenant"
            )
        ]
        indexes = [models.Index(fields=["tenant", "is_active"])]

    def __str__(self) -> str:
        return f"{self.login_id} {self.name}"

    def refresh_derived(self) -> None:
        """Recompute the columns derived from others (call before bulk writes too)."""
        self.title_rank = title_rank(self.title_code)
        self.search_text = " ".join(
            search_key(part) for part in (self.name, self.name_kana, self.login_id, self.email)
        )

    def save(self, *args: object, **kwargs: object) -> None:
        self.refresh_derived()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "title_rank", "search_text"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class PersonAdditionalDepartment(models.Model):
    """An additional department (兼務) of a staff member."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    sort_order = models.IntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "person", "organization"], name="additional_dept_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} 兼務 {self.organization_id}"


class Group(models.Model):
    """A named set of staff across departments (e.g. a cross-department project)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    members: models.ManyToManyField[Person, GroupMembership] = models.ManyToManyField(
        Person, through="GroupMembership", related_name="groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="group_name_unique_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """Membership of a staff member in a group."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "group", "person"], name="group_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.group_id}"


class RoleAssignment(models.Model):
    """A role held by a staff member beyond ordinary staff (which every active person has)."""

    ROLE_CHOICES = [
        (ROLE_TENANT_ADMIN, "テナント管理者"),
        (ROLE_FACILITY_ADMIN, "施設管理者"),
        (ROLE_COUNCIL_LIAISON, "協議会担当"),
        (ROLE_STAFF, "職員"),
    ]

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=50, choices=ROLE_CHOICES)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "person", "role"], name="role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.role}"


def full_access_scopes() -> list[str]:
    """The scopes of a token made without any: everything its owner may do."""
    return ["read", "write"]


class AccessToken(models.Model):
    """A personal access token for a mobile app or a dashboard.

    Only a SHA-256 of the token is stored: tokens are 256 random bits, so a fast hash is
    safe (no dictionary to attack) and lets every request look the token up by index.

    ``scopes`` limit what it may do (``read``, ``read:<subgraph>``, ``write``; see
    ``people.scopes``); administrators may give it an allow-list of operations
    (``TrustedDocument``) and a rate limit.
    """

    PREFIX = "yui_pat_"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=full_access_scopes)
    # Requests a minute at /graphql; None: not limited.
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"


class TrustedDocument(models.Model):
    """An operation an access token may run: once a token has one, it runs only these
    (trusted documents), sent whole or by their SHA-256 (Apollo's persisted-query shape)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey(
        AccessToken, on_delete=models.CASCADE, related_name="trusted_documents"
    )
    name = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    document = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["name", "sha256"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "token", "sha256"], name="trusted_document_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class Link(models.Model):
    """An entry of the municipality's link collection (リンク集) on the portal: a system or
    a page staff open every day (財務会計システム, 例規集), kept by its administrators.

    Only http(s) URLs are stored (``actions.check_link``): the portal renders them as
    anchors, so a ``javascript:`` URL would run in every colleague's session.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=100)
    url = models.CharField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # The heading the portal groups links under (業務システム, 規程・様式); blank: none.
    category = models.CharField(max_length=50, blank=True)
    sort_order = models.IntegerField(default=0)
    opens_in_new_tab = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "title"]
        indexes = [models.Index(fields=["tenant", "sort_order"])]

    def __str__(self) -> str:
        return f"{self.title} <{self.url}>"


class Reorganisation(models.Model):
    """A staged personnel change (人事異動): next year's organisation and staff files, kept
    as uploaded until ``effective_date`` (Japan time), when ``reorg.apply_due`` imports them
    in one transaction. Until then the directory shows today's organisation.

    A file with errors is never stored (staging and editing check it first), so there is no
    draft state: a change is scheduled, then applied, withdrawn, or failed (the files no
    longer fit the data on the day; ``errors`` says why, and an edit schedules it again).
    """

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "予定"
        APPLIED = "applied", "実施済み"
        WITHDRAWN = "withdrawn", "取り下げ"
        FAILED = "failed", "失敗"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    effective_date = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    organizations_csv = models.BinaryField()
    organizations_filename = models.CharField(max_length=200, blank=True)
    organizations_encoding = models.CharField(max_length=20, blank=True)
    staff_csv = models.BinaryField()
    staff_filename = models.CharField(max_length=200, blank=True)
    staff_encoding = models.CharField(max_length=20, blank=True)
    # Staff of the HR file missing from the new staff file leave (退職) on the day.
    deactivate_missing_staff = models.BooleanField(default=True)
    created_by = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.UUIDField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # What the apply did (counts, successors of closed departments) or, when it failed, why.
    result = models.JSONField(default=dict, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-effective_date", "-created_at"]
        constraints = [
            # Two changes pending at once would each be previewed against data the other
            # is about to change: one at a time.
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(state="scheduled"),
                name="reorg_one_scheduled_per_tenant",
            )
        ]
        indexes = [models.Index(fields=["state", "effective_date"])]

    def __str__(self) -> str:
        return f"{self.effective_date} {self.state}"


class MembershipHistory(models.Model):
    """A main department someone held until ``valid_to`` (exclusive), written when a
    reorganisation moved them, made them join (``organization`` None: not on the staff
    yet) or made them leave. Current membership is ``Person.department`` from the last
    ``valid_to`` on, so the department week of a past date lists who was there then."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField(null=True, blank=True)  # None: since before Yui knew
    valid_to = models.DateField()
    reorganisation = models.ForeignKey(
        Reorganisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "organization", "valid_to"]),
            models.Index(fields=["tenant", "person", "valid_to"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.organization_id} until {self.valid_to}"


class Leaver(models.Model):
    """Someone who left (退職: their account deactivated), from the day Yui noticed until and
    after their personal data is removed: what happens to their personal mailbox, and the
    report of what was removed and what is kept and why (subgraphs.people.leavers)."""

    class Mailbox(models.TextChoices):
        UNDECIDED = "", "未定"
        HANDOVER = "handover", "引継ぎ"
        ARCHIVE = "archive", "保管"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="leaver")
    left_at = models.DateTimeField()
    mailbox = models.CharField(max_length=10, choices=Mailbox.choices, blank=True, default="")
    successor = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mailbox_decided_at = models.DateTimeField(null=True, blank=True)
    mailbox_id = models.UUIDField(null=True, blank=True)  # the mail subgraph's, once released
    purged_at = models.DateTimeField(null=True, blank=True)
    removed = models.JSONField(default=dict, blank=True)  # kind -> rows removed

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-left_at"]
        indexes = [models.Index(fields=["tenant", "purged_at", "left_at"])]

    def __str__(self) -> str:
        return f"{self.person_id} left {self.left_at:%Y-%m-%d}"
