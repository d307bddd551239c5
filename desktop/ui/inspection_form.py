"""The inspection form: driven by the catalogue, saved as a draft while typed, submitted at once.

Every change restarts a short timer that saves the draft, so closing the window, a crash or a
power cut loses at most the last second and a half of typing. Submitting is one transaction
(site, inspection, findings, photos, closing the draft).

The sections (origin, visit, site, location, findings, photos: ``form_*.py``) are widgets of
their own, each with its ``load``/``collect`` and the error messages of its fields; this dialog
assembles them, ties them together (a field's checklist and violations, a site's place), and
keeps the draft and the submission.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

from desktop.domain.ids import LOCAL_TZ, to_utc_text
from desktop.domain.model import OUTCOMES, InspectionInput
from desktop.domain.validation import Problem, ValidationFailed
from desktop.store.drafts import discard_draft, save_draft
from desktop.store.errors import StoreError
from desktop.store.inspections import submit_inspection, validation_context
from desktop.store.users import officers
from desktop.ui.widgets import follow_text_direction
from desktop.ui.widgets import ltr
from desktop.ui.errors import show_error
from desktop.ui.form_findings import ChecklistWidget, FindingsSection
from desktop.ui.form_location import Location, LocationSection
from desktop.ui.form_origin import Origin, OriginSection
from desktop.ui.form_parts import enum_combo, select_data
from desktop.ui.form_photos import PhotosSection, photo_paths_from_mime
from desktop.ui.form_section import FormSection
from desktop.ui.form_site import SiteChoice, SiteSection
from desktop.ui.form_visit import Visit, VisitSection
from desktop.ui.session import Session

AUTOSAVE_MS = 1500
S = TypeVar("S", bound=FormSection)


class InspectionForm(QDialog):
    submitted = Signal(str)
    pick_requested = Signal()

    def __init__(self, session: Session, draft: dict | None = None, parent=None):
        super().__init__(parent)
        self.session, self.tr = session, session.tr
        self.draft_id: str | None = draft["id"] if draft else None
        self._loading = True
        self._dirty = False
        self.setObjectName("inspection_form")
        self.setWindowTitle(self.tr("ui.new_inspection"))
        self.setAcceptDrops(True)
        self.resize(900, 820)
        self.sections: list[FormSection] = []
        self._build()
        # Validation field name -> the label under that field, whichever section owns it.
        self.errors: dict[str, QLabel] = {k: label for s in self.sections for k, label in s.errors.items()}
        self.autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS, timeout=self.save_draft_now)
        self._on_field()
        self.load(draft["input"] if draft else self._defaults())
        self._loading = False

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        tr, session = self.tr, self.session
        outer = QVBoxLayout(self)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        self.body = QVBoxLayout(body)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        # Why the visit happens comes first: it is mandatory.
        self.origin_section = self._add(OriginSection(tr))
        self.visit_section = self._add(VisitSection(tr, session.catalogue.fields, officers(session.store)))
        self.visit_section.field.currentIndexChanged.connect(self._on_field)
        self.site_section = self._add(SiteSection(session.store, tr))
        self.location_section = self._add(LocationSection(tr, session.labels.districts, self._district_at))
        self.site_section.picked.connect(self.location_section.take_site_place)
        self.location_section.pick_requested.connect(self.pick_requested)
        box = self._add(FormSection(tr("ui.sec_checklist")))
        self.checklist = ChecklistWidget(tr)
        self.checklist.changed.connect(self._changed)
        box.add_row("", self.checklist, "checklist")
        self.findings_section = self._add(FindingsSection(tr))
        self.checklist.failed_item.connect(self.findings_section.add_for)
        self.photos_section = self._add(PhotosSection(session.store, tr))
        self.outcome_section = box = self._add(FormSection(tr("ui.sec_outcome")))
        self.outcome = enum_combo(tr, "outcome", OUTCOMES, "outcome")
        self.notes = QPlainTextEdit(objectName="notes")
        follow_text_direction(self.notes)
        self.notes.setMaximumHeight(80)
        box.add_row(tr("ui.outcome"), self.outcome, "outcome")
        box.form.addRow(tr("ui.notes"), self.notes)
        # Not a refusal: a reminder of what a complete record has (every checklist item, a brigade of two).
        self.quality_note = QLabel(objectName="quality_note", wordWrap=True)
        self.quality_note.setStyleSheet("color: #8a5a00;")
        box.form.addRow(self.quality_note)
        box.watch_edits()
        outer.addLayout(self._build_buttons())
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.submit)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save_draft_now)
        self.visit_section.second.currentIndexChanged.connect(lambda _i: self.update_quality_note())

        # The widgets the main window and the tests reach by name.
        o, v, si, lo = self.origin_section, self.visit_section, self.site_section, self.location_section
        self.origin, self.origin_ref, self.origin_reason = o.origin, o.origin_ref, o.origin_reason
        self.field = v.field
        self.site_picker, self.new_site, self.site_name, self.site_address = (
            si.site_picker, si.new_site, si.site_name, si.site_address)
        self.lon, self.lat, self.district, self.pick_button = lo.lon, lo.lat, lo.district, lo.pick_button
        self.finding_rows, self.photos = self.findings_section.rows, self.photos_section.photos

    def _add(self, section: S) -> S:
        """Append a section to the form; its edits start the draft autosave."""
        self.body.addWidget(section)
        self.sections.append(section)
        section.changed.connect(self._changed)
        return section

    def _build_buttons(self) -> QHBoxLayout:
        tr = self.tr
        bottom = QHBoxLayout()
        self.status = QLabel(objectName="form_status")
        self.status.setWordWrap(True)
        bottom.addWidget(self.status, 1)
        self.discard_button = QPushButton(tr("ui.discard_draft"), objectName="discard_draft")
        self.discard_button.clicked.connect(self.discard)
        self.close_button = QPushButton(tr("ui.save_close"), objectName="save_close")
        self.close_button.clicked.connect(self.reject)
        self.submit_button = QPushButton(tr("ui.submit"), objectName="submit")
        self.submit_button.setDefault(True)
        self.submit_button.setToolTip("Ctrl+Enter")
        self.submit_button.clicked.connect(self.submit)
        for b in (self.discard_button, self.close_button, self.submit_button):
            bottom.addWidget(b)
        return bottom

    # -- behaviour -----------------------------------------------------------------------------
    def _defaults(self) -> InspectionInput:
        inp = InspectionInput(inspected_at=to_utc_text(datetime.now(timezone.utc)))
        if self.session.user.role in ("officer", "coordinator"):
            inp.officer_ids = [self.session.user.id]
        return inp

    def update_quality_note(self) -> str:
        """ "3 of 9 checklist items unanswered · no second officer", or nothing."""
        combos = list(self.checklist.combos.values())
        unanswered = sum(1 for c in combos if not c.currentData())
        parts = []
        if unanswered:
            parts.append(self.tr("ui.checklist_unanswered", n=unanswered, total=len(combos)))
        if self.visit_section.second.currentData() is None:
            parts.append(self.tr("ui.no_second_officer"))
        text = " · ".join(parts)
        self.quality_note.setText(text)
        self.quality_note.setVisible(bool(text))
        return text

    def _changed(self, *_args) -> None:
        if not self._loading:
            self.update_quality_note()
            self._dirty = True
            self.autosave.start()

    def _on_field(self) -> None:
        code = self.field.currentData()
        fld = self.session.catalogue.field(code) if code else None
        self.checklist.set_field(fld)
        self.findings_section.set_field(fld)
        self.update_quality_note()

    def _district_at(self, lon: float, lat: float) -> str | None:
        locator = self.session.locator  # built on first use, and rebuilt when the districts change
        return locator.locate(lon, lat) if locator is not None else None

    def set_location(self, lon: float, lat: float) -> None:
        """A location picked on the map: coordinates, then the district they fall in."""
        self.location_section.set_location(lon, lat)
        self._changed()

    def add_photo_file(self, path: Path) -> bool:
        return self.photos_section.add_file(path)

    def dragEnterEvent(self, event) -> None:
        if photo_paths_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for path in photo_paths_from_mime(event.mimeData()):
            self.photos_section.add_file(path)
        event.acceptProposedAction()

    # -- data in and out -----------------------------------------------------------------------
    def collect(self) -> InspectionInput:
        origin, visit = self.origin_section.collect(), self.visit_section.collect()
        site, where = self.site_section.collect(), self.location_section.collect()
        return InspectionInput(
            field_code=visit.field_code, site_id=site.site_id, new_site=site.new_site,
            inspected_at=visit.inspected_at, officer_ids=visit.officer_ids,
            lon=where.lon, lat=where.lat, district_id=where.district_id,
            checklist=self.checklist.answers(), findings=self.findings_section.collect(),
            photos=self.photos_section.collect(), notes=self.notes.toPlainText(),
            outcome=self.outcome.currentData() or "",
            origin_type=origin.kind, origin_ref=origin.ref, origin_reason=origin.reason)

    def load(self, inp: InspectionInput) -> None:
        self._loading = True
        self.origin_section.load(Origin(inp.origin_type, inp.origin_ref, inp.origin_reason))
        self.visit_section.load(Visit(inp.field_code, inp.inspected_at, inp.officer_ids))
        self._on_field()
        self.site_section.load(SiteChoice(inp.site_id, inp.new_site))
        self.location_section.load(Location(inp.lon, inp.lat, inp.district_id))
        self.checklist.set_answers(inp.checklist)
        self.findings_section.load(inp.findings)
        self.photos_section.load(inp.photos)
        select_data(self.outcome, inp.outcome or None)
        self.notes.setPlainText(inp.notes)
        self._loading = False

    # -- saving --------------------------------------------------------------------------------
    def save_draft_now(self) -> bool:
        self.autosave.stop()
        if not self._dirty:
            return True
        try:
            self.draft_id = save_draft(self.session.store, self.session.user, self.collect(), self.draft_id)
        except (StoreError, PermissionError) as exc:
            show_error(self, exc, self.tr)
            return False
        self._dirty = False
        self.status.setText(self.tr("ui.draft_saved", time=ltr(datetime.now(LOCAL_TZ).strftime("%H:%M:%S"))))
        return True

    def submit(self) -> None:
        self.autosave.stop()
        inp = self.collect()
        try:
            ctx = validation_context(self.session.store, self.session.locator)
            iid = submit_inspection(self.session.store, self.session.user, inp, self.session.catalogue,
                                    ctx=ctx, draft_id=self.draft_id)
        except ValidationFailed as exc:
            self.show_problems(exc.problems)
            return
        except (StoreError, PermissionError) as exc:
            self.save_draft_now()
            show_error(self, exc, self.tr)
            return
        self._dirty = False
        self.draft_id = None
        self.submitted.emit(iid)
        self.accept()

    def show_problems(self, problems: list[Problem]) -> None:
        """Each message under its field (several for one field on separate lines), the first in view."""
        messages: dict[str, list[str]] = {}
        owners: dict[str, FormSection] = {}
        for p in problems:
            section, key = self._place(p.field)
            owners[key] = section
            messages.setdefault(key, []).append(self.tr("v." + p.code, *p.params))
        joined = {key: "\n".join(lines) for key, lines in messages.items()}
        for section in self.sections:
            section.show_errors(joined)
        self.status.setText(self.tr("ui.problems", n=len(problems)))
        first = next(iter(messages), None)
        if first is not None:  # bring the first problem into view
            self.scroll.ensureWidgetVisible(owners[first].message_label(first))

    def _place(self, field: str) -> tuple[FormSection, str]:
        """The section that shows a problem about ``field``, and under which key; a problem no
        section claims shows at the end, under the outcome."""
        for section in self.sections:
            key = section.error_key(field)
            if key is not None:
                return section, key
        return self.outcome_section, "outcome"

    def discard(self) -> None:
        self.autosave.stop()
        if self.draft_id:
            try:
                discard_draft(self.session.store, self.session.user, self.draft_id)
            except StoreError as exc:
                show_error(self, exc, self.tr)
                return
        self._dirty = False
        self.draft_id = None
        super().reject()

    def reject(self) -> None:
        """Closing keeps the work: the draft is saved first."""
        if self.save_draft_now():
            super().reject()

    def closeEvent(self, event) -> None:
        if self.save_draft_now():
            event.accept()
        else:
            event.ignore()
