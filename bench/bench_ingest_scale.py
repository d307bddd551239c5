"""A commune's whole push ingested in process (issue 12, ingest target at its scale): ``--inspections``
inspections (+ as many findings) written through the app's write path on ``--devices`` officers'
tablets (one per arrondissement), then every bundle of every tablet pushed into ONE hub, the tablets
in turn (one bundle each, as their syncs would come), each ingest timed; against a bare ``COPY`` of
all the rows pushed into tables of the hub's shape (``bench_hub.bare_copy``), in the same database
after. The hub's tables grow from the demo commune to the whole push: what an ingest costs when
the hub already holds most of the rows shows in the last bundles' times.

    cd bench && env PYTHONPATH=.. ../.venv/bin/python bench_ingest_scale.py --cache /tmp/x \
        --inspections 1000000 --devices 16

The set-up (seed commune, hub template, the tablets' work) is kept in ``--cache`` and reused.
Needs PostgreSQL on 127.0.0.1:5432 (trust)."""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

import bench_hub
from bench_hub import BASE, officer_work, officers_by_district
from bench_ingest_inproc import _admin, enrolled_device, seed_hub
from common import timed_push
from desktop.services import sync
from desktop.services.commune import open_commune


def setup(cache: Path, inspections: int, devices: int, per_tx: int) -> dict:
    meta_path = cache / "meta.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    seed, template = seed_hub(cache, "cp_scale_tpl")
    officers = list(officers_by_district(seed).values())[:devices]
    saved = cache / "devices-saved"
    saved.mkdir(exist_ok=True)
    t = time.perf_counter()
    for n, username in enumerate(officers):
        home = saved / username
        home.mkdir(exist_ok=True)
        path = home / "device.sqlite"
        enrolled_device(template, username, path)
        share = inspections // len(officers) + (1 if n < inspections % len(officers) else 0)
        officer_work(path, username, share, 1.0, per_tx=per_tx)
        print(json.dumps({"device": username, "inspections": share, "s": round(time.perf_counter() - t, 1)}),
              flush=True)
    meta = {"template": template, "devices": officers, "inspections": inspections,
            "work_s": round(time.perf_counter() - t, 1)}
    meta_path.write_text(json.dumps(meta))
    return meta


def run(cache: Path, meta: dict) -> dict:
    name = f"cp_scale_run_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{meta["template"]}"')
    url = f"{BASE}/{name}"
    work = cache / "run"
    try:
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(cache / "devices-saved", work)
        tablets = [work / username / "device.sqlite" for username in meta["devices"]]
        times: list[float] = []
        ops = bundles = 0
        left = list(tablets)
        started = time.perf_counter()
        while left:
            for path in list(left):
                with open_commune(path) as c:
                    if not sync.status(c)["pending"]:
                        left.remove(path)
                        continue
                    _data, receipt, summary, took = timed_push(c, url)
                results = json.loads(json.loads(receipt)["body"])["results"]
                if set(results.values()) != {"applied"} or summary["acknowledged"] != len(results):
                    raise SystemExit(f"bundle {bundles} of {path.parent.name}: not all applied: {summary}")
                times.append(took["ingest"])
                ops += len(results)
                bundles += 1
                if bundles % 20 == 0:
                    print(json.dumps({"bundles": bundles, "ops": ops, "ingest_s": round(sum(times), 1),
                                      "wall_s": round(time.perf_counter() - started, 1)}), flush=True)
        copy = bench_hub.bare_copy(name, tablets)
        tenth = max(1, len(times) // 10)
        return {"inspections": meta["inspections"], "devices": len(tablets), "bundles": bundles, "ops": ops,
                "ingest_s": round(sum(times), 2), "copy_s": round(copy, 2), "ratio": round(sum(times) / copy, 2),
                "ingest_per_bundle_first_tenth_s": round(statistics.mean(times[:tenth]), 3),
                "ingest_per_bundle_last_tenth_s": round(statistics.mean(times[-tenth:]), 3),
                "ingest_per_bundle_median_s": round(statistics.median(times), 3)}
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cache", type=Path, required=True)
    p.add_argument("--inspections", type=int, default=1_000_000)
    p.add_argument("--devices", type=int, default=16)
    p.add_argument("--per-tx", type=int, default=500)
    p.add_argument("--setup-only", action="store_true")
    args = p.parse_args()
    meta = setup(args.cache, args.inspections, args.devices, args.per_tx)
    print(json.dumps({"setup": meta}), flush=True)
    if not args.setup_only:
        print(json.dumps(run(args.cache, meta)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
