"""District polygons: the shipped Casablanca layer, locating points, sampling points inside."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

import resources

CASABLANCA = resources.path("districts", "casablanca_arrondissements.geojson")
from maps.attribution import ATTRIBUTION  # noqa: E402,F401 - re-exported


@dataclass(frozen=True)
class DistrictFeature:
    code: str
    name_ar: str
    name_fr: str
    population: int | None
    households: int | None
    area_km2: float | None
    geometry: dict  # GeoJSON, EPSG:4326


def load_shipped_districts(path: Path = CASABLANCA) -> list[DistrictFeature]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for f in data["features"]:
        p = f["properties"]
        out.append(DistrictFeature(p["code"], p["name_ar"], p["name_fr"], p.get("population_2024"),
                                   p.get("households_2024"), p.get("area_km2"), f["geometry"]))
    return out


class DistrictLocator:
    """Point-in-district lookups over a set of polygons (vectorised with an STRtree)."""

    def __init__(self, items: list[tuple[str, dict]]):
        self.ids = [i for i, _ in items]
        self.geoms = np.array([shape(g) for _, g in items], dtype=object)
        for g in self.geoms:
            shapely.prepare(g)
        self.tree = shapely.STRtree(self.geoms)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        if not len(self.geoms):
            return None
        x0, y0, x1, y1 = shapely.total_bounds(self.geoms)
        return float(x0), float(y0), float(x1), float(y1)

    def holds(self, district_id: str, lon: float, lat: float) -> bool:
        """Whether the point is inside this district (a test on one prepared polygon: cheaper
        than ``locate`` when the district to expect is known)."""
        try:
            k = self.ids.index(district_id)
        except ValueError:
            return False
        return bool(shapely.contains_xy(self.geoms[k], lon, lat))

    def holds_many(self, district_id: str, lon: list[float], lat: list[float]) -> list[bool]:
        """``holds`` for many points of one district, in one vectorised test."""
        try:
            k = self.ids.index(district_id)
        except ValueError:
            return [False] * len(lon)
        return shapely.contains_xy(self.geoms[k], np.asarray(lon, dtype=np.float64),
                                   np.asarray(lat, dtype=np.float64)).tolist()

    def locate(self, lon: float, lat: float) -> str | None:
        hits = self.tree.query(shapely.points(lon, lat), predicate="within")
        return self.ids[int(hits[0])] if len(hits) else None

    def locate_many(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Index into ``ids`` for each point, -1 where no district contains it.

        Vectorised per district: a bounding-box test on the coordinates picks the candidates,
        then prepared ``contains_xy`` decides; no shapely Point is ever made (making a million
        of them costs more than the whole test).
        """
        lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        out = np.full(len(lon), -1, dtype=np.int64)
        for k, geom in enumerate(self.geoms):
            x0, y0, x1, y1 = geom.bounds
            candidates = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
            if len(candidates):
                candidates = candidates[out[candidates] == -1]
                inside = shapely.contains_xy(geom, lon[candidates], lat[candidates])
                out[candidates[inside]] = k
        return out


def sample_points(geometry: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random (lon, lat) points inside a polygon, by rejection in its bounds."""
    geom = shape(geometry)
    shapely.prepare(geom)
    x0, y0, x1, y1 = geom.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        k = max(64, int((n - len(out)) * 2.5))
        xs, ys = rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)
        inside = shapely.contains_xy(geom, xs, ys)
        out = np.vstack([out, np.column_stack([xs[inside], ys[inside]])])
    return out[:n]
