"""Small widget factories shared by the pages."""
from __future__ import annotations

import unicodedata

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateTimeEdit, QHeaderView, QLineEdit, QTableView,
                               QTableWidget, QWidget)

from desktop.i18n import ltr  # noqa: F401 - re-exported: the pages' helper for dates and codes


def row_table(headers: list[str], name: str, on_select) -> QTableWidget:
    """A read-only table of rows chosen one at a time (the sync pages' lists)."""
    table = QTableWidget(0, len(headers), objectName=name)
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QAbstractItemView.SelectRows)
    table.setSelectionMode(QAbstractItemView.SingleSelection)
    table.setEditTriggers(QAbstractItemView.NoEditTriggers)
    table.horizontalHeader().setStretchLastSection(True)
    table.itemSelectionChanged.connect(on_select)
    return table


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


def cap_column(view: QTableView, column: int, chars: int = 24) -> None:
    """A column of long names (a field's) no wider than ``chars`` average characters, cut short
    (read whole on hover, the user may widen it), so that the columns after it show on a 1280 px
    screen instead of behind a sideways scroll."""
    view.horizontalHeader().setSectionResizeMode(column, QHeaderView.Interactive)
    view.setColumnWidth(column, view.fontMetrics().averageCharWidth() * chars)


def set_display_format(edit: QDateTimeEdit, fmt: str) -> None:
    """Dates and times read left to right in both languages ("2026-11-23 11:30").

    A date edit parses its format in its own layout direction: set under Arabic, Qt reverses the
    sections ("30:11 23-11-2026"). The edit is made left to right *before* the format is set.
    """
    edit.setLayoutDirection(Qt.LeftToRight)
    edit.setDisplayFormat(fmt)


def enable_sorting(view: QTableView, model) -> None:
    """Clicking a header sorts a paged list by that column (those of ``model.sort_keys``); a
    column that cannot be sorted leaves the indicator where it was."""
    header = view.horizontalHeader()
    header.setSortIndicator(model.sort_column, Qt.DescendingOrder if model.descending else Qt.AscendingOrder)
    view.setSortingEnabled(True)  # sorts by the indicator at once: set it first

    def keep(column: int, _order) -> None:
        if column not in model.sort_keys:
            order = Qt.DescendingOrder if model.descending else Qt.AscendingOrder
            QTimer.singleShot(0, lambda: header.setSortIndicator(model.sort_column, order))
    header.sortIndicatorChanged.connect(keep)


def search_box(placeholder: str, name: str, on_search, parent: QWidget) -> QLineEdit:
    """A search field that runs ``on_search`` 300 ms after the last keystroke."""
    edit = QLineEdit(placeholderText=placeholder, objectName=name)
    edit.setClearButtonEnabled(True)
    timer = QTimer(parent, singleShot=True, interval=300, timeout=on_search)
    edit.textChanged.connect(timer.start)
    edit.returnPressed.connect(on_search)
    edit.debounce = timer  # type: ignore[attr-defined]
    return edit



def first_strong_rtl(text: str) -> bool | None:
    """True when the first letter with a direction is Arabic (or Hebrew), False when Latin, None
    when there is none yet."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return None


def follow_text_direction(edit) -> None:
    """A multi-line box aligned with what is typed: Arabic to the right, French to the left;
    empty, it follows the interface. (Qt's plain-text box aligns everything left, even Arabic.)"""
    def update() -> None:
        rtl = first_strong_rtl(edit.toPlainText())
        if rtl is None:
            rtl = edit.layoutDirection() == Qt.RightToLeft
        doc = edit.document()
        option = doc.defaultTextOption()
        wanted = Qt.AlignRight if rtl else Qt.AlignLeft
        if option.alignment() != wanted:
            option.setAlignment(wanted)
            option.setTextDirection(Qt.RightToLeft if rtl else Qt.LeftToRight)
            doc.setDefaultTextOption(option)
    edit.textChanged.connect(update)
    update()


def compact_filters(page: QWidget, chars: int = 10, most: int = 26) -> None:
    """A page's filter boxes keep room for their first choice ("all …", at least ``chars`` and at
    most ``most`` average characters; their lists still open full width), so that a page in French fits
    the screen it fits in Arabic."""
    for combo in page.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(chars)
        metrics = combo.fontMetrics()
        first = min(metrics.horizontalAdvance(combo.itemText(0)), metrics.averageCharWidth() * most)
        combo.setMinimumWidth(first + 34)  # the text, the arrow and the frame
        combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)
        combo.setToolTip(combo.currentText())  # a choice cut on a narrow screen is read whole on hover
        combo.currentTextChanged.connect(combo.setToolTip)
