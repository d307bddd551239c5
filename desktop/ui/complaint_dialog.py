"""One complaint: intake (with its place picked on the map), then triage, answer, attachments,
letters, and the inspection it calls for."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDateEdit, QDialog, QFileDialog, QFormLayout, QHBoxLayout, QInputDialog,
                               QLabel, QLineEdit, QMessageBox, QPlainTextEdit, QPushButton, QVBoxLayout)

from desktop.domain.auth import can
from desktop.domain.complaints import CHANNELS, COMPLAINANTS, TRIAGE, ComplaintInput
from desktop.services.paperwork import complaint_letter
from desktop.store import complaints as store_complaints
from desktop.store.files import write_atomic
from desktop.ui.widgets import follow_text_direction
from desktop.ui.widgets import ltr
from desktop.ui.widgets import set_display_format
from desktop.ui.errors import show_error, submit_form
from desktop.ui.form_parts import parse_number
from desktop.ui.session import Session


class ComplaintDialog(QDialog):
    inspect = Signal(dict)
    pick_requested = Signal()

    def __init__(self, session: Session, complaint_id: str | None, parent=None):
        super().__init__(parent)
        self.session, self.tr, self.complaint_id = session, session.tr, complaint_id
        self.setObjectName("complaint_dialog")
        self.setWindowTitle(self.tr("cp.title"))
        self.resize(720, 620)
        self.layout_ = QVBoxLayout(self)
        if complaint_id is None:
            self._intake()
        else:
            self._detail()

    # -- intake --------------------------------------------------------------------------------
    def _intake(self) -> None:
        tr = self.tr
        form = QFormLayout()
        self.channel = QComboBox(objectName="cp_channel")
        for c in CHANNELS[:-1]:
            self.channel.addItem(tr(f"cp.channel_{c}"), c)
        self.reference = QLineEdit(objectName="cp_reference", placeholderText=tr("cp.reference_hint"))
        self.received = QDateEdit(QDate.currentDate(), objectName="cp_received")
        set_display_format(self.received, "yyyy-MM-dd")
        self.received.setLayoutDirection(Qt.LeftToRight)
        self.field = QComboBox(objectName="cp_field")
        self.field.addItem("—", "")
        for f in self.session.catalogue.fields:
            self.field.addItem(f.label(tr.lang), f.code)
        self.kind = QComboBox(objectName="cp_complainant")
        for k in COMPLAINANTS:
            self.kind.addItem(tr(f"cp.complainant_{k}"), k)
        self.name = QLineEdit(objectName="cp_name")
        self.contact = QLineEdit(objectName="cp_contact", placeholderText=tr("cp.contact_private"))
        self.location = QLineEdit(objectName="cp_location_text")
        self.lat = QLineEdit(objectName="cp_lat", placeholderText=tr("ui.lat"))
        self.lon = QLineEdit(objectName="cp_lon", placeholderText=tr("ui.lon"))
        coords = QHBoxLayout()
        coords.addWidget(self.lat)
        coords.addWidget(self.lon)
        self.pick_button = QPushButton(tr("ui.pick_on_map"), objectName="cp_pick")
        self.pick_button.clicked.connect(self.pick_requested)
        coords.addWidget(self.pick_button)
        self.description = QPlainTextEdit(objectName="cp_description")
        follow_text_direction(self.description)
        for label, widget in (("cp.channel", self.channel), ("cp.reference", self.reference), ("cp.received", self.received),
                              ("ui.field", self.field), ("cp.complainant", self.kind), ("cp.name", self.name),
                              ("cp.contact", self.contact), ("cp.location", self.location)):
            form.addRow(tr(label), widget)
        form.addRow(tr("ui.coordinates"), coords)
        form.addRow(tr("cp.description"), self.description)
        self.layout_.addLayout(form)
        self.error = QLabel(objectName="cp_error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.layout_.addWidget(self.error)
        save = QPushButton(tr("cp.save"), objectName="cp_save")
        save.clicked.connect(self.save)
        self.layout_.addWidget(save)

    def set_location(self, lon: float, lat: float) -> None:
        """A place picked on the map."""
        self.lon.setText(f"{lon:.6f}")
        self.lat.setText(f"{lat:.6f}")

    def save(self) -> str | None:
        try:
            lon, lat = parse_number(self.lon.text()), parse_number(self.lat.text())
        except ValueError:
            lon = lat = float("nan")
        inp = ComplaintInput(channel=self.channel.currentData(), received_on=self.received.date().toPython(),
                             description=self.description.toPlainText(), complainant_kind=self.kind.currentData(),
                             reference=self.reference.text(), field_code=self.field.currentData(), lon=lon, lat=lat,
                             location_text=self.location.text(), complainant_name=self.name.text(),
                             complainant_contact=self.contact.text())
        def create() -> str:
            # known before the dialog is accepted: the page offers the acknowledgement on "accepted"
            self.complaint_id = store_complaints.create_complaint(self.session.store, self.session.user,
                                                                  self.session.catalogue, inp)
            return self.complaint_id
        return submit_form(self, create, self.error, self.tr)

    # -- an existing complaint -----------------------------------------------------------------
    def _detail(self) -> None:
        tr = self.tr
        self.info = QLabel(objectName="cp_info")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.layout_.addWidget(self.info, 1)
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        self.buttons = {}
        for key, slot, row in (("cp.accept", self.do_accept, row1), ("cp.merge", self.do_merge, row1),
                               ("cp.forward", self.do_forward, row1), ("cp.reject", self.do_reject, row1),
                               ("cp.inspect", self.do_inspect, row2), ("cp.answer", self.do_answer, row2),
                               ("cp.attach", self.do_attach, row2),
                               ("cp.ack_letter", lambda: self.letter("complaint_ack"), row2),
                               ("cp.answer_letter", lambda: self.letter("complaint_answer"), row2)):
            button = QPushButton(tr(key), objectName=key.replace(".", "_"))
            button.clicked.connect(lambda _=False, s=slot: s())
            row.addWidget(button)
            self.buttons[key] = button
        self.layout_.addLayout(row1)
        self.layout_.addLayout(row2)
        self.refresh()

    def refresh(self) -> None:
        tr = self.tr
        c = store_complaints.get_complaint(self.session.store, self.complaint_id)
        self.complaint = c
        lines = [f"<b>{ltr(c['reference'])}</b> — {tr('cp.channel_' + c['channel'])} — {ltr(c['received_on'])}",
                 f"{tr('cp.status')}: <b>{tr('cp.status_' + c['status'])}</b> — {tr('cp.answer_due')}: {ltr(c['answer_due'])}",
                 f"{self.session.labels.field(c['field_code']) if c['field_code'] else ''} — {self.session.labels.district(c['district_id'])}"
                 f" — {c['location_text']}", f"<p>{c['description']}</p>",
                 f"{tr('cp.complainant')}: {tr('cp.complainant_' + c['complainant_kind'])} {c['complainant_name']}"
                 f" {c['complainant_contact']}"]
        if c["forwarded_to"]:
            lines.append(f"{tr('cp.forwarded_to')}: {c['forwarded_to']}")
        if c["reason"]:
            lines.append(f"{tr('cp.reason')}: {c['reason']}")
        if c["answer_text"]:
            lines.append(f"{tr('cp.answer')}: {c['answer_text']} ({ltr(c['answered_on'])})")
        lines.append(f"{tr('cp.inspections')}: {len(c['inspections'])}")
        if c["attachments"]:
            lines.append(f"{tr('cp.attachments')}: " + ", ".join(a["original_name"] for a in c["attachments"]))
        self.info.setText("<br>".join(lines))
        allowed = TRIAGE.get(c["status"], ())
        may = can(self.session.user.role, "complaint.triage")
        for key, status in (("cp.accept", "accepted"), ("cp.merge", "merged"), ("cp.forward", "forwarded"),
                            ("cp.reject", "rejected"), ("cp.answer", "answered")):
            self.buttons[key].setEnabled(may and status in allowed)
        open_status = c["status"] in ("received", "accepted")
        may_inspect = can(self.session.user.role, "inspection.create")
        self.buttons["cp.inspect"].setEnabled(open_status and may_inspect)
        # A greyed button says why.
        self.buttons["cp.inspect"].setToolTip("" if open_status and may_inspect else
                                              tr("cp.inspect_not_role") if not may_inspect else tr("cp.inspect_closed"))

    def _run(self, fn, *args) -> bool:
        try:
            fn(self.session.store, self.session.user, self.complaint_id, *args)
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc, self.tr)
            return False
        self.refresh()
        return True

    def _ask(self, key: str) -> str | None:
        text, ok = QInputDialog.getText(self, self.tr(key), self.tr(key + "_prompt"))
        return text if ok else None

    def do_accept(self) -> bool:
        return self._run(store_complaints.accept)

    def do_merge(self, reference: str | None = None) -> bool:
        reference = reference if reference is not None else self._ask("cp.merge")
        if reference is None:
            return False
        target = self.session.store.scalar("SELECT id FROM complaint WHERE reference = ?", (reference.strip(),))
        if not target:
            QMessageBox.warning(self, self.tr("ui.error_title"), self.tr("cp.unknown_reference", reference=ltr(reference)))
            return False
        return self._run(store_complaints.merge, target)

    def do_forward(self, authority: str | None = None) -> bool:
        authority = authority if authority is not None else self._ask("cp.forward")
        return authority is not None and self._run(store_complaints.forward, authority)

    def do_reject(self, reason: str | None = None) -> bool:
        reason = reason if reason is not None else self._ask("cp.reject")
        return reason is not None and self._run(store_complaints.reject, reason)

    def do_answer(self, text: str | None = None) -> bool:
        text = text if text is not None else self._ask("cp.answer")
        return text is not None and self._run(store_complaints.answer, text)

    def do_attach(self, path: Path | None = None) -> bool:
        if path is None:
            name, _ = QFileDialog.getOpenFileName(self, self.tr("cp.attach"), "", "Images, PDF (*.jpg *.jpeg *.png *.webp *.pdf)")
            if not name:
                return False
            path = Path(name)
        try:
            store_complaints.attach_file(self.session.store, self.session.user, self.complaint_id, path)
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc, self.tr)
            return False
        self.refresh()
        return True

    def do_inspect(self) -> None:
        self.inspect.emit(dict(self.complaint))
        self.accept()

    def letter(self, kind: str, path: Path | None = None) -> Path | None:
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, self.tr("cp." + ("ack_letter" if kind == "complaint_ack" else "answer_letter")),
                                                  f"{self.complaint['reference']}.pdf", "PDF (*.pdf)")
            if not name:
                return None
            path = Path(name)
        try:
            write_atomic(path, complaint_letter(self.session.commune, self.complaint_id, kind))
        except Exception as exc:  # noqa: BLE001 - the one presenter decides
            show_error(self, exc, self.tr)
            return None
        return path
