"""Small helpers the sections of the inspection form share (and the complaint form: numbers):
error labels, enumeration combos, numbers typed with a decimal comma."""
from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QComboBox, QLabel

from desktop.i18n import Translator

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
