"""Per-operation DataLoaders of the notices subgraph; each applies the tenant scope.

Build them through ``context.loader(...)`` so one operation shares one and no operation
sees another's cache. Every loader answers a whole list (a board page, ``_entities`` for a
hundred people) with one SQL query.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.db.models import Count, Q
from django.utils import timezone
from strawberry.dataloader import DataLoader

from subgraphs.core.graphql.context import YuiContext
from subgraphs.notices import council
from subgraphs.notices.access import visible_circulations, visible_notices, visible_surveys
from subgraphs.notices.models import (
    Attachment,
    Circulation,
    CirculationComment,
    CirculationRecipient,
    CirculationWatch,
    CouncilDelivery,
    CouncilRequest,
    Notice,
    NoticeRecipient,
    NoticeReminder,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRecipient,
)


class NoticeByIdLoader(DataLoader[uuid.UUID, Notice | None]):
    """Notices the principal may read, by ID (None for anything else)."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[Notice | None]:
            rows = visible_notices(principal).filter(id__in=set(keys)).select_related("category")
            found = {n.id: n for n in rows}
            return [found.get(k) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class MyReceiptByNoticeLoader(DataLoader[uuid.UUID, NoticeRecipient | None]):
    """The principal's own recipient row of each notice (None: not a recipient)."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[NoticeRecipient | None]:
            rows = NoticeRecipient.objects.for_principal(principal).filter(
                person_id=principal.person_id, notice_id__in=set(keys)
            )
            found = {r.notice_id: r for r in rows}
            return [found.get(k) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


@dataclass(frozen=True)
class ReadCounts:
    recipients: int
    read: int


class ReadCountsByNoticeLoader(DataLoader[uuid.UUID, ReadCounts]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[ReadCounts]:
            rows = (
                NoticeRecipient.objects.for_principal(principal)
                .filter(notice_id__in=set(keys))
                .values("notice_id")
                .annotate(total=Count("id"), read=Count("read_at"))
            )
            found = {r["notice_id"]: ReadCounts(r["total"], r["read"]) for r in rows}
            return [found.get(k, ReadCounts(0, 0)) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class RecipientsByNoticeLoader(DataLoader[uuid.UUID, list[NoticeRecipient]]):
    """Every recipient row of each notice: readers by the time they read, then the rest.

    Only for those who manage the notice: the type checks that before it asks.
    """

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[NoticeRecipient]]:
            rows = (
                NoticeRecipient.objects.for_principal(principal)
                .filter(notice_id__in=set(keys))
                .order_by("notice_id", "read_at", "id")
            )
            found: dict[uuid.UUID, list[NoticeRecipient]] = defaultdict(list)
            for row in rows:
                found[row.notice_id].append(row)
            return [found.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class RemindersByNoticeLoader(DataLoader[uuid.UUID, list[NoticeReminder]]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[NoticeReminder]]:
            rows = NoticeReminder.objects.for_principal(principal).filter(notice_id__in=set(keys))
            found: dict[uuid.UUID, list[NoticeReminder]] = defaultdict(list)
            for row in rows.order_by("sent_at", "id"):
                found[row.notice_id].append(row)
            return [found.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


def open_now() -> Q:
    """Notices within their posting period (started, not ended), seen from a recipient row."""
    now = timezone.now()
    return Q(notice__starts_at__lte=now) & (
        Q(notice__ends_at__isnull=True) | Q(notice__ends_at__gt=now)
    )


class UnreadNoticeCountByPersonLoader(DataLoader[uuid.UUID, int]):
    """How many notices within their posting period each person has not read."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[int]:
            rows = (
                NoticeRecipient.objects.for_principal(principal)
                .filter(open_now(), person_id__in=set(keys), read_at__isnull=True)
                .values("person_id")
                .annotate(unread=Count("id"))
            )
            found = {r["person_id"]: r["unread"] for r in rows}
            return [found.get(k, 0) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


# --- circulation ----------------------------------------------------------------------


class CirculationByIdLoader(DataLoader[uuid.UUID, Circulation | None]):
    """Circulations the principal sent or received, by ID (None for anything else)."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[Circulation | None]:
            found = {c.id: c for c in visible_circulations(principal).filter(id__in=set(keys))}
            return [found.get(k) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class MyCirculationReceiptLoader(DataLoader[uuid.UUID, CirculationRecipient | None]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[CirculationRecipient | None]:
            rows = CirculationRecipient.objects.for_principal(principal).filter(
                person_id=principal.person_id, circulation_id__in=set(keys)
            )
            found = {r.circulation_id: r for r in rows}
            return [found.get(k) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class CirculationRecipientsLoader(DataLoader[uuid.UUID, list[CirculationRecipient]]):
    """Every recipient of each circulation, confirmed ones by the time they confirmed."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[CirculationRecipient]]:
            rows = (
                CirculationRecipient.objects.for_principal(principal)
                .filter(circulation_id__in=set(keys))
                .order_by("circulation_id", "confirmed_at", "id")
            )
            found: dict[uuid.UUID, list[CirculationRecipient]] = defaultdict(list)
            for row in rows:
                found[row.circulation_id].append(row)
            return [found.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class CirculationCommentsLoader(DataLoader[uuid.UUID, list[CirculationComment]]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[CirculationComment]]:
            rows = CirculationComment.objects.for_principal(principal).filter(
                circulation_id__in=set(keys)
            )
            found: dict[uuid.UUID, list[CirculationComment]] = defaultdict(list)
            for row in rows.order_by("created_at", "id"):
                found[row.circulation_id].append(row)
            return [found.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class MyWatchLoader(DataLoader[uuid.UUID, bool]):
    """Whether each circulation is on the principal's watch list."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[bool]:
            watched = set(
                CirculationWatch.objects.for_principal(principal)
                .filter(person_id=principal.person_id, circulation_id__in=set(keys))
                .values_list("circulation_id", flat=True)
            )
            return [k in watched for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class PendingCirculationCountByPersonLoader(DataLoader[uuid.UUID, int]):
    """How many circulations still being circulated each person has not confirmed."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[int]:
            rows = (
                CirculationRecipient.objects.for_principal(principal)
                .filter(
                    person_id__in=set(keys),
                    confirmed_at__isnull=True,
                    circulation__status=Circulation.Status.SENT,
                )
                .values("person_id")
                .annotate(pending=Count("id"))
            )
            found = {r["person_id"]: r["pending"] for r in rows}
            return [found.get(k, 0) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


# --- surveys ----------------------------------------------------------------------------


def _grouped(rows: Iterable[Any], key: str, keys: Sequence[uuid.UUID]) -> list[list[Any]]:
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        found[getattr(row, key)].append(row)
    return [found.get(k, []) for k in keys]


class SurveyByIdLoader(DataLoader[uuid.UUID, Survey | None]):
    """Surveys the principal owns or was asked to answer (once open), by ID."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[Survey | None]:
            found = {s.id: s for s in visible_surveys(principal).filter(id__in=set(keys))}
            return [found.get(k) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class QuestionsBySurveyLoader(DataLoader[uuid.UUID, list[SurveyQuestion]]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[SurveyQuestion]]:
            rows = SurveyQuestion.objects.for_principal(principal).filter(survey_id__in=set(keys))
            return _grouped(rows.order_by("survey_id", "position"), "survey_id", keys)

        super().__init__(load_fn=sync_to_async(batch))


class MySurveyReceiptLoader(DataLoader[uuid.UUID, SurveyRecipient | None]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[SurveyRecipient | None]:
            rows = SurveyRecipient.objects.for_principal(principal).filter(
                person_id=principal.person_id, survey_id__in=set(keys)
            )
            found = {r.survey_id: r for r in rows}
            return [found.get(k) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class MyAnswersBySurveyLoader(DataLoader[uuid.UUID, list[SurveyAnswer]]):
    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[SurveyAnswer]]:
            rows = SurveyAnswer.objects.for_principal(principal).filter(
                person_id=principal.person_id, survey_id__in=set(keys)
            )
            rows = rows.select_related("question").order_by("survey_id", "question__position")
            return _grouped(rows, "survey_id", keys)

        super().__init__(load_fn=sync_to_async(batch))


class SurveyRecipientsLoader(DataLoader[uuid.UUID, list[SurveyRecipient]]):
    """Everyone asked, per survey (for its owner: the type checks that first)."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[SurveyRecipient]]:
            rows = SurveyRecipient.objects.for_principal(principal).filter(survey_id__in=set(keys))
            return _grouped(rows.order_by("survey_id", "answered_at", "id"), "survey_id", keys)

        super().__init__(load_fn=sync_to_async(batch))


class AnswersBySurveyLoader(DataLoader[uuid.UUID, list[SurveyAnswer]]):
    """Every answer, per survey (for its owner's results: the type checks that first)."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[list[SurveyAnswer]]:
            rows = SurveyAnswer.objects.for_principal(principal).filter(survey_id__in=set(keys))
            return _grouped(rows.order_by("survey_id", "answered_at", "id"), "survey_id", keys)

        super().__init__(load_fn=sync_to_async(batch))


class OpenSurveyCountByPersonLoader(DataLoader[uuid.UUID, int]):
    """How many open surveys each person has been asked and not answered yet."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[uuid.UUID]) -> list[int]:
            now = timezone.now()
            rows = (
                SurveyRecipient.objects.for_principal(principal)
                .filter(
                    Q(survey__closes_at__isnull=True) | Q(survey__closes_at__gt=now),
                    person_id__in=set(keys),
                    answered_at__isnull=True,
                    survey__opens_at__lte=now,
                )
                .values("person_id")
                .annotate(open=Count("id"))
            )
            found = {r["person_id"]: r["open"] for r in rows}
            return [found.get(k, 0) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class _AttachmentsLoader(DataLoader[uuid.UUID, list[Attachment]]):
    """Attachments of items the type has already read (so may be seen), one query a page."""

    field = ""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal
        column = self.field

        def batch(keys: Sequence[uuid.UUID]) -> list[list[Attachment]]:
            rows = Attachment.objects.for_principal(principal).filter(
                **{f"{column}_id__in": set(keys)}
            )
            found: dict[uuid.UUID, list[Attachment]] = defaultdict(list)
            for row in rows.order_by("position", "created_at"):
                found[getattr(row, f"{column}_id")].append(row)
            return [found.get(k, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))


class AttachmentsByNoticeLoader(_AttachmentsLoader):
    field = "notice"


class AttachmentsByCirculationLoader(_AttachmentsLoader):
    field = "circulation"


# --- across the council -------------------------------------------------------------------


async def viewer_departments(context: YuiContext) -> frozenset[uuid.UUID]:
    """The viewer's departments, which decide the council requests they handle; not asked
    of people for administrators, who handle every one of their municipality's."""
    if context.principal.is_tenant_admin:
        return frozenset()
    from subgraphs.notices.graphql.types import ViewerDepartments

    return await context.loader(ViewerDepartments).get()


class CouncilRequestByIdLoader(DataLoader[uuid.UUID, CouncilRequest | None]):
    """Council requests the viewer's side sent or their municipality received and they
    handle, by ID (None for anything else)."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def fetch(
            keys: Sequence[uuid.UUID], departments: frozenset[uuid.UUID]
        ) -> list[CouncilRequest | None]:
            rows = council.visible_council_requests(principal, departments).filter(id__in=set(keys))
            found = {r.id: r for r in rows}
            return [found.get(k) for k in keys]

        async def batch(keys: Sequence[uuid.UUID]) -> list[CouncilRequest | None]:
            return await sync_to_async(fetch)(keys, await viewer_departments(context))

        super().__init__(load_fn=batch)


class OwnCouncilDeliveryLoader(DataLoader[uuid.UUID, CouncilDelivery | None]):
    """The viewer's municipality's delivery of each request, if they handle it."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        async def batch(keys: Sequence[uuid.UUID]) -> list[CouncilDelivery | None]:
            departments = await viewer_departments(context)
            found = await sync_to_async(council.own_deliveries_by_request)(
                principal, keys, departments
            )
            return [found.get(k) for k in keys]

        super().__init__(load_fn=batch)


class CouncilDeliveriesLoader(DataLoader[CouncilRequest, list[CouncilDelivery]]):
    """Every delivery of requests whose sender side the viewer is on (else empty)."""

    def __init__(self, context: YuiContext) -> None:
        principal = context.principal

        def batch(keys: Sequence[CouncilRequest]) -> list[list[CouncilDelivery]]:
            found = council.deliveries_by_request(principal, keys)
            return [found.get(k.id, []) for k in keys]

        super().__init__(load_fn=sync_to_async(batch))
