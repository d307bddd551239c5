"""The local projection: a round trip, and distances against the WGS84 ellipsoid."""
import math

import numpy as np
import pyproj
import pytest

from maps.projection import EARTH_M_PER_DEG, LocalProjection

CASABLANCA = (-7.70, 33.50, -7.50, 33.65)


def test_around_is_centred_on_the_bounds():
    p = LocalProjection.around(CASABLANCA)
    assert (p.lon0, p.lat0) == pytest.approx((-7.60, 33.575))
    assert p.forward(-7.60, 33.575) == pytest.approx((0.0, 0.0))


def test_forward_then_inverse_is_the_identity():
    p = LocalProjection.around(CASABLANCA)
    rng = np.random.default_rng(8)
    lon, lat = rng.uniform(-7.9, -7.3, 10_000), rng.uniform(33.3, 33.9, 10_000)
    x, y = p.forward(lon, lat)
    back_lon, back_lat = p.inverse(x, y)
    assert np.allclose(back_lon, lon, rtol=0, atol=1e-12) and np.allclose(back_lat, lat, rtol=0, atol=1e-12)
    assert p.inverse(*p.forward(-7.61, 33.59)) == pytest.approx((-7.61, 33.59), abs=1e-12)


def test_axes_point_east_and_north_with_known_lengths():
    p = LocalProjection(-7.6, 33.57)
    x, y = p.forward(-6.6, 33.57)
    assert x == pytest.approx(EARTH_M_PER_DEG * math.cos(math.radians(33.57))) and y == 0.0
    assert x == pytest.approx(92_753, abs=1)  # one degree of longitude at Casablanca
    x, y = p.forward(-7.6, 34.57)
    assert x == 0.0 and y == pytest.approx(111_320.0)


@pytest.mark.parametrize("a, b", [((-7.65, 33.57), (-7.55, 33.57)),    # east-west, 9 km
                                  ((-7.60, 33.50), (-7.60, 33.65)),    # north-south, 17 km
                                  ((-7.70, 33.50), (-7.50, 33.65)),    # across the city, 25 km
                                  ((-7.62, 33.58), (-7.619, 33.581))])  # a street, 145 m
def test_distances_within_half_a_percent_of_the_ellipsoid(a, b):
    p = LocalProjection.around(CASABLANCA)
    (x0, y0), (x1, y1) = p.forward(*a), p.forward(*b)
    _az, _back, geodesic = pyproj.Geod(ellps="WGS84").inv(a[0], a[1], b[0], b[1])
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(geodesic, rel=0.005)
