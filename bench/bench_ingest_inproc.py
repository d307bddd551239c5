"""One device's large push ingested in process (issue 12, ingest target): the bundle of one
officer's ``--inspections`` inspections (+ as many findings), made once and kept, ingested into a
fresh copy of the same hub (``CREATE DATABASE ... TEMPLATE``) several times, with the device's
``apply_receipt`` on a fresh copy of the device, against a bare ``COPY`` of the same rows.

    cd bench && env PYTHONPATH=.. ../.venv/bin/python bench_ingest_inproc.py --cache /tmp/x [--rounds 3]

The set-up (seed commune, hub template, the device's work through the app's write path) is kept in
``--cache`` and reused; run the same cache with two source trees (``PYTHONPATH``) to compare code.
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

import psycopg

import bench_hub
from bench_hub import BASE, PASSWORD, officer_work, officers_by_district
from common import timed_push
from desktop.demo import build_demo
from desktop.domain.catalogue import load_catalogue
from desktop.hub import enroll, init_hub, pull
from desktop.services import sync
from desktop.services.commune import open_commune


def _admin(sql: str) -> None:
    with psycopg.connect(f"{BASE}/postgres", autocommit=True) as c:
        c.execute(sql)


def seed_hub(cache: Path, prefix: str) -> tuple[Path, str]:
    """The demo commune (3,000 inspections) in ``cache`` and a hub template database made from it."""
    cache.mkdir(parents=True, exist_ok=True)
    seed = cache / "seed.sqlite"
    build_demo(seed, inspections=3000, seed=3, catalogue=load_catalogue())
    template = f"{prefix}_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{template}"')
    init_hub(f"{BASE}/{template}", seed)
    return seed, template


def enrolled_device(template: str, username: str, path: Path) -> None:
    """A new device database at ``path``, enrolled at the hub ``template`` as ``username``, its
    replica pulled."""
    private, public = sync.generate_device_key()
    enrolment = enroll(f"{BASE}/{template}", username, PASSWORD, public)
    sync.enroll_local(path, {**enrolment, "device_key": private})
    with open_commune(path) as c:
        sync.apply_pull(c, pull(f"{BASE}/{template}", enrolment["device_id"], 0))


def setup(cache: Path, inspections: int, per_tx: int) -> dict:
    meta_path = cache / "meta.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    seed, template = seed_hub(cache, "cp_bulk_tpl")
    username = next(iter(officers_by_district(seed).values()))
    device = cache / "device.sqlite"
    enrolled_device(template, username, device)
    t = time.perf_counter()
    officer_work(device, username, inspections, 1.0, per_tx=per_tx)
    work_s = time.perf_counter() - t
    saved = cache / "device-saved"
    saved.mkdir(exist_ok=True)
    shutil.copy(device, saved / device.name)
    shutil.copytree(sync.key_path(device).parent, saved / sync.key_path(device).parent.name, dirs_exist_ok=True)
    meta = {"template": template, "username": username, "inspections": inspections, "work_s": round(work_s, 1)}
    meta_path.write_text(json.dumps(meta))
    return meta


def _fresh_device(cache: Path, run: Path) -> Path:
    if run.exists():
        shutil.rmtree(run)
    shutil.copytree(cache / "device-saved", run)
    return run / "device.sqlite"


def bare_copy(pg_url: str, device: Path) -> float:
    """The floor: ``bench_hub.bare_copy`` of the rows this device pushed."""
    return bench_hub.bare_copy(pg_url.rsplit("/", 1)[1], [device])


def one_round(cache: Path, meta: dict) -> dict:
    name = f"cp_bulk_run_{uuid.uuid4().hex[:8]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{meta["template"]}"')
    url = f"{BASE}/{name}"
    try:
        device = _fresh_device(cache, cache / "run")
        with open_commune(device) as c:
            data, receipt, summary, took = timed_push(c, url)
        results = json.loads(json.loads(receipt)["body"])["results"]
        statuses = {s: list(results.values()).count(s) for s in set(results.values())}
        copy = bare_copy(url, device)
        return {"ops": summary["acknowledged"], "statuses": statuses, "bytes": len(data),
                **{step: round(s, 3) for step, s in took.items()}, "copy": round(copy, 3),
                "ratio_ingest": round(took["ingest"] / copy, 2), "ratio_push": round(took["push"] / copy, 2)}
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cache", type=Path, required=True)
    p.add_argument("--inspections", type=int, default=12_500)
    p.add_argument("--per-tx", type=int, default=500)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--setup-only", action="store_true")
    args = p.parse_args()
    meta = setup(args.cache, args.inspections, args.per_tx)
    print(json.dumps({"setup": meta}), flush=True)
    if args.setup_only:
        return
    rounds = [one_round(args.cache, meta) for _ in range(args.rounds)]
    for r in rounds:
        print(json.dumps(r), flush=True)
    keys = ("make_bundle", "ingest", "receipt", "push", "copy", "ratio_ingest", "ratio_push")
    print(json.dumps({"median": {k: statistics.median(r[k] for r in rounds) for k in keys}}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
