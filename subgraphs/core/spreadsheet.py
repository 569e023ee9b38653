"""Cells a spreadsheet must show as text (CSV injection, OWASP).

Excel runs a cell that starts with = + - @ (or tab / carriage return) as a formula, and
Japanese Excel reads the full-width ＝ ＋ － ＠ the same way. An export puts a ``'`` in
front of such a cell, so ``=HYPERLINK(...)`` shows as text. A negative whole number stays
a number. Shared by every subgraph that exports CSV (no data of any subgraph involved).
"""

from __future__ import annotations

import re

FORMULA_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
_NEGATIVE_NUMBER = re.compile(r"-[0-9]+(\.[0-9]+)?")


def neutralise_formula(value: str) -> str:
    """``value`` as a CSV export writes it: with a leading ``'`` if it would be a formula."""
    bare = value.lstrip("'")
    if bare[:1] in FORMULA_TRIGGERS and not _NEGATIVE_NUMBER.fullmatch(bare):
        return "'" + value
    return value
