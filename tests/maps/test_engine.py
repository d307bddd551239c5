"""Point-in-district, aggregation and export, checked against independent computations."""
import csv
import json
import shutil
import subprocess
from concurrent.futures import CancelledError

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import shape

from maps.aggregate import aggregate, period_of
from maps.districts import DistrictLocator
from maps.export import ExportCancelled, export_points


def test_locate_many_matches_shapely_point_by_point(casablanca_geojson):
    items = [(f["properties"]["code"], f["geometry"]) for f in casablanca_geojson["features"]]
    locator = DistrictLocator(items)
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = locator.bounds
    lon, lat = rng.uniform(x0 - 0.05, x1 + 0.05, 3000), rng.uniform(y0 - 0.05, y1 + 0.05, 3000)
    got = locator.locate_many(lon, lat)
    polys = [shape(g) for _, g in items]
    expected = [next((k for k, p in enumerate(polys) if p.contains(shapely.Point(a, b))), -1) for a, b in zip(lon, lat)]
    assert got.tolist() == expected
    assert (got == -1).sum() > 100  # points outside are kept, flagged with -1, not dropped
    assert len(got) == 3000


def test_holds_many_answers_as_holds_point_by_point(casablanca_geojson):
    """The hub's per-bundle test of many points (``validate.prime``) answers as its per-point one."""
    items = [(f["properties"]["code"], f["geometry"]) for f in casablanca_geojson["features"]]
    locator = DistrictLocator(items)
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = locator.bounds
    lon, lat = rng.uniform(x0 - 0.05, x1 + 0.05, 2000).tolist(), rng.uniform(y0 - 0.05, y1 + 0.05, 2000).tolist()
    for code in [items[0][0], items[-1][0], "nowhere"]:
        got = locator.holds_many(code, lon, lat)
        assert got == [locator.holds(code, a, b) for a, b in zip(lon, lat)]
        assert code == "nowhere" or any(got)
    assert locator.holds_many(items[0][0], [], []) == []


def test_aggregate_rates_per_thousand():
    counts = pd.DataFrame([("d1", "hygiene", "compliant", "2026-01", 30, 0),
                           ("d1", "hygiene", "violations", "2026-02", 10, 10),
                           ("d2", "urbanism", "violations", "2026-01", 5, 5)],
                          columns=["district", "field", "outcome", "period", "inspections", "violations"])
    by_d = aggregate(counts, ["district"], {"d1": 20_000, "d2": None}).set_index("district")
    assert by_d.loc["d1", "inspections"] == 40 and by_d.loc["d1", "inspections_per_1000"] == 2.0
    assert by_d.loc["d1", "violations_per_1000"] == 0.5
    assert np.isnan(by_d.loc["d2", "inspections_per_1000"])  # unknown population: no rate, no crash
    by_p = aggregate(counts, ["period", "field"])
    assert by_p.set_index(["period", "field"]).loc[("2026-01", "hygiene"), "inspections"] == 30
    assert aggregate(counts.iloc[0:0], ["district"], {}).empty
    with pytest.raises(ValueError):
        aggregate(counts, ["colour"])
    assert period_of("2026-05-03T10:00:00Z", "quarter") == "2026-Q2"


COLUMNS = ("id", "field_code", "finding_count", "note", "lon", "lat")


def rows(n):
    return [(f"id{i}", "hygiene" if i % 2 else "urbanism", i % 3, "محضر" if i % 5 else None, -7.6 + i * 1e-4, 33.55)
            for i in range(n)]


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv"])
def test_export_reads_back(tmp_path, fmt):
    data = rows(2500)
    out = tmp_path / f"x.{fmt}"
    n = export_points(out, fmt, COLUMNS, [data[:1000], data[1000:]])
    assert n == 2500 and not list(tmp_path.glob(".*part*"))
    if fmt == "csv":
        with out.open(encoding="utf-8-sig") as fh:
            back = list(csv.DictReader(fh))
        assert len(back) == 2500 and back[1]["note"] == "محضر" and float(back[2]["lon"]) == pytest.approx(-7.5998)
        return
    gdf = pyogrio.read_dataframe(out)
    assert len(gdf) == 2500 and gdf.crs.to_epsg() == 4326
    assert gdf.loc[1, "note"] == "محضر" and pd.isna(gdf.loc[0, "note"])
    assert gdf.geometry[2].x == pytest.approx(-7.5998)
    if fmt == "gpkg":
        assert str(gdf["finding_count"].dtype).startswith("int")


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin not installed")
@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_ogrinfo_opens_exports_without_complaint(tmp_path, fmt):
    out = tmp_path / f"x.{fmt}"
    export_points(out, fmt, COLUMNS, [rows(50)])
    done = subprocess.run(["ogrinfo", "-so", "-al", str(out)], capture_output=True, text=True)
    assert done.returncode == 0 and "Feature Count: 50" in done.stdout
    assert "Warning" not in done.stderr and "ERROR" not in done.stderr, done.stderr


def test_cancelled_export_leaves_nothing(tmp_path):
    seen: list = []  # cancelled after the first chunk was written
    out = tmp_path / "x.gpkg"
    out.write_text("the previous export")  # a file already there stays as it was
    with pytest.raises(ExportCancelled):
        export_points(out, "gpkg", COLUMNS, [rows(10), rows(10)], cancelled=lambda: seen.append(1) or len(seen) > 2)
    assert out.read_text() == "the previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["x.gpkg"]


def test_export_tells_done_and_total_and_polls_cancelled(tmp_path):
    out = tmp_path / "x.csv"
    seen = []
    assert export_points(out, "csv", COLUMNS, [rows(10), rows(10), rows(5)],
                         progress=lambda done, total: seen.append((done, total)), total=25) == 25
    assert seen == [(10, 25), (20, 25), (25, 25)]
    seen.clear()
    with pytest.raises(CancelledError) as raised:  # the one cancellation family of the application
        export_points(out, "csv", COLUMNS, [rows(10), rows(10), rows(5)],
                      progress=lambda done, total: seen.append(done), cancelled=lambda: len(seen) >= 1)
    assert isinstance(raised.value, ExportCancelled) and seen == [10]
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"] and len(out.read_text(encoding="utf-8-sig").splitlines()) == 26


def test_geojson_is_valid_json(tmp_path):
    out = tmp_path / "x.geojson"
    export_points(out, "geojson", COLUMNS, [rows(3), [], rows(2)])
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["features"]) == 5 and doc["features"][0]["geometry"]["type"] == "Point"
