"""The free parts of a draft: what the drafter may write before signing, and nothing else.

A document's legal visas and the facts taken from recorded events are never edited by hand. What
the law leaves to the president is: a considérant of his own (the circumstances that justify the
measure), an observation for the person concerned, and — for a formal notice or an injunction,
whose period the texts do not fix — the deadline given to comply. They are kept in the draft's
``extra["free_parts"]`` (the content hash and the QR code cover them) and printed by the one
renderer, so the preview, the draft and the signed PDF show the same text.
"""
from __future__ import annotations

import unicodedata
from datetime import date, timedelta

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.domain.ladder import NOTICE_MAX_DAYS_PUBLIC_DOMAIN
from desktop.services.commune import Commune
from desktop.store.decisions import document, dump_document
from reports.counting import count
from reports.documents import DocumentData, gregorian_text, placeholders_used, validate_document

TEXT_PARTS = ("considerant_ar", "considerant_fr", "observations_ar", "observations_fr")
MAX_TEXT = 1200          # characters of one free part: a paragraph, not a second document
MAX_DEADLINE_DAYS = 365
DEADLINE_KINDS = ("formal_notice", "injunction")  # periods the texts leave to the president
DEADLINE_PLACEHOLDERS = ("deadline_days", "deadline_period", "deadline_date")
# Bidi embedding/override/isolate controls and marks: a pasted one could reorder what is printed.
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def deadline_bounds(doc: DocumentData, field_code: str) -> tuple[int, int] | None:
    """(least, most) days the drafter may give, or None when the document's deadline is not his
    to set (a kind whose period a text fixes, or a template citing no deadline)."""
    if doc.kind not in DEADLINE_KINDS or not set(DEADLINE_PLACEHOLDERS) & set(placeholders_used(doc)):
        return None
    most = NOTICE_MAX_DAYS_PUBLIC_DOMAIN if field_code == "public_domain" else MAX_DEADLINE_DAYS  # Law 57-19 art. 24
    return 1, most


def _clean_text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise Refusal("free_part_invalid", part=name)
    text = value.replace("\r\n", "\n").strip()
    if len(text) > MAX_TEXT:
        raise Refusal("free_part_too_long", part=name, length=len(text), limit=MAX_TEXT)
    for ch in text:
        if ch in BIDI_CONTROLS or (unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") and ch != "\n"):
            raise Refusal("free_part_control", part=name, char=f"U+{ord(ch):04X}")
    return text


def validate_free_parts(free: dict, doc: DocumentData, field_code: str) -> dict:
    """The free parts, cleaned, or a refusal: an unknown part, a text too long or carrying a
    control character, a deadline out of the range the law allows for this document."""
    unknown = sorted(set(free) - {*TEXT_PARTS, "deadline_days"})
    if unknown:
        raise Refusal("free_part_unknown", part=", ".join(unknown))
    clean: dict = {name: _clean_text(name, free[name]) for name in TEXT_PARTS if name in free}
    if free.get("deadline_days") not in (None, ""):
        bounds = deadline_bounds(doc, field_code)
        if bounds is None:
            raise Refusal("free_part_deadline_fixed")
        try:
            days = int(free["deadline_days"])
        except (TypeError, ValueError):
            raise Refusal("free_part_invalid", part="deadline_days") from None
        if not bounds[0] <= days <= bounds[1]:
            raise Refusal("free_part_deadline_range", days=days, least=bounds[0], most=bounds[1])
        clean["deadline_days"] = days
    return {k: v for k, v in clean.items() if v not in ("", None)}


def with_free_parts(doc: DocumentData, free: dict, field_code: str) -> DocumentData:
    """``doc`` carrying the validated free parts (the deadline's three placeholders follow it)."""
    clean = validate_free_parts(free, doc, field_code)
    doc.extra = {**doc.extra, "free_parts": clean}
    days = clean.get("deadline_days")
    if days:  # not given: the deadline stays as drafted (from the catalogue, or chosen before)
        for lang, values in (("ar", doc.values_ar), ("fr", doc.values_fr)):
            values["deadline_days"] = str(days)
            values["deadline_period"] = count(days, "days", lang)
            values["deadline_date"] = gregorian_text(date.today() + timedelta(days=days))
    validate_document(doc)
    return doc


def free_parts_of(doc: DocumentData) -> dict:
    """The free parts a draft carries (for the drafting dialog), with its current deadline."""
    parts = {k: v for k, v in doc.extra.get("free_parts", {}).items() if k != "deadline_days"}
    if doc.values_fr.get("deadline_days", "").isdigit():
        parts["deadline_days"] = int(doc.values_fr["deadline_days"])
    return parts


def preview_with(commune: Commune, decision_id: str, free: dict) -> DocumentData:
    """The draft as it would be with ``free`` (not stored): what the preview renders."""
    row, doc = document(commune.store, decision_id)
    if row["status"] != "draft":
        raise Refusal("free_part_signed")
    return with_free_parts(doc, free, row["field_code"])


def save_free_parts(commune: Commune, decision_id: str, free: dict) -> DocumentData:
    """Store the free parts in the draft (journaled); a signed document is never changed."""
    require(commune.actor.role, "decision.draft")
    doc = preview_with(commune, decision_id, free)
    with commune.store.transaction(commune.actor.id) as tx:
        if commune.store.scalar("SELECT status FROM decision WHERE id = ?", (decision_id,)) != "draft":
            raise Refusal("free_part_signed")
        tx.update("decision", decision_id, {"content": dump_document(doc)})
    return doc
