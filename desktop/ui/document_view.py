"""A document on screen: its pages drawn from the PDF itself (the same renderer and bytes as the
signed file), opening it in the PDF reader, and signing it with the holder's certificate."""
from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (QDialog, QFileDialog, QInputDialog, QLabel, QLineEdit, QMessageBox, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from desktop.services.paperwork import decision_pdf, sign_decision
from desktop.store.cases import current_step
from desktop.store.decisions import document
from desktop.ui.errors import attempt
from desktop.ui.session import Session
from desktop.ui.widgets import ltr
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


class PdfPages(QScrollArea):
    """A PDF's pages, one image each, drawn by pdftoppm from the very bytes given."""

    def __init__(self, tr, parent=None):
        super().__init__(parent)
        self.tr = tr
        self.setWidgetResizable(True)
        self.pages: list[QLabel] = []
        self.show_pdf(b"")

    def show_pdf(self, pdf: bytes) -> None:
        body = QWidget()
        column = QVBoxLayout(body)
        self.pages = []
        for png in pdf_pages_png(pdf) if pdf else []:
            image = QPixmap()
            image.loadFromData(png, "PNG")
            page = QLabel(objectName="preview_page")
            page.setPixmap(image)
            page.setAlignment(Qt.AlignHCenter)
            page.setStyleSheet("border: 1px solid #bbb; background: white;")
            column.addWidget(page)
            self.pages.append(page)
        if pdf and not self.pages:  # no rasterizer on this machine: the PDF reader shows it
            column.addWidget(QLabel(self.tr("case.preview_open_pdf")))
        self.setWidget(body)


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
        view = PdfPages(session.tr)
        view.show_pdf(self.pdf)
        self.pages = view.pages
        layout.addWidget(view, 1)
        open_button = QPushButton(session.tr("case.open_pdf"), objectName="open_pdf")
        open_button.clicked.connect(lambda: open_pdf(self.pdf, decision_file_name(session, decision_id)))
        layout.addWidget(open_button)


def signed_confirmation(parent, session: Session, decision_id: str, answer: bool = True) -> QMessageBox:
    """Say that it is signed, under which register number, where the case now stands, and offer
    to open the PDF."""
    tr = session.tr
    row, _doc = document(session.store, decision_id)
    text = tr("case.signed_ok", doc=tr("doc." + row["kind"]), number=f"{row['number']}/{row['year']}")
    step = current_step(session.store, row["case_id"]) if row["case_id"] else None
    if step is not None and step.step == "formal_notice":  # signed, not yet delivered: the deadline waits
        text += "\n" + tr("draft.await_delivery")
    elif step is not None:
        text += "\n" + tr("draft.next_step", step=tr(f"step.{step.step}"), due=ltr(step.due_on))
    box = QMessageBox(QMessageBox.Information, tr("case.sign"), text, QMessageBox.Close, parent)
    box.setObjectName("signed_confirmation")
    if not session.store.meta("tsa_url"):  # without a timestamp it dies with its certificate
        box.setInformativeText(tr("sign.no_tsa_configured"))
    opener = box.addButton(tr("case.open_pdf"), QMessageBox.AcceptRole)
    opener.clicked.connect(lambda: open_pdf(decision_pdf(session.commune, decision_id)[1],
                                            decision_file_name(session, decision_id)))
    if answer:
        box.exec()
    return box


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
