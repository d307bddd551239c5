"""Drawing the commune map with QPainter: districts, inspections, legend, scale.

Used by the map widget and by the headless ``commune-police map`` command, so the screen, the PNG
and the PDF show the same thing. Coordinates are metres of a local projection (y north); a
``View`` turns them into pixels. With many points in view they are binned into cells of a few
pixels coloured by their dominant category (drawn as one image); zoomed in, every point is drawn
and can be clicked.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF, QStaticText,
                           QTextOption, QTransform)
from shapely.geometry import shape

from desktop.i18n import Translator
from desktop.store.geo import PointSet
from maps.grid import DensityPyramid, PointIndex
from maps.projection import LocalProjection

MAX_INDIVIDUAL = 12_000   # visible points drawn one by one below this
MARKER_PX = 12            # marker sprite: a 9 px disc with a white ring
CELL_PX = 4               # density cell size
FIELD_GROUPS = ("hygiene", "public_domain", "urbanism")  # the rest is "other"
FIELD_COLORS = ("#1f77b4", "#ff7f0e", "#9467bd", "#7f7f7f")
OUTCOME_COLORS = {"compliant": "#2ca02c", "violations": "#d62728", "awareness": "#e6a700",
                  "closed": "#8c564b", "refused": "#222222"}
CHOROPLETH = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")


def polygon_from_arrays(x: np.ndarray, y: np.ndarray) -> QPolygonF:
    """A QPolygonF of a few thousand vertices at most (outlines); points go through drawPointsNp."""
    return QPolygonF([QPointF(a, b) for a, b in zip(np.asarray(x).tolist(), np.asarray(y).tolist())])


@dataclass
class MapDistrict:
    id: str
    name_ar: str
    name_fr: str
    population: int | None
    path: QPainterPath
    label: tuple[float, float]
    geometry: object  # shapely, projected


@dataclass
class View:
    cx: float
    cy: float
    scale: float  # pixels per metre
    width: int
    height: int

    def to_screen(self, x, y):
        return (np.asarray(x) - self.cx) * self.scale + self.width / 2, self.height / 2 - (np.asarray(y) - self.cy) * self.scale

    def to_world(self, sx: float, sy: float) -> tuple[float, float]:
        return (sx - self.width / 2) / self.scale + self.cx, (self.height / 2 - sy) / self.scale + self.cy

    def transform(self) -> QTransform:
        s = self.scale
        return QTransform(s, 0, 0, -s, self.width / 2 - self.cx * s, self.height / 2 + self.cy * s)

    def world_rect(self) -> tuple[float, float, float, float]:
        hw, hh = self.width / 2 / self.scale, self.height / 2 / self.scale
        return self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh


@dataclass
class Style:
    mode: str = "points"          # points | choropleth
    color_by: str = "field"       # field | outcome (points)
    measure: str = "inspections"  # inspections | violations (choropleth)
    rates: dict[str, float] = field(default_factory=dict)  # district id → per 1,000 inhabitants


class MapScene:
    """The districts and the inspections of a commune, projected once."""

    def __init__(self, districts: list[tuple[str, str, str, int | None, dict]], points: PointSet | None):
        geoms = [shape(d[4]) for d in districts]
        bounds = shapely.total_bounds(np.array(geoms, dtype=object)) if geoms else None
        if bounds is None and points is not None and len(points):
            bounds = (points.lon.min(), points.lat.min(), points.lon.max(), points.lat.max())
        self.projection = LocalProjection.around(tuple(bounds) if bounds is not None else (-7.6, 33.57, -7.6, 33.57))
        self.districts = [self._district(d, g) for d, g in zip(districts, geoms)]
        # Each boundary once (neighbours share theirs), simplified to the zoom on demand.
        self._boundaries = shapely.line_merge(shapely.union_all([d.geometry.boundary for d in self.districts])) \
            if self.districts else None
        self._outlines: dict[int, list[np.ndarray]] = {}
        self._qimages: dict = {}
        self._texts: dict = {}
        self.set_points(points)

    def _district(self, d, geom) -> MapDistrict:
        proj = shapely.transform(geom, lambda c: np.column_stack(self.projection.forward(c[:, 0], c[:, 1])))
        path = QPainterPath()
        path.setFillRule(Qt.OddEvenFill)
        for poly in getattr(proj, "geoms", [proj]):
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                path.addPolygon(polygon_from_arrays(xy[:, 0], xy[:, 1]))
        label = proj.point_on_surface()
        return MapDistrict(d[0], d[1], d[2], d[3], path, (label.x, label.y), proj)

    def set_points(self, points: PointSet | None) -> None:
        """Project the points and index them: stored bucket by bucket (see maps.grid), with a
        density pyramid per colouring, so that no frame has to look at every point."""
        if points is None or not len(points):
            self.points = points
            self.x = self.y = np.empty(0)
            self.field_group = self.outcome = np.empty(0, dtype=np.int8)
            self.outside = np.empty(0, dtype=bool)
            self.index = PointIndex(self.x, self.y)
            self.pyramid = DensityPyramid(self.x, self.y, {"field": (self.field_group, 4), "outcome": (self.outcome, 5)})
            return
        x, y = self.projection.forward(points.lon, points.lat)
        self.index = PointIndex(x, y)
        o = self.index.order
        self.points = PointSet(points.rowid[o], points.lon[o], points.lat[o], points.field[o], points.outcome[o],
                               points.outside[o], points.field_codes, points.outcome_codes)
        self.x, self.y = x[o], y[o]
        group_of = np.array([FIELD_GROUPS.index(c) if c in FIELD_GROUPS else 3 for c in points.field_codes] + [3],
                            dtype=np.int8)
        self.field_group = group_of[self.points.field]  # -1 (unknown code) picks "other"
        self.outcome = self.points.outcome.astype(np.int8)
        self.outside = self.points.outside
        self.pyramid = DensityPyramid(self.x, self.y, {"field": (self.field_group, len(FIELD_COLORS)),
                                                       "outcome": (self.outcome, len(OUTCOME_COLORS))})

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

    def outlines(self, scale: float) -> list[np.ndarray]:
        """District boundaries (world coordinates, one array per line) simplified to half a pixel
        at this zoom, cached per power of 2."""
        level = math.floor(math.log2(scale))
        if level not in self._outlines:
            lines = []
            if self._boundaries is not None:
                simple = shapely.simplify(self._boundaries, 0.5 / 2 ** (level + 1))
                lines = [np.asarray(line.coords) for line in getattr(simple, "geoms", [simple])]
            self._outlines[level] = [xy for xy in lines if len(xy) > 1]
        return self._outlines[level]

    def extent(self) -> tuple[float, float, float, float]:
        if self.districts:
            b = shapely.total_bounds(np.array([d.geometry for d in self.districts], dtype=object))
            return tuple(float(v) for v in b)
        if len(self.x):
            return float(self.x.min()), float(self.y.min()), float(self.x.max()), float(self.y.max())
        return -1000.0, -1000.0, 1000.0, 1000.0

    def fit(self, width: int, height: int, extent=None, margin: float = 0.05) -> View:
        x0, y0, x1, y1 = extent or self.extent()
        scale = min(width / max(x1 - x0, 1.0), height / max(y1 - y0, 1.0)) * (1 - 2 * margin)
        return View((x0 + x1) / 2, (y0 + y1) / 2, scale, width, height)

    def categories(self, style: Style, tr: Translator) -> tuple[np.ndarray, list[tuple[str, str]]]:
        """Category index per point and (label, colour) per category."""
        if style.color_by == "outcome":
            codes = self.points.outcome_codes if self.points is not None else list(OUTCOME_COLORS)
            return self.outcome, [(tr.enum("outcome", c), OUTCOME_COLORS[c]) for c in codes]
        labels = [tr(f"map.group_{g}") for g in (*FIELD_GROUPS, "other")]
        return self.field_group, list(zip(labels, FIELD_COLORS))


@dataclass
class Drawn:
    """What the last paint showed, for hit-testing: screen positions of individually drawn points."""
    sx: np.ndarray = field(default_factory=lambda: np.empty(0))
    sy: np.ndarray = field(default_factory=lambda: np.empty(0))
    index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    density: bool = False
    visible: int = 0


def render(painter: QPainter, scene: MapScene, view: View, style: Style, tr: Translator) -> Drawn:
    painter.setRenderHint(QPainter.Antialiasing, True)
    painter.setLayoutDirection(Qt.RightToLeft if tr.rtl else Qt.LeftToRight)
    painter.fillRect(QRectF(0, 0, view.width, view.height), QColor("#eef2f5"))
    _draw_districts(painter, scene, view, style)
    drawn = Drawn()
    if style.mode == "points":
        drawn = _draw_points(painter, scene, view, style, tr)
    _draw_labels(painter, scene, view, style, tr)
    _draw_legend(painter, scene, view, style, tr, drawn)
    _draw_scale(painter, view, tr)
    return drawn


def _rate_color(value: float | None, breaks: list[float]) -> QColor:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return QColor("#d9d9d9")
    k = sum(value > b for b in breaks)
    return QColor(CHOROPLETH[min(k, len(CHOROPLETH) - 1)])


def choropleth_breaks(rates: dict[str, float]) -> list[float]:
    values = sorted(v for v in rates.values() if v is not None and not math.isnan(v))
    if not values:
        return []
    return [float(np.quantile(values, q)) for q in (0.2, 0.4, 0.6, 0.8)]


def _draw_districts(painter: QPainter, scene: MapScene, view: View, style: Style) -> None:
    """Fills without antialiasing, then each boundary once, simplified to the zoom, as screen
    polylines: antialiased strokes through a transform are most of a frame's cost otherwise."""
    painter.save()
    painter.setTransform(view.transform())
    painter.setRenderHint(QPainter.Antialiasing, False)
    painter.setPen(Qt.NoPen)
    breaks = choropleth_breaks(style.rates) if style.mode == "choropleth" else []
    for d in scene.districts:
        painter.setBrush(_rate_color(style.rates.get(d.id), breaks) if style.mode == "choropleth" else QColor("#ffffff"))
        painter.drawPath(d.path)
    painter.restore()
    # One pixel wide: Qt draws antialiased 1 px lines on a fast path (8x faster than 1.3 px).
    painter.setPen(QPen(QColor("#3d4a57"), 1.0))
    x0, y0, x1, y1 = view.world_rect()
    for xy in scene.outlines(view.scale):
        lx, ly = xy[:, 0], xy[:, 1]
        if lx.max() < x0 or lx.min() > x1 or ly.max() < y0 or ly.min() > y1:
            continue
        sx, sy = view.to_screen(lx, ly)
        painter.drawPolyline(polygon_from_arrays(sx, sy))


def _draw_points(painter: QPainter, scene: MapScene, view: View, style: Style, tr: Translator) -> Drawn:
    if not len(scene.x):
        return Drawn()
    pad = 6 / view.scale
    x0, y0, x1, y1 = view.world_rect()
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    category, palette = scene.categories(style, tr)
    estimate = scene.index.estimate(x0, y0, x1, y1)
    if estimate > 4 * MAX_INDIVIDUAL:  # clearly too many: no need to look at the points at all
        _draw_density(painter, scene, view, style, palette)
        return Drawn(density=True, visible=estimate)
    candidates = scene.index.candidates(x0, y0, x1, y1)
    cx, cy = scene.x[candidates], scene.y[candidates]
    visible = candidates[(cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)]
    if len(visible) > MAX_INDIVIDUAL:
        _draw_density(painter, scene, view, style, palette)
        return Drawn(density=True, visible=len(visible))
    sx, sy = view.to_screen(scene.x[visible], scene.y[visible])
    cat = np.where(scene.outside[visible], len(palette), category[visible])  # outside: its own marker
    half = MARKER_PX / 2
    for k in np.unique(cat):
        sprite = _marker(palette[k][1] if k < len(palette) else None)
        sel = cat == k
        # Whole-pixel positions: the (x, y, image) overload is three times faster than QPointF.
        xs = np.rint(sx[sel] - half).astype(np.int64).tolist()
        ys = np.rint(sy[sel] - half).astype(np.int64).tolist()
        for px, py in zip(xs, ys):
            painter.drawImage(px, py, sprite)
    return Drawn(sx, sy, visible, False, len(visible))


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


def _draw_density(painter: QPainter, scene: MapScene, view: View, style: Style, palette) -> None:
    """The density pyramid's level closest to CELL_PX screen pixels per cell, the part in view."""
    pyramid = scene.pyramid
    name = "outcome" if style.color_by == "outcome" else "field"
    level = pyramid.level_for(CELL_PX / view.scale, name)
    colors = np.array([[QColor(c).red(), QColor(c).green(), QColor(c).blue()] for _l, c in palette], dtype=np.uint8)
    image = pyramid.rgba(name, level, colors)
    rows, cols = image.shape[:2]
    qimage = scene.qimage((name, level, colors.tobytes()), image)
    cell = pyramid.cell_m(level)
    top = pyramid.y0 + rows * cell  # image row 0 is the northern edge
    vx0, vy0, vx1, vy1 = view.world_rect()
    c0, c1 = max(0.0, (vx0 - pyramid.x0) / cell), min(float(cols), (vx1 - pyramid.x0) / cell)
    r0, r1 = max(0.0, (top - vy1) / cell), min(float(rows), (top - vy0) / cell)
    if c0 >= c1 or r0 >= r1:
        return
    c0, r0, c1, r1 = math.floor(c0), math.floor(r0), math.ceil(c1), math.ceil(r1)
    sx0, sy0 = view.to_screen(pyramid.x0 + c0 * cell, top - r0 * cell)
    sx1, sy1 = view.to_screen(pyramid.x0 + c1 * cell, top - r1 * cell)
    painter.save()
    painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
    painter.drawImage(QRectF(float(sx0), float(sy0), float(sx1 - sx0), float(sy1 - sy0)), qimage,
                      QRectF(c0, r0, c1 - c0, r1 - r0))
    painter.restore()


def _draw_labels(painter: QPainter, scene: MapScene, view: View, style: Style, tr: Translator) -> None:
    """District names (and the rate in choropleth mode) with a white halo; the text layouts are
    cached (QStaticText), so a frame only places glyphs already shaped."""
    font = QFont(painter.font())
    font.setPointSizeF(9.5)
    font.setBold(True)
    painter.setFont(font)
    for d in scene.districts:
        sx, sy = view.to_screen(*d.label)
        if not (0 <= sx <= view.width and 0 <= sy <= view.height):
            continue
        text = d.name_ar if tr.lang == "ar" else d.name_fr
        rate = style.rates.get(d.id) if style.mode == "choropleth" else None
        if rate is not None and not math.isnan(rate):
            text += f"\n{rate:.1f}"
        static = scene.static_text(text, font, tr.rtl)
        size = static.size()
        x, y = float(sx) - size.width() / 2, float(sy) - size.height() / 2
        painter.setPen(QColor(255, 255, 255, 235))
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            painter.drawStaticText(QPointF(x + dx, y + dy), static)
        painter.setPen(QColor("#1d2a36"))
        painter.drawStaticText(QPointF(x, y), static)


def _legend_rows(scene: MapScene, style: Style, tr: Translator, drawn: Drawn) -> tuple[str, list[tuple[str, str]]]:
    if style.mode == "choropleth":
        breaks = choropleth_breaks(style.rates)
        edges = [0.0, *breaks]
        rows = [(f"≥ {edges[i]:.1f}" if i == len(edges) - 1 else f"{edges[i]:.1f} – {edges[i + 1]:.1f}", CHOROPLETH[i])
                for i in range(len(edges))] if breaks else []
        rows.append((tr("map.no_data"), "#d9d9d9"))
        return tr(f"map.legend_rate_{style.measure}"), rows
    _cat, palette = scene.categories(style, tr)
    title = tr("map.legend_density") if drawn.density else tr("map.legend_points", n=f"{drawn.visible:,}".replace(",", " "))
    return title, palette


def _draw_legend(painter: QPainter, scene: MapScene, view: View, style: Style, tr: Translator, drawn: Drawn) -> None:
    title, rows = _legend_rows(scene, style, tr, drawn)
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
    align = (Qt.AlignRight if tr.rtl else Qt.AlignLeft) | Qt.AlignVCenter
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


def _draw_scale(painter: QPainter, view: View, tr: Translator) -> None:
    painter.setLayoutDirection(Qt.LeftToRight)  # "2 km", "© OpenStreetMap": left to right
    target_m = 110 / view.scale
    nice = [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
    length = max([n for n in nice if n <= target_m] or [nice[0]])
    px = length * view.scale
    x, y = 14, view.height - 18
    painter.setPen(QPen(QColor("#1d2a36"), 2))
    painter.drawLine(QPointF(x, y), QPointF(x + px, y))
    painter.drawLine(QPointF(x, y - 5), QPointF(x, y))
    painter.drawLine(QPointF(x + px, y - 5), QPointF(x + px, y))
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    painter.drawText(QRectF(x, y - 20, max(px, 60), 14), Qt.AlignLeft | Qt.AlignVCenter, label)
    painter.setPen(QColor("#51606f"))
    font = QFont(painter.font())
    font.setPointSizeF(7.5)
    painter.setFont(font)
    painter.drawText(QRectF(view.width - 330, view.height - 16, 320, 14), Qt.AlignRight | Qt.AlignVCenter,
                     "© OpenStreetMap contributors (ODbL) · HCP 2024")
