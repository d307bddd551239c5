"""The commune hub under load (issue 12), every ratio measured in the same run.

1. ingest: a large commune pushed by its officers' devices (one per arrondissement) to a real
   ``hub serve`` over loopback HTTP, against a bare PostgreSQL ``COPY`` of the same rows;
2. replica: a new tablet enrolled for one arrondissement (``enroll_device``: enrolment, pull,
   SQLite writes), against ``COPY TO`` of the same rows + SQLite ``executemany`` into an empty
   commune schema;
3. concurrent: N devices each syncing a day's work at the same moment (each device a process of
   its own, released together; ``--threads``: threads of one process, as first measured);
4. an officer's day (40 inspections, 80 findings) synced.

    cd bench && ../.venv/bin/python bench_hub.py [--inspections 100000] [--devices 100]

Needs PostgreSQL on 127.0.0.1:5432 (the tests' server); its databases are dropped after."""
from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import shutil
import sqlite3
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from common import record
from desktop.demo import build_demo
from desktop.domain.catalogue import load_catalogue
from desktop.domain.ids import uuid7
from desktop.hub import init_hub
from desktop.domain.sync import TABLES, table_order
from desktop.services import netsync, sync
from desktop.services.hubclient import HubClient
from desktop.services.hubconfig import HubConfig
from desktop.services.commune import open_commune
from desktop.store.users import get_user
from tests.desktop.hub.server import HubServer

BASE = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = "agent-demo"
FIELDS = {"hygiene": ["HYG-01", "HYG-02", "HYG-03"]}


def database(prefix: str = "cp_bench") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return name


def drop(name: str) -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def officers_by_district(seed: Path) -> dict[str, str]:
    """One officer per arrondissement (username), as the devices of the benchmark."""
    con = sqlite3.connect(seed)
    rows = con.execute("SELECT district_id, min(username) FROM [user] WHERE role = 'officer' AND district_id IS NOT NULL"
                       " GROUP BY district_id ORDER BY district_id").fetchall()
    con.close()
    return dict(rows)


def officer_work(path: Path, username: str, inspections: int, findings_each: float, day: str = "2026-06-01",
                 per_tx: int = 1) -> int:
    """``inspections`` written with their findings, ``per_tx`` to a transaction (1: as the form
    submits them on a device), captured in the outbox. Returns the number of findings."""
    made = 0
    with open_commune(path) as c:
        user = get_user(c.store, c.store.scalar("SELECT id FROM [user] WHERE username = ?", (username,)))
        sites = [(r["id"], r["lon"], r["lat"]) for r in c.store.query(  # visited where they stand (the hub checks)
            "SELECT id, lon, lat FROM site WHERE district_id = ? AND lon IS NOT NULL", (user.district_id,))]
        codes = FIELDS["hygiene"]
        for first in range(0, inspections, per_tx):
            with c.store.transaction(user.id) as tx:
                made += _inspections(tx, user, sites, codes, range(first, min(first + per_tx, inspections)),
                                     findings_each, day)
    return made


def _inspections(tx, user, sites, codes, numbers, findings_each: float, day: str) -> int:
    made = 0
    for i in numbers:
        k = int(findings_each * (i + 1)) - int(findings_each * i)
        iid = tx.insert("inspection", {
            "id": uuid7(), "field_code": "hygiene", "site_id": sites[i % len(sites)][0],
            "inspected_at": f"{day}T{8 + (i // 60) % 10:02d}:{i % 60:02d}:00Z", "lead_officer_id": user.id,
            "second_officer_id": None, "lon": sites[i % len(sites)][1], "lat": sites[i % len(sites)][2], "district_id": user.district_id,
            "checklist": "{}", "notes": "visite", "outcome": "violations" if k else "compliant",
            "origin_type": "programme", "origin_ref": "PRG-2026-S22", "origin_reason": "",
            "followup_of": None, "finding_count": k})
        for j in range(k):
            tx.insert("finding", {"inspection_id": iid, "violation_code": codes[j % len(codes)],
                                  "measure_value": None, "note": ""})
            made += 1
    return made


def bare_copy(db: str, tablet_dbs: list[Path]) -> float:
    """COPY of the very rows the devices pushed (inspection + finding, all their columns) into
    empty tables of the hub's shape: the floor of writing them into PostgreSQL."""
    rows: dict[str, list] = {"inspection": [], "finding": []}
    cols: dict[str, list[str]] = {}
    for path in tablet_dbs:
        with open_commune(path) as commune:  # the device's store (encrypted or not)
            for t in rows:
                cur = commune.store.conn.execute(f"SELECT * FROM [{t}] WHERE id IN"
                                                 " (SELECT row_id FROM sync_op WHERE tbl = ?)", (t,))
                cols[t] = [d[0] for d in cur.description]
                rows[t] += cur.fetchall()
    with psycopg.connect(f"{BASE}/{db}", autocommit=True) as c:
        for t in rows:
            c.execute(f'CREATE TABLE "bare_{t}" (LIKE "{t}" INCLUDING ALL)')
        start = time.perf_counter()
        with c.transaction():
            for t, data in rows.items():
                with c.cursor().copy(f'COPY "bare_{t}" ({", ".join(cols[t])}) FROM STDIN') as cp:
                    for r in data:
                        cp.write_row(r)
        return time.perf_counter() - start


def bench_ingest(seed: Path, work: Path, n: int, per_tx: int = 500) -> dict:
    """``n`` inspections (+ as many findings) written on 16 devices through the app's write path
    (captured in their outboxes, ``per_tx`` inspections to a transaction: the set-up, not timed),
    then each device's ``sync_now`` (push, receipt, pull) in turn against a real ``hub serve``;
    the push (bundle, HTTP, ingest, receipt) timed apart from the pull that follows it."""
    db = database()
    try:
        init_hub(f"{BASE}/{db}", seed)
        devices = officers_by_district(seed)
        per = n // len(devices)
        with HubServer(f"{BASE}/{db}") as hub:
            tablets = []
            t0 = time.perf_counter()
            for username in devices.values():
                path = work / f"ingest-{username}.sqlite"
                netsync.enroll_device(path, hub.url, username, PASSWORD)
                officer_work(path, username, per, 1.0, per_tx=per_tx)  # setup, not timed
                tablets.append(path)
            setup = time.perf_counter() - t0
            ops, push_s = 0, 0.0
            start = time.perf_counter()
            for path in tablets:
                t = time.perf_counter()
                with netsync.client_for(path) as client, open_commune(path) as commune:  # sync_now's push
                    result = sync.apply_receipt(commune, client.push(sync.make_bundle(commune)))
                push_s += time.perf_counter() - t
                ops += result["acknowledged"]
                status = netsync.sync_now(path).status  # its pull (and an empty push)
                assert status["pending"] == 0
            pushed = time.perf_counter() - start
        with psycopg.connect(f"{BASE}/{db}") as c:
            at_hub = c.execute("SELECT count(*) FROM inspection WHERE device_id IS NOT NULL AND id IN"
                               " (SELECT row_id FROM hub_op WHERE tbl = 'inspection')").fetchone()[0]
        print(json.dumps({"sync_s": round(pushed, 2), "push_s": round(push_s, 2), "ops": ops}), flush=True)
        copy = bare_copy(db, tablets)
        return {"inspections": per * len(devices), "ops": ops, "devices": len(devices), "at_hub": at_hub,
                "sync_s": round(pushed, 2), "push_s": round(push_s, 2), "copy_s": round(copy, 3),
                "ratio": round(pushed / copy, 1), "ratio_push": round(push_s / copy, 1),
                "ops_per_s": round(ops / pushed), "setup_s": round(setup, 1), "per_tx": per_tx}
    finally:
        drop(db)


def bench_replica(seed: Path, work: Path, rounds: int = 3) -> dict:
    """A new tablet of one arrondissement from a hub holding the whole seed commune.

    The first tablet is a warm-up (the hub's tables just written by ``init_hub``, its caches
    cold): measured and reported, not counted. Then ``rounds`` times a new tablet enrolled and
    pulled, followed by the floor over the very rows it holds, so that the two alternate under
    the same load; the ratio is that of the medians (each round's ratio reported too)."""
    db = database()
    try:
        init_hub(f"{BASE}/{db}", seed)
        district, username = next(iter(officers_by_district(seed).items()))
        runs = []
        with HubServer(f"{BASE}/{db}") as hub:
            for k in range(rounds + 1):
                path = work / f"replica-{k}.sqlite"
                start = time.perf_counter()    # what enroll_device does, timed in two parts
                private, public = sync.generate_device_key()
                with HubClient(hub.url) as client:
                    enrolment = client.enroll(username, PASSWORD, public, None)
                sync.enroll_local(path, {**enrolment, "device_key": private, "hub_url": hub.url})
                HubConfig(hub.url, None, enrolment["device_id"]).save(path)
                enrolled = time.perf_counter()
                result = netsync.sync_now(path)
                done = time.perf_counter()
                con = sqlite3.connect(path)
                present = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                tables = table_order([t for t in TABLES if t in present])
                counts = {t: con.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables}
                con.close()
                floor = copy_to_sqlite(db, path, tables, work / f"floor-{k}.sqlite")
                runs.append({"enrol_s": enrolled - start, "pull_s": done - enrolled, "floor_s": floor,
                             "rows": sum(counts.values()), "inspections": counts.get("inspection", 0),
                             "pulled": result.pull.get("rows")})
        warm, measured = runs[0], runs[1:]
        assert len({(r["rows"], r["pulled"]) for r in runs}) == 1, runs  # every tablet holds the same slice
        enrol, pull, floor = (statistics.median(r[key] for r in measured) for key in ("enrol_s", "pull_s", "floor_s"))
        return {"rows": warm["rows"], "inspections": warm["inspections"], "pulled": warm["pulled"],
                "rounds": rounds, "enrol_s": round(enrol, 2), "pull_s": round(pull, 2), "floor_s": round(floor, 3),
                "ratio_pull": round(pull / floor, 2), "ratio_enrol_and_pull": round((enrol + pull) / floor, 2),
                "round_ratios": [round(r["pull_s"] / r["floor_s"], 2) for r in measured],
                "warm_up": {"pull_s": round(warm["pull_s"], 2), "floor_s": round(warm["floor_s"], 3),
                            "ratio_pull": round(warm["pull_s"] / warm["floor_s"], 2)}}
    finally:
        drop(db)


def copy_to_sqlite(db: str, replica: Path, tables: list[str], target: Path) -> float:
    """The floor: the same rows (by id, as the replica holds them) read with COPY TO from the hub
    and written with executemany into an empty commune schema (its tables, without their indexes,
    foreign keys, journal or seals), in one transaction."""
    ids = {}
    con = sqlite3.connect(replica)
    for t in tables:
        ids[t] = [r[0] for r in con.execute(f"SELECT id FROM [{t}]")]
    schema = [r[0] for r in con.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN"
                                        f" ({','.join('?' * len(tables))})", tables)]
    cols = {t: [r[1] for r in con.execute(f"PRAGMA table_info([{t}])")] for t in tables}
    con.close()
    target.unlink(missing_ok=True)
    out = sqlite3.connect(target)
    for sql in schema:
        out.execute(sql)
    out.commit()
    start = time.perf_counter()
    with psycopg.connect(f"{BASE}/{db}") as c:
        for t in tables:
            col_sql = ", ".join(f'"{x}"' for x in cols[t])
            with c.cursor().copy(f'COPY (SELECT {col_sql} FROM "{t}" WHERE id = ANY(%s)) TO STDOUT',
                                 (ids[t],)) as cp:
                rows = list(cp.rows())
            out.executemany(f"INSERT INTO [{t}] VALUES ({','.join('?' * len(cols[t]))})", rows)
    out.commit()
    elapsed = time.perf_counter() - start
    out.close()
    return elapsed


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (/proc), 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    """The process and its children (the hub's uvicorn workers)."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return [pid, *kids]


def _pg_backends(db: str) -> dict[int, float]:
    """CPU seconds so far of the PostgreSQL server processes connected to the hub's database."""
    with psycopg.connect(f"{BASE}/{db}", autocommit=True) as c:
        pids = [r[0] for r in c.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                                        " AND pid <> pg_backend_pid()")]
    return {pid: _cpu_s(pid) for pid in pids}


def _device_process(path: Path, barrier, out) -> None:
    """One device (a process of its own, as a tablet is a machine of its own): released with the
    others by ``barrier``, it syncs once and reports (wall seconds, its own CPU seconds, error)."""
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()  # CLOCK_MONOTONIC: one clock for all processes
    error = None
    try:
        result = netsync.sync_now(path)
        assert result.status["pending"] == 0, result.status
    except BaseException as exc:  # noqa: BLE001 - counted
        error = repr(exc)
    out.put((start, time.perf_counter(), time.process_time() - cpu, error))


def _hub_only_process(path: Path, barrier, out) -> None:
    """A device whose bundle is made before the barrier and whose answers are applied after its
    time is taken: the time is the hub's (push, then pull, over HTTP), as the device sees it."""
    with netsync.client_for(path) as client, open_commune(path) as commune:
        data, cursor = sync.make_bundle(commune), int(sync.status(commune).get("cursor") or 0)
        barrier.wait()
        start, cpu = time.perf_counter(), time.process_time()
        error, receipt, pulled = None, b"", b""
        pushed = start
        try:
            receipt = client.push(data)
            pushed = time.perf_counter()
            pulled = client.pull(cursor)
        except BaseException as exc:  # noqa: BLE001 - counted
            error = repr(exc)
        end, cpu = time.perf_counter(), time.process_time() - cpu
        out.put(("timed", start, end, cpu, error, pushed))
        # untimed: what the device does with the answers (its own CPU on a tablet), once every
        # device's timed part is over (on this machine it would take the hub's cores from it)
        if APPLY_AFTER_ALL:
            barrier.wait()
        if error is None:
            try:
                sync.apply_receipt(commune, receipt)
                sync.apply_pull(commune, pulled)
                assert sync.status(commune)["pending"] == 0
            except BaseException as exc:  # noqa: BLE001 - counted
                error = repr(exc)
        out.put(("done", start, end, cpu, error, pushed))


APPLY_AFTER_ALL = False  # --apply-after-all (read by the forked devices)
TIMING: dict = {}  # what the last concurrent run measured besides the devices' times


def _spy(pids: tuple[int, ...]) -> list[subprocess.Popen]:
    """``py-spy record`` on each hub process (CP_BENCH_PYSPY: its path; CP_BENCH_PYSPY_OUT: a
    folder for the flame graphs), while the devices' timed part runs; none when unset."""
    spy = os.environ.get("CP_BENCH_PYSPY")
    if not spy:
        return []
    out = Path(os.environ.get("CP_BENCH_PYSPY_OUT", "."))
    procs = [subprocess.Popen([spy, "record", "--nonblocking", "-r", "250", "-p", str(pid), "-f", "raw",
                               "-o", str(out / f"hub-{pid}.txt")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for pid in pids]
    time.sleep(2)  # attached
    return procs


def _machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy so far (/proc/stat: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _run_processes(paths: list[Path], target=_device_process, watch: tuple[int, ...] = ()) -> tuple[float, list[float], list[float], list[str]]:
    """The devices as separate processes, forked once everything is imported and every device
    database written, released together by a barrier; (wall: first start to last end, times, CPU
    seconds, errors)."""
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(len(paths) + 1), ctx.Queue()
    gc.collect()
    gc.freeze()  # the forked devices share the parent's pages instead of copying them on collection
    procs = [ctx.Process(target=target, args=(p, barrier, out)) for p in paths]
    for proc in procs:
        proc.start()
    spies = _spy(watch)
    barrier.wait()
    hub_cpu = [_cpu_s(p) for p in watch]
    busy = _machine_busy_s()
    hub_only = target is _hub_only_process
    messages = []  # a hub-only device reports twice: its timed part ("timed"), then all done ("done")
    while sum(not hub_only or m[0] == "timed" for m in messages) < len(paths):
        messages.append(out.get(timeout=600))
    busy = _machine_busy_s() - busy
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    hub_cpu = [_cpu_s(p) - c for p, c in zip(watch, hub_cpu)]
    if hub_only:  # each device's answers applied and checked: its last report
        if APPLY_AFTER_ALL:
            barrier.wait()
        while sum(m[0] == "done" for m in messages) < len(paths):
            messages.append(out.get(timeout=600))
        reports = [m[1:] for m in messages if m[0] == "done"]
    else:
        reports = messages
    for proc in procs:
        proc.join(60)
    gc.unfreeze()
    wall = max(r[1] for r in reports) - min(r[0] for r in reports)
    TIMING.update({"machine_busy_s": round(busy, 2), "hub_workers_cpu_s": [round(c, 2) for c in hub_cpu]})
    if hub_only:
        push, pull = sorted(r[4] - r[0] for r in reports), sorted(r[1] - r[4] for r in reports)
        TIMING.update({"push_p50_s": round(statistics.median(push), 2), "push_p95_s": round(push[int(0.95 * (len(push) - 1))], 2),
                       "pull_p50_s": round(statistics.median(pull), 2), "pull_p95_s": round(pull[int(0.95 * (len(pull) - 1))], 2),
                       "last_push_end_s": round(max(r[4] for r in reports) - min(r[0] for r in reports), 2)})
    return wall, [r[1] - r[0] for r in reports], [r[2] for r in reports], [r[3] for r in reports if r[3]]


def _run_threads(paths: list[Path]) -> tuple[float, list[float], list[float], list[str]]:
    """The devices as threads of this one process (the first version of this benchmark)."""
    n = len(paths)
    times: list[float] = [0.0] * n
    errors: list[str] = []
    barrier = threading.Barrier(n)

    def one(k: int) -> None:
        barrier.wait()
        start = time.perf_counter()
        try:
            result = netsync.sync_now(paths[k])
            assert result.status["pending"] == 0
        except Exception as exc:  # noqa: BLE001 - counted
            errors.append(repr(exc))
        times[k] = time.perf_counter() - start
    threads = [threading.Thread(target=one, args=(k,)) for k in range(n)]
    cpu, wall = time.process_time(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall
    return wall, times, [(time.process_time() - cpu) / n] * n, errors


def bench_concurrent(seed: Path, work: Path, n: int, threads: bool = False, hub_workers: int | None = None,
                     hub_only: bool = False) -> dict:
    """``n`` devices, each with a day's work (20 inspections, 40 findings), syncing at the same
    moment with a real ``hub serve`` (``hub_workers`` processes: its default, one per CPU).
    ``hub_only``: each device's bundle made before and its answers applied after the timed part
    (push + pull over HTTP), since on this machine the devices' own CPU is the hub's 2 cores too."""
    db = database()
    try:
        init_hub(f"{BASE}/{db}", seed)
        con = sqlite3.connect(seed)
        officers = [r[0] for r in con.execute("SELECT username FROM [user] WHERE role = 'officer' AND district_id IS NOT"
                                              " NULL ORDER BY username")]
        con.close()
        if hub_workers is None:
            from desktop.hub.serve import default_workers
            hub_workers = default_workers()
        server = HubServer(f"{BASE}/{db}", workers=hub_workers) if hub_workers else HubServer(f"{BASE}/{db}")
        with server as hub:
            paths = []
            for k in range(n):
                username = officers[k % len(officers)]
                path = work / f"conc-{k}.sqlite"
                netsync.enroll_device(path, hub.url, username, PASSWORD)
                officer_work(path, username, 20, 2.0)   # a brigade member's day: 20 inspections, 40 findings
                paths.append(path)
            assert hub.proc is not None
            hub_pids = _tree(hub.proc.pid)
            hub_cpu, pg_cpu, load = sum(_cpu_s(p) for p in hub_pids), _pg_backends(db), os.getloadavg()
            if hub_only:
                wall, times, device_cpu, errors = _run_processes(paths, _hub_only_process, tuple(hub_pids))
            else:
                wall, times, device_cpu, errors = (_run_threads if threads else _run_processes)(paths)
            hub_cpu = sum(_cpu_s(p) for p in hub_pids) - hub_cpu
            pg_after = _pg_backends(db)
            pg_cpu_s = sum(cpu - pg_cpu.get(pid, 0.0) for pid, cpu in pg_after.items())
        with psycopg.connect(f"{BASE}/{db}") as c:
            at_hub = c.execute("SELECT count(*) FROM hub_op WHERE tbl = 'inspection'").fetchone()[0]
        ordered = sorted(times)
        return {"devices": n, "as": "threads" if threads else "processes", "timed": "push+pull" if hub_only else "sync_now",
                "hub_workers": hub_workers or 1,
                "errors": len(errors), "first_error": errors[0] if errors else None,
                "inspections_at_hub": at_hub, "expected": 20 * n, "wall_s": round(wall, 2),
                "p50_s": round(statistics.median(ordered), 2), "p95_s": round(ordered[int(0.95 * (n - 1))], 2),
                "max_s": round(ordered[-1], 2), "min_s": round(ordered[0], 2),
                "hub_cpu_s": round(hub_cpu, 2), "pg_cpu_s_pooled": round(pg_cpu_s, 2),
                "device_cpu_s_mean": round(statistics.mean(device_cpu), 3),
                **TIMING, "loadavg_before": [round(x, 2) for x in load], "loadavg_after": [round(x, 2) for x in os.getloadavg()]}
    finally:
        drop(db)


def bench_day(seed: Path, work: Path) -> dict:
    db = database()
    try:
        init_hub(f"{BASE}/{db}", seed)
        district, username = next(iter(officers_by_district(seed).items()))
        with HubServer(f"{BASE}/{db}") as hub:
            path = work / "day.sqlite"
            netsync.enroll_device(path, hub.url, username, PASSWORD)
            findings = officer_work(path, username, 40, 2.0)
            runs = []
            for _ in range(3):  # the day synced, then twice nothing new (the idle cost)
                start = time.perf_counter()
                result = netsync.sync_now(path)
                runs.append(time.perf_counter() - start)
                if len(runs) == 1:
                    ops = result.receipt["acknowledged"]
                    refused = result.receipt["conflicts"]
        return {"inspections": 40, "findings": findings, "ops": ops, "refused_or_flagged": refused,
                "sync_s": round(runs[0], 3),
                "idle_sync_s": round(min(runs[1:]), 3)}
    finally:
        drop(db)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--inspections", type=int, default=100_000)
    p.add_argument("--seed-inspections", type=int, default=3000, help="the hub's commune before the pushes")
    p.add_argument("--replica-commune", type=int, default=100_000, help="inspections of the replica's commune")
    p.add_argument("--devices", type=int, default=100)
    p.add_argument("--replica-rounds", type=int, default=3, help="tablets measured after the warm-up one")
    p.add_argument("--only", choices=("ingest", "replica", "concurrent", "day"))
    p.add_argument("--per-tx", type=int, default=500, help="ingest set-up: inspections to a device transaction")
    p.add_argument("--threads", action="store_true", help="concurrent: the devices as threads of one process")
    p.add_argument("--hub-only", action="store_true",
                   help="concurrent: time only the push and pull over HTTP (bundle made before, answers applied after)")
    p.add_argument("--apply-after-all", action="store_true",
                   help="--hub-only: each device applies the hub's answers once every device's push and pull is"
                        " over (else as soon as its own are: its CPU then taken from the hub's 2 cores)")
    p.add_argument("--hub-workers", type=int, default=None,
                   help="concurrent: hub serve's worker processes (default: its own, one per CPU; 0: not passed)")
    args = p.parse_args()
    global APPLY_AFTER_ALL
    APPLY_AFTER_ALL = args.apply_after_all
    work = Path(tempfile.mkdtemp(prefix="cp-bench-hub-"))
    try:
        seed = work / "seed.sqlite"
        build_demo(seed, inspections=args.seed_inspections, seed=3, catalogue=load_catalogue())
        big = seed
        if args.only in (None, "replica") and args.replica_commune != args.seed_inspections:
            big = work / "big.sqlite"
            build_demo(big, inspections=args.replica_commune, seed=3, catalogue=load_catalogue())
        results = {}
        if args.only in (None, "day"):
            results["day"] = bench_day(seed, work)
            print(json.dumps(results["day"]), flush=True)
        if args.only in (None, "replica"):
            results["replica"] = bench_replica(big, work, args.replica_rounds)
            print(json.dumps(results["replica"]), flush=True)
        if args.only in (None, "concurrent"):
            results["concurrent"] = bench_concurrent(seed, work, args.devices, args.threads, args.hub_workers,
                                                     args.hub_only)
            print(json.dumps(results["concurrent"]), flush=True)
        if args.only in (None, "ingest"):
            results["ingest"] = bench_ingest(seed, work, args.inspections, args.per_tx)
            print(json.dumps(results["ingest"]), flush=True)
        record("hub", {**results, "seed_inspections": args.seed_inspections,
                       "replica_commune": args.replica_commune})
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
