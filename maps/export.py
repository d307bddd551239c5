"""Writing inspection points to GeoPackage, GeoJSON and CSV that QGIS and ogrinfo open.

Rows arrive in chunks (tuples in ``columns`` order, with ``lon`` and ``lat`` among them), so a
million inspections never sit in memory at once. Each file is written under a temporary name and
moved into place at the end: a failure or a cancel never leaves a broken file behind.
"""
from __future__ import annotations

import csv
import json
import os
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

FORMATS = ("gpkg", "geojson", "csv")
# GeoPackage 1.2: read without a warning by the GDAL of older QGIS and ogrinfo (3.6 here), where
# the 1.4 that recent GDAL writes by default is "only partially supported".
GPKG_OPTIONS = {"dataset_options": {"VERSION": "1.2"}}


class ExportCancelled(CancelledError):
    """``cancelled()`` answered True (or a former-style ``progress`` returned False)."""


def _temporary(path: Path) -> Path:
    """Same folder (so the final rename is atomic), same extension (GDAL checks it)."""
    return path.with_name(f".{path.stem}.part{path.suffix}")


def export_points(path: str | Path, fmt: str, columns: Sequence[str], chunks: Iterable[list[tuple]],
                  layer: str = "inspections", progress: Callable[[int, int | None], None] | None = None,
                  cancelled: Callable[[], bool] | None = None, total: int | None = None) -> int:
    """Write every chunk; returns the rows written.

    After each chunk ``progress(rows_written, total)`` is told (``total``: the row count if the
    caller knows it, else None) and ``cancelled()`` polled. A cancel raises ``ExportCancelled``
    (a ``concurrent.futures.CancelledError``); it, or anything ``progress`` raises, leaves no
    partial file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    path = Path(path)
    tmp = _temporary(path)
    tmp.unlink(missing_ok=True)
    writer = {"gpkg": _write_gpkg, "geojson": _write_geojson, "csv": _write_csv}[fmt]
    tick = _ticker(progress, cancelled, total)
    try:
        tick(None)
        count = writer(tmp, list(columns), chunks, layer, tick)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def _ticker(progress, cancelled, total: int | None) -> Callable[[int | None], None]:
    """One callable the writers call after each chunk (``None``: before the first)."""

    def tick(count: int | None) -> None:
        if count is not None and progress is not None:
            progress(count, total)
        if cancelled is not None and cancelled():
            raise ExportCancelled()
    return tick


def _write_gpkg(tmp: Path, columns: list[str], chunks, layer: str, tick) -> int:
    import shapely
    from pyogrio.raw import write
    ilon, ilat = columns.index("lon"), columns.index("lat")
    fields = [c for c in columns if c not in ("lon", "lat")]
    field_idx = [columns.index(c) for c in fields]
    count, first = 0, True
    for chunk in chunks:
        if not chunk:
            continue
        cols = list(zip(*chunk))
        lon = np.array(cols[ilon], dtype="float64")
        lat = np.array(cols[ilat], dtype="float64")
        geometry = shapely.to_wkb(shapely.points(lon, lat))
        data = [_column(cols[i]) for i in field_idx]
        write(str(tmp), geometry, data, fields, layer=layer, driver="GPKG", geometry_type="Point",
              crs="EPSG:4326", append=not first, encoding="UTF-8", **GPKG_OPTIONS)
        first = False
        count += len(chunk)
        tick(count)
    if first:  # no rows: still a valid, empty layer
        write(str(tmp), np.array([], dtype=object), [np.array([], dtype=object) for _ in fields], fields,
              layer=layer, driver="GPKG", geometry_type="Point", crs="EPSG:4326", **GPKG_OPTIONS)
    return count


def _column(values: tuple) -> np.ndarray:
    """A typed array when the column is numeric, else text (None stays null)."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool) or isinstance(sample, int):
        if all(v is not None for v in values):
            return np.array(values, dtype="int64")
    if isinstance(sample, float):
        return np.array([np.nan if v is None else v for v in values], dtype="float64")
    return np.array(values, dtype=object)


def _write_geojson(tmp: Path, columns: list[str], chunks, layer: str, tick) -> int:
    ilon, ilat = columns.index("lon"), columns.index("lat")
    props = [(i, c) for i, c in enumerate(columns) if c not in ("lon", "lat")]
    count = 0
    with tmp.open("w", encoding="utf-8") as out:
        out.write('{"type":"FeatureCollection","name":%s,"features":[\n' % json.dumps(layer))
        for chunk in chunks:
            parts = []
            for row in chunk:
                feature = {"type": "Feature",
                           "geometry": {"type": "Point", "coordinates": [row[ilon], row[ilat]]},
                           "properties": {c: row[i] for i, c in props}}
                parts.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
            if parts:
                out.write((",\n" if count else "") + ",\n".join(parts))
                count += len(parts)
            tick(count)
        out.write("\n]}\n")
    return count


def _safe(value):
    """No cell taken for a formula by a spreadsheet (= + - @ TAB CR get an apostrophe)."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def _write_csv(tmp: Path, columns: list[str], chunks, layer: str, tick) -> int:
    count = 0
    # UTF-8 with BOM: spreadsheet programs then read the Arabic correctly; QGIS and GDAL too.
    with tmp.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for chunk in chunks:
            writer.writerows([_safe(v) for v in row] for row in chunk)
            count += len(chunk)
            tick(count)
    return count
