"""One case: its violations and legal bases, the ladder so far, the next action, its documents
(draft, preview, sign, notification)."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit,
                               QListWidget, QListWidgetItem, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QMessageBox)

from desktop.domain.auth import can
from desktop.domain.errors import Refusal
from desktop.domain.ladder import TRANSITIONS
from desktop.services.paperwork import draft_for_current_step, kind_for_current_step
from desktop.store.cases import advance, case_decisions, case_header, case_steps, case_violations, current_step
from desktop.store.decisions import document, record_delivery
from desktop.ui.case_facts import FactsPanel
from desktop.ui.document_view import PreviewDialog, sign_with_dialogs, signed_confirmation
from desktop.ui.draft_dialog import DraftDialog
from desktop.ui.errors import attempt, show_error
from desktop.ui.session import Session


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
        self.draft_button.clicked.connect(self.open_draft)
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
                lines.append(f"{code} — {v.label(tr.lang)} <small>({cat.bases_label(v.basis, tr.lang)})</small>")
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

    def open_draft(self) -> None:
        """The step's draft (drafted now if it has none yet) in the drafting dialog: its free parts
        edited beside the document itself, then signed there."""
        decision_id = self.step_draft() or self.do_draft()
        if decision_id:
            self.edit_draft(decision_id).exec()
            self.refresh()

    def step_draft(self) -> str | None:
        """The draft already made for the open step, if any (drafting twice would make two)."""
        step = current_step(self.session.store, self.case_id)
        return step and self.session.store.scalar(
            "SELECT id FROM decision WHERE case_id = ? AND step_id = ? AND status = 'draft' ORDER BY created_at DESC",
            (self.case_id, step.id))

    def edit_draft(self, decision_id: str) -> DraftDialog:
        return DraftDialog(self.session, decision_id, self)

    def do_preview(self) -> None:
        decision_id = self.selected()
        if not decision_id:
            return
        if document(self.session.store, decision_id)[0]["status"] == "draft":
            self.edit_draft(decision_id).exec()
            self.refresh()
        else:
            PreviewDialog(self.session, decision_id, self).exec()

    def do_sign(self) -> None:
        decision_id = self.selected()
        if not decision_id:
            return
        number = sign_with_dialogs(self, self.session, decision_id)
        if number:
            self.refresh()
            self.signed_confirmation(decision_id)

    def signed_confirmation(self, decision_id: str, answer: bool = True) -> QMessageBox:
        return signed_confirmation(self, self.session, decision_id, answer)

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
