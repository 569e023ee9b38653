"""Service functions of the notices subgraph: check_* validate, do_* change.

Each do_* owns its transaction and publishes its event only after commit (DESIGN rule 3),
so no reader hears of a notice that rolled back. Expected failures come back as
``NoticeError`` values the GraphQL layer returns as data (DESIGN rule 5). Anything asked of
the people subgraph (the audience, the poster's departments) is asked before, by the
GraphQL layer, because a transaction cannot be held open across async calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import nh3
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from subgraphs.audit import actions as audit
from subgraphs.core import storage
from subgraphs.core.events import publish_on_commit
from subgraphs.core.principal import Principal
from subgraphs.notices.access import (
    access_category_by_id,
    access_circulation_by_id,
    access_notice_by_id,
    access_survey_by_id,
    as_uuid,
    can_manage,
    may_post,
)
from subgraphs.notices.directory import Audience
from subgraphs.notices.models import (
    ANSWER_TEXT_MAX_LENGTH,
    ATTACHMENTS_MAX,
    BODY_MAX_LENGTH,
    CATEGORY_NAME_MAX_LENGTH,
    CHOICE_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    Circulation,
    CirculationComment,
    CirculationRecipient,
    CirculationWatch,
    Notice,
    NoticeCategory,
    NoticeRecipient,
    NoticeReminder,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRecipient,
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
    UPDATED = "UPDATED"


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
            audit.record(
                "notice_category.created",
                target=category,
                principal=principal,
                after=audit.snapshot(
                    category, ("name", "sort_order", "poster_roles", "poster_department_ids")
                ),
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
    attachment_ids: Sequence[object] = (),
) -> Outcome:
    """Post a notice to ``recipient_ids`` (the audience as expanded through people), with
    the principal's uploads ``attachment_ids`` attached in that order.

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
    attachments, attachment_errors = _own_uploads(principal, attachment_ids)
    errors += attachment_errors
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
    _attach(attachments, notice=notice)
    _publish_on_commit(notice, Kind.POSTED, people)
    return Outcome(obj=notice)


@transaction.atomic
def do_update_notice(
    principal: Principal,
    notice_id: object,
    values: Mapping[str, Any],
    audience: Audience,
    recipient_ids: list[uuid.UUID],
    attachment_ids: Sequence[object],
    *,
    significant: bool = False,
) -> Outcome:
    """Change a posted notice (its author or an administrator): title, body, importance,
    period, pinned, audience and attachments; its category stays.

    The audience is expanded again: people who join it get it unread, people who left it
    lose it (with their read state), everyone else keeps theirs. A significant change
    (重要な変更) marks it unread for every recipient, so they read it again and the author's
    lists start over. ``attachment_ids`` is the whole list after the change: the notice's
    own files to keep and new uploads of the principal's, in order; files left out are
    deleted.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    notice = access_notice_by_id(principal, notice_id, for_update=True)
    if notice is None:
        return Outcome(errors=[NoticeError("NOT_FOUND", "No such notice.", "id")])
    if not can_manage(principal, notice):
        message = "Only its author or an administrator may change it."
        return Outcome(errors=[NoticeError("NOT_AUTHOR", message, "id")])
    now = timezone.now()
    errors, cleaned = check_notice_values(
        {**values, "starts_at": values.get("starts_at") or notice.starts_at}, now
    )
    people = {p for p in recipient_ids if p != notice.author_id}
    if not people and not errors:
        message = "Nobody but the author is in that audience."
        errors.append(NoticeError("NO_RECIPIENTS", message, "audience"))
    wanted = [as_uuid(a) for a in attachment_ids]
    kept = {
        a.id: a
        for a in Attachment.objects.for_principal(principal).filter(
            notice=notice, id__in=[w for w in wanted if w]
        )
    }
    fresh, attachment_errors = _own_uploads(principal, [w for w in wanted if w not in kept])
    errors += attachment_errors
    if len(dict.fromkeys(wanted)) > ATTACHMENTS_MAX:
        message = f"At most {ATTACHMENTS_MAX} attachments."
        errors.append(NoticeError("TOO_MANY", message, "attachmentIds"))
    if errors:
        return Outcome(errors=errors)
    for key, value in cleaned.items():
        setattr(notice, key, value)
    notice.audience = audience.as_json()
    notice.version += 1
    notice.save()
    rows = NoticeRecipient.objects.for_principal(principal).filter(notice=notice)
    before = set(rows.values_list("person_id", flat=True))
    rows.exclude(person_id__in=people).delete()
    added = people - before
    NoticeRecipient.objects.bulk_create(
        [NoticeRecipient(tenant_id=notice.tenant_id, notice=notice, person_id=p) for p in added],
        batch_size=1000,
    )
    if significant:
        rows.update(read_at=None)
    by_id = {**kept, **{a.id: a for a in fresh}}
    gone = (
        Attachment.objects.for_principal(principal)
        .filter(notice=notice)
        .exclude(id__in=list(by_id))
    )
    keys = list(gone.values_list("storage_key", flat=True))
    gone.delete()
    transaction.on_commit(lambda: _delete_stored(keys))
    _attach([by_id[w] for w in dict.fromkeys(wanted) if w in by_id], notice=notice)
    _publish_on_commit(notice, Kind.POSTED, sorted(added))
    _publish_on_commit(notice, Kind.UPDATED, [*sorted(people - added), notice.author_id])
    return Outcome(obj=notice)


def _delete_stored(keys: list[str]) -> None:
    """Files of attachments removed by a committed change (a failed delete leaves litter,
    never a dangling row)."""
    for key in keys:
        storage.delete(key)


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


def _publish(
    event_type: str,
    id_key: str,
    item: Notice | Circulation | Survey,
    kind: str,
    people: list[uuid.UUID],
) -> None:
    """The hint every notices event is (DESIGN rule 6): what changed, its version, whom it
    concerns; None: too many to list, each subscriber checks its own row."""
    message = {
        "type": event_type,
        "kind": kind,
        id_key: str(item.id),
        "version": item.version,
        "person_ids": [str(p) for p in people] if len(people) <= EVENT_PERSON_LIMIT else None,
    }
    publish_on_commit(notices_group(item.tenant_id), message)


def _publish_on_commit(notice: Notice, kind: str, people: list[uuid.UUID]) -> None:
    _publish(EVENT_TYPE, "notice_id", notice, kind, people)


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
    attachment_ids: Sequence[object] | None = None,
) -> Outcome:
    """Create a draft, or change one of the principal's drafts (its audience too).

    ``attachment_ids`` are the draft's attachments from now on, in order: uploads of the
    principal or attachments the draft has; None keeps those it has."""
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
    attachments: list[Attachment] | None = None
    if attachment_ids is not None and not errors:
        attachments, attachment_errors = _own_uploads(principal, attachment_ids, draft)
        errors += attachment_errors
    if errors:
        return Outcome(errors=errors)
    if draft is None:
        draft = Circulation(tenant_id=principal.tenant_id, sender_id=principal.person_id)
    else:
        draft.version += 1
    draft.title, draft.body = cleaned["title"], cleaned["body"]
    draft.audience = audience.as_json()
    draft.save()
    if attachments is not None:
        # Those left out become orphan uploads again (the next upload's cleanup deletes them).
        Attachment.objects.filter(circulation=draft).exclude(
            id__in=[a.id for a in attachments]
        ).update(circulation=None)
        _attach(attachments, circulation=draft)
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
    _publish(CIRCULATION_EVENT_TYPE, "circulation_id", circulation, kind, people)


# --- surveys (アンケート) -------------------------------------------------------------

SURVEY_EVENT_TYPE = "notices.survey"
MAX_QUESTIONS = 100
MAX_CHOICES = 50


class SurveyKind:
    OPENED = "OPENED"
    ANSWERED = "ANSWERED"
    CLOSED = "CLOSED"


def check_questions(raw: list[Mapping[str, Any]]) -> tuple[list[NoticeError], list[dict[str, Any]]]:
    """Questions as they will be stored; errors name the question (``questions.<n>``)."""
    errors: list[NoticeError] = []
    if not raw:
        errors.append(NoticeError("REQUIRED", "Ask at least one question.", "questions"))
    if len(raw) > MAX_QUESTIONS:
        errors.append(NoticeError("TOO_MANY", f"At most {MAX_QUESTIONS} questions.", "questions"))
    cleaned = []
    for n, question in enumerate(raw):
        at = f"questions.{n}"
        kind = str(question.get("kind") or "")
        text = " ".join(str(question.get("text") or "").split())
        if kind not in SurveyQuestion.Kind.values:
            errors.append(NoticeError("INVALID", f"Unknown kind {kind!r}.", at))
        if not text:
            errors.append(NoticeError("REQUIRED", "Write the question.", at))
        elif len(text) > QUESTION_MAX_LENGTH:
            errors.append(NoticeError("TOO_LONG", f"At most {QUESTION_MAX_LENGTH} characters.", at))
        choices = [" ".join(str(c).split()) for c in question.get("choices") or []]
        if kind in ("SINGLE_CHOICE", "MULTIPLE_CHOICE"):
            if len(choices) < 2 or any(not c for c in choices):
                errors.append(NoticeError("INVALID", "Give at least two non-empty choices.", at))
            elif len(set(choices)) != len(choices):
                errors.append(NoticeError("DUPLICATE", "Each choice once.", at))
            elif len(choices) > MAX_CHOICES or any(len(c) > CHOICE_MAX_LENGTH for c in choices):
                message = f"At most {MAX_CHOICES} choices of {CHOICE_MAX_LENGTH} characters."
                errors.append(NoticeError("TOO_LONG", message, at))
        elif choices:
            errors.append(NoticeError("INVALID", "Only choice questions have choices.", at))
        cleaned.append(
            {
                "position": n,
                "kind": kind,
                "text": text,
                "required": bool(question.get("required")),
                "choices": choices,
            }
        )
    return errors, cleaned


@transaction.atomic
def do_create_survey(
    principal: Principal,
    values: Mapping[str, Any],
    questions: list[Mapping[str, Any]],
    audience: Audience,
    recipient_ids: list[uuid.UUID],
) -> Outcome:
    """Create a survey for ``recipient_ids`` (the audience as expanded through people).

    The owner is asked too when the audience includes them: answering one's own survey
    (e.g. a section's head counting themselves) is ordinary, unlike reading one's notice.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    now = timezone.now()
    errors: list[NoticeError] = []
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        errors.append(NoticeError("REQUIRED", "Give the survey a title.", "title"))
    elif len(title) > TITLE_MAX_LENGTH:
        errors.append(NoticeError("TOO_LONG", f"At most {TITLE_MAX_LENGTH} characters.", "title"))
    description = sanitise_body(str(values.get("description") or ""))
    if len(description) > BODY_MAX_LENGTH:
        message = f"At most {BODY_MAX_LENGTH} characters."
        errors.append(NoticeError("TOO_LONG", message, "description"))
    opens_at = _aware_utc(values["opens_at"]) if values.get("opens_at") else now
    closes_at = _aware_utc(values["closes_at"]) if values.get("closes_at") else None
    if closes_at is not None and closes_at <= opens_at:
        errors.append(NoticeError("END_BEFORE_START", "It must close after it opens.", "closesAt"))
    question_errors, cleaned = check_questions(list(questions))
    errors += question_errors
    if not recipient_ids and not errors:
        errors.append(NoticeError("NO_RECIPIENTS", "Nobody is in that audience.", "audience"))
    if errors:
        return Outcome(errors=errors)
    survey = Survey.objects.create(
        tenant_id=principal.tenant_id,
        owner_id=principal.person_id,
        title=title,
        description=description,
        anonymous=bool(values.get("anonymous")),
        audience=audience.as_json(),
        opens_at=opens_at,
        closes_at=closes_at,
        created_at=now,
    )
    SurveyQuestion.objects.bulk_create(
        [SurveyQuestion(tenant_id=survey.tenant_id, survey=survey, **q) for q in cleaned]
    )
    SurveyRecipient.objects.bulk_create(
        [
            SurveyRecipient(tenant_id=survey.tenant_id, survey=survey, person_id=p)
            for p in recipient_ids
        ],
        batch_size=1000,
    )
    if opens_at <= now:
        # A survey opening later is found by the recipients' next query, not announced.
        _publish_survey(survey, SurveyKind.OPENED, recipient_ids)
    return Outcome(obj=survey)


def _survey_state_error(survey: Survey, now: datetime) -> NoticeError | None:
    if survey.opens_at > now:
        return NoticeError("SURVEY_NOT_OPEN", "The survey does not take answers yet.", "id")
    if survey.closes_at is not None and survey.closes_at <= now:
        return NoticeError("SURVEY_CLOSED", "The survey is closed.", "id")
    return None


def _answer_value(
    question: SurveyQuestion, answer: Mapping[str, Any], at: str
) -> tuple[Any, NoticeError | None]:
    """The stored value of one answer (None: left blank), or why it is not one."""
    kind = question.kind
    given = {k for k, v in answer.items() if k != "question_id" and v not in (None, [], "")}
    allowed = {
        "SINGLE_CHOICE": {"choices"},
        "MULTIPLE_CHOICE": {"choices"},
        "TEXT": {"text"},
        "NUMBER": {"number"},
        "DATE": {"date"},
    }[kind]
    if given - allowed:
        return None, NoticeError("INVALID", f"Answer this question with {sorted(allowed)[0]}.", at)
    if kind in ("SINGLE_CHOICE", "MULTIPLE_CHOICE"):
        picked = list(answer.get("choices") or [])
        if not picked:
            return None, None
        if len(set(picked)) != len(picked) or any(
            not isinstance(i, int) or not 0 <= i < len(question.choices) for i in picked
        ):
            return None, NoticeError("INVALID", "Pick from the choices, each once.", at)
        if kind == "SINGLE_CHOICE" and len(picked) > 1:
            return None, NoticeError("INVALID", "Pick one choice.", at)
        return sorted(picked), None
    if kind == "TEXT":
        text = str(answer.get("text") or "").strip()
        if len(text) > ANSWER_TEXT_MAX_LENGTH:
            message = f"At most {ANSWER_TEXT_MAX_LENGTH} characters."
            return None, NoticeError("TOO_LONG", message, at)
        return text or None, None
    if kind == "NUMBER":
        number = answer.get("number")
        if number is None:
            return None, None
        try:
            value = Decimal(str(number))
        except InvalidOperation:
            return None, NoticeError("INVALID", "Not a number.", at)
        if not value.is_finite():
            return None, NoticeError("INVALID", "Not a number.", at)
        # Positional notation as typed: 5000 stays "5000" (normalize() alone gives "5E+3").
        integral = value == value.to_integral()
        return format(value.normalize() if integral else value, "f"), None
    day = answer.get("date")
    return (day.isoformat() if isinstance(day, date) else None), None


@transaction.atomic
def do_answer_survey(
    principal: Principal, survey_id: object, answers: list[Mapping[str, Any]]
) -> Outcome:
    """Answer (or change one's answer to) a survey while it is open: all answers at once."""
    assert principal.person_id is not None
    survey = access_survey_by_id(principal, survey_id, for_update=True)
    if survey is None:
        return Outcome(errors=[NoticeError("NOT_FOUND", "No such survey.", "id")])
    now = timezone.now()
    recipient = (
        SurveyRecipient.objects.for_principal(principal)
        .filter(survey=survey, person_id=principal.person_id)
        .select_for_update()
        .first()
    )
    if recipient is None:
        message = "You were not asked to answer this survey."
        return Outcome(errors=[NoticeError("NOT_RECIPIENT", message, "id")])
    state = _survey_state_error(survey, now)
    if state is not None:
        return Outcome(errors=[state])
    questions = {
        q.id: q for q in SurveyQuestion.objects.for_principal(principal).filter(survey=survey)
    }
    errors: list[NoticeError] = []
    values: dict[uuid.UUID, Any] = {}
    failed: set[uuid.UUID] = set()  # answered, but wrongly: that error says enough
    for n, answer in enumerate(answers):
        at = f"answers.{n}"
        question = questions.get(as_uuid(answer.get("question_id")))  # type: ignore[arg-type]
        if question is None:
            errors.append(NoticeError("NOT_FOUND", "No such question in this survey.", at))
            continue
        if question.id in values:
            errors.append(NoticeError("DUPLICATE", "Answer each question once.", at))
            continue
        value, error = _answer_value(question, answer, at)
        if error is not None:
            errors.append(error)
            failed.add(question.id)
        values[question.id] = value
    for question in sorted(questions.values(), key=lambda q: q.position):
        if question.required and values.get(question.id) is None and question.id not in failed:
            message = f"Answer question {question.position + 1}."
            errors.append(NoticeError("REQUIRED", message, f"questions.{question.position}"))
    if errors:
        return Outcome(errors=errors)
    SurveyAnswer.objects.for_principal(principal).filter(
        survey=survey, person_id=principal.person_id
    ).delete()
    SurveyAnswer.objects.bulk_create(
        [
            SurveyAnswer(
                tenant_id=survey.tenant_id,
                survey=survey,
                question=questions[qid],
                person_id=principal.person_id,
                value=value,
                answered_at=now,
            )
            for qid, value in values.items()
            if value is not None
        ]
    )
    recipient.answered_at = now
    recipient.save(update_fields=["answered_at"])
    survey.version += 1
    survey.save(update_fields=["version"])
    _publish_survey(survey, SurveyKind.ANSWERED, [survey.owner_id])
    return Outcome(obj=survey)


@transaction.atomic
def do_close_survey(principal: Principal, survey_id: object) -> Outcome:
    """The owner closes the survey now: answers can no longer be given or changed."""
    survey = access_survey_by_id(principal, survey_id, for_update=True)
    if survey is None:
        return Outcome(errors=[NoticeError("NOT_FOUND", "No such survey.", "id")])
    if survey.owner_id != principal.person_id:
        return Outcome(errors=[NoticeError("NOT_AUTHOR", "Only its owner may close it.", "id")])
    now = timezone.now()
    if survey.closes_at is not None and survey.closes_at <= now:
        return Outcome(errors=[NoticeError("SURVEY_CLOSED", "It is closed already.", "id")])
    survey.closes_at = max(now, survey.opens_at + timedelta(microseconds=1))
    survey.version += 1
    survey.save(update_fields=["closes_at", "version"])
    _publish_survey(survey, SurveyKind.CLOSED, [survey.owner_id])
    return Outcome(obj=survey)


def _publish_survey(survey: Survey, kind: str, people: list[uuid.UUID]) -> None:
    _publish(SURVEY_EVENT_TYPE, "survey_id", survey, kind, people)


# --- attachments --------------------------------------------------------------------------

ORPHAN_UPLOAD_AGE = timedelta(days=1)
ORPHANS_PER_CLEANUP = 200


def do_store_upload(principal: Principal, name: str, size: int, content: Any) -> Outcome:
    """Keep an uploaded file for the principal until a mutation attaches it.

    The bytes are stored first and the row made after: a failure in between leaves a
    nameless file in the store, never a row without its file.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    try:
        accepted = storage.check_upload(name, size)
    except storage.FileRefused as refused:
        return Outcome(errors=[NoticeError(refused.code, refused.message, "file")])
    key = storage.save(f"notices/{principal.tenant_id.hex}", content)
    attachment = Attachment.objects.create(
        tenant_id=principal.tenant_id,
        uploaded_by=principal.person_id,
        name=accepted.name,
        size=accepted.size,
        content_type=accepted.content_type,
        storage_key=key,
    )
    delete_orphan_uploads()
    return Outcome(obj=attachment)


def delete_orphan_uploads(now: datetime | None = None) -> int:
    """Delete uploads nobody attached within ORPHAN_UPLOAD_AGE, with their bytes (any
    tenant's: housekeeping, nothing is shown to anyone). A batch at a time."""
    cutoff = (now or timezone.now()) - ORPHAN_UPLOAD_AGE
    orphans = list(
        Attachment.objects.filter(
            notice__isnull=True, circulation__isnull=True, created_at__lt=cutoff
        ).order_by("created_at")[:ORPHANS_PER_CLEANUP]
    )
    for orphan in orphans:
        storage.delete(orphan.storage_key)
    Attachment.objects.filter(id__in=[o.id for o in orphans]).delete()
    return len(orphans)


def _own_uploads(
    principal: Principal, attachment_ids: Sequence[object], draft: Circulation | None = None
) -> tuple[list[Attachment], list[NoticeError]]:
    """The principal's unattached uploads (or the draft's own attachments) ``attachment_ids``
    names, in that order; errors if any is not one."""
    wanted = list(dict.fromkeys(as_uuid(a) for a in attachment_ids))
    if not wanted:
        return [], []
    if len(wanted) > ATTACHMENTS_MAX:
        message = f"At most {ATTACHMENTS_MAX} attachments."
        return [], [NoticeError("TOO_MANY", message, "attachmentIds")]
    free = Q(notice__isnull=True, circulation__isnull=True)
    if draft is not None and draft.pk is not None:
        free |= Q(circulation=draft)
    rows = {
        a.id: a
        for a in Attachment.objects.for_principal(principal)
        .filter(free, uploaded_by=principal.person_id, id__in=[w for w in wanted if w])
        .select_for_update()
    }
    if any(w not in rows for w in wanted):
        message = "No such upload of yours (uploads are kept for a day until attached)."
        return [], [NoticeError("NOT_FOUND", message, "attachmentIds")]
    return [rows[w] for w in wanted if w is not None], []


def _attach(
    attachments: list[Attachment],
    *,
    notice: Notice | None = None,
    circulation: Circulation | None = None,
) -> None:
    for position, attachment in enumerate(attachments):
        attachment.notice, attachment.circulation, attachment.position = (
            notice,
            circulation,
            position,
        )
    Attachment.objects.bulk_update(attachments, ["notice", "circulation", "position"])
