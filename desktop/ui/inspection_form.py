"""The inspection form: driven by the catalogue, saved as a draft while typed, submitted at once.

Every change restarts a short timer that saves the draft, so closing the window, a crash or a
power cut loses at most the last second and a half of typing. Submitting is one transaction
(site, inspection, findings, photos, closing the draft).
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateTimeEdit, QDialog, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QScrollArea, QVBoxLayout, QWidget)

from desktop.domain.ids import LOCAL_TZ, parse_utc_text, to_utc_text
from desktop.domain.model import (ORIGINS, OUTCOMES, OWNER_ID_KINDS, SITE_KINDS, FindingInput,
                                  InspectionInput, PhotoRef, SiteInput)
from desktop.domain.validation import Problem, ValidationFailed
from desktop.store.drafts import discard_draft, save_draft
from desktop.store.errors import StoreError
from desktop.store.inspections import submit_inspection, validation_context
from desktop.store.users import officers
from desktop.ui.errors import show_error
from desktop.ui.form_parts import (ChecklistWidget, FindingRow, PhotoList, SitePicker, error_label,
                                   parse_number, photo_paths_from_mime)
from desktop.ui.session import Session

AUTOSAVE_MS = 1500
ERROR_KEYS = ("origin", "origin_ref", "origin_reason", "field_code", "inspected_at", "officers", "site",
              "site_name", "site_address", "site_kind", "site_owner", "site_authorisation", "location",
              "district", "checklist", "findings", "photos", "outcome")


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
        self.errors = {k: error_label(k) for k in ERROR_KEYS}
        self.finding_rows: list[FindingRow] = []
        self._site: dict | None = None
        self._build()
        self.autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS, timeout=self.save_draft_now)
        self._on_field()
        self.load(draft["input"] if draft else self._defaults())
        self._loading = False

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        tr = self.tr
        outer = QVBoxLayout(self)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        body = QWidget()
        self.body = QVBoxLayout(body)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        # Why the visit happens comes first: it is mandatory.
        box, form = self._section(tr("ui.sec_origin"))
        self.origin = self._enum_combo("origin", ORIGINS, "origin")
        self.origin.currentIndexChanged.connect(self._on_origin)
        self.origin_ref = QLineEdit(objectName="origin_ref")
        self.origin_reason = QPlainTextEdit(objectName="origin_reason")
        self.origin_reason.setMaximumHeight(60)
        self.origin_ref_label, self.origin_reason_label = QLabel(), QLabel(tr("ui.origin_reason"))
        self._row(form, tr("ui.origin"), self.origin, "origin")
        self._row(form, self.origin_ref_label, self.origin_ref, "origin_ref")
        self._row(form, self.origin_reason_label, self.origin_reason, "origin_reason")

        box, form = self._section(tr("ui.sec_visit"))
        self.field = QComboBox(objectName="field")
        self.field.addItem("—", None)
        for f in self.session.catalogue.fields:
            self.field.addItem(f.label(tr.lang) + ("" if f.worked else " *"), f.code)
        self.field.currentIndexChanged.connect(self._on_field)
        self.when = QDateTimeEdit(objectName="inspected_at")
        self.when.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.when.setLayoutDirection(Qt.LeftToRight)  # digits stay in reading order under Arabic
        people = officers(self.session.store)
        self.lead = QComboBox(objectName="lead_officer")
        self.second = QComboBox(objectName="second_officer")
        for combo in (self.lead, self.second):
            combo.addItem("—", None)
            for u in people:
                combo.addItem(u.name(tr.lang), u.id)
        pair = QHBoxLayout()
        pair.addWidget(self.lead)
        pair.addWidget(self.second)
        self._row(form, tr("ui.field"), self.field, "field_code")
        self._row(form, tr("ui.when"), self.when, "inspected_at")
        self._row(form, tr("ui.officers"), pair, "officers")

        box, form = self._section(tr("ui.sec_site"))
        self.site_picker = SitePicker(self.session.store, tr)
        self.site_picker.picked.connect(self._on_site)
        self.site_summary = QLabel(objectName="site_summary")
        self.site_summary.setWordWrap(True)
        self.new_site = QCheckBox(tr("ui.new_site"), objectName="new_site")
        self.new_site.toggled.connect(self._on_new_site)
        self._row(form, tr("ui.site"), self.site_picker, "site")
        form.addRow("", self.site_summary)
        form.addRow("", self.new_site)
        self.site_box = QWidget()
        site_form = QFormLayout(self.site_box)
        self.site_kind = self._enum_combo("site_kind", SITE_KINDS, "site_kind", blank=False)
        self.site_name = QLineEdit(objectName="site_name")
        self.site_address = QLineEdit(objectName="site_address")
        self.site_activity = QLineEdit(objectName="site_activity")
        self.owner_name = QLineEdit(objectName="owner_name")
        self.owner_id_kind = self._enum_combo("owner_id_kind", OWNER_ID_KINDS, "owner_id_kind", blank=False)
        self.owner_id_number = QLineEdit(objectName="owner_id_number")
        self.auth_ref = QLineEdit(objectName="authorisation_ref")
        self.auth_expires = QLineEdit(objectName="authorisation_expires", placeholderText="AAAA-MM-JJ")
        owner_id = QHBoxLayout()
        owner_id.addWidget(self.owner_id_kind)
        owner_id.addWidget(self.owner_id_number)
        auth = QHBoxLayout()
        auth.addWidget(self.auth_ref)
        auth.addWidget(self.auth_expires)
        self._row(site_form, tr("ui.site_kind"), self.site_kind, "site_kind")
        self._row(site_form, tr("ui.site_name"), self.site_name, "site_name")
        self._row(site_form, tr("ui.site_address"), self.site_address, "site_address")
        site_form.addRow(tr("ui.site_activity"), self.site_activity)
        site_form.addRow(tr("ui.owner_name"), self.owner_name)
        self._row(site_form, tr("ui.owner_id"), owner_id, "site_owner")
        self._row(site_form, tr("ui.authorisation"), auth, "site_authorisation")
        form.addRow(self.site_box)

        box, form = self._section(tr("ui.sec_location"))
        self.lon = QLineEdit(objectName="lon", placeholderText=tr("ui.lon"))
        self.lat = QLineEdit(objectName="lat", placeholderText=tr("ui.lat"))
        coords = QHBoxLayout()
        coords.addWidget(QLabel(tr("ui.lat")))
        coords.addWidget(self.lat)
        coords.addWidget(QLabel(tr("ui.lon")))
        coords.addWidget(self.lon)
        self.pick_button = QPushButton(tr("ui.pick_on_map"), objectName="pick_on_map")
        self.pick_button.clicked.connect(self.pick_requested)
        coords.addWidget(self.pick_button)
        for edit in (self.lon, self.lat):
            edit.setLayoutDirection(Qt.LeftToRight)
            edit.editingFinished.connect(self._locate)
        self.district = QComboBox(objectName="district")
        self.district.addItem("—", None)
        for district_id, name in sorted(self.session.labels.districts.items(), key=lambda kv: kv[1]):
            self.district.addItem(name, district_id)
        self._row(form, tr("ui.coordinates"), coords, "location")
        self._row(form, tr("ui.district"), self.district, "district")

        box, form = self._section(tr("ui.sec_checklist"))
        self.checklist = ChecklistWidget(tr)
        self.checklist.failed_item.connect(self._add_finding_for)
        self._row(form, "", self.checklist, "checklist")

        box, form = self._section(tr("ui.sec_findings"))
        self.findings_box = QVBoxLayout()
        form.addRow(self.findings_box)
        self.add_finding = QPushButton(tr("ui.add_finding"), objectName="add_finding")
        self.add_finding.clicked.connect(lambda: self._add_finding_row())
        form.addRow(self.add_finding)
        form.addRow(self.errors["findings"])

        box, form = self._section(tr("ui.sec_photos"))
        self.photos = PhotoList(self.session.store)
        add_photo = QPushButton(tr("ui.add_photo"), objectName="add_photo")
        add_photo.clicked.connect(self._choose_photos)
        form.addRow(self.photos)
        form.addRow(add_photo)
        form.addRow(QLabel(tr("ui.drop_hint")))
        form.addRow(self.errors["photos"])

        box, form = self._section(tr("ui.sec_outcome"))
        self.outcome = self._enum_combo("outcome", OUTCOMES, "outcome")
        self.notes = QPlainTextEdit(objectName="notes")
        self.notes.setMaximumHeight(80)
        self._row(form, tr("ui.outcome"), self.outcome, "outcome")
        form.addRow(tr("ui.notes"), self.notes)

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
        outer.addLayout(bottom)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.submit)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save_draft_now)

        for w in self.findChildren(QLineEdit):
            w.textChanged.connect(self._changed)
        for w in self.findChildren(QPlainTextEdit):
            w.textChanged.connect(self._changed)
        for w in self.findChildren(QComboBox):
            w.currentIndexChanged.connect(self._changed)
        self.when.dateTimeChanged.connect(self._changed)
        self.new_site.toggled.connect(self._changed)
        self.checklist.changed.connect(self._changed)

    def _section(self, title: str):
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.ExpandingFieldsGrow)
        self.body.addWidget(box)
        return box, form

    def _row(self, form: QFormLayout, label, widget, error_key: str) -> None:
        holder = QVBoxLayout()
        holder.setSpacing(1)
        if isinstance(widget, QWidget):
            holder.addWidget(widget)
        else:
            holder.addLayout(widget)
        holder.addWidget(self.errors[error_key])
        form.addRow(label, holder)

    def _enum_combo(self, name: str, values, kind: str, blank: bool = True) -> QComboBox:
        combo = QComboBox(objectName=name)
        if blank:
            combo.addItem("—", None)
        for v in values:
            combo.addItem(self.tr.enum(kind, v), v)
        return combo

    # -- behaviour -----------------------------------------------------------------------------
    def _defaults(self) -> InspectionInput:
        inp = InspectionInput(inspected_at=to_utc_text(datetime.now(timezone.utc)))
        if self.session.user.role in ("officer", "coordinator"):
            inp.officer_ids = [self.session.user.id]
        return inp

    def _changed(self, *_args) -> None:
        if not self._loading:
            self._dirty = True
            self.autosave.start()

    def _on_origin(self) -> None:
        origin = self.origin.currentData()
        own = origin == "own_initiative"
        self.origin_reason.setVisible(own)
        self.origin_reason_label.setVisible(own)
        self.origin_ref.setVisible(not own)
        self.origin_ref_label.setVisible(not own)
        key = {"follow_up": "ui.origin_ref_followup", "complaint_citizen": "ui.origin_ref_complaint",
               "complaint_president": "ui.origin_ref_complaint"}.get(origin, "ui.origin_ref")
        self.origin_ref_label.setText(self.tr(key))

    def _on_field(self) -> None:
        code = self.field.currentData()
        fld = self.session.catalogue.field(code) if code else None
        self.checklist.set_field(fld)
        for row in list(self.finding_rows):
            self._remove_finding(row)
        self.add_finding.setEnabled(fld is not None and bool(fld.violations))

    def _on_new_site(self, on: bool) -> None:
        self.site_box.setVisible(on)
        self.site_picker.setEnabled(not on)
        if on:
            self._site = None
            self.site_summary.clear()

    def _on_site(self, site: dict) -> None:
        self._site = site
        kind = self.tr.enum("site_kind", site["kind"])
        owner = f" — {site['owner_name']}" if site["owner_name"] else ""
        self.site_summary.setText(f"{kind}: {site['name']}, {site['address']}{owner}")
        if not self.lon.text() and site.get("lon") is not None:
            self.lon.setText(f"{site['lon']:.6f}")
            self.lat.setText(f"{site['lat']:.6f}")
        if site.get("district_id"):
            self.district.setCurrentIndex(max(0, self.district.findData(site["district_id"])))
        self._changed()

    def _locate(self) -> None:
        """Fill the district from the coordinates when they fall inside one."""
        try:
            lon, lat = parse_number(self.lon.text()), parse_number(self.lat.text())
        except ValueError:
            return
        if lon is None or lat is None or self.session.locator is None:
            return
        district_id = self.session.locator.locate(lon, lat)
        if district_id:
            self.district.setCurrentIndex(max(0, self.district.findData(district_id)))

    def set_location(self, lon: float, lat: float) -> None:
        """A location picked on the map: coordinates, then the district they fall in."""
        self.lon.setText(f"{lon:.6f}")
        self.lat.setText(f"{lat:.6f}")
        self._locate()
        self._changed()

    def _add_finding_row(self, finding: FindingInput | None = None) -> None:
        code = self.field.currentData()
        if not code:
            return
        row = FindingRow(self.session.catalogue.field(code), self.tr, finding)
        row.changed.connect(self._changed)
        row.remove.connect(self._remove_finding)
        self.findings_box.addWidget(row)
        self.finding_rows.append(row)
        self._changed()

    def _add_finding_for(self, violation_code: str) -> None:
        if violation_code not in {r.violation.currentData() for r in self.finding_rows}:
            self._add_finding_row(FindingInput(violation_code))

    def _remove_finding(self, row: FindingRow) -> None:
        self.finding_rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self._changed()

    def add_photo_file(self, path: Path) -> bool:
        try:
            stored = self.session.store.attachments.put_photo(path)
        except StoreError as exc:
            self._show(self.errors["photos"], self.tr("store." + exc.code, **exc.params))
            return False
        self._show(self.errors["photos"], "")
        self.photos.add(PhotoRef(stored.sha256, path.name, stored.mime, stored.size))
        self._changed()
        return True

    def _choose_photos(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("ui.add_photo"), "",
                                                "Images (*.jpg *.jpeg *.png *.webp *.heic)")
        for name in files:
            self.add_photo_file(Path(name))

    def dragEnterEvent(self, event) -> None:
        if photo_paths_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        for path in photo_paths_from_mime(event.mimeData()):
            self.add_photo_file(path)
        event.acceptProposedAction()

    # -- data in and out -----------------------------------------------------------------------
    def collect(self) -> InspectionInput:
        def number(edit: QLineEdit) -> float | None:
            try:
                return parse_number(edit.text())
            except ValueError:
                return float("nan")
        local = self.when.dateTime().toPython().replace(tzinfo=LOCAL_TZ)
        new_site = None
        if self.new_site.isChecked():
            new_site = SiteInput(kind=self.site_kind.currentData(), name=self.site_name.text(),
                                 address=self.site_address.text(), activity=self.site_activity.text(),
                                 owner_name=self.owner_name.text(), owner_id_kind=self.owner_id_kind.currentData(),
                                 owner_id_number=self.owner_id_number.text(),
                                 authorisation_ref=self.auth_ref.text(), authorisation_expires=self.auth_expires.text().strip())
        return InspectionInput(
            field_code=self.field.currentData() or "", site_id=None if new_site else (self._site or {}).get("id"),
            new_site=new_site, inspected_at=to_utc_text(local),
            officer_ids=[o for o in (self.lead.currentData(), self.second.currentData()) if o],
            lon=number(self.lon), lat=number(self.lat), district_id=self.district.currentData(),
            checklist=self.checklist.answers(), findings=[r.value() for r in self.finding_rows],
            photos=self.photos.refs(), notes=self.notes.toPlainText(), outcome=self.outcome.currentData() or "",
            origin_type=self.origin.currentData() or "", origin_ref=self.origin_ref.text(),
            origin_reason=self.origin_reason.toPlainText())

    def load(self, inp: InspectionInput) -> None:
        self._loading = True
        pick = lambda combo, value: combo.setCurrentIndex(max(0, combo.findData(value)))  # noqa: E731
        pick(self.origin, inp.origin_type or None)
        self.origin_ref.setText(inp.origin_ref)
        self.origin_reason.setPlainText(inp.origin_reason)
        pick(self.field, inp.field_code or None)
        self._on_field()
        if inp.inspected_at:
            local = parse_utc_text(inp.inspected_at).astimezone(LOCAL_TZ).replace(tzinfo=None)
            self.when.setDateTime(QDateTime(local))
        pick(self.lead, inp.officer_ids[0] if inp.officer_ids else None)
        pick(self.second, inp.officer_ids[1] if len(inp.officer_ids) > 1 else None)
        if inp.site_id:
            from desktop.store.sites import get_site
            site = get_site(self.session.store, inp.site_id)
            if site:
                self.site_picker.search.setText(site["name"])
                self._on_site(site)
        self.new_site.setChecked(inp.new_site is not None)
        self._on_new_site(inp.new_site is not None)
        if inp.new_site:
            s = inp.new_site
            pick(self.site_kind, s.kind)
            pick(self.owner_id_kind, s.owner_id_kind)
            for edit, value in ((self.site_name, s.name), (self.site_address, s.address),
                                (self.site_activity, s.activity), (self.owner_name, s.owner_name),
                                (self.owner_id_number, s.owner_id_number), (self.auth_ref, s.authorisation_ref),
                                (self.auth_expires, s.authorisation_expires)):
                edit.setText(value)
        self.lon.setText("" if inp.lon is None else f"{inp.lon:.6f}")
        self.lat.setText("" if inp.lat is None else f"{inp.lat:.6f}")
        pick(self.district, inp.district_id)
        self.checklist.set_answers(inp.checklist)
        for row in list(self.finding_rows):
            self._remove_finding(row)
        for f in inp.findings:
            self._add_finding_row(f)
        self.photos.clear()
        for p in inp.photos:
            self.photos.add(p)
        pick(self.outcome, inp.outcome or None)
        self.notes.setPlainText(inp.notes)
        self._on_origin()
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
        self.status.setText(self.tr("ui.draft_saved", time=datetime.now(LOCAL_TZ).strftime("%H:%M:%S")))
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
        for label in self.errors.values():
            self._show(label, "")
        for row in self.finding_rows:
            self._show(row.error, "")
        texts: dict[QLabel, list[str]] = {}
        for p in problems:
            text = self.tr("v." + p.code, *p.params)
            if p.field.startswith("finding:"):
                n = int(p.field.split(":")[1])
                label = self.finding_rows[n].error if n < len(self.finding_rows) else self.errors["findings"]
            elif p.field.startswith("photo:"):
                label = self.errors["photos"]
            else:
                label = self.errors.get(p.field, self.errors["outcome"])
            texts.setdefault(label, []).append(text)
        for label, lines in texts.items():
            self._show(label, "\n".join(lines))
        self.status.setText(self.tr("ui.problems", n=len(problems)))
        first = next(iter(texts), None)
        if first is not None:  # bring the first problem into view
            self.scroll.ensureWidgetVisible(first)

    @staticmethod
    def _show(label: QLabel, text: str) -> None:
        label.setText(text)
        label.setVisible(bool(text))

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
