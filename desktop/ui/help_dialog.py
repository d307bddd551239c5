"""A short guide per role (officer, coordinator, president) in the interface language: Help
menu, or F1 on any page."""
from __future__ import annotations

import json
import re
from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

import resources
from desktop.i18n import Translator

GUIDES = ("officer", "coordinator", "president")
# The guide each role starts with; administrators and reviewers start with the president's.
ROLE_GUIDE = {"officer": "officer", "coordinator": "coordinator", "president": "president"}


@cache
def guides() -> dict[str, dict[str, str]]:
    return json.loads(resources.path("help", "guides.json").read_text(encoding="utf-8"))


class HelpDialog(QDialog):
    def __init__(self, tr: Translator, role: str, parent=None):
        super().__init__(parent)
        self.tr = tr
        self.setObjectName("help_dialog")
        self.setWindowTitle(tr("ui.user_guide"))
        self.resize(720, 640)
        layout = QVBoxLayout(self)
        self.guide = QComboBox(objectName="help_guide")
        for g in GUIDES:
            self.guide.addItem(tr.enum("role", g), g)
        self.guide.setCurrentIndex(self.guide.findData(ROLE_GUIDE.get(role, "president")))
        layout.addWidget(self.guide)
        self.text = QTextBrowser(objectName="help_text")
        self.text.setOpenExternalLinks(False)
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.guide.currentIndexChanged.connect(self._show)
        self._show()

    def _show(self) -> None:
        html = guides()[self.guide.currentData()][self.tr.lang]
        if self.tr.rtl:  # every block right to left, even one that starts with "Ctrl+N"
            html = re.sub(r"<(p|li|h2|h3|ol|ul)>", r'<\1 dir="rtl">', html)
        self.text.setHtml(html)
        self.text.setLayoutDirection(Qt.RightToLeft if self.tr.rtl else Qt.LeftToRight)
