"""A new device's first pull from a hub holding thousands of applied erasures (Law 09-08 retention
purge), against the same pull with none: N = 0, then 2,000, then 10,000 erased rows, one hub and
one commune in the same run (the rows pulled are the same rows; only their personal values and
the signed ``erased`` list differ).

    flock /tmp/cp-bench.lock env PYTHONPATH=$PWD /work/main/.venv/bin/python bench/bench_erasures.py \
        [--inspections 20000] [--extra-sites 10000] [--rounds 3] [--profile]     # from the tree's root

Set-up (not timed): a demo commune (``build_demo``) with ``--extra-sites`` more sites (the demo's
own builder: owner's name and id), a hub seeded from it, an administrator's station enrolled with
its replica. The erasures are made by the station as the retention purge makes them on an enrolled
station (``privacy._erase_for_hub``: one transaction per row, ``Transaction.update(erase=True)``),
then pushed (``ingest``: the hub's erase rules and scrub); only the rows are chosen here (shuffled
sites with an owner and complaints with a complainant) instead of by the purge's dates, so that N
is exact.

Timed, for each N and each scope (an officer's tablet: one arrondissement; the coordinator's
station: the whole commune), ``--rounds`` new devices each enrolled (not timed), then:
hub: ``desktop.hub.pull`` (the body read, the erasures listed and signed, sealed); device:
``sync.apply_pull`` of those bytes into its empty replica (erasures verified and kept).
Each N measured twice: as pushed (hub_op's planner statistics as autovacuum left them: the
erasures pushed seconds before are not in them), then after ``ANALYZE``.
One JSON line per (N, statistics, scope): medians, and their ratio to N = 0 in the same state;
the erasures' parts (bench-only wrappers): ``hub_lookup_s`` (``applied_erasures`` as the pull
calls it), ``hub_erased_s`` (``pull._erased``: lookup and signatures), ``dev_verify_s``
(``pulls._check_erasures``), ``dev_keep_s`` (``outbox.record_hub_erasures``). The devices enrolled
stay enrolled (about 40 by the last N).

Needs PostgreSQL on 127.0.0.1:5432 (trust auth); its database (``cp_eb_*``) is dropped after."""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import psycopg

from desktop.demo import build_demo
from desktop.demo.builder import _build_sites
from desktop.domain.catalogue import load_catalogue
from desktop.hub import commands as hub_commands, enroll, ingest, init_hub, pull
from desktop.services import privacy, pulls, sync
from desktop.store import outbox
from desktop.services.commune import open_commune
from desktop.store.users import get_user

from bench_hub import BASE, database, drop  # (this folder: the script's own, first on sys.path)

SCOPES = {"tablet": ("", "agent-demo"), "station": ("coordinateur", "coord-demo")}  # tablet: see busiest_officer




def add_sites(seed: Path, count: int) -> None:
    """``count`` more sites in the seed commune, made by the demo's own builder."""
    from maps.districts import load_shipped_districts
    features = load_shipped_districts()
    with open_commune(seed) as c:
        ids = dict(c.store.conn.execute("SELECT code, id FROM district"))
        admin = get_user(c.store, c.store.scalar("SELECT id FROM [user] WHERE username = 'admin'"))
        pop = np.array([f.population or 1 for f in features], dtype=float)
        _build_sites(c.store, admin, {"id": [ids[f.code] for f in features], "features": features,
                                      "weight": pop / pop.sum()}, np.random.default_rng(7), count)


def busiest_officer(seed: Path) -> str:
    """An officer of the arrondissement with the most sites (the tablet that pulls the most erasures)."""
    con = sqlite3.connect(seed)
    name = con.execute("SELECT min(u.username) FROM [user] u WHERE u.role = 'officer' AND u.district_id ="
                       " (SELECT district_id FROM site GROUP BY district_id ORDER BY count(*) DESC LIMIT 1)").fetchone()[0]
    con.close()
    return name


def new_device(pg_url: str, path: Path, username: str, password: str) -> str:
    private, public = sync.generate_device_key()
    enrolment = enroll(pg_url, username, password, public)
    sync.enroll_local(path, {**enrolment, "device_key": private})
    return enrolment["device_id"]


def erasable(station: Path) -> list[tuple[str, str]]:
    """(table, id) of every row the purge could erase (a value left in a personal column), shuffled."""
    con = sqlite3.connect(station)
    rows = [("site", r[0]) for r in con.execute("SELECT id FROM site WHERE owner_name != '' OR owner_id_number != ''")]
    rows += [("complaint", r[0]) for r in con.execute(
        "SELECT id FROM complaint WHERE complainant_name != '' OR complainant_contact != '' OR description != ''"
        " OR answer_text != '' OR location_text != ''")]
    con.close()
    random.Random(11).shuffle(rows)
    return rows


def erase(station: Path, pg_url: str, rows: list[tuple[str, str]]) -> dict:
    """The station erases these rows as its purge does (row by row), then pushes them."""
    start = time.perf_counter()
    with open_commune(station) as c:
        admin = get_user(c.store, c.store.scalar("SELECT id FROM [user] WHERE username = 'admin'"))
        privacy._erase_for_hub(c.store, admin, [r for t, r in rows if t == "site"],
                               [r for t, r in rows if t == "complaint"], [])
        made = time.perf_counter()
        receipt = ingest(pg_url, sync.make_bundle(c))
        summary = sync.apply_receipt(c, receipt)
    return {"erased_s": round(made - start, 1), "push_s": round(time.perf_counter() - made, 1),
            "acknowledged": summary.get("acknowledged"), "conflicts": summary.get("conflicts")}


PARTS: dict[str, float] = {}


def _timed(module, name: str, part: str) -> None:
    """``module.name`` wrapped to add its seconds to ``PARTS[part]`` (looked up at each call by its
    callers: the module's attribute replaced)."""
    inner = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            PARTS[part] = PARTS.get(part, 0.0) + time.perf_counter() - start
    setattr(module, name, wrapper)


# the erasures' share of each side: the hub's lookup (applied_erasures, as pull._erased calls it)
# and the whole list signed (_erased, lookup included); the device's verification and keeping
hub_pull = sys.modules["desktop.hub.pull"]  # (``desktop.hub.pull`` is also the function imported above)
_timed(hub_pull, "applied_erasures", "hub_lookup_s")
_timed(hub_pull, "_erased", "hub_erased_s")
_timed(pulls, "_check_erasures", "dev_verify_s")
_timed(outbox, "record_hub_erasures", "dev_keep_s")
assert hub_commands.applied_erasures is not hub_pull.applied_erasures


def one_pull(pg_url: str, work: Path, scope: str, tag: str, profile: bool) -> dict:
    path = work / f"{tag}.sqlite"
    device_id = new_device(pg_url, path, *SCOPES[scope])
    prof = cProfile.Profile() if profile else None
    PARTS.clear()
    t0 = time.perf_counter()
    if prof:
        prof.enable()
    data = pull(pg_url, device_id, 0)
    t1 = time.perf_counter()
    with open_commune(path) as c:
        t2 = time.perf_counter()
        result = sync.apply_pull(c, data)
        t3 = time.perf_counter()
    if prof:
        prof.disable()
        out = work / f"{tag}.prof"
        prof.dump_stats(out)
        pstats.Stats(str(out)).sort_stats("cumulative").print_stats(25)
    con = sqlite3.connect(path)
    kept = con.execute("SELECT count(*) FROM sync_erasure").fetchone()[0]
    sites, complaints = (con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("site", "complaint"))
    con.close()
    for p in path.parent.glob(f"{path.name}*"):
        p.unlink() if p.is_file() else shutil.rmtree(p, ignore_errors=True)
    return {**PARTS, "hub_s": t1 - t0, "device_s": t3 - t2, "mb": len(data) / 2**20, "rows": result["rows"],
            "sites": sites, "complaints": complaints, "erasures": kept}


def hub_op_stats(pg_url: str) -> dict:
    """hub_op as PostgreSQL's planner knows it: rows changed since its statistics were last taken."""
    with psycopg.connect(pg_url) as c:
        row = c.execute("SELECT n_mod_since_analyze, last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL"
                        " FROM pg_stat_user_tables WHERE relname = 'hub_op'").fetchone()
    return {"hub_op_mod_since_analyze": row[0], "hub_op_ever_analyzed": row[1]}


def analyze(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute("ANALYZE")


def measure(pg_url: str, work: Path, n: int, rounds: int, base: dict, profile: bool, stats: str) -> None:
    for scope in SCOPES:
        if (scope, "as_pushed") not in base:  # a first device of each scope, not counted (caches, imports)
            one_pull(pg_url, work, scope, f"{scope}-warm-up", False)
        before = hub_op_stats(pg_url)
        runs = [one_pull(pg_url, work, scope, f"{scope}-{n}-{k}", False) for k in range(rounds)]
        if profile and n:  # one more device, profiled, not counted
            one_pull(pg_url, work, scope, f"{scope}-{n}-profiled", True)
        hub, dev = (statistics.median(r[k] for r in runs) for k in ("hub_s", "device_s"))
        parts = {k: round(statistics.median(r.get(k, 0.0) for r in runs), 3) for k in
                 ("hub_lookup_s", "hub_erased_s", "dev_verify_s", "dev_keep_s")}
        last = runs[-1]
        line = {"n_erased_at_hub": n, "scope": scope, "stats": stats, **before, "rows": last["rows"], "sites": last["sites"],
                "complaints": last["complaints"], "erasures_pulled": last["erasures"], "mb": round(last["mb"], 2),
                "hub_s": round(hub, 3), "device_s": round(dev, 3), "total_s": round(hub + dev, 3), **parts,
                "hub_runs": [round(r["hub_s"], 3) for r in runs], "device_runs": [round(r["device_s"], 3) for r in runs]}
        if n == 0:
            base[scope, stats] = (hub, dev)
        if (scope, stats) in base:
            b = base[scope, stats]
            line.update({"hub_ratio": round(hub / b[0], 2), "device_ratio": round(dev / b[1], 2),
                         "total_ratio": round((hub + dev) / (b[0] + b[1]), 2)})
            if line["erasures_pulled"]:
                line["added_us_per_erasure"] = round((hub + dev - b[0] - b[1]) / line["erasures_pulled"] * 1e6, 1)
        print(json.dumps(line), flush=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--inspections", type=int, default=20_000)
    p.add_argument("--extra-sites", type=int, default=10_000)
    p.add_argument("--counts", default="0,2000,10000", help="erased rows at the hub, increasing")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--profile", action="store_true", help="one more device per N > 0, profiled (not counted)")
    args = p.parse_args()
    counts = [int(x) for x in args.counts.split(",")]
    work = Path(tempfile.mkdtemp(prefix="cp-eb-"))
    db = database("cp_eb")
    pg_url = f"{BASE}/{db}"
    try:
        t = time.perf_counter()
        seed = work / "seed.sqlite"
        build_demo(seed, inspections=args.inspections, seed=3, catalogue=load_catalogue())
        add_sites(seed, args.extra_sites)
        init_hub(pg_url, seed)
        SCOPES["tablet"] = (busiest_officer(seed), "agent-demo")
        station = work / "purging-station.sqlite"
        new_device(pg_url, station, "admin", "admin-demo")
        with open_commune(station) as c:
            sync.apply_pull(c, pull(pg_url, sync.status(c)["device_id"], 0))
        rows = erasable(station)
        assert len(rows) >= counts[-1], f"only {len(rows)} erasable rows"
        print(json.dumps({"tablet_user": SCOPES["tablet"][0], "setup_s": round(time.perf_counter() - t, 1), "inspections": args.inspections,
                          "erasable": len(rows), "erasable_sites": sum(t == "site" for t, _ in rows)}), flush=True)
        base: dict = {}
        done = 0
        for n in counts:
            if n > done:
                print(json.dumps({"erasing": n - done, **erase(station, pg_url, rows[done:n])}), flush=True)
                done = n
            # as pushed (the planner's statistics of hub_op as autovacuum left them), then after ANALYZE
            measure(pg_url, work, n, args.rounds, base, args.profile, "as_pushed")
            analyze(pg_url)
            measure(pg_url, work, n, args.rounds, base, False, "analyzed")
    finally:
        drop(db)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
