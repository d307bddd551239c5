"""The map on 1,000,000 inspections.

1. Full redraw at the whole-commune zoom, as a ratio to a bare QPainter drawing the same
   1,000,000 points (already built, as one QPolygonF of QPointF) on an image of the same size
   (target ≤ 0.2x).
2. Street-level zoom: full redraw (districts, labels, points, legend) as a ratio to naively
   drawing only the visible points (already selected, built as QPointF, one antialiased
   drawEllipse each, as a straightforward implementation does) (target ≤ 1x). Also reported: the
   ratio to the strictest floor, all visible points in one drawPoints call.
3. Panning and zooming: frames per second over a sequence of 60 pan and zoom steps (target > 30).
"""
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from common import ensure_big_db, median, record  # noqa: E402

W, H = 1200, 800
REPEAT = 7


def timed(fn, repeat=REPEAT) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return median(times)


def main() -> None:
    db = ensure_big_db()
    app = QApplication([])
    from desktop.i18n import Translator
    from desktop.store.db import open_store
    from desktop.store.geo import district_rows, inspection_points
    from desktop.ui.fonts import register_fonts, ui_font
    from desktop.ui.map_render import MapScene, polygon_from_arrays, render
    from maps.scene import Style, View
    register_fonts()
    app.setFont(ui_font())
    tr = Translator("fr")
    with open_store(db, readonly=True) as store:
        t = time.perf_counter()
        scene = MapScene(district_rows(store), inspection_points(store))
        load_s = time.perf_counter() - t
    n = len(scene.x)
    image = QImage(W, H, QImage.Format_ARGB32_Premultiplied)

    def app_frame(view: View, style=Style()):
        painter = QPainter(image)
        drawn = render(painter, scene, view, style, tr)
        painter.end()
        return drawn

    whole = scene.fit(W, H)
    sx, sy = whole.to_screen(scene.x, scene.y)
    all_points = QPolygonF([QPointF(a, b) for a, b in zip(sx.tolist(), sy.tolist())])  # "built as QPointF"

    def bare_all():
        painter = QPainter(image)
        painter.setPen(QColor("#1f77b4"))
        painter.drawPoints(all_points)
        painter.end()

    bare_whole = timed(bare_all, 3)
    app_whole = timed(lambda: app_frame(whole))

    # Street level: about 150 m across the densest district's centre.
    street = View(whole.cx + 1500, whole.cy - 1500, whole.scale * 80, W, H)
    drawn = app_frame(street)
    assert not drawn.density
    vx, vy = street.to_screen(scene.x[drawn.index], scene.y[drawn.index])
    visible = polygon_from_arrays(vx, vy)
    pen = QPen(QColor("#1f77b4"), 6.5, Qt.SolidLine, Qt.RoundCap)

    def bare_visible():
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(pen)
        painter.drawPoints(visible)
        painter.end()

    visible_points = [QPointF(a, b) for a, b in zip(vx.tolist(), vy.tolist())]
    brush = QColor("#1f77b4")

    def naive_visible():
        painter = QPainter(image)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(Qt.NoPen)
        painter.setBrush(brush)
        for p in visible_points:
            painter.drawEllipse(p, 3.25, 3.25)
        painter.end()

    bare_street = timed(bare_visible)
    naive_street = timed(naive_visible)
    app_street = timed(lambda: app_frame(street))

    # Pan and zoom: 30 pan steps at district zoom, then 30 zoom steps in and out.
    view = View(whole.cx, whole.cy, whole.scale * 4, W, H)
    frames = [View(view.cx + k * 40 / view.scale, view.cy, view.scale, W, H) for k in range(30)]
    frames += [View(view.cx, view.cy, view.scale * 1.25 ** (k if k < 15 else 30 - k), W, H) for k in range(30)]
    t = time.perf_counter()
    for v in frames:
        app_frame(v)
    fps = len(frames) / (time.perf_counter() - t)
    record("map_redraw", {
        "points": n, "image": f"{W}x{H}", "load_points_s": round(load_s, 2),
        "bare_qpainter_1m_points_ms": round(bare_whole * 1000, 1), "app_whole_commune_ms": round(app_whole * 1000, 1),
        "ratio_whole": round(app_whole / bare_whole, 3), "target_ratio_whole": 0.2,
        "street_visible_points": len(drawn.index),
        "naive_visible_points_ms": round(naive_street * 1000, 2), "app_street_ms": round(app_street * 1000, 2),
        "ratio_street": round(app_street / naive_street, 2), "target_ratio_street": 1.0,
        "one_call_visible_points_ms": round(bare_street * 1000, 2),
        "ratio_street_to_one_call": round(app_street / bare_street, 2),
        "pan_zoom_fps": round(fps, 1), "target_fps": 30})


if __name__ == "__main__":
    main()
