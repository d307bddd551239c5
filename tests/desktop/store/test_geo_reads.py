"""The map's reads in store/geo (districts, points, rates), checked against plain SQL on the demo."""
import math

import numpy as np
import pytest

from desktop.store.geo import district_rates, district_rows, inspection_points
from desktop.store.inspections import InspectionFilter


def test_district_rows_are_the_live_districts_with_a_geometry(store):
    rows = district_rows(store)
    assert len(rows) == 16 and [r[2] for r in rows] == sorted(r[2] for r in rows)
    assert all(r[4]["type"] in ("Polygon", "MultiPolygon") for r in rows)
    anfa, other = rows[0][0], rows[1][0]
    store.conn.execute("UPDATE district SET deleted_at = '2026-07-01T00:00:00Z' WHERE id = ?", (anfa,))
    store.conn.execute("UPDATE district SET geometry = NULL WHERE id = ?", (other,))
    assert {r[0] for r in district_rows(store)} == {r[0] for r in rows} - {anfa, other}


@pytest.mark.parametrize("measure, counted", [("inspections", "count(*)"), ("violations", "sum(finding_count > 0)")])
def test_rates_per_thousand_match_sql(store, measure, counted):
    expected = {d: n * 1000 / pop for d, n, pop in store.conn.execute(
        f"SELECT i.district_id, {counted}, d.population FROM inspection i JOIN district d ON d.id = i.district_id"
        " WHERE i.deleted_at IS NULL GROUP BY 1")}
    got = district_rates(store, measure)
    assert got.keys() == expected.keys() and len(got) == 16
    assert all(got[d] == pytest.approx(v) for d, v in expected.items())


def test_rates_follow_the_filter_and_unknown_population_is_nan(store):
    district = district_rows(store)[0][0]
    store.conn.execute("UPDATE district SET population = NULL WHERE id = ?", (district,))
    store.conn.commit()
    filt = InspectionFilter(field_code="hygiene")
    rates = district_rates(store, "inspections", filt)
    assert math.isnan(rates[district])
    n, pop = store.conn.execute(
        "SELECT count(*), d.population FROM inspection i JOIN district d ON d.id = i.district_id"
        " WHERE i.field_code = 'hygiene' AND d.id = ?", (district_rows(store)[1][0],)).fetchone()
    assert rates[district_rows(store)[1][0]] == pytest.approx(n * 1000 / pop)


def test_points_follow_the_filter(store):
    points = inspection_points(store)
    assert len(points) == 3000 and np.array_equal(np.sort(points.rowid), points.rowid)
    filt = InspectionFilter(outcome="violations")
    some = inspection_points(store, filt)
    assert 0 < len(some) < 3000 and set(some.outcome.tolist()) == {points.outcome_codes.index("violations")}
