"""The geo engine on 1,000,000 inspections.

1. District assignment (point in polygon) of 1,000,000 points: ``DistrictLocator.locate_many``
   as a ratio to a bare loop of shapely ``contains_xy`` over the 16 districts (target ≤ 1.5x).
2. Export of 1,000,000 inspections to GeoPackage (query, findings, district names, writing):
   as a ratio to ``ogr2ogr`` converting an equivalent CSV (the same rows, written beforehand) to
   GeoPackage (target ≤ 2x).
"""
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from common import ensure_big_db, median, record


def main() -> None:
    db = ensure_big_db()
    from desktop.store.commune import district_geometries
    from desktop.store.db import open_store
    from desktop.store.geo import export_inspections
    from maps.districts import DistrictLocator
    from shapely.geometry import shape
    with open_store(db, readonly=True) as store:
        items = district_geometries(store)
        lon, lat = (np.array(c) for c in zip(*store.conn.execute("SELECT lon, lat FROM inspection").fetchall()))
    n = len(lon)

    def app_assign():
        return DistrictLocator(items).locate_many(lon, lat)

    polygons = [shape(g) for _, g in items]

    def bare_assign():
        out = np.full(n, -1)
        for k, poly in enumerate(polygons):
            shapely.prepare(poly)
            out[shapely.contains_xy(poly, lon, lat)] = k
        return out

    assert (app_assign() == bare_assign()).mean() > 0.999  # same answers (boundary points aside)
    app_s = median([_timed(app_assign) for _ in range(3)])
    bare_s = median([_timed(bare_assign) for _ in range(3)])

    result = {"points": n, "app_assign_s": round(app_s, 3), "bare_contains_xy_loop_s": round(bare_s, 3),
              "ratio_assign": round(app_s / bare_s, 2), "target_ratio_assign": 1.5}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        gpkg = folder / "inspections.gpkg"
        t = time.perf_counter()
        with open_store(db, readonly=True) as store:
            rows = export_inspections(store, gpkg, "gpkg")
        result.update(exported=rows, app_export_gpkg_s=round(time.perf_counter() - t, 1))
        if shutil.which("ogr2ogr"):
            csv_path = folder / "inspections.csv"
            with open_store(db, readonly=True) as store:
                export_inspections(store, csv_path, "csv")
            t = time.perf_counter()
            subprocess.run(["ogr2ogr", "-f", "GPKG", str(folder / "ogr.gpkg"), str(csv_path),
                            "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "KEEP_GEOM_COLUMNS=NO",
                            "-a_srs", "EPSG:4326", "-nln", "inspections"], check=True, capture_output=True)
            ogr_s = time.perf_counter() - t
            result.update(ogr2ogr_csv_to_gpkg_s=round(ogr_s, 1),
                          ratio_export=round(result["app_export_gpkg_s"] / ogr_s, 2), target_ratio_export=2.0)
    record("geo", result)


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
