"""Parts of the inspection form: checklist, finding rows, photos, and the small helpers its
sections share (error labels, enumeration combos, numbers typed with a decimal comma)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from desktop.domain.catalogue import Field
from desktop.domain.model import ANSWERS, FindingInput, PhotoRef
from desktop.i18n import Translator
from desktop.store.db import Store

ERROR_STYLE = "color: #b00020;"


def error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(f"error_{name}")
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    label.hide()
    return label


def show_message(label: QLabel, text: str) -> None:
    """Show ``text`` in an error label, or hide the label when there is nothing to say."""
    label.setText(text)
    label.setVisible(bool(text))


def enum_combo(tr: Translator, name: str, values: Iterable[str], kind: str, blank: bool = True) -> QComboBox:
    """A combo of enumeration values shown in the user's language (``kind`` names the enum)."""
    combo = QComboBox(objectName=name)
    if blank:
        combo.addItem("—", None)
    for v in values:
        combo.addItem(tr.enum(kind, v), v)
    return combo


def select_data(combo: QComboBox, value: object) -> None:
    """Select the item holding ``value``, or the first item (the blank one) when none does."""
    combo.setCurrentIndex(max(0, combo.findData(value)))


def parse_number(text: str) -> float | None:
    """A number typed with a dot or a decimal comma; None when empty; ValueError when not a number."""
    text = text.strip().replace(",", ".").replace("\u066b", ".")
    return float(text) if text else None


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


class PhotoList(QListWidget):
    """Thumbnails of the photos attached (already stored content-addressed)."""

    def __init__(self, store: Store, parent=None):
        super().__init__(parent)
        self.store = store
        self.setObjectName("photos")
        self.setViewMode(QListWidget.IconMode)
        self.setIconSize(QPixmap(96, 96).size())
        self.setMaximumHeight(130)
        self.setAcceptDrops(False)  # the form takes the drops

    def add(self, ref: PhotoRef) -> None:
        if ref.sha256 in self.hashes():
            return
        pixmap = QPixmap(str(self.store.attachments.path_for(ref.sha256)))
        item = QListWidgetItem(QIcon(pixmap.scaled(96, 96, Qt.KeepAspectRatio)) if not pixmap.isNull()
                               else QIcon(), ref.name)
        item.setData(Qt.UserRole, ref)
        self.addItem(item)

    def refs(self) -> list[PhotoRef]:
        return [self.item(i).data(Qt.UserRole) for i in range(self.count())]

    def hashes(self) -> set[str]:
        return {r.sha256 for r in self.refs()}


def photo_paths_from_mime(mime) -> list[Path]:
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []
