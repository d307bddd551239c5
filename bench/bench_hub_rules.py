"""The cost of the hub's domain rules (desktop/hub/validate.py): the ingest of one officer's
bundle (N inspections, one finding each, 25 to a transaction, at their sites' points) with the
rules and without them (``validate.problem`` replaced by a no-op), on fresh hubs seeded from the
same demo commune, twice each, in the same run.

    flock /tmp/cp-bench.lock env PYTHONPATH=$PWD:$PWD/bench python bench/bench_hub_rules.py WORK_DIR 2000
"""
import shutil
import sys
import time
from pathlib import Path

from bench_hub import officers_by_district
from desktop.demo import build_demo
from desktop.domain.catalogue import load_catalogue
from desktop.domain.ids import uuid7
from desktop.hub import enroll, ingest, init_hub, pull, validate
from desktop.services import sync
from desktop.services.commune import open_commune
from desktop.store.users import get_user
from tests.pg import temporary_database

work = Path(sys.argv[1])
n = int(sys.argv[2])
work.mkdir(exist_ok=True)
seed = work / "seed.sqlite"
if not seed.exists():
    build_demo(seed, inspections=300, seed=3, catalogue=load_catalogue())
district, username = next(iter(officers_by_district(seed).items()))

def device_with_work(url):
    path = work / "dev.sqlite"
    path.unlink(missing_ok=True)
    for extra in work.glob("dev.sqlite*"):
        shutil.rmtree(extra, ignore_errors=True) if extra.is_dir() else extra.unlink()
    private, public = sync.generate_device_key()
    e = enroll(url, username, "agent-demo", public)
    sync.enroll_local(path, {**e, "device_key": private})
    with open_commune(path) as c:
        sync.apply_pull(c, pull(url, e["device_id"], 0))
        user = get_user(c.store, c.store.scalar("SELECT id FROM [user] WHERE username = ?", (username,)))
        sites = c.store.query("SELECT id, lon, lat FROM site WHERE district_id = ?", (user.district_id,))
        for first in range(0, n, 25):
            with c.store.transaction(user.id) as tx:
                for i in range(first, min(first + 25, n)):
                    s = sites[i % len(sites)]
                    iid = tx.insert("inspection", {
                        "id": uuid7(), "field_code": "hygiene", "site_id": s["id"],
                        "inspected_at": f"2026-06-01T{8 + (i // 60) % 10:02d}:{i % 60:02d}:00Z", "lead_officer_id": user.id,
                        "second_officer_id": None, "lon": s["lon"], "lat": s["lat"], "district_id": user.district_id,
                        "checklist": "{}", "notes": "visite", "outcome": "violations",
                        "origin_type": "programme", "origin_ref": "PRG-2026-S22", "origin_reason": "",
                        "followup_of": None, "finding_count": 1})
                    tx.insert("finding", {"inspection_id": iid, "violation_code": "HYG-0%d" % (1 + i % 3),
                                          "measure_value": None, "note": ""})
        return path, sync.make_bundle(c)

original = validate.problem
results = {"with": [], "without": []}
for _ in range(2):
    for mode in ("without", "with"):
        validate.problem = original if mode == "with" else (lambda rows, schema, op: None)
        with temporary_database("cp_rules_bench") as url:
            init_hub(url, seed)
            path, data = device_with_work(url)
            t = time.perf_counter()
            receipt = ingest(url, data)
            dt = time.perf_counter() - t
            with open_commune(path) as c:
                s = sync.apply_receipt(c, receipt)
            assert s["conflicts"] == 0, s
            results[mode].append(dt)
print({k: [round(x, 3) for x in v] for k, v in results.items()},
      "ratio(best)", round(min(results["with"]) / min(results["without"]), 3))
