"""Service functions of the mail subgraph: check_* validate, do_* change.

Each do_* owns its transaction and publishes its event only after commit (DESIGN rule 3).
Expected failures come back as ``MailError`` values the GraphQL layer returns as data
(DESIGN rule 5). Anything asked of people (who a login ID is, the viewer's departments)
is asked before, by the GraphQL layer, and passed in.

Delivery: a recipient at the municipality's own mail domain is delivered inside Yui, in
the same transaction that stores the message; every other recipient goes to the outbox
(``subgraphs.mail.outbox``), committed with the message and sent by the worker afterwards.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import getaddresses
from html import unescape
from typing import Any

import nh3
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from subgraphs.audit import actions as audit
from subgraphs.core.events import publish_on_commit
from subgraphs.core.principal import Principal
from subgraphs.mail import attachments, outbox
from subgraphs.mail.access import (
    access_conversation_by_id,
    access_entry_by_id,
    access_folder_by_id,
    access_mailbox_by_id,
    as_uuid,
)
from subgraphs.mail.directory import Staff
from subgraphs.mail.models import (
    BODY_MAX_LENGTH,
    CONVERSATION_MAX_MEMBERS,
    DIRECT_MESSAGE_MAX_LENGTH,
    DOMAIN_MAX_LENGTH,
    FOLDER_NAME_MAX_LENGTH,
    LOCAL_PART_MAX_LENGTH,
    MAX_RECIPIENTS,
    NAME_MAX_LENGTH,
    STANDARD_FOLDERS,
    SUBJECT_MAX_LENGTH,
    Conversation,
    ConversationMember,
    DirectMessage,
    Mailbox,
    MailboxAssignment,
    MailEntry,
    MailFolder,
    MailMessage,
    MailSettings,
    OutboxItem,
)

EVENT_TYPE = "mail.entry"
MAX_ENTRY_IDS = 500  # entries changed by one mark / move / delete

# What an HTML body may keep. Remote content is blocked by construction: no <img>,
# no style, no iframes; links keep only web and mail URLs.
HTML_TAGS = {
    "p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "a", "h1", "h2", "h3",
    "h4", "blockquote", "pre", "code", "table", "thead", "tbody", "tr", "th", "td", "hr",
    "span", "div",
}  # fmt: skip
HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
HTML_URL_SCHEMES = {"http", "https", "mailto"}

LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
DOMAIN = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


class Kind:
    RECEIVED = "RECEIVED"  # new mail in a mailbox
    CHANGED = "CHANGED"  # read / flagged / moved / deleted


@dataclass(frozen=True)
class MailError:
    """An expected failure, shown next to ``field`` (None: the whole form)."""

    code: str
    message: str
    field: str | None = None


@dataclass
class Outcome:
    obj: Any = None
    errors: list[MailError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def mail_group(tenant_id: uuid.UUID) -> str:
    """The channel-layer group of one tenant's mail events."""
    return f"mail.{tenant_id.hex}"


def publish_entries(tenant_id: uuid.UUID, kind: str, entries: Iterable[MailEntry]) -> None:
    rows = list(entries)
    if not rows:
        return
    publish_on_commit(
        mail_group(tenant_id),
        {
            "type": EVENT_TYPE,
            "kind": kind,
            "mailbox_ids": sorted({str(e.mailbox_id) for e in rows}),
            "entry_ids": [str(e.id) for e in rows][:MAX_ENTRY_IDS],
        },
    )


def sanitise_html(text: str) -> str:
    return nh3.clean(
        text or "",
        tags=HTML_TAGS,
        attributes=HTML_ATTRIBUTES,
        url_schemes=HTML_URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def html_to_text(html: str) -> str:
    """A plain-text rendering of sanitised HTML (block ends become line breaks)."""
    spaced = re.sub(r"(?i)<br\s*/?>|</(p|div|li|h[1-4]|tr|blockquote|pre)>", "\n", html)
    # nh3.clean leaves entities (&lt;, &#10;); the text is the characters they stand for.
    return unescape(nh3.clean(spaced, tags=set())).strip()


def valid_address(address: str) -> bool:
    local, sep, domain = address.rpartition("@")
    return bool(sep and LOCAL_PART.match(local) and DOMAIN.match(domain)) and len(address) <= 320


# --- settings and mailboxes -------------------------------------------------------------


def default_domain(tenant_slug: str) -> str:
    return f"{tenant_slug.lower()}.invalid"


def domain_of(tenant_id: uuid.UUID) -> str | None:
    """The municipality's mail domain, once known (set, or defaulted at first use)."""
    found = MailSettings.objects.filter(tenant_id=tenant_id).values_list("domain", flat=True)
    return found.first()


def address_of(mailbox: Mailbox, domain: str) -> str:
    return f"{mailbox.local_part}@{domain}"


@transaction.atomic
def do_ensure_personal_mailbox(principal: Principal, me: Staff, tenant_slug: str) -> Mailbox:
    """The principal's own mailbox, made (with its standard folders) on first use."""
    assert principal.tenant_id is not None and principal.person_id == me.id
    MailSettings.objects.get_or_create(
        tenant_id=principal.tenant_id, defaults={"domain": default_domain(tenant_slug)}
    )
    return _ensure_personal(principal.tenant_id, me)


def _ensure_personal(tenant_id: uuid.UUID, person: Staff) -> Mailbox:
    found = Mailbox.objects.filter(tenant_id=tenant_id, owner_id=person.id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            mailbox = Mailbox.objects.create(
                tenant_id=tenant_id,
                kind=Mailbox.Kind.PERSONAL,
                owner_id=person.id,
                local_part=person.login_id.lower(),
                name=person.name,
            )
            _standard_folders(mailbox)
    except IntegrityError:
        # Made meanwhile by another request (the same person, or a colleague's mail).
        return Mailbox.objects.get(tenant_id=tenant_id, owner_id=person.id)
    return mailbox


def _standard_folders(mailbox: Mailbox) -> None:
    MailFolder.objects.bulk_create(
        MailFolder(tenant_id=mailbox.tenant_id, mailbox=mailbox, role=role, name=name)
        for role, name in STANDARD_FOLDERS
    )


def _folder(mailbox: Mailbox, role: str) -> MailFolder:
    return MailFolder.objects.get(tenant_id=mailbox.tenant_id, mailbox=mailbox, role=role)


def do_update_settings(principal: Principal, domain: str) -> Outcome:
    """Set the municipality's mail domain (administrators; the GraphQL layer checks)."""
    assert principal.tenant_id is not None
    domain = domain.strip().lower()
    if not DOMAIN.match(domain) or len(domain) > DOMAIN_MAX_LENGTH:
        return Outcome(errors=[MailError("INVALID", "Not a mail domain.", "domain")])
    with transaction.atomic():
        before = MailSettings.objects.filter(tenant_id=principal.tenant_id).first()
        settings, _ = MailSettings.objects.update_or_create(
            tenant_id=principal.tenant_id,
            defaults={"domain": domain, "updated_at": timezone.now()},
        )
        audit.record(
            "mail.settings",
            target=settings,
            principal=principal,
            before={"domain": before.domain} if before else None,
            after={"domain": domain},
        )
    return Outcome(obj=settings)


EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")
HARMLESS_AUDIT_FIELDS = (
    "harmless_enabled",
    "harmless_html_to_text",
    "harmless_defang_links",
    "harmless_attachments",
    "harmless_allowed_types",
)


def do_update_harmless_policy(
    principal: Principal,
    *,
    enabled: bool,
    html_to_text: bool,
    defang_links: bool,
    attachments: str,
    allowed_types: Sequence[str],
) -> Outcome:
    """Set the municipality's メール無害化 policy (administrators; the GraphQL layer checks).
    The settings row exists (made with the administrator's own mailbox)."""
    assert principal.tenant_id is not None
    types = sorted({t.strip().lower().lstrip(".") for t in allowed_types if t.strip()})
    errors = []
    if attachments not in MailSettings.AttachmentPolicy.values:
        errors.append(MailError("INVALID", "PASS, HOLD or ALLOW_LISTED.", "attachments"))
    bad = [t for t in types if not EXTENSION.match(t)]
    if bad:
        errors.append(MailError("INVALID", f"Not a file extension: {bad[0]}", "allowedTypes"))
    elif len(types) > 50:
        errors.append(MailError("TOO_MANY", "At most 50 types.", "allowedTypes"))
    if errors:
        return Outcome(errors=errors)
    with transaction.atomic():
        settings = MailSettings.objects.select_for_update().get(tenant_id=principal.tenant_id)
        before = audit.snapshot(settings, HARMLESS_AUDIT_FIELDS)
        settings.harmless_enabled, settings.harmless_html_to_text = enabled, html_to_text
        settings.harmless_defang_links, settings.harmless_attachments = defang_links, attachments
        settings.harmless_allowed_types, settings.updated_at = types, timezone.now()
        settings.save()
        audit.record_change("mail.harmless_policy", settings, before, principal=principal)
    return Outcome(obj=settings)


def do_create_shared_mailbox(
    principal: Principal, local_part: str, name: str, tenant_slug: str, login_taken: bool
) -> Outcome:
    """A shared section mailbox (administrators). ``login_taken``: a staff member's login
    ID is that local part already (their personal address), as people says."""
    assert principal.tenant_id is not None
    local_part = local_part.strip().lower()
    name = " ".join(name.split())
    errors: list[MailError] = []
    if not local_part or not LOCAL_PART.match(local_part):
        errors.append(MailError("INVALID", "Not the part of an address before @.", "localPart"))
    elif len(local_part) > LOCAL_PART_MAX_LENGTH:
        errors.append(MailError("TOO_LONG", f"At most {LOCAL_PART_MAX_LENGTH}.", "localPart"))
    elif login_taken:
        errors.append(MailError("DUPLICATE", "A staff member has that address.", "localPart"))
    if not name:
        errors.append(MailError("REQUIRED", "Give the mailbox a name.", "name"))
    elif len(name) > NAME_MAX_LENGTH:
        errors.append(MailError("TOO_LONG", f"At most {NAME_MAX_LENGTH} characters.", "name"))
    if errors:
        return Outcome(errors=errors)
    try:
        with transaction.atomic():
            MailSettings.objects.get_or_create(
                tenant_id=principal.tenant_id, defaults={"domain": default_domain(tenant_slug)}
            )
            mailbox = Mailbox.objects.create(
                tenant_id=principal.tenant_id,
                kind=Mailbox.Kind.SHARED,
                local_part=local_part,
                name=name,
            )
            _standard_folders(mailbox)
            audit.record(
                "mailbox.created",
                target=mailbox,
                principal=principal,
                after={"local_part": local_part, "name": name},
            )
    except IntegrityError:
        return Outcome(errors=[MailError("DUPLICATE", "That address exists.", "localPart")])
    return Outcome(obj=mailbox)


def _shared_mailbox(principal: Principal, mailbox_id: object) -> Mailbox | None:
    pk = as_uuid(mailbox_id)
    if pk is None:
        return None
    return Mailbox.objects.for_principal(principal).filter(id=pk, kind=Mailbox.Kind.SHARED).first()


@transaction.atomic
def do_assign_mailbox(
    principal: Principal,
    mailbox_id: object,
    person_ids: Sequence[uuid.UUID],
    department_ids: Sequence[uuid.UUID],
) -> Outcome:
    """Give persons and departments (checked with people before) a shared mailbox."""
    mailbox = _shared_mailbox(principal, mailbox_id)
    if mailbox is None:
        return Outcome(errors=[MailError("NOT_FOUND", "No such shared mailbox.", "mailboxId")])
    existing = MailboxAssignment.objects.for_principal(principal).filter(mailbox=mailbox)
    have_people = set(existing.exclude(person_id=None).values_list("person_id", flat=True))
    have_departments = set(
        existing.exclude(department_id=None).values_list("department_id", flat=True)
    )
    added = MailboxAssignment.objects.bulk_create(
        [
            MailboxAssignment(tenant_id=mailbox.tenant_id, mailbox=mailbox, person_id=p)
            for p in dict.fromkeys(person_ids)
            if p not in have_people
        ]
        + [
            MailboxAssignment(tenant_id=mailbox.tenant_id, mailbox=mailbox, department_id=d)
            for d in dict.fromkeys(department_ids)
            if d not in have_departments
        ]
    )
    if added:
        audit.record(
            "mailbox.assigned",
            target=mailbox,
            principal=principal,
            summary=mailbox.local_part,
            after={
                "persons": [a.person_id for a in added if a.person_id],
                "departments": [a.department_id for a in added if a.department_id],
            },
        )
    return Outcome(obj=mailbox)


@transaction.atomic
def do_unassign_mailbox(principal: Principal, assignment_id: object) -> Outcome:
    """Remove one assignment: its persons lose the mailbox with their next request."""
    raw = str(assignment_id)
    found = (
        MailboxAssignment.objects.for_principal(principal)
        .filter(id=int(raw))
        .select_related("mailbox")
        .first()
        if raw.isascii() and raw.isdigit() and len(raw) < 19
        else None
    )
    if found is None:
        return Outcome(errors=[MailError("NOT_FOUND", "No such assignment.", "id")])
    mailbox = found.mailbox
    audit.record(
        "mailbox.unassigned",
        target=mailbox,
        principal=principal,
        summary=mailbox.local_part,
        before={"person": found.person_id, "department": found.department_id},
    )
    found.delete()
    return Outcome(obj=mailbox)


# --- sending ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipients:
    """The addresses of a message as given, checked and split by delivery."""

    to: list[dict[str, str]]
    cc: list[dict[str, str]]
    bcc: list[dict[str, str]]

    def all(self) -> list[dict[str, str]]:
        return [*self.to, *self.cc, *self.bcc]


def parse_recipients(
    values: Mapping[str, Sequence[str]],
) -> tuple[Recipients | None, list[MailError]]:
    """``to``/``cc``/``bcc`` lists of ``name <address>`` or bare addresses."""
    errors: list[MailError] = []
    lists: dict[str, list[dict[str, str]]] = {}
    for name in ("to", "cc", "bcc"):
        found: list[dict[str, str]] = []
        for raw in values.get(name) or []:
            for display, address in getaddresses([str(raw)]):
                address = address.strip()
                if not valid_address(address):
                    errors.append(MailError("INVALID_ADDRESS", f"Not an address: {raw}", name))
                    continue
                found.append({"name": display.strip(), "address": address})
        lists[name] = found
    recipients = Recipients(lists["to"], lists["cc"], lists["bcc"])
    if not errors and not recipients.all():
        errors.append(MailError("NO_RECIPIENTS", "Give at least one recipient.", "to"))
    if len(recipients.all()) > MAX_RECIPIENTS:
        errors.append(MailError("TOO_MANY", f"At most {MAX_RECIPIENTS} recipients.", "to"))
    return (None, errors) if errors else (recipients, [])


def internal_logins(recipients: Recipients, domain: str) -> list[str]:
    """The local parts of recipients at the municipality's own domain."""
    return [
        r["address"].rpartition("@")[0].lower()
        for r in recipients.all()
        if r["address"].rpartition("@")[2].lower() == domain
    ]


def check_content(values: Mapping[str, Any]) -> tuple[list[MailError], dict[str, str]]:
    errors: list[MailError] = []
    subject = " ".join(str(values.get("subject") or "").split())
    if len(subject) > SUBJECT_MAX_LENGTH:
        errors.append(MailError("TOO_LONG", f"At most {SUBJECT_MAX_LENGTH}.", "subject"))
    html = sanitise_html(str(values.get("html_body") or ""))
    text = str(values.get("text_body") or "").replace("\r\n", "\n")
    if html and not text.strip():
        text = html_to_text(html)
    if len(text) > BODY_MAX_LENGTH or len(html) > BODY_MAX_LENGTH:
        errors.append(MailError("TOO_LONG", f"At most {BODY_MAX_LENGTH} characters.", "textBody"))
    return errors, {"subject": subject, "text_body": text, "html_body": html}


def _files(
    principal: Principal,
    departments: frozenset[uuid.UUID],
    values: Mapping[str, Any],
    draft: MailMessage | None,
) -> tuple[list[Any] | None, list[MailError]]:
    """The files ``attachment_ids`` names (None: not given, a draft keeps its own)."""
    if values.get("attachment_ids") is None:
        return None, []
    ids = values["attachment_ids"]
    return attachments.check_attachment_ids(principal, ids, draft, departments)


@transaction.atomic
def do_send_mail(
    principal: Principal,
    departments: frozenset[uuid.UUID],
    values: Mapping[str, Any],
    recipients: Recipients,
    staff: Mapping[str, Staff],
    sender_name: str,
) -> Outcome:
    """Send a message from one of the principal's mailboxes.

    ``staff``: the active staff (by lower-cased login ID) that people knows for the
    recipients at the municipality's domain. Their mailboxes are made if they have none
    yet; shared mailboxes are addressed by their own local part. A local address that is
    neither is refused (UNKNOWN_RECIPIENT), before anything is stored.
    """
    assert principal.tenant_id is not None
    tenant_id = principal.tenant_id
    mailbox = access_mailbox_by_id(principal, departments, values.get("mailbox_id"))
    if mailbox is None:
        return Outcome(errors=[MailError("NOT_FOUND", "No such mailbox.", "mailboxId")])
    errors, content = check_content(values)
    domain = domain_of(tenant_id)
    assert domain is not None, "a mailbox exists, so do the settings"
    local = {
        r["address"].rpartition("@")[0].lower()
        for r in recipients.all()
        if r["address"].rpartition("@")[2].lower() == domain
    }
    shared = {
        m.local_part: m
        for m in Mailbox.objects.filter(
            tenant_id=tenant_id, kind=Mailbox.Kind.SHARED, local_part__in=local
        )
    }
    unknown = sorted(login for login in local if login not in shared and login not in staff)
    errors += [
        MailError("UNKNOWN_RECIPIENT", f"Nobody at {login}@{domain}.", "to") for login in unknown
    ]
    replied = None
    if values.get("reply_to_id"):
        replied = access_entry_by_id(principal, departments, values["reply_to_id"])
        if replied is None:
            errors.append(MailError("NOT_FOUND", "No such message to reply to.", "replyToId"))
    draft = None
    if values.get("draft_id"):
        draft = access_entry_by_id(principal, departments, values["draft_id"], for_update=True)
        if draft is None or draft.message.sent_at is not None or draft.mailbox_id != mailbox.id:
            errors.append(MailError("NOT_FOUND", "No such draft.", "draftId"))
    files, file_errors = _files(principal, departments, values, draft.message if draft else None)
    errors += file_errors
    if errors:
        return Outcome(errors=errors)
    now = timezone.now()
    headers: dict[str, Any] = {"thread_id": uuid.uuid4(), "in_reply_to": "", "references": ""}
    if replied is not None:
        original = replied.message
        headers = {
            "thread_id": original.thread_id,
            "in_reply_to": original.message_id,
            "references": " ".join(filter(None, [original.references, original.message_id])),
        }
    fields = {
        **content,
        **headers,
        "from_name": sender_name if mailbox.kind == Mailbox.Kind.PERSONAL else mailbox.name,
        "from_address": address_of(mailbox, domain),
        "to": recipients.to,
        "cc": recipients.cc,
        "bcc": recipients.bcc,
        "sent_at": now,
        "sender_mailbox": mailbox,
        "sender_person_id": principal.person_id,
    }
    if draft is not None:
        message = draft.message
        for name, value in fields.items():
            setattr(message, name, value)
        message.save()
        draft.folder = _folder(mailbox, MailFolder.Role.SENT)
        draft.received_at, draft.is_read, draft.version = now, True, F("version") + 1
        draft.save()
    else:
        message = MailMessage.objects.create(
            tenant_id=tenant_id,
            message_id=f"<{uuid.uuid4()}@{domain}>",
            origin=MailMessage.Origin.INTERNAL,
            **fields,
        )
        MailEntry.objects.create(
            tenant_id=tenant_id,
            mailbox=mailbox,
            message=message,
            folder=_folder(mailbox, MailFolder.Role.SENT),
            is_read=True,
            received_at=now,
        )
    if files is not None:
        attachments.attach(message, files)
    targets: dict[uuid.UUID, Mailbox] = {}
    for login in sorted(local):
        target = shared.get(login) or _ensure_personal(tenant_id, staff[login])
        targets.setdefault(target.id, target)
    targets.pop(mailbox.id, None)  # to oneself: it is in Sent already
    inboxes = {
        f.mailbox_id: f
        for f in MailFolder.objects.filter(
            tenant_id=tenant_id, mailbox_id__in=targets, role=MailFolder.Role.INBOX
        )
    }
    delivered = MailEntry.objects.bulk_create(
        MailEntry(
            tenant_id=tenant_id,
            mailbox=target,
            message=message,
            folder=inboxes[target.id],
            received_at=now,
        )
        for target in targets.values()
    )
    external = [
        r["address"] for r in recipients.all() if r["address"].rpartition("@")[2].lower() != domain
    ]
    if external:
        outbox.queue(message, list(dict.fromkeys(external)))
    publish_entries(tenant_id, Kind.RECEIVED, delivered)
    entry = MailEntry.objects.select_related("message", "folder")
    return Outcome(obj=entry.get(mailbox=mailbox, message=message))


@transaction.atomic
def do_save_draft(
    principal: Principal,
    departments: frozenset[uuid.UUID],
    values: Mapping[str, Any],
    recipients: Recipients,
) -> Outcome:
    """Save (or update) a draft in the mailbox's Drafts folder; nothing is delivered."""
    assert principal.tenant_id is not None
    mailbox = access_mailbox_by_id(principal, departments, values.get("mailbox_id"))
    if mailbox is None:
        return Outcome(errors=[MailError("NOT_FOUND", "No such mailbox.", "mailboxId")])
    errors, content = check_content(values)
    if errors:
        return Outcome(errors=errors)
    domain = domain_of(principal.tenant_id) or ""
    fields = {**content, "to": recipients.to, "cc": recipients.cc, "bcc": recipients.bcc}
    if values.get("draft_id"):
        draft = access_entry_by_id(principal, departments, values["draft_id"], for_update=True)
        if draft is None or draft.message.sent_at is not None or draft.mailbox_id != mailbox.id:
            return Outcome(errors=[MailError("NOT_FOUND", "No such draft.", "draftId")])
        files, errors = _files(principal, departments, values, draft.message)
        if errors:
            return Outcome(errors=errors)
        if files is not None:
            attachments.attach(draft.message, files)
        MailMessage.objects.filter(id=draft.message_id).update(**fields)
        MailEntry.objects.filter(id=draft.id).update(version=F("version") + 1)
        return Outcome(obj=MailEntry.objects.select_related("message", "folder").get(id=draft.id))
    files, errors = _files(principal, departments, values, None)
    if errors:
        return Outcome(errors=errors)
    message = MailMessage.objects.create(
        tenant_id=principal.tenant_id,
        message_id=f"<{uuid.uuid4()}@{domain}>",
        from_address=address_of(mailbox, domain),
        sender_mailbox=mailbox,
        sender_person_id=principal.person_id,
        **fields,
    )
    if files:
        attachments.attach(message, files)
    entry = MailEntry.objects.create(
        tenant_id=principal.tenant_id,
        mailbox=mailbox,
        message=message,
        folder=_folder(mailbox, MailFolder.Role.DRAFTS),
        is_read=True,
    )
    return Outcome(obj=entry)


# --- state: read, flagged, folders -------------------------------------------------------


def _entries(
    principal: Principal, departments: frozenset[uuid.UUID], entry_ids: Sequence[object]
) -> tuple[list[MailEntry], list[MailError]]:
    if len(entry_ids) > MAX_ENTRY_IDS:
        return [], [MailError("TOO_MANY", f"At most {MAX_ENTRY_IDS} at once.", "ids")]
    found = []
    for pk in dict.fromkeys(entry_ids):
        entry = access_entry_by_id(principal, departments, pk, for_update=True)
        if entry is None:
            return [], [MailError("NOT_FOUND", f"No message {pk}.", "ids")]
        found.append(entry)
    return found, []


@transaction.atomic
def do_mark(
    principal: Principal,
    departments: frozenset[uuid.UUID],
    entry_ids: Sequence[object],
    *,
    read: bool | None,
    flagged: bool | None,
) -> Outcome:
    """Mark messages read/unread and flagged/unflagged (for every member of a shared box)."""
    entries, errors = _entries(principal, departments, entry_ids)
    if errors:
        return Outcome(errors=errors)
    changes: dict[str, Any] = {}
    if read is not None:
        changes["is_read"] = read
    if flagged is not None:
        changes["is_flagged"] = flagged
    if changes:
        MailEntry.objects.filter(id__in=[e.id for e in entries]).update(
            version=F("version") + 1, **changes
        )
        assert principal.tenant_id is not None
        publish_entries(principal.tenant_id, Kind.CHANGED, entries)
    return Outcome(obj=list(MailEntry.objects.filter(id__in=[e.id for e in entries])))


@transaction.atomic
def do_move(
    principal: Principal,
    departments: frozenset[uuid.UUID],
    entry_ids: Sequence[object],
    folder_id: object,
) -> Outcome:
    entries, errors = _entries(principal, departments, entry_ids)
    if errors:
        return Outcome(errors=errors)
    folder = access_folder_by_id(principal, departments, folder_id)
    if folder is None or any(e.mailbox_id != folder.mailbox_id for e in entries):
        return Outcome(errors=[MailError("NOT_FOUND", "No such folder here.", "folderId")])
    MailEntry.objects.filter(id__in=[e.id for e in entries]).update(
        folder=folder, version=F("version") + 1
    )
    assert principal.tenant_id is not None
    publish_entries(principal.tenant_id, Kind.CHANGED, entries)
    return Outcome(obj=list(MailEntry.objects.filter(id__in=[e.id for e in entries])))


@transaction.atomic
def do_delete(
    principal: Principal, departments: frozenset[uuid.UUID], entry_ids: Sequence[object]
) -> Outcome:
    """Move to Trash; what is in Trash already is deleted for good (from this mailbox)."""
    entries, errors = _entries(principal, departments, entry_ids)
    if errors:
        return Outcome(errors=errors)
    assert principal.tenant_id is not None
    for entry in entries:
        if entry.folder.role == MailFolder.Role.TRASH:
            message_id = entry.message_id
            entry.delete()
            orphan = not MailEntry.objects.filter(message_id=message_id).exists()
            busy = OutboxItem.objects.filter(
                message_id=message_id,
                status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.SENDING],
            ).exists()
            if orphan and not busy:
                attachments.delete_files_of([message_id])
                MailMessage.objects.filter(id=message_id).delete()
        else:
            trash = _folder(entry.mailbox, MailFolder.Role.TRASH)
            MailEntry.objects.filter(id=entry.id).update(folder=trash, version=F("version") + 1)
    publish_entries(principal.tenant_id, Kind.CHANGED, entries)
    return Outcome(obj=[e.id for e in entries])


@transaction.atomic
def do_create_folder(
    principal: Principal, departments: frozenset[uuid.UUID], mailbox_id: object, name: str
) -> Outcome:
    mailbox = access_mailbox_by_id(principal, departments, mailbox_id)
    if mailbox is None:
        return Outcome(errors=[MailError("NOT_FOUND", "No such mailbox.", "mailboxId")])
    name = " ".join(name.split())
    if not name:
        return Outcome(errors=[MailError("REQUIRED", "Give the folder a name.", "name")])
    if len(name) > FOLDER_NAME_MAX_LENGTH:
        message = f"At most {FOLDER_NAME_MAX_LENGTH} characters."
        return Outcome(errors=[MailError("TOO_LONG", message, "name")])
    try:
        with transaction.atomic():
            folder = MailFolder.objects.create(
                tenant_id=mailbox.tenant_id, mailbox=mailbox, role=MailFolder.Role.CUSTOM, name=name
            )
    except IntegrityError:
        return Outcome(errors=[MailError("DUPLICATE", f"There is a folder {name}.", "name")])
    return Outcome(obj=folder)


@transaction.atomic
def do_delete_folder(
    principal: Principal, departments: frozenset[uuid.UUID], folder_id: object
) -> Outcome:
    """Delete a folder of one's own; its messages go to Trash."""
    folder = access_folder_by_id(principal, departments, folder_id)
    if folder is None:
        return Outcome(errors=[MailError("NOT_FOUND", "No such folder.", "id")])
    if folder.role != MailFolder.Role.CUSTOM:
        return Outcome(errors=[MailError("FORBIDDEN", "A standard folder stays.", "id")])
    entries = list(MailEntry.objects.filter(folder=folder))
    trash = _folder(folder.mailbox, MailFolder.Role.TRASH)
    MailEntry.objects.filter(folder=folder).update(folder=trash, version=F("version") + 1)
    folder.delete()
    assert principal.tenant_id is not None
    publish_entries(principal.tenant_id, Kind.CHANGED, entries)
    return Outcome(obj=folder.mailbox)


# --- reply / reply all / forward -------------------------------------------------------


@dataclass(frozen=True)
class Compose:
    """A filled-in form: what reply, reply-all or forward start with."""

    to: list[str]
    cc: list[str]
    subject: str
    text_body: str
    reply_to_id: uuid.UUID | None


def _formatted(person: Mapping[str, str]) -> str:
    return f"{person['name']} <{person['address']}>" if person.get("name") else person["address"]


def _prefixed(prefix: str, subject: str) -> str:
    stripped = re.sub(r"^((re|fw|fwd)\s*:\s*)+", "", subject, flags=re.IGNORECASE)
    return f"{prefix}: {stripped}"


def compose_from(entry: MailEntry, mode: str, own_address: str) -> Compose:
    """REPLY: to its sender; REPLY_ALL: and every other recipient but oneself (bcc never);
    FORWARD: to nobody yet, the original quoted with its headers."""
    message = entry.message
    sender = {"name": message.from_name, "address": message.from_address}
    when = message.sent_at.isoformat() if message.sent_at else ""
    if mode == "FORWARD":
        header = "\n".join(
            [
                "-------- Forwarded Message --------",
                f"Subject: {message.subject}",
                f"Date: {when}",
                f"From: {_formatted(sender)}",
                f"To: {', '.join(_formatted(p) for p in message.to)}",
            ]
        )
        body = f"\n\n{header}\n\n{message.text_body}"
        return Compose([], [], _prefixed("Fwd", message.subject), body, None)
    quoted = "\n".join(f"> {line}" for line in message.text_body.splitlines())
    body = f"\n\n{_formatted(sender)} wrote ({when}):\n{quoted}"
    own = own_address.lower()
    if message.from_address.lower() == own:
        to = [_formatted(p) for p in message.to]  # replying to one's own: to its recipients
    else:
        to = [_formatted(sender)]
    cc: list[str] = []
    if mode == "REPLY_ALL":
        seen = {own, *(t.rpartition("<")[2].rstrip(">").lower() for t in to)}
        for person in [*message.to, *message.cc]:
            if person["address"].lower() not in seen:
                seen.add(person["address"].lower())
                cc.append(_formatted(person))
    return Compose(to, cc, _prefixed("Re", message.subject), body, entry.id)


# --- direct messages (ダイレクトメッセージ) ------------------------------------------------

DM_EVENT_TYPE = "mail.dm"


class DirectKind:
    MESSAGE = "MESSAGE"  # a new message in a conversation of yours
    READ = "READ"  # a member read up to some time (read receipts)


def _publish_dm(
    conversation: Conversation, kind: str, members: Sequence[uuid.UUID], **ids: str
) -> None:
    publish_on_commit(
        mail_group(conversation.tenant_id),
        {
            "type": DM_EVENT_TYPE,
            "kind": kind,
            "conversation_id": str(conversation.id),
            "person_ids": [str(p) for p in members],
            **ids,
        },
    )


def check_body(body: str) -> tuple[str, list[MailError]]:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        return text, [MailError("REQUIRED", "Write something.", "body")]
    if len(text) > DIRECT_MESSAGE_MAX_LENGTH:
        message = f"At most {DIRECT_MESSAGE_MAX_LENGTH} characters."
        return text, [MailError("TOO_LONG", message, "body")]
    return text, []


@transaction.atomic
def do_start_conversation(
    principal: Principal, others: Sequence[uuid.UUID], title: str, body: str | None
) -> Outcome:
    """A conversation of the principal with ``others`` (active staff, checked with people
    before); one other person: the one-to-one conversation, found again if it exists."""
    assert principal.tenant_id is not None and principal.person_id is not None
    me = principal.person_id
    members = [me, *(p for p in dict.fromkeys(others) if p != me)]
    if len(members) < 2:
        return Outcome(errors=[MailError("REQUIRED", "Choose someone.", "personIds")])
    if len(members) > CONVERSATION_MAX_MEMBERS:
        message = f"At most {CONVERSATION_MAX_MEMBERS} people."
        return Outcome(errors=[MailError("TOO_MANY", message, "personIds")])
    title = " ".join((title or "").split())[:NAME_MAX_LENGTH]
    text, errors = check_body(body) if body is not None else ("", [])
    if errors:
        return Outcome(errors=errors)
    pair = "+".join(sorted(str(p) for p in members)) if len(members) == 2 else ""
    conversation = None
    if pair:
        conversation = Conversation.objects.filter(
            tenant_id=principal.tenant_id, pair_key=pair
        ).first()
    if conversation is None:
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    tenant_id=principal.tenant_id, title=title, pair_key=pair, created_by=me
                )
                ConversationMember.objects.bulk_create(
                    ConversationMember(
                        tenant_id=principal.tenant_id, conversation=conversation, person_id=p
                    )
                    for p in members
                )
        except IntegrityError:  # the same pair started it at the same moment
            conversation = Conversation.objects.get(tenant_id=principal.tenant_id, pair_key=pair)
    if text:
        _post(principal, conversation, text)
    return Outcome(obj=conversation)


def _post(principal: Principal, conversation: Conversation, text: str) -> DirectMessage:
    assert principal.person_id is not None
    message = DirectMessage.objects.create(
        tenant_id=conversation.tenant_id,
        conversation=conversation,
        sender_id=principal.person_id,
        body=text,
    )
    Conversation.objects.filter(id=conversation.id).update(last_message_at=message.sent_at)
    conversation.last_message_at = message.sent_at
    ConversationMember.objects.filter(
        conversation=conversation, person_id=principal.person_id
    ).update(last_read_at=message.sent_at)
    members = list(
        ConversationMember.objects.filter(conversation=conversation).values_list(
            "person_id", flat=True
        )
    )
    _publish_dm(conversation, DirectKind.MESSAGE, members, message_id=str(message.id))
    return message


@transaction.atomic
def do_send_direct_message(principal: Principal, conversation_id: object, body: str) -> Outcome:
    conversation = access_conversation_by_id(principal, conversation_id)
    if conversation is None:
        return Outcome(errors=[MailError("NOT_FOUND", "No such conversation.", "conversationId")])
    text, errors = check_body(body)
    if errors:
        return Outcome(errors=errors)
    return Outcome(obj=_post(principal, conversation, text))


@transaction.atomic
def do_mark_conversation_read(principal: Principal, conversation_id: object) -> Outcome:
    """Read up to now: the others see it (read receipts), the unread count drops."""
    assert principal.person_id is not None
    conversation = access_conversation_by_id(principal, conversation_id)
    if conversation is None:
        return Outcome(errors=[MailError("NOT_FOUND", "No such conversation.", "id")])
    now = timezone.now()
    ConversationMember.objects.filter(
        conversation=conversation, person_id=principal.person_id
    ).update(last_read_at=now)
    members = list(
        ConversationMember.objects.filter(conversation=conversation).values_list(
            "person_id", flat=True
        )
    )
    _publish_dm(conversation, DirectKind.READ, members, reader_id=str(principal.person_id))
    return Outcome(obj=conversation)


# --- members of a group conversation -------------------------------------------------------


def _group_of(principal: Principal, conversation_id: object) -> tuple[Conversation | None, Outcome]:
    """The principal's group conversation, or why not: a one-to-one keeps its two members
    (starting a group with more people is the way to widen it)."""
    conversation = access_conversation_by_id(principal, conversation_id)
    if conversation is None:
        return None, Outcome(errors=[MailError("NOT_FOUND", "No such conversation.", "id")])
    if conversation.pair_key:
        message = "A one-to-one conversation keeps its two members."
        return None, Outcome(errors=[MailError("INVALID", message, "id")])
    return conversation, Outcome(obj=conversation)


def _member_ids(conversation: Conversation) -> list[uuid.UUID]:
    return list(
        ConversationMember.objects.filter(conversation=conversation).values_list(
            "person_id", flat=True
        )
    )


@transaction.atomic
def do_add_conversation_members(
    principal: Principal, conversation_id: object, others: Sequence[uuid.UUID]
) -> Outcome:
    """Add ``others`` (active staff, checked with people before) to a group conversation of
    the principal; those already in it are left as they are. They see its whole history."""
    conversation, outcome = _group_of(principal, conversation_id)
    if conversation is None:
        return outcome
    present = set(_member_ids(conversation))
    fresh = [p for p in dict.fromkeys(others) if p not in present]
    if not fresh:
        return Outcome(errors=[MailError("REQUIRED", "Choose someone new.", "personIds")])
    if len(present) + len(fresh) > CONVERSATION_MAX_MEMBERS:
        message = f"At most {CONVERSATION_MAX_MEMBERS} people."
        return Outcome(errors=[MailError("TOO_MANY", message, "personIds")])
    ConversationMember.objects.bulk_create(
        ConversationMember(tenant_id=conversation.tenant_id, conversation=conversation, person_id=p)
        for p in fresh
    )
    # Everyone, old and new, hears of it as a receipt of the one who changed the members.
    _publish_dm(
        conversation,
        DirectKind.READ,
        [*present, *fresh],
        reader_id=str(principal.person_id),
    )
    return Outcome(obj=conversation)


@transaction.atomic
def do_remove_conversation_member(
    principal: Principal, conversation_id: object, person_id: uuid.UUID | None
) -> Outcome:
    """Take someone out of a group conversation: the one who started it may take out anyone,
    every member may take out themselves (leave). Its last member leaving deletes it."""
    assert principal.person_id is not None
    conversation, outcome = _group_of(principal, conversation_id)
    if conversation is None:
        return outcome
    present = _member_ids(conversation)
    if person_id is None or person_id not in present:
        return Outcome(errors=[MailError("NOT_MEMBER", "Not a member.", "personId")])
    if person_id != principal.person_id and conversation.created_by != principal.person_id:
        message = "Only the one who started the conversation takes others out."
        return Outcome(errors=[MailError("FORBIDDEN", message, "personId")])
    ConversationMember.objects.filter(conversation=conversation, person_id=person_id).delete()
    remaining = [p for p in present if p != person_id]
    if not remaining:
        conversation.delete()
        return Outcome()
    _publish_dm(conversation, DirectKind.READ, remaining, reader_id=str(principal.person_id))
    return Outcome(obj=conversation if person_id != principal.person_id else None)
