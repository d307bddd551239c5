"""A full-commune station's first pull at the commune's scale (issue 12): in pages (``hub.pull.Page``)
against one body, each timed, with the peak memory of the station's process and of the hub's.

The demo hub (3,000 inspections) is grown inside PostgreSQL to ``--inspections`` (each inspection
and its findings copied under new ids, as devices would have pushed them), kept as a template. Each
run serves a fresh copy with ``hub serve`` (a subprocess, one worker) and enrols a coordinator's
station over HTTP in a child process (``netsync.enroll_device``: an encrypted replica, its first
pull, the files fetched), as ``device enroll`` does. "one body": the same hub with ``PAGE_ROWS``
beyond the commune (the pull before pages); a run that fails reports what the station's user
would read (the last line of its error). Modes alternate, ``--rounds`` times. ``--keep-template``:
a grown hub kept from an earlier run (``--keep`` keeps the one this run grows).

    cd bench && flock /tmp/cp-bench.lock env PYTHONPATH=.. ../.venv/bin/python bench_station_pull.py \\
        --inspections 1000000 [--rounds 1] [--keep-template NAME]

Needs PostgreSQL on 127.0.0.1:5432 (trust)."""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg

import bench_hub
from bench_hub import BASE
from bench_ingest_inproc import _admin, seed_hub

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.desktop.hub.server import free_port  # noqa: E402 - the tests' loopback port picker

ONE_BODY = 10 ** 9  # PAGE_ROWS beyond any commune: the pull before pages


def grow(template: str, inspections: int) -> dict:
    """The template's inspections and findings copied under new ids until it holds ``inspections``."""
    with psycopg.connect(f"{BASE}/{template}", autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM inspection").fetchone()[0]
        copies = max(0, -(-inspections // have) - 1)
        cols = {t: [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name NOT IN"
            " ('id', 'hub_seq') ORDER BY ordinal_position", (t,))] for t in ("inspection", "finding")}
        t = time.perf_counter()
        conn.execute("CREATE TABLE grow_map AS SELECT id AS old, gen_random_uuid()::text AS new FROM inspection,"
                     " generate_series(1, %s) AS k LIMIT %s", (copies, max(0, inspections - have)))
        names = ", ".join(f'"{c}"' for c in cols["inspection"])
        values = ", ".join(f'i."{c}"' for c in cols["inspection"])
        conn.execute(f"INSERT INTO inspection (id, {names}) SELECT m.new, {values}"
                     " FROM grow_map m JOIN inspection i ON i.id = m.old")
        rest = [c for c in cols["finding"] if c != "inspection_id"]
        names, values = ", ".join(f'"{c}"' for c in rest), ", ".join(f'f."{c}"' for c in rest)
        conn.execute(f"INSERT INTO finding (id, inspection_id, {names}) SELECT gen_random_uuid()::text, m.new, {values}"
                     " FROM grow_map m JOIN finding f ON f.inspection_id = m.old")
        conn.execute("DROP TABLE grow_map")
        conn.execute("VACUUM ANALYZE")
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("inspection", "finding")}
        return {**counts, "grow_s": round(time.perf_counter() - t, 1)}


SERVE = ("import importlib, sys; importlib.import_module('desktop.hub.pull').PAGE_ROWS = int(sys.argv[1]);"
         " from desktop.cli import main; sys.exit(main(sys.argv[2:]))")
ENROL = ("import json, resource, sys, time; from pathlib import Path; from desktop.services import netsync;"
         " t = time.perf_counter(); r = netsync.enroll_device(Path(sys.argv[1]), sys.argv[2], 'coordinateur', 'coord-demo');"
         " print(json.dumps({'s': time.perf_counter() - t, 'rows': r.pull['rows'], 'pages': r.pull.get('pages', 1),"
         " 'files': r.fetched_blobs, 'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))")


def _peak_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def one_run(template: str, page_rows: int) -> dict:
    name = f"cp_station_run_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    port = free_port()
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(page_rows), "hub", "serve", "--pg", f"{BASE}/{name}",
                               "--listen", f"127.0.0.1:{port}", "--workers", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/status", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        with tempfile.TemporaryDirectory() as folder:
            t = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", ENROL, str(Path(folder) / "station.sqlite"),
                                   f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True)
            if done.returncode:  # what the station's user would read (a timeout at this scale, say)
                result = {"s": time.perf_counter() - t, "failed": done.stderr.strip().splitlines()[-1][:300]}
            else:
                result = json.loads(done.stdout.strip().splitlines()[-1])
                result["replica_mb"] = round((Path(folder) / "station.sqlite").stat().st_size / 2 ** 20)
        result["hub_peak_mb"] = _peak_mb(server.pid)
        return {"mode": "one body" if page_rows == ONE_BODY else f"pages of {page_rows:,}", **result,
                "s": round(result["s"], 1)}
    finally:
        server.terminate()
        server.wait(30)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--inspections", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--page-rows", type=int, default=None, help="default: hub.pull.PAGE_ROWS")
    p.add_argument("--keep-template", default=None, help="a template made by an earlier run (kept, reused)")
    p.add_argument("--keep", action="store_true", help="keep the template this run grows")
    args = p.parse_args()
    page_rows = args.page_rows or importlib.import_module("desktop.hub.pull").PAGE_ROWS
    template = args.keep_template
    made = template is None
    try:
        if made:
            with tempfile.TemporaryDirectory() as cache:
                _seed, template = seed_hub(Path(cache), "cp_station_tpl")
            print(json.dumps({"template": template, **grow(template, args.inspections)}), flush=True)
        results = []
        for _ in range(args.rounds):
            for mode in (ONE_BODY, page_rows):
                results.append(one_run(template, mode))
                print(json.dumps(results[-1]), flush=True)
        one = [r for r in results if r["mode"] == "one body"]
        paged = [r for r in results if r["mode"] != "one body"]
        for a, b in zip(one, paged):
            if "failed" in a or "failed" in b:
                continue
            print(json.dumps({"time_ratio_pages_to_one": round(b["s"] / a["s"], 2),
                              "station_peak_ratio": round(b["peak_mb"] / a["peak_mb"], 2),
                              "hub_peak_ratio": round(b["hub_peak_mb"] / max(1, a["hub_peak_mb"]), 2)}), flush=True)
    finally:
        if made and template and not args.keep:
            bench_hub.drop(template)


if __name__ == "__main__":
    sys.exit(main())
