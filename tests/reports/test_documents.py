"""Arabic typesetting and documents, checked on the PDF itself (pdftotext, glyph order)."""
import re
import subprocess
from datetime import date

import pytest

from reports.bidi_layout import break_lines, shape_line
from reports.documents import (DocumentData, Signatory, TemplateError, check_templates, hijri_text,
                               load_templates, render_document)
from reports.fonts import document_font

BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return BIDI_MARKS.sub("", out)


def sample(kind="closure", langs=("ar", "fr")) -> DocumentData:
    ar = dict(site_name="مقهى الأمل", site_address="12، شارع الزرقطوني", owner="محمد العلوي", inspection_date="04/03/2026",
              findings="احتلال الملك العمومي بدون رخصة (12.5 م²)", legal_bases="وبناء على القانون رقم 57.19، المادة 27؛",
              deadline_days="30", notice_ref="5/2026", notice_date="10/03/2026", notice_days="30",
              reinspection_date="15/04/2026", executor="السيد المدير العام للمصالح", commune="الدار البيضاء",
              court="المحكمة الإدارية بالدار البيضاء", governor="السيد عامل عمالة الدار البيضاء",
              deadline_period="ثلاثون يوما", notice_period="30 يوما")
    fr = dict(site_name="Café Al Amal", site_address="12, bd Zerktouni", owner="Mohamed Alaoui", inspection_date="04/03/2026",
              findings="occupation sans autorisation (12,5 m²)", legal_bases="Vu la loi n° 57-19, art. 27 ;", deadline_days="30",
              notice_ref="5/2026", notice_date="10/03/2026", notice_days="30", reinspection_date="15/04/2026",
              executor="M. le Directeur général des services", commune="Casablanca",
              court="tribunal administratif de Casablanca", governor="M. le Gouverneur", deadline_period="30 jours",
              notice_period="30 jours")
    return DocumentData(kind, "12/2026", date(2026, 11, 23), "الدار البيضاء", "Casablanca",
                        ["المملكة المغربية", "وزارة الداخلية", "جماعة الدار البيضاء"],
                        ["Royaume du Maroc", "Ministère de l'Intérieur", "Commune de Casablanca"], ar, fr,
                        Signatory("عبد الرحيم الإدريسي", "Abderrahim El Idrissi"), langs)


def test_pdftotext_reads_real_arabic_letters_in_order(tmp_path):
    text = pdf_text(render_document(sample()), tmp_path)
    for phrase in ("المملكة المغربية", "قرار بالإغلاق المؤقت لمحل", "شارع الزرقطوني", "يقرر ما يلي",
                   "رئيس مجلس الجماعة", "المحكمة الإدارية", "Arrêté portant fermeture temporaire"):
        assert phrase in text, phrase
    assert "12/2026" in text and "نونبر" in text and "1448" in text and "novembre 2026" in text  # Hijri, then Gregorian
    presentation_or_private = [c for c in text if 0xFB50 <= ord(c) <= 0xFEFF or 0xE000 <= ord(c) <= 0xF8FF or ord(c) >= 0xF0000]
    assert presentation_or_private == []


def test_visual_order_numbers_ltr_and_brackets_mirrored():
    fonts = document_font()
    line = shape_line("ترخيص (Law 27)", fonts, 12, rtl_base=True)
    texts = [g.text for run in line.runs for g in run.glyphs]  # left to right on the page
    # Leftmost: the closing bracket (mirrored, so it opens leftwards), then the Latin run in
    # reading order, then the opening bracket and the Arabic word, rightmost.
    assert texts[0] == ")" and "".join(texts[1:7]) == "Law 27" and texts[7] == "("
    assert "".join(reversed(texts[9:])) == "ترخيص"
    cmap = fonts.latin.face.charToGlyph
    first = line.runs[0].glyphs[0]
    assert first.gid == cmap[ord("(")]  # drawn with the glyph of "(" : mirrored


def test_lines_wrap_at_word_boundaries(tmp_path):
    words = ("وبناء على المعاينة التي أجراها أعوان الشرطة الإدارية بتاريخ 04/03/2026 بالمحل الكائن بشارع الزرقطوني " * 4).split()
    lines = break_lines(" ".join(words), document_font(), 12, 300, rtl_base=True)
    assert len(lines) > 3 and all(line.width <= 300 + 1 for line in lines)
    from reportlab.pdfgen.canvas import Canvas
    import io
    from reports.bidi_layout import draw_line
    buf = io.BytesIO()
    c = Canvas(buf)
    y = 800
    for line in lines:
        draw_line(c, line, 500 - line.width, y)
        y -= 20
    c.save()
    # pdftotext drops the space after a left-to-right number inside Arabic (its own reordering);
    # the words and their order are what matters here: none is cut by a line break.
    tokens = re.compile(r"[\u0600-\u06FF]+|[0-9/]+")
    assert tokens.findall(pdf_text(buf.getvalue(), tmp_path)) == tokens.findall(" ".join(words))


def test_hijri_date():
    assert hijri_text(date(2026, 11, 23), "ar") == "13 جمادى الآخرة 1448"


def test_unknown_placeholder_is_refused_clearly():
    templates = load_templates()
    templates["documents"]["closure"]["ar"]["articles"].append("يغلق المحل {site_colour}")
    with pytest.raises(TemplateError, match=r"closure/ar: unknown placeholder \{site_colour\}"):
        check_templates(templates)


def test_arabic_is_mandatory():
    with pytest.raises(TemplateError):
        render_document(sample(langs=("fr",)))


def test_content_hash_follows_the_content():
    a, b = sample(), sample()
    assert a.content_hash() == b.content_hash()
    b.values_ar["site_name"] = "مقهى آخر"
    assert a.content_hash() != b.content_hash()


@pytest.mark.parametrize("kind", ["formal_notice", "closure", "withdrawal", "stop_and_fee", "removal", "injunction",
                                  "ruin_order", "public_force_request", "referral_letter"])
def test_every_document_kind_renders(kind, tmp_path):
    text = " ".join(pdf_text(render_document(sample(kind, ("ar",))), tmp_path).split())
    t = load_templates()["documents"][kind]["ar"]
    assert all(w in text for w in (t.get("subject") or t["title"]).split("{")[0].replace(".", " ").replace(":", " ").split())
    if kind in ("public_force_request", "referral_letter"):  # letters: from / to, subject, no decision
        assert "الموضوع" in text and "يقرر" not in text and "المادة الأولى" not in text and "والسلام" in text
    elif kind == "ruin_order":  # the urgent-matters judge, 10 days, suspensive (Law 94-12 art. 12)
        assert "قاضيا للأمور المستعجلة" in text and "عشرة" in text and "10" in text and "المحكمة الإدارية بالدار البيضاء" in text
    elif kind == "formal_notice":  # a preparatory act: no article of a decision
        assert "يعذر" in text and "يقرر" not in text
    else:  # the appeal notice names the court and OL 113-14 arts 265-266 (Law 41-90 art. 23)
        assert "المحكمة الإدارية بالدار البيضاء" in text and "265" in text and "266" in text and "60" in text
    if kind not in ("public_force_request", "referral_letter", "formal_notice", "stop_and_fee"):
        assert "إن رئيس مجلس جماعة الدار البيضاء" in text and "يقرر ما يلي" in text and "المادة الأولى" in text


def test_the_signature_never_stands_alone_on_a_page(tmp_path):
    """Whatever the length of the findings, the page with the place, date and signature also holds
    the last article: the signature is never alone on a page (legal review, ruin order)."""
    pages_with_signature_seen = set()
    for n in range(0, 120, 5):  # long enough to overflow a page even once set smaller to fit
        doc = sample(langs=("ar",))
        doc.values_ar["findings"] = "، ".join(["مخالفة طويلة في النظافة والتهوية والتبريد"] * (1 + n))
        path = tmp_path / f"doc{n}.pdf"
        path.write_bytes(render_document(doc))
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        pages = [BIDI_MARKS.sub("", p) for p in out.split("\f") if p.strip()]
        [signed] = [k for k, p in enumerate(pages) if "عبد الرحيم الإدريسي" in p]  # the signatory
        pages_with_signature_seen.add(signed)
        assert "حرر ب" in pages[signed] and "المادة" in pages[signed], (n, pages[signed][:300])
    assert len(pages_with_signature_seen) > 1  # the sweep did push the signature over a page break
