"""The interactive map: pan, zoom, hover, click, rectangle and lasso selection, picking a location."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QToolTip, QWidget

from desktop.i18n import Translator
from desktop.ui.map_render import MapScene, render
from maps.scene import Drawn, Style, View

HIT_PX = 7
ZOOM_STEP = 1.25


class MapWidget(QWidget):
    inspection_clicked = Signal(int)          # rowid
    selection_made = Signal(object)           # numpy array of rowids
    location_picked = Signal(float, float)    # lon, lat
    view_changed = Signal()

    def __init__(self, scene: MapScene, tr: Translator, field_label=None, parent=None):
        super().__init__(parent)
        self.setObjectName("map_widget")
        self.scene, self.tr, self.style = scene, tr, Style()
        self.field_label = field_label or (lambda code: code)
        self.view: View | None = None
        self.drawn = Drawn()
        self.pick_mode = False
        self._press: QPointF | None = None
        self._last: QPointF | None = None
        self._band: list[QPointF] = []
        self._band_kind: str | None = None  # "rect" | "lasso"
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMinimumSize(400, 300)
        self.setLayoutDirection(Qt.LeftToRight)  # a map has no reading direction

    # -- view ----------------------------------------------------------------------------------
    def ensure_view(self) -> View:
        if self.view is None or (self.view.width, self.view.height) != (self.width(), self.height()):
            if self.view is None:
                self.view = self.scene.fit(self.width(), self.height())
            else:
                self.view = self.view.resized(self.width(), self.height())
        return self.view

    def fit(self, extent=None) -> None:
        self.view = self.scene.fit(self.width(), self.height(), extent)
        self.update()
        self.view_changed.emit()

    def zoom_to_district(self, district_id: str) -> None:
        d = next((d for d in self.scene.districts if d.id == district_id), None)
        if d is not None:
            self.fit(d.geometry.bounds)

    def zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        self.view = self.ensure_view().zoomed(factor, (anchor.x(), anchor.y()) if anchor else None)
        self.update()
        self.view_changed.emit()

    def pan(self, dx_px: float, dy_px: float) -> None:
        self.view = self.ensure_view().panned(dx_px, dy_px)
        self.update()
        self.view_changed.emit()

    def set_style(self, style: Style) -> None:
        self.style = style
        self.update()

    # -- drawing -------------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        self.drawn = render(painter, self.scene, self.ensure_view(), self.style, self.tr)
        if self._band:
            painter.setPen(QPen(QColor("#0b5cad"), 1.5, Qt.DashLine))
            painter.setBrush(QColor(11, 92, 173, 40))
            if self._band_kind == "rect":
                painter.drawRect(QRectF(self._band[0], self._band[-1]))
            else:
                painter.drawPolygon(QPolygonF(self._band))
        painter.end()

    # -- hit testing ---------------------------------------------------------------------------
    def point_at(self, x: float, y: float) -> int | None:
        """Index (into the scene's points) of the drawn point nearest to (x, y), if close enough."""
        return self.drawn.nearest(x, y, HIT_PX)

    def select_polygon(self, screen_points: list[QPointF]) -> np.ndarray:
        """Rowids of every inspection inside a screen polygon (all points, not only drawn ones)."""
        v = self.ensure_view()
        return self.scene.rowids_in([v.to_world(p.x(), p.y()) for p in screen_points])

    # -- events --------------------------------------------------------------------------------
    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP ** steps, event.position())

    def keyPressEvent(self, event) -> None:
        key, step = event.key(), 80
        actions = {Qt.Key_Plus: lambda: self.zoom(ZOOM_STEP), Qt.Key_Equal: lambda: self.zoom(ZOOM_STEP),
                   Qt.Key_Minus: lambda: self.zoom(1 / ZOOM_STEP), Qt.Key_Left: lambda: self.pan(step, 0),
                   Qt.Key_Right: lambda: self.pan(-step, 0), Qt.Key_Up: lambda: self.pan(0, step),
                   Qt.Key_Down: lambda: self.pan(0, -step), Qt.Key_Home: self.fit}
        if key in actions:
            actions[key]()
        elif key == Qt.Key_Escape and (self._band or self.pick_mode):
            self._band, self.pick_mode = [], False
            self.unsetCursor()
            self.update()
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.LeftButton:
            return
        self._press = self._last = event.position()
        mods = event.modifiers()
        self._band_kind = "rect" if mods & Qt.ShiftModifier else "lasso" if mods & Qt.ControlModifier else None
        self._band = [event.position()] if self._band_kind else []

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._press is not None and event.buttons() & Qt.LeftButton:
            if self._band_kind == "rect":
                self._band = [self._band[0], pos]
                self.update()
            elif self._band_kind == "lasso":
                self._band.append(pos)
                self.update()
            else:
                self.pan(pos.x() - self._last.x(), pos.y() - self._last.y())
            self._last = pos
            return
        hit = self.point_at(pos.x(), pos.y())
        if hit is not None:
            QToolTip.showText(event.globalPosition().toPoint(), self.describe(hit), self)
        else:
            QToolTip.hideText()

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.LeftButton or self._press is None:
            return
        pos, press = event.position(), self._press
        moved = abs(pos.x() - press.x()) + abs(pos.y() - press.y()) > 4
        self._press = None
        if self._band_kind:
            band, kind = self._band, self._band_kind
            self._band, self._band_kind = [], None
            self.update()
            xs, ys = [p.x() for p in band], [p.y() for p in band]
            if max(xs) - min(xs) > 4 and max(ys) - min(ys) > 4:  # a lasso may end where it began
                if kind == "rect":
                    a, b = band[0], band[-1]
                    band = [a, QPointF(b.x(), a.y()), b, QPointF(a.x(), b.y())]
                self.selection_made.emit(self.select_polygon(band))
            return
        if moved:
            return
        if self.pick_mode:
            v = self.ensure_view()
            lon, lat = self.scene.projection.inverse(*v.to_world(pos.x(), pos.y()))
            self.pick_mode = False
            self.unsetCursor()
            self.location_picked.emit(float(lon), float(lat))
            return
        hit = self.point_at(pos.x(), pos.y())
        if hit is not None:
            self.inspection_clicked.emit(int(self.scene.points.rowid[hit]))

    def start_pick(self) -> None:
        self.pick_mode = True
        self.setCursor(Qt.CrossCursor)
        self.setFocus()

    def describe(self, index: int) -> str:
        p = self.scene.points
        field_code = p.field_codes[p.field[index]] if p.field[index] >= 0 else "?"
        outcome = p.outcome_codes[p.outcome[index]] if p.outcome[index] >= 0 else "?"
        text = f"{self.field_label(field_code)} — {self.tr.enum('outcome', outcome)}"
        details = getattr(self, "details", None)  # (rowid) -> "site — date", given by the page
        if details is not None:
            extra = details(int(p.rowid[index]))
            if extra:
                text = f"{extra}\n{text}"
        if p.outside[index]:
            text += f"\n{self.tr('map.outside')}"
        return text
