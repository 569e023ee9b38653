"""Normalising Japanese readings and search text.

Readings are stored as full-width katakana. Excel files often hold half-width kana
(ｶﾅ) or hiragana; NFKC folds half-width kana (voiced marks included) into full-width,
and hiragana are shifted into the katakana block.
"""

from __future__ import annotations

import unicodedata

_HIRAGANA_START, _HIRAGANA_END = 0x3041, 0x3096  # ぁ .. ゖ
_KATAKANA_SHIFT = 0x60


def hiragana_to_katakana(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if _HIRAGANA_START <= code <= _HIRAGANA_END or ch in "ゝゞ":
            out.append(chr(code + _KATAKANA_SHIFT))
        else:
            out.append(ch)
    return "".join(out)


def normalize_kana(text: str) -> str:
    """A reading as stored: full-width katakana, single spaces, trimmed."""
    folded = hiragana_to_katakana(unicodedata.normalize("NFKC", text or ""))
    return " ".join(folded.split())


def search_key(text: str) -> str:
    """The form both stored search text and queries are reduced to before matching.

    Width-, case- and kana-insensitive; spaces dropped so "中村聡太郎" finds "中村 聡太郎".
    """
    folded = hiragana_to_katakana(unicodedata.normalize("NFKC", text or "")).casefold()
    return "".join(folded.split())
