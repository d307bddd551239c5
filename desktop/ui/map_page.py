"""The map page: the map, its display mode, zoom to a district, export, the district layer."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from reports.numbers import grouped
from desktop.services.visits import inspection_summary
from desktop.domain.ids import local_display
from desktop.store.errors import from_os
from desktop.store.geo import district_rates, district_rows, inspection_points
from desktop.ui.widgets import ltr
from desktop.ui.errors import show_error
from desktop.ui.map_export import save_pdf, save_png
from desktop.ui.map_render import MapScene
from desktop.ui.map_widget import ZOOM_STEP, MapWidget
from desktop.ui.session import Session
from desktop.ui.tasks import run_background
from maps.scene import Style

MODES = (("points", "field"), ("points", "outcome"), ("choropleth", "inspections"), ("choropleth", "violations"))


class MapPage(QWidget):
    open_inspection = Signal(int)      # rowid
    selection_to_list = Signal(object)  # rowids
    districts_requested = Signal()

    def __init__(self, session: Session, parent=None):
        super().__init__(parent)
        self.session = session
        tr = session.tr
        self.scene = MapScene(district_rows(session.store), None)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.mode = QComboBox(objectName="map_mode")
        for mode, what in MODES:
            self.mode.addItem(tr(f"map.mode_{mode}_{what}"), (mode, what))
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.zoom_to = QComboBox(objectName="map_zoom_to")
        self.zoom_to.addItem(tr("map.whole_commune"), None)
        for d in sorted(self.scene.districts, key=lambda d: d.name_ar if tr.rtl else d.name_fr):
            self.zoom_to.addItem(d.name_ar if tr.rtl else d.name_fr, d.id)
        self.zoom_to.currentIndexChanged.connect(self._zoom_to)
        self.export_png = QPushButton(tr("map.export_png"), objectName="map_export_png")
        self.export_pdf = QPushButton(tr("map.export_pdf"), objectName="map_export_pdf")
        self.export_png.clicked.connect(lambda: self.export("png"))
        self.export_pdf.clicked.connect(lambda: self.export("pdf"))
        self.districts_button = QPushButton(tr("map.districts"), objectName="map_districts")
        self.districts_button.clicked.connect(self.districts_requested)
        self.districts_button.setVisible(session.user.role == "administrator")
        # Visible zoom buttons (the wheel and the +/- keys are not discoverable)
        self.zoom_in = QPushButton("+", objectName="map_zoom_in", toolTip=tr("map.zoom_in"))
        self.zoom_out = QPushButton("−", objectName="map_zoom_out", toolTip=tr("map.zoom_out"))
        for w in (self.mode, self.zoom_to, self.zoom_in, self.zoom_out):
            bar.addWidget(w)
        for button in (self.zoom_in, self.zoom_out):
            button.setFixedWidth(button.fontMetrics().horizontalAdvance("+") * 4)
        bar.addStretch(1)
        for w in (self.districts_button, self.export_png, self.export_pdf):
            bar.addWidget(w)
        layout.addLayout(bar)
        self.map = MapWidget(self.scene, tr, session.labels.field)
        self.zoom_in.clicked.connect(lambda: self.map.zoom(ZOOM_STEP))
        self.zoom_out.clicked.connect(lambda: self.map.zoom(1 / ZOOM_STEP))
        self.map.details = self.point_details  # type: ignore[attr-defined]
        self.map.inspection_clicked.connect(self.open_inspection)
        self.map.selection_made.connect(self._selected)
        layout.addWidget(self.map, 1)
        self.status = QLabel(objectName="map_status")
        self.status.setText(tr("map.loading"))
        layout.addWidget(self.status)
        self.hint = QLabel(tr("map.hint"))
        self.hint.setStyleSheet("color: #51606f;")
        layout.addWidget(self.hint)
        self.loaded = False
        self.reload_points()

    def _read(self, query, *args):
        """``query(store, *args)`` on a read-only connection of its own (for a background thread)."""
        with self.session.commune.reader() as store:
            return query(store, *args)

    def reload_points(self) -> None:
        self.loaded = False
        self.status.setText(self.session.tr("map.loading"))
        run_background(lambda: self._read(inspection_points), self._points_loaded,
                       self._failed, owner=self)

    def _points_loaded(self, points) -> None:
        self.scene.set_points(points)
        self.loaded = True
        outside = int(points.outside.sum())
        text = self.session.tr("map.loaded", n=grouped(len(points)))
        if outside:
            text += " — " + self.session.tr("map.outside_count", n=outside)
        self.status.setText(text)
        self.map.update()

    def _failed(self, exc) -> None:
        self.status.setText("")
        show_error(self, exc, self.session.tr)

    def _mode_changed(self) -> None:
        mode, what = self.mode.currentData()
        if mode == "points":
            self.map.set_style(Style(mode="points", color_by=what))
            return
        run_background(lambda: self._read(district_rates, what),
                       lambda rates: self.map.set_style(Style(mode="choropleth", measure=what, rates=rates)),
                       self._failed, owner=self)

    def _zoom_to(self) -> None:
        district_id = self.zoom_to.currentData()
        if district_id:
            self.map.zoom_to_district(district_id)
        else:
            self.map.fit()

    def _selected(self, rowids) -> None:
        self.status.setText(self.session.tr("map.selected", n=grouped(len(rowids))))
        self.selection_to_list.emit(rowids)

    def point_details(self, rowid: int) -> str:
        """The site and the local date and time of the inspection under the pointer."""
        found = inspection_summary(self.session.store, rowid)
        if found is None:
            return ""
        site, at = found
        return f"{site} — {ltr(local_display(at))}"

    def export(self, fmt: str, path: Path | None = None) -> Path | None:
        tr = self.session.tr
        if path is None:
            name, _ = QFileDialog.getSaveFileName(self, tr(f"map.export_{fmt}"), f"carte.{fmt}",
                                                  "PNG (*.png)" if fmt == "png" else "PDF (*.pdf)")
            if not name:
                return None
            path = Path(name)
        try:
            (save_png if fmt == "png" else save_pdf)(path, self.scene, self.map.ensure_view(), self.map.style, tr)
        except OSError as exc:
            show_error(self, from_os(exc, str(path)), tr)
            return None
        self.status.setText(tr("map.exported", path=str(path)))
        return path

    def pick_location(self) -> None:
        self.status.setText(self.session.tr("map.pick_hint"))
        self.map.start_pick()
