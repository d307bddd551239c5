"""`commune-police check` on a 100,000-inspection demo: wall and CPU time, median of N runs.

    ../.venv/bin/python -m desktop demo --db /tmp/check100k.sqlite --inspections 100000   # once
    cd bench && ../.venv/bin/python bench_check.py /tmp/check100k.sqlite [runs]
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop.store.check import check_store
from desktop.store.db import open_store


def main() -> None:
    path, runs = Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5
    walls, cpus = [], []
    for _ in range(runs):
        with open_store(path, readonly=True) as store:
            wall, cpu = time.perf_counter(), time.process_time()
            report = check_store(store)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        assert report.ok, report.problems
    print(f"check {report.counts['rows checked']:,} rows: wall median {statistics.median(walls):.2f} s"
          f" (min {min(walls):.2f}, max {max(walls):.2f}), CPU median {statistics.median(cpus):.2f} s, {runs} runs")


if __name__ == "__main__":
    main()
