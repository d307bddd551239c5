"""The register of decisions for a year: numbers, status, notification, the governor's deadline."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QFileDialog, QInputDialog, QHBoxLayout, QHeaderView, QMessageBox, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from desktop.services.paperwork import decision_pdf
from desktop.services.messages import message_for
from desktop.services.trust import tsa_roots
from desktop.services.verification import commune_roots, verify_file
from desktop.store.decisions import document, record_appeal, record_receipt, record_transmission, register
from desktop.store.files import write_atomic
from desktop.ui.document_view import decision_file_name
from desktop.ui.document_view import PreviewDialog, sign_with_dialogs
from desktop.ui.errors import show_error
from desktop.ui.list_export import export_dialog
from desktop.ui.session import Session
from desktop.ui.widgets import cap_column, make_table
from desktop.ui.table_model import ID_ROLE, RowsTableModel

class RegisterModel(RowsTableModel):
    def __init__(self, session: Session, parent=None):
        tr = session.tr
        super().__init__([tr(k) for k in ("reg.number", "reg.kind", "ui.col_site", "ui.col_field", "reg.status",
                                          "reg.signed", "reg.delivered", "reg.governor_due", "reg.transmitted",
                                          "reg.received", "reg.appealed")], self._format,
                         lambda r: QColor("#fde2e1") if r["governor_late"] else None, parent)
        self.session = session

    def load(self, year: int) -> None:
        self.set_rows(register(self.session.store, year))

    def _format(self, r: dict) -> tuple:
        tr = self.session.tr
        return (f"{r['number']}/{r['year']}" if r["number"] else "—", tr("doc." + r["kind"]), r["site_name"] or "",
                self.session.labels.field(r["field_code"]), tr("reg.status_" + r["status"]), r["signed_on"] or "",
                r["delivered_on"] or "", r["governor_due"] or "", r["transmitted_on"] or "", r["receipt_on"] or "",
                r["appeal_on"] or "")


class RegisterPage(QWidget):
    open_case = Signal(str)

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        tr = session.tr
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.year = QSpinBox(objectName="register_year")
        self.year.setRange(2000, 2100)
        self.year.setValue(date.today().year)
        self.year.valueChanged.connect(self.refresh)
        bar.addWidget(self.year)
        bar.addStretch(1)
        self.buttons = {}
        for key, slot in (("reg.preview", self.preview), ("reg.save_pdf", self.save_pdf), ("case.sign", self.sign),
                          ("reg.transmit", self.transmit), ("reg.receipt", self.receipt), ("reg.appeal", self.appeal), ("reg.verify", self.verify_file),
                          ("reg.open_case", self.case),
                          ("ui.export_list", lambda: export_dialog(self, self.model, self.session.tr, "registre", session=self.session))):
            button = QPushButton(tr(key), objectName=key.replace(".", "_"))
            button.clicked.connect(lambda _=False, s=slot: s())
            if key == "reg.transmit":  # a second row: the page fits a 1600-pixel screen in French too
                layout.addLayout(bar)
                bar = QHBoxLayout()
                bar.addStretch(1)
            bar.addWidget(button)
            self.buttons[key] = button
        layout.addLayout(bar)
        self.model = RegisterModel(session, self)
        self.view = make_table(self.model, "register_table", QHeaderView.ResizeToContents)
        cap_column(self.view, 3)  # the field's name: the governor's dates, further right, in sight
        self.view.doubleClicked.connect(lambda _i: self.preview())
        layout.addWidget(self.view, 1)
        self.refresh()

    def refresh(self) -> None:
        self.model.load(self.year.value())

    def selected(self) -> str | None:
        index = self.view.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def preview(self) -> None:
        if self.selected():
            PreviewDialog(self.session, self.selected(), self).exec()

    def pdf_bytes(self, decision_id: str) -> bytes:
        """The signed file once signed, else the draft rendered."""
        return decision_pdf(self.session.commune, decision_id)[1]

    def save_pdf(self, path: Path | None = None) -> Path | None:
        decision_id = self.selected()
        if not decision_id:
            return None
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, self.session.tr("reg.save_pdf"),
                                                  decision_file_name(self.session, decision_id), "PDF (*.pdf)")
            if not name:
                return None
            path = Path(name)
        try:
            write_atomic(path, self.pdf_bytes(decision_id))
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.session.tr)
            return None
        return path

    def sign(self) -> None:
        if self.selected() and sign_with_dialogs(self, self.session, self.selected()):
            self.refresh()

    def transmit(self) -> None:
        decision_id = self.selected()
        if not decision_id:
            return
        try:
            record_transmission(self.session.store, self.session.user, decision_id, date.today())
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.session.tr)
            return
        self.refresh()

    def receipt(self, observation: str | None = None) -> None:
        decision_id = self.selected()
        if not decision_id:
            return
        if observation is None:
            observation, ok = QInputDialog.getText(self, self.session.tr("reg.receipt"), self.session.tr("reg.observation"))
            if not ok:
                return
        try:
            record_receipt(self.session.store, self.session.user, decision_id, date.today(), observation)
        except Exception as exc:  # noqa: BLE001
            show_error(self, exc, self.session.tr)
            return
        self.refresh()

    def appeal(self, reference: str | None = None) -> None:
        decision_id = self.selected()
        if not decision_id:
            return
        if reference is None:
            reference, ok = QInputDialog.getText(self, self.session.tr("reg.appeal"), self.session.tr("reg.appeal_ref"))
            if not ok:
                return
        try:
            record_appeal(self.session.store, self.session.user, decision_id, date.today(), reference)
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc, self.session.tr)
            return
        self.refresh()

    def verify_file(self, path: Path | None = None) -> str | None:
        tr = self.session.tr
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, tr("reg.verify"), "", "PDF (*.pdf)")
            if not name:
                return None
            path = Path(name)
        try:
            store = self.session.store
            result = verify_file(path, commune_roots(store), tsa=tsa_roots(store))
        except Exception as exc:  # noqa: BLE001 - a refusal is shown here; a bug goes to the crash dialog
            message = message_for(exc, tr)
            if message is None:
                show_error(self, exc, tr)
                return None
            QMessageBox.warning(self, tr("reg.verify"), message)
            return message
        if not result.signed:
            message = tr("sign.verify_unsigned")
        elif result.ok:
            message = f"{tr('sign.verify_ok')}\n{tr('sign.signer')}: {result.signer}"
        else:
            message = tr("sign.verify_failed") + "\n" + "\n".join(result.problems)
        (QMessageBox.information if result.ok else QMessageBox.warning)(self, tr("reg.verify"), message)
        return message

    def case(self) -> None:
        decision_id = self.selected()
        if decision_id:
            row, _doc = document(self.session.store, decision_id)
            if row["case_id"]:
                self.open_case.emit(row["case_id"])
