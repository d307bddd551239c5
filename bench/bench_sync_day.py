"""An officer's day synced (issue 12): 40 inspections with 80 findings, no photos, written on an
enrolled tablet, then export → hub ingest → receipt applied. Also: what capturing the outbox adds
to writing the day (the same inspections on a standalone commune). Needs PostgreSQL on
127.0.0.1:5432 (trust). Run from the repository root: ``.venv/bin/python bench/bench_sync_day.py``."""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop.domain.catalogue import load_catalogue  # noqa: E402
from desktop.hub import ingest  # noqa: E402
from desktop.services import sync  # noqa: E402
from tests.builders import make_inspection, new_commune  # noqa: E402
from tests.desktop.hub.helpers import device, make_team, new_device  # noqa: E402
from tests.pg import temporary_database  # noqa: E402

from common import timed_push  # noqa: E402


def write_day(path: Path, team, catalogue, user: str = "agent1", n: int = 40) -> float:
    start = time.perf_counter()
    with device(path, user) as c:
        for i in range(n):
            make_inspection(c.store, c.user, catalogue, team.sites[0], field_code="hygiene",
                            findings=["HYG-01", "HYG-02"], notes=f"visite {i}",
                            inspected_at=f"2026-{1 + i // 200 % 12:02d}-{1 + i // 8 % 25:02d}T{8 + i % 8:02d}:{i % 60:02d}:00Z")
    return time.perf_counter() - start


def one_run(root: Path, template: Path, catalogue) -> dict:
    with temporary_database("cp_bench") as pg_url:
        team = make_team(root, template, pg_url)
        tablet = new_device(team, root, "agent1")
        standalone = root / "standalone.sqlite"
        shutil.copy(team.seed, standalone)
        t_plain = write_day(standalone, team, catalogue)
        t_captured = write_day(tablet, team, catalogue)
        with device(tablet) as c:
            data, _receipt, summary, took = timed_push(c, pg_url)
        return {"ops": summary["acknowledged"], "bytes": len(data), "export": took["make_bundle"],
                "ingest": took["ingest"], "receipt": took["receipt"], "total": took["push"],
                "write_plain": t_plain, "write_captured": t_captured}


def copy_floor(pg_url: str) -> float:
    """A bare COPY of the rows the day added at the hub (inspections, findings, case links) into
    scratch tables: the floor an ingest is compared with."""
    import psycopg
    with psycopg.connect(pg_url) as conn:
        rows = {t: conn.execute(f'SELECT * FROM "{t}" WHERE hub_seq > 1').fetchall()
                for t in ("inspection", "finding", "case_finding")}
        start = time.perf_counter()
        with conn.transaction():
            for table, found in rows.items():
                conn.execute(f'CREATE TEMP TABLE scratch_{table} (LIKE "{table}")')
                with conn.cursor().copy(f"COPY scratch_{table} FROM STDIN") as copy:
                    for row in found:
                        copy.write_row(row)
        return time.perf_counter() - start


def big(n: int) -> None:
    """``--inspections N``: one device's N inspections (2 findings each) in one bundle."""
    catalogue = load_catalogue()
    root = Path(tempfile.mkdtemp(prefix="cp-bench-sync-"))
    try:
        template = root / "empty.sqlite"
        new_commune(template)
        with temporary_database("cp_bench") as pg_url:
            team = make_team(root, template, pg_url)
            tablet = new_device(team, root, "agent1")
            write_day(tablet, team, catalogue, n=n)
            with device(tablet) as c:
                data = sync.make_bundle(c)
                start = time.perf_counter()
                receipt = ingest(pg_url, data)
                took = time.perf_counter() - start
                ops = sync.apply_receipt(c, receipt)["acknowledged"]
            floor = copy_floor(pg_url)
        print(f"{n} inspections: {ops} ops ingested in {took:.2f} s ({ops / took:,.0f} ops/s);"
              f" bare COPY of the same rows {floor:.3f} s: {took / floor:.0f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    if "--inspections" in sys.argv:
        big(int(sys.argv[sys.argv.index("--inspections") + 1]))
        return
    catalogue = load_catalogue()
    runs = []
    for _ in range(5):
        root = Path(tempfile.mkdtemp(prefix="cp-bench-sync-"))
        try:
            template = root / "empty.sqlite"
            new_commune(template)
            runs.append(one_run(root, template, catalogue))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"officer's day: {med['ops']:.0f} ops, bundle {med['bytes'] / 1024:.0f} KiB")
    print(f"  export {med['export'] * 1000:.0f} ms, hub ingest {med['ingest'] * 1000:.0f} ms,"
          f" receipt {med['receipt'] * 1000:.0f} ms: total {med['total'] * 1000:.0f} ms (median of {len(runs)})")
    print(f"  writing the day: {med['write_plain'] * 1000:.0f} ms standalone, {med['write_captured'] * 1000:.0f} ms"
          f" enrolled (outbox capture: {med['write_captured'] / med['write_plain']:.2f}x)")


if __name__ == "__main__":
    main()
