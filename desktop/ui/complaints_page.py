"""Complaints: the list with the answer clock; a complaint opens in ``ComplaintDialog``."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QHeaderView, QPushButton, QVBoxLayout, QWidget

from desktop.store.complaints import STATUSES, complaints_query
from desktop.ui.widgets import ltr
from desktop.ui.complaint_dialog import ComplaintDialog
from desktop.ui.list_export import export_dialog
from desktop.ui.session import Session
from desktop.ui.table_model import ID_ROLE, KeysetTableModel
from desktop.ui.widgets import make_table

class ComplaintsPage(QWidget):
    inspect = Signal(dict)  # the complaint an inspection is started from
    pick_requested = Signal(object)  # an intake dialog wants its location picked on the map

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        tr = session.tr
        self.today = date.today()
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.status = QComboBox(objectName="complaint_status_filter")
        self.status.addItem(tr("cp.all"), None)
        for s in STATUSES:
            self.status.addItem(tr(f"cp.status_{s}"), s)
        self.overdue = QCheckBox(tr("cp.overdue"), objectName="complaint_overdue")
        self.new_button = QPushButton(tr("cp.new"), objectName="new_complaint")
        self.new_button.clicked.connect(lambda: self.open_complaint(None))
        bar.addWidget(self.status)
        bar.addWidget(self.overdue)
        bar.addStretch(1)
        bar.addWidget(self.new_button)
        self.list_export = QPushButton(tr("ui.export_list"), objectName="export_list")
        self.list_export.clicked.connect(lambda: export_dialog(self, self.model, self.session.tr, "plaintes"))
        bar.addWidget(self.list_export)
        layout.addLayout(bar)
        headers = [tr(k) for k in ("cp.reference", "cp.received", "cp.channel", "ui.col_field", "reg.status", "cp.answer_due", "cp.clock")]
        self.model = KeysetTableModel(session.store, headers, self._format, self._query, {1: "received"}, (1, True), parent=self)
        self.view = make_table(self.model, "complaints_table", QHeaderView.ResizeToContents)
        self.view.doubleClicked.connect(lambda index: self.open_complaint(index.data(ID_ROLE)))
        layout.addWidget(self.view, 1)
        self.status.currentIndexChanged.connect(self.model.reload)
        self.overdue.toggled.connect(self.model.reload)
        self.model.reload()

    def refresh(self) -> None:
        self.model.reload()

    def _query(self, _sort, _desc):
        return complaints_query(self.status.currentData(), self.overdue.isChecked(), self.today)

    def _format(self, row: tuple) -> tuple:
        _id, ref, received, channel, field_code, status, due, answered = row[:8]
        tr = self.session.tr
        if answered:
            clock = tr("cp.answered_on", date=ltr(answered))
        elif status == "merged":
            clock = ""
        else:
            left = (date.fromisoformat(due) - self.today).days
            clock = tr("cp.days_left", n=left) if left >= 0 else tr("case.days_late", n=-left)
        return (ref, received, tr(f"cp.channel_{channel}"), self.session.labels.field(field_code) if field_code else "",
                tr(f"cp.status_{status}"), due, clock)

    def open_complaint(self, complaint_id: str | None) -> ComplaintDialog:
        dialog = ComplaintDialog(self.session, complaint_id, self)
        dialog.inspect.connect(self.inspect)
        if complaint_id is None:  # intake stays open beside the map, to pick the place
            dialog.pick_requested.connect(lambda: self.pick_requested.emit(dialog))
            dialog.show()
        else:
            dialog.exec()
        return dialog
