"""Where the visit took place: a point (typed, taken from the site, or picked on the map) and the
district, filled in from the point when it falls inside one."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from desktop.i18n import Translator
from desktop.ui.form_parts import parse_number, select_data
from desktop.ui.form_section import FormSection

FAR_KM = 0.2  # a point farther than this from the chosen site is replaced, with a note

DistrictAt = Callable[[float, float], str | None]  # (lon, lat) -> district id, None when outside


@dataclass
class Location:
    lon: float | None = None  # NaN when what was typed is not a number (validation reports it)
    lat: float | None = None
    district_id: str | None = None


class LocationSection(FormSection):
    """Validation fields: ``location``, ``district``."""
    pick_requested = Signal()  # the user wants to click the point on the map

    def __init__(self, tr: Translator, districts: Mapping[str, str], district_at: DistrictAt,
                 parent: QWidget | None = None):
        """``districts`` maps district ids to their names; ``district_at`` locates a point."""
        super().__init__(tr("ui.sec_location"), parent)
        self.district_at = district_at
        self.lon = QLineEdit(objectName="lon", placeholderText=tr("ui.lon"))
        self.lat = QLineEdit(objectName="lat", placeholderText=tr("ui.lat"))
        coords = QHBoxLayout()
        coords.addWidget(QLabel(tr("ui.lat")))
        coords.addWidget(self.lat)
        coords.addWidget(QLabel(tr("ui.lon")))
        coords.addWidget(self.lon)
        self.pick_button = QPushButton(tr("ui.pick_on_map"), objectName="pick_on_map")
        self.pick_button.clicked.connect(self.pick_requested)
        coords.addWidget(self.pick_button)
        for edit in (self.lon, self.lat):
            edit.setLayoutDirection(Qt.LeftToRight)
            edit.editingFinished.connect(self._locate)
        self.district = QComboBox(objectName="district")
        self.district.addItem("—", None)
        for district_id, name in sorted(districts.items(), key=lambda kv: kv[1]):
            self.district.addItem(name, district_id)
        self.add_row(tr("ui.coordinates"), coords, "location")
        self.add_row(tr("ui.district"), self.district, "district")
        self._tr = tr
        self.note = QLabel(objectName="location_note", wordWrap=True)
        self.note.setStyleSheet("color: #8a5a00;")
        self.note.hide()
        self.form.addRow("", self.note)
        self.watch_edits()

    def _locate(self) -> None:
        """Fill the district from the coordinates when they fall inside one."""
        try:
            lon, lat = parse_number(self.lon.text()), parse_number(self.lat.text())
        except ValueError:
            return
        if lon is None or lat is None:
            return
        district_id = self.district_at(lon, lat)
        if district_id:
            select_data(self.district, district_id)

    def set_location(self, lon: float, lat: float) -> None:
        """A point picked on the map: coordinates, then the district they fall in."""
        self.lon.setText(f"{lon:.6f}")
        self.lat.setText(f"{lat:.6f}")
        self._locate()

    def take_site_place(self, site: dict) -> None:
        """A registered site was chosen: the inspection is where the site is. The point follows the
        site (saying so when the point typed or taken from a complaint was far), and the district
        follows the point, so a point never sits in one district with another district chosen."""
        self.note.hide()
        if site.get("lon") is not None and site.get("lat") is not None:
            before = self.collect()
            if (before.lon is not None and before.lat is not None and math.isfinite(before.lon)
                    and math.isfinite(before.lat)):
                far = distance_km(before.lon, before.lat, site["lon"], site["lat"])
                if far >= FAR_KM:
                    self.note.setText(self._tr("ui.point_follows_site", km=f"{far:.1f}".replace(".", "," if self._tr.lang == "fr" else ".")))
                    self.note.show()
            self.lon.setText(f"{site['lon']:.6f}")
            self.lat.setText(f"{site['lat']:.6f}")
            self._locate()
            if self.district_at(site["lon"], site["lat"]) is not None:
                return
        if site.get("district_id"):
            select_data(self.district, site["district_id"])

    def load(self, location: Location) -> None:
        self.lon.setText("" if location.lon is None else f"{location.lon:.6f}")
        self.lat.setText("" if location.lat is None else f"{location.lat:.6f}")
        select_data(self.district, location.district_id)

    def collect(self) -> Location:
        def number(edit: QLineEdit) -> float | None:
            try:
                return parse_number(edit.text())
            except ValueError:
                return math.nan
        return Location(number(self.lon), number(self.lat), self.district.currentData())


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))
