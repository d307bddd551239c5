"""The annual report for a year of 1,000,000 inspections: total time and peak memory, and the
time as a ratio to the bare SQL aggregation queries it needs, run on the same file (target: at
most 3x the SQL floor; peak memory under 1 GB)."""
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

from common import ensure_big_db, record

FLOOR_QUERIES = [
    "SELECT count(*) FROM inspection WHERE inspected_at >= :a AND inspected_at < :b",
    "SELECT field_code, count(*) FROM inspection WHERE inspected_at >= :a AND inspected_at < :b GROUP BY 1",
    "SELECT substr(inspected_at, 1, 7), count(*) FROM inspection WHERE inspected_at >= :a AND inspected_at < :b GROUP BY 1",
    "SELECT origin_type, count(*) FROM inspection WHERE inspected_at >= :a AND inspected_at < :b GROUP BY 1",
    "SELECT outcome, count(*) FROM inspection WHERE inspected_at >= :a AND inspected_at < :b GROUP BY 1",
    "SELECT f.violation_code, count(*) FROM finding f JOIN inspection i ON i.id = f.inspection_id"
    " WHERE i.inspected_at >= :a AND i.inspected_at < :b GROUP BY 1",
    "SELECT district_id, count(*), sum(outcome = 'violations') FROM inspection WHERE inspected_at >= :a AND inspected_at < :b GROUP BY 1",
    "SELECT CAST(lon / 0.004 AS INTEGER), CAST(lat / 0.004 AS INTEGER), count(*) FROM inspection"
    " WHERE inspected_at >= :a AND inspected_at < :b GROUP BY 1, 2",
    "SELECT lead_officer_id, count(*), count(DISTINCT substr(inspected_at, 1, 10)) FROM inspection"
    " WHERE inspected_at >= :a AND inspected_at < :b GROUP BY 1",
    "SELECT count(*) FROM inspection WHERE inspected_at >= :pa AND inspected_at < :a",
]


def main() -> None:
    db = ensure_big_db()
    from desktop.domain.catalogue import load_catalogue
    from desktop.services.report import write_report
    from desktop.store.db import open_store
    from desktop.store.indicators import Scope
    with open_store(db, readonly=True) as store:
        last = store.scalar("SELECT max(inspected_at) FROM inspection")[:10]
    from datetime import date, timedelta
    end = date.fromisoformat(last) + timedelta(days=1)
    scope = Scope(end - timedelta(days=365), end)
    params = {"a": f"{scope.start}T00:00:00Z", "b": f"{scope.end}T00:00:00Z", "pa": f"{scope.previous().start}T00:00:00Z"}
    conn = sqlite3.connect(db)
    for q in FLOOR_QUERIES:  # warm the cache for both sides
        conn.execute(q, params).fetchall()
    t = time.perf_counter()
    for q in FLOOR_QUERIES:
        conn.execute(q, params).fetchall()
    floor = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp, open_store(db, readonly=True) as store:
        catalogue = load_catalogue()
        t = time.perf_counter()
        size = write_report(store, catalogue, scope, "ar", Path(tmp) / "rapport.pdf")
        app = time.perf_counter() - t
    record("annual_report", {
        "inspections_in_year": conn.execute(FLOOR_QUERIES[0], params).fetchone()[0],
        "report_s": round(app, 2), "sql_floor_s": round(floor, 2), "ratio": round(app / floor, 2), "target_ratio": 3,
        "pdf_kb": size // 1024, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "target_rss_mb": 1024})


if __name__ == "__main__":
    main()
