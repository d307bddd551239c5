"""One case: its violations and legal bases, the ladder so far, the next action, its documents
(draft, preview, sign, notification)."""
from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QMessageBox, QScrollArea, QWidget)

from desktop.domain.auth import can
from desktop.domain.errors import Refusal
from desktop.domain.ladder import TRANSITIONS
from desktop.services.paperwork import decision_pdf, draft_for_current_step, kind_for_current_step, sign_decision
from desktop.store.cases import advance, case_decisions, case_header, case_steps, case_violations, current_step
from desktop.store.decisions import document, record_delivery
from desktop.ui.case_facts import FactsPanel
from desktop.ui.errors import attempt, show_error
from desktop.ui.session import Session
from reports.raster import pdf_pages_png


def sign_with_dialogs(parent, session: Session, decision_id: str) -> int | None:
    """Ask for the certificate file and its password, then sign; errors in the user's words."""
    tr = session.tr
    name, _ = QFileDialog.getOpenFileName(parent, tr("case.choose_certificate"), certificate_folder(session),
                                          "PKCS#12 (*.p12 *.pfx)")
    if not name:
        return None
    session.settings["last_certificate_dir"] = str(Path(name).parent)  # the next signature starts there
    session.settings.save()
    password, ok = QInputDialog.getText(parent, tr("case.sign"), tr("case.certificate_password"), QLineEdit.Password)
    if not ok:
        return None
    return sign_checked(parent, session, decision_id, Path(name), password)


def certificate_folder(session: Session) -> str:
    """Where the certificate dialog opens: the folder used last time, else the commune's
    certificates folder beside its database, else the home folder."""
    last = session.settings["last_certificate_dir"]
    if last and Path(last).is_dir():
        return last
    beside = session.commune.path.with_name(session.commune.path.name + ".certs")
    return str(beside if beside.is_dir() else Path.home())


def sign_checked(parent, session: Session, decision_id: str, p12: Path, password: str) -> int | None:
    """Sign; a refusal (wrong password, no delegation...) is shown and None returned."""
    return attempt(parent, lambda: sign_decision(session.commune, decision_id, p12, password), session.tr)


class PreviewDialog(QDialog):
    """The document as it will be printed and signed: the PDF itself, page by page (the same
    renderer and content as the signed file), with a button to open it in the PDF reader."""

    def __init__(self, session: Session, decision_id: str, parent=None):
        super().__init__(parent)
        self.setObjectName("decision_preview")
        self.setWindowTitle(session.tr("case.preview"))
        self.resize(760, 880)
        self.session, self.decision_id = session, decision_id
        _status, self.pdf = decision_pdf(session.commune, decision_id)
        layout = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        pages = QVBoxLayout(body)
        self.pages: list[QLabel] = []
        for png in pdf_pages_png(self.pdf):
            image = QPixmap()
            image.loadFromData(png, "PNG")
            page = QLabel(objectName="preview_page")
            page.setPixmap(image)
            page.setAlignment(Qt.AlignHCenter)
            page.setStyleSheet("border: 1px solid #bbb; background: white;")
            pages.addWidget(page)
            self.pages.append(page)
        if not self.pages:  # no rasterizer on this machine: the PDF reader shows it
            pages.addWidget(QLabel(session.tr("case.preview_open_pdf")))
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        open_button = QPushButton(session.tr("case.open_pdf"), objectName="open_pdf")
        open_button.clicked.connect(lambda: open_pdf(self.pdf, decision_file_name(session, decision_id)))
        layout.addWidget(open_button)


def decision_file_name(session: Session, decision_id: str) -> str:
    """``closure-13-2026.pdf`` once numbered (the kind tells the series apart: each is numbered on its
    own), ``projet-<kind>.pdf`` before."""
    row, _doc = document(session.store, decision_id)
    return f"{row['kind']}-{row['number']}-{row['year']}.pdf" if row["number"] else f"projet-{row['kind']}.pdf"


def open_pdf(pdf: bytes, name: str) -> Path:
    """Write ``pdf`` to a temporary file and open it in the system's PDF reader."""
    folder = Path(tempfile.mkdtemp(prefix="commune-police-"))
    path = folder / name
    path.write_bytes(pdf)
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
    return path


class CaseDialog(QDialog):
    def __init__(self, session: Session, case_id: str, parent=None):
        super().__init__(parent)
        self.session, self.case_id, self.tr = session, case_id, session.tr
        self.setObjectName("case_dialog")
        self.setWindowTitle(self.tr("case.title"))
        self.resize(860, 700)
        layout = QVBoxLayout(self)
        self.summary = QLabel(objectName="case_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.steps = QTableWidget(0, 5, objectName="case_steps")
        self.steps.setHorizontalHeaderLabels([self.tr(k) for k in ("case.step", "case.opened", "case.due", "case.done", "case.result")])
        self.steps.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.steps, 1)
        self.facts_panel = FactsPanel(session, case_id, self)  # the facts signing needs (legal review A1)
        self.facts_panel.changed.connect(self.refresh)
        layout.addWidget(self.facts_panel)
        action = QHBoxLayout()
        self.next_step = QComboBox(objectName="case_next_step")
        self.result = QLineEdit(objectName="case_result", placeholderText=self.tr("case.result_hint"))
        self.advance_button = QPushButton(self.tr("case.advance"), objectName="case_advance")
        self.advance_button.clicked.connect(self.do_advance)
        action.addWidget(QLabel(self.tr("case.next_action")))
        action.addWidget(self.next_step)
        action.addWidget(self.result, 1)
        action.addWidget(self.advance_button)
        layout.addLayout(action)
        layout.addWidget(QLabel(self.tr("case.documents")))
        self.documents = QListWidget(objectName="case_documents")
        layout.addWidget(self.documents)
        buttons = QHBoxLayout()
        self.draft_button = QPushButton(self.tr("case.draft"), objectName="case_draft")
        self.preview_button = QPushButton(self.tr("case.preview"), objectName="case_preview")
        self.sign_button = QPushButton(self.tr("case.sign"), objectName="case_sign")
        self.deliver_button = QPushButton(self.tr("case.deliver"), objectName="case_deliver")
        self.draft_button.clicked.connect(self.do_draft)
        self.preview_button.clicked.connect(self.do_preview)
        self.sign_button.clicked.connect(self.do_sign)
        self.deliver_button.clicked.connect(self.do_deliver)
        for b in (self.draft_button, self.preview_button, self.sign_button, self.deliver_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        tr, store = self.tr, self.session.store
        case = case_header(store, self.case_id)
        cat = self.session.catalogue
        lines = []
        for code in dict.fromkeys(case_violations(store, self.case_id)):
            if cat.has_violation(code):
                v = cat.violation(code)
                lines.append(f"{code} — {v.label(tr.lang)} <small>({'; '.join(cat.basis_label(b, tr.lang) for b in v.basis)})</small>")
            else:
                lines.append(f"{code} — <b>{tr('refusal.unknown_violation', codes=code)}</b>")
        self.summary.setText(f"<b>{case['name']}</b> — {case['address']} — {case['owner_name']}<br>"
                             f"{self.session.labels.field(case['field_code'])} — {tr('case.status_' + case['status'])}"
                             f"<br>{'<br>'.join(lines)}")
        steps = case_steps(store, self.case_id)
        self.steps.setRowCount(len(steps))
        for n, s in enumerate(steps):
            for c, value in enumerate((tr(f"step.{s.step}"), s.opened_on, s.due_on, s.done_on or "", s.result)):
                self.steps.setItem(n, c, QTableWidgetItem(value))
        current = current_step(store, self.case_id)
        self.next_step.clear()
        for following in TRANSITIONS.get(current.step, ()) if current else ():
            self.next_step.addItem(tr(f"step.{following}"), following)
        manage = can(self.session.user.role, "case.manage")
        self.advance_button.setEnabled(bool(current) and manage)
        try:
            kind = kind_for_current_step(self.session.commune, self.case_id)
        except Refusal:  # a code the catalogue no longer knows: drafting says so when tried
            kind = "?"
        self.draft_button.setEnabled(bool(kind) and can(self.session.user.role, "decision.draft"))
        # The document the current step calls for, named on the button and in its tooltip.
        named = kind and kind != "?"
        self.draft_button.setText(tr("case.draft_kind", doc=tr("doc." + kind)) if named else tr("case.draft"))
        self.draft_button.setToolTip(tr("case.draft_hint", doc=tr("doc." + kind), step=tr(f"step.{current.step}"))
                                     if named and current else tr("case.no_document_for_step"))
        self.facts_panel.refresh()
        self.documents.clear()
        for d in case_decisions(store, self.case_id):
            number = f"{d['number']}/{d['year']}" if d["number"] else tr("case.draft_label")
            item = QListWidgetItem(f"{tr('doc.' + d['kind'])} — {number}"
                                   + (f" — {tr('case.delivered')} {d['delivered_on']}" if d["delivered_on"] else ""))
            item.setData(Qt.UserRole, d["id"])
            self.documents.addItem(item)
        if self.documents.count():
            self.documents.setCurrentRow(self.documents.count() - 1)

    def selected(self) -> str | None:
        item = self.documents.currentItem()
        return item.data(Qt.UserRole) if item else None

    def do_advance(self) -> None:
        try:
            advance(self.session.store, self.session.user, self.case_id, self.next_step.currentData(), self.result.text(),
                    catalogue=self.session.catalogue)
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc, self.tr)
            return
        self.result.clear()
        self.refresh()

    def do_draft(self) -> str | None:
        """Draft the document the case's current step calls for (the application layer chooses it)."""
        decision_id = attempt(self, lambda: draft_for_current_step(self.session.commune, self.case_id), self.tr)
        if decision_id is not None:
            self.refresh()
        return decision_id

    def do_preview(self) -> None:
        if self.selected():
            PreviewDialog(self.session, self.selected(), self).exec()

    def do_sign(self) -> None:
        decision_id = self.selected()
        if not decision_id:
            return
        number = sign_with_dialogs(self, self.session, decision_id)
        if number:
            self.refresh()
            self.signed_confirmation(decision_id)

    def signed_confirmation(self, decision_id: str, answer: bool = True) -> QMessageBox:
        """Say that it is signed, under which register number, and offer to open the PDF."""
        row, _doc = document(self.session.store, decision_id)
        box = QMessageBox(QMessageBox.Information, self.tr("case.sign"),
                          self.tr("case.signed_ok", doc=self.tr("doc." + row["kind"]), number=f"{row['number']}/{row['year']}"),
                          QMessageBox.Close, self)
        box.setObjectName("signed_confirmation")
        if not self.session.store.meta("tsa_url"):  # without a timestamp it dies with its certificate
            box.setInformativeText(self.tr("sign.no_tsa_configured"))
        opener = box.addButton(self.tr("case.open_pdf"), QMessageBox.AcceptRole)
        opener.clicked.connect(lambda: open_pdf(decision_pdf(self.session.commune, decision_id)[1],
                                                decision_file_name(self.session, decision_id)))
        if answer:
            box.exec()
        return box

    def do_deliver(self) -> None:
        decision_id = self.selected()
        if not decision_id:
            return
        receiver, ok = QInputDialog.getText(self, self.tr("case.deliver"), self.tr("case.receiver"))
        if not ok or not receiver.strip():
            return
        attempt(self, lambda: record_delivery(self.session.store, self.session.user, decision_id, date.today(),
                                              "main propre", receiver), self.tr)
        self.refresh()
