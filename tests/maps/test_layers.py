"""Importing district layers: every bad file is refused with its reason, fixable ones are fixed."""
import json

import pytest
import shapely
from shapely.geometry import Point, Polygon, box, shape

from maps.layers import LayerError, load_district_layer

CASA = (-7.7512537, 33.493336, -7.4574251, 33.640931)


def code_of(path, **kw) -> str:
    with pytest.raises(LayerError) as err:
        load_district_layer(path, **kw)
    return err.value.code


def test_shipped_layer_loads_with_names_and_population(casablanca_geojson, tmp_path):
    path = tmp_path / "casa.geojson"
    path.write_text(json.dumps(casablanca_geojson), encoding="utf-8")
    layer = load_district_layer(path, reference_bounds=CASA)
    assert len(layer.features) == 16 and layer.warnings == []
    anfa = next(f for f in layer.features if f.name_fr == "Anfa")
    assert anfa.name_ar == "أنفا" and anfa.population == 66202 and anfa.code == "061410101"


@pytest.mark.parametrize("driver,name", [("GPKG", "d.gpkg"), ("ESRI Shapefile", "d.shp"), ("GeoJSON", "d.geojson")])
def test_three_formats(write_layer, driver, name):
    path = write_layer(name, [box(-7.6, 33.5, -7.55, 33.55), box(-7.55, 33.5, -7.5, 33.55)], driver=driver)
    layer = load_district_layer(path)
    assert [f.name_fr for f in layer.features] == ["D0", "D1"] and layer.features[1].population == 2000


def test_projected_layer_is_reprojected_to_lonlat(write_layer):
    import geopandas
    lonlat = geopandas.GeoSeries([box(-7.6, 33.5, -7.55, 33.55)], crs=4326).to_crs(26191)
    path = write_layer("merchich.gpkg", list(lonlat), driver="GPKG", crs="EPSG:26191")
    layer = load_district_layer(path)
    x0, y0, x1, y1 = shape(layer.features[0].geometry).bounds
    assert abs(x0 + 7.6) < 1e-4 and abs(y1 - 33.55) < 1e-4


def test_shapefile_without_prj_in_metres_is_refused(write_layer):
    path = write_layer("m.shp", [box(300000, 330000, 305000, 335000)], driver="ESRI Shapefile", crs=None)
    assert code_of(path) == "no_crs"


def test_shapefile_without_prj_in_lonlat_is_assumed_with_a_warning(write_layer):
    path = write_layer("ll.shp", [box(-7.6, 33.5, -7.55, 33.55)], driver="ESRI Shapefile", crs=None)
    assert ("crs_assumed_lonlat", {}) in load_district_layer(path).warnings


def test_shapefile_missing_its_dbf(write_layer):
    path = write_layer("x.shp", [box(-7.6, 33.5, -7.55, 33.55)], driver="ESRI Shapefile")
    path.with_suffix(".dbf").unlink()
    assert code_of(path) == "shapefile_incomplete"


def test_points_are_not_districts(write_layer):
    assert code_of(write_layer("p.geojson", [Point(-7.6, 33.5)], driver="GeoJSON")) == "not_polygon"


def test_empty_files(tmp_path):
    empty = tmp_path / "e.geojson"
    empty.write_bytes(b"")
    assert code_of(empty) == "empty"
    no_features = tmp_path / "n.geojson"
    no_features.write_text('{"type": "FeatureCollection", "features": []}')
    assert code_of(no_features) == "empty"


def test_not_a_geo_file(tmp_path):
    bad = tmp_path / "notes.geojson"
    bad.write_text("this is not geojson")
    assert code_of(bad) == "unreadable"


def test_self_intersecting_polygon_is_repaired(write_layer):
    bowtie = Polygon([(-7.6, 33.5), (-7.5, 33.6), (-7.5, 33.5), (-7.6, 33.6), (-7.6, 33.5)])
    assert not bowtie.is_valid
    layer = load_district_layer(write_layer("b.geojson", [bowtie], driver="GeoJSON"))
    assert ("geometry_repaired", {"count": 1}) in layer.warnings
    assert shapely.is_valid(shape(layer.features[0].geometry))


def test_collapsed_polygon_is_refused(tmp_path):
    flat = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name_fr": "X"},
            "geometry": {"type": "Polygon", "coordinates": [[[-7.6, 33.5], [-7.5, 33.5], [-7.55, 33.5], [-7.6, 33.5]]]}}]}
    path = tmp_path / "flat.geojson"
    path.write_text(json.dumps(flat))
    assert code_of(path) == "geometry_broken"


def test_another_city_is_flagged(write_layer):
    rabat = write_layer("rabat.geojson", [box(-6.9, 33.95, -6.8, 34.05)], driver="GeoJSON")
    layer = load_district_layer(rabat, reference_bounds=CASA)
    assert ("far_from_commune", {"km": 20}) in layer.warnings


def test_a_200_mb_file_is_refused_before_reading(tmp_path):
    huge = tmp_path / "huge.geojson"
    with huge.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)  # sparse: instant, no disk used
    assert code_of(huge) == "too_large"


def test_named_fields_must_exist(write_layer):
    path = write_layer("d.geojson", [box(-7.6, 33.5, -7.55, 33.55)], driver="GeoJSON")
    assert code_of(path, name_ar="arabic_label") == "field_missing"


def test_single_language_layer_is_accepted_with_a_warning(write_layer):
    path = write_layer("d.geojson", [box(-7.6, 33.5, -7.55, 33.55)], [{"nom": "Centre"}], driver="GeoJSON")
    layer = load_district_layer(path)
    assert layer.features[0].name_ar == layer.features[0].name_fr == "Centre"
    assert {c for c, _ in layer.warnings} == {"one_language_only", "population_missing"}
