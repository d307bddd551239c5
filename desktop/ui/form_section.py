"""A titled section of the inspection form: its rows, the error message under each field, and a
``changed`` signal that the form turns into a draft autosave."""
from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QLayout, QLineEdit,
                               QPlainTextEdit, QVBoxLayout, QWidget)

from desktop.ui.form_parts import error_label, show_message


class FormSection(QGroupBox):
    """A group box with a form layout whose fields carry their own validation messages.

    ``errors`` maps a validation field name (``Problem.field``) to the label shown under that
    field; ``show_errors`` fills them in from the messages of one submission attempt, keyed as
    ``error_key`` placed them.
    """
    changed = Signal()

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.ExpandingFieldsGrow)
        self.errors: dict[str, QLabel] = {}

    def add_row(self, label: str | QWidget, field: QWidget | QLayout, error_key: str,
                form: QFormLayout | None = None) -> None:
        """A labelled field with its error message (hidden until there is one) right under it."""
        holder = QVBoxLayout()
        holder.setSpacing(1)
        if isinstance(field, QWidget):
            holder.addWidget(field)
        else:
            holder.addLayout(field)
        holder.addWidget(self.error_label(error_key))
        (form or self.form).addRow(label, holder)

    def add_error_row(self, error_key: str) -> None:
        """An error message on a row of its own, for a field that is the whole section."""
        self.form.addRow(self.error_label(error_key))

    def error_label(self, error_key: str) -> QLabel:
        label = self.errors[error_key] = error_label(error_key)
        return label

    def watch_edits(self) -> None:
        """Emit ``changed`` on every edit of the fields built so far (call it once they are)."""
        for w in self.findChildren(QLineEdit):
            w.textChanged.connect(self.changed)
        for w in self.findChildren(QPlainTextEdit):
            w.textChanged.connect(self.changed)
        for w in self.findChildren(QComboBox):
            w.currentIndexChanged.connect(self.changed)
        for w in self.findChildren(QCheckBox):
            w.toggled.connect(self.changed)

    def error_key(self, field: str) -> str | None:
        """The key under which this section shows a problem about ``field``; None when not its own."""
        return field if field in self.errors else None

    def message_label(self, key: str) -> QLabel:
        """The label that shows the messages of ``key`` (a key ``error_key`` returned)."""
        return self.errors[key]

    def show_errors(self, messages: Mapping[str, str]) -> None:
        """Show the message of each of this section's fields; fields not in ``messages`` are cleared."""
        for key, label in self.errors.items():
            show_message(label, messages.get(key, ""))
