"""Demo build rate for 1,000,000 inspections, with the bare SQLite floor measured in the same run:
the same number of rows of the same width inserted with one executemany into an index-free table."""
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

from common import record

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000


def bare_floor(n: int, folder: Path) -> float:
    conn = sqlite3.connect(folder / "bare.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (" + ", ".join(f"c{i}" for i in range(24)) + ")")
    row = (str(uuid.uuid4()), "hygiene", str(uuid.uuid4()), "2026-01-01T10:00:00Z", str(uuid.uuid4()),
           str(uuid.uuid4()), -7.6, 33.5, str(uuid.uuid4()), '{"HYG-C01":"yes","HYG-C02":"no"}', "", "compliant",
           "programme", "PRG-2026-S01", "", None, 0, "2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z",
           str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()), 1, None)
    t = time.perf_counter()
    for start in range(0, n, 50_000):
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * 24)})",
                         ((str(uuid.uuid4()),) + row[1:] for _ in range(min(50_000, n - start))))
        conn.execute("COMMIT")
    return time.perf_counter() - t


def main() -> None:
    from desktop.demo import build_demo
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        floor = bare_floor(N, folder)
        t = time.perf_counter()
        build_demo(folder / "demo.sqlite", inspections=N)
        took = time.perf_counter() - t
        size_mb = (folder / "demo.sqlite").stat().st_size / 2**20
    record("demo_build", {
        "inspections": N, "seconds": round(took, 1), "inspections_per_s": round(N / took),
        "bare_insert_floor_s": round(floor, 1), "ratio_to_floor": round(took / floor, 2),
        "db_size_mb": round(size_mb), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})


if __name__ == "__main__":
    main()
