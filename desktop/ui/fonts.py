"""Register the fonts shipped in resources/fonts so the app renders the same on a bare machine."""
from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase

import resources

UI_FAMILIES = ["Noto Sans Arabic", "Noto Sans"]
UI_FILES = "NotoSans*.ttf"  # the interface's; the documents' (Amiri, Noto Naskh) come after the login


def register_fonts(pattern: str = "*.ttf") -> list[str]:
    """Register the shipped fonts whose file names match ``pattern``; returns their families."""
    families: list[str] = []
    for path in sorted(resources.path("fonts").glob(pattern)):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            families += QFontDatabase.applicationFontFamilies(font_id)
    return sorted(set(families))


def ui_font(point_size: int = 10) -> QFont:
    font = QFont()
    font.setFamilies(UI_FAMILIES)
    font.setPointSize(point_size)
    return font
