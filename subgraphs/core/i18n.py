"""The language of the server's own messages (sign-in, CSV import): Japanese or English.

Yui keeps these messages in Python dictionaries, one per language, next to the code that
says them (``subgraphs/people/messages.py``), rather than in gettext .po/.mo files: the
catalogue is small, it needs no compiled artefact and no gettext tools on a machine, and a
test checks that every message said in English has its Japanese and the same placeholders.

The English text is the message's identity and what code, logs and the command line use
(``current_language()`` is English unless something chose a language). A request chooses
one from its ``Accept-Language`` header, Japanese unless English is preferred: Django views
through ``yui.middleware.LanguageMiddleware``, the gateway for its in-process subgraphs and
by passing the header on to subgraphs it reaches over HTTP. Codes never change with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

Language = Literal["ja", "en"]
# What a request gets when it states no language Yui speaks: the product is Japanese first.
REQUEST_DEFAULT: Language = "ja"
_SUPPORTED: dict[str, Language] = {"ja": "ja", "en": "en"}

# English outside a request: the source language of the messages, for logs and the CLI.
_language: ContextVar[Language] = ContextVar("yui_language", default="en")


def language_from_accept(header: str | None) -> Language:
    """The language to answer in for an ``Accept-Language`` header (RFC 9110 12.5.4):
    the supported one with the highest weight (``en-US`` counts as ``en``), Japanese when
    the header names neither."""
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        language = _SUPPORTED.get(tag.strip().lower().split("-")[0])
        if language is None:
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if weight <= 0:
            continue
        # Higher weight first; among equal weights, the one named first.
        candidate = (weight, -position, language)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else REQUEST_DEFAULT


def current_language() -> Language:
    return _language.get()


@contextmanager
def use_language(language: Language) -> Iterator[None]:
    token = _language.set(language)
    try:
        yield
    finally:
        _language.reset(token)


def set_language(language: Language) -> None:
    """For the rest of this context (one request's task); prefer ``use_language``."""
    _language.set(language)


def translate(
    catalogues: Mapping[Language, Mapping[str, str]], english: str, **values: object
) -> str:
    """``english`` in the current language, placeholders ``{name}`` filled from ``values``.
    A message without a translation stays English rather than failing."""
    language = current_language()
    template = catalogues.get(language, {}).get(english, english) if language != "en" else english
    return template.format(**values)
