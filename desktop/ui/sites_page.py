"""The site registry: search sites, see one site's history of inspections."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QPushButton,
                               QLineEdit, QSplitter, QVBoxLayout, QWidget)

from desktop.domain.auth import can
from desktop.domain.ids import local_display
from desktop.store.sites import get_site, site_history, site_query
from desktop.ui.list_export import export_dialog
from desktop.ui.session import Session
from desktop.ui.site_edit_dialog import SiteEditDialog
from desktop.ui.widgets import make_table
from desktop.ui.table_model import ID_ROLE, KeysetTableModel, RowsTableModel


class HistoryModel(RowsTableModel):
    """A site's inspections (tens at most, so held in memory)."""

    def __init__(self, session: Session, parent=None):
        tr = session.tr
        super().__init__([tr("ui.col_date"), tr("ui.col_field"), tr("ui.col_outcome"), tr("ui.col_origin"),
                          tr("ui.sec_findings")], self._format, parent=parent)
        self.session = session

    def _format(self, r: dict) -> tuple:
        tr, labels = self.session.tr, self.session.labels
        return (local_display(r["inspected_at"]), labels.field(r["field_code"]), tr.enum("outcome", r["outcome"]),
                tr.enum("origin", r["origin_type"]), r["codes"] or "")

    def set_site(self, site_id: str | None) -> None:
        self.set_rows(site_history(self.session.store, site_id) if site_id else [])


class SitesPage(QWidget):
    open_requested = Signal(str)
    error = Signal(object)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        tr = session.tr
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.text = QLineEdit(placeholderText=tr("ui.site_search"), objectName="site_filter")
        self.text.setClearButtonEnabled(True)
        self.district = QComboBox(objectName="site_district")
        self.district.addItem(tr("ui.all_districts"), None)
        for district_id, name in sorted(session.labels.districts.items(), key=lambda kv: kv[1]):
            self.district.addItem(name, district_id)
        bar.addWidget(self.text, 3)
        bar.addWidget(self.district, 1)
        self.list_export = QPushButton(tr("ui.export_list"), objectName="export_list")
        # owners' names and identity numbers: personal data, exported by the allowed roles only
        self.list_export.clicked.connect(lambda: export_dialog(self, self.model, self.session.tr, "sites",
                                                               session=self.session, personal=True))
        if not can(session.user.role, "personal.export"):
            self.list_export.setEnabled(False)
            self.list_export.setToolTip(tr("ui.export_personal_refused"))
        bar.addWidget(self.list_export)
        self.edit_button = QPushButton(tr("site.edit"), objectName="site_edit_button", enabled=False)
        self.edit_button.setToolTip(tr("site.edit_hint"))
        self.edit_button.clicked.connect(self.edit_site)
        bar.addWidget(self.edit_button)
        layout.addLayout(bar)
        headers = [tr(k) for k in ("ui.site_name", "ui.site_kind", "ui.site_address", "ui.col_district",
                                   "ui.owner_name", "ui.owner_id")]
        self.model = KeysetTableModel(session.store, headers, self._format, self._query, {0: "name"},
                                      (0, False), parent=self)
        self.model.failed.connect(self.error)
        split = QSplitter(Qt.Vertical)
        self.view = make_table(self.model, "site_table")
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(0, Qt.AscendingOrder)
        self.view.selectionModel().currentRowChanged.connect(self._selected)
        for col, width in enumerate((220, 150, 260, 140, 180)):
            self.view.setColumnWidth(col, width)
        split.addWidget(self.view)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        self.summary = QLabel(objectName="site_detail")
        self.summary.setAlignment(Qt.AlignLeading | Qt.AlignVCenter)
        self.summary.setWordWrap(True)
        lower_layout.addWidget(self.summary)
        self.history = HistoryModel(session, self)
        self.history_view = make_table(self.history, "site_history")
        self.history_view.doubleClicked.connect(lambda i: self.open_requested.emit(i.data(ID_ROLE)))
        for col, width in enumerate((140, 220, 130, 200)):
            self.history_view.setColumnWidth(col, width)
        lower_layout.addWidget(self.history_view)
        split.addWidget(lower)
        layout.addWidget(split, 1)
        self._debounce = QTimer(self, singleShot=True, interval=300, timeout=self.model.reload)
        self.text.textChanged.connect(self._debounce.start)
        self.district.currentIndexChanged.connect(self.model.reload)
        self.model.reload()

    def _query(self, _sort: str, descending: bool):
        q = site_query(self.text.text(), self.district.currentData())
        q.descending = descending
        return q

    def _format(self, row: tuple) -> tuple:
        _id, kind, name, address, district, owner, id_kind, id_number = row[:8]
        return (name, self.session.tr.enum("site_kind", kind), address, self.session.labels.district(district),
                owner, id_number)

    def edit_site(self) -> bool:
        """Correct the selected site (its name, owner, authorisations…); the list shows the change."""
        site_id = self.model.id_at(self.view.currentIndex().row())
        if not site_id or not SiteEditDialog(self.session, site_id, self).exec():
            return False
        self.model.reload()
        return True

    def _selected(self, current, _previous) -> None:
        site_id = self.model.id_at(current.row())
        self.edit_button.setEnabled(bool(site_id) and can(self.session.user.role, "site.edit"))
        self.history.set_site(site_id)
        site = get_site(self.session.store, site_id) if site_id else None
        if not site:
            self.summary.clear()
            return
        auths = ", ".join(f"{a['reference']} ({a['expires_on'] or '—'})" for a in site["authorisations"])
        tr = self.session.tr
        self.summary.setText(f"<b>{site['name']}</b> — {site['activity']} — {site['address']}<br>"
                             f"{tr('ui.owner_name')}: {site['owner_name']} {site['owner_id_number']}"
                             + (f"<br>{tr('ui.authorisation')}: {auths}" if auths else "")
                             + f"<br>{tr('ui.history_count', n=len(self.history.rows))}")
