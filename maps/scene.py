"""The commune map without a painter: the view, the projected districts and points, and what a
frame shows (which points one by one, which density cells, which labels, the rate classes, the
scale bar).

``desktop/ui/map_render.py`` paints this with QPainter, for the screen, the PNG and the PDF alike.
Everything here takes plain inputs (district rows, a ``PointSet``, numbers) and returns numbers,
arrays and strings, so it is tested without Qt. Coordinates are metres of a ``LocalProjection``
(x east, y north); a ``View`` turns them into pixels (y down).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import shapely
from shapely.geometry import shape

from maps.grid import DensityPyramid, PointIndex
from maps.points import PointSet
from maps.projection import LocalProjection

FIELD_GROUPS = ("hygiene", "public_domain", "urbanism")  # the rest is "other"
FIELD_COLORS = ("#1f77b4", "#ff7f0e", "#9467bd", "#7f7f7f")
OUTCOME_COLORS = {"compliant": "#2ca02c", "violations": "#d62728", "awareness": "#e6a700",
                  "closed": "#8c564b", "refused": "#222222"}
CHOROPLETH = ("#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026")
NO_DATA_COLOR = "#d9d9d9"
SCALE_STEPS_M = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
MIN_SCALE, MAX_SCALE = 1e-4, 20.0  # pixels per metre: a country .. a doorway
DEFAULT_BOUNDS = (-7.6, 33.57, -7.6, 33.57)  # Casablanca, for a commune with no district and no point

# A district as the store gives it: id, Arabic name, French name, population, GeoJSON geometry.
DistrictRow = tuple[str, str, str, int | None, dict]


@dataclass
class View:
    """A window on the map: its centre (metres), scale (pixels per metre) and size (pixels)."""
    cx: float
    cy: float
    scale: float
    width: int
    height: int

    @classmethod
    def fit(cls, extent: tuple[float, float, float, float], width: int, height: int,
            margin: float = 0.05) -> "View":
        """The view centred on ``extent`` (x0, y0, x1, y1) showing all of it, with ``margin`` (a
        fraction of the size) free on the tighter side; an extent under a metre counts as a metre."""
        x0, y0, x1, y1 = extent
        scale = min(width / max(x1 - x0, 1.0), height / max(y1 - y0, 1.0)) * (1 - 2 * margin)
        return cls((x0 + x1) / 2, (y0 + y1) / 2, scale, width, height)

    def to_screen(self, x, y):
        """World metres (scalars or arrays) to pixels, y down."""
        return ((np.asarray(x) - self.cx) * self.scale + self.width / 2,
                self.height / 2 - (np.asarray(y) - self.cy) * self.scale)

    def to_world(self, sx, sy):
        """Pixels (scalars or arrays) to world metres: the inverse of ``to_screen``."""
        return (sx - self.width / 2) / self.scale + self.cx, (self.height / 2 - sy) / self.scale + self.cy

    def world_rect(self) -> tuple[float, float, float, float]:
        """The world rectangle in view: x0, y0, x1, y1."""
        hw, hh = self.width / 2 / self.scale, self.height / 2 / self.scale
        return self.cx - hw, self.cy - hh, self.cx + hw, self.cy + hh

    def affine(self) -> tuple[float, float, float, float, float, float]:
        """``to_screen`` as (m11, m12, m21, m22, dx, dy), the arguments of a QTransform."""
        s = self.scale
        return s, 0.0, 0.0, -s, self.width / 2 - self.cx * s, self.height / 2 + self.cy * s

    def resized(self, width: int, height: int) -> "View":
        """The same centre and scale in a window of another size."""
        return View(self.cx, self.cy, self.scale, width, height)

    def panned(self, dx_px: float, dy_px: float) -> "View":
        """The view after dragging the map by (dx, dy) pixels: the content follows the pointer."""
        return View(self.cx - dx_px / self.scale, self.cy + dy_px / self.scale, self.scale, self.width, self.height)

    def zoomed(self, factor: float, anchor: tuple[float, float] | None = None) -> "View":
        """The scale times ``factor`` (kept within MIN_SCALE..MAX_SCALE), the world point under
        ``anchor`` (pixels; the centre by default) staying under it."""
        ax, ay = anchor if anchor is not None else (self.width / 2, self.height / 2)
        wx, wy = self.to_world(ax, ay)
        scale = min(max(self.scale * factor, MIN_SCALE), MAX_SCALE)
        return View(wx - (ax - self.width / 2) / scale, wy + (ay - self.height / 2) / scale, scale,
                    self.width, self.height)


@dataclass
class Style:
    mode: str = "points"          # points | choropleth
    color_by: str = "field"       # field | outcome (points)
    measure: str = "inspections"  # inspections | violations (choropleth)
    rates: dict[str, float] = field(default_factory=dict)  # district id → per 1,000 inhabitants


@dataclass
class District:
    id: str
    name_ar: str
    name_fr: str
    population: int | None
    label: tuple[float, float]  # a point inside the district, projected
    geometry: Any               # shapely (Multi)Polygon, projected


@dataclass
class Drawn:
    """The points of a frame: screen positions of those drawn one by one (for hit-testing), or
    ``density`` when there were too many, and how many were in view (an upper bound when the
    density was chosen without counting them)."""
    sx: np.ndarray = field(default_factory=lambda: np.empty(0))
    sy: np.ndarray = field(default_factory=lambda: np.empty(0))
    index: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    density: bool = False
    visible: int = 0

    def nearest(self, x: float, y: float, radius: float) -> int | None:
        """Index (into the scene's points) of the drawn point nearest to (x, y) pixels, if it is
        within ``radius``; nothing under a density image."""
        if self.density or not len(self.index):
            return None
        d2 = (self.sx - x) ** 2 + (self.sy - y) ** 2
        k = int(np.argmin(d2))
        return int(self.index[k]) if d2[k] <= radius ** 2 else None


@dataclass(frozen=True)
class DensityTile:
    """The part of a density image in view and where it goes on screen."""
    key: tuple                                 # identifies ``image`` (for a cache of converted images)
    image: np.ndarray                          # rows x cols x RGBA, row 0 northern
    source: tuple[int, int, int, int]          # c0, r0, c1, r1: the cells in view, in image pixels
    target: tuple[float, float, float, float]  # x, y, width, height on screen


def _known(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def hex_rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' to (r, g, b)."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def choropleth_breaks(rates: Mapping[str, float | None]) -> list[float]:
    """Upper bounds of the rate classes but the last (a rate r is in the first class whose bound
    is >= r): the quintiles of the known rates (None, NaN and infinities are "no data"), keeping
    only the breaks that leave no class empty. Fewer distinct rates than five classes give fewer
    classes; equal rates, one class (no breaks); no rates, no breaks."""
    values = np.sort(np.array([v for v in rates.values() if _known(v)], dtype=float))
    if not len(values):
        return []
    breaks: list[float] = []
    for b in np.quantile(values, [k / len(CHOROPLETH) for k in range(1, len(CHOROPLETH))]):
        lower = breaks[-1] if breaks else -math.inf
        if ((values > lower) & (values <= b)).any():
            breaks.append(float(b))
    while breaks and not (values > breaks[-1]).any():
        breaks.pop()
    return breaks


def rate_color(value: float | None, breaks: Sequence[float]) -> str:
    """The colour of a district's rate: its class's, or NO_DATA_COLOR."""
    if not _known(value):
        return NO_DATA_COLOR
    assert value is not None  # _known
    k = sum(value > b for b in breaks)
    return CHOROPLETH[min(k, len(CHOROPLETH) - 1)]


def choropleth_classes(rates: Mapping[str, float | None]) -> list[tuple[str, str]]:
    """(range, colour) per rate class, for the legend; none without a known rate."""
    if not any(_known(v) for v in rates.values()):
        return []
    edges = [0.0, *choropleth_breaks(rates)]
    return [(f"≥ {lo:.1f}" if i == len(edges) - 1 else f"{lo:.1f} – {edges[i + 1]:.1f}", CHOROPLETH[i])
            for i, lo in enumerate(edges)]


def scale_bar(view: View, target_px: float = 110.0) -> tuple[int, float, str]:
    """The longest round length at most ``target_px`` long on screen (the shortest one if none
    is): (metres, pixels, label)."""
    target_m = target_px / view.scale
    length = max([n for n in SCALE_STEPS_M if n <= target_m] or [SCALE_STEPS_M[0]])
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    return length, length * view.scale, label


class Scene:
    """The districts and the inspections of a commune, projected once, with the indexes that keep
    every frame from looking at every point."""

    def __init__(self, districts: Sequence[DistrictRow], points: PointSet | None):
        geoms = [shape(d[4]) for d in districts]
        bounds = shapely.total_bounds(np.array(geoms, dtype=object)) if geoms else None
        if bounds is None and points is not None and len(points):
            bounds = (points.lon.min(), points.lat.min(), points.lon.max(), points.lat.max())
        self.projection = LocalProjection.around(tuple(bounds) if bounds is not None else DEFAULT_BOUNDS)
        self.districts = [self._district(d, g) for d, g in zip(districts, geoms)]
        # Each boundary once (neighbours share theirs), simplified to the zoom on demand.
        self._boundaries = shapely.line_merge(shapely.union_all([d.geometry.boundary for d in self.districts])) \
            if self.districts else None
        self._outlines: dict[int, list[np.ndarray]] = {}
        self.set_points(points)

    def _district(self, d: DistrictRow, geom) -> District:
        proj = shapely.transform(geom, lambda c: np.column_stack(self.projection.forward(c[:, 0], c[:, 1])))
        label = proj.point_on_surface()
        return District(d[0], d[1], d[2], d[3], (label.x, label.y), proj)

    def set_points(self, points: PointSet | None) -> None:
        """Project the points and index them: stored bucket by bucket (see maps.grid), with a
        density pyramid per colouring, so that no frame has to look at every point."""
        if points is None or not len(points):
            self.points = points
            self.x = self.y = np.empty(0)
            self.field_group = self.outcome = np.empty(0, dtype=np.int8)
            self.outside = np.empty(0, dtype=bool)
            self.index = PointIndex(self.x, self.y)
            self.pyramid = DensityPyramid(self.x, self.y, {"field": (self.field_group, len(FIELD_COLORS)),
                                                           "outcome": (self.outcome, len(OUTCOME_COLORS))})
            return
        x, y = self.projection.forward(points.lon, points.lat)
        self.index = PointIndex(x, y)
        o = self.index.order
        self.points = points.take(o)
        self.x, self.y = x[o], y[o]
        group_of = np.array([FIELD_GROUPS.index(c) if c in FIELD_GROUPS else 3 for c in points.field_codes] + [3],
                            dtype=np.int8)
        self.field_group = group_of[self.points.field]  # -1 (unknown code) picks "other"
        self.outcome = self.points.outcome.astype(np.int8)
        self.outside = self.points.outside
        self.pyramid = DensityPyramid(self.x, self.y, {"field": (self.field_group, len(FIELD_COLORS)),
                                                       "outcome": (self.outcome, len(OUTCOME_COLORS))})

    def extent(self) -> tuple[float, float, float, float]:
        """The districts' bounds, else the points', else 2 km around the centre."""
        if self.districts:
            b = shapely.total_bounds(np.array([d.geometry for d in self.districts], dtype=object))
            return float(b[0]), float(b[1]), float(b[2]), float(b[3])
        if len(self.x):
            return float(self.x.min()), float(self.y.min()), float(self.x.max()), float(self.y.max())
        return -1000.0, -1000.0, 1000.0, 1000.0

    def fit(self, width: int, height: int, extent: tuple[float, float, float, float] | None = None,
            margin: float = 0.05) -> View:
        return View.fit(extent or self.extent(), width, height, margin)

    def categories(self, color_by: str) -> tuple[np.ndarray, list[tuple[str, str]]]:
        """Category index per point, and (code, colour) per category: the outcome codes for
        ``color_by == "outcome"``, else the field groups (FIELD_GROUPS, then "other")."""
        if color_by == "outcome":
            codes = self.points.outcome_codes if self.points is not None else list(OUTCOME_COLORS)
            return self.outcome, [(c, OUTCOME_COLORS[c]) for c in codes]
        return self.field_group, list(zip((*FIELD_GROUPS, "other"), FIELD_COLORS))

    def visible(self, view: View, limit: int, pad_px: float = 6.0) -> Drawn:
        """The points within ``pad_px`` of the view (a marker may show in part) with their screen
        positions, or a density verdict when there are more than ``limit``."""
        if not len(self.x):
            return Drawn()
        pad = pad_px / view.scale
        x0, y0, x1, y1 = view.world_rect()
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        estimate = self.index.estimate(x0, y0, x1, y1)
        if estimate > 4 * limit:  # clearly too many: no need to look at the points at all
            return Drawn(density=True, visible=estimate)
        candidates = self.index.candidates(x0, y0, x1, y1)
        cx, cy = self.x[candidates], self.y[candidates]
        visible = candidates[(cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)]
        if len(visible) > limit:
            return Drawn(density=True, visible=len(visible))
        sx, sy = view.to_screen(self.x[visible], self.y[visible])
        return Drawn(sx, sy, visible, False, len(visible))

    def density(self, view: View, color_by: str, cell_px: float) -> DensityTile | None:
        """The density pyramid's level closest to ``cell_px`` pixels per cell, cut to the view
        (whole cells); None when no cell is in view."""
        pyramid = self.pyramid
        name = "outcome" if color_by == "outcome" else "field"
        level = pyramid.level_for(cell_px / view.scale, name)
        colors = np.array([hex_rgb(c) for _code, c in self.categories(name)[1]], dtype=np.uint8)
        image = pyramid.rgba(name, level, colors)
        rows, cols = image.shape[:2]
        cell = pyramid.cell_m(level)
        top = pyramid.y0 + rows * cell  # image row 0 is the northern edge
        vx0, vy0, vx1, vy1 = view.world_rect()
        c0, c1 = max(0.0, (vx0 - pyramid.x0) / cell), min(float(cols), (vx1 - pyramid.x0) / cell)
        r0, r1 = max(0.0, (top - vy1) / cell), min(float(rows), (top - vy0) / cell)
        if c0 >= c1 or r0 >= r1:
            return None
        c0, r0, c1, r1 = math.floor(c0), math.floor(r0), math.ceil(c1), math.ceil(r1)
        sx0, sy0 = view.to_screen(pyramid.x0 + c0 * cell, top - r0 * cell)
        sx1, sy1 = view.to_screen(pyramid.x0 + c1 * cell, top - r1 * cell)
        return DensityTile((name, level, colors.tobytes()), image, (c0, r0, c1, r1),
                           (float(sx0), float(sy0), float(sx1 - sx0), float(sy1 - sy0)))

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

    def outlines_on_screen(self, view: View) -> list[tuple[np.ndarray, np.ndarray]]:
        """The boundary lines whose bounding box meets the view, in pixels (x array, y array)."""
        x0, y0, x1, y1 = view.world_rect()
        lines = []
        for xy in self.outlines(view.scale):
            lx, ly = xy[:, 0], xy[:, 1]
            if lx.max() < x0 or lx.min() > x1 or ly.max() < y0 or ly.min() > y1:
                continue
            lines.append(view.to_screen(lx, ly))
        return lines

    def labels_on_screen(self, view: View, lang: str,
                         rates: Mapping[str, float | None] | None = None) -> list[tuple[str, float, float]]:
        """(text, x, y) of each district whose label point is in view: its name in ``lang``
        ("ar" or another), and its rate on a second line when ``rates`` has one."""
        labels = []
        for d in self.districts:
            sx, sy = view.to_screen(*d.label)
            if not (0 <= sx <= view.width and 0 <= sy <= view.height):
                continue
            text = d.name_ar if lang == "ar" else d.name_fr
            rate = rates.get(d.id) if rates is not None else None
            if _known(rate):
                text += f"\n{rate:.1f}"
            labels.append((text, float(sx), float(sy)))
        return labels

    def rowids_in(self, ring: Sequence[tuple[float, float]]) -> np.ndarray:
        """Rowids of every point inside a polygon given in world metres (all points, not only
        drawn ones); none for fewer than three vertices."""
        if len(ring) < 3 or self.points is None:
            return np.empty(0, dtype=np.int64)
        polygon = shapely.Polygon(ring)
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
        x0, y0, x1, y1 = polygon.bounds
        box = np.flatnonzero((self.x >= x0) & (self.x <= x1) & (self.y >= y0) & (self.y <= y1))
        inside = box[shapely.contains_xy(polygon, self.x[box], self.y[box])]
        return self.points.rowid[inside]
