"""Translations of the interface, enumerations and messages (Arabic and French).

The texts live in ``resources/i18n/messages.json`` as ``{key: {"ar": ..., "fr": ...}}``, one
entry per text so that the two languages are edited side by side; a language missing for a key
falls back to the other, so a missing translation shows text, never a crash. Pure Python, shared
by the CLI and the GUI.
"""
from __future__ import annotations

import json
import logging
import re
import string
from functools import lru_cache

import resources

LANGUAGES = ("ar", "fr")
DEFAULT_LANGUAGE = "ar"


@lru_cache(maxsize=1)
def _messages() -> dict[str, dict[str, str]]:
    return json.loads(resources.path("i18n", "messages.json").read_text(encoding="utf-8"))


def _table(lang: str) -> dict[str, str]:
    return {key: texts[lang] for key, texts in _messages().items() if texts.get(lang)}


class Translator:
    def __init__(self, lang: str = DEFAULT_LANGUAGE):
        if lang not in LANGUAGES:
            raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._main = _table(lang)
        self._other = _table("fr" if lang == "ar" else "ar")

    @property
    def rtl(self) -> bool:
        return self.lang == "ar"

    def __call__(self, key: str, *params, **named) -> str:
        text = self._main.get(key) or self._other.get(key) or key
        if params or named:
            try:
                return text.format(*params, **named)
            except (IndexError, KeyError):
                return _format_leniently(key, text, params, named)
        return text

    def enum(self, kind: str, value: str | None) -> str:
        """Label of an enumeration value, e.g. enum('outcome', 'closed')."""
        if not value:
            return ""
        return self(f"{kind}.{value}")

    def pick(self, ar: str, fr: str) -> str:
        """Choose between an entity's Arabic and French names."""
        return (ar or fr) if self.lang == "ar" else (fr or ar)


def ltr(text: object) -> str:
    """``text`` isolated as a left-to-right run (U+2066 LRI … U+2069 PDI) inside a sentence that
    may be Arabic: a date, a time, a reference or a code ("2026-11-23", "PL-2026-7KQ3-00001",
    "HYG-01") reads in its own order instead of being reordered by the bidi algorithm
    ("23-11-2026"). Invisible in French. For display only: a stored text refuses these marks."""
    return f"\u2066{text}\u2069"


def ltr_tokens(params: dict) -> dict:
    """``params`` with each text that reads left to right and holds a digit (an ISO date or time,
    a code, a reference, a path) isolated (``ltr``), for a message composed in Arabic; the rest
    (Arabic words, counts already spelled, numbers, names without digits) as they are."""
    return {k: ltr(v) if isinstance(v, str) and _LTR_TOKEN.search(v) and not _RTL_LETTER.search(v)
            and not v.startswith("\u2066") else v for k, v in params.items()}


_LTR_TOKEN = re.compile(r"[0-9]")
_RTL_LETTER = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


class _Lenient(string.Formatter):
    def get_value(self, key, args, kwargs):
        if isinstance(key, int):
            return args[key] if key < len(args) else ""
        return kwargs.get(key, "")


def _format_leniently(key: str, text: str, params: tuple, named: dict) -> str:
    """A message called without one of its parameters: a bug, logged; the user sees the text
    with that place left empty, never a raw ``{0}``."""
    logging.getLogger("commune_police.i18n").warning("message %r is missing a parameter", key)
    try:
        return _Lenient().format(text, *params, **named)
    except (ValueError, AttributeError, IndexError):
        return text.replace("{", "").replace("}", "")


def days_count(n: int, lang: str) -> str:
    """A number of days as the messages' ``{n}``: in Arabic with the noun in its agreed form
    (يوم واحد، يومان، 3 أيام، 11 يوما، 100 يوم), in French the bare number ("j" is in the text)."""
    if lang != "ar":
        return str(n)
    if n == 1:
        return "يوم واحد"
    if n == 2:
        return "يومان"
    rest = n % 100
    if 3 <= rest <= 10:
        return f"{n} أيام"
    if n >= 100 and rest in (0, 1, 2):
        return f"{n} يوم"
    return f"{n} يوما"
