"""A table model over a keyset query: it fetches a page when the view scrolls near the end and
never loads the whole list (Qt's canFetchMore/fetchMore protocol)."""
from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal

from desktop.store.db import Store
from desktop.store.listing import KeysetQuery

ID_ROLE = int(Qt.UserRole.value) + 1
# Roles as plain ints: comparing the int Qt passes with a PySide6 enum member costs microseconds,
# and data() runs for every role of every visible cell on each paint.
DISPLAY_ROLE = int(Qt.DisplayRole.value)
TOOLTIP_ROLE = int(Qt.ToolTipRole.value)
BACKGROUND_ROLE = int(Qt.BackgroundRole.value)


class KeysetTableModel(QAbstractTableModel):
    """Rows of ``query``; ``formatter`` turns a raw row into display strings (one per header).

    ``sort_keys`` maps a column number to the sort name ``make_query(sort, descending)`` accepts;
    columns not listed there do not sort.
    """
    failed = Signal(object)

    def __init__(self, store: Store, headers: Sequence[str], formatter: Callable[[tuple], tuple],
                 make_query: Callable[[str, bool], KeysetQuery], sort_keys: dict[int, str],
                 default_sort: tuple[int, bool], page_size: int = 200, parent=None):
        super().__init__(parent)
        self.store, self.headers, self.formatter = store, list(headers), formatter
        self.make_query, self.sort_keys, self.page_size = make_query, sort_keys, page_size
        self.sort_column, self.descending = default_sort
        self._raw: list[tuple] = []        # rows as fetched
        self._shown: list[tuple | None] = []  # display values, formatted when first painted
        self._ids: list[str] = []
        self._after: tuple | None = None
        self._more = False
        self._fetching = False
        self.query: KeysetQuery | None = None

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        # Views react to the reset by asking for more rows; they get them after it, not inside.
        self._fetching = True
        try:
            self.beginResetModel()
            self._raw, self._shown, self._ids, self._after, self._more = [], [], [], None, True
            self.query = self.make_query(self.sort_keys[self.sort_column], self.descending)
            self.endResetModel()
        finally:
            self._fetching = False
        self.fetchMore(QModelIndex())

    def set_query_factory(self, make_query: Callable[[str, bool], KeysetQuery]) -> None:
        self.make_query = make_query
        self.reload()

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and self._more and self.query is not None and not self._fetching

    def fetchMore(self, parent=QModelIndex()) -> None:
        if not self.canFetchMore(parent):
            return
        self._fetching = True  # a view reacting to the insertion must not fetch again inside it
        try:
            self._fetch_page()
        finally:
            self._fetching = False

    def _fetch_page(self) -> None:
        try:
            raw = self.query.page(self.store, self._after, self.page_size)
        except Exception as exc:  # noqa: BLE001 - the page shows the failure
            self._more = False
            self.failed.emit(exc)
            return
        self._more = len(raw) == self.page_size
        if not raw:
            return
        self._after = self.query.key_of(raw[-1])
        first = len(self._raw)
        self.beginInsertRows(QModelIndex(), first, first + len(raw) - 1)
        self._ids += [r[0] for r in raw]
        self._raw += raw
        self._shown += [None] * len(raw)
        self.endInsertRows()

    # -- Qt model protocol ---------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._raw)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index, role=Qt.DisplayRole):
        # Called for every role of every visible cell on each paint: answer the roles we do not
        # serve before touching the index (each call into the index costs).
        if role == DISPLAY_ROLE or role == TOOLTIP_ROLE:
            row = index.row()
            if not 0 <= row < len(self._raw):
                return None
            shown = self._shown[row]
            if shown is None:
                shown = self._shown[row] = self.formatter(self._raw[row])
            return shown[index.column()]
        if role == ID_ROLE:
            row = index.row()
            return self._ids[row] if 0 <= row < len(self._ids) else None
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole and orientation == Qt.Horizontal and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    _FLAGS = Qt.ItemIsEnabled | Qt.ItemIsSelectable

    def flags(self, index):
        return self._FLAGS if index.isValid() else Qt.NoItemFlags

    def sort(self, column: int, order=Qt.AscendingOrder) -> None:
        if column not in self.sort_keys:
            return
        descending = order == Qt.DescendingOrder
        if (column, descending) == (self.sort_column, self.descending) and self.query is not None:
            return
        self.sort_column, self.descending = column, descending
        self.reload()

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None


class RowsTableModel(QAbstractTableModel):
    """A short list held in memory (a site's history, a year's register): rows of dicts shown
    through ``formatter(row) -> tuple``; ``background(row)`` may colour a row."""

    def __init__(self, headers: Sequence[str], formatter: Callable[[dict], tuple], background=None, parent=None):
        super().__init__(parent)
        self.headers, self.formatter, self.background = list(headers), formatter, background
        self.rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if role == ID_ROLE:
            return self.rows[index.row()]["id"]
        if role == DISPLAY_ROLE or role == TOOLTIP_ROLE:  # (a cell cut short read whole on hover)
            return self.formatter(self.rows[index.row()])[index.column()]
        if role == BACKGROUND_ROLE and self.background is not None:
            return self.background(self.rows[index.row()])
        return None

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == DISPLAY_ROLE and orientation == Qt.Horizontal:
            return self.headers[section]
        return None
