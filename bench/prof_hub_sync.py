"""The hub's own cost of one officer's day synced (ingest, then pull), in process: time, SQL
statements, CPU (this process's and PostgreSQL's), optionally a cProfile. Warm: a pooled
connection (as ``hub serve`` lends), the catalogue and arrondissement caches made by an earlier
device's sync; ``--cold``: a new connection per call (the CLI's, the tests'). Needs PostgreSQL on
127.0.0.1:5432 (trust). From the repository root:
``env PYTHONPATH=.:bench .venv/bin/python bench/prof_hub_sync.py [--devices 11] [--cold] [--demo]
[--statements] [--profile N]``."""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sqlite3
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402

from bench_hub import _cpu_s  # noqa: E402 - one reading of /proc for both
from desktop.domain.catalogue import load_catalogue  # noqa: E402
from desktop.demo import build_demo  # noqa: E402
from desktop.hub import enroll, ingest, init_hub, pull  # noqa: E402
from desktop.hub.base import close_pools, open_pool  # noqa: E402
from desktop.services import sync  # noqa: E402
from tests.builders import new_commune  # noqa: E402
from tests.desktop.hub.helpers import device, make_team, new_device  # noqa: E402
from tests.pg import temporary_database  # noqa: E402

from bench_hub import PASSWORD, officer_work  # noqa: E402
from bench_sync_day import write_day  # noqa: E402

STATEMENTS: Counter = Counter()
BY_TEXT: Counter = Counter()  # (call, statement's start) -> seconds, when --statements
SHOW = False


def _count(cls, name: str) -> None:
    """Count every statement sent through ``cls.name`` (a round trip each; executemany: one)."""
    original = getattr(cls, name)

    def counted(self, query, *args, **kwargs):
        STATEMENTS[name] += 1
        if not SHOW:
            return original(self, query, *args, **kwargs)
        start = time.perf_counter()
        try:
            return original(self, query, *args, **kwargs)
        finally:
            BY_TEXT[(name, " ".join(str(query).split())[:90])] += time.perf_counter() - start
    setattr(cls, name, counted)


def _pg_cpu(admin: psycopg.Connection) -> float:
    """CPU seconds so far of the server processes of the hub's database (``admin``'s own left out)."""
    return sum(_cpu_s(r[0]) for r in admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"))


def _team_devices(root: Path, template: Path, pg_url: str, catalogue, args) -> list[Path]:
    """``args.devices`` tablets of the same officer, each with ``args.inspections`` of a day."""
    team = make_team(root, template, pg_url)
    tablets = [new_device(team, root, "agent1", f"tablet{k}") for k in range(args.devices)]
    for tablet in tablets:
        write_day(tablet, team, catalogue, n=args.inspections)
    return tablets


def _demo_devices(root: Path, template: Path, pg_url: str, catalogue, args) -> list[Path]:
    """``args.devices`` tablets of the demo commune's officers (bench_hub.py's concurrent run)."""
    seed = root / "seed.sqlite"
    build_demo(seed, inspections=3000, seed=3, catalogue=catalogue)
    init_hub(pg_url, seed)
    con = sqlite3.connect(seed)
    officers = [r[0] for r in con.execute("SELECT username FROM [user] WHERE role = 'officer' AND district_id IS NOT"
                                          " NULL ORDER BY username")]
    con.close()
    tablets = []
    for k in range(args.devices):
        path, username = root / f"demo{k}.sqlite", officers[k % len(officers)]
        private, public = sync.generate_device_key()
        enrolment = enroll(pg_url, username, PASSWORD, public)
        sync.enroll_local(path, {**enrolment, "device_key": private})
        with device(path) as c:
            sync.apply_pull(c, pull(pg_url, enrolment["device_id"], 0))
        officer_work(path, username, 20, 2.0)
        tablets.append(path)
    return tablets


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--devices", type=int, default=11, help="devices whose day is synced (the first one warms up)")
    p.add_argument("--profile", type=int, default=0, help="print the cProfile's N costliest functions")
    p.add_argument("--inspections", type=int, default=40)
    p.add_argument("--statements", action="store_true", help="list the statements of the last device's sync")
    p.add_argument("--cold", action="store_true", help="no pool: a new connection per call (the CLI's, the tests')")
    p.add_argument("--demo", action="store_true",
                   help="as bench_hub.py's concurrent run: a demo commune of 3,000 inspections, devices of every"
                        " arrondissement's officers with 20 inspections each, all pushed, then all pulled")
    args = p.parse_args()
    global SHOW
    SHOW = args.statements
    for cls, name in ((psycopg.Connection, "execute"), (psycopg.Cursor, "execute"), (psycopg.Cursor, "executemany"),
                      (psycopg.Cursor, "copy")):
        _count(cls, name)
    catalogue = load_catalogue()
    root = Path(tempfile.mkdtemp(prefix="cp-prof-sync-"))
    try:
        template = root / "empty.sqlite"
        new_commune(template)
        with temporary_database("cp_bench") as pg_url:
            tablets = (_demo_devices if args.demo else _team_devices)(root, template, pg_url, catalogue, args)
            bundles = []
            for tablet in tablets:
                with device(tablet) as c:
                    bundles.append((sync.make_bundle(c), sync.status(c)["device_id"], int(sync.status(c)["cursor"] or 0)))
            if args.demo:  # all pushed, then all pulled (as when they sync at once)
                bundles = [(data, None, 0) for data, _, _ in bundles] + [(None, d, c) for _, d, c in bundles]
            if not args.cold:
                open_pool(pg_url)
            profiler = cProfile.Profile()
            times: dict[str, list[float]] = {"ingest": [], "pull": []}
            cpu = {"ingest": [0.0, 0.0], "pull": [0.0, 0.0]}  # (this process, PostgreSQL) CPU seconds, summed
            admin = psycopg.connect(pg_url, autocommit=True)
            trips: dict[str, list[int]] = {"ingest": [], "pull": []}
            try:
                for k, (data, device_id, cursor) in enumerate(bundles):
                    calls = ([("ingest", lambda data=data: ingest(pg_url, data))] if data else []) \
                        + ([("pull", lambda d=device_id, c=cursor: pull(pg_url, d, c))] if device_id else [])
                    for what, call in calls:
                        STATEMENTS.clear()
                        BY_TEXT.clear()
                        if (k or args.demo) and args.profile:
                            profiler.enable()
                        pg_cpu, py_cpu, start = _pg_cpu(admin), time.process_time(), time.perf_counter()
                        call()
                        took = time.perf_counter() - start
                        py_cpu, pg_cpu = time.process_time() - py_cpu, _pg_cpu(admin) - pg_cpu
                        profiler.disable()
                        if SHOW and k in (len(bundles) - 1, len(bundles) // 2 - 1 if args.demo else -1):
                            print(f"-- {what}: {took * 1000:.1f} ms")
                            for (how, text), secs in BY_TEXT.items():
                                print(f"  {secs * 1000:6.2f} ms {how:11} {text}")
                        if k or args.demo:  # the first device's sync warms the caches up (in --demo, enrolment did)
                            times[what].append(took)
                            trips[what].append(sum(STATEMENTS.values()))
                            cpu[what][0] += py_cpu
                            cpu[what][1] += pg_cpu
            finally:
                close_pools()
                admin.close()
        print(f"{args.inspections} inspections a device, {len(times['ingest'])} devices measured"
              f" ({'a new connection each' if args.cold else 'warm, pooled'}):")
        for what in times:
            print(f"  {what}: median {statistics.median(times[what]) * 1000:.1f} ms"
                  f" (min {min(times[what]) * 1000:.1f}), {statistics.median(trips[what]):.0f} statements;"
                  f" CPU per call: hub {cpu[what][0] / len(times[what]) * 1000:.1f} ms,"
                  f" PostgreSQL {cpu[what][1] / len(times[what]) * 1000:.1f} ms")
        if args.profile:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            pstats.Stats(profiler).print_callers("encoder.py|canonical")
            pstats.Stats(profiler).print_callees("validate.py:.*(_inspection|_context)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
