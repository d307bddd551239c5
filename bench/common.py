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
