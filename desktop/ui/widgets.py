"""Small widget factories shared by the pages."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QDateTimeEdit, QHeaderView, QTableView


def make_table(model, name: str, resize: QHeaderView.ResizeMode = QHeaderView.Interactive,
               widths: tuple[int, ...] = ()) -> QTableView:
    """A read-only list view: whole rows selected, one at a time, last column stretched."""
    view = QTableView(objectName=name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setSelectionMode(QAbstractItemView.SingleSelection)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(resize)
    view.horizontalHeader().setStretchLastSection(True)
    view.setAlternatingRowColors(True)
    for col, width in enumerate(widths):
        view.setColumnWidth(col, width)
    return view


def set_display_format(edit: QDateTimeEdit, fmt: str) -> None:
    """Dates and times read left to right in both languages ("2026-11-23 11:30").

    A date edit parses its format in its own layout direction: set under Arabic, Qt reverses the
    sections ("30:11 23-11-2026"). The edit is made left to right *before* the format is set.
    """
    edit.setLayoutDirection(Qt.LeftToRight)
    edit.setDisplayFormat(fmt)


def ltr(text: object) -> str:
    """``text`` isolated as a left-to-right run (U+2066 … U+2069) for a date or time inside an
    Arabic sentence: "2026-11-23" stays in that order instead of reading "23-11-2026"."""
    return f"\u2066{text}\u2069"
