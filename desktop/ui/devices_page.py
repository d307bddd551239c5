"""«Appareils / الأجهزة»: the devices enrolled with the commune hub, on the coordinator's station.

A lost or stolen tablet is revoked here: the hub refuses its key from its next request on, and
keeps whatever it still pushes in quarantine for review. The coordinator cannot revoke his own
station (he would lock himself out). The hub is asked in the background."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QMessageBox, QPushButton, QTableWidgetItem, QVBoxLayout, QWidget)

from desktop.domain.complaints import device_code
from desktop.services import netsync
from desktop.services.hubconfig import HubConfig
from desktop.ui.errors import show_error
from desktop.ui.session import Session
from desktop.ui.tasks import run_background
from desktop.ui.widgets import row_table, ltr

# «Code»: the four characters of the device's complaint series (PL-2026-7KQ3-00001), one per
# device at the hub: two tablets of one officer, enrolled the same minute, told apart (the first
# eight characters of their ids, a UUIDv7's clock, were the same)
COLUMNS = ("net.d_user", "net.d_code", "net.d_role", "ui.district", "net.d_enrolled", "net.d_last_seen", "net.d_status",
           "net.d_quarantined")


def _when(value) -> str:
    return ltr(str(value)[:16].replace("T", " ")) if value else "—"


class DevicesPage(QWidget):
    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        tr = self.tr
        self.rows: list[dict] = []
        self.loading = 0
        config = HubConfig.load(session.commune.path)
        self.own_device = config.device_id if config else None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(tr("net.devices_intro"), objectName="devices_intro", wordWrap=True), 1)
        self.reload = QPushButton(tr("net.refresh"), objectName="devices_refresh", clicked=self.refresh)
        top.addWidget(self.reload)
        layout.addLayout(top)
        self.table = row_table([tr(k) for k in COLUMNS], "devices_table", self._selection)
        layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        self.detail = QLabel(objectName="device_detail", wordWrap=True)
        self.detail.setTextInteractionFlags(Qt.TextSelectableByMouse)  # the whole id, copied for «hub export --device»
        bottom.addWidget(self.detail, 1)
        self.revoke_button = QPushButton(tr("net.revoke_device"), objectName="revoke_device", clicked=self.revoke)
        bottom.addWidget(self.revoke_button)
        layout.addLayout(bottom)
        self.refresh()

    @property
    def available(self) -> bool:
        """Only a coordinator's station enrolled over the network asks the hub for its devices."""
        commune = self.session.commune
        return netsync.enrolled(commune.path) and bool(netsync.state(commune).get("resolver"))

    def refresh(self) -> None:
        path = self.session.commune.path
        if not self.available:  # the page is hidden then; nothing to ask, no error to show
            self.revoke_button.setEnabled(False)
            return
        self.loading += 1
        self.reload.setEnabled(False)

        def failed(exc: Exception) -> None:
            self.loading -= 1
            self.reload.setEnabled(not self.loading)
            show_error(self, exc, self.tr)

        def loaded(rows) -> None:
            self.loading -= 1
            self._show(rows)
        run_background(lambda: netsync.hub_devices(path), loaded, failed, owner=self)

    def _district(self, r: dict) -> str:
        name = r.get("district_ar") if self.tr.lang == "ar" else r.get("district_fr")
        return name or self.tr("net.whole_commune")

    def _show(self, rows) -> None:
        tr = self.tr
        self.reload.setEnabled(not self.loading)
        chosen = (self.selected() or {}).get("device_id")
        self.rows = list(rows)
        self.table.setRowCount(len(self.rows))
        for n, r in enumerate(self.rows):
            mine = r["device_id"] == self.own_device
            status = tr(f"net.device_status.{r['status']}") + (f" ({tr('net.this_device')})" if mine else "")
            values = (ltr(r["username"]), ltr(device_code(r["device_id"])), tr.enum("role", r["role"]), self._district(r), _when(r.get("enrolled_at")),
                      _when(r.get("last_seen")), status, str(r.get("quarantined") or 0))
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if r["status"] == "revoked":
                    item.setForeground(Qt.darkRed)
                self.table.setItem(n, c, item)
        self.table.resizeColumnsToContents()
        for n, r in enumerate(self.rows):
            if r["device_id"] == chosen:
                self.table.setCurrentCell(n, 0)
        self._selection()

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _selection(self) -> None:
        r, tr = self.selected(), self.tr
        revocable = r is not None and r["status"] == "active" and r["device_id"] != self.own_device
        self.revoke_button.setEnabled(revocable)
        if r is None:
            self.detail.setText("")
        elif r["status"] == "revoked":
            self.detail.setText(tr("net.device_revoked_on", when=_when(r.get("revoked_at")),
                                   n=int(r.get("quarantined") or 0)))
        else:
            self.detail.setText(tr("net.device_id", id=ltr(r["device_id"])))

    def revoke(self) -> None:
        r, tr = self.selected(), self.tr
        if r is None or r["status"] != "active" or r["device_id"] == self.own_device:
            return
        question = tr("net.revoke_confirm", user=r["username"], district=self._district(r),
                      code=ltr(device_code(r["device_id"])))
        if QMessageBox.question(self, tr("net.revoke_device"), question,
                                QMessageBox.Yes | QMessageBox.No, QMessageBox.No) != QMessageBox.Yes:
            return
        path, device_id = self.session.commune.path, r["device_id"]
        self.revoke_button.setEnabled(False)

        def failed(exc: Exception) -> None:
            show_error(self, exc, tr)
            self._selection()
        run_background(lambda: netsync.revoke_hub_device(path, device_id), lambda _r: self.refresh(), failed, owner=self)
