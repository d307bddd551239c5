"""Cases: the open steps of the ladder, due dates first, overdue ones marked; the funnel."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from reports.numbers import grouped
from desktop.domain.ladder import STEPS
from desktop.i18n import days_count
from desktop.store.cases import funnel
from desktop.services.search import case_steps_query
from desktop.store.listing import KeysetQuery
from desktop.ui.list_export import export_dialog
from desktop.ui.session import Session
from desktop.ui.widgets import enable_sorting, make_table, search_box
from desktop.ui.table_model import ID_ROLE, KeysetTableModel

class CasesPage(QWidget):
    open_case = Signal(str)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        tr = session.tr
        self.today = date.today()
        layout = QVBoxLayout(self)
        self.funnel = QLabel(objectName="funnel")
        self.funnel.setWordWrap(True)
        self.funnel.setStyleSheet("background: #eef2f5; padding: 6px;")
        layout.addWidget(self.funnel)
        bar = QHBoxLayout()
        self.step = QComboBox(objectName="case_step_filter")
        self.step.addItem(tr("case.all_steps"), None)
        for s in STEPS[:-1]:
            self.step.addItem(tr(f"step.{s}"), s)
        self.field = QComboBox(objectName="case_field_filter")
        self.field.addItem(tr("ui.all_fields"), None)
        for f in session.catalogue.fields:
            self.field.addItem(f.label(tr.lang), f.code)
        self.overdue = QCheckBox(tr("case.overdue_only"), objectName="case_overdue")
        self.search = search_box(tr("case.search_placeholder"), "case_search", self.refresh_list, self)
        bar.addWidget(self.search, 2)
        for w in (self.step, self.field, self.overdue):
            bar.addWidget(w)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.list_export = QPushButton(tr("ui.export_list"), objectName="export_list")
        self.list_export.clicked.connect(lambda: export_dialog(self, self.model, self.session.tr, "dossiers", session=self.session))
        bar.addWidget(self.list_export)
        headers = [tr("case.due"), tr("case.step"), tr("ui.col_site"), tr("ui.col_field"), tr("case.owner"), tr("case.late")]
        self.model = KeysetTableModel(session.store, headers, self._format, self._query, {0: "due", 1: "step", 2: "site", 3: "field"}, (0, False),
                                      parent=self)
        self.view = make_table(self.model, "cases_table", widths=(110, 170, 240, 220, 200))
        enable_sorting(self.view, self.model)
        self.view.doubleClicked.connect(lambda index: self.open_case.emit(index.data(ID_ROLE)))
        layout.addWidget(self.view, 1)
        self.count = QLabel(objectName="case_count")
        layout.addWidget(self.count)
        for w in (self.step, self.field):
            w.currentIndexChanged.connect(self.refresh_list)
        self.overdue.toggled.connect(self.refresh_list)
        self.refresh()

    def _query(self, sort: str, descending: bool) -> KeysetQuery:
        return case_steps_query(self.step.currentData(), self.overdue.isChecked(), self.field.currentData(), self.today,
                                self.search.text(), sort, descending)

    def refresh_list(self) -> None:
        """The list and its count, after a filter or the search changed."""
        self.model.reload()
        self.count.setText(self.session.tr("case.count", n=grouped(self.model.query.count(self.session.store))))

    def _format(self, row: tuple) -> tuple:
        _case, due, step, site, field_code, owner = row[:6]
        late = (self.today - date.fromisoformat(due)).days
        tr = self.session.tr
        return (due, tr(f"step.{step}"), site, self.session.labels.field(field_code), self.session.labels.user(owner),
                tr("case.days_late", n=days_count(late, tr.lang)) if late > 0 else "")

    def refresh(self) -> None:
        self.refresh_list()
        tr = self.session.tr
        rungs = funnel(self.session.store)
        base = rungs[0]["cases"] or 1
        parts = []
        for r in rungs:
            median = "" if r["median_days"] in (None, 0.0) else " · " + tr("case.median_days", n=days_count(round(r["median_days"]), tr.lang))
            parts.append(f"<b>{tr('funnel.' + r['rung'])}</b> {grouped(r['cases'])} ({r['cases'] * 100 // base}%){median}")
        self.funnel.setText(tr("dash.steps") + " " + (" ← " if tr.rtl else " → ").join(parts))
