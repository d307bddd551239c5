"""Start-up of the packaged application against the same start from the virtualenv.

Both are started the way a user starts them, ``commune-police --db DB``: the bundle's
executable (dist/commune-police/commune-police, made by ``make installer``) and the virtualenv's
console script (.venv/bin/commune-police). ``COMMUNE_POLICE_SNAPSHOT`` makes each print the time
its login window painted, then quit (desktop/ui/snapshot.py). Runs alternate between the two,
after one warm-up each; the figure is launch → login painted, median of RUNS. Target: bundle ≤
1.0x the virtualenv.

    cd bench && ../.venv/bin/python bench_bundle_startup.py
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from common import OUT, ROOT, median, record

RUNS = 11
BUNDLE = ROOT / "dist" / "commune-police" / "commune-police"
VENV = ROOT / ".venv" / "bin" / "commune-police"
DB = OUT / "bundle-startup.sqlite"


def start(program: Path, home: Path) -> float:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "QT_QPA_PLATFORM": "offscreen", "COMMUNE_POLICE_SNAPSHOT": str(home / "login.png")}
    launched = time.time()
    out = subprocess.run([str(program), "--db", str(DB)], env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout
    return json.loads(out.strip().splitlines()[-1])["painted_at"] - launched


def main() -> None:
    if not BUNDLE.exists():
        raise SystemExit(f"no bundle at {BUNDLE}: run `make installer` first")
    if not DB.exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run([str(VENV), "demo", "--db", str(DB), "--inspections", "20000"], check=True,
                       capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        start(BUNDLE, home), start(VENV, home)  # warm the disk cache for both
        bundle, venv = [], []
        for _ in range(RUNS):
            bundle.append(start(BUNDLE, home))
            venv.append(start(VENV, home))
    size = sum(f.stat().st_size for f in BUNDLE.parent.rglob("*") if f.is_file() and not f.is_symlink())
    debs = sorted((ROOT / "dist").glob("commune-police_*_amd64.deb"))
    record("bundle_startup", {
        "runs": RUNS, "cpus": os.cpu_count(),
        "venv_to_login_s": round(median(venv), 3), "bundle_to_login_s": round(median(bundle), 3),
        "ratio": round(median(bundle) / median(venv), 2),
        "bundle_runs_s": [round(x, 3) for x in bundle], "venv_runs_s": [round(x, 3) for x in venv],
        "bundle_mib": round(size / 2**20, 1),
        "deb_mib": round(debs[-1].stat().st_size / 2**20, 1) if debs else None,
    })


if __name__ == "__main__":
    main()
