"""Attachments of mail: uploads for compose, files of incoming mail, and the held ones.

The bytes live in the one storage layer (subgraphs.core.storage), under ``mail/<tenant>``,
accepted by the same rules as notices' files (size, no programs, scripts or web pages) and
handed back the same way (a download, never inline; signed, expiring links re-checked on
every request). Who may fetch one: a person who may use a mailbox holding its message,
and only while it is AVAILABLE. A HELD attachment (メール無害化) is fetched by nobody, by
no URL, until a tenant administrator releases it; a deleted one has no bytes left.
"""

from __future__ import annotations

import functools
import io
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from subgraphs.core import storage
from subgraphs.core.principal import Principal

# The module, not its names: actions imports this module too (at call time both are loaded).
from subgraphs.mail import actions
from subgraphs.mail.access import as_uuid, visible_entries
from subgraphs.mail.models import ATTACHMENTS_MAX, MailAttachment, MailMessage

ORPHAN_UPLOAD_AGE = timedelta(days=1)
ORPHANS_PER_CLEANUP = 200


def _delete_after_commit(key: str) -> None:
    """The bytes go once the rows are gone for good (a rollback keeps both)."""
    transaction.on_commit(functools.partial(storage.delete, key))


def _key_prefix(tenant_id: uuid.UUID) -> str:
    return f"mail/{tenant_id.hex}"


def do_store_upload(principal: Principal, name: str, size: int, content: object) -> actions.Outcome:
    """Keep a file the principal uploads for a message they compose, until it is attached.

    Bytes first, row after: a failure in between leaves a nameless file, never a row
    without its file.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    try:
        accepted = storage.check_upload(name, size)
    except storage.FileRefused as refused:
        return actions.Outcome(errors=[actions.MailError(refused.code, refused.message, "file")])
    key = storage.save(_key_prefix(principal.tenant_id), content)  # type: ignore[arg-type]
    attachment = MailAttachment.objects.create(
        tenant_id=principal.tenant_id,
        uploaded_by=principal.person_id,
        name=accepted.name,
        size=accepted.size,
        content_type=accepted.content_type,
        storage_key=key,
    )
    delete_orphan_uploads()
    return actions.Outcome(obj=attachment)


def delete_orphan_uploads(now: datetime | None = None) -> int:
    """Uploads nobody attached within a day go, with their bytes (housekeeping)."""
    cutoff = (now or timezone.now()) - ORPHAN_UPLOAD_AGE
    orphans = list(
        MailAttachment.objects.filter(message__isnull=True, created_at__lt=cutoff).order_by(
            "created_at"
        )[:ORPHANS_PER_CLEANUP]
    )
    for orphan in orphans:
        storage.delete(orphan.storage_key)
    MailAttachment.objects.filter(id__in=[o.id for o in orphans]).delete()
    return len(orphans)


def check_attachment_ids(
    principal: Principal,
    attachment_ids: Sequence[object],
    draft: MailMessage | None = None,
    departments: Iterable[uuid.UUID] = (),
) -> tuple[list[MailAttachment], list[actions.MailError]]:
    """The principal's unattached uploads (or the draft's own files) that ``attachment_ids``
    names, in that order; a file of a message the principal holds (forwarding) is copied
    into a new upload of theirs, if it is AVAILABLE. Errors when any is none of these."""
    wanted = list(dict.fromkeys(as_uuid(a) for a in attachment_ids))
    if len(wanted) > ATTACHMENTS_MAX:
        return [], [
            actions.MailError("TOO_MANY", f"At most {ATTACHMENTS_MAX} files.", "attachmentIds")
        ]
    rows = MailAttachment.objects.for_principal(principal).filter(
        id__in=[w for w in wanted if w is not None]
    )
    found = {
        a.id: a
        for a in rows
        if (a.message_id is None and a.uploaded_by == principal.person_id)
        or (draft is not None and a.message_id == draft.id)
    }
    others = [w for w in wanted if w is not None and w not in found]
    if others:
        forwarded = visible_attachments(principal, departments).filter(
            id__in=others, state=MailAttachment.State.AVAILABLE
        )
        for original in forwarded.exclude(storage_key=""):
            found[original.id] = _copy_for(principal, original)
    missing = [w for w in wanted if w not in found]
    if missing:
        return [], [actions.MailError("NOT_FOUND", f"No upload {missing[0]}.", "attachmentIds")]
    return [found[w] for w in wanted if w is not None], []


def _copy_for(principal: Principal, original: MailAttachment) -> MailAttachment:
    """A copy of a received file as the principal's own upload (its bytes too, so deleting
    either message never takes the other's file)."""
    assert principal.tenant_id is not None
    with storage.open_file(original.storage_key) as handle:
        key = storage.save(_key_prefix(principal.tenant_id), handle)
    return MailAttachment.objects.create(
        tenant_id=principal.tenant_id,
        uploaded_by=principal.person_id,
        name=original.name,
        size=original.size,
        content_type=original.content_type,
        storage_key=key,
    )


def attach(message: MailMessage, attachments: Sequence[MailAttachment]) -> None:
    """Make ``attachments`` the message's files, in order; files it had and lost go."""
    keep = {a.id for a in attachments}
    dropped = list(MailAttachment.objects.filter(message=message).exclude(id__in=keep))
    for gone in dropped:
        _delete_after_commit(gone.storage_key)
    MailAttachment.objects.filter(id__in=[d.id for d in dropped]).delete()
    for position, attachment in enumerate(attachments):
        MailAttachment.objects.filter(id=attachment.id).update(message=message, position=position)


def store_incoming(
    message: MailMessage, position: int, name: str, data: bytes, *, held: bool
) -> MailAttachment:
    """A file of a message that arrived. The name is kept (Japanese included) but made safe;
    a file refused by the upload rules (a program, a web page) is always held."""
    kept = storage.clean_name(name) or f"attachment-{position + 1}"
    try:
        storage.check_upload(kept, max(len(data), 1))
        refused = False
    except storage.FileRefused:
        refused = True
    key = storage.save(_key_prefix(message.tenant_id), io.BytesIO(data))
    return MailAttachment.objects.create(
        tenant_id=message.tenant_id,
        message=message,
        name=kept,
        size=len(data),
        content_type=storage.served_type(kept),
        storage_key=key,
        position=position,
        state=MailAttachment.State.HELD if held or refused else MailAttachment.State.AVAILABLE,
    )


def delete_files_of(messages: Iterable[uuid.UUID]) -> None:
    """After commit, delete the bytes of every attachment of ``messages`` (deleted rows)."""
    keys = list(
        MailAttachment.objects.filter(message_id__in=list(messages))
        .exclude(storage_key="")
        .values_list("storage_key", flat=True)
    )
    for key in keys:
        _delete_after_commit(key)


# --- who may fetch one ---------------------------------------------------------------------


def visible_attachments(
    principal: Principal, departments: Iterable[uuid.UUID]
) -> QuerySet[MailAttachment]:
    """Attachments of messages in mailboxes the principal may use (any state)."""
    messages = visible_entries(principal, departments).values("message_id")
    return MailAttachment.objects.for_principal(principal).filter(message_id__in=messages)


def access_attachment_for_download(
    principal: Principal, departments: Iterable[uuid.UUID], attachment_id: object
) -> MailAttachment | None:
    """The attachment, if the principal may fetch its bytes now: one of their uploads not
    yet sent, or an AVAILABLE file of a message they hold. Held: None, for everyone."""
    pk = as_uuid(attachment_id)
    if pk is None or principal.tenant_id is None:
        return None
    own_upload = MailAttachment.objects.for_principal(principal).filter(
        id=pk, message__isnull=True, uploaded_by=principal.person_id
    )
    held_by_me = visible_attachments(principal, departments).filter(id=pk)
    return (
        (own_upload | held_by_me)
        .filter(state=MailAttachment.State.AVAILABLE)
        .exclude(storage_key="")
        .first()
    )


# --- held attachments (メール無害化) ------------------------------------------------------


@transaction.atomic
def do_request_release(
    principal: Principal, departments: Iterable[uuid.UUID], attachment_id: object
) -> actions.Outcome:
    """A recipient asks the administrators to release a held attachment."""
    pk = as_uuid(attachment_id)
    found = (
        visible_attachments(principal, departments).filter(id=pk).select_for_update().first()
        if pk
        else None
    )
    if found is None:
        return actions.Outcome(errors=[actions.MailError("NOT_FOUND", "No such attachment.", "id")])
    if found.state != MailAttachment.State.HELD:
        return actions.Outcome(
            errors=[actions.MailError("NOT_HELD", "The attachment is not held.", "id")]
        )
    if found.release_requested_at is None:
        found.release_requested_by = principal.person_id
        found.release_requested_at = timezone.now()
        found.save(update_fields=["release_requested_by", "release_requested_at"])
    return actions.Outcome(obj=found)


def held_attachments(principal: Principal) -> QuerySet[MailAttachment]:
    """Every held attachment of the tenant (administrators), release requests first."""
    return (
        MailAttachment.objects.for_principal(principal)
        .filter(state=MailAttachment.State.HELD)
        .select_related("message")
        .order_by("release_requested_at", "-created_at")
    )


@transaction.atomic
def do_decide_held(
    principal: Principal, attachment_id: object, *, release: bool
) -> actions.Outcome:
    """An administrator releases a held attachment, or deletes it with its bytes."""
    pk = as_uuid(attachment_id)
    held = held_attachments(principal).select_for_update(of=("self",))
    found = held.filter(id=pk).first() if pk is not None else None
    if found is None:
        return actions.Outcome(
            errors=[actions.MailError("NOT_FOUND", "No such held attachment.", "id")]
        )
    found.decided_by, found.decided_at = principal.person_id, timezone.now()
    if release:
        found.state = MailAttachment.State.AVAILABLE
    else:
        _delete_after_commit(found.storage_key)
        found.state, found.storage_key = MailAttachment.State.DELETED, ""
    found.save()
    return actions.Outcome(obj=found)


def add_to_mime(mime: object, message: MailMessage) -> None:
    """Attach the message's files to the outgoing MIME message. The ``email`` package writes
    a non-ASCII filename as RFC 2231 (``filename*=utf-8''...``), so Japanese names survive."""
    from email.message import EmailMessage

    assert isinstance(mime, EmailMessage)
    for attachment in MailAttachment.objects.filter(
        message=message, state=MailAttachment.State.AVAILABLE
    ).exclude(storage_key=""):
        maintype, _, subtype = attachment.content_type.split(";")[0].partition("/")
        with storage.open_file(attachment.storage_key) as handle:
            data = handle.read()
        mime.add_attachment(
            data, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.name
        )
