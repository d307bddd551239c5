"""The case dialog's facts panel: the facts the current document prints and signing needs (the
notice's delivery, the re-inspection, the permit withdrawn, the technical expertise), each shown
as recorded or missing, and the ones the commune records here (delivery, permit, expertise)."""
from __future__ import annotations

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QWidget)

from desktop.domain.auth import can
from desktop.services.case_facts import case_facts, record_case_fact, record_notice_delivery
from desktop.ui.errors import attempt
from desktop.ui.session import Session
from desktop.ui.widgets import ltr, set_display_format

DELIVERY_METHODS = ("hand", "bailiff", "registered_mail", "local_authority")


NO_DATE = QDate(1900, 1, 1)  # shown "—": a date not given is not recorded as today


def _date_edit(name: str, empty: bool = False) -> QDateEdit:
    edit = QDateEdit(objectName=name)
    edit.setCalendarPopup(True)
    set_display_format(edit, "yyyy-MM-dd")
    edit.setMaximumDate(QDate.currentDate())
    if empty:
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("—")
        edit.setDate(NO_DATE)
    else:
        edit.setDate(QDate.currentDate())
    return edit


class FactsPanel(QGroupBox):
    """Shown in the case dialog; ``changed`` after a fact was recorded (the dialog refreshes)."""

    changed = Signal()

    def __init__(self, session: Session, case_id: str, parent: QWidget | None = None):
        super().__init__(session.tr("facts.title"), parent)
        self.session, self.case_id, tr = session, case_id, session.tr
        self.setObjectName("case_facts")
        form = QFormLayout(self)
        self.state = QLabel(objectName="facts_state")
        self.state.setWordWrap(True)
        form.addRow(self.state)
        # The notice's delivery: the day its deadline starts (proof of notification, art. 97).
        self.delivered_on = _date_edit("facts_delivered_on")
        self.receiver = QLineEdit(objectName="facts_receiver", placeholderText=tr("case.receiver"))
        self.method = QComboBox(objectName="facts_method")
        for m in DELIVERY_METHODS:
            self.method.addItem(tr("facts.method_" + m), tr("facts.method_" + m))
        self.deliver = QPushButton(tr("facts.record_delivery"), objectName="facts_deliver")
        self.deliver.clicked.connect(self.do_deliver)
        row = QHBoxLayout()
        for w in (self.delivered_on, self.method, self.receiver):
            row.addWidget(w)
        row.addWidget(self.deliver)
        self.delivery_label = QLabel(tr("facts.notice_delivery"))
        form.addRow(self.delivery_label, row)
        # The facts recorded on the case: the permit withdrawn, the technical expertise.
        self.edits: dict[str, QLineEdit | QDateEdit] = {}
        self.labels: dict[str, QLabel] = {}
        for key in ("permit_ref", "permit_date", "expertise_ref", "expertise_date"):
            edit = _date_edit("facts_" + key, empty=True) if key.endswith("_date") else QLineEdit(objectName="facts_" + key)
            self.edits[key], self.labels[key] = edit, QLabel(tr("facts." + key))
            form.addRow(self.labels[key], edit)
        self.save = QPushButton(tr("facts.record"), objectName="facts_record")
        self.save.clicked.connect(self.do_record)
        form.addRow(self.save)
        self.refresh()

    def refresh(self) -> None:
        tr = self.session.tr
        facts = case_facts(self.session.commune, self.case_id)
        self.facts = facts
        manage = can(self.session.user.role, "case.manage")
        lines = []
        if "notice" in facts.needed or facts.notice_id:
            lines.append(tr("facts.notice_delivered", ref=facts.notice_ref, on=ltr(facts.notice_delivered_on))
                         if facts.notice_delivered_on else
                         tr("facts.notice_undelivered", ref=facts.notice_ref) if facts.notice_id else tr("facts.no_notice"))
        if "reinspection" in facts.needed:
            lines.append(tr("facts.reinspection_done", on=ltr(facts.reinspection_on)) if facts.reinspection_on
                         else tr("facts.reinspection_missing"))
        missing = facts.missing()
        lines.append(tr("facts.missing", facts=", ".join(tr("facts." + f) for f in missing)) if missing
                     else tr("facts.complete") if facts.needed else tr("facts.none_needed"))
        self.state.setText("<br>".join(lines))
        can_deliver = bool(facts.notice_id) and not facts.notice_delivered_on and manage
        for w in (self.delivery_label, self.delivered_on, self.method, self.receiver, self.deliver):
            w.setVisible(can_deliver)
        self.shown = [k for k in self.edits if k in facts.needed or k in facts.recorded]
        for key, edit in self.edits.items():
            edit.setVisible(key in self.shown)
            self.labels[key].setVisible(key in self.shown)
            edit.setEnabled(manage)
            if key in facts.recorded:
                if isinstance(edit, QDateEdit):
                    edit.setDate(QDate.fromString(facts.recorded[key], "yyyy-MM-dd"))
                else:
                    edit.setText(facts.recorded[key])
        self.save.setVisible(bool(self.shown) and manage)

    def do_deliver(self) -> None:
        on = self.delivered_on.date().toPython()
        done = attempt(self, lambda: record_notice_delivery(self.session.commune, self.case_id, on,
                                                            self.method.currentData(), self.receiver.text()),
                       self.session.tr)
        if done is not None:
            self.receiver.clear()
            self.refresh()
            self.changed.emit()

    def do_record(self) -> None:
        """Record every shown fact whose value changed (one refusal stops at that fact)."""
        for key in self.shown:
            edit = self.edits[key]
            if isinstance(edit, QDateEdit):
                value = "" if edit.date() == NO_DATE else edit.date().toPython().isoformat()
            else:
                value = edit.text().strip()
            if self.facts.recorded.get(key) == value or not value:  # unchanged, or not given yet
                continue
            if attempt(self, lambda k=key, v=value: record_case_fact(self.session.commune, self.case_id, k, v) or True,
                       self.session.tr) is None:
                return
        self.refresh()
        self.changed.emit()

