import json
import warnings

import pytest

import resources


@pytest.fixture(scope="session")
def casablanca_geojson():
    return json.loads(resources.path("districts", "casablanca_arrondissements.geojson").read_text(encoding="utf-8"))


@pytest.fixture
def write_layer(tmp_path):
    """Write features (shapely geometries + properties) to a file with geopandas."""
    import geopandas

    def write(name, geometries, props=None, crs="EPSG:4326", driver=None):
        props = props or [{"name_fr": f"D{i}", "name_ar": f"م{i}", "population": 1000 * (i + 1)}
                          for i in range(len(geometries))]
        gdf = geopandas.GeoDataFrame(props, geometry=list(geometries), crs=crs)
        path = tmp_path / name
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "'crs' was not provided")  # some tests want no CRS
            gdf.to_file(path, driver=driver, engine="pyogrio")
        return path
    return write
