"""The inspection list: filters, a paged table that stays smooth on a million rows, the count."""
from __future__ import annotations

from datetime import datetime, time

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDateEdit, QHBoxLayout, QHeaderView,
                               QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget)

from reports.numbers import grouped
from desktop.domain.ids import LOCAL_TZ, to_utc_text
from desktop.domain.model import OUTCOMES
from desktop.store.inspections import InspectionFilter, inspection_query
from desktop.store.users import officers
from desktop.ui.widgets import set_display_format
from desktop.ui.list_export import export_dialog
from desktop.ui.session import Session
from desktop.ui.table_model import ID_ROLE, KeysetTableModel
from desktop.ui.tasks import run_background

NO_DATE = QDate(2000, 1, 1)
SORT_COLUMNS = {0: "inspected_at", 1: "field_code", 3: "district_id", 4: "outcome"}


def local_day_to_utc(day: QDate) -> str:
    return to_utc_text(datetime.combine(day.toPython(), time(0), tzinfo=LOCAL_TZ))


class InspectionsPage(QWidget):
    new_requested = Signal()
    open_requested = Signal(str)
    error = Signal(object)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        tr = session.tr
        self._count_generation = 0
        self.map_selection: list[int] | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.text = QLineEdit(placeholderText=tr("ui.search_placeholder"))
        self.text.setObjectName("filter_text")
        self.text.setClearButtonEnabled(True)
        # its hint's start readable (whole on hover), the bar fitting a window of 1280 px in French
        self.text.setMinimumWidth(self.text.fontMetrics().averageCharWidth() * 12)
        self.text.setToolTip(self.text.placeholderText())
        self.field = self._combo("filter_field", tr("ui.all_fields"),
                                 [(f.label(tr.lang), f.code) for f in session.catalogue.fields])
        self.district = self._combo("filter_district", tr("ui.all_districts"),
                                    sorted((n, i) for i, n in session.labels.districts.items()))
        self.outcome = self._combo("filter_outcome", tr("ui.all_outcomes"),
                                   [(tr.enum("outcome", o), o) for o in OUTCOMES])
        self.officer = self._combo("filter_officer", tr("ui.all_officers"),
                                   [(u.name(tr.lang), u.id) for u in officers(session.store)])
        self.date_from, self.date_to = self._date("filter_from"), self._date("filter_to")
        for w in (self.text, self.field, self.district, self.outcome, self.officer):
            bar.addWidget(w, 2 if w is self.text else 1)
        bar.addWidget(QLabel(tr("ui.from")))
        bar.addWidget(self.date_from)
        bar.addWidget(QLabel(tr("ui.to")))
        bar.addWidget(self.date_to)
        layout.addLayout(bar)

        headers = [tr(k) for k in ("ui.col_date", "ui.col_field", "ui.col_site", "ui.col_district",
                                   "ui.col_outcome", "ui.col_officers", "ui.col_origin", "ui.col_findings")]
        self.model = KeysetTableModel(session.store, headers, session.labels.inspection_row,
                                      self._make_query, SORT_COLUMNS, (0, True),
                                      page_size=int(session.settings["page_size"]), parent=self)
        self.model.failed.connect(self.error)
        self.view = QTableView()
        self.view.setObjectName("inspection_table")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(0, Qt.DescendingOrder)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setDefaultSectionSize(26)
        self.view.verticalHeader().hide()
        self.view.setAlternatingRowColors(True)
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._keep_sort_indicator)
        self.view.doubleClicked.connect(lambda idx: self.open_requested.emit(idx.data(ID_ROLE)))
        # the eight columns in a window of 1280 px (they took 1,220 px of ~1,050: the origin and the
        # findings behind a sideways scroll); a name cut short is read whole on hover, widened at will
        for col, width in enumerate((130, 145, 160, 120, 105, 165, 115, 80)):
            self.view.setColumnWidth(col, width)
        layout.addWidget(self.view, 1)

        bottom = QHBoxLayout()
        self.selection_chip = QPushButton(objectName="map_selection_chip")
        self.selection_chip.setToolTip(tr("ui.clear_selection"))
        self.selection_chip.clicked.connect(lambda: self.set_map_selection(None))
        self.selection_chip.hide()
        bottom.addWidget(self.selection_chip)
        self.count = QLabel()
        self.count.setObjectName("inspection_count")
        bottom.addWidget(self.count, 1)
        self.export_button = QPushButton(tr("ui.export"), objectName="export_inspections")
        self.export_button.setToolTip(tr("ui.export_tip"))
        self.export_button.clicked.connect(lambda: self.export())
        bottom.addWidget(self.export_button)
        self.list_export = QPushButton(tr("ui.export_list"), objectName="export_list")
        self.list_export.clicked.connect(lambda: export_dialog(self, self.model, self.session.tr, "controles", session=self.session))
        bottom.addWidget(self.list_export)
        self.new_button = QPushButton(tr("ui.new_inspection"))
        self.new_button.setObjectName("new_inspection")
        self.new_button.setToolTip("Ctrl+N")
        self.new_button.clicked.connect(self.new_requested)
        self.new_button.setEnabled(session.user.role not in ("reviewer", "president"))
        bottom.addWidget(self.new_button)
        layout.addLayout(bottom)

        QShortcut(QKeySequence(Qt.Key_Return), self.view, activated=self._open_current)
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.text.setFocus)
        self._debounce = QTimer(self, singleShot=True, interval=300, timeout=self.apply_filters)
        self._count_timer = QTimer(self, singleShot=True, interval=50, timeout=self._refresh_count)
        self.text.textChanged.connect(self._debounce.start)
        for combo in (self.field, self.district, self.outcome, self.officer):
            combo.currentIndexChanged.connect(self.apply_filters)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(self._debounce.start)
        self.apply_filters()

    def _combo(self, name: str, all_label: str, items) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItem(all_label, None)
        for label, value in items:
            combo.addItem(label, value)
        return combo

    def _date(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        set_display_format(edit, "yyyy-MM-dd")
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("—")
        edit.setDate(NO_DATE)
        return edit

    def current_filter(self) -> InspectionFilter:
        d_from, d_to = self.date_from.date(), self.date_to.date()
        return InspectionFilter(
            field_code=self.field.currentData(), district_id=self.district.currentData(),
            outcome=self.outcome.currentData(), officer_id=self.officer.currentData(),
            date_from=local_day_to_utc(d_from) if d_from != NO_DATE else None,
            date_to=local_day_to_utc(d_to.addDays(1)) if d_to != NO_DATE else None,
            text=self.text.text(), rowids=self.map_selection)

    def set_map_selection(self, rowids) -> None:
        """Show only the inspections selected on the map (None: all of them again)."""
        self.map_selection = None if rowids is None else [int(r) for r in rowids]
        if self.map_selection is None:
            self.selection_chip.hide()
        else:
            self.selection_chip.setText(self.session.tr("ui.map_selection", n=grouped(len(self.map_selection))) + "  ✕")
            self.selection_chip.show()
        self.apply_filters()

    def _make_query(self, sort: str, descending: bool):
        return inspection_query(self.current_filter(), sort, descending)

    def apply_filters(self) -> None:
        self.model.reload()
        self.count.setText(self.session.tr("ui.counting"))
        self._count_timer.start()  # after the first page is painted, and once per burst of changes

    def _refresh_count(self) -> None:
        """Count the matches on a separate connection so a large count never blocks the list."""
        self._count_generation += 1
        generation, query, commune = self._count_generation, self.model.query, self.session.commune

        def count():
            with commune.reader() as store:
                return query.count(store)

        def shown(n):
            if generation == self._count_generation:
                self.count.setText(self.session.tr("ui.inspection_count", n=grouped(n)))

        run_background(count, shown, self.error.emit, owner=self)

    def export(self, path=None, on_finished=None):
        """The inspections of the current filter to a file QGIS opens (progress, cancel)."""
        from desktop.ui.export_dialog import ask_export_path, export_with_progress  # noqa: PLC0415 - numpy, after the first page
        path = path or ask_export_path(self, self.session)
        if path is None:
            return None
        total = self.model.query.count(self.session.store) if self.model.query is not None else None
        return export_with_progress(self, self.session, self.current_filter(), path, total, on_finished)

    def _keep_sort_indicator(self, column: int, _order) -> None:
        """Columns that cannot be sorted on a large list leave the indicator where it was."""
        if column not in SORT_COLUMNS:
            order = Qt.DescendingOrder if self.model.descending else Qt.AscendingOrder
            QTimer.singleShot(0, lambda: self.view.horizontalHeader().setSortIndicator(self.model.sort_column, order))

    def _open_current(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.open_requested.emit(index.data(ID_ROLE))
