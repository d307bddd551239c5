"""The map scene without Qt: the view's arithmetic, which points a frame shows, the density tile,
labels, rate classes, categories and the scale bar, each checked against a direct computation."""
import subprocess
import sys

import numpy as np
import pytest
import shapely

from maps.points import PointSet
from maps.scene import (CHOROPLETH, FIELD_COLORS, MAX_SCALE, MIN_SCALE, NO_DATA_COLOR, OUTCOME_COLORS, Drawn,
                        Scene, View, choropleth_breaks, choropleth_classes, hex_rgb, rate_color, scale_bar)

OUTCOMES = ["compliant", "violations", "awareness", "closed", "refused"]


def polygon(x0, y0, x1, y1, hole=None) -> dict:
    rings = [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]
    if hole:
        hx0, hy0, hx1, hy1 = hole
        rings.append([[hx0, hy0], [hx0, hy1], [hx1, hy1], [hx1, hy0], [hx0, hy0]])
    return {"type": "Polygon", "coordinates": rings}


DISTRICTS = [("w", "الغرب", "Ouest", 100_000, polygon(-7.70, 33.52, -7.62, 33.62)),
             ("e", "الشرق", "Est", None, polygon(-7.62, 33.52, -7.54, 33.62, hole=(-7.60, 33.56, -7.58, 33.58)))]


def random_points(n: int, seed: int = 5) -> PointSet:
    rng = np.random.default_rng(seed)
    return PointSet(rowid=np.arange(100, 100 + n, dtype=np.int64),
                    lon=rng.uniform(-7.72, -7.52, n), lat=rng.uniform(33.50, 33.64, n),
                    field=rng.integers(-1, 4, n).astype(np.int16), outcome=rng.integers(0, 5, n).astype(np.int16),
                    outside=rng.random(n) < 0.1,
                    field_codes=["hygiene", "markets", "urbanism", "public_domain"], outcome_codes=list(OUTCOMES))


@pytest.fixture(scope="module")
def points():
    return random_points(5000)


@pytest.fixture(scope="module")
def scene(points):
    return Scene(DISTRICTS, points)


def test_importing_the_scene_loads_no_qt():
    code = "import sys, maps.scene; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# -- View --------------------------------------------------------------------------------------

def test_view_world_and_screen_are_inverse_and_y_points_down():
    view = View(cx=1200.0, cy=-300.0, scale=0.37, width=800, height=600)
    assert view.to_screen(1200.0, -300.0) == (400.0, 300.0)  # the centre in the middle
    sx, sy = view.to_screen(1200.0 + 100, -300.0 + 100)
    assert sx == pytest.approx(400 + 37) and sy == pytest.approx(300 - 37)  # north is up
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-5e4, 5e4, 100), rng.uniform(-5e4, 5e4, 100)
    bx, by = view.to_world(*view.to_screen(x, y))
    assert np.allclose(bx, x) and np.allclose(by, y)


def test_view_world_rect_is_the_window_and_affine_is_to_screen():
    view = View(cx=50.0, cy=20.0, scale=2.0, width=400, height=300)
    x0, y0, x1, y1 = view.world_rect()
    assert view.to_screen(x0, y1) == pytest.approx((0, 0)) and view.to_screen(x1, y0) == pytest.approx((400, 300))
    m11, m12, m21, m22, dx, dy = view.affine()
    for x, y in ((0.0, 0.0), (123.0, -45.0), (x1, y0)):
        sx, sy = view.to_screen(x, y)
        assert (m11 * x + m21 * y + dx, m12 * x + m22 * y + dy) == pytest.approx((float(sx), float(sy)))


def test_zoom_keeps_the_point_under_the_anchor():
    view = View(cx=0.0, cy=0.0, scale=0.5, width=1000, height=700)
    anchor = (830.0, 95.0)
    before = view.to_world(*anchor)
    zoomed = view.zoomed(1.25, anchor)
    assert zoomed.scale == pytest.approx(0.625)
    assert zoomed.to_world(*anchor) == pytest.approx(before)
    back = zoomed.zoomed(1 / 1.25, anchor)
    assert (back.cx, back.cy, back.scale) == pytest.approx((view.cx, view.cy, view.scale))
    centred = view.zoomed(2.0)
    assert (centred.cx, centred.cy, centred.scale) == pytest.approx((0.0, 0.0, 1.0))


def test_zoom_is_clamped_and_still_anchored():
    view = View(cx=10.0, cy=10.0, scale=10.0, width=300, height=300)
    anchor = (20.0, 280.0)
    near = view.zoomed(100.0, anchor)
    assert near.scale == MAX_SCALE and near.to_world(*anchor) == pytest.approx(view.to_world(*anchor))
    far = view.zoomed(1e-9, anchor)
    assert far.scale == MIN_SCALE and far.to_world(*anchor) == pytest.approx(view.to_world(*anchor))


def test_pan_moves_the_content_with_the_pointer_and_resize_keeps_centre_and_scale():
    view = View(cx=100.0, cy=200.0, scale=0.8, width=640, height=480)
    world = view.to_world(100.0, 100.0)
    panned = view.panned(30.0, -12.0)
    assert panned.to_screen(*world) == pytest.approx((130.0, 88.0))
    bigger = view.resized(1280, 960)
    assert (bigger.cx, bigger.cy, bigger.scale, bigger.width, bigger.height) == (100.0, 200.0, 0.8, 1280, 960)


def test_fit_shows_the_extent_with_the_margin_on_the_tighter_side():
    extent = (-3000.0, -500.0, 5000.0, 1500.0)  # 8 km x 2 km: width is the tighter side
    view = View.fit(extent, 1000, 700, margin=0.05)
    assert (view.cx, view.cy) == (1000.0, 500.0)
    assert view.scale == pytest.approx(1000 * 0.9 / 8000)
    x0, y0, x1, y1 = view.world_rect()
    assert x0 < extent[0] and y0 < extent[1] and extent[2] < x1 and extent[3] < y1
    sx0, _ = view.to_screen(extent[0], 0)
    assert sx0 == pytest.approx(50.0)  # 5 % of 1000 px left free
    point = View.fit((7.0, 7.0, 7.0, 7.0), 400, 300, margin=0.0)  # a single point: a metre across
    assert (point.cx, point.cy, point.scale) == (7.0, 7.0, 300.0)


# -- Scene: projection, points, what a frame shows ------------------------------------------------

def test_scene_projects_around_the_districts_and_keeps_every_point(scene, points):
    assert scene.projection.lon0 == pytest.approx(-7.62) and scene.projection.lat0 == pytest.approx(33.57)
    assert sorted(scene.points.rowid.tolist()) == points.rowid.tolist()
    x, y = scene.projection.forward(scene.points.lon, scene.points.lat)
    assert np.array_equal(x, scene.x) and np.array_equal(y, scene.y)
    original = {int(r): k for k, r in enumerate(points.rowid)}
    k = np.array([original[int(r)] for r in scene.points.rowid])
    assert np.array_equal(scene.outside, points.outside[k]) and np.array_equal(scene.outcome, points.outcome[k])
    x0, y0, x1, y1 = scene.extent()
    ex0, ey0 = scene.projection.forward(-7.70, 33.52)
    ex1, ey1 = scene.projection.forward(-7.54, 33.62)
    assert (x0, y0, x1, y1) == pytest.approx((ex0, ey0, ex1, ey1))
    assert [d.name_fr for d in scene.districts] == ["Ouest", "Est"]
    hole = shapely.box(*scene.projection.forward(-7.60, 33.56), *scene.projection.forward(-7.58, 33.58))
    assert not scene.districts[1].geometry.contains(hole.centroid)  # the hole stays a hole
    assert all(d.geometry.contains(shapely.Point(d.label)) for d in scene.districts)


def test_scene_without_districts_or_points():
    only_points = Scene([], random_points(50))
    x0, y0, x1, y1 = only_points.extent()
    assert (x0, y0, x1, y1) == pytest.approx((only_points.x.min(), only_points.y.min(),
                                              only_points.x.max(), only_points.y.max()))
    empty = Scene([], None)
    assert empty.extent() == (-1000.0, -1000.0, 1000.0, 1000.0) and len(empty.x) == 0
    view = empty.fit(400, 300)
    drawn = empty.visible(view, limit=10)
    assert not drawn.density and drawn.visible == 0 and len(drawn.index) == 0
    assert empty.rowids_in([(-10, -10), (10, -10), (10, 10)]).size == 0
    assert empty.categories("outcome")[1] == list(OUTCOME_COLORS.items())


def inside_padded(scene, view, pad_px):
    pad = pad_px / view.scale
    x0, y0, x1, y1 = view.world_rect()
    return set(np.flatnonzero((scene.x >= x0 - pad) & (scene.x <= x1 + pad)
                              & (scene.y >= y0 - pad) & (scene.y <= y1 + pad)).tolist())


def test_visible_points_match_a_brute_force_count(scene):
    whole = scene.fit(1000, 700)
    rng = np.random.default_rng(9)
    for _ in range(25):
        view = View(whole.cx + rng.uniform(-4000, 4000), whole.cy + rng.uniform(-4000, 4000),
                    whole.scale * rng.uniform(1, 30), 1000, 700)
        drawn = scene.visible(view, limit=len(scene.x), pad_px=6.0)
        expected = inside_padded(scene, view, 6.0)
        assert not drawn.density and set(drawn.index.tolist()) == expected and drawn.visible == len(expected)
        sx, sy = view.to_screen(scene.x[drawn.index], scene.y[drawn.index])
        assert np.array_equal(sx, drawn.sx) and np.array_equal(sy, drawn.sy)


def test_too_many_points_give_density_with_an_upper_bound(scene):
    view = scene.fit(1000, 700)
    count = len(inside_padded(scene, view, 6.0))
    just_over = scene.visible(view, limit=count - 1)  # counted exactly
    assert just_over.density and just_over.visible == count and len(just_over.index) == 0
    far_over = scene.visible(view, limit=count // 10)  # decided from the buckets alone
    assert far_over.density and far_over.visible >= count
    assert not scene.visible(view, limit=count).density


def test_nearest_drawn_point():
    drawn = Drawn(np.array([10.0, 50.0, 52.0]), np.array([10.0, 50.0, 58.0]), np.array([7, 8, 9]), False, 3)
    assert drawn.nearest(11, 9, radius=7) == 7
    assert drawn.nearest(51, 55, radius=7) == 9
    assert drawn.nearest(30, 30, radius=7) is None
    assert Drawn(density=True, visible=10**6).nearest(10, 10, radius=7) is None


def test_density_tile_covers_the_view_and_shows_the_occupied_cells(scene):
    whole = scene.fit(1000, 700, (scene.x.min(), scene.y.min(), scene.x.max(), scene.y.max()))  # every point
    tile = scene.density(whole, "field", cell_px=4)
    name, level, _colors = tile.key
    cell = scene.pyramid.cell_m(level)
    assert name == "field" and cell >= 4 / whole.scale and (level == 0 or cell / 2 < 4 / whole.scale)
    c0, r0, c1, r1 = tile.source
    rows, cols = tile.image.shape[:2]
    assert (c0, r0, c1, r1) == (0, 0, cols, rows)  # the whole commune is in view: every cell
    # Occupied cells, counted from the points directly, are the opaque pixels.
    ix = np.floor((scene.x - scene.pyramid.x0) / cell).astype(int)
    iy = np.floor((scene.y - scene.pyramid.y0) / cell).astype(int)
    assert len(set(zip(ix.tolist(), iy.tolist()))) == int((tile.image[..., 3] > 0).sum())
    # The target rectangle is those cells on screen.
    x, y, w, h = tile.target
    top = scene.pyramid.y0 + rows * cell
    assert whole.to_world(x, y) == pytest.approx((scene.pyramid.x0, top))
    assert whole.to_world(x + w, y + h) == pytest.approx((scene.pyramid.x0 + cols * cell, scene.pyramid.y0))


def test_density_tile_is_cut_to_the_view(scene):
    whole = scene.fit(1000, 700)
    zoomed = whole.zoomed(4.0)
    tile = scene.density(zoomed, "outcome", cell_px=4)
    c0, r0, c1, r1 = tile.source
    rows, cols = tile.image.shape[:2]
    assert 0 < c0 < c1 < cols and 0 < r0 < r1 < rows
    x, y, w, h = tile.target  # whole cells: the rectangle just covers the window
    assert x <= 0 and y <= 0 and x + w >= zoomed.width and y + h >= zoomed.height
    cell_px = scene.pyramid.cell_m(tile.key[1]) * zoomed.scale
    assert x > -cell_px and y > -cell_px and x + w < zoomed.width + cell_px and y + h < zoomed.height + cell_px
    away = View(zoomed.cx + 1e6, zoomed.cy, zoomed.scale, zoomed.width, zoomed.height)
    assert scene.density(away, "outcome", cell_px=4) is None


def test_outlines_and_labels_in_view(scene):
    whole = scene.fit(1000, 700)
    lines = scene.outlines_on_screen(whole)
    assert lines and all(((sx >= -1) & (sx <= 1001) & (sy >= -1) & (sy <= 701)).all() for sx, sy in lines)
    length = sum(float(np.hypot(np.diff(sx), np.diff(sy)).sum()) for sx, sy in lines) / whole.scale
    expected = shapely.union_all([d.geometry.boundary for d in scene.districts]).length
    assert length == pytest.approx(expected, rel=1e-6)  # each shared boundary once
    away = View(whole.cx + 1e6, whole.cy, whole.scale, 1000, 700)
    assert scene.outlines_on_screen(away) == [] and scene.labels_on_screen(away, "fr") == []
    for corner in ((0, 0), (1000, 0), (0, 700), (1000, 700), (500, 350)):  # zoomed in: some lines culled
        view = whole.zoomed(6.0, corner)
        window = shapely.box(*view.world_rect())
        kept = [xy for xy in scene.outlines(view.scale) if window.intersects(shapely.box(*xy.min(0), *xy.max(0)))]
        drawn = scene.outlines_on_screen(view)
        assert len(drawn) == len(kept) < len(scene.outlines(view.scale))
        assert all(np.allclose(view.to_world(sx, sy), xy.T) for (sx, sy), xy in zip(drawn, kept))
    assert [t for t, _x, _y in scene.labels_on_screen(whole, "ar")] == ["الغرب", "الشرق"]
    labels = scene.labels_on_screen(whole, "fr", {"w": 12.345, "e": float("nan")})
    assert [t for t, _x, _y in labels] == ["Ouest\n12.3", "Est"]
    sx, sy = whole.to_screen(*scene.districts[0].label)
    assert (labels[0][1], labels[0][2]) == pytest.approx((float(sx), float(sy)))


def test_rowids_in_a_polygon_match_shapely_point_by_point(scene):
    x0, y0, x1, y1 = scene.extent()
    ring = [(x0 + 1000, y0 + 1000), (x1 - 3000, y0 + 2000), (x1 - 1000, y1 - 1000), (x0 + 2000, y1 - 4000)]
    poly = shapely.Polygon(ring)
    expected = {int(r) for r, x, y in zip(scene.points.rowid, scene.x, scene.y) if poly.contains(shapely.Point(x, y))}
    got = scene.rowids_in(ring)
    assert set(got.tolist()) == expected and len(got) == len(expected) > 100
    assert scene.rowids_in(ring[:2]).size == 0
    bow_tie = [(x0, y0), (x1, y1), (x1, y0), (x0, y1)]  # self-intersecting: repaired, not refused
    assert 0 < len(scene.rowids_in(bow_tie)) < len(scene.x)


# -- categories, rate classes, legend, scale bar -----------------------------------------------------

def test_categories_by_field_group_and_by_outcome(scene):
    category, palette = scene.categories("field")
    assert palette == list(zip(("hygiene", "public_domain", "urbanism", "other"), FIELD_COLORS))
    codes = scene.points.field_codes  # hygiene, markets, urbanism, public_domain
    expected = [{"hygiene": 0, "public_domain": 1, "urbanism": 2}.get(codes[f], 3) if f >= 0 else 3
                for f in scene.points.field]
    assert category.tolist() == expected and set(expected) == {0, 1, 2, 3}
    category, palette = scene.categories("outcome")
    assert palette == [(c, OUTCOME_COLORS[c]) for c in OUTCOMES]
    assert category.tolist() == scene.points.outcome.tolist()


def test_breaks_are_the_quintiles_when_every_class_has_values():
    rates = {f"d{k}": v for k, v in enumerate(np.random.default_rng(4).uniform(0.5, 40, 16))}
    breaks = choropleth_breaks(rates)
    assert breaks == pytest.approx(np.quantile(list(rates.values()), [0.2, 0.4, 0.6, 0.8]).tolist())
    classes = [sum(v > b for b in breaks) for v in rates.values()]
    assert sorted(set(classes)) == [0, 1, 2, 3, 4]
    assert [rate_color(v, breaks) for v in rates.values()] == [CHOROPLETH[k] for k in classes]
    rows = choropleth_classes(rates)
    assert [c for _t, c in rows] == list(CHOROPLETH)
    assert rows[0][0] == f"0.0 – {breaks[0]:.1f}" and rows[-1][0] == f"≥ {breaks[-1]:.1f}"


def test_breaks_without_data():
    assert choropleth_breaks({}) == [] and choropleth_classes({}) == []
    only_unknown = {"a": None, "b": float("nan"), "c": float("inf")}
    assert choropleth_breaks(only_unknown) == [] and choropleth_classes(only_unknown) == []
    assert rate_color(None, []) == rate_color(float("nan"), [1.0]) == rate_color(float("inf"), [1.0]) == NO_DATA_COLOR


def test_breaks_ignore_unknown_rates():
    known = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 5.0, "f": 6.0}
    assert choropleth_breaks({**known, "x": float("nan"), "y": None}) == choropleth_breaks(known)


def test_equal_rates_make_one_class():
    rates = {"a": 2.5, "b": 2.5, "c": 2.5}
    assert choropleth_breaks(rates) == []
    assert choropleth_classes(rates) == [("≥ 0.0", CHOROPLETH[0])]
    assert rate_color(2.5, []) == CHOROPLETH[0]


def test_fewer_distinct_rates_than_classes_make_fewer_classes():
    two = {"a": 1.0, "b": 3.0}
    breaks = choropleth_breaks(two)
    assert len(breaks) == 1 and 1.0 <= breaks[0] < 3.0
    assert rate_color(1.0, breaks) == CHOROPLETH[0] and rate_color(3.0, breaks) == CHOROPLETH[1]
    assert len(choropleth_classes(two)) == 2
    three = {"a": 0.0, "b": 0.0, "c": 7.0, "d": 9.0}
    assert len(choropleth_breaks(three)) == 2


def test_no_class_is_ever_empty():
    rng = np.random.default_rng(12)
    for _ in range(300):
        n = int(rng.integers(1, 20))
        values = rng.integers(0, int(rng.integers(1, 8)), n).astype(float)  # many ties
        breaks = choropleth_breaks({str(k): v for k, v in enumerate(values)})
        assert all(a < b for a, b in zip(breaks, breaks[1:])) and len(breaks) <= len(CHOROPLETH) - 1
        classes = {sum(v > b for b in breaks) for v in values}
        assert classes == set(range(len(breaks) + 1))
        assert len(breaks) + 1 <= len(set(values.tolist()))


def test_scale_bar_picks_the_longest_round_length_that_fits():
    assert scale_bar(View(0, 0, 110 / 150, 800, 600)) == (100, pytest.approx(100 * 110 / 150), "100 m")
    length, px, label = scale_bar(View(0, 0, 110 / 2500, 800, 600))
    assert (length, label) == (2000, "2 km") and px == pytest.approx(88.0)
    assert scale_bar(View(0, 0, 110 / 3, 800, 600))[::2] == (10, "10 m")  # nothing fits: the shortest
    assert scale_bar(View(0, 0, 110 / 1e6, 800, 600))[::2] == (50000, "50 km")


def test_hex_colours():
    assert hex_rgb("#1f77b4") == (0x1F, 0x77, 0xB4) and hex_rgb(NO_DATA_COLOR) == (217, 217, 217)
    assert all(len(hex_rgb(c)) == 3 for c in (*FIELD_COLORS, *OUTCOME_COLORS.values(), *CHOROPLETH))
