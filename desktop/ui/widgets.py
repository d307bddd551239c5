"""Small widget factories shared by the pages."""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


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
