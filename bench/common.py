"""Shared helpers of the benchmarks: the 1,000,000-inspection database, child processes, output."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
BIG_DB = OUT / "demo-1m.sqlite"
ENCRYPTED_DB = OUT / "demo-1m-encrypted.sqlite"
PY = sys.executable


def env() -> dict:
    e = dict(os.environ)
    e.setdefault("QT_QPA_PLATFORM", "offscreen")
    e["PYTHONPATH"] = str(ROOT)
    # An installed application runs from bytecode (pip, the .deb and the bundle compile it); a
    # shell that forbids writing .pyc files would time the compiler instead, for the application
    # and not for the bare window it is compared with.
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    return e


def compile_sources() -> None:
    """Write the bytecode of the application (and of the venv's packages) once, as an install does."""
    import compileall
    for folder in ("desktop", "maps", "reports", "resources"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def ensure_big_db(n: int = 1_000_000) -> Path:
    """Build the big demo once (about a minute); later runs reuse it."""
    if not BIG_DB.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run([PY, "-m", "desktop", "demo", "--db", str(BIG_DB), "--inspections", str(n)],
                       check=True, env=env(), cwd=ROOT)
    return BIG_DB


def ensure_encrypted_db() -> Path:
    """The big demo's encrypted copy, made once by ``commune-police encrypt`` (the administrator's
    key), then agent001's password set by the administrator (his key wrapped too)."""
    if not ENCRYPTED_DB.exists():
        import shutil
        big = ensure_big_db()
        work = OUT / "encrypting"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        db = work / ENCRYPTED_DB.name
        shutil.copy(big, db)
        files = big.with_name(big.name + ".files")
        if files.exists():
            shutil.copytree(files, db.with_name(db.name + ".files"))
        e = {**env(), "COMMUNE_POLICE_PASSWORD": "admin-demo", "COMMUNE_POLICE_NEW_PASSWORD": "agent-demo"}
        started = time.perf_counter()
        subprocess.run([PY, "-m", "desktop", "encrypt", "--db", str(db)], check=True, env=e, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        record("encrypt_1m", {"seconds": round(time.perf_counter() - started, 1),
                              "size_mb": round(db.stat().st_size / 2**20, 1)})
        subprocess.run([PY, "-m", "desktop", "user", "password", "agent001", "--db", str(db)], check=True, env=e,
                       cwd=ROOT)
        for p in work.iterdir():
            p.rename(OUT / p.name)
        work.rmdir()
    return ENCRYPTED_DB


def run_child(script: str, *args: str) -> dict:
    """Run ``bench/<script>`` in a fresh Python; it prints one JSON line. Adds 'launched_at'."""
    launched = time.time()
    out = subprocess.run([PY, str(BENCH / script), *args], capture_output=True, text=True, env=env(),
                         cwd=ROOT, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    result["launched_at"] = launched
    return result


def median(values):
    return statistics.median(values)


def record(name: str, data: dict) -> None:
    OUT.mkdir(exist_ok=True)
    path = OUT / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[name] = data
    path.write_text(json.dumps(results, indent=1))
    print(json.dumps({name: data}, indent=1))


def timed_push(commune, pg_url: str) -> tuple[bytes, bytes, dict, dict]:
    """One device's push in process, each step timed: the bundle made, ingested at the hub, its
    receipt applied. Returns (bundle, receipt, apply_receipt's summary, {step: seconds})."""
    from desktop.hub import ingest
    from desktop.services import sync
    t0 = time.perf_counter()
    data = sync.make_bundle(commune)
    t1 = time.perf_counter()
    receipt = ingest(pg_url, data)
    t2 = time.perf_counter()
    summary = sync.apply_receipt(commune, receipt)
    t3 = time.perf_counter()
    return data, receipt, summary, {"make_bundle": t1 - t0, "ingest": t2 - t1, "receipt": t3 - t2, "push": t3 - t0}
