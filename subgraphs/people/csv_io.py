"""CSV import and export of one tenant's departments and staff.

Municipal personnel systems hand over their data as CSV saved by Japanese Excel, so the
import accepts what those files really are: CP932 (not strict Shift_JIS, which fails on
髙, ① and ㈱) or UTF-8 with or without a BOM, CRLF line ends, codes with leading zeros
(``001`` stays a string), readings in half-width kana. Headers are Japanese, or the English
aliases, in any order.

An import is all or nothing: every row is checked first and every problem is reported with
its line and column; only a file without a single error is written, in one transaction
with bulk statements (one read of the tenant's departments and staff, no per-row queries).
Rows are matched by department code / login ID within the tenant; only rows whose values
differ are updated.

A column left out of the file leaves that field untouched (new rows get the default), so
an office may send only ``ログインID,氏名,内線番号`` to update extensions. Only the key and
the name columns are required.

Excel's "Unicode text" (UTF-16 with a BOM, tab-separated) is read as well: the delimiter is
taken from the header line, whatever the encoding.

Cells a spreadsheet would run as a formula are written with a leading ``'`` on export and
read back without it (see ``quote_formula``), so a round trip changes no byte.

Every error carries a stable ``code`` (``ERROR_CODES``) for the UI's messages.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone

from subgraphs.audit import actions as audit
from subgraphs.people.actions import rebuild_organization_tree
from subgraphs.people.kana import normalize_kana
from subgraphs.people.messages import t
from subgraphs.people.models import (
    AccessToken,
    Organization,
    Person,
    PersonAdditionalDepartment,
    Source,
    Tenant,
)

KINDS = ("organizations", "staff")

BATCH_SIZE = 500
# IntegerField range on PostgreSQL; SQLite would store anything, so check it here to fail
# the same way on both.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Separators of additional department codes; the full-width one is what an IME gives.
ADDITIONAL_SEPARATORS = (";", "；")
PROGRESS_EVERY = 200
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

ProgressCallback = Callable[[int, int], None]


# The codes of import errors: stable, for the UI's (Japanese) messages; the English
# message beside each error is for logs and the command line.
ERROR_CODES = {
    "UNKNOWN_ENCODING": "the encoding named is not a text encoding",
    "BAD_ENCODING": "the bytes cannot be read in the encoding (named or detected)",
    "EMPTY_FILE": "no header line",
    "MALFORMED_CSV": "a quote is left open, or similar",
    "UNKNOWN_COLUMN": "a header that is not a column of this kind",
    "MISSING_COLUMN": "a required column is not in the header",
    "DUPLICATE_COLUMN": "a column appears twice in the header",
    "COLUMN_COUNT": "a row has more or fewer cells than the header",
    "REQUIRED": "a required value is empty",
    "TOO_LONG": "a value is longer than its column holds",
    "CONTROL_CHARACTER": "a value holds a control character",
    "NOT_INTEGER": "a display order that is not a whole number",
    "OUT_OF_RANGE": "a display order beyond what the database holds",
    "INVALID_EMAIL": "not an e-mail address",
    "DUPLICATE_CODE": "a department code on two lines of the file",
    "DUPLICATE_LOGIN_ID": "a login ID on two lines of the file",
    "UNKNOWN_DEPARTMENT": "a department code the tenant does not have",
    "INACTIVE_DEPARTMENT": "a department code of a deactivated department",
    "UNKNOWN_PARENT": "a parent code neither in the file nor in the tenant",
    "PARENT_NOT_IN_FILE": "the parent would be deactivated with its children active",
    "PARENT_CYCLE": "parent codes that form a loop",
    "DEPARTMENT_HAS_STAFF": "a department to deactivate that active staff still belong to",
    "DEPARTMENT_HAS_CHILDREN": "a department to deactivate above one made by hand that stays",
    "NO_ROWS": "deactivation asked for with a file without rows",
    "SELF_DEACTIVATION": "the file would deactivate the administrator importing it",
    "NO_INPUT": "neither a file nor text was sent (GraphQL)",
}


@dataclass(frozen=True)
class CsvRowError:
    """One problem of an import: ``line`` is the physical line in the file (the header is
    line 1; None for the whole file), ``column`` the header as written in the file,
    ``code`` one of ``ERROR_CODES``."""

    line: int | None
    column: str | None
    code: str
    message: str

    def __post_init__(self) -> None:
        assert self.code in ERROR_CODES, self.code

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "file"
        column = f" [{self.column}]" if self.column else ""
        return f"{where}:{column} {self.code} {self.message}"


@dataclass
class ImportReport:
    """What an import did (or, on a dry run or when rejected, would do)."""

    kind: str
    encoding: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    # Only what is (or would be) deactivated because deactivate_missing was asked for.
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    errors: list[CsvRowError] = field(default_factory=list)
    applied: bool = False
    # Active rows of the tenant absent from the file that an import manages (departments;
    # staff the import made), whether or not they are deactivated.
    missing: list[str] = field(default_factory=list)
    # Active rows absent from the file that no import made (the account of `yui admin add`,
    # accounts and departments made in the UI or API): never the import's to deactivate,
    # listed so a preview shows them.
    unmanaged: list[str] = field(default_factory=list)
    rows: int = 0
    delimiter: str = ","
    # For a preview: the name of every row listed above (code / login ID -> name), and of
    # each updated row what changes, column by column, before -> after.
    names: dict[str, str] = field(default_factory=dict)
    changes: dict[str, list[FieldChange]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class FieldChange:
    """One column of an updated row, as text: ``field`` is the column's English alias
    (``name``, ``department_code`` ...) or ``is_active`` / ``source``; departments by code."""

    field: str
    before: str
    after: str


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _field_changes(
    current: Any, wanted: dict[str, Any], codes: dict[uuid.UUID, str]
) -> list[FieldChange]:
    """What setting ``wanted`` on ``current`` changes; department IDs shown as codes."""
    renamed = {"parent_id": "parent_code", "department_id": "department_code"}
    changes = []
    for name, after in wanted.items():
        before = getattr(current, name)
        if before == after:
            continue
        if name in renamed:
            before, after = codes.get(before, "") if before else "", codes.get(after, "")
        changes.append(FieldChange(renamed.get(name, name), _shown(before), _shown(after)))
    return changes


# --- formats ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # the Japanese header, written by the export
    alias: str  # the English alias
    required: bool = False
    max_length: int | None = None


def _max_length(model: type[models.Model], name: str) -> int | None:
    return model._meta.get_field(name).max_length  # type: ignore[union-attr]


ORGANIZATION_COLUMNS = (
    Column("code", "組織コード", "code", True, _max_length(Organization, "code")),
    Column("name", "組織名", "name", True, _max_length(Organization, "name")),
    Column("name_kana", "組織名カナ", "name_kana", False, _max_length(Organization, "name_kana")),
    Column(
        "parent_code", "上位組織コード", "parent_code", False, _max_length(Organization, "code")
    ),
    Column("sort_order", "表示順", "sort_order"),
)

STAFF_COLUMNS = (
    Column("login_id", "ログインID", "login_id", True, _max_length(Person, "login_id")),
    Column("name", "氏名", "name", True, _max_length(Person, "name")),
    Column("name_kana", "氏名カナ", "name_kana", False, _max_length(Person, "name_kana")),
    Column("email", "メールアドレス", "email", False, _max_length(Person, "email")),
    Column("department_code", "所属組織コード", "department_code", False),
    Column("additional_department_codes", "兼務組織コード", "additional_department_codes", False),
    Column("title", "役職", "title", False, _max_length(Person, "title")),
    Column("title_code", "役職コード", "title_code", False, _max_length(Person, "title_code")),
    Column("extension", "内線番号", "extension", False, _max_length(Person, "extension")),
    Column("sort_order", "表示順", "sort_order"),
)

COLUMNS = {"organizations": ORGANIZATION_COLUMNS, "staff": STAFF_COLUMNS}


def _header_key(text: str) -> str:
    # Excel users type headers with full-width letters ("ログインＩＤ") or odd case.
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _check_kind(kind: str) -> tuple[Column, ...]:
    if kind not in COLUMNS:
        raise ValueError(f"Unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return COLUMNS[kind]


# --- decoding ---------------------------------------------------------------------------


def _text_codec(name: str) -> str | None:
    """The canonical name of a text codec, or None when there is no such text codec."""
    try:
        info = codecs.lookup(name)
    except (LookupError, TypeError):
        return None
    try:
        "".encode(info.name)  # refuses bytes-to-bytes codecs such as base64
    except LookupError:
        return None
    return info.name


# Byte order marks, longest first: UTF-32 LE's begins with UTF-16 LE's.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
)
# How much of a file without a BOM is looked at for the NUL bytes of UTF-16.
_SNIFF_BYTES = 4096


def _decode_error(
    data: bytes, exc: UnicodeDecodeError, label: str, codec: str, skip: int = 0
) -> CsvRowError:
    start, end = exc.start + skip, exc.end + skip
    # Lines are counted in the text before the damage, so they are right for UTF-16 too.
    line = data[skip:start].decode(codec, errors="replace").count("\n") + 1
    bad = data[start:end].hex(" ").upper()
    return CsvRowError(
        line,
        None,
        "BAD_ENCODING",
        t(
            "The file cannot be read as {label} (byte {bad}); save it as CSV again or name "
            "its encoding.",
            label=label,
            bad=bad,
        ),
    )


def _decode_as(
    data: bytes, codec: str, label: str | None = None, skip: int = 0
) -> tuple[str | None, str, CsvRowError | None]:
    """``data[skip:]`` decoded with ``codec``; errors point into ``data`` (``skip`` is the
    BOM), and name the encoding as ``label``."""
    label = label or codec
    try:
        text = data[skip:].decode(codec)
    except UnicodeDecodeError as exc:
        return None, label, _decode_error(data, exc, label, codec, skip)
    # A BOM read with plain "utf-8" or "utf-16-le" would glue itself to the first header.
    return text.removeprefix("\ufeff"), label, None


def _guess_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII characters (digits of codes and login IDs, delimiters,
    line ends) put a NUL byte beside them, always on the same side. CP932 and UTF-8 text
    has none, bar a stray one (reported as a control character); the other side has a few
    only from characters such as U+3000 (the full-width space) or U+4E00 (一)."""
    head = data[:_SNIFF_BYTES]
    pairs = len(head) // 2
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd * 4 >= pairs and even * 4 < odd:
        return "utf-16-le"
    if even * 4 >= pairs and odd * 4 < even:
        return "utf-16-be"
    return None


def _decode(data: bytes, encoding: str | None) -> tuple[str | None, str, CsvRowError | None]:
    """The text, the codec used and the error that prevented decoding."""
    if encoding:
        codec = _text_codec(encoding)
        if codec is None:
            return (
                None,
                encoding,
                CsvRowError(
                    None,
                    None,
                    "UNKNOWN_ENCODING",
                    t(
                        "Unknown encoding {encoding}; use cp932, utf-8-sig, utf-8 or utf-16.",
                        encoding=repr(encoding),
                    ),
                ),
            )
        if codec == "utf-8-sig":
            # Decoded by hand: the utf-8-sig codec reports error offsets after its BOM.
            skip = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
            return _decode_as(data, "utf-8", "utf-8-sig", skip)
        return _decode_as(data, codec)
    for bom, label, codec in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, codec, label, len(bom))
    utf16 = _guess_utf16(data)
    if utf16 is not None:
        text, label, error = _decode_as(data, utf16)
        if error is None:
            return text, label, None
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError as utf8_exc:
        try:
            return data.decode("cp932"), "cp932", None
        except UnicodeDecodeError as cp932_exc:
            # Neither fits: the one that read further is the encoding the file was meant to
            # be in, and its failure points at the damaged line.
            if utf8_exc.start > cp932_exc.start:
                return None, "utf-8", _decode_error(data, utf8_exc, "utf-8", "utf-8")
            return None, "cp932", _decode_error(data, cp932_exc, "cp932", "cp932")


def _delimiter(text: str) -> str:
    """Tab or comma, whichever the header line holds more of: Excel's "Unicode text" and
    some personnel systems write tab-separated files, whatever their encoding."""
    header = text.split("\n", 1)[0]
    return "\t" if header.count("\t") > header.count(",") else ","


# --- formula cells ----------------------------------------------------------------------

# A cell starting with one of these is run as a formula by Excel (OWASP's CSV injection
# list: = + - @, tab and carriage return). Japanese Excel also reads the full-width
# ＝ ＋ － ＠ as the start of a formula (it converts full-width input as it does typing),
# so they are treated the same: quoting them costs nothing, as the import removes it.
FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
# A negative whole number (a display order, an extension "-123") is a number to Excel, not
# a formula: it is written as it is, so the sort order column stays numeric in Excel.
_NEGATIVE_INTEGER = re.compile(r"-[0-9]+")


def _is_formula(value: str) -> bool:
    return value[:1] in FORMULA_TRIGGERS and not _NEGATIVE_INTEGER.fullmatch(value)


def _needs_quote(value: str) -> bool:
    # Leading quotes are looked through, so a value that already starts with "'" and would
    # read as a formula without it gets one more: the import then removes exactly one, and
    # every value comes back as it was (`'=1` → `''=1` → `'=1`).
    return _is_formula(value.lstrip("'"))


def quote_formula(value: str) -> str:
    """The cell as the export writes it: with a leading ``'`` when a spreadsheet would run
    it as a formula (OWASP's advice), so ``=HYPERLINK(...)`` shows as text."""
    return "'" + value if _needs_quote(value) else value


def unquote_formula(cell: str) -> str:
    """The value of a cell as the import reads it: the one ``'`` that ``quote_formula``
    adds is removed, and only that one (``'001`` or ``'abc`` keep their quote)."""
    if cell.startswith("'") and _needs_quote(cell[1:]):
        return cell[1:]
    return cell


# --- reading the table ------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    values: dict[str, str]  # field -> trimmed value, for the columns the file has


@dataclass
class _Table:
    headers: dict[str, str]  # field -> header as written in the file
    rows: list[_Row]

    def has(self, name: str) -> bool:
        return name in self.headers


def _read_table(
    text: str, columns: tuple[Column, ...], errors: list[CsvRowError], delimiter: str = ","
) -> _Table | None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: Iterator[tuple[int, list[str]]] = _records(reader, errors)
    first = next(records, None)
    if first is None:
        if not errors:
            errors.append(CsvRowError(None, None, "EMPTY_FILE", t("The file is empty.")))
        return None
    _, header_cells = first
    while header_cells and not header_cells[-1].strip():
        header_cells.pop()  # Excel leaves empty columns at the right
    by_key: dict[str, Column] = {}
    for column in columns:
        by_key[_header_key(column.header)] = column
        by_key[_header_key(column.alias)] = column
    headers: dict[str, str] = {}
    positions: list[str | None] = []
    unknown: list[str] = []
    for cell in header_cells:
        col = by_key.get(_header_key(cell))
        if col is None:
            unknown.append(cell.strip() or "(empty)")
            positions.append(None)
        elif col.field in headers:
            errors.append(
                CsvRowError(
                    1,
                    cell.strip(),
                    "DUPLICATE_COLUMN",
                    t("Column {column} appears twice.", column=repr(headers[col.field])),
                )
            )
            positions.append(None)
        else:
            headers[col.field] = cell.strip()
            positions.append(col.field)
    if unknown:
        expected = ", ".join(f"{c.header} ({c.alias})" for c in columns)
        errors.append(
            CsvRowError(
                1,
                None,
                "UNKNOWN_COLUMN",
                t(
                    "Unknown columns: {unknown}. Expected columns: {expected}.",
                    unknown=", ".join(unknown),
                    expected=expected,
                ),
            )
        )
    missing = [c for c in columns if c.required and c.field not in headers]
    if missing:
        errors.append(
            CsvRowError(
                1,
                None,
                "MISSING_COLUMN",
                t(
                    "Missing required columns: {missing}.",
                    missing=", ".join(f"{c.header} ({c.alias})" for c in missing),
                ),
            )
        )
    if errors:
        return None
    width = len(positions)
    rows: list[_Row] = []
    for line, cells in records:
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, and rows Excel leaves as ",,,,"
        if len(cells) < width or any(cell.strip() for cell in cells[width:]):
            errors.append(
                CsvRowError(
                    line,
                    None,
                    "COLUMN_COUNT",
                    t(
                        "Expected {width} columns as in the header, found {found}.",
                        width=width,
                        found=len(cells),
                    ),
                )
            )
            continue
        values = {
            name: unquote_formula(cells[i].strip())
            for i, name in enumerate(positions)
            if name is not None
        }
        rows.append(_Row(line, values))
    return _Table(headers, rows)


def _records(reader: Any, errors: list[CsvRowError]) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) of each record; a quoted value may span lines."""
    last_line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # An unclosed quote runs to the end of the file: point at where it began.
            errors.append(
                CsvRowError(
                    last_line + 1, None, "MALFORMED_CSV", t("Malformed CSV: {error}.", error=exc)
                )
            )
            return
        yield last_line + 1, cells
        last_line = reader.line_num


# --- checking values --------------------------------------------------------------------


class _Checker:
    """Collects errors of one row against the file's column names."""

    def __init__(self, table: _Table, errors: list[CsvRowError], columns: tuple[Column, ...]):
        self.table = table
        self.errors = errors
        self.columns = {c.field: c for c in columns}

    def error(self, row: _Row, name: str | None, code: str, message: str) -> None:
        column = self.table.headers.get(name) if name else None
        self.errors.append(CsvRowError(row.line, column, code, message))

    def lengths(self, row: _Row) -> None:
        """Checks every database would make: lengths, and control characters (PostgreSQL
        refuses NUL; a tab or line break inside a name is a slip of the spreadsheet)."""
        for name, value in row.values.items():
            limit = self.columns[name].max_length
            if limit is not None and len(value) > limit:
                self.error(
                    row,
                    name,
                    "TOO_LONG",
                    t("Longer than {limit} characters ({length}).", limit=limit, length=len(value)),
                )
            bad = _CONTROL.search(value)
            if bad is not None:
                self.error(
                    row,
                    name,
                    "CONTROL_CHARACTER",
                    t(
                        "Holds the control character U+{codepoint}.",
                        codepoint=f"{ord(bad[0]):04X}",
                    ),
                )

    def required(self, row: _Row, name: str) -> str:
        value = row.values.get(name, "")
        if not value:
            self.error(row, name, "REQUIRED", t("A value is required."))
        return value

    def sort_order(self, row: _Row) -> int:
        raw = row.values.get("sort_order", "")
        if not raw:
            return 0
        try:
            value = int(raw)
        except ValueError:
            self.error(
                row, "sort_order", "NOT_INTEGER", t("Not a whole number: {value}.", value=repr(raw))
            )
            return 0
        if not INT_MIN <= value <= INT_MAX:
            self.error(row, "sort_order", "OUT_OF_RANGE", t("Out of range: {value}.", value=raw))
            return 0
        return value


def _chunks(items: list[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Progress:
    """Reports rows checked, then rows written; the total grows once the plan is known."""

    def __init__(self, callback: ProgressCallback | None, total: int):
        self.callback = callback
        self.done = 0
        self.total = total

    def step(self, count: int = 1, *, force: bool = False) -> None:
        before = self.done
        self.done += count
        if self.callback and (force or self.done // PROGRESS_EVERY != before // PROGRESS_EVERY):
            self.callback(self.done, self.total)

    def grow(self, count: int) -> None:
        self.total += count
        if self.callback:
            self.callback(self.done, self.total)


# --- organisations ----------------------------------------------------------------------


@dataclass
class _OrgPlan:
    create: list[Organization] = field(default_factory=list)
    update: list[Organization] = field(default_factory=list)
    deactivate: list[Organization] = field(default_factory=list)


def _plan_organizations(
    tenant: Tenant,
    table: _Table,
    report: ImportReport,
    deactivate_missing: bool,
    progress: _Progress,
) -> _OrgPlan:
    check = _Checker(table, report.errors, ORGANIZATION_COLUMNS)
    existing = {o.code: o for o in Organization.objects.filter(tenant=tenant)}
    code_by_id = {o.id: o.code for o in existing.values()}
    first_line: dict[str, int] = {}
    values: dict[str, dict[str, Any]] = {}
    rows: dict[str, _Row] = {}
    for row in table.rows:
        progress.step()
        check.lengths(row)
        code = check.required(row, "code")
        name = check.required(row, "name")
        sort_order = check.sort_order(row)
        if not code:
            continue
        if code in first_line:
            check.error(
                row,
                "code",
                "DUPLICATE_CODE",
                t("Code {code} is also on line {line}.", code=code, line=first_line[code]),
            )
            continue
        first_line[code] = row.line
        rows[code] = row
        values[code] = {
            "name": name,
            "name_kana": normalize_kana(row.values.get("name_kana", "")),
            "parent_code": row.values.get("parent_code", ""),
            "sort_order": sort_order,
        }

    # Parents: a department of the file or one the tenant has already.
    parent_of: dict[str, str | None] = {
        o.code: code_by_id.get(o.parent_id) if o.parent_id else None for o in existing.values()
    }
    for code, v in values.items():
        if table.has("parent_code"):
            parent_of[code] = v["parent_code"] or None
        elif code not in existing:
            parent_of[code] = None
        parent = parent_of[code]
        if parent and parent not in values and parent not in existing:
            check.error(
                rows[code],
                "parent_code",
                "UNKNOWN_PARENT",
                t(
                    "Unknown parent department code {parent}: it is neither in this file nor a "
                    "department of the tenant.",
                    parent=parent,
                ),
            )
        elif (
            deactivate_missing
            and parent
            and parent not in values
            and existing[parent].is_active
            and existing[parent].source == Source.CSV
        ):
            check.error(
                rows[code],
                "parent_code",
                "PARENT_NOT_IN_FILE",
                t(
                    "Parent department {parent} is not in this file, so it would be deactivated "
                    "with the departments below it still active.",
                    parent=parent,
                ),
            )
    _check_cycles(parent_of, rows, check)

    plan = _OrgPlan()
    absent = [o for o in existing.values() if o.is_active and o.code not in values]
    absent.sort(key=lambda o: (o.tree_rank, o.code))
    # Departments made by hand are not the HR file's to deactivate (as for staff).
    missing = [o for o in absent if o.source == Source.CSV]
    kept = [o for o in absent if o.source != Source.CSV]
    report.missing = [o.code for o in missing]
    report.unmanaged = [o.code for o in kept]
    report.names.update((o.code, o.name) for o in absent)
    if deactivate_missing:
        report.deactivated = [o.code for o in missing]
        plan.deactivate = missing
        _check_staff_left_behind(tenant, missing, report)
        leaving = {o.id: o for o in missing}
        for org in kept:
            if org.parent_id in leaving:
                parent = leaving[org.parent_id]
                report.errors.append(
                    CsvRowError(
                        None,
                        None,
                        "DEPARTMENT_HAS_CHILDREN",
                        t(
                            "Department {parent_code} {parent_name} is missing from the file and "
                            "would be deactivated, but {code} {name} below it was not made by an "
                            "import and stays active; move or deactivate it first.",
                            parent_code=parent.code,
                            parent_name=parent.name,
                            code=org.code,
                            name=org.name,
                        ),
                    )
                )
    if report.errors:
        return plan

    id_of = {code: o.id for code, o in existing.items()}
    for code in values:
        if code not in existing:
            id_of[code] = uuid.uuid4()
    codes = {org_id: org_code for org_code, org_id in id_of.items()}
    for code, v in values.items():
        parent_code = parent_of[code]
        parent_id = id_of[parent_code] if parent_code else None
        org = existing.get(code)
        if org is None:
            org = Organization(
                id=id_of[code],
                tenant=tenant,
                code=code,
                name=v["name"],
                name_kana=v["name_kana"] if table.has("name_kana") else "",
                parent_id=parent_id,
                sort_order=v["sort_order"] if table.has("sort_order") else 0,
                source=Source.CSV,
            )
            plan.create.append(org)
            report.added.append(code)
            report.names[code] = org.name
            continue
        # A row of the file takes a department made by hand over, as for staff.
        wanted: dict[str, Any] = {
            "name": v["name"],
            "parent_id": parent_id,
            "is_active": True,
            "source": Source.CSV,
        }
        for name in ("name_kana", "sort_order"):
            if table.has(name):
                wanted[name] = v[name]
        if any(getattr(org, k) != w for k, w in wanted.items()):
            report.changes[code] = _field_changes(org, wanted, codes)
            report.names[code] = v["name"]
            for k, w in wanted.items():
                setattr(org, k, w)
            plan.update.append(org)
            report.updated.append(code)
        else:
            report.unchanged += 1
    # Parents first, so no row ever points at one not yet inserted.
    depth = {code: _depth(code, parent_of) for code in values}
    plan.create.sort(key=lambda o: depth[o.code])
    return plan


def _depth(code: str, parent_of: dict[str, str | None]) -> int:
    depth = 0
    parent = parent_of.get(code)
    while parent:
        depth += 1
        parent = parent_of.get(parent)
    return depth


def _check_cycles(parent_of: dict[str, str | None], rows: dict[str, _Row], check: _Checker) -> None:
    done: set[str] = set()
    for start in rows:
        path: list[str] = []
        on_path: set[str] = set()
        node: str | None = start
        while node is not None and node not in done and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent_of.get(node)
        if node is not None and node in on_path:
            cycle = path[path.index(node) :]
            in_file = [code for code in cycle if code in rows]
            first = min(in_file, key=lambda code: rows[code].line)
            shown = cycle[cycle.index(first) :] + cycle[: cycle.index(first)] + [first]
            check.error(
                rows[first],
                "parent_code",
                "PARENT_CYCLE",
                t("The parent codes form a cycle: {cycle}.", cycle=" → ".join(shown)),
            )
        done.update(path)


def _check_staff_left_behind(
    tenant: Tenant, leaving: list[Organization], report: ImportReport
) -> None:
    """Refuse to deactivate departments active staff still belong to, as their main or an
    additional department: a staff import would then refuse those people's rows."""
    if not leaving:
        return
    by_id = {o.id: o for o in leaving}
    members: dict[uuid.UUID, set[uuid.UUID]] = {}
    main = Person.objects.filter(tenant=tenant, is_active=True, department_id__in=list(by_id))
    for person_id, org_id in main.values_list("id", "department_id"):
        members.setdefault(org_id, set()).add(person_id)
    additional = PersonAdditionalDepartment.objects.filter(
        tenant=tenant, person__is_active=True, organization_id__in=list(by_id)
    )
    for person_id, org_id in additional.values_list("person_id", "organization_id"):
        members.setdefault(org_id, set()).add(person_id)
    for org in leaving:
        if org.id in members:
            report.errors.append(
                CsvRowError(
                    None,
                    None,
                    "DEPARTMENT_HAS_STAFF",
                    t(
                        "Department {code} {name} is missing from the file and would be "
                        "deactivated, but {count} active staff still belong to it (as main or "
                        "additional department); move them with a staff import first.",
                        code=org.code,
                        name=org.name,
                        count=len(members[org.id]),
                    ),
                )
            )


def _apply_organizations(tenant: Tenant, plan: _OrgPlan, progress: _Progress) -> None:
    now = timezone.now()
    for batch in _chunks(plan.create):
        Organization.objects.bulk_create(batch)
        progress.step(len(batch), force=True)
    for org in plan.update:
        org.updated_at = now  # bulk_update does not run auto_now
    for batch in _chunks(plan.update):
        Organization.objects.bulk_update(
            batch,
            ["name", "name_kana", "parent", "sort_order", "is_active", "source", "updated_at"],
        )
        progress.step(len(batch), force=True)
    for batch in _chunks(plan.deactivate):
        Organization.objects.filter(tenant=tenant, id__in=[o.id for o in batch]).update(
            is_active=False, updated_at=now
        )
        progress.step(len(batch), force=True)
    rebuild_organization_tree(tenant.id)


# --- staff ------------------------------------------------------------------------------

_PERSON_FIELDS = ("name", "name_kana", "email", "title", "title_code", "extension", "sort_order")
# What Person.refresh_derived() builds search_text from.
_SEARCH_SOURCES = {"name", "name_kana", "login_id", "email"}


@dataclass
class _StaffPlan:
    create: list[Person] = field(default_factory=list)
    update: list[Person] = field(default_factory=list)
    deactivate: list[Person] = field(default_factory=list)
    # person id -> the columns that change, so each UPDATE sets only those
    changed_fields: dict[uuid.UUID, frozenset[str]] = field(default_factory=dict)
    # person id -> additional department ids in order, for people whose list changes
    additional: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)


def _split_codes(raw: str) -> list[str]:
    for sep in ADDITIONAL_SEPARATORS[1:]:
        raw = raw.replace(sep, ADDITIONAL_SEPARATORS[0])
    return [code.strip() for code in raw.split(ADDITIONAL_SEPARATORS[0]) if code.strip()]


def _plan_staff(
    tenant: Tenant,
    table: _Table,
    report: ImportReport,
    deactivate_missing: bool,
    progress: _Progress,
) -> _StaffPlan:
    check = _Checker(table, report.errors, STAFF_COLUMNS)
    orgs = {
        code: (org_id, active)
        for code, org_id, active in Organization.objects.filter(tenant=tenant).values_list(
            "code", "id", "is_active"
        )
    }
    people = {p.login_id: p for p in Person.objects.filter(tenant=tenant)}
    current_additional: dict[uuid.UUID, list[uuid.UUID]] = {}
    for person_id, org_id in (
        PersonAdditionalDepartment.objects.filter(tenant=tenant)
        .order_by("person_id", "sort_order", "id")
        .values_list("person_id", "organization_id")
    ):
        current_additional.setdefault(person_id, []).append(org_id)

    def department(row: _Row, name: str, code: str) -> uuid.UUID | None:
        found = orgs.get(code)
        if found is None:
            check.error(
                row, name, "UNKNOWN_DEPARTMENT", t("Unknown department code {code}.", code=code)
            )
            return None
        if not found[1]:
            check.error(
                row, name, "INACTIVE_DEPARTMENT", t("Department {code} is inactive.", code=code)
            )
            return None
        return found[0]

    first_line: dict[str, int] = {}
    planned: list[tuple[str, dict[str, Any], uuid.UUID | None, list[uuid.UUID]]] = []
    for row in table.rows:
        progress.step()
        check.lengths(row)
        login_id = check.required(row, "login_id")
        check.required(row, "name")
        sort_order = check.sort_order(row)
        email = row.values.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                check.error(
                    row, "email", "INVALID_EMAIL", t("Not an e-mail address: {email}.", email=email)
                )
        department_id = None
        department_code = row.values.get("department_code", "")
        if department_code:
            department_id = department(row, "department_code", department_code)
        additional: list[uuid.UUID] = []
        for code in _split_codes(row.values.get("additional_department_codes", "")):
            org_id = department(row, "additional_department_codes", code)
            # The main department and repeats add nothing: dropping them keeps re-imports
            # of the same file unchanged.
            if org_id is not None and org_id != department_id and org_id not in additional:
                additional.append(org_id)
        if not login_id:
            continue
        if login_id in first_line:
            check.error(
                row,
                "login_id",
                "DUPLICATE_LOGIN_ID",
                t(
                    "Login ID {login_id} is also on line {line}.",
                    login_id=login_id,
                    line=first_line[login_id],
                ),
            )
            continue
        first_line[login_id] = row.line
        fields: dict[str, Any] = {
            name: row.values[name] for name in _PERSON_FIELDS if name in row.values
        }
        if "name_kana" in fields:
            fields["name_kana"] = normalize_kana(fields["name_kana"])
        if "sort_order" in fields:
            fields["sort_order"] = sort_order
        planned.append((login_id, fields, department_id, additional))

    plan = _StaffPlan()
    absent = sorted(
        (p for p in people.values() if p.is_active and p.login_id not in first_line),
        key=lambda p: p.login_id,
    )
    # Only accounts an import made (or took over) are the import's to deactivate: the IT
    # administrator from `yui admin add`, or an account made in the UI, is not in the HR
    # file and must not be locked out by it.
    missing = [p for p in absent if p.source == Source.CSV]
    report.missing = [p.login_id for p in missing]
    report.unmanaged = [p.login_id for p in absent if p.source != Source.CSV]
    report.names.update((p.login_id, p.name) for p in absent)
    if deactivate_missing:
        report.deactivated = list(report.missing)
        plan.deactivate = missing
    if report.errors:
        return plan

    has_department = table.has("department_code")
    has_additional = table.has("additional_department_codes")
    codes = {org_id: org_code for org_code, (org_id, _) in orgs.items()}
    for login_id, fields, department_id, additional in planned:
        person = people.get(login_id)
        if person is None:
            person = Person(
                tenant=tenant,
                login_id=login_id,
                department_id=department_id,
                source=Source.CSV,
            )
            for name, value in fields.items():
                setattr(person, name, value)
            # An unusable password (what make_password(None) makes): imported staff cannot
            # sign in until one is set. One urandom call instead of make_password's 40
            # secrets.choice calls, which cost a quarter of a 4,000-row first import.
            person.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20)
            person.refresh_derived()
            plan.create.append(person)
            if additional:
                plan.additional[person.id] = additional
            report.added.append(login_id)
            report.names[login_id] = person.name
            continue
        # A row of the file takes the account over: from now on the HR file manages it,
        # and a later file without it deactivates it (with --deactivate-missing).
        wanted: dict[str, Any] = {**fields, "is_active": True, "source": Source.CSV}
        if has_department:
            wanted["department_id"] = department_id
        changed = {k for k, w in wanted.items() if getattr(person, k) != w}
        if has_additional and current_additional.get(person.id, []) != additional:
            plan.additional[person.id] = additional
        elif not changed:
            report.unchanged += 1
            continue
        report.names[login_id] = fields.get("name") or person.name
        report.changes[login_id] = _field_changes(person, wanted, codes)
        if person.id in plan.additional:
            before_codes = [codes.get(i, "") for i in current_additional.get(person.id, [])]
            report.changes[login_id].append(
                FieldChange(
                    "additional_department_codes",
                    ";".join(before_codes),
                    ";".join(codes.get(i, "") for i in additional),
                )
            )
        for k in changed:
            setattr(person, k, wanted[k])
        person.refresh_derived()
        if changed & _SEARCH_SOURCES:
            changed.add("search_text")
        if "title_code" in changed:
            changed.add("title_rank")
        plan.changed_fields[person.id] = frozenset(changed)
        plan.update.append(person)
        report.updated.append(login_id)
    return plan


def _apply_staff(tenant: Tenant, plan: _StaffPlan, progress: _Progress) -> None:
    now = timezone.now()
    for batch in _chunks(plan.create):
        Person.objects.bulk_create(batch)
        progress.step(len(batch), force=True)
    # bulk_update writes a CASE per column and row, and building those dominates the cost
    # of a re-import: people are grouped by the columns that change (mostly one or two).
    groups: dict[frozenset[str], list[Person]] = {}
    for person in plan.update:
        groups.setdefault(plan.changed_fields[person.id], []).append(person)
    for names, people in groups.items():
        if names:
            for batch in _chunks(people):
                Person.objects.bulk_update(batch, sorted(names))
    for batch in _chunks([p.id for p in plan.update]):
        # bulk_update does not run auto_now
        Person.objects.filter(tenant=tenant, id__in=batch).update(updated_at=now)
        progress.step(len(batch), force=True)
    for batch in _chunks(plan.deactivate):
        ids = [p.id for p in batch]
        Person.objects.filter(tenant=tenant, id__in=ids).update(is_active=False, updated_at=now)
        # A deactivated account keeps no way in (as do_deactivate_person does).
        AccessToken.objects.filter(person_id__in=ids, revoked_at__isnull=True).update(
            revoked_at=now
        )
        progress.step(len(batch), force=True)
    # New people have no links yet; only those of people already there are replaced.
    replaced = [p.id for p in plan.update if p.id in plan.additional]
    for batch in _chunks(replaced):
        PersonAdditionalDepartment.objects.filter(tenant=tenant, person_id__in=batch).delete()
    links = [
        PersonAdditionalDepartment(
            tenant=tenant, person_id=person_id, organization_id=org_id, sort_order=i
        )
        for person_id, org_ids in plan.additional.items()
        for i, org_id in enumerate(org_ids)
    ]
    PersonAdditionalDepartment.objects.bulk_create(links, batch_size=BATCH_SIZE)


# --- import -----------------------------------------------------------------------------


def do_import_csv(
    tenant: Tenant,
    kind: str,
    data: bytes,
    *,
    encoding: str | None = None,
    dry_run: bool = False,
    deactivate_missing: bool = False,
    progress: ProgressCallback | None = None,
    protected_login_ids: Collection[str] = (),
) -> ImportReport:
    """Check a CSV file of departments or staff and, when it has no error at all and this
    is not a dry run, write it to the tenant in one transaction.

    ``progress(done, total)`` is called every few hundred rows: first while rows are
    checked, then while they are written (``total`` grows by the rows to write once they
    are known). ``protected_login_ids`` may not be deactivated (the administrator who
    runs the import must not lock themselves out with a file that omits them).
    """
    _check_kind(kind)
    columns = COLUMNS[kind]
    report = ImportReport(kind=kind, encoding=encoding or "")
    text, report.encoding, decode_error = _decode(data, encoding)
    if decode_error is not None or text is None:
        report.errors.append(
            decode_error or CsvRowError(None, None, "BAD_ENCODING", t("Unreadable file."))
        )
        return report
    report.delimiter = _delimiter(text)
    table = _read_table(text, columns, report.errors, report.delimiter)
    if table is None:
        return report
    report.rows = len(table.rows)
    if deactivate_missing and not table.rows:
        # Most likely the wrong file, or an export cut short: it would empty the directory.
        report.errors.append(
            CsvRowError(
                None,
                None,
                "NO_ROWS",
                t("The file has no rows; refusing to deactivate everything."),
            )
        )
        return report
    tracker = _Progress(progress, len(table.rows))
    # The plan is made inside the writing transaction, so the rows compared are the rows
    # written over (SQLite takes the write lock up front; see yui.config).
    with transaction.atomic() if not dry_run else nullcontext():
        if kind == "organizations":
            org_plan = _plan_organizations(tenant, table, report, deactivate_missing, tracker)
            writes = len(org_plan.create) + len(org_plan.update) + len(org_plan.deactivate)
        else:
            staff_plan = _plan_staff(tenant, table, report, deactivate_missing, tracker)
            writes = len(staff_plan.create) + len(staff_plan.update) + len(staff_plan.deactivate)
            for login_id in protected_login_ids:
                if login_id in report.deactivated:
                    report.errors.append(
                        CsvRowError(
                            None,
                            None,
                            "SELF_DEACTIVATION",
                            t(
                                "The file does not list {login_id}, your own account: importing "
                                "it with deactivation would lock you out.",
                                login_id=login_id,
                            ),
                        )
                    )
        if report.errors:
            report.added, report.updated, report.unchanged = [], [], 0
            tracker.step(0, force=True)
            return report
        if dry_run:
            tracker.step(0, force=True)
            return report
        tracker.grow(writes)
        if kind == "organizations":
            _apply_organizations(tenant, org_plan, tracker)
        else:
            _apply_staff(tenant, staff_plan, tracker)
        report.applied = True
        audit.record_import(tenant, kind, report)
    tracker.step(0, force=True)
    return report


# --- export -----------------------------------------------------------------------------


def _organization_rows(tenant: Tenant) -> Iterator[tuple[str, list[str]]]:
    orgs = list(Organization.objects.filter(tenant=tenant))
    code_of = {o.id: o.code for o in orgs}
    for org in sorted((o for o in orgs if o.is_active), key=lambda o: (o.tree_rank, o.code)):
        yield (
            f"department {org.code} {org.name}",
            [
                org.code,
                org.name,
                org.name_kana,
                code_of.get(org.parent_id, "") if org.parent_id else "",
                str(org.sort_order),
            ],
        )


def _staff_rows(tenant: Tenant) -> Iterator[tuple[str, list[str]]]:
    code_of = dict(Organization.objects.filter(tenant=tenant).values_list("id", "code"))
    additional: dict[uuid.UUID, list[str]] = {}
    for person_id, org_id in (
        PersonAdditionalDepartment.objects.filter(tenant=tenant)
        .order_by("person_id", "sort_order", "id")
        .values_list("person_id", "organization_id")
    ):
        additional.setdefault(person_id, []).append(code_of[org_id])
    people = Person.objects.filter(tenant=tenant, is_active=True).order_by("sort_order", "login_id")
    for person in people:
        yield (
            f"staff {person.login_id} {person.name}",
            [
                person.login_id,
                person.name,
                person.name_kana,
                person.email,
                code_of.get(person.department_id, "") if person.department_id else "",
                ADDITIONAL_SEPARATORS[0].join(additional.get(person.id, [])),
                person.title,
                person.title_code,
                person.extension,
                str(person.sort_order),
            ],
        )


def export_csv(tenant: Tenant, kind: str, *, encoding: str = "cp932") -> bytes:
    """The tenant's active departments (in tree order) or staff (by display order) as CSV
    in the import format, with Japanese headers and CRLF line ends, as Excel writes it.
    Cells Excel would run as formulas get a leading ``'`` (``quote_formula``), which the
    import removes again.

    Raises ValueError for an unknown kind or encoding, or when a value has a character
    the encoding cannot hold (the message names the row; export as utf-8-sig instead).
    """
    columns = _check_kind(kind)
    codec = _text_codec(encoding)
    if codec is None:
        raise ValueError(f"Unknown encoding {encoding!r}; use cp932, utf-8-sig or utf-8.")
    rows = _organization_rows(tenant) if kind == "organizations" else _staff_rows(tenant)
    encoder = codecs.getincrementalencoder(codec)()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    out = bytearray()

    def put(label: str, cells: list[str]) -> None:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([quote_formula(cell) for cell in cells])
        line = buffer.getvalue()
        try:
            out.extend(encoder.encode(line))
        except UnicodeEncodeError as exc:
            char = line[exc.start]
            column = next(
                (c.header for c, cell in zip(columns, cells, strict=True) if char in cell), "?"
            )
            raise ValueError(
                f"{label}: {column} holds {char!r} (U+{ord(char):04X}), which {codec} cannot "
                "encode; export as utf-8-sig instead."
            ) from exc

    put("header", [c.header for c in columns])
    for label, cells in rows:
        put(label, cells)
    out.extend(encoder.encode("", final=True))
    return bytes(out)
