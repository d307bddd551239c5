"""Drawing the commune map with QPainter: districts, inspections, legend, scale.

Used by the map widget and by the headless ``commune-police map`` command, so the screen, the PNG
and the PDF show the same thing. Coordinates are metres of a local projection (y north); a
``View`` turns them into pixels. With many points in view they are binned into cells of a few
pixels coloured by their dominant category (drawn as one image); zoomed in, every point is drawn
and can be clicked.
"""
from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass, field

import numpy as np
import shapely
import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPainterPath, QPen, QPolygonF, QTransform
from shapely.geometry import shape

from desktop.i18n import Translator
from desktop.store.geo import PointSet
from maps.projection import LocalProjection

MAX_INDIVIDUAL = 25_000   # visible points drawn one by one below this
CELL_PX = 4               # density cell size
FIELD_GROUPS = ("hygiene", "public_domain", "urbanism")  # the rest is "other"
FIELD_COLORS = ("#1f77b4", "#ff7f0e", "#9467bd", "#7f7f7f")
OUTCOME_COLORS = {"compliant": "#2ca02c", "violations": "#d62728", "awareness": "#e6a700",
                  "closed": "#8c564b", "refused": "#222222"}
CHOROPLETH = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")


def polygon_from_arrays(x: np.ndarray, y: np.ndarray) -> QPolygonF:
    """A QPolygonF filled straight from numpy (no QPointF per point)."""
    n = len(x)
    poly = QPolygonF()
    poly.resize(n)
    if n:
        address = shiboken6.getCppPointer(poly.data())[0]
        buffer = np.frombuffer((ctypes.c_double * (2 * n)).from_address(address), dtype=np.float64)
        buffer[0::2] = x
        buffer[1::2] = y
    return poly


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
        self.points = points
        if points is None or not len(points):
            self.x = self.y = np.empty(0)
            self.field_group = self.outcome = np.empty(0, dtype=np.int8)
            self.outside = np.empty(0, dtype=bool)
            return
        self.x, self.y = self.projection.forward(points.lon, points.lat)
        group_of = np.array([FIELD_GROUPS.index(c) if c in FIELD_GROUPS else 3 for c in points.field_codes] + [3],
                            dtype=np.int8)
        self.field_group = group_of[points.field]  # -1 (unknown code) picks "other"
        self.outcome = points.outcome.astype(np.int8)
        self.outside = points.outside

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
    painter.save()
    painter.setTransform(view.transform())
    pen = QPen(QColor("#51606f"), 1.3)
    pen.setCosmetic(True)
    painter.setPen(pen)
    breaks = choropleth_breaks(style.rates) if style.mode == "choropleth" else []
    for d in scene.districts:
        if style.mode == "choropleth":
            painter.setBrush(_rate_color(style.rates.get(d.id), breaks))
        else:
            painter.setBrush(QColor("#ffffff"))
        painter.drawPath(d.path)
    painter.restore()


def _draw_points(painter: QPainter, scene: MapScene, view: View, style: Style, tr: Translator) -> Drawn:
    if not len(scene.x):
        return Drawn()
    x0, y0, x1, y1 = view.world_rect()
    pad = 6 / view.scale
    visible = np.flatnonzero((scene.x >= x0 - pad) & (scene.x <= x1 + pad) & (scene.y >= y0 - pad) & (scene.y <= y1 + pad))
    category, palette = scene.categories(style, tr)
    sx, sy = view.to_screen(scene.x[visible], scene.y[visible])
    if len(visible) > MAX_INDIVIDUAL:
        _draw_density(painter, view, sx, sy, category[visible], palette)
        return Drawn(density=True, visible=len(visible))
    cat = category[visible]
    outside = scene.outside[visible]
    halo = QPen(QColor(255, 255, 255, 230), 8.5, Qt.SolidLine, Qt.RoundCap)
    painter.setPen(halo)
    painter.drawPoints(polygon_from_arrays(sx, sy))
    for k, (_label, color) in enumerate(palette):
        sel = (cat == k) & ~outside
        if sel.any():
            painter.setPen(QPen(QColor(color), 6.5, Qt.SolidLine, Qt.RoundCap))
            painter.drawPoints(polygon_from_arrays(sx[sel], sy[sel]))
    if outside.any():  # outside every district: a ring, not a dot
        painter.setPen(QPen(QColor("#000000"), 1.5))
        painter.setBrush(Qt.NoBrush)
        for px, py in zip(sx[outside], sy[outside]):
            painter.drawEllipse(QPointF(px, py), 4, 4)
    return Drawn(sx, sy, visible, False, len(visible))


def _draw_density(painter: QPainter, view: View, sx, sy, cat, palette) -> None:
    cols, rows = view.width // CELL_PX + 1, view.height // CELL_PX + 1
    ix = np.clip((sx // CELL_PX).astype(np.int64), 0, cols - 1)
    iy = np.clip((sy // CELL_PX).astype(np.int64), 0, rows - 1)
    cell = iy * cols + ix
    per_cat = np.stack([np.bincount(cell[cat == k], minlength=rows * cols) for k in range(len(palette))])
    total = per_cat.sum(axis=0)
    dominant = per_cat.argmax(axis=0)
    rgb = np.array([[QColor(c).red(), QColor(c).green(), QColor(c).blue()] for _l, c in palette], dtype=np.uint8)
    image = np.zeros((rows * cols, 4), dtype=np.uint8)
    image[:, :3] = rgb[dominant]
    if total.max() > 0:
        alpha = 70 + 185 * np.log1p(total) / np.log1p(total.max())
        image[:, 3] = np.where(total > 0, alpha, 0).astype(np.uint8)
    qimage = QImage(image.tobytes(), cols, rows, cols * 4, QImage.Format_RGBA8888)
    painter.save()
    painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
    painter.drawImage(QRectF(0, 0, cols * CELL_PX, rows * CELL_PX), qimage)
    painter.restore()


def _draw_labels(painter: QPainter, scene: MapScene, view: View, style: Style, tr: Translator) -> None:
    font = QFont(painter.font())
    font.setPointSizeF(9.5)
    font.setBold(True)
    painter.setFont(font)
    for d in scene.districts:
        sx, sy = view.to_screen(*d.label)
        if not (0 <= sx <= view.width and 0 <= sy <= view.height):
            continue
        text = d.name_ar if tr.lang == "ar" else d.name_fr
        if style.mode == "choropleth" and d.id in style.rates and style.rates[d.id] is not None \
                and not math.isnan(style.rates[d.id]):
            text += f"\n{style.rates[d.id]:.1f}"
        rect = QRectF(float(sx) - 90, float(sy) - 20, 180, 40)
        painter.setPen(QColor(255, 255, 255, 235))
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            painter.drawText(rect.translated(dx, dy), Qt.AlignCenter, text)
        painter.setPen(QColor("#1d2a36"))
        painter.drawText(rect, Qt.AlignCenter, text)


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
