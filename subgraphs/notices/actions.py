"""Service functions of the notices subgraph: check_* validate, do_* change.

Each do_* owns its transaction and publishes its event only after commit (DESIGN rule 3),
so no reader hears of a notice that rolled back. Expected failures come back as
``NoticeError`` values the GraphQL layer returns as data (DESIGN rule 5). Anything asked of
the people subgraph (the audience, the poster's departments) is asked before, by the
GraphQL layer, because a transaction cannot be held open across async calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import nh3
from django.db import IntegrityError, transaction
from django.utils import timezone

from subgraphs.core.events import publish_on_commit
from subgraphs.core.principal import Principal
from subgraphs.notices.access import (
    access_category_by_id,
    access_circulation_by_id,
    access_notice_by_id,
    as_uuid,
    can_manage,
    may_post,
)
from subgraphs.notices.directory import Audience
from subgraphs.notices.models import (
    BODY_MAX_LENGTH,
    CATEGORY_NAME_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Circulation,
    CirculationComment,
    CirculationRecipient,
    CirculationWatch,
    Notice,
    NoticeCategory,
    NoticeRecipient,
    NoticeReminder,
)

EVENT_TYPE = "notices.notice"
# Events name their receivers while the list is small; beyond this (a notice to the whole
# municipality) the list is left out and each subscriber checks its own row instead.
EVENT_PERSON_LIMIT = 1000

# What a notice body may keep of the HTML a rich-text editor produces. Anything else
# (scripts, styles, event handlers, iframes, forms) is dropped, and links keep only web
# and mail URLs, so `javascript:` never survives into a stored body.
BODY_TAGS = {
    "p", "br", "b", "strong", "i", "em", "u", "s", "ul", "ol", "li", "a", "h2", "h3", "h4",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "span",
}  # fmt: skip
BODY_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
BODY_URL_SCHEMES = {"http", "https", "mailto"}


class Kind:
    POSTED = "POSTED"
    REMINDED = "REMINDED"
    READ = "READ"


@dataclass(frozen=True)
class NoticeError:
    """An expected failure, shown next to ``field`` (None: the whole form)."""

    code: str
    message: str
    field: str | None = None


@dataclass
class Outcome:
    obj: Any = None
    errors: list[NoticeError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def notices_group(tenant_id: uuid.UUID) -> str:
    """The channel-layer group of one tenant's notices events."""
    return f"notices.{tenant_id.hex}"


def sanitise_body(text: str) -> str:
    return nh3.clean(
        text or "",
        tags=BODY_TAGS,
        attributes=BODY_ATTRIBUTES,
        url_schemes=BODY_URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def _aware_utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # a time without offset is Japan time
    return value.astimezone(UTC)


# --- categories -------------------------------------------------------------------------


def do_create_category(principal: Principal, values: Mapping[str, Any]) -> Outcome:
    """A new category (administrators; the GraphQL layer checks the role)."""
    assert principal.tenant_id is not None
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        return Outcome(errors=[NoticeError("REQUIRED", "Give the category a name.", "name")])
    if len(name) > CATEGORY_NAME_MAX_LENGTH:
        message = f"At most {CATEGORY_NAME_MAX_LENGTH} characters."
        return Outcome(errors=[NoticeError("TOO_LONG", message, "name")])
    departments = [as_uuid(d) for d in values.get("poster_department_ids") or []]
    if any(d is None for d in departments):
        return Outcome(errors=[NoticeError("INVALID", "Not an ID.", "posterDepartmentIds")])
    try:
        with transaction.atomic():
            category = NoticeCategory.objects.create(
                tenant_id=principal.tenant_id,
                name=name,
                sort_order=int(values.get("sort_order") or 0),
                poster_roles=sorted({str(r) for r in values.get("poster_roles") or []}),
                poster_department_ids=[str(d) for d in dict.fromkeys(departments)],
            )
    except IntegrityError:
        message = f"There is a category {name} already."
        return Outcome(errors=[NoticeError("DUPLICATE", message, "name")])
    return Outcome(obj=category)


# --- posting ----------------------------------------------------------------------------


def check_notice_values(
    values: Mapping[str, Any], now: datetime
) -> tuple[list[NoticeError], dict[str, Any]]:
    errors: list[NoticeError] = []
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        errors.append(NoticeError("REQUIRED", "Give the notice a title.", "title"))
    elif len(title) > TITLE_MAX_LENGTH:
        errors.append(NoticeError("TOO_LONG", f"At most {TITLE_MAX_LENGTH} characters.", "title"))
    body = sanitise_body(str(values.get("body") or ""))
    if len(body) > BODY_MAX_LENGTH:
        errors.append(NoticeError("TOO_LONG", f"At most {BODY_MAX_LENGTH} characters.", "body"))
    importance = str(values.get("importance") or Notice.Importance.NORMAL)
    if importance not in Notice.Importance.values:
        errors.append(NoticeError("INVALID", f"Unknown importance {importance!r}.", "importance"))
    starts_at = _aware_utc(values["starts_at"]) if values.get("starts_at") else now
    ends_at = _aware_utc(values["ends_at"]) if values.get("ends_at") else None
    if ends_at is not None and ends_at <= starts_at:
        errors.append(
            NoticeError("END_BEFORE_START", "The posting must end after it starts.", "endsAt")
        )
    cleaned = {
        "title": title,
        "body": body,
        "importance": importance,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "pinned": bool(values.get("pinned")),
    }
    return errors, cleaned


@transaction.atomic
def do_post_notice(
    principal: Principal,
    values: Mapping[str, Any],
    audience: Audience,
    recipient_ids: list[uuid.UUID],
    departments: frozenset[uuid.UUID],
) -> Outcome:
    """Post a notice to ``recipient_ids`` (the audience as expanded through people).

    The author is left out of the recipients: they wrote it, and a list of non-readers
    that names its author would be wrong. They find it among their posted notices.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    now = timezone.now()
    errors, cleaned = check_notice_values(values, now)
    category = access_category_by_id(principal, values.get("category_id"))
    if category is None:
        errors.append(NoticeError("NOT_FOUND", "No such category.", "categoryId"))
    elif not may_post(principal, category, departments):
        message = f"You may not post in {category.name}."
        errors.append(NoticeError("NOT_ALLOWED", message, "categoryId"))
    people = [p for p in recipient_ids if p != principal.person_id]
    if not people and not errors:
        message = "Nobody but you is in that audience."
        errors.append(NoticeError("NO_RECIPIENTS", message, "audience"))
    if errors:
        return Outcome(errors=errors)
    assert category is not None
    notice = Notice.objects.create(
        tenant_id=principal.tenant_id,
        category=category,
        author_id=principal.person_id,
        audience=audience.as_json(),
        created_at=now,
        **cleaned,
    )
    NoticeRecipient.objects.bulk_create(
        [
            NoticeRecipient(tenant_id=principal.tenant_id, notice=notice, person_id=p)
            for p in people
        ],
        batch_size=1000,
    )
    _publish_on_commit(notice, Kind.POSTED, people)
    return Outcome(obj=notice)


@transaction.atomic
def do_mark_notice_read(principal: Principal, notice_id: object) -> Outcome:
    """Record that the principal has read the notice (the first time counts).

    The author or an administrator who is not a recipient reads it without a trace.
    """
    notice = access_notice_by_id(principal, notice_id)
    if notice is None or notice.starts_at > timezone.now():
        # Before its posting period even its recipients do not know it exists.
        return Outcome(errors=[NoticeError("NOT_FOUND", "No such notice.", "id")])
    updated = (
        NoticeRecipient.objects.for_principal(principal)
        .filter(notice=notice, person_id=principal.person_id, read_at__isnull=True)
        .update(read_at=timezone.now())
    )
    if updated:
        # Only the author's and administrators' reader lists change: no version bump, so
        # the recipients' boards are not told about one another's reading.
        _publish_on_commit(notice, Kind.READ, [notice.author_id])
    return Outcome(obj=notice)


@transaction.atomic
def do_remind_notice(principal: Principal, notice_id: object) -> Outcome:
    """Remind exactly those recipients who have not read the notice (author, admins)."""
    assert principal.person_id is not None
    notice = access_notice_by_id(principal, notice_id, for_update=True)
    if notice is None:
        return Outcome(errors=[NoticeError("NOT_FOUND", "No such notice.", "id")])
    if not can_manage(principal, notice):
        message = "Only its author or an administrator may remind."
        return Outcome(errors=[NoticeError("NOT_AUTHOR", message, "id")])
    now = timezone.now()
    if notice.starts_at > now or (notice.ends_at is not None and notice.ends_at <= now):
        message = "Only a notice within its posting period can be reminded of."
        return Outcome(errors=[NoticeError("NOT_OPEN", message, "id")])
    unread = NoticeRecipient.objects.for_principal(principal).filter(
        notice=notice, read_at__isnull=True
    )
    people = list(unread.values_list("person_id", flat=True))
    if not people:
        return Outcome(errors=[NoticeError("EVERYONE_READ", "Everyone has read it.", "id")])
    unread.update(last_reminded_at=now)
    reminder = NoticeReminder.objects.create(
        tenant_id=notice.tenant_id,
        notice=notice,
        sent_by=principal.person_id,
        sent_at=now,
        person_ids=[str(p) for p in people],
    )
    notice.version += 1
    notice.save(update_fields=["version"])
    _publish_on_commit(notice, Kind.REMINDED, people)
    return Outcome(obj=reminder)


def _publish_on_commit(notice: Notice, kind: str, people: list[uuid.UUID]) -> None:
    message = {
        "type": EVENT_TYPE,
        "kind": kind,
        "notice_id": str(notice.id),
        "version": notice.version,
        # Whom it concerns; None: too many to list, each subscriber checks its own row.
        "person_ids": [str(p) for p in people] if len(people) <= EVENT_PERSON_LIMIT else None,
    }
    publish_on_commit(notices_group(notice.tenant_id), message)


# --- circulation (回覧・レポート) -----------------------------------------------------

CIRCULATION_EVENT_TYPE = "notices.circulation"


class CirculationKind:
    RECEIVED = "RECEIVED"
    CONFIRMED = "CONFIRMED"
    COMMENTED = "COMMENTED"
    REMINDED = "REMINDED"
    COMPLETED = "COMPLETED"


def check_circulation_values(values: Mapping[str, Any]) -> tuple[list[NoticeError], dict[str, Any]]:
    errors: list[NoticeError] = []
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        errors.append(NoticeError("REQUIRED", "Give the circulation a title.", "title"))
    elif len(title) > TITLE_MAX_LENGTH:
        errors.append(NoticeError("TOO_LONG", f"At most {TITLE_MAX_LENGTH} characters.", "title"))
    body = sanitise_body(str(values.get("body") or ""))
    if len(body) > BODY_MAX_LENGTH:
        errors.append(NoticeError("TOO_LONG", f"At most {BODY_MAX_LENGTH} characters.", "body"))
    return errors, {"title": title, "body": body}


def _not_found() -> Outcome:
    return Outcome(errors=[NoticeError("NOT_FOUND", "No such circulation.", "id")])


def _completed() -> Outcome:
    message = "The circulation is completed: nothing more can be added."
    return Outcome(errors=[NoticeError("COMPLETED", message, "id")])


def _not_sender() -> Outcome:
    message = "Only its sender may do this."
    return Outcome(errors=[NoticeError("NOT_AUTHOR", message, "id")])


@transaction.atomic
def do_save_circulation_draft(
    principal: Principal,
    values: Mapping[str, Any],
    audience: Audience,
    circulation_id: object = None,
) -> Outcome:
    """Create a draft, or change one of the principal's drafts (its audience too)."""
    assert principal.tenant_id is not None and principal.person_id is not None
    errors, cleaned = check_circulation_values(values)
    draft = None
    if circulation_id is not None:
        draft = access_circulation_by_id(principal, circulation_id, for_update=True)
        if draft is None:
            return _not_found()
        if draft.sender_id != principal.person_id:
            return _not_sender()
        if draft.status != Circulation.Status.DRAFT:
            message = "It has been sent already: a sent circulation is not edited."
            errors.append(NoticeError("NOT_DRAFT", message, "id"))
    if errors:
        return Outcome(errors=errors)
    if draft is None:
        draft = Circulation(tenant_id=principal.tenant_id, sender_id=principal.person_id)
    else:
        draft.version += 1
    draft.title, draft.body = cleaned["title"], cleaned["body"]
    draft.audience = audience.as_json()
    draft.save()
    return Outcome(obj=draft)


def circulation_audience(principal: Principal, circulation_id: object) -> Outcome:
    """The audience of one of the principal's drafts, to expand before sending it."""
    draft = access_circulation_by_id(principal, circulation_id)
    if draft is None:
        return _not_found()
    if draft.sender_id != principal.person_id:
        return _not_sender()
    if draft.status != Circulation.Status.DRAFT:
        message = "It has been sent already."
        return Outcome(errors=[NoticeError("NOT_DRAFT", message, "id")])
    return Outcome(obj=Audience.from_json(draft.audience or {}))


@transaction.atomic
def do_send_circulation(
    principal: Principal, circulation_id: object, recipient_ids: list[uuid.UUID]
) -> Outcome:
    """Send a draft to ``recipient_ids`` (its audience as expanded through people now).

    The sender is left out of the recipients: they see it in their 送信済み folder.
    """
    outcome = circulation_audience(principal, circulation_id)
    if not outcome.ok:
        return outcome
    circulation = access_circulation_by_id(principal, circulation_id, for_update=True)
    assert circulation is not None
    if circulation.status != Circulation.Status.DRAFT:  # sent meanwhile from another tab
        return Outcome(errors=[NoticeError("NOT_DRAFT", "It has been sent already.", "id")])
    people = [p for p in recipient_ids if p != circulation.sender_id]
    if not people:
        message = "Nobody but you is in that audience."
        return Outcome(errors=[NoticeError("NO_RECIPIENTS", message, "audience")])
    CirculationRecipient.objects.bulk_create(
        [
            CirculationRecipient(
                tenant_id=circulation.tenant_id, circulation=circulation, person_id=p
            )
            for p in people
        ],
        batch_size=1000,
    )
    circulation.status = Circulation.Status.SENT
    circulation.sent_at = timezone.now()
    circulation.version += 1
    circulation.save()
    _publish_circulation(circulation, CirculationKind.RECEIVED, people)
    return Outcome(obj=circulation)


def _my_row(principal: Principal, circulation: Circulation) -> CirculationRecipient | None:
    return (
        CirculationRecipient.objects.for_principal(principal)
        .filter(circulation=circulation, person_id=principal.person_id)
        .select_for_update()
        .first()
    )


@transaction.atomic
def do_open_circulation(principal: Principal, circulation_id: object) -> Outcome:
    """The recipient has opened it: it leaves their 新着 folder (the first time counts)."""
    circulation = access_circulation_by_id(principal, circulation_id)
    if circulation is None:
        return _not_found()
    CirculationRecipient.objects.for_principal(principal).filter(
        circulation=circulation, person_id=principal.person_id, opened_at__isnull=True
    ).update(opened_at=timezone.now())
    return Outcome(obj=circulation)


def _recipients_and_sender(circulation: Circulation) -> list[uuid.UUID]:
    people = CirculationRecipient.objects.filter(
        tenant_id=circulation.tenant_id, circulation=circulation
    ).values_list("person_id", flat=True)
    return [circulation.sender_id, *people]


@transaction.atomic
def do_confirm_circulation(
    principal: Principal, circulation_id: object, comment: str | None = None
) -> Outcome:
    """Confirm (確認) as a recipient, with an optional comment or answer."""
    circulation = access_circulation_by_id(principal, circulation_id, for_update=True)
    if circulation is None:
        return _not_found()
    if circulation.status == Circulation.Status.COMPLETED:
        return _completed()
    row = _my_row(principal, circulation)
    if row is None:
        message = "It was not sent to you."
        return Outcome(errors=[NoticeError("NOT_RECIPIENT", message, "id")])
    text, errors = _comment_text(comment, required=False)
    if errors:
        return Outcome(errors=errors)
    now = timezone.now()
    if row.confirmed_at is None:
        row.confirmed_at = now
        row.opened_at = row.opened_at or now
        row.save(update_fields=["confirmed_at", "opened_at"])
    if text:
        _add_comment(principal, circulation, text, now)
    circulation.version += 1
    circulation.save(update_fields=["version"])
    kind = CirculationKind.COMMENTED if text else CirculationKind.CONFIRMED
    people = _recipients_and_sender(circulation) if text else [circulation.sender_id]
    _publish_circulation(circulation, kind, people)
    return Outcome(obj=circulation)


def _comment_text(text: str | None, *, required: bool) -> tuple[str, list[NoticeError]]:
    cleaned = (text or "").strip()
    if required and not cleaned:
        return "", [NoticeError("REQUIRED", "Write a comment.", "body")]
    if len(cleaned) > COMMENT_MAX_LENGTH:
        message = f"At most {COMMENT_MAX_LENGTH} characters."
        return "", [NoticeError("TOO_LONG", message, "body")]
    return cleaned, []


def _add_comment(
    principal: Principal, circulation: Circulation, text: str, now: datetime
) -> CirculationComment:
    assert principal.person_id is not None
    return CirculationComment.objects.create(
        tenant_id=circulation.tenant_id,
        circulation=circulation,
        person_id=principal.person_id,
        body=text,  # plain text, shown as text (never HTML)
        created_at=now,
    )


@transaction.atomic
def do_comment_on_circulation(principal: Principal, circulation_id: object, body: str) -> Outcome:
    """A comment or answer by a recipient or the sender; refused once completed."""
    circulation = access_circulation_by_id(principal, circulation_id, for_update=True)
    if circulation is None or circulation.status == Circulation.Status.DRAFT:
        return _not_found()
    if circulation.status == Circulation.Status.COMPLETED:
        return _completed()
    text, errors = _comment_text(body, required=True)
    if errors:
        return Outcome(errors=errors)
    _add_comment(principal, circulation, text, timezone.now())
    circulation.version += 1
    circulation.save(update_fields=["version"])
    _publish_circulation(
        circulation, CirculationKind.COMMENTED, _recipients_and_sender(circulation)
    )
    return Outcome(obj=circulation)


@transaction.atomic
def do_remind_circulation(principal: Principal, circulation_id: object) -> Outcome:
    """Remind the recipients who have not confirmed, and only them (the sender)."""
    circulation = access_circulation_by_id(principal, circulation_id, for_update=True)
    if circulation is None or circulation.status == Circulation.Status.DRAFT:
        return _not_found()
    if circulation.sender_id != principal.person_id:
        return _not_sender()
    if circulation.status == Circulation.Status.COMPLETED:
        return _completed()
    unconfirmed = CirculationRecipient.objects.for_principal(principal).filter(
        circulation=circulation, confirmed_at__isnull=True
    )
    people = list(unconfirmed.values_list("person_id", flat=True))
    if not people:
        message = "Everyone has confirmed it."
        return Outcome(errors=[NoticeError("EVERYONE_CONFIRMED", message, "id")])
    unconfirmed.update(last_reminded_at=timezone.now())
    circulation.version += 1
    circulation.save(update_fields=["version"])
    _publish_circulation(circulation, CirculationKind.REMINDED, people)
    return Outcome(obj=(circulation, people))


@transaction.atomic
def do_complete_circulation(principal: Principal, circulation_id: object) -> Outcome:
    """The sender ends the circulation: no more confirmations or comments."""
    circulation = access_circulation_by_id(principal, circulation_id, for_update=True)
    if circulation is None or circulation.status == Circulation.Status.DRAFT:
        return _not_found()
    if circulation.sender_id != principal.person_id:
        return _not_sender()
    if circulation.status == Circulation.Status.COMPLETED:
        return _completed()
    circulation.status = Circulation.Status.COMPLETED
    circulation.completed_at = timezone.now()
    circulation.version += 1
    circulation.save()
    _publish_circulation(
        circulation, CirculationKind.COMPLETED, _recipients_and_sender(circulation)
    )
    return Outcome(obj=circulation)


@transaction.atomic
def do_set_circulation_watch(
    principal: Principal, circulation_id: object, watching: bool
) -> Outcome:
    """Put a circulation on (or off) the principal's watch list."""
    assert principal.person_id is not None
    circulation = access_circulation_by_id(principal, circulation_id)
    if circulation is None:
        return _not_found()
    rows = CirculationWatch.objects.for_principal(principal).filter(
        circulation=circulation, person_id=principal.person_id
    )
    if not watching:
        rows.delete()
    elif not rows.exists():
        CirculationWatch.objects.create(
            tenant_id=circulation.tenant_id, circulation=circulation, person_id=principal.person_id
        )
    return Outcome(obj=circulation)


def _publish_circulation(circulation: Circulation, kind: str, people: list[uuid.UUID]) -> None:
    message = {
        "type": CIRCULATION_EVENT_TYPE,
        "kind": kind,
        "circulation_id": str(circulation.id),
        "version": circulation.version,
        "person_ids": [str(p) for p in people] if len(people) <= EVENT_PERSON_LIMIT else None,
    }
    publish_on_commit(notices_group(circulation.tenant_id), message)
