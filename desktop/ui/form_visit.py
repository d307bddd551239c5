"""The visit itself: the police field (which drives the checklist and the violations), when, and
the brigade (a lead officer and a second)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QComboBox, QDateTimeEdit, QHBoxLayout, QWidget

from desktop.domain.catalogue import Field
from desktop.domain.ids import LOCAL_TZ, parse_utc_text, to_utc_text
from desktop.i18n import Translator
from desktop.store.users import User
from desktop.ui.widgets import set_display_format
from desktop.ui.form_parts import select_data
from desktop.ui.form_section import FormSection


@dataclass
class Visit:
    field_code: str = ""
    inspected_at: str = ""  # UTC, store format; "" keeps the time shown
    officer_ids: list[str] = field(default_factory=list)


class VisitSection(FormSection):
    """Validation fields: ``field_code``, ``inspected_at``, ``officers``."""

    def __init__(self, tr: Translator, fields: Iterable[Field], people: Iterable[User],
                 parent: QWidget | None = None):
        super().__init__(tr("ui.sec_visit"), parent)
        self.field = QComboBox(objectName="field")
        self.field.addItem("—", None)
        for f in fields:
            self.field.addItem(f.label(tr.lang) + ("" if f.worked else " *"), f.code)
        self.when = QDateTimeEdit(objectName="inspected_at")
        set_display_format(self.when, "yyyy-MM-dd HH:mm")
        self.when.setCalendarPopup(True)
        self.lead = QComboBox(objectName="lead_officer")
        self.second = QComboBox(objectName="second_officer")
        people = list(people)
        for combo in (self.lead, self.second):
            combo.addItem("—", None)
            for u in people:
                combo.addItem(u.name(tr.lang), u.id)
        pair = QHBoxLayout()
        pair.addWidget(self.lead)
        pair.addWidget(self.second)
        self.add_row(tr("ui.field"), self.field, "field_code")
        self.field.setToolTip(tr("ui.field_star"))  # what the "*" after some fields means
        self.add_row(tr("ui.when"), self.when, "inspected_at")
        self.add_row(tr("ui.officers"), pair, "officers")
        self.watch_edits()
        self.when.dateTimeChanged.connect(self.changed)

    def load(self, visit: Visit) -> None:
        select_data(self.field, visit.field_code or None)
        if visit.inspected_at:
            local = parse_utc_text(visit.inspected_at).astimezone(LOCAL_TZ).replace(tzinfo=None)
            self.when.setDateTime(QDateTime(local))
        ids = visit.officer_ids
        select_data(self.lead, ids[0] if ids else None)
        select_data(self.second, ids[1] if len(ids) > 1 else None)

    def collect(self) -> Visit:
        local = self.when.dateTime().toPython().replace(tzinfo=LOCAL_TZ)
        return Visit(self.field.currentData() or "", to_utc_text(local),
                     [o for o in (self.lead.currentData(), self.second.currentData()) if o])
