"""Dates and times read "2026-11-23 11:30" in Arabic as in French, in every date field."""
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit

from desktop.i18n import Translator
from desktop.ui.form_visit import VisitSection
from desktop.ui.widgets import set_display_format


def test_visit_time_reads_left_to_right_in_arabic(qtbot, qapp):
    qapp.setLayoutDirection(Qt.RightToLeft)
    try:
        for lang in ("ar", "fr"):
            section = VisitSection(Translator(lang), [], [])
            qtbot.addWidget(section)
            section.when.setDateTime(QDateTime(QDate(2026, 11, 23), QTime(11, 30)))
            assert section.when.text() == "2026-11-23 11:30"
    finally:
        qapp.setLayoutDirection(Qt.LeftToRight)


def test_every_date_field_of_the_arabic_interface(qtbot, qapp, make_session, store):
    from desktop.store.users import authenticate
    from desktop.ui.main_window import MainWindow
    qapp.setLayoutDirection(Qt.RightToLeft)
    try:
        window = MainWindow(make_session(authenticate(store, "coordinateur", "coord-demo"), "ar"))
        qtbot.addWidget(window)
        for row in range(window.nav.count()):  # pages are built when first shown
            window.nav.setCurrentRow(row)
        edits = [e for e in window.findChildren(QDateTimeEdit) if e.text() != e.specialValueText()]
        assert len(edits) >= 2
        for edit in edits:  # the date each page shows, written year first
            assert edit.text().startswith(edit.date().toString("yyyy-MM-dd")), (edit.objectName(), edit.text())
    finally:
        qapp.setLayoutDirection(Qt.LeftToRight)


def test_without_the_helper_qt_reverses_the_sections(qtbot, qapp):
    """The checks above can fail: a date edit formatted under Arabic reads backwards."""
    qapp.setLayoutDirection(Qt.RightToLeft)
    try:
        plain, fixed = QDateEdit(QDate(2026, 11, 23)), QDateEdit(QDate(2026, 11, 23))
        qtbot.addWidget(plain)
        qtbot.addWidget(fixed)
        plain.setLayoutDirection(Qt.RightToLeft)
        plain.setDisplayFormat("yyyy-MM-dd")
        set_display_format(fixed, "yyyy-MM-dd")
        assert plain.text() == "23-11-2026" and fixed.text() == "2026-11-23"
    finally:
        qapp.setLayoutDirection(Qt.LeftToRight)
