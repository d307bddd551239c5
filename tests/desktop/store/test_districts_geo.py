"""District layer replacement, reassignment, and the geo queries, on a real demo database."""
import json

import pytest

from desktop.domain.errors import Refusal
import shapely
from shapely.geometry import box

from desktop.cli import main
from desktop.store.check import check_store
from desktop.store.districts import assign_districts, rename_district, replace_district_layer
from desktop.store.geo import count_frame, district_population, export_inspections, inspection_points
from desktop.store.inspections import InspectionFilter
from desktop.store.users import authenticate
from maps.aggregate import aggregate
from maps.layers import LayerFeature


@pytest.fixture
def admin(store):
    return authenticate(store, "admin", "admin-demo")


def halves(store):
    """Two districts: the west and east halves of the current extent (a layer someone imports)."""
    x0, y0, x1, y1 = store.conn.execute("SELECT min(lon), min(lat), max(lon), max(lat) FROM inspection").fetchone()
    mid = (x0 + x1) / 2
    return [LayerFeature("W", "الغرب", "Ouest", 100_000, shapely.geometry.mapping(box(x0 - 0.01, y0 - 0.01, mid, y1 + 0.01))),
            LayerFeature("E", "الشرق", "Est", None, shapely.geometry.mapping(box(mid, y0 - 0.01, x1 - 0.02, y1 + 0.01)))], mid


def test_replace_layer_reassigns_everything_and_flags_outside(store, admin):
    features, mid = halves(store)
    report = replace_district_layer(store, admin, features)
    assert report.total == 3000
    names = {r["id"]: r["name_fr"] for r in store.query("SELECT id, name_fr FROM district WHERE deleted_at IS NULL")}
    assert sorted(names.values()) == ["Est", "Ouest"]
    rows = store.query("SELECT lon, district_id, outside_district FROM inspection")
    for r in rows:
        if r["outside_district"]:
            assert r["district_id"] is None
        else:
            assert names[r["district_id"]] == ("Ouest" if r["lon"] < mid else "Est")
    assert 0 < sum(r["outside_district"] for r in rows) == report.outside  # the strip cut off the east edge
    assert store.scalar("SELECT count(*) FROM district WHERE deleted_at IS NOT NULL") == 16  # tombstones
    assert check_store(store).ok
    points = inspection_points(store)
    assert len(points) == 3000 and points.outside.sum() == report.outside


def test_officer_cannot_manage_districts(store, officer):
    features, _ = halves(store)
    with pytest.raises(PermissionError):
        replace_district_layer(store, officer, features)


def test_rename_and_reassign(store, admin):
    anfa = store.query("SELECT id FROM district WHERE name_fr = 'Anfa'")[0]["id"]
    rename_district(store, admin, anfa, "أنفا الكبرى", "Grand Anfa")
    assert store.scalar("SELECT name_fr FROM district WHERE id = ?", (anfa,)) == "Grand Anfa"
    with pytest.raises(Refusal, match="district_names_required"):
        rename_district(store, admin, anfa, "", "x")
    # Scramble one inspection's district; assignment puts it back from its location.
    iid, right = store.query("SELECT id, district_id FROM inspection LIMIT 1")[0].values()
    other = store.query("SELECT id FROM district WHERE id != ? LIMIT 1", (right,))[0]["id"]
    store.conn.execute("UPDATE inspection SET district_id = ? WHERE id = ?", (other, iid))
    report = assign_districts(store, admin)
    assert store.scalar("SELECT district_id FROM inspection WHERE id = ?", (iid,)) == right
    assert report.changed >= 1 and report.total == 3000


def test_counts_match_an_independent_count(store):
    table = aggregate(count_frame(store), ["district", "field"], district_population(store))
    row = table[(table["field"] == "hygiene")].sort_values("inspections").iloc[-1]
    expected = store.scalar("SELECT count(*) FROM inspection WHERE district_id = ? AND field_code = 'hygiene'",
                            (row["district"],))
    assert row["inspections"] == expected
    pop = store.scalar("SELECT population FROM district WHERE id = ?", (row["district"],))
    assert row["inspections_per_1000"] == pytest.approx(expected / pop * 1000)
    year = aggregate(count_frame(store, InspectionFilter(date_from="2026-01-01T00:00:00Z"), "year"), ["period"])
    assert year["period"].tolist() == ["2026"]


def test_export_carries_district_and_findings(store, tmp_path):
    import pyogrio
    out = tmp_path / "insp.gpkg"
    n = export_inspections(store, out, "gpkg", InspectionFilter(field_code="public_domain"))
    gdf = pyogrio.read_dataframe(out)
    assert len(gdf) == n == store.scalar("SELECT count(*) FROM inspection WHERE field_code = 'public_domain'")
    with_codes = gdf[gdf["finding_count"] > 0].iloc[0]
    codes = store.scalar("SELECT group_concat(violation_code, ';') FROM finding WHERE inspection_id = ?", (with_codes["id"],))
    assert sorted(with_codes["violation_codes"].split(";")) == sorted(codes.split(";"))
    assert set(gdf["district_fr"].dropna()) <= {r["name_fr"] for r in store.query("SELECT name_fr FROM district")}
    assert "owner_name" not in gdf.columns and "owner_id_number" not in gdf.columns


def test_cli_districts_import_refuses_another_city_without_force(demo_path, tmp_path, monkeypatch, capsys):
    rabat = tmp_path / "rabat.geojson"
    rabat.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"name_fr": "Agdal", "name_ar": "أكدال"},
        "geometry": shapely.geometry.mapping(box(-6.87, 33.98, -6.83, 34.01))}]}), encoding="utf-8")
    before = sorted(r[0] for r in __import__("sqlite3").connect(demo_path).execute("SELECT id FROM district"))
    assert main(["districts", "import", str(rabat), "--db", str(demo_path)]) == 2
    err = capsys.readouterr().err
    assert "autre ville" in err and "--force" in err
    after = sorted(r[0] for r in __import__("sqlite3").connect(demo_path).execute("SELECT id FROM district"))
    assert before == after  # the current layer is untouched


def test_cli_districts_import_bad_file_leaves_layer(demo_path, tmp_path, capsys):
    bad = tmp_path / "pts.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name_fr": "x"},
                               "geometry": {"type": "Point", "coordinates": [-7.6, 33.5]}}]}))
    assert main(["districts", "import", str(bad), "--db", str(demo_path)]) == 2
    assert "polygones" in capsys.readouterr().err


def test_cli_districts_import_replaces_with_password(demo_path, tmp_path, monkeypatch, capsys):
    import resources
    monkeypatch.setenv("COMMUNE_POLICE_PASSWORD", "admin-demo")
    src = resources.path("districts", "casablanca_arrondissements.geojson")
    assert main(["districts", "import", str(src), "--db", str(demo_path)]) == 0
    assert "3000" in capsys.readouterr().out.replace(" ", "").replace(",", "")
    assert main(["check", "--db", str(demo_path)]) == 0


def test_cli_map_and_export(demo_path, tmp_path, capsys):
    png, pdf, csv_out = tmp_path / "m.png", tmp_path / "m.pdf", tmp_path / "i.csv"
    assert main(["map", "--db", str(demo_path), "--out", str(png), "--mode", "choropleth", "--size", "800x600"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage
    image = QImage(str(png))
    assert (image.width(), image.height()) == (800, 600)
    assert main(["--lang", "fr", "map", "--db", str(demo_path), "--out", str(pdf), "--year", "2026",
                 "--field", "hygiene"]) == 0
    import subprocess
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Anfa" in text and "Hygiène" in text
    assert main(["inspections", "export", "--db", str(demo_path), "--format", "csv", "--out", str(csv_out)]) == 0
    assert len(csv_out.read_text(encoding="utf-8-sig").splitlines()) == 3001
    assert main(["map", "--db", str(demo_path), "--out", str(tmp_path / "m.svg")]) == 2
