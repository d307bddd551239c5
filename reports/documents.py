"""Notices, decisions (arrêtés), requests for public force and referral letters as PDF.

Arabic leads; a French version may follow on its own pages. The wording comes from templates
(``resources/catalogue/templates.json``) that a commune's legal service edits without code; the
facts come from the case as plain values. Every document carries the header of the Kingdom, its
title and register number, the legal bases (visas), the facts found (Law 03-01 requires reasons),
the articles, the execution clause, the appeal notice (Law 41-90 art. 23), the place and date in
the Gregorian and Hijri calendars, the signatory and capacity or the delegation relied on, and a
QR code of the document's content hash.
"""
from __future__ import annotations

import functools
import hashlib
import html
import io
import itertools
import json
import string
from dataclasses import asdict, dataclass, field
from datetime import date

from hijridate import Gregorian
from reportlab.graphics.barcode import qrencoder
from reportlab.lib.colors import black
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

import resources
from reports.bidi_layout import break_lines, draw_line
from reports.fonts import document_font

PAGE_W, PAGE_H = A4
MARGIN = 56
TEXT_W = PAGE_W - 2 * MARGIN
LANGS = ("ar", "fr")


class TemplateError(ValueError):
    """A template cites a placeholder the application does not know (or is missing a part)."""

    def __init__(self, kind: str, lang: str, problem: str):
        super().__init__(f"template {kind}/{lang}: {problem}")
        self.kind, self.lang, self.problem = kind, lang, problem


@dataclass
class Delegation:
    number: str
    date: str  # DD/MM/YYYY
    delegate_ar: str
    delegate_fr: str
    capacity_ar: str
    capacity_fr: str
    scope_ar: str
    scope_fr: str
    bo_number: str = ""   # its publication in the BO-CT (OL 113-14 art. 277)
    bo_date: str = ""
    own_capacity: bool = False  # art. 236: an arrondissement president acts in his own capacity


@dataclass
class Signatory:
    name_ar: str
    name_fr: str
    capacity_ar: str = "رئيس مجلس الجماعة"
    capacity_fr: str = "Le Président du Conseil de la commune"
    delegation: Delegation | None = None


@dataclass
class DocumentData:
    kind: str
    number: str | None            # register number "12/2026"; None for a draft
    issued_on: date
    place_ar: str
    place_fr: str
    header_ar: list[str]          # Kingdom, ministry, wilaya, prefecture, commune, district
    header_fr: list[str]
    values_ar: dict[str, str]     # placeholder values, Arabic
    values_fr: dict[str, str]
    signatory: Signatory
    langs: tuple[str, ...] = ("ar",)
    extra: dict = field(default_factory=dict)

    def content_hash(self) -> str:
        """SHA-256 of the document's content (what the QR code carries and the register keeps)."""
        data = asdict(self)
        data["issued_on"] = self.issued_on.isoformat()
        return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def load_templates(path=None) -> dict:
    data = json.loads((path or resources.path("catalogue", "templates.json")).read_text(encoding="utf-8"))
    check_templates(data)
    return data


PARTS = ("title", "visas", "considerants", "articles", "execution", "appeal")
# "opening": «إن رئيس مجلس جماعة …،» (an arrêté) or the from/to lines of a letter; "decides": the
# words before the articles («يقرر ما يلي:», «ARRÊTE :» only for arrêtés); "subject": a letter's
# subject line (a letter has no title block, no articles and no appeal notice).
OPTIONAL_PARTS = ("opening", "decides", "subject")


def check_templates(data: dict) -> None:
    """Refuse a templates file with a missing part, an unknown placeholder or a malformed text."""
    known = set(data.get("placeholders", []))
    for kind, langs in data.get("documents", {}).items():
        if "ar" not in langs:
            raise TemplateError(kind, "ar", "the Arabic version is mandatory")
        for lang, parts in langs.items():
            for text in _texts(kind, lang, parts):
                _check_text(kind, lang, text, known)


def _texts(kind: str, lang: str, parts: dict) -> list[str]:
    """Every template text of one document kind in one language (raises for a missing part)."""
    for part in PARTS:
        if part not in parts:
            raise TemplateError(kind, lang, f"missing part {part!r}")
    return [parts["title"], parts["execution"], parts["appeal"], *parts["visas"],
            *parts["considerants"], *parts["articles"], *(parts[o] for o in OPTIONAL_PARTS if o in parts)]


def _check_text(kind: str, lang: str, text: str, known: set[str]) -> None:
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as exc:  # a lone "{" or "}"
        raise TemplateError(kind, lang, f"malformed text {text!r}: {exc}") from None
    for _lit, name, _spec, _conv in fields:
        if name is not None and name not in known:
            raise TemplateError(kind, lang, f"unknown placeholder {{{name}}}")


def fill(text: str, values: dict[str, str]) -> str:
    return string.Formatter().vformat(text, (), _Values(values))


class _Values(dict):
    def __missing__(self, key):  # a known placeholder without a value: left visible, not a crash
        return "…"


def hijri_text(day: date, lang: str) -> str:
    h = Gregorian(day.year, day.month, day.day).to_hijri()
    return f"{h.day} {h.month_name('ar' if lang == 'ar' else 'en')} {h.year}"


MONTHS_AR = ("يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
HIJRI_MONTHS_FR = ("Moharram", "Safar", "Rabii I", "Rabii II", "Joumada I", "Joumada II", "Rajab", "Chaabane",
                   "Ramadan", "Chaoual", "Dou al-Qiida", "Dou al-Hijja")
ORDINALS_AR = ("الأولى", "الثانية", "الثالثة", "الرابعة", "الخامسة", "السادسة", "السابعة", "الثامنة", "التاسعة",
               "العاشرة")


def hijri_then_gregorian(day: date, lang: str) -> str:
    """Moroccan practice: the Hijri date first, the Gregorian one in brackets
    («13 جمادى الآخرة 1448 (23 نونبر 2026)»)."""
    h = Gregorian(day.year, day.month, day.day).to_hijri()
    if lang == "ar":
        return f"{h.day} {h.month_name('ar')} {h.year} ({day.day} {MONTHS_AR[day.month - 1]} {day.year})"
    return f"{h.day} {HIJRI_MONTHS_FR[h.month - 1]} {h.year} ({day.day} {MONTHS_FR[day.month - 1]} {day.year})"


def article_label(n: int, lang: str) -> str:
    """«المادة الأولى:» … «المادة العاشرة:», then digits; «Article premier :», «Article 2 :»."""
    if lang == "ar":
        return f"المادة {ORDINALS_AR[n - 1] if n <= len(ORDINALS_AR) else n}: "
    return "Article premier : " if n == 1 else f"Article {n} : "


def gregorian_text(day: date) -> str:
    """DD/MM/YYYY: slashes keep the date in one left-to-right piece inside Arabic text."""
    return day.strftime("%d/%m/%Y")


# The lines of a paragraph, kept for the drawing pass once the measuring pass has broken them.
_lines = functools.lru_cache(maxsize=2048)(break_lines)


class _Writer:
    """A cursor down the page that breaks lines and pages."""

    def __init__(self, canvas: Canvas | None, rtl: bool, scale: float = 1.0):
        self.c, self.rtl, self.scale = canvas, rtl, scale  # no canvas: measure only (pages, not ink)
        self.y = PAGE_H - MARGIN
        self.page = 1

    def need(self, height: float) -> None:
        if self.y - height < MARGIN + 40:
            if self.c is not None:
                self.c.showPage()
            self.page += 1
            self.y = PAGE_H - MARGIN

    def paragraph(self, text: str, size: float = 12, bold: bool = False, align: str = "start",
                  gap: float = 6, width: float = TEXT_W, x0: float = MARGIN) -> None:
        font = document_font(bold)
        size, gap = size * self.scale, gap * self.scale
        for line in _lines(text, font, size, width, self.rtl):
            self.need(size * 1.6)
            if self.c is None:
                self.y -= size * 1.55
                continue
            if align == "center":
                x = x0 + (width - line.width) / 2
            elif (align == "start") == self.rtl:  # right edge
                x = x0 + width - line.width
            else:
                x = x0
            draw_line(self.c, line, x, self.y - size)
            self.y -= size * 1.55
        self.y -= gap

    def height(self, text: str, size: float = 12, bold: bool = False, gap: float = 6, width: float = TEXT_W) -> float:
        """How far ``paragraph`` would move down (at this writer's scale)."""
        size, gap = size * self.scale, gap * self.scale
        return len(break_lines(text, document_font(bold), size, width, self.rtl)) * size * 1.55 + gap


def _header(w: _Writer, lines: list[str]) -> None:
    start = w.y
    width = TEXT_W / 2
    x0 = MARGIN + TEXT_W - width if w.rtl else MARGIN
    for k, text in enumerate(lines):
        w.paragraph(text, size=10.5, bold=k < 2, align="center", gap=0, width=width, x0=x0)
    w.y = min(w.y, start - 20) - 14


SIGNATURE_MARK = 46  # room for the handwritten or stamped mark
SIGNATURE_W = TEXT_W * 0.55


def _signature_lines(data: DocumentData, lang: str) -> list[str]:
    s = data.signatory
    ar = lang == "ar"
    lines = []
    if s.delegation:
        d = s.delegation
        if not d.own_capacity:  # art. 103: delegation of signature; art. 236: delegated competence
            lines.append("عن الرئيس وبتفويض منه" if ar else "Pour le Président et par délégation")
        lines.append(d.delegate_ar if ar else d.delegate_fr)
        lines.append(d.capacity_ar if ar else d.capacity_fr)
        lines.append(f"قرار التفويض رقم {d.number} بتاريخ {d.date} ({d.scope_ar})" if ar
                     else f"Arrêté de délégation n° {d.number} du {d.date} ({d.scope_fr})")
    else:
        lines.append(s.capacity_ar if ar else s.capacity_fr)
        lines.append(s.name_ar if ar else s.name_fr)
    return lines


def _signature_height(w: _Writer, data: DocumentData, lang: str) -> float:
    return sum(w.height(text, 11.5, bold=k < 2, gap=0, width=SIGNATURE_W)
               for k, text in enumerate(_signature_lines(data, lang))) + SIGNATURE_MARK * w.scale


def _signature(w: _Writer, data: DocumentData, lang: str) -> None:
    x0 = MARGIN if lang == "ar" else MARGIN + TEXT_W - SIGNATURE_W  # the signature sits at the end side
    w.need(_signature_height(w, data, lang))
    for k, text in enumerate(_signature_lines(data, lang)):
        w.paragraph(text, size=11.5, bold=k < 2, align="center", gap=0, width=SIGNATURE_W, x0=x0)
    w.y -= SIGNATURE_MARK * w.scale


QR_SIZE = 62      # points, quiet zone included
QR_BORDER = 4     # modules of quiet zone on each side (the QR standard's minimum)
QR_Y = 14


def qr_payload(data: DocumentData, digest: str) -> str:
    return f"commune-police:{data.kind}:{data.number or 'draft'}:sha256={digest}"


def qr_modules(payload: str) -> list[list[bool]]:
    """The QR code's module matrix (row 0 at the top; True = dark), error correction level L."""
    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.L)
    qr.addData(payload)
    qr.make()
    return [[bool(m) for m in row] for row in qr.modules]


def qr_origin(lang: str) -> tuple[float, float]:
    """Lower-left corner of the QR code (quiet zone included) on a page in ``lang``."""
    return (MARGIN if lang == "fr" else PAGE_W - MARGIN - QR_SIZE), QR_Y


def _qr(canvas: Canvas, modules: list[list[bool]], digest: str, lang: str) -> None:
    """Draw the code as ONE filled path: a rectangle per horizontal run of dark modules.

    A reportlab ``QrCodeWidget`` drawn through ``renderPDF`` builds and validates a shape object
    per run, which cost about two-thirds of a whole document's rendering; the page looks the same.
    """
    x0, y0 = qr_origin(lang)
    box = QR_SIZE / (len(modules) + 2 * QR_BORDER)
    path = canvas.beginPath()
    for r, row in enumerate(modules):
        y = y0 + QR_SIZE - (r + QR_BORDER + 1) * box
        c = 0
        for dark, run in itertools.groupby(row):
            count = len(list(run))
            if dark:
                path.rect(x0 + (c + QR_BORDER) * box, y, count * box, box)
            c += count
    canvas.saveState()
    canvas.setFillColor(black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
    canvas.setFont("Helvetica", 6.5)
    canvas.drawString(MARGIN if lang == "ar" else PAGE_W / 2 - 80, 22, f"SHA-256 {digest[:32]}…")


@dataclass
class _Filled:
    """One language's template texts with the document's values put in: what the page shows."""
    title: str
    visas: list[str]
    considerants: list[str]
    articles: list[str]
    execution: str
    appeal: str
    opening: str = ""
    decides: str = ""
    subject: str = ""
    observations: str = ""


def validate_document(data: DocumentData, templates: dict | None = None) -> None:
    """Raise the ``TemplateError`` that ``render_document`` would raise for ``data``, without
    drawing anything: no template for the kind or a language, no Arabic version, a missing part,
    an unknown placeholder, a malformed text or one that cannot be filled.

    A known placeholder without a value is not an error (the page shows "…"), as in rendering.
    """
    _fill_templates(data, templates or load_templates())


def _fill_templates(data: DocumentData, templates: dict) -> dict[str, _Filled]:
    """The filled texts of each of ``data``'s languages; every ``TemplateError`` comes from here."""
    if "ar" not in data.langs:
        raise TemplateError(data.kind, "ar", "a document without its Arabic version is not valid")
    try:
        kinds = templates["documents"][data.kind]
    except KeyError:
        raise TemplateError(data.kind, "ar", "no template for this kind of document") from None
    known = set(templates.get("placeholders", []))
    filled = {}
    for lang in data.langs:
        if lang not in kinds:
            raise TemplateError(data.kind, lang, "no template in this language")
        t = kinds[lang]
        for text in _texts(data.kind, lang, t):
            _check_text(data.kind, lang, text, known)
        values = data.values_ar if lang == "ar" else data.values_fr
        put = functools.partial(_fill_checked, data.kind, lang, values)
        filled[lang] = _Filled(put(t["title"]), [put(v) for v in t["visas"]], [put(c) for c in t["considerants"]],
                               [put(a) for a in t["articles"]], put(t["execution"]), put(t["appeal"]),
                               *(put(t.get(o, "")) for o in OPTIONAL_PARTS))
        _put_free_parts(filled[lang], data.extra.get("free_parts", {}), lang)
    return filled


def _put_free_parts(t: _Filled, free: dict, lang: str) -> None:
    """The drafter's own words (validated by the application): a considérant, before the template's
    last one (the one that concludes, or a letter's courtesy line), and an observation after the
    execution line. Printed as written, never passed through the placeholders."""
    considerant = free.get(f"considerant_{lang}", "")
    if considerant:
        t.considerants.insert(max(len(t.considerants) - 1, 0), " ".join(considerant.split()))
    t.observations = free.get(f"observations_{lang}", "")


MISSING_VALUES = ("", "—", "…")  # what a placeholder shows when its fact was not recorded


def placeholders_used(data: DocumentData, templates: dict | None = None) -> list[str]:
    """The placeholders the templates of ``data``'s kind cite in its languages, in order."""
    templates = templates or load_templates()
    kinds = templates["documents"].get(data.kind, {})
    names: dict[str, None] = {}
    for lang in data.langs:
        if lang in kinds:
            for text in _texts(data.kind, lang, kinds[lang]):
                for _lit, name, _spec, _conv in string.Formatter().parse(text):
                    if name:
                        names[name] = None
    return list(names)


def signing_gaps(data: DocumentData, templates: dict | None = None) -> tuple[list[str], list[str]]:
    """What forbids signing ``data``: (the placeholders it cites whose fact is missing — no value,
    an empty one, "—" or "…" —, the cited legal bases still marked unconfirmed "(?)").

    A signed act rests on recorded facts and identified texts (Law 03-01 art. 1): a draft with
    either gap stays a draft until the commune records the event or the text's references."""
    templates = templates or load_templates()
    marks = {templates["phrases"]["unconfirmed"][lang].strip() for lang in LANGS
             if lang in templates.get("phrases", {}).get("unconfirmed", {})} or {"(?)"}
    missing, unconfirmed = [], []
    for name in placeholders_used(data, templates):
        for lang in data.langs:
            value = (data.values_ar if lang == "ar" else data.values_fr).get(name)
            if value is None or value.strip() in MISSING_VALUES:
                if name not in missing:
                    missing.append(name)
            elif lang == "ar" and any(m in value for m in marks):
                for line in value.split("\n"):
                    if any(m in line for m in marks) and line not in unconfirmed:
                        unconfirmed.append(line.strip())
    return missing, unconfirmed


def _fill_checked(kind: str, lang: str, values: dict[str, str], text: str) -> str:
    try:
        return fill(text, values)
    except (ValueError, TypeError) as exc:  # e.g. {deadline_days:d} on a text value
        raise TemplateError(kind, lang, f"cannot fill {text!r}: {exc}") from None


def render_document(data: DocumentData, templates: dict | None = None) -> bytes:
    """The PDF (bytes) of ``data`` in its languages, Arabic first.

    Raises the ``TemplateError`` that ``validate_document`` raises, before drawing anything.
    """
    filled = _fill_templates(data, templates or load_templates())
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(filled["ar"].title)
    canvas.setAuthor("commune-police")
    digest = data.content_hash()
    modules = qr_modules(qr_payload(data, digest))
    for n, lang in enumerate(data.langs):
        if n:
            canvas.showPage()
        _render_language(canvas, data, filled[lang], lang, _fitting_scale(data, filled[lang], lang))
        _qr(canvas, modules, digest, lang)
    canvas.save()
    return buffer.getvalue()


# A version a little too long for its page is set a little smaller rather than leaving the appeal
# notice, or the signature, alone on a page of its own (review finding 29); longer texts run on.
SCALES = (1.0, 0.95, 0.9, 0.86, 0.82)


def _fitting_scale(data: DocumentData, t: _Filled, lang: str) -> float:
    """The largest of SCALES at which one language's version holds on one page (drawn on a scratch
    canvas first), else 1.0."""
    for scale in SCALES:
        if _render_language(None, data, t, lang, scale) == 1:
            return scale
    return 1.0


def _render_language(canvas: Canvas | None, data: DocumentData, t: _Filled, lang: str, scale: float = 1.0) -> int:
    """Draw one language's version (only measure it without a canvas); returns its pages."""
    ar = lang == "ar"
    w = _Writer(canvas, rtl=ar, scale=scale)
    _header(w, data.header_ar if ar else data.header_fr)
    number = data.number or ("مشروع" if ar else "projet")
    if t.subject:  # a letter: number, from / to, subject, reference, body
        w.paragraph(f"رقم: {number}" if ar else f"N° {number}", size=11.5, bold=True, gap=8)
        for line in t.opening.split("\n"):
            w.paragraph(line, size=12, bold=True, align="center", gap=2)
        w.y -= 8
        w.paragraph(t.subject, size=12, bold=True, gap=4)
    else:
        w.paragraph(t.title, size=17, bold=True, align="center", gap=2)
        w.paragraph(f"رقم: {number}" if ar else f"N° {number}", size=12, bold=True, align="center", gap=12)
        if t.opening:
            w.paragraph(t.opening, size=12, bold=True, gap=4)
    for text in [*t.visas, *delegation_visa(data, lang)]:
        for part in text.split("\n"):
            if part.strip():
                w.paragraph(part, size=11.5, gap=3)
    for considerant in t.considerants:
        w.paragraph(considerant, size=11.5, gap=3)
    w.y -= 6
    if t.decides:
        w.paragraph(t.decides, size=13, bold=True, align="center", gap=8)
    for k, article in enumerate(t.articles, 1):
        w.paragraph(article_label(k, lang) + article, size=11.5, gap=5)
    place = data.place_ar if ar else data.place_fr
    when = (f"حرر ب{place} في {hijri_then_gregorian(data.issued_on, 'ar')}" if ar
            else f"Fait à {place}, le {hijri_then_gregorian(data.issued_on, 'fr')}")
    # The signature never stands alone on a page: the last article, the place and date, the
    # signatory and the appeal notice move to the next page together when they do not fit.
    # The president's observations (a free part, drafting) stay with them.
    last = (article_label(len(t.articles) + 1, lang) + t.execution if t.articles else t.execution) if t.execution else ""
    notes = [line for line in (t.observations or "").split("\n") if line.strip()]
    notes = [(("ملاحظة: " if ar else "Observation : ") if n == 0 else "") + line for n, line in enumerate(notes)]
    w.need((w.height(last, 11.5, gap=10) if last else 0) + w.height(when, 11.5, gap=10)
           + sum(w.height(note, 11.5, gap=10) for note in notes)
           + _signature_height(w, data, lang) + (w.height(t.appeal, 9.5, gap=4) if t.appeal else 0))
    if last:
        w.paragraph(last, size=11.5, gap=10)
    for n, note in enumerate(notes):
        w.paragraph(note, size=11.5, gap=10 if n == len(notes) - 1 else 2)
    w.paragraph(when, size=11.5, align="end", gap=10)
    _signature(w, data, lang)
    if t.appeal:
        w.paragraph(t.appeal, size=9.5, gap=4)
    return w.page


def delegation_visa(data: DocumentData, lang: str, templates: dict | None = None) -> list[str]:
    """The visa of the delegation the signatory relies on (with its BO-CT publication), if any."""
    d = data.signatory.delegation
    if d is None or data.kind in LETTER_KINDS:
        return []
    phrases = (templates or load_templates())["phrases"]
    publication = (phrases["delegation_publication"][lang].format(bo_number=d.bo_number, bo_date=d.bo_date)
                   if d.bo_number else "")
    return [phrases["delegation_visa"][lang].format(number=d.number, date=d.date, publication=publication)]


LETTER_KINDS = ("referral_letter", "public_force_request", "complaint_ack", "complaint_answer")


def document_html(data: DocumentData, lang: str = "ar", templates: dict | None = None) -> str:
    """The same document as HTML, for an on-screen preview before signing."""
    templates = templates or load_templates()
    t = templates["documents"][data.kind][lang]
    values = data.values_ar if lang == "ar" else data.values_fr
    esc = lambda text: html.escape(fill(text, values)).replace("\n", "<br>")  # noqa: E731
    ar = lang == "ar"
    number = data.number or ("مشروع" if ar else "projet")
    parts = [f"<div dir='{'rtl' if ar else 'ltr'}' style='font-size:12pt'>",
             "<p align='center'><b>" + "<br>".join(html.escape(h) for h in (data.header_ar if ar else data.header_fr)) + "</b></p>",
             f"<h2 align='center'>{esc(t['title'])}</h2><p align='center'><b>{'رقم' if ar else 'N°'} {number}</b></p>"]
    if t.get("opening"):
        parts.append(f"<p><b>{esc(t['opening'])}</b></p>")
    if t.get("subject"):
        parts.append(f"<p><b>{esc(t['subject'])}</b></p>")
    parts += [f"<p>{esc(v)}</p>" for v in [*t["visas"], *t["considerants"]]]
    if t.get("decides"):
        parts.append(f"<p align='center'><b>{esc(t['decides'])}</b></p>")
    for k, article in enumerate(t["articles"], 1):
        parts.append(f"<p><b>{html.escape(article_label(k, lang))}</b>{esc(article)}</p>")
    if t["execution"]:
        parts.append(f"<p>{esc(t['execution'])}</p>")
    s = data.signatory
    who = (f"{s.delegation.delegate_ar if ar else s.delegation.delegate_fr} — "
           f"{'بتفويض رقم' if ar else 'délégation n°'} {s.delegation.number}") if s.delegation else (s.name_ar if ar else s.name_fr)
    parts.append(f"<p align='{'left' if ar else 'right'}'><b>{html.escape(who)}</b></p>")
    if t["appeal"]:
        parts.append(f"<p style='font-size:9pt'>{esc(t['appeal'])}</p>")
    parts.append("</div>")
    return "\n".join(parts)
