"""Survey results: aggregated per question for the owner, and as CSV for Excel.

Anonymous surveys never show who answered: results carry no person, and the CSV has no
name column, no answer times, and its rows in an order that follows the answers, not the
people (sorted by their cells), so the sequence of answering reveals nothing either.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from subgraphs.core.spreadsheet import neutralise_formula
from subgraphs.notices.models import (
    CouncilDelivery,
    CouncilRequest,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
)

JAPAN = ZoneInfo("Asia/Tokyo")
CHOICE_SEPARATOR = "、"


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answer_count: int = 0
    choice_counts: list[int] = field(default_factory=list)
    numbers: list[Decimal] = field(default_factory=list)
    dates: Counter[str] = field(default_factory=Counter)
    texts: list[tuple[uuid.UUID | None, str]] = field(default_factory=list)


def results_of(
    survey: Survey, questions: list[SurveyQuestion], answers: Iterable[SurveyAnswer]
) -> list[QuestionResult]:
    """Every question with what its answers add up to, in question order."""
    found = {
        q.id: QuestionResult(question=q, choice_counts=[0] * len(q.choices or []))
        for q in questions
    }
    for answer in sorted(answers, key=lambda a: (a.answered_at, a.id or 0)):
        result = found.get(answer.question_id)
        if result is None:
            continue
        result.answer_count += 1
        kind, value = result.question.kind, answer.value
        if kind in ("SINGLE_CHOICE", "MULTIPLE_CHOICE"):
            for index in value:
                if 0 <= index < len(result.choice_counts):
                    result.choice_counts[index] += 1
        elif kind == "NUMBER":
            result.numbers.append(Decimal(value))
        elif kind == "DATE":
            result.dates[value] += 1
        else:
            result.texts.append((None if survey.anonymous else answer.person_id, value))
    return [found[q.id] for q in questions]


def cell_of(question: SurveyQuestion, value: object) -> str:
    if value is None:
        return ""
    if question.kind in ("SINGLE_CHOICE", "MULTIPLE_CHOICE"):
        choices = question.choices or []
        return CHOICE_SEPARATOR.join(choices[i] for i in value if 0 <= i < len(choices))  # type: ignore[attr-defined]
    return str(value)


@dataclass(frozen=True)
class CsvFile:
    filename: str
    encoding: str
    content: bytes
    lossy: bool  # characters the encoding cannot hold were written as "?"


def results_csv(
    survey: Survey,
    questions: list[SurveyQuestion],
    answers: Iterable[SurveyAnswer],
    people: Mapping[uuid.UUID, tuple[str, str]],
    *,
    encoding: str = "cp932",
) -> CsvFile:
    """One row per respondent, one column per question, as Japanese Excel opens it.

    ``people`` gives (login ID, name) of each respondent of a named survey. CP932 (the
    default) cannot hold every character people type (emoji, some 異体字): those become
    "?" and ``lossy`` says so, so the screen can offer UTF-8 (with BOM, which Excel reads).
    Cells a spreadsheet would run as formulas get a leading ``'``.
    """
    by_person: dict[uuid.UUID, dict[uuid.UUID, object]] = defaultdict(dict)
    answered: dict[uuid.UUID, datetime] = {}
    for answer in answers:
        by_person[answer.person_id][answer.question_id] = answer.value
        answered[answer.person_id] = max(
            answer.answered_at, answered.get(answer.person_id, answer.answered_at)
        )
    header = [f"Q{q.position + 1} {q.text}" for q in questions]
    rows: list[list[str]] = []
    for person_id, values in by_person.items():
        cells = [cell_of(q, values.get(q.id)) for q in questions]
        if not survey.anonymous:
            login_id, name = people.get(person_id, ("", ""))
            when = answered[person_id].astimezone(JAPAN).strftime("%Y/%m/%d %H:%M")
            cells = [login_id, name, when, *cells]
        rows.append(cells)
    if survey.anonymous:
        rows.sort()
    else:
        header = ["職員番号", "氏名", "回答日時", *header]
        rows.sort(key=lambda r: r[2])
    return encode_csv(f"survey-{survey.id}.csv", [header, *rows], encoding)


def encode_csv(filename: str, rows: Iterable[list[str]], encoding: str) -> CsvFile:
    """Rows as Japanese Excel opens them: CRLF, formulas neutralised, CP932 or UTF-8+BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise_formula(cell) for cell in row])
    text = buffer.getvalue()
    if encoding == "utf-8":
        return CsvFile(filename, "utf-8", b"\xef\xbb\xbf" + text.encode(), False)
    content = text.encode("cp932", errors="replace")
    lossy = content.decode("cp932") != text
    return CsvFile(filename, "cp932", content, lossy)


def council_results_csv(
    request: CouncilRequest, deliveries: Iterable[CouncilDelivery], *, encoding: str = "cp932"
) -> CsvFile:
    """One row per member municipality (responded or not), for the sender's side: code,
    name, who responded and when, the comment, then one column per question."""
    questions = [
        SurveyQuestion(kind=q["kind"], text=q["text"], choices=list(q.get("choices") or []))
        for q in request.questions or []
    ]
    ids = [q["id"] for q in request.questions or []]
    header = ["団体コード", "団体名", "回答者", "回答日時", "コメント"]
    header += [f"Q{n + 1} {q.text}" for n, q in enumerate(questions)]
    rows: list[list[str]] = [header]
    for delivery in deliveries:
        values = {a["question"]: a["value"] for a in delivery.answers or []}
        when = delivery.responded_at
        rows.append(
            [
                delivery.tenant_code,
                delivery.tenant_name,
                delivery.responded_by_name or "",
                when.astimezone(JAPAN).strftime("%Y/%m/%d %H:%M") if when else "",
                delivery.comment,
                *(cell_of(q, values.get(key)) for q, key in zip(questions, ids, strict=True)),
            ]
        )
    return encode_csv(f"council-{request.id}.csv", rows, encoding)
