"""Qt's own texts (standard buttons, file dialogs, context menus) in the interface language.

The bundle ships Qt's Arabic and French catalogues only (installer/bundle_filter.py).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QTranslator
from PySide6.QtWidgets import QApplication

_current: list[QTranslator] = []


def translations_dir() -> Path:
    return Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))


def install_qt_translations(app: QApplication, lang: str) -> bool:
    """Replace Qt's catalogue by ``lang``'s; returns whether one was found and loaded."""
    for old in _current:
        app.removeTranslator(old)
    _current.clear()
    translator = QTranslator(app)
    if not translator.load(f"qtbase_{lang}", str(translations_dir())):
        return False
    app.installTranslator(translator)
    _current.append(translator)
    return True
