"""Across the council (協議会): the one path by which data crosses a tenant boundary.

Every query here that reads rows of a tenant other than the principal's says so, and this
module is the only place that does. What crosses, and to whom:

- **Designated contacts** (``CouncilContact``): each municipality's administrator names,
  per purpose (情報システム担当 ...), one department of their own. Other municipalities
  never see them; a sender's request reaches them.
- **A request** (``CouncilRequest``, a survey or a circulation) from a municipality's
  administrator or council liaison (``council_liaison`` role) goes to every member
  municipality of the sender's council that has a contact for its purpose, one
  ``CouncilDelivery`` each (owned by the receiving municipality). The receiving
  municipality's contact department (main post or 兼務) and its administrators see the
  request's title, body, questions and the sender's municipality name, and their own
  delivery: nothing of any other municipality's.
- **A response** (answers, a comment, who responded by name) is seen by its own
  municipality and by the sender's side: the sender and the sender municipality's
  administrators, who see every delivery.

Council membership is people's (``Tenant.council``), asked of people as the caller when a
contact is set or a request is sent; a contact records the council its municipality was
in then.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from subgraphs.core.events import publish_on_commit
from subgraphs.core.principal import ROLE_COUNCIL_LIAISON, Principal
from subgraphs.notices.access import as_uuid
from subgraphs.notices.actions import (
    NoticeError,
    Outcome,
    _answer_value,
    _aware_utc,
    check_questions,
    notices_group,
    sanitise_body,
)
from subgraphs.notices.models import (
    BODY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    CouncilContact,
    CouncilDelivery,
    CouncilPurpose,
    CouncilRequest,
    SurveyQuestion,
)

COUNCIL_EVENT_TYPE = "notices.council"


class CouncilKind:
    RECEIVED = "RECEIVED"
    RESPONDED = "RESPONDED"
    COMPLETED = "COMPLETED"


def may_send(principal: Principal) -> bool:
    return principal.is_tenant_admin or ROLE_COUNCIL_LIAISON in principal.roles


# --- who sees what ----------------------------------------------------------------------


def _own_deliveries(
    principal: Principal, departments: frozenset[uuid.UUID]
) -> QuerySet[CouncilDelivery]:
    """Deliveries to the principal's municipality they may handle: all of them for its
    administrators, else those for a contact department they work in."""
    rows = CouncilDelivery.objects.for_principal(principal)
    if principal.is_tenant_admin:
        return rows
    return rows.filter(department_id__in=list(departments))


def is_sender_side(principal: Principal, request: CouncilRequest) -> bool:
    """The sender, and the sender municipality's administrators: they see every response."""
    return (
        principal.is_authenticated
        and request.tenant_id == principal.tenant_id
        and (principal.is_tenant_admin or request.sender_id == principal.person_id)
    )


def visible_council_requests(
    principal: Principal, departments: frozenset[uuid.UUID]
) -> QuerySet[CouncilRequest]:
    """Requests the principal's side sent, or their municipality received and they handle.

    Cross-tenant by design: a received request's row belongs to the sender's municipality.
    It is reached only through a delivery of the principal's own municipality.
    """
    if not principal.is_authenticated:
        return CouncilRequest.objects.none()
    sent = Q(tenant_id=principal.tenant_id)
    if not principal.is_tenant_admin:
        sent &= Q(sender_id=principal.person_id)
    received = Q(id__in=received_request_ids(principal, departments))
    return CouncilRequest.objects.filter(sent | received)


def received_request_ids(
    principal: Principal, departments: frozenset[uuid.UUID]
) -> QuerySet[CouncilDelivery]:
    """IDs of the requests the principal's municipality received that they handle."""
    return _own_deliveries(principal, departments).values("request_id")  # type: ignore[return-value]


def access_council_request_by_id(
    principal: Principal,
    request_id: object,
    departments: frozenset[uuid.UUID],
    *,
    for_update: bool = False,
) -> CouncilRequest | None:
    pk = as_uuid(request_id)
    if pk is None:
        return None
    rows = visible_council_requests(principal, departments).filter(id=pk)
    if for_update:
        rows = rows.select_for_update()
    return rows.first()


def own_delivery(
    principal: Principal, request: CouncilRequest, departments: frozenset[uuid.UUID]
) -> CouncilDelivery | None:
    """The delivery of the principal's municipality, if they handle it."""
    return _own_deliveries(principal, departments).filter(request=request).first()


def deliveries_by_request(
    principal: Principal, requests: Sequence[CouncilRequest]
) -> dict[uuid.UUID, list[CouncilDelivery]]:
    """Every delivery of the requests whose sender side the principal is on.

    Cross-tenant by design: these rows belong to the receiving municipalities.
    """
    mine = [r.id for r in requests if is_sender_side(principal, r)]
    found: dict[uuid.UUID, list[CouncilDelivery]] = {pk: [] for pk in mine}
    if mine:
        for row in CouncilDelivery.objects.filter(request_id__in=mine).order_by("tenant_code"):
            found[row.request_id].append(row)
    return found


def own_deliveries_by_request(
    principal: Principal, request_ids: Sequence[uuid.UUID], departments: frozenset[uuid.UUID]
) -> dict[uuid.UUID, CouncilDelivery]:
    rows = _own_deliveries(principal, departments).filter(request_id__in=list(request_ids))
    return {row.request_id: row for row in rows}


# --- contacts ----------------------------------------------------------------------------


@transaction.atomic
def do_set_council_contact(
    principal: Principal,
    purpose: str,
    department_id: object,
    tenant: Mapping[str, Any],
) -> Outcome:
    """Set (or with no department, clear) the municipality's contact for ``purpose``.

    ``tenant`` is people's answer about the principal's municipality: code, name, council.
    Administrators only; the GraphQL layer checks the role and that the department is one
    of the municipality's.
    """
    assert principal.tenant_id is not None and principal.person_id is not None
    if purpose not in CouncilPurpose.values:
        return Outcome(errors=[NoticeError("INVALID", f"Unknown purpose {purpose!r}.", "purpose")])
    rows = CouncilContact.objects.for_principal(principal).filter(purpose=purpose)
    if department_id is None:
        rows.delete()
        return Outcome(obj=None)
    council = tenant.get("council")
    if not council:
        message = "Your municipality is in no council."
        return Outcome(errors=[NoticeError("NOT_IN_COUNCIL", message, None)])
    department = as_uuid(department_id)
    if department is None:
        return Outcome(errors=[NoticeError("INVALID", "Not an ID.", "departmentId")])
    contact, _ = CouncilContact.objects.update_or_create(
        tenant_id=principal.tenant_id,
        purpose=purpose,
        defaults={
            "council_id": uuid.UUID(council["id"]),
            "department_id": department,
            "tenant_code": tenant["code"],
            "tenant_name": tenant["name"],
            "updated_by": principal.person_id,
            "updated_at": timezone.now(),
        },
    )
    return Outcome(obj=contact)


# --- sending -----------------------------------------------------------------------------


@transaction.atomic
def do_send_council_request(
    principal: Principal,
    tenant: Mapping[str, Any],
    values: Mapping[str, Any],
    questions: list[Mapping[str, Any]],
) -> Outcome:
    """Send a survey or circulation to the contacts for its purpose of every municipality
    of the sender's council (the sender's own too, if it named a contact)."""
    assert principal.tenant_id is not None and principal.person_id is not None
    if not may_send(principal):
        message = "Only administrators and council liaisons send to the council."
        return Outcome(errors=[NoticeError("NOT_COUNCIL_SENDER", message, None)])
    council = tenant.get("council")
    if not council:
        message = "Your municipality is in no council."
        return Outcome(errors=[NoticeError("NOT_IN_COUNCIL", message, None)])
    errors: list[NoticeError] = []
    kind = str(values.get("kind") or "")
    if kind not in CouncilRequest.Kind.values:
        errors.append(NoticeError("INVALID", f"Unknown kind {kind!r}.", "kind"))
    purpose = str(values.get("purpose") or "")
    if purpose not in CouncilPurpose.values:
        errors.append(NoticeError("INVALID", f"Unknown purpose {purpose!r}.", "purpose"))
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        errors.append(NoticeError("REQUIRED", "Give it a title.", "title"))
    elif len(title) > TITLE_MAX_LENGTH:
        errors.append(NoticeError("TOO_LONG", f"At most {TITLE_MAX_LENGTH} characters.", "title"))
    body = sanitise_body(str(values.get("body") or ""))
    if len(body) > BODY_MAX_LENGTH:
        errors.append(NoticeError("TOO_LONG", f"At most {BODY_MAX_LENGTH} characters.", "body"))
    now = timezone.now()
    closes_at = _aware_utc(values["closes_at"]) if values.get("closes_at") else None
    if closes_at is not None and closes_at <= now:
        errors.append(NoticeError("IN_THE_PAST", "It must close in the future.", "closesAt"))
    cleaned: list[dict[str, Any]] = []
    if kind == CouncilRequest.Kind.SURVEY:
        question_errors, cleaned = check_questions(list(questions))
        errors += question_errors
    elif questions:
        errors.append(NoticeError("INVALID", "Only a survey has questions.", "questions"))
    council_id = uuid.UUID(council["id"])
    # Cross-tenant: the member municipalities' contacts are what a request is sent to.
    contacts = list(
        CouncilContact.objects.filter(council_id=council_id, purpose=purpose).order_by(
            "tenant_code"
        )
    )
    if not contacts and not errors:
        message = "No municipality of your council has a contact for that purpose."
        errors.append(NoticeError("NO_RECIPIENTS", message, "purpose"))
    if errors:
        return Outcome(errors=errors)
    request = CouncilRequest.objects.create(
        tenant_id=principal.tenant_id,
        council_id=council_id,
        sender_id=principal.person_id,
        sender_tenant_name=str(tenant["name"]),
        purpose=purpose,
        kind=kind,
        title=title,
        body=body,
        questions=[{"id": uuid.uuid4().hex, **q} for q in cleaned],
        closes_at=closes_at,
        created_at=now,
    )
    CouncilDelivery.objects.bulk_create(
        [
            CouncilDelivery(
                tenant_id=c.tenant_id,
                request=request,
                department_id=c.department_id,
                tenant_code=c.tenant_code,
                tenant_name=c.tenant_name,
            )
            for c in contacts
        ]
    )
    for tenant_id in {c.tenant_id for c in contacts}:
        _publish(request, CouncilKind.RECEIVED, tenant_id)
    return Outcome(obj=request)


# --- responding --------------------------------------------------------------------------


def _state_error(request: CouncilRequest, now: datetime) -> NoticeError | None:
    if request.status == CouncilRequest.Status.COMPLETED:
        return NoticeError("COMPLETED", "It is completed: no more responses.", "id")
    if request.closes_at is not None and request.closes_at <= now:
        return NoticeError("COUNCIL_REQUEST_CLOSED", "It is closed.", "id")
    return None


def _question(data: Mapping[str, Any]) -> SurveyQuestion:
    return SurveyQuestion(kind=data["kind"], choices=list(data.get("choices") or []))


def check_answers(
    request: CouncilRequest, answers: Sequence[Mapping[str, Any]]
) -> tuple[list[NoticeError], list[dict[str, Any]]]:
    """Answers as stored ([{"question", "value"}] in question order; blanks left out),
    checked as a survey's answers are."""
    questions = {q["id"]: q for q in request.questions or []}
    errors: list[NoticeError] = []
    values: dict[str, Any] = {}
    failed: set[str] = set()
    if request.kind != CouncilRequest.Kind.SURVEY and answers:
        message = "A circulation takes a comment, not answers."
        return [NoticeError("INVALID", message, "answers")], []
    for n, answer in enumerate(answers):
        at = f"answers.{n}"
        key = as_uuid(answer.get("question_id"))
        question = questions.get(key.hex) if key else None
        if question is None:
            errors.append(NoticeError("NOT_FOUND", "No such question in this request.", at))
            continue
        if question["id"] in values:
            errors.append(NoticeError("DUPLICATE", "Answer each question once.", at))
            continue
        value, error = _answer_value(_question(question), answer, at)
        if error is not None:
            errors.append(error)
            failed.add(question["id"])
        values[question["id"]] = value
    for position, question in enumerate(request.questions or []):
        missing = values.get(question["id"]) is None and question["id"] not in failed
        if question.get("required") and missing:
            message = f"Answer question {position + 1}."
            errors.append(NoticeError("REQUIRED", message, f"questions.{position}"))
    ordered = [
        {"question": q["id"], "value": values[q["id"]]}
        for q in request.questions or []
        if values.get(q["id"]) is not None
    ]
    return errors, ordered


@transaction.atomic
def do_respond_to_council_request(
    principal: Principal,
    departments: frozenset[uuid.UUID],
    request_id: object,
    comment: str | None,
    answers: Sequence[Mapping[str, Any]],
    responder_name: str,
) -> Outcome:
    """Respond (or change the response) for the principal's municipality: confirm a
    circulation with an optional comment, or answer a survey, until it closes."""
    assert principal.person_id is not None
    request = access_council_request_by_id(principal, request_id, departments, for_update=True)
    delivery = own_delivery(principal, request, departments) if request else None
    if request is None or delivery is None:
        message = "No such council request for your municipality."
        return Outcome(errors=[NoticeError("NOT_FOUND", message, "id")])
    now = timezone.now()
    state = _state_error(request, now)
    if state is not None:
        return Outcome(errors=[state])
    text = (comment or "").strip()
    errors: list[NoticeError] = []
    if len(text) > COMMENT_MAX_LENGTH:
        message = f"At most {COMMENT_MAX_LENGTH} characters."
        errors.append(NoticeError("TOO_LONG", message, "comment"))
    answer_errors, values = check_answers(request, answers)
    errors += answer_errors
    if errors:
        return Outcome(errors=errors)
    delivery.answers = values
    delivery.comment = text
    delivery.responded_at = now
    delivery.responded_by = principal.person_id
    delivery.responded_by_name = responder_name[:100]
    delivery.opened_at = delivery.opened_at or now
    delivery.version += 1
    delivery.save()
    request.version += 1
    request.save(update_fields=["version"])
    _publish(request, CouncilKind.RESPONDED, request.tenant_id)
    if delivery.tenant_id != request.tenant_id:
        _publish(request, CouncilKind.RESPONDED, delivery.tenant_id)
    return Outcome(obj=request)


@transaction.atomic
def do_complete_council_request(
    principal: Principal, departments: frozenset[uuid.UUID], request_id: object
) -> Outcome:
    """The sender side ends the request: no more responses."""
    request = access_council_request_by_id(principal, request_id, departments, for_update=True)
    if request is None:
        return Outcome(errors=[NoticeError("NOT_FOUND", "No such council request.", "id")])
    if not is_sender_side(principal, request):
        message = "Only its sender or their administrators may complete it."
        return Outcome(errors=[NoticeError("NOT_AUTHOR", message, "id")])
    if request.status == CouncilRequest.Status.COMPLETED:
        return Outcome(errors=[NoticeError("COMPLETED", "It is completed already.", "id")])
    request.status = CouncilRequest.Status.COMPLETED
    request.completed_at = timezone.now()
    request.version += 1
    request.save()
    tenants = set(request.deliveries.values_list("tenant_id", flat=True)) | {request.tenant_id}
    for tenant_id in tenants:
        _publish(request, CouncilKind.COMPLETED, tenant_id)
    return Outcome(obj=request)


def _publish(request: CouncilRequest, kind: str, tenant_id: uuid.UUID) -> None:
    """A hint to one municipality's subscribers; each re-reads what it may see."""
    message = {
        "type": COUNCIL_EVENT_TYPE,
        "kind": kind,
        "council_request_id": str(request.id),
        "version": request.version,
    }
    publish_on_commit(notices_group(tenant_id), message)
