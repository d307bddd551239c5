"""Importing a district layer (GeoJSON, GeoPackage, Shapefile): checked, repaired, in lon/lat.

Every refusal is a ``LayerError`` whose ``code`` names the problem (the application translates
it); what could be fixed is fixed and reported in ``warnings``. Nothing here touches a database:
the caller replaces its layer only with a layer that loaded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 50 * 1024 * 1024  # a commune's districts fit in a few MB; more is the wrong file
# Casablanca's 16 arrondissements have 2,475 vertices; a detailed cadastre a few tens of thousands.
# A million (the review's 25 MB file) costs 885 MB of memory and 24 MB stored for nothing (L2).
MAX_VERTICES = 250_000
NAME_AR_GUESSES = ("name_ar", "nom_ar", "name:ar", "arabic", "name_arabic", "ar")
NAME_FR_GUESSES = ("name_fr", "nom_fr", "name:fr", "nom", "name", "french", "fr", "libelle")
POPULATION_GUESSES = ("population", "population_2024", "pop", "pop_2024", "habitants")
FAR_KM = 20


class LayerError(ValueError):
    def __init__(self, code: str, detail: str = "", **params):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code, self.detail, self.params = code, detail, params


@dataclass(frozen=True)
class LayerFeature:
    code: str
    name_ar: str
    name_fr: str
    population: int | None
    geometry: dict  # GeoJSON in EPSG:4326


@dataclass
class LoadedLayer:
    features: list[LayerFeature]
    bounds: tuple[float, float, float, float]
    warnings: list[tuple[str, dict]] = field(default_factory=list)  # (code, params)


def _pick(columns: list[str], wanted: str | None, guesses: tuple[str, ...], what: str) -> str | None:
    if wanted:
        if wanted not in columns:
            raise LayerError("field_missing", f"{what}: {wanted}", field=wanted, available=", ".join(columns))
        return wanted
    lower = {c.lower(): c for c in columns}
    return next((lower[g] for g in guesses if g in lower), None)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise LayerError("file_missing", str(path), path=str(path))
    size = path.stat().st_size
    if size == 0:
        raise LayerError("empty", str(path), path=str(path))
    if size > MAX_BYTES:
        raise LayerError("too_large", str(path), path=str(path), size_mb=round(size / 2**20),
                         max_mb=MAX_BYTES // 2**20)
    if path.suffix.lower() == ".shp":
        missing = [ext for ext in (".dbf", ".shx") if not path.with_suffix(ext).exists()
                   and not path.with_suffix(ext.upper()).exists()]
        if missing:
            raise LayerError("shapefile_incomplete", ", ".join(missing), path=str(path), missing=", ".join(missing))


def _read(path: Path):
    import geopandas
    import pyogrio
    import shapely
    try:
        return geopandas.read_file(path, engine="pyogrio")
    except shapely.errors.GEOSException as exc:  # an unclosed ring, NaN coordinates...
        raise LayerError("geometry_unreadable", str(exc), path=str(path)) from exc
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise LayerError("unreadable", str(exc), path=str(path)) from exc
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise LayerError("unreadable", str(exc), path=str(path)) from exc


def _to_lonlat(gdf, path: Path, warnings: list):
    if gdf.crs is None:
        x0, y0, x1, y1 = gdf.total_bounds
        if -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90:
            warnings.append(("crs_assumed_lonlat", {}))
            return gdf.set_crs(4326)
        raise LayerError("no_crs", f"bounds {x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f}", path=str(path))
    try:
        return gdf.to_crs(4326)
    except Exception as exc:  # noqa: BLE001 - pyproj raises several kinds
        raise LayerError("crs_unknown", str(exc), path=str(path), crs=str(gdf.crs)) from exc


def _repair(gdf, warnings: list):
    import numpy
    import shapely
    kinds = set(gdf.geometry.geom_type.dropna())
    if not kinds or not kinds <= {"Polygon", "MultiPolygon"}:
        raise LayerError("not_polygon", ", ".join(sorted(kinds)) or "no geometry", kinds=", ".join(sorted(kinds)))
    coords = shapely.get_coordinates(gdf.geometry.values)
    if len(coords) > MAX_VERTICES:
        raise LayerError("too_many_vertices", str(len(coords)), count=len(coords), max=MAX_VERTICES)
    if not numpy.isfinite(coords).all():
        raise LayerError("geometry_unreadable", "coordinates that are not numbers (NaN, infinity)")
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        try:
            fixed = shapely.make_valid(gdf.geometry[invalid].values)
        except shapely.errors.GEOSException as exc:
            raise LayerError("geometry_unreadable", str(exc)) from exc
        fixed = [shapely.unary_union([p for p in getattr(g, "geoms", [g]) if p.geom_type in ("Polygon", "MultiPolygon")])
                 for g in fixed]
        if any(g.is_empty or g.area == 0 for g in fixed):
            raise LayerError("geometry_broken", f"{int(invalid.sum())} feature(s)", count=int(invalid.sum()))
        gdf.loc[invalid, gdf.geometry.name] = fixed
        warnings.append(("geometry_repaired", {"count": int(invalid.sum())}))
    return gdf


def load_district_layer(path: str | Path, name_ar: str | None = None, name_fr: str | None = None,
                        population: str | None = None,
                        reference_bounds: tuple[float, float, float, float] | None = None) -> LoadedLayer:
    """Read, check and convert a district layer; ``reference_bounds`` (lon/lat) are the commune's
    existing data, used to warn about a layer that lies elsewhere (another city's file)."""
    path = Path(path)
    _check_file(path)
    gdf = _read(path)
    if len(gdf) == 0:
        raise LayerError("empty", str(path), path=str(path))
    warnings: list = []
    gdf = _repair(gdf, warnings)
    gdf = _to_lonlat(gdf, path, warnings)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    col_ar = _pick(columns, name_ar, NAME_AR_GUESSES, "name_ar")
    col_fr = _pick(columns, name_fr, NAME_FR_GUESSES, "name_fr")
    if col_ar is None and col_fr is None:
        raise LayerError("names_missing", ", ".join(columns), available=", ".join(columns))
    if col_ar is None or col_fr is None:
        warnings.append(("one_language_only", {"field": col_ar or col_fr}))
    col_pop = _pick(columns, population, POPULATION_GUESSES, "population")
    col_code = _pick(columns, None, ("code", "id", "code_hcp", "fid"), "code")
    features = []
    for n, row in enumerate(gdf.itertuples(index=False)):
        values = row._asdict()
        ar = str(values[col_ar] if col_ar else values[col_fr]).strip()
        fr = str(values[col_fr] if col_fr else values[col_ar]).strip()
        pop = values.get(col_pop) if col_pop else None
        pop = int(pop) if pop is not None and not (isinstance(pop, float) and math.isnan(pop)) else None
        code = str(values[col_code]) if col_code else str(n + 1)
        geom = values[gdf.geometry.name]
        features.append(LayerFeature(code, ar, fr, pop, geom.__geo_interface__))
    if col_pop is None:
        warnings.append(("population_missing", {}))
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    if reference_bounds is not None and _far(reference_bounds, (x0, y0, x1, y1)):
        warnings.append(("far_from_commune", {"km": FAR_KM}))
    return LoadedLayer(features, (x0, y0, x1, y1), warnings)


def _far(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """True when the two lon/lat boxes are more than FAR_KM apart."""
    margin_lat = FAR_KM / 111.0
    margin_lon = margin_lat / max(0.1, math.cos(math.radians((a[1] + a[3]) / 2)))
    return (b[0] > a[2] + margin_lon or b[2] < a[0] - margin_lon or
            b[1] > a[3] + margin_lat or b[3] < a[1] - margin_lat)
