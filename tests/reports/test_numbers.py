"""Grouped numbers read as one left-to-right run inside Arabic, in the PDF text as drawn."""
import subprocess

from reports.annual import ReportData, Section, render_report
from reports.numbers import grouped


def test_grouped_joins_the_groups_with_a_no_break_space():
    assert grouped(100000) == "100\u00a0000"
    assert grouped(1234567.25, 1) == "1\u00a0234\u00a0567.2"
    assert grouped(999) == "999"
    assert grouped(None) == "—"
    assert " " not in grouped(89334)


def _pdf_text(tmp_path, paragraph: str) -> str:
    data = ReportData("ar", "تقرير", "", [], [Section("ملخص", [paragraph])], "المحتويات", "صفحة {n} / {total}")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_report(data))
    out = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.replace("\u00a0", " ")


def test_report_paragraph_keeps_the_digit_groups_in_order(tmp_path):
    text = _pdf_text(tmp_path, f"أنجزت الشرطة الإدارية {grouped(89334)} مراقبة و{grouped(1845)} مرحلة")
    assert "89 334" in text and "1 845" in text
    assert "334 89" not in text and "845 1" not in text


def test_an_ordinary_space_would_reverse_the_groups(tmp_path):
    """The check above can fail: the same paragraph with a plain space shows the groups reversed."""
    text = _pdf_text(tmp_path, "أنجزت الشرطة الإدارية 89 334 مراقبة")
    assert "334 89" in text


def test_french_decimals_take_a_comma():
    from reports.numbers import decimal_text
    assert grouped(1234.5, 1, comma=True) == "1\u00a0234,5" and grouped(1234.5, 1) == "1\u00a0234.5"
    assert grouped(12, comma=True) == "12"
    assert decimal_text(12.5, "fr") == "12,5" and decimal_text(12.5, "ar") == "12.5" and decimal_text(3.0, "fr") == "3"
