"""In the Arabic interface a grouped number is drawn as one left-to-right run (rendered pixels)."""
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from desktop.i18n import Translator
from reports.numbers import grouped

ROOT = Path(__file__).resolve().parents[3]


def _pixels(qtbot, text: str):
    from desktop.ui.fonts import ui_font
    label = QLabel(text)
    label.setFont(ui_font())  # the application's font (ui/app.py), whatever an earlier test left
    label.setLayoutDirection(Qt.RightToLeft)
    label.setStyleSheet("font-size: 18px; background: white")
    label.resize(420, 40)
    qtbot.addWidget(label)
    return label.grab().toImage()


def test_arabic_count_reads_100_000_not_000_100(qtbot):
    tr = Translator("ar")
    shown = _pixels(qtbot, tr("ui.inspection_count", n=grouped(100000)))
    # The reference: the same number isolated as a left-to-right run (U+2066 … U+2069).
    isolated = _pixels(qtbot, tr("ui.inspection_count", n="\u2066100\u00a0000\u2069"))
    reversed_ = _pixels(qtbot, tr("ui.inspection_count", n="100 000"))
    assert shown == isolated
    assert shown != reversed_  # the comparison can fail: a plain space splits the number


def test_no_page_groups_digits_with_a_plain_space():
    offenders = [str(p) for p in (ROOT / "desktop").rglob("*.py") if 'replace(",", " ")' in p.read_text()]
    assert offenders == []
