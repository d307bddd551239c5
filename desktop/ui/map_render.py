"""Drawing the commune map with QPainter: districts, inspections, legend, scale.

Used by the map widget and by the headless ``commune-police map`` command, so the screen, the PNG
and the PDF show the same thing. What a frame shows is decided in ``maps.scene``, without Qt: the
view, whether the points in view are drawn one by one (then clickable) or binned into cells of a
few pixels coloured by their dominant category (drawn as one image), the labels, the rate classes.
This module paints it and keeps the Qt objects worth reusing between frames.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF, QStaticText,
                           QTextOption, QTransform)

from reports.numbers import grouped
from desktop.i18n import Translator
from maps.points import PointSet
from maps.scene import (NO_DATA_COLOR, DistrictRow, Drawn, Scene, Style, View, choropleth_breaks,
                        choropleth_classes, rate_color, scale_bar)

MAX_INDIVIDUAL = 12_000   # visible points drawn one by one below this
MARKER_PX = 12            # marker sprite: a 9 px disc with a white ring
CELL_PX = 4               # density cell size


def polygon_from_arrays(x: np.ndarray, y: np.ndarray) -> QPolygonF:
    """A QPolygonF of a few thousand vertices at most (outlines); points go through drawPointsNp."""
    return QPolygonF([QPointF(a, b) for a, b in zip(np.asarray(x).tolist(), np.asarray(y).tolist())])


def path_of(geometry) -> QPainterPath:
    """A projected shapely (Multi)Polygon as a painter path; odd-even fill keeps holes empty."""
    path = QPainterPath()
    path.setFillRule(Qt.OddEvenFill)
    for poly in getattr(geometry, "geoms", [geometry]):
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            path.addPolygon(polygon_from_arrays(xy[:, 0], xy[:, 1]))
    return path


class MapScene(Scene):
    """A ``maps.scene.Scene`` with the Qt objects its frames reuse: a path per district (in
    ``paths``, parallel to ``districts``), density images and shaped label texts."""

    def __init__(self, districts: list[DistrictRow], points: PointSet | None):
        self._qimages: dict = {}
        self._texts: dict = {}
        super().__init__(districts, points)
        self.paths = [path_of(d.geometry) for d in self.districts]

    def set_points(self, points: PointSet | None) -> None:
        super().set_points(points)
        self._qimages.clear()  # the density images of the previous points

    def qimage(self, key, image: np.ndarray) -> QImage:
        """A density image copied into a QImage that owns its memory (cached). Wrapping numpy's
        or a bytes object's memory in a QImage upset PySide's reference counts (a crash at exit)."""
        if key not in self._qimages:
            rows, cols = image.shape[:2]
            qimage = QImage(cols, rows, QImage.Format_RGBA8888)
            target = np.frombuffer(qimage.bits(), dtype=np.uint8).reshape(rows, qimage.bytesPerLine())
            target[:, :cols * 4] = image.reshape(rows, cols * 4)
            self._qimages[key] = qimage
        return self._qimages[key]

    def static_text(self, text: str, font: QFont, rtl: bool) -> QStaticText:
        key = (text, font.key(), rtl)
        static = self._texts.get(key)
        if static is None:
            static = QStaticText(text.replace("\n", "<br>"))
            static.setTextFormat(Qt.RichText)
            option = QTextOption(Qt.AlignHCenter)
            option.setTextDirection(Qt.RightToLeft if rtl else Qt.LeftToRight)
            static.setTextOption(option)
            static.setTextWidth(180)
            static.prepare(QTransform(), font)
            self._texts[key] = static
        return static


def render(painter: QPainter, scene: MapScene, view: View, style: Style, tr: Translator) -> Drawn:
    painter.setRenderHint(QPainter.Antialiasing, True)
    painter.setLayoutDirection(Qt.RightToLeft if tr.rtl else Qt.LeftToRight)
    painter.fillRect(QRectF(0, 0, view.width, view.height), QColor("#eef2f5"))
    _draw_districts(painter, scene, view, style)
    drawn = Drawn()
    if style.mode == "points":
        drawn = _draw_points(painter, scene, view, style)
    _draw_labels(painter, scene, view, style, tr)
    _draw_legend(painter, scene, style, tr, drawn)
    _draw_scale(painter, view, tr)
    return drawn


def _draw_districts(painter: QPainter, scene: MapScene, view: View, style: Style) -> None:
    """Fills without antialiasing, then each boundary once, simplified to the zoom, as screen
    polylines: antialiased strokes through a transform are most of a frame's cost otherwise."""
    painter.save()
    painter.setTransform(QTransform(*view.affine()))
    painter.setRenderHint(QPainter.Antialiasing, False)
    painter.setPen(Qt.NoPen)
    choropleth = style.mode == "choropleth"
    breaks = choropleth_breaks(style.rates) if choropleth else []
    for d, path in zip(scene.districts, scene.paths):
        painter.setBrush(QColor(rate_color(style.rates.get(d.id), breaks) if choropleth else "#ffffff"))
        painter.drawPath(path)
    painter.restore()
    # One pixel wide: Qt draws antialiased 1 px lines on a fast path (8x faster than 1.3 px).
    painter.setPen(QPen(QColor("#3d4a57"), 1.0))
    for sx, sy in scene.outlines_on_screen(view):
        painter.drawPolyline(polygon_from_arrays(sx, sy))


def _draw_points(painter: QPainter, scene: MapScene, view: View, style: Style) -> Drawn:
    drawn = scene.visible(view, MAX_INDIVIDUAL, pad_px=MARKER_PX / 2)
    if drawn.density:
        _draw_density(painter, scene, view, style)
        return drawn
    if not len(drawn.index):
        return drawn
    category, palette = scene.categories(style.color_by)
    visible = drawn.index
    cat = np.where(scene.outside[visible], len(palette), category[visible])  # outside: its own marker
    half = MARKER_PX / 2
    for k in np.unique(cat):
        sprite = _marker(palette[k][1] if k < len(palette) else None)
        sel = cat == k
        # Whole-pixel positions: the (x, y, image) overload is three times faster than QPointF.
        xs = np.rint(drawn.sx[sel] - half).astype(np.int64).tolist()
        ys = np.rint(drawn.sy[sel] - half).astype(np.int64).tolist()
        for px, py in zip(xs, ys):
            painter.drawImage(px, py, sprite)
    return drawn


_MARKERS: dict = {}


def _marker(color: str | None) -> QImage:
    """A pre-drawn, antialiased disc with a white ring (an empty ring for ``None``: a point
    outside every district). Blitting it is cheaper than drawing a disc per point."""
    if color not in _MARKERS:
        image = QImage(MARKER_PX, MARKER_PX, QImage.Format_ARGB32_Premultiplied)
        image.fill(Qt.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing, True)
        if color is None:
            painter.setPen(QPen(QColor("#000000"), 1.6))
            painter.setBrush(QColor(255, 255, 255, 200))
        else:
            painter.setPen(QPen(QColor(255, 255, 255, 235), 1.5))
            painter.setBrush(QColor(color))
        painter.drawEllipse(QRectF(1.5, 1.5, MARKER_PX - 3, MARKER_PX - 3))
        painter.end()
        _MARKERS[color] = image
    return _MARKERS[color]


def _draw_density(painter: QPainter, scene: MapScene, view: View, style: Style) -> None:
    """The part in view of the density image whose cells are closest to CELL_PX pixels."""
    tile = scene.density(view, style.color_by, CELL_PX)
    if tile is None:
        return
    c0, r0, c1, r1 = tile.source
    painter.save()
    painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
    painter.drawImage(QRectF(*tile.target), scene.qimage(tile.key, tile.image), QRectF(c0, r0, c1 - c0, r1 - r0))
    painter.restore()


def _draw_labels(painter: QPainter, scene: MapScene, view: View, style: Style, tr: Translator) -> None:
    """District names (and the rate in choropleth mode) with a white halo; the text layouts are
    cached (QStaticText), so a frame only places glyphs already shaped."""
    font = QFont(painter.font())
    font.setPointSizeF(9.5)
    font.setBold(True)
    painter.setFont(font)
    rates = style.rates if style.mode == "choropleth" else None
    for text, sx, sy in scene.labels_on_screen(view, tr.lang, rates):
        static = scene.static_text(text, font, tr.rtl)
        size = static.size()
        x, y = sx - size.width() / 2, sy - size.height() / 2
        painter.setPen(QColor(255, 255, 255, 235))
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            painter.drawStaticText(QPointF(x + dx, y + dy), static)
        painter.setPen(QColor("#1d2a36"))
        painter.drawStaticText(QPointF(x, y), static)


def legend_rows(scene: Scene, style: Style, tr: Translator, drawn: Drawn) -> tuple[str, list[tuple[str, str]]]:
    """The legend's title and its (label, colour) rows in the user's language."""
    if style.mode == "choropleth":
        return (tr(f"map.legend_rate_{style.measure}"),
                [*choropleth_classes(style.rates), (tr("map.no_data"), NO_DATA_COLOR)])
    _cat, palette = scene.categories(style.color_by)
    if style.color_by == "outcome":
        rows = [(tr.enum("outcome", code), color) for code, color in palette]
    else:
        rows = [(tr(f"map.group_{group}"), color) for group, color in palette]
    title = tr("map.legend_density") if drawn.density else tr("map.legend_points", n=grouped(drawn.visible))
    return title, rows


def _draw_legend(painter: QPainter, scene: MapScene, style: Style, tr: Translator, drawn: Drawn) -> None:
    title, rows = legend_rows(scene, style, tr, drawn)
    font = QFont(painter.font())
    font.setPointSizeF(9)
    font.setBold(False)
    painter.setFont(font)
    height = 24 + 18 * len(rows)
    width = 230
    left = 10  # top-left in both languages: the sea side of a coastal city, and free of labels
    box = QRectF(left, 10, width, height)
    painter.setPen(QPen(QColor("#9aa7b2"), 1))
    painter.setBrush(QColor(255, 255, 255, 225))
    painter.drawRoundedRect(box, 4, 4)
    # absolute: a right-to-left painter would mirror "right" back to the left (review finding 23)
    align = Qt.AlignAbsolute | (Qt.AlignRight if tr.rtl else Qt.AlignLeft) | Qt.AlignVCenter
    painter.setPen(QColor("#1d2a36"))
    painter.drawText(box.adjusted(8, 3, -8, -(height - 21)), align, title)
    for n, (label, color) in enumerate(rows):
        y = 10 + 24 + 18 * n
        swatch_x = left + width - 22 if tr.rtl else left + 8
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(color))
        painter.drawEllipse(QRectF(swatch_x, y + 3, 11, 11))
        painter.setPen(QColor("#1d2a36"))
        text_rect = QRectF(left + 8, y, width - 36, 17) if tr.rtl else QRectF(left + 26, y, width - 34, 17)
        painter.drawText(text_rect, align, label)


def _draw_scale(painter: QPainter, view: View, tr: Translator | None = None) -> None:
    painter.setLayoutDirection(Qt.LeftToRight)  # "2 km", "© OpenStreetMap": left to right
    length, px, label = scale_bar(view)
    if tr is not None and tr.rtl:  # the unit in the interface's language
        label = f"{length // 1000} كلم" if length >= 1000 else f"{length} م"
        painter.setLayoutDirection(Qt.RightToLeft)
    x, y = 14, view.height - 18
    painter.setPen(QPen(QColor("#1d2a36"), 2))
    painter.drawLine(QPointF(x, y), QPointF(x + px, y))
    painter.drawLine(QPointF(x, y - 5), QPointF(x, y))
    painter.drawLine(QPointF(x + px, y - 5), QPointF(x + px, y))
    painter.drawText(QRectF(x, y - 20, max(px, 60), 14), Qt.AlignAbsolute | Qt.AlignLeft | Qt.AlignVCenter, label)
    painter.setLayoutDirection(Qt.LeftToRight)
    painter.setPen(QColor("#51606f"))
    font = QFont(painter.font())
    font.setPointSizeF(7.5)
    painter.setFont(font)
    painter.drawText(QRectF(view.width - 330, view.height - 16, 320, 14), Qt.AlignRight | Qt.AlignVCenter,
                     "© OpenStreetMap contributors (ODbL) · HCP 2024")
