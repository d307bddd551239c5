"""The map to a PNG image or a vector PDF, drawn by the same renderer as the screen."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import QApplication

from desktop.i18n import Translator
from desktop.store.db import open_store
from desktop.store.geo import district_rates, district_rows, inspection_points
from desktop.ui.fonts import register_fonts, ui_font
from desktop.ui.map_render import MapScene, render
from maps.scene import Style, View


def _atomic(path: Path):
    return path.with_name(f".{path.name}.part")


def save_png(path: Path, scene: MapScene, view: View, style: Style, tr: Translator) -> None:
    image = QImage(view.width, view.height, QImage.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    render(painter, scene, view, style, tr)
    painter.end()
    tmp = _atomic(path)
    if not image.save(str(tmp), "PNG"):
        tmp.unlink(missing_ok=True)
        raise OSError(f"cannot write {path}")
    tmp.replace(path)


def save_pdf(path: Path, scene: MapScene, view: View, style: Style, tr: Translator) -> None:
    """A landscape A4 page, vector shapes and text, the view fitted to the page."""
    tmp = _atomic(path)
    writer = QPdfWriter(str(tmp))
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Landscape, QMarginsF(8, 8, 8, 8)))
    writer.setResolution(96)
    writer.setTitle(tr("ui.nav_map"))
    painter = QPainter(writer)
    if not painter.isActive():
        tmp.unlink(missing_ok=True)
        raise OSError(f"cannot write {path}")
    page = writer.pageLayout().paintRectPixels(writer.resolution())
    ratio = min(page.width() / view.width, page.height() / view.height)
    fitted = View(view.cx, view.cy, view.scale * ratio, page.width(), page.height())
    render(painter, scene, fitted, style, tr)
    painter.end()
    tmp.replace(path)


def render_map_file(db: Path, out: Path, size: tuple[int, int], filt, tr: Translator, mode: str = "points",
                    color_by: str = "field", measure: str = "inspections") -> int:
    """The headless map (``commune-police map``): the same scene and renderer as the map page.
    Returns the number of inspections drawn."""
    app = QApplication.instance() or QApplication([sys.argv[0]])
    register_fonts()
    app.setFont(ui_font())
    with open_store(db, readonly=True) as store:
        scene = MapScene(district_rows(store), inspection_points(store, filt))
        style = Style(mode=mode, color_by=color_by, measure=measure)
        if mode == "choropleth":
            style.rates = district_rates(store, measure, filt)
    view = scene.fit(*size)
    (save_pdf if out.suffix.lower() == ".pdf" else save_png)(out, scene, view, style, tr)
    return len(scene.x)
