"""Drafting a document: which document the case's step calls for, its free parts edited beside
the document itself (the PDF the signature will cover, redrawn with the edits), then signing.

Only what the law leaves to the drafter is editable (``services.drafting``): a considérant of
his own, an observation, and the deadline of a notice or an injunction. The visas and the facts
come from the case's recorded events and are shown, never typed."""
from __future__ import annotations

from PySide6.QtCore import QTimer, Qt
from PySide6.QtWidgets import (QDialog, QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSpinBox,
                               QSplitter, QVBoxLayout, QWidget)

from desktop.domain.auth import can
from desktop.services.drafting import TEXT_PARTS, deadline_bounds, free_parts_of, preview_with, save_free_parts
from desktop.store.cases import case_steps
from desktop.store.decisions import document
from desktop.ui.document_view import PdfPages, decision_file_name, open_pdf, sign_with_dialogs, signed_confirmation
from desktop.ui.errors import attempt
from desktop.ui.session import Session
from desktop.ui.widgets import follow_text_direction
from reports.documents import render_document


class DraftDialog(QDialog):
    def __init__(self, session: Session, decision_id: str, parent=None):
        super().__init__(parent)
        self.session, self.decision_id, self.tr = session, decision_id, session.tr
        self.setObjectName("draft_dialog")
        self.setWindowTitle(self.tr("draft.title"))
        self.resize(1280, 900)
        row, doc = document(session.store, decision_id)
        self.row, self.signed_number = row, None
        tr = self.tr
        form_side = QWidget()
        column = QVBoxLayout(form_side)
        step = next((s for s in case_steps(session.store, row["case_id"]) if s.id == row["step_id"]), None) \
            if row["case_id"] else None
        calls = (tr("draft.step_calls", step=tr(f"step.{step.step}"), doc=tr("doc." + row["kind"])) if step
                 else tr("doc." + row["kind"]))
        self.heading = QLabel(f"<b>{calls}</b>", objectName="draft_heading", wordWrap=True)
        column.addWidget(self.heading)
        note = QLabel(tr("draft.fixed_note"), objectName="draft_note", wordWrap=True)
        note.setStyleSheet("color: #555;")
        column.addWidget(note)
        form = QFormLayout()
        current = free_parts_of(doc)
        self.texts: dict[str, QPlainTextEdit] = {}
        for name in TEXT_PARTS:
            lang = name[-2:]
            if lang not in doc.langs:
                continue
            edit = QPlainTextEdit(objectName=f"free_{name}")
            edit.setPlaceholderText(tr(f"draft.hint_{name[:-3]}_{lang}"))
            edit.setPlainText(current.get(name, ""))
            edit.setFixedHeight(86)
            follow_text_direction(edit)
            edit.textChanged.connect(self.edited)
            form.addRow(tr(f"draft.{name}"), edit)
            self.texts[name] = edit
        self.bounds = deadline_bounds(doc, row["field_code"])
        self.deadline = QSpinBox(objectName="free_deadline_days")
        if self.bounds:
            self.deadline.setRange(*self.bounds)
            self.deadline.setValue(int(current.get("deadline_days") or self.bounds[0]))
            self.deadline.setToolTip(tr("draft.deadline_hint", most=self.bounds[1]))
            self.deadline.valueChanged.connect(self.edited)
            form.addRow(tr("draft.deadline"), self.deadline)
        else:
            self.deadline.hide()
        column.addLayout(form)
        self.state = QLabel(objectName="draft_state", wordWrap=True)
        column.addWidget(self.state)
        column.addStretch(1)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(tr("draft.save"), objectName="draft_save")
        self.sign_button = QPushButton(tr("case.sign"), objectName="draft_sign")
        self.open_button = QPushButton(tr("case.open_pdf"), objectName="draft_open_pdf")
        self.save_button.clicked.connect(self.save)
        self.sign_button.clicked.connect(self.sign)
        self.open_button.clicked.connect(lambda: open_pdf(self.pdf, decision_file_name(session, decision_id)))
        self.sign_button.setEnabled(can(session.user.role, "decision.sign"))
        editable = can(session.user.role, "decision.draft")
        for edit in self.texts.values():
            edit.setReadOnly(not editable)
        self.save_button.setEnabled(editable)
        for b in (self.save_button, self.sign_button, self.open_button):
            buttons.addWidget(b)
        column.addLayout(buttons)
        self.view = PdfPages(tr)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(form_side)
        split.addWidget(self.view)
        split.setSizes([420, 860])  # an A4 page at 96 dpi is 794 px wide
        QVBoxLayout(self).addWidget(split)
        self.timer = QTimer(self, singleShot=True, interval=700, timeout=self.update_preview)
        self.pdf = b""
        self.update_preview()
        self.state.setText(tr("draft.saved_state"))

    def free_parts(self) -> dict:
        parts: dict = {name: edit.toPlainText() for name, edit in self.texts.items()}
        if self.bounds:
            parts["deadline_days"] = self.deadline.value()
        return parts

    def edited(self) -> None:
        self.state.setText(self.tr("draft.unsaved_state"))
        self.timer.start()

    def update_preview(self) -> bool:
        """Redraw the document with the edits (the renderer the signature uses); a refused edit
        (too long, a control character) is said and the last good preview stays."""
        doc = attempt(self, lambda: preview_with(self.session.commune, self.decision_id, self.free_parts()), self.tr)
        if doc is None:
            return False
        self.pdf = render_document(doc)
        self.view.show_pdf(self.pdf)
        return True

    def save(self) -> bool:
        self.timer.stop()
        if attempt(self, lambda: save_free_parts(self.session.commune, self.decision_id, self.free_parts()),
                   self.tr) is None:
            return False
        self.state.setText(self.tr("draft.saved_state"))
        return self.update_preview()

    def sign(self) -> int | None:
        """Save the edits, then sign what the preview shows; on success say so, offer the PDF,
        and close (the case shows its next step)."""
        if can(self.session.user.role, "decision.draft") and not self.save():
            return None
        number = sign_with_dialogs(self, self.session, self.decision_id)
        if number:
            self.signed_number = number
            signed_confirmation(self, self.session, self.decision_id)
            self.accept()
        return number

