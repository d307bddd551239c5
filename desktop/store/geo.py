"""What the geo engine needs from the database: points for the map, counts for aggregation,
rows for export. Plain values out (numpy arrays, DataFrames, tuples); the engine stays in maps/."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from desktop.store.db import Store
from desktop.store.inspections import InspectionFilter
from maps.points import PointSet  # the type inspection_points returns; it lives with the engine

EXPORT_COLUMNS = ("id", "inspected_at", "field_code", "outcome", "origin_type", "district_code",
                  "district_fr", "district_ar", "outside_district", "site_kind", "site_name",
                  "finding_count", "violation_codes", "lon", "lat")
FETCH = 50_000


def _where(filt: InspectionFilter | None) -> tuple[str, list]:
    where, params = (filt or InspectionFilter()).conditions()
    return " AND ".join(f"({w})" for w in where), params


def inspection_points(store: Store, filt: InspectionFilter | None = None) -> PointSet:
    """Every located inspection matching ``filt``, for the map (a million rows in about a second)."""
    where, params = _where(filt)
    field_codes = [r[0] for r in store.conn.execute("SELECT DISTINCT field_code FROM inspection ORDER BY 1")]
    outcome_codes = ["compliant", "violations", "awareness", "closed", "refused"]
    # Codes become indexes inside SQLite, as parameters: a code is data, never SQL text.
    f_case = " ".join("WHEN ? THEN ?" for _ in field_codes)
    o_case = " ".join("WHEN ? THEN ?" for _ in outcome_codes)
    sql = (f"SELECT i.rowid, i.lon, i.lat, CASE i.field_code {f_case} ELSE -1 END,"
           f" CASE i.outcome {o_case} ELSE -1 END, i.outside_district"
           f" FROM inspection i WHERE {where} AND i.lon IS NOT NULL AND i.lat IS NOT NULL")
    pairs = [v for n, c in enumerate(field_codes) for v in (c, n)] + [v for n, c in enumerate(outcome_codes) for v in (c, n)]
    dtype = [("rowid", "i8"), ("lon", "f8"), ("lat", "f8"), ("field", "i2"), ("outcome", "i2"), ("outside", "?")]
    table = np.fromiter(store.conn.execute(sql, [*pairs, *params]), dtype=dtype)
    arrays = {name: np.ascontiguousarray(table[name]) for name, _ in dtype}
    return PointSet(**arrays, field_codes=field_codes, outcome_codes=outcome_codes)


def count_frame(store: Store, filt: InspectionFilter | None = None, granularity: str = "month"):
    """Partial counts per district, field, outcome and period (input of maps.aggregate)."""
    import pandas as pd
    where, params = _where(filt)
    period = {"month": "substr(i.inspected_at, 1, 7)", "year": "substr(i.inspected_at, 1, 4)",
              "quarter": "substr(i.inspected_at, 1, 4) || '-Q' || ((CAST(substr(i.inspected_at, 6, 2) AS INTEGER) + 2) / 3)"}[granularity]
    rows = store.conn.execute(
        f"SELECT i.district_id, i.field_code, i.outcome, {period}, count(*), sum(i.finding_count > 0)"
        f" FROM inspection i WHERE {where} GROUP BY 1, 2, 3, 4", params).fetchall()
    return pd.DataFrame(rows, columns=["district", "field", "outcome", "period", "inspections", "violations"])


def district_population(store: Store) -> dict[str, int | None]:
    return {r[0]: r[1] for r in store.conn.execute("SELECT id, population FROM district WHERE deleted_at IS NULL")}


def district_rows(store: Store) -> list[tuple[str, str, str, int | None, dict]]:
    """The live districts that have a geometry, by French name: (id, name_ar, name_fr, population,
    GeoJSON geometry), the input of maps.scene.Scene."""
    rows = store.query("SELECT id, name_ar, name_fr, population, geometry FROM district"
                       " WHERE deleted_at IS NULL AND geometry IS NOT NULL ORDER BY name_fr")
    return [(r["id"], r["name_ar"], r["name_fr"], r["population"], json.loads(r["geometry"])) for r in rows]


def district_rates(store: Store, measure: str, filt: InspectionFilter | None = None) -> dict[str, float]:
    """Inspections or violations (``measure``) per 1,000 inhabitants per district id; NaN where
    the population is unknown. Districts without a matching inspection are absent."""
    from maps.aggregate import aggregate  # pandas: not on the start-up path
    table = aggregate(count_frame(store, filt), ["district"], district_population(store))
    return {d: float(v) for d, v in zip(table["district"], table[f"{measure}_per_1000"])}


def export_rows(store: Store, filt: InspectionFilter | None = None) -> Iterator[list[tuple]]:
    where, params = _where(filt)
    cursor = store.conn.execute(
        "SELECT i.id, i.inspected_at, i.field_code, i.outcome, i.origin_type, d.code, d.name_fr, d.name_ar,"
        " i.outside_district, s.kind, s.name, i.finding_count,"
        " (SELECT group_concat(f.violation_code, ';') FROM finding f WHERE f.inspection_id = i.id"
        "   AND f.deleted_at IS NULL), i.lon, i.lat"
        " FROM inspection i JOIN site s ON s.id = i.site_id LEFT JOIN district d ON d.id = i.district_id"
        f" WHERE {where} AND i.lon IS NOT NULL ORDER BY i.inspected_at", params)
    while chunk := cursor.fetchmany(FETCH):
        yield chunk


def export_inspections(store: Store, path: Path, fmt: str, filt: InspectionFilter | None = None,
                       progress: Callable[[int, int | None], None] | None = None,
                       cancelled: Callable[[], bool] | None = None, total: int | None = None) -> int:
    """Inspections with their district and findings to GeoPackage, GeoJSON or CSV; ``progress``
    and ``cancelled`` as in ``maps.export.export_points``.

    Owners' names and ID numbers are left out: this export is for mapping and analysis."""
    from maps.export import export_points
    return export_points(path, fmt, EXPORT_COLUMNS, export_rows(store, filt), progress=progress,
                         cancelled=cancelled, total=total)
