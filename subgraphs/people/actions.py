"""Service functions of the people subgraph: check_* validate, do_* change.

Each do_* owns its transaction. Expected business failures (a duplicate login ID, an
unknown department) come back as ``PeopleError`` values that the GraphQL layer returns as
data (DESIGN rule 5); permission failures are raised by the caller before getting here.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone

from subgraphs.audit import actions as audit
from subgraphs.core.events import publish_on_commit
from subgraphs.core.principal import (
    ROLE_COUNCIL_LIAISON,
    ROLE_FACILITY_ADMIN,
    ROLE_STAFF,
    ROLE_TENANT_ADMIN,
    Principal,
)
from subgraphs.people import scopes as token_scopes
from subgraphs.people.kana import normalize_kana
from subgraphs.people.models import (
    AccessToken,
    Council,
    Group,
    GroupMembership,
    Link,
    Organization,
    Person,
    PersonAdditionalDepartment,
    RoleAssignment,
    Tenant,
    TrustedDocument,
)

ASSIGNABLE_ROLES = {ROLE_TENANT_ADMIN, ROLE_FACILITY_ADMIN, ROLE_COUNCIL_LIAISON}
# What the audit trail shows of a department and an account, before → after.
ORG_AUDIT_FIELDS = ("code", "name", "name_kana", "parent_id", "sort_order", "is_active")
PERSON_AUDIT_FIELDS = (
    "login_id",
    "name",
    "email",
    "extension",
    "title",
    "title_code",
    "department_id",
    "is_active",
)


@dataclass(frozen=True)
class PeopleError:
    """An expected failure, shown to the user next to ``field`` (None: the whole form)."""

    code: str
    message: str
    field: str | None = None


@dataclass
class Outcome:
    """What a do_* function returns: the changed object, or the reasons it did not change."""

    obj: Any = None
    errors: list[PeopleError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- tenants ----------------------------------------------------------------------------


def check_tenant(code: str, name: str, slug: str) -> list[PeopleError]:
    errors = []
    if not (len(code) == 6 and code.isdigit()):
        errors.append(
            PeopleError("INVALID", "A local government code has 6 digits, e.g. 402125.", "code")
        )
    if not name.strip():
        errors.append(PeopleError("REQUIRED", "Name the municipality.", "name"))
    if not slug or not slug.replace("-", "").isalnum() or not slug.isascii():
        errors.append(PeopleError("INVALID", "A slug uses ASCII letters, digits and '-'.", "slug"))
    if Tenant.objects.filter(code=code).exists():
        errors.append(PeopleError("DUPLICATE", f"Tenant {code} exists already.", "code"))
    elif slug and Tenant.objects.filter(slug=slug).exists():
        errors.append(PeopleError("DUPLICATE", f"Slug {slug!r} is taken.", "slug"))
    return errors


@transaction.atomic
def do_add_tenant(code: str, name: str, slug: str, council_name: str | None = None) -> Outcome:
    errors = check_tenant(code, name, slug)
    if errors:
        return Outcome(errors=errors)
    council = None
    if council_name:
        council, _ = Council.objects.get_or_create(name=council_name.strip())
    tenant = Tenant.objects.create(code=code, name=name.strip(), slug=slug, council=council)
    audit.record(
        "tenant.created",
        target=tenant,
        tenant_id=tenant.id,
        after=audit.snapshot(tenant, ("code", "name", "slug")),
    )
    return Outcome(obj=tenant)


def find_tenant(code_or_slug: str) -> Tenant | None:
    """The tenant named by its local government code or its slug (sign-in, CLI)."""
    key = (code_or_slug or "").strip()
    if not key:
        return None
    return Tenant.objects.filter(code=key).first() or Tenant.objects.filter(slug=key).first()


# --- organisations ----------------------------------------------------------------------


def rebuild_organization_tree(tenant_id: uuid.UUID) -> None:
    """Recompute tree_path, tree_rank and depth of every department of one tenant.

    A tenant has hundreds of departments at most, so a full pre-order walk in Python
    after each change is cheaper and simpler than maintaining nested sets incrementally.
    """
    orgs = list(Organization.objects.filter(tenant_id=tenant_id))
    children: dict[uuid.UUID | None, list[Organization]] = {}
    for org in orgs:
        children.setdefault(org.parent_id, []).append(org)
    for siblings in children.values():
        siblings.sort(key=lambda o: (o.sort_order, o.code))
    changed: list[Organization] = []
    rank = 0
    stack: list[tuple[Organization, str, int]] = [
        (org, "", 0) for org in reversed(children.get(None, []))
    ]
    while stack:
        org, parent_path, depth = stack.pop()
        path = f"{parent_path}{org.id.hex}/"
        rank += 1
        if (org.tree_path, org.tree_rank, org.depth) != (path, rank, depth):
            org.tree_path, org.tree_rank, org.depth = path, rank, depth
            changed.append(org)
        stack.extend((child, path, depth + 1) for child in reversed(children.get(org.id, [])))
    Organization.objects.bulk_update(changed, ["tree_path", "tree_rank", "depth"], batch_size=500)


def _check_org_fields(
    tenant_id: uuid.UUID, data: dict[str, Any], instance: Organization | None
) -> tuple[list[PeopleError], Organization | None]:
    errors: list[PeopleError] = []
    code = (data.get("code") or "").strip() if "code" in data else None
    if code is not None:
        if not code:
            errors.append(PeopleError("REQUIRED", "Give the department a code.", "code"))
        elif (
            Organization.objects.filter(tenant_id=tenant_id, code=code)
            .exclude(id=instance.id if instance else None)
            .exists()
        ):
            errors.append(PeopleError("DUPLICATE", f"Code {code} is used already.", "code"))
    if "name" in data and not (data.get("name") or "").strip():
        errors.append(PeopleError("REQUIRED", "Give the department a name.", "name"))
    parent = None
    if data.get("parent_id"):
        parent = Organization.objects.filter(tenant_id=tenant_id, id=data["parent_id"]).first()
        if parent is None:
            errors.append(PeopleError("NOT_FOUND", "No such parent department.", "parentId"))
        elif instance is not None and (
            parent.id == instance.id or parent.tree_path.startswith(instance.tree_path)
        ):
            errors.append(
                PeopleError("INVALID", "A department cannot sit below itself.", "parentId")
            )
    return errors, parent


@transaction.atomic
def do_create_organization(principal: Principal, data: dict[str, Any]) -> Outcome:
    assert principal.tenant_id is not None
    data = {"code": data.get("code") or "", "name": data.get("name") or "", **data}
    errors, parent = _check_org_fields(principal.tenant_id, data, None)
    if errors:
        return Outcome(errors=errors)
    org = Organization.objects.create(
        tenant_id=principal.tenant_id,
        code=data["code"].strip(),
        name=data["name"].strip(),
        name_kana=normalize_kana(data.get("name_kana") or ""),
        parent=parent,
        sort_order=data.get("sort_order") or 0,
    )
    rebuild_organization_tree(principal.tenant_id)
    org.refresh_from_db()
    audit.record(
        "organization.created",
        target=org,
        principal=principal,
        after=audit.snapshot(org, ORG_AUDIT_FIELDS),
    )
    return Outcome(obj=org)


@transaction.atomic
def do_update_organization(
    principal: Principal, org: Organization, data: dict[str, Any]
) -> Outcome:
    assert principal.tenant_id is not None
    errors, parent = _check_org_fields(principal.tenant_id, data, org)
    if errors:
        return Outcome(errors=errors)
    before = audit.snapshot(org, ORG_AUDIT_FIELDS)
    if "code" in data:
        org.code = data["code"].strip()
    if "name" in data:
        org.name = data["name"].strip()
    if "name_kana" in data:
        org.name_kana = normalize_kana(data["name_kana"] or "")
    if "parent_id" in data:
        org.parent = parent
    if data.get("sort_order") is not None:
        org.sort_order = data["sort_order"]
    if data.get("is_active") is not None:
        org.is_active = data["is_active"]
    org.save()
    rebuild_organization_tree(principal.tenant_id)
    org.refresh_from_db()
    audit.record_change("organization.updated", org, before, principal=principal)
    return Outcome(obj=org)


@transaction.atomic
def do_deactivate_organization(principal: Principal, org: Organization) -> Outcome:
    """Deactivate a department; refused while active staff or departments sit in it."""
    below = Organization.objects.filter(
        tenant_id=org.tenant_id, tree_path__startswith=org.tree_path, is_active=True
    ).exclude(id=org.id)
    if below.exists():
        return Outcome(
            errors=[PeopleError("CONFLICT", "Deactivate its sub-departments first.", "id")]
        )
    staff = Person.objects.filter(tenant_id=org.tenant_id, department=org, is_active=True)
    if staff.exists():
        return Outcome(
            errors=[
                PeopleError("CONFLICT", f"{staff.count()} active staff still belong to it.", "id")
            ]
        )
    org.is_active = False
    org.save(update_fields=["is_active", "updated_at"])
    audit.record(
        "organization.deactivated",
        target=org,
        principal=principal,
        summary=f"{org.code} {org.name}",
    )
    return Outcome(obj=org)


# --- staff ------------------------------------------------------------------------------


def _check_person_fields(
    tenant_id: uuid.UUID, data: dict[str, Any], instance: Person | None
) -> tuple[list[PeopleError], Organization | None, list[Organization]]:
    errors: list[PeopleError] = []
    if "login_id" in data:
        login_id = (data.get("login_id") or "").strip()
        if not login_id:
            errors.append(PeopleError("REQUIRED", "Give the login ID.", "loginId"))
        elif (
            Person.objects.filter(tenant_id=tenant_id, login_id=login_id)
            .exclude(id=instance.id if instance else None)
            .exists()
        ):
            errors.append(
                PeopleError("DUPLICATE", f"Login ID {login_id} is used already.", "loginId")
            )
    if "name" in data and not (data.get("name") or "").strip():
        errors.append(PeopleError("REQUIRED", "Give the name.", "name"))
    if data.get("email"):
        try:
            validate_email(data["email"].strip())
        except ValidationError:
            errors.append(PeopleError("INVALID", "Not an e-mail address.", "email"))
    department = None
    if data.get("department_id"):
        department = Organization.objects.filter(
            tenant_id=tenant_id, id=data["department_id"], is_active=True
        ).first()
        if department is None:
            errors.append(PeopleError("NOT_FOUND", "No such department.", "departmentId"))
    additional: list[Organization] = []
    if data.get("additional_department_ids"):
        wanted = list(dict.fromkeys(str(i) for i in data["additional_department_ids"]))
        found = {
            str(o.id): o
            for o in Organization.objects.filter(tenant_id=tenant_id, id__in=wanted, is_active=True)
        }
        missing = [i for i in wanted if i not in found]
        if missing:
            errors.append(
                PeopleError(
                    "NOT_FOUND",
                    "No such department: " + ", ".join(missing),
                    "additionalDepartmentIds",
                )
            )
        additional = [found[i] for i in wanted if i in found]
    return errors, department, additional


def _apply_person_fields(person: Person, data: dict[str, Any]) -> None:
    for key in ("login_id", "name", "email", "extension", "title", "title_code"):
        if key in data and data[key] is not None:
            setattr(person, key, str(data[key]).strip())
    if "name_kana" in data and data["name_kana"] is not None:
        person.name_kana = normalize_kana(data["name_kana"])
    if data.get("sort_order") is not None:
        person.sort_order = data["sort_order"]


def _set_additional_departments(person: Person, orgs: list[Organization]) -> None:
    PersonAdditionalDepartment.objects.filter(tenant_id=person.tenant_id, person=person).delete()
    PersonAdditionalDepartment.objects.bulk_create(
        PersonAdditionalDepartment(
            tenant_id=person.tenant_id, person=person, organization=org, sort_order=i
        )
        for i, org in enumerate(orgs)
    )


@transaction.atomic
def do_create_person(
    principal: Principal, data: dict[str, Any], *, must_change: bool = False
) -> Outcome:
    """A new staff member; with a password given and ``must_change`` (an administrator
    chose it in the API), the person must choose their own at the first sign-in."""
    assert principal.tenant_id is not None
    data = {"login_id": data.get("login_id") or "", "name": data.get("name") or "", **data}
    errors, department, additional = _check_person_fields(principal.tenant_id, data, None)
    if data.get("password"):
        errors += _check_password(data["password"], None)
    if errors:
        return Outcome(errors=errors)
    person = Person(tenant_id=principal.tenant_id, department=department)
    _apply_person_fields(person, data)
    if data.get("password"):
        person.set_password(data["password"])
        person.must_change_password = must_change
    else:
        person.set_unusable_password()
    person.save()
    _set_additional_departments(person, additional)
    audit.record(
        "person.created",
        target=person,
        principal=principal,
        after=audit.snapshot(person, PERSON_AUDIT_FIELDS),
        summary="password issued" if data.get("password") else "",
    )
    return Outcome(obj=person)


@transaction.atomic
def do_update_person(principal: Principal, person: Person, data: dict[str, Any]) -> Outcome:
    assert principal.tenant_id is not None
    errors, department, additional = _check_person_fields(principal.tenant_id, data, person)
    if errors:
        return Outcome(errors=errors)
    before = audit.snapshot(person, PERSON_AUDIT_FIELDS)
    _apply_person_fields(person, data)
    if "department_id" in data:
        person.department = department
    if data.get("is_active") is not None:
        person.is_active = data["is_active"]
    person.save()
    if data.get("additional_department_ids") is not None:
        _set_additional_departments(person, additional)
    audit.record_change("person.updated", person, before, principal=principal)
    return Outcome(obj=person)


@transaction.atomic
def do_deactivate_person(principal: Principal, person: Person) -> Outcome:
    if person.id == principal.person_id:
        return Outcome(errors=[PeopleError("CONFLICT", "You cannot deactivate yourself.", "id")])
    person.is_active = False
    person.save(update_fields=["is_active", "updated_at"])
    # A deactivated account keeps no way in: its tokens die with it.
    AccessToken.objects.filter(person=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit.record("person.deactivated", target=person, principal=principal, summary=person.login_id)
    return Outcome(obj=person)


@transaction.atomic
def do_set_roles(principal: Principal, person: Person, roles: list[str]) -> Outcome:
    unknown = set(roles) - ASSIGNABLE_ROLES - {ROLE_STAFF}
    if unknown:
        return Outcome(
            errors=[PeopleError("INVALID", f"Unknown roles: {sorted(unknown)}", "roles")]
        )
    wanted = set(roles) & ASSIGNABLE_ROLES
    before = sorted(roles_of(person) - {ROLE_STAFF})
    if person.id == principal.person_id and ROLE_TENANT_ADMIN not in wanted:
        return Outcome(
            errors=[PeopleError("CONFLICT", "You cannot remove your own administrator role.")]
        )
    RoleAssignment.objects.filter(tenant_id=person.tenant_id, person=person).exclude(
        role__in=wanted
    ).delete()
    for role in wanted:
        RoleAssignment.objects.get_or_create(tenant_id=person.tenant_id, person=person, role=role)
    if before != sorted(wanted):
        audit.record(
            "person.roles",
            target=person,
            principal=principal,
            summary=person.login_id,
            before=before,
            after=sorted(wanted),
        )
    return Outcome(obj=person)


def roles_of(person: Person) -> frozenset[str]:
    assigned = RoleAssignment.objects.filter(tenant_id=person.tenant_id, person=person)
    return frozenset({ROLE_STAFF, *assigned.values_list("role", flat=True)})


# --- groups -----------------------------------------------------------------------------


@transaction.atomic
def do_save_group(
    principal: Principal, group: Group | None, name: str, description: str, member_ids: list[str]
) -> Outcome:
    assert principal.tenant_id is not None
    errors = []
    name = (name or "").strip()
    if not name:
        errors.append(PeopleError("REQUIRED", "Give the group a name.", "name"))
    elif (
        Group.objects.filter(tenant_id=principal.tenant_id, name=name)
        .exclude(id=group.id if group else None)
        .exists()
    ):
        errors.append(PeopleError("DUPLICATE", f"Group {name} exists already.", "name"))
    wanted = list(dict.fromkeys(str(i) for i in member_ids))
    found = set(
        str(i)
        for i in Person.objects.filter(tenant_id=principal.tenant_id, id__in=wanted).values_list(
            "id", flat=True
        )
    )
    if len(found) != len(wanted):
        errors.append(PeopleError("NOT_FOUND", "Some members do not exist.", "memberIds"))
    if errors:
        return Outcome(errors=errors)
    if group is None:
        group = Group.objects.create(
            tenant_id=principal.tenant_id, name=name, description=description
        )
    else:
        group.name, group.description = name, description
        group.save()
    GroupMembership.objects.filter(tenant_id=group.tenant_id, group=group).delete()
    GroupMembership.objects.bulk_create(
        GroupMembership(tenant_id=group.tenant_id, group=group, person_id=uuid.UUID(i))
        for i in wanted
    )
    audit.record(
        "group.saved",
        target=group,
        principal=principal,
        summary=name,
        after={"description": description, "members": wanted},
    )
    return Outcome(obj=group)


# --- passwords and tokens ---------------------------------------------------------------


def _check_password(password: str, person: Person | None) -> list[PeopleError]:
    try:
        validate_password(password, user=person)
    except ValidationError as exc:
        return [PeopleError("WEAK_PASSWORD", " ".join(exc.messages), "newPassword")]
    return []


@transaction.atomic
def do_change_password(person: Person, current: str, new: str) -> Outcome:
    """The person's own new password; clears the forced change an issued password set."""
    if not person.check_password(current):
        return Outcome(
            errors=[
                PeopleError("WRONG_PASSWORD", "The current password is wrong.", "currentPassword")
            ]
        )
    if new == current:
        # Keeping the password an administrator issued would leave it known to them.
        return Outcome(
            errors=[
                PeopleError(
                    "SAME_PASSWORD", "Choose a password other than the current one.", "newPassword"
                )
            ]
        )
    errors = _check_password(new, person)
    if errors:
        return Outcome(errors=errors)
    person.set_password(new)
    person.must_change_password = False
    person.save(update_fields=["password", "must_change_password", "updated_at"])
    audit.record("person.password_changed", target=person, summary=person.login_id)
    return Outcome(obj=person)


# Characters of issued passwords: none that print alike (0/O/o, 1/l/I/i, 5/S, 2/Z, 8/B,
# 9/g/q, u/v, rn/m), since they are read off a printed slip and typed by hand.
READABLE_UPPER = "ACDEFGHJKLMNPRTUWXY"
READABLE_LOWER = "abcdefhjkmnprstwxyz"
READABLE_DIGITS = "3467"
ISSUED_PASSWORD_LENGTH = 12


def generate_readable_password(length: int = ISSUED_PASSWORD_LENGTH) -> str:
    """A random password of unambiguous characters with a capital, a small letter and a
    digit (about 64 bits for 12 characters)."""
    alphabet = READABLE_UPPER + READABLE_LOWER + READABLE_DIGITS
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c in READABLE_UPPER for c in password)
            and any(c in READABLE_LOWER for c in password)
            and any(c in READABLE_DIGITS for c in password)
        ):
            return password


@transaction.atomic
def do_reset_password(person: Person, new: str | None, *, must_change: bool = True) -> Outcome:
    """Set a staff member's password; generates one (shown once) when none is given.

    The administrator knows it, so by default the person must choose their own at the
    next sign-in (``must_change``); the administrator's own account set from the command
    line (``yui admin add``) is not forced."""
    generated = None
    if not new:
        generated = new = generate_readable_password()
    errors = _check_password(new, person)
    if errors:
        return Outcome(errors=errors)
    person.set_password(new)
    person.must_change_password = must_change
    person.save(update_fields=["password", "must_change_password", "updated_at"])
    audit.record(
        "person.password_reset",
        target=person,
        summary=f"{person.login_id} ({'generated' if generated else 'set'})",
    )
    return Outcome(obj=person, extra={"password": generated})


# At most this many passwords in one request: each costs a hash (~20 ms of CPU, see
# hashers.py), and a whole town of 500 takes about 10 s; larger sets go by department.
MAX_ISSUE = 500


@dataclass(frozen=True)
class IssuedPassword:
    """A password issued to a person, shown to the administrator once."""

    person: Person
    password: str


def select_for_issue(
    principal: Principal,
    *,
    person_ids: list[str] | None,
    organization_id: str | None,
    only_without_password: bool,
) -> tuple[list[Person], list[PeopleError]]:
    """Whom ``issueInitialPasswords`` means: the persons named, or the members (main post)
    of a department and every department below it, or everyone; with
    ``only_without_password``, of those only accounts that cannot sign in yet. Active staff
    of the principal's municipality only, in directory order; the administrator's own
    account is never among them (they change their own password themselves)."""
    assert principal.tenant_id is not None
    if person_ids is not None and organization_id is not None:
        return [], [PeopleError("INVALID", "Name persons or a department, not both.", "personIds")]
    people = Person.objects.filter(tenant_id=principal.tenant_id, is_active=True)
    if person_ids is not None:
        wanted = list(dict.fromkeys(str(i) for i in person_ids))
        if not wanted:
            return [], [PeopleError("REQUIRED", "Choose whom to issue passwords to.", "personIds")]
        ids = [_uuid_or_none(i) for i in wanted]
        people = people.filter(id__in=[i for i in ids if i is not None])
        if None in ids or people.count() != len(ids):
            # Another municipality's ID, a deactivated account or none at all: the same
            # answer for each (no probing of other municipalities' IDs).
            return [], [
                PeopleError("NOT_FOUND", "Some of these staff members do not exist.", "personIds")
            ]
    elif organization_id is not None:
        org_pk = _uuid_or_none(organization_id)
        department = (
            Organization.objects.filter(tenant_id=principal.tenant_id, id=org_pk).first()
            if org_pk is not None
            else None
        )
        if department is None:
            return [], [PeopleError("NOT_FOUND", "No such department.", "organizationId")]
        people = people.filter(
            department__tenant_id=principal.tenant_id,
            department__tree_path__startswith=department.tree_path,
        )
    elif not only_without_password:
        return [], [
            PeopleError(
                "REQUIRED",
                "Choose persons, a department, or everyone without a password.",
                "personIds",
            )
        ]
    chosen = [
        p
        for p in people.select_related("department").order_by(
            models.F("department__tree_rank").asc(nulls_last=True),
            "title_rank",
            "sort_order",
            "login_id",
        )
        if p.id != principal.person_id and not (only_without_password and p.has_usable_password())
    ]
    if len(chosen) > MAX_ISSUE:
        return [], [
            PeopleError(
                "TOO_MANY",
                f"{len(chosen)} staff members: issue at most {MAX_ISSUE} at once "
                "(choose a department).",
                "organizationId",
            )
        ]
    return chosen, []


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def do_issue_initial_passwords(
    principal: Principal,
    *,
    person_ids: list[str] | None = None,
    organization_id: str | None = None,
    only_without_password: bool = False,
) -> Outcome:
    """Give each chosen person a new readable random password that they must change at
    their first sign-in; ``extra["issued"]`` lists them (the only time they are seen).

    Hashing (the slow part) happens before the transaction, which then only writes, so
    sign-ins do not wait on the database meanwhile. All or nothing."""
    chosen, errors = select_for_issue(
        principal,
        person_ids=person_ids,
        organization_id=organization_id,
        only_without_password=only_without_password,
    )
    if errors:
        return Outcome(errors=errors)
    issued = [IssuedPassword(person, generate_readable_password()) for person in chosen]
    for item in issued:
        item.person.set_password(item.password)
        item.person.must_change_password = True
    stored = _store_issued_passwords(principal, [item.person for item in issued])
    issued = [item for item in issued if item.person.id in stored]
    return Outcome(obj=issued, extra={"issued": issued})


@transaction.atomic
def _store_issued_passwords(principal: Principal, people: list[Person]) -> set[uuid.UUID]:
    """Write the hashed passwords of ``people`` still active in the principal's
    municipality (one deactivated meanwhile gets no new way in); their IDs."""
    now = timezone.now()
    still = set(
        Person.objects.filter(
            tenant_id=principal.tenant_id, id__in=[p.id for p in people], is_active=True
        ).values_list("id", flat=True)
    )
    rows = [p for p in people if p.id in still]
    for person in rows:
        person.updated_at = now  # bulk_update does not run auto_now
    Person.objects.bulk_update(
        rows, ["password", "must_change_password", "updated_at"], batch_size=500
    )
    audit.record(
        "person.passwords_issued",
        tenant_id=principal.tenant_id,
        principal=principal,
        summary=(f"{len(rows)}: " + ", ".join(p.login_id for p in rows))[:500],
    )
    return still


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_create_access_token(
    person: Person, name: str, expires_in_days: int | None, scopes: list[str] | None = None
) -> Outcome:
    if person.must_change_password:
        # A token would outlive the issued password the administrator knows.
        return Outcome(
            errors=[
                PeopleError("PASSWORD_CHANGE_REQUIRED", "Choose your own password first.", "name")
            ]
        )
    name = (name or "").strip()
    if not name:
        return Outcome(
            errors=[PeopleError("REQUIRED", "Name the token, e.g. 'dashboard'.", "name")]
        )
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        return Outcome(
            errors=[PeopleError("INVALID", "Expiry must be 1 to 3650 days.", "expiresInDays")]
        )
    chosen = token_scopes.normalised(scopes) if scopes is not None else sorted(token_scopes.FULL)
    unknown = token_scopes.invalid_scope(chosen)
    if not chosen or unknown is not None or len(chosen) > token_scopes.MAX_SCOPES:
        return Outcome(
            errors=[
                PeopleError(
                    "INVALID_SCOPE",
                    f"Unknown scope {unknown!r}: use read, read:<subgraph> or write."
                    if unknown is not None
                    else "Give the token at least one scope (read, read:<subgraph>, write).",
                    "scopes",
                )
            ]
        )
    token = AccessToken.PREFIX + secrets.token_urlsafe(32)
    record = AccessToken.objects.create(
        scopes=chosen,
        tenant_id=person.tenant_id,
        person=person,
        name=name,
        token_hash=hash_token(token),
        hint=token[: len(AccessToken.PREFIX) + 4],
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit.record(
        "token.created",
        target=record,
        summary=f"{name} ({record.hint}…)",
        after={"person": person.login_id, "expires_at": record.expires_at, "scopes": chosen},
    )
    return Outcome(obj=record, extra={"token": token})


MAX_RATE_LIMIT_PER_MINUTE = 100_000
MAX_TRUSTED_DOCUMENT_CHARS = 100_000


def _token_summary(token: AccessToken) -> str:
    return f"{token.name} ({token.hint}…)"


@transaction.atomic
def do_set_access_token_rate_limit(token: AccessToken, per_minute: int | None) -> Outcome:
    """An administrator's rate limit for a token at /graphql (None: no limit)."""
    if per_minute is not None and not 1 <= per_minute <= MAX_RATE_LIMIT_PER_MINUTE:
        return Outcome(
            errors=[
                PeopleError(
                    "INVALID",
                    f"A rate limit is 1 to {MAX_RATE_LIMIT_PER_MINUTE} requests a minute.",
                    "perMinute",
                )
            ]
        )
    before = token.rate_limit_per_minute
    if before != per_minute:
        token.rate_limit_per_minute = per_minute
        token.save(update_fields=["rate_limit_per_minute"])
        audit.record(
            "token.rate_limited",
            target=token,
            summary=_token_summary(token),
            before={"per_minute": before},
            after={"per_minute": per_minute},
        )
    return Outcome(obj=token)


@transaction.atomic
def do_add_trusted_document(token: AccessToken, name: str, document: str) -> Outcome:
    """Allow ``document`` for ``token`` (trusted documents): kept as sent, by its SHA-256."""
    from graphql import GraphQLError, parse

    name = (name or "").strip()
    if not name or len(name) > 100:
        return Outcome(
            errors=[PeopleError("REQUIRED", "Name the operation (100 characters at most).", "name")]
        )
    if not document or len(document) > MAX_TRUSTED_DOCUMENT_CHARS:
        return Outcome(
            errors=[PeopleError("INVALID", "The document is empty or too long.", "document")]
        )
    try:
        parse(document)
    except GraphQLError as exc:
        return Outcome(errors=[PeopleError("INVALID", f"Not GraphQL: {exc.message}", "document")])
    digest = hashlib.sha256(document.encode()).hexdigest()
    if TrustedDocument.objects.filter(token=token, sha256=digest).exists():
        return Outcome(
            errors=[PeopleError("DUPLICATE", "This token already has this document.", "document")]
        )
    TrustedDocument.objects.create(
        tenant_id=token.tenant_id, token=token, name=name, sha256=digest, document=document
    )
    audit.record(
        "token.document_added",
        target=token,
        summary=f"{_token_summary(token)}: {name}",
        after={"sha256": digest, "name": name},
    )
    return Outcome(obj=token, extra={"sha256": digest})


@transaction.atomic
def do_remove_trusted_document(token: AccessToken, sha256: str) -> Outcome:
    found = TrustedDocument.objects.filter(token=token, sha256=sha256).first()
    if found is None:
        return Outcome(errors=[PeopleError("NOT_FOUND", "No such document.", "sha256")])
    found.delete()
    audit.record(
        "token.document_removed",
        target=token,
        summary=f"{_token_summary(token)}: {found.name}",
        before={"sha256": sha256, "name": found.name},
    )
    return Outcome(obj=token)


@transaction.atomic
def do_revoke_access_token(token: AccessToken) -> Outcome:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("token.revoked", target=token, summary=f"{token.name} ({token.hint}…)")
    return Outcome(obj=token)


# --- link collection (リンク集) -----------------------------------------------------------

LINKS_EVENT = "links.changed"


def links_group(tenant_id: uuid.UUID) -> str:
    """The channel-layer group of one municipality's link collection changes."""
    return f"people.links.{tenant_id.hex}"


def _publish_links_changed(tenant_id: uuid.UUID) -> None:
    # A hint (DESIGN rule 6): listeners re-read the collection with their own principal.
    publish_on_commit(links_group(tenant_id), {"type": LINKS_EVENT})


LINK_FIELD_LIMITS = {"title": 100, "url": 500, "description": 200, "category": 50}
LINK_SCHEMES = {"http", "https"}


def _url_error(url: str) -> PeopleError | None:
    """Only http(s) with a host: the portal renders links as anchors, so javascript:,
    data: or vbscript: would run in every colleague's session. Intranet hosts
    (http://zaimu.okawa.local/, http://10.1.2.3:8080/) are what most links are."""
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        return PeopleError("INVALID_URL", "A URL has no spaces or control characters.", "url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return PeopleError("INVALID_URL", "Not a URL.", "url")
    if parts.scheme.lower() not in LINK_SCHEMES or not host:
        return PeopleError(
            "INVALID_URL", "Only http:// and https:// addresses with a host can be linked.", "url"
        )
    return None


def check_link(values: dict[str, Any]) -> list[PeopleError]:
    errors = []
    for name in ("title", "url"):
        if not values.get(name):
            errors.append(PeopleError("REQUIRED", f"The link needs a {name}.", name))
    for name, limit in LINK_FIELD_LIMITS.items():
        if len(values.get(name) or "") > limit:
            errors.append(PeopleError("TOO_LONG", f"At most {limit} characters.", name))
    url = values.get("url") or ""
    if url and len(url) <= LINK_FIELD_LIMITS["url"]:
        bad = _url_error(url)
        if bad:
            errors.append(bad)
    return errors


@transaction.atomic
def do_save_link(principal: Principal, link: Link | None, data: dict[str, Any]) -> Outcome:
    """Create a link (at the end of the list unless given a sort order) or change one."""
    values = {
        "title": (data.get("title") or "").strip(),
        "url": (data.get("url") or "").strip(),
        "description": (data.get("description") or "").strip(),
        "category": (data.get("category") or "").strip(),
    }
    errors = check_link(values)
    if errors:
        return Outcome(errors=errors)
    if link is None:
        tenant_id = principal.tenant_id
        assert tenant_id is not None  # administrators and the demo loader act in a municipality
        link = Link(tenant_id=tenant_id)
        if data.get("sort_order") is None:
            mine = Link.objects.filter(tenant_id=tenant_id)
            last = mine.order_by("-sort_order").first()
            link.sort_order = last.sort_order + 1 if last else 0
    for name, value in values.items():
        setattr(link, name, value)
    if data.get("sort_order") is not None:
        link.sort_order = data["sort_order"]
    if data.get("opens_in_new_tab") is not None:
        link.opens_in_new_tab = data["opens_in_new_tab"]
    link.save()
    audit.record("link.saved", target=link, principal=principal, after=values)
    _publish_links_changed(link.tenant_id)
    return Outcome(obj=link)


@transaction.atomic
def do_delete_link(link: Link) -> Outcome:
    link_id, tenant_id = link.id, link.tenant_id
    audit.record("link.deleted", target=link, before={"title": link.title, "url": link.url})
    link.delete()
    _publish_links_changed(tenant_id)
    return Outcome(obj=link_id)


@transaction.atomic
def do_reorder_links(principal: Principal, ids: list[str]) -> Outcome:
    """Put the municipality's links in the order given: every link once, nothing else, so a
    list that changed in another window is refused rather than half applied."""
    links = {
        str(link.id): link for link in Link.objects.for_principal(principal).select_for_update()
    }
    given = [str(pk) if (pk := _as_uuid(i)) else str(i) for i in ids]
    if len(given) != len(set(given)) or set(given) != set(links):
        return Outcome(
            errors=[
                PeopleError(
                    "CONFLICT",
                    "Send every link of the collection once; reload, the list has changed.",
                    "ids",
                )
            ]
        )
    for position, link_id in enumerate(given):
        link = links[link_id]
        if link.sort_order != position:
            link.sort_order = position
            link.save(update_fields=["sort_order", "updated_at"])
    if principal.tenant_id is not None:
        _publish_links_changed(principal.tenant_id)
    return Outcome(obj=[links[i] for i in given])


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
