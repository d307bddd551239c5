"""The sync in the main window: its state in the status bar (last receipt, pending ops, open
conflicts) and the «Synchroniser / مزامنة» action, run in the background with progress and cancel.
Nothing shows on a standalone commune."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QPushButton

from desktop.domain.complaints import device_code
from desktop.domain.errors import Refusal
from desktop.services import netsync, usbsync
from desktop.ui.errors import show_error
from desktop.ui.tasks import run_op
from desktop.ui.widgets import ltr

ALL_TABLES = frozenset({"commune", "district", "user", "site", "authorisation", "inspection", "finding", "attachment",
                        "case_file", "case_finding", "case_step", "delegation", "decision", "complaint",
                        "complaint_inspection", "programme", "programme_brigade", "sync_conflict"})


class SyncPanel:
    """The status-bar label and button and the File menu's action of one main window."""

    def __init__(self, window: QMainWindow):  # the MainWindow (its session, status bar)
        self.window = window
        tr = window.session.tr
        bar = window.statusBar()
        self.label = QLabel(objectName="status_sync")
        self.button = QPushButton(tr("net.sync_action"), objectName="sync_button")
        self.button.setToolTip(tr("net.sync_tip"))
        self.button.clicked.connect(self.run)
        bar.addPermanentWidget(self.label)
        bar.addPermanentWidget(self.button)
        self.action = QAction(tr("net.sync_action"), window, shortcut=QKeySequence("Ctrl+Shift+S"),
                              triggered=self.run)
        self.usb_export = QAction(tr("net.usb_export"), window, objectName="usb_export", triggered=self.export_usb)
        self.usb_import = QAction(tr("net.usb_import"), window, objectName="usb_import", triggered=self.import_usb)
        self.state: dict = {}
        self.running = False
        self.refresh()

    def retranslate(self) -> None:
        tr = self.window.session.tr
        self.button.setText(tr("net.sync_action"))
        self.button.setToolTip(tr("net.sync_tip"))
        self.action = QAction(tr("net.sync_action"), self.window, shortcut=QKeySequence("Ctrl+Shift+S"),
                              triggered=self.run)
        self.usb_export.setText(tr("net.usb_export"))
        self.usb_import.setText(tr("net.usb_import"))
        self.refresh()

    def refresh(self) -> None:
        """Read the state again (after a sync, and after any write: the pending count moves)."""
        tr = self.window.session.tr
        self.state = netsync.state(self.window.session.commune)
        enrolled = bool(self.state.get("enrolled"))
        self.label.setVisible(enrolled)
        self.button.setVisible(enrolled and self.state["network"])
        self.action.setEnabled(enrolled and self.state["network"] and not self.running)
        for action in (self.usb_export, self.usb_import):
            action.setEnabled(enrolled and not self.running)
        self.button.setEnabled(not self.running)
        if not enrolled:
            return
        last = self.state.get("last_receipt_at")
        when = ltr(last[:16].replace("T", " ")) if last else tr("net.never")
        hub = self.state.get("hub_conflicts") if self.state.get("resolver") else None
        # a coordinator counts the hub's queue he works (its Conflits page), as last read; a
        # tablet its own ops' conflicts
        self.label.setText(tr("net.status" if hub is None else "net.status_hub", last=when,
                              pending=self.state.get("pending", 0),
                              conflicts=self.state.get("conflicts", 0) if hub is None else hub))
        device = self.state.get("device_id")  # what the coordinator's «Appareils» page names this device by
        self.label.setToolTip(tr("net.this_device_code", code=ltr(device_code(device)), id=ltr(device))
                              if device else "")

    def run(self) -> None:
        if self.running or not self.state.get("network"):
            return
        tr, path = self.window.session.tr, self.window.session.commune.path
        self.running = True
        self.refresh()

        def finished() -> None:
            self.running = False
            self.window.session.notifier.changed.emit(ALL_TABLES)  # the pull wrote through its own connection
            self.refresh()

        def done(result) -> None:
            finished()
            self.window.statusBar().showMessage(tr("net.synced_short", acknowledged=result.receipt.get("acknowledged", 0),
                                                   conflicts=result.receipt.get("conflicts", 0),
                                                   rows=result.pull.get("rows", 0)), 30000)

        def failed(exc: Exception) -> None:
            finished()
            if isinstance(exc, Refusal) and exc.key == "sync.device_revoked":  # the hub's words name the
                exc = Refusal("net.device_revoked")  # device by its id and its «lot»: on the tablet, «this device»
            show_error(self.window, exc, tr)

        self.dialog = run_op(self.window, tr("net.syncing"), lambda job: netsync.sync_now(path, job), done, failed,
                             tr=tr, on_cancelled=finished)

    # -- the USB stick (no network where the officers work) ---------------------------------------
    def export_usb(self) -> None:
        """The pending ops, signed, into a file on the stick for the town hall (``hub import``);
        they stay pending here until the hub's file comes back."""
        if self.running or not self.state.get("enrolled"):
            return
        tr, path = self.window.session.tr, self.window.session.commune.path
        code = device_code(self.state.get("device_id") or "")
        suggested = str(Path.home() / f"{code}-{date.today().isoformat()}.bundle")
        name, _ = QFileDialog.getSaveFileName(self.window, tr("net.usb_export"), suggested, tr("net.usb_filter"))
        if not name:
            return
        out = Path(name)
        self._usb(tr("net.usb_exporting"), lambda job: usbsync.export_file(path, out),
                  lambda pending: tr("net.usb_exported", n=pending, path=ltr(str(out))))

    def import_usb(self) -> None:
        """The hub's file (``hub export``: its receipts, the rows to pull) read from the stick."""
        if self.running or not self.state.get("enrolled"):
            return
        tr, path = self.window.session.tr, self.window.session.commune.path
        name, _ = QFileDialog.getOpenFileName(self.window, tr("net.usb_import"), str(Path.home()), tr("net.usb_filter"))
        if not name:
            return
        source = Path(name)

        def said(result: dict) -> str:
            acknowledged = sum(r.get("acknowledged", 0) for r in result["receipts"])
            conflicts = sum(r.get("conflicts", 0) for r in result["receipts"])
            return tr("net.synced_short", acknowledged=acknowledged, conflicts=conflicts,
                      rows=(result["pull"] or {}).get("rows", 0))
        self._usb(tr("net.usb_importing"), lambda job: usbsync.import_file(path, source), said)

    def _usb(self, label: str, work, message) -> None:
        tr = self.window.session.tr
        self.running = True
        self.refresh()

        def finished() -> None:
            self.running = False
            self.window.session.notifier.changed.emit(ALL_TABLES)  # written through its own connection
            self.refresh()

        def done(result) -> None:
            finished()
            self.window.statusBar().showMessage(message(result), 30000)

        def failed(exc: Exception) -> None:
            finished()
            show_error(self.window, exc, tr)
        self.usb_dialog = run_op(self.window, label, work, done, failed, tr=tr, cancellable=False)
