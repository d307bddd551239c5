"""Why the visit happens (mandatory, first on the form): a programme or campaign, a complaint,
a follow-up with their reference, or the officer's own initiative with a reason."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QWidget

from desktop.domain.model import ORIGINS
from desktop.i18n import Translator
from desktop.ui.widgets import follow_text_direction
from desktop.ui.form_parts import enum_combo, select_data
from desktop.ui.form_section import FormSection

# What the reference is called for each origin (a complaint number, the first visit's reference…).
REF_LABELS = {"follow_up": "ui.origin_ref_followup", "complaint_citizen": "ui.origin_ref_complaint",
              "complaint_president": "ui.origin_ref_complaint"}


@dataclass
class Origin:
    kind: str = ""  # one of ORIGINS, "" when not chosen
    ref: str = ""
    reason: str = ""  # only for the officer's own initiative


class OriginSection(FormSection):
    """Validation fields: ``origin``, ``origin_ref``, ``origin_reason``."""

    def __init__(self, tr: Translator, parent: QWidget | None = None):
        super().__init__(tr("ui.sec_origin"), parent)
        self.tr = tr
        self.origin = enum_combo(tr, "origin", ORIGINS, "origin")
        self.origin.currentIndexChanged.connect(self._on_origin)
        self.origin_ref = QLineEdit(objectName="origin_ref")
        self.origin_reason = QPlainTextEdit(objectName="origin_reason")
        follow_text_direction(self.origin_reason)
        self.origin_reason.setMaximumHeight(60)
        self.ref_label, self.reason_label = QLabel(), QLabel(tr("ui.origin_reason"))
        self.add_row(tr("ui.origin"), self.origin, "origin")
        self.add_row(self.ref_label, self.origin_ref, "origin_ref")
        self.add_row(self.reason_label, self.origin_reason, "origin_reason")
        self.watch_edits()
        self._on_origin()

    def _on_origin(self) -> None:
        """A reason for the own initiative, a reference named after the origin for the others."""
        origin = self.origin.currentData()
        own = origin == "own_initiative"
        self.origin_reason.setVisible(own)
        self.reason_label.setVisible(own)
        self.origin_ref.setVisible(not own)
        self.ref_label.setVisible(not own)
        self.ref_label.setText(self.tr(REF_LABELS.get(origin, "ui.origin_ref")))

    def load(self, origin: Origin) -> None:
        select_data(self.origin, origin.kind or None)
        self.origin_ref.setText(origin.ref)
        self.origin_reason.setPlainText(origin.reason)
        self._on_origin()

    def collect(self) -> Origin:
        return Origin(self.origin.currentData() or "", self.origin_ref.text(), self.origin_reason.toPlainText())
