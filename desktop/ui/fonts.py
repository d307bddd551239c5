"""Register the fonts shipped in resources/fonts so the app renders the same on a bare machine."""
from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase

import resources

UI_FAMILIES = ["Noto Sans Arabic", "Noto Sans"]


def register_fonts() -> list[str]:
    families: list[str] = []
    for path in sorted(resources.path("fonts").glob("*.ttf")):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            families += QFontDatabase.applicationFontFamilies(font_id)
    return sorted(set(families))


def ui_font(point_size: int = 10) -> QFont:
    font = QFont()
    font.setFamilies(UI_FAMILIES)
    font.setPointSize(point_size)
    return font
