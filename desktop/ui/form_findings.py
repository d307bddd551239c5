"""The checklist of the visit's field and the findings (violations) it adds, or that the officer
adds by hand, each with its measure and note."""
from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout, QWidget)

from desktop.domain.catalogue import Field
from desktop.domain.model import ANSWERS, FindingInput
from desktop.i18n import Translator
from desktop.ui.form_parts import error_label, parse_number, show_message
from desktop.ui.form_section import FormSection


class ChecklistWidget(QWidget):
    """One row per checklist item of the field, answered conforme / non conforme / sans objet."""
    changed = Signal()
    failed_item = Signal(str)  # violation code linked to an item answered "no"

    def __init__(self, tr: Translator, parent=None):
        super().__init__(parent)
        self.tr = tr
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.combos: dict[str, QComboBox] = {}
        self.links: dict[str, str | None] = {}

    def set_field(self, fld: Field | None) -> None:
        while self.grid.count():
            self.grid.takeAt(0).widget().deleteLater()
        self.combos, self.links = {}, {}
        if fld is None:
            return
        for row, item in enumerate(fld.checklist):
            label = QLabel(item.ar if self.tr.lang == "ar" else item.fr)
            label.setWordWrap(True)
            combo = QComboBox()
            combo.setObjectName(f"check_{item.code}")
            combo.addItem(self.tr("answer.unset"), None)
            for answer in ANSWERS:
                combo.addItem(self.tr.enum("answer", answer), answer)
            combo.currentIndexChanged.connect(lambda _i, c=item.code: self._answered(c))
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(combo, row, 1)
            self.combos[item.code], self.links[item.code] = combo, item.violation

    def _answered(self, code: str) -> None:
        if self.combos[code].currentData() == "no" and self.links.get(code):
            self.failed_item.emit(self.links[code])
        self.changed.emit()

    def answers(self) -> dict[str, str]:
        return {code: c.currentData() for code, c in self.combos.items() if c.currentData()}

    def set_answers(self, answers: dict[str, str]) -> None:
        for code, answer in answers.items():
            combo = self.combos.get(code)
            if combo is not None:
                combo.setCurrentIndex(max(0, combo.findData(answer)))


class FindingRow(QWidget):
    changed = Signal()
    remove = Signal(object)

    def __init__(self, fld: Field, tr: Translator, finding: FindingInput | None = None, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        line = QHBoxLayout()
        self.violation = QComboBox()
        self.violation.setObjectName("finding_violation")
        for v in fld.violations:
            self.violation.addItem(f"{v.code} — {v.label(tr.lang)} ({tr.enum('severity', v.severity)})", v.code)
        self.violation.setMinimumContentsLength(30)
        self.measure = QLineEdit()
        self.measure.setObjectName("finding_measure")
        self.measure.setMaximumWidth(110)
        self.note = QLineEdit(placeholderText=tr("ui.note"))
        delete = QPushButton("✕")
        delete.setToolTip(tr("ui.remove"))
        delete.setMaximumWidth(32)
        delete.clicked.connect(lambda: self.remove.emit(self))
        line.addWidget(self.violation, 3)
        line.addWidget(self.measure)
        line.addWidget(self.note, 2)
        line.addWidget(delete)
        layout.addLayout(line)
        self.error = error_label("finding")
        layout.addWidget(self.error)
        self.fld, self.tr = fld, tr
        self.violation.currentIndexChanged.connect(self._unit)
        for signal in (self.violation.currentIndexChanged, self.measure.textChanged, self.note.textChanged):
            signal.connect(self.changed)
        if finding is not None:
            self.violation.setCurrentIndex(max(0, self.violation.findData(finding.violation_code)))
            if finding.measure_value is not None:
                self.measure.setText(f"{finding.measure_value:g}")
            self.note.setText(finding.note)
        self._unit()

    def _unit(self) -> None:
        code = self.violation.currentData()
        v = next((v for v in self.fld.violations if v.code == code), None)
        unit = self.tr.enum("unit", v.measure.unit) if v and v.measure else ""
        self.measure.setPlaceholderText(unit or self.tr("ui.no_measure"))
        self.measure.setEnabled(bool(unit))

    def value(self) -> FindingInput:
        try:
            measure = parse_number(self.measure.text())
        except ValueError:
            measure = float("nan")  # reported by validation as an invalid measure
        return FindingInput(self.violation.currentData(), measure, self.note.text())


class FindingsSection(FormSection):
    """The finding rows of the field chosen. Validation fields: ``findings``, and ``finding:<n>``
    shown on the n-th row."""

    def __init__(self, tr: Translator, parent: QWidget | None = None):
        super().__init__(tr("ui.sec_findings"), parent)
        self.tr = tr
        self.fld: Field | None = None
        self.rows: list[FindingRow] = []  # changed in place: the form shows it as finding_rows
        self.rows_box = QVBoxLayout()
        self.form.addRow(self.rows_box)
        self.add_button = QPushButton(tr("ui.add_finding"), objectName="add_finding")
        self.add_button.clicked.connect(lambda: self.add_finding())
        self.form.addRow(self.add_button)
        self.add_error_row("findings")
        self.set_field(None)

    def set_field(self, fld: Field | None) -> None:
        """Another field: its violations are offered and the rows of the previous one go."""
        self.fld = fld
        self.load([])
        self.add_button.setEnabled(fld is not None and bool(fld.violations))

    def add_finding(self, finding: FindingInput | None = None) -> None:
        if self.fld is None:
            return
        row = FindingRow(self.fld, self.tr, finding)
        row.changed.connect(self.changed)
        row.remove.connect(self.remove_finding)
        self.rows_box.addWidget(row)
        self.rows.append(row)
        self.changed.emit()

    def add_for(self, violation_code: str) -> None:
        """A checklist item answered "no": its violation, unless it is already found."""
        if violation_code not in {r.violation.currentData() for r in self.rows}:
            self.add_finding(FindingInput(violation_code))

    def remove_finding(self, row: FindingRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.changed.emit()

    def load(self, findings: list[FindingInput]) -> None:
        for row in list(self.rows):
            self.remove_finding(row)
        for f in findings:
            self.add_finding(f)

    def collect(self) -> list[FindingInput]:
        return [r.value() for r in self.rows]

    def error_key(self, field: str) -> str | None:
        if field.startswith("finding:"):  # a row that is gone shows on the section
            return field if int(field.split(":")[1]) < len(self.rows) else "findings"
        return super().error_key(field)

    def message_label(self, key: str) -> QLabel:
        if key.startswith("finding:"):
            return self.rows[int(key.split(":")[1])].error
        return super().message_label(key)

    def show_errors(self, messages: Mapping[str, str]) -> None:
        super().show_errors(messages)
        for n, row in enumerate(self.rows):
            show_message(row.error, messages.get(f"finding:{n}", ""))
