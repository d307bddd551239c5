"""``commune-police demo``: a realistic Casablanca commune to try the application on.

The 16 arrondissements of the shipped layer, one account per role plus field officers in
brigades of two, thousands of sites and a year of inspections: field mix, outcomes, origins and
locations shaped like the real thing (points inside their arrondissement, more where more people
live). Built with vectorised sampling and bulk inserts, so 1,000,000 inspections take about a
minute.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import numpy as np

from desktop.demo.data import (ACCOUNTS, FAMILY_NAMES, FIRST_NAMES, NOTES, OFFICER_PASSWORD,
                               OWN_INITIATIVE_REASONS, SITE_NAMES, SITE_TYPES, STREETS)
from desktop.demo.cases import CERT_PASSWORD, VICE_PRESIDENT, build_enforcement, build_signatures, certs_dir
from desktop.demo.complaints import build_complaints, build_programmes
from desktop.domain.auth import hash_password
from desktop.domain.catalogue import Catalogue, load_catalogue
from desktop.domain.ids import uuid7
from desktop.store.commune import add_district, create_commune
from desktop.store import keys
from desktop.store.db import Store, open_store
from desktop.store.errors import StoreError
from desktop.store.users import User, create_user


FIELD_MIX = {"hygiene": 0.45, "public_domain": 0.33, "urbanism": 0.15, "other": 0.07}
OUTCOME_MIX = {  # compliant, violations, awareness, closed, refused
    "hygiene": (0.45, 0.30, 0.17, 0.03, 0.05),
    "public_domain": (0.40, 0.38, 0.18, 0.01, 0.03),
    "urbanism": (0.35, 0.55, 0.05, 0.00, 0.05),
    "other": (0.50, 0.30, 0.17, 0.01, 0.02),
}
OUTCOMES = ("compliant", "violations", "awareness", "closed", "refused")
ORIGIN_MIX = (("programme", 0.58), ("campaign", 0.12), ("complaint_citizen", 0.14),
              ("complaint_president", 0.06), ("follow_up", 0.07), ("own_initiative", 0.03))
MEASURE_DRAW = {"m2": (3, 40), "m": (1, 6), "tables": (1, 12), "floors": (1, 4), "count": (1, 10), "kg": (1, 60)}
SEVERITY_WEIGHT = {"minor": 3.0, "major": 2.0, "critical": 0.6}
BATCH = 50_000


@dataclass
class DemoSummary:
    path: Path
    inspections: int
    sites: int
    officers: int
    accounts: list[tuple[str, str, str]]  # username, password, role
    seconds: float = 0.0
    enforcement: dict | None = None
    cert_password: str = ""


def _person(rng: np.random.Generator) -> tuple[str, str]:
    f_ar, f_fr = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
    l_ar, l_fr = FAMILY_NAMES[rng.integers(len(FAMILY_NAMES))]
    return f"{f_ar} {l_ar}", f"{f_fr} {l_fr}"


def build_demo(path: Path, inspections: int = 20_000, seed: int = 1, catalogue: Catalogue | None = None,
               end: datetime | None = None, progress: Callable[[int, int], None] | None = None,
               encrypt: bool = False) -> DemoSummary:
    """Create a new demo database at ``path`` (which must not exist); with ``encrypt``, encrypted
    at rest like a real commune (each demo account's password unwraps its key).

    It is built under a temporary name beside ``path`` and renamed when complete: a build that is
    killed or fails leaves no half commune under the real name (review L5), only a hidden
    ``.NAME.building-PID`` that the next build clears."""
    import time
    started = time.perf_counter()
    if any(p.exists() for p in _siblings(path)):
        raise StoreError("already_exists", path=str(path))
    catalogue = catalogue or load_catalogue()
    for stale in path.parent.glob(f".{path.name}.building-*"):  # a killed build's leftovers
        _remove(stale)
    building = path.with_name(f".{path.name}.building-{os.getpid()}")
    try:
        summary = _build(building, inspections, seed, catalogue, end, progress, encrypt)
        building.with_name(building.name + "-shm").unlink(missing_ok=True)
        for source, target in reversed(list(zip(_siblings(building), _siblings(path)))):
            if source.exists():  # the folders first, the database last: it appears complete or not at all
                os.replace(source, target)
    except BaseException:
        _remove_build(building)
        raise
    if encrypt:
        keys.remember(path, keys.remembered(building))
        keys.forget(building)
    summary.path = path
    summary.seconds = time.perf_counter() - started
    if summary.enforcement:
        summary.enforcement["certs"] = certs_dir(path)
    return summary


def _siblings(db: Path) -> list[Path]:
    """The database and what lives beside it under its name."""
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + ".files"), certs_dir(db), keys.sidecar(db)]


def _remove(path: Path) -> None:
    """A build's own temporary file or folder (never followed through a link)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _remove_build(building: Path) -> None:
    for p in [*_siblings(building), building.with_name(building.name + "-shm")]:
        _remove(p)


def _build(path: Path, inspections: int, seed: int, catalogue: Catalogue, end: datetime | None,
           progress: Callable[[int, int], None] | None, encrypt: bool) -> DemoSummary:
    rng = np.random.default_rng(seed)
    key = None
    if encrypt:
        key = keys.new_data_key()
        keys.create_keys(path, key)
        keys.remember(path, key)
    store = open_store(path, create=True, key=key)
    try:
        with store.transaction(None) as tx:
            tx.set_meta("demo", "1")
        admin, officers, districts = _people_and_places(store, rng)
        sites = _build_sites(store, admin, districts, rng, max(3000, inspections // 50))
        end = end or datetime.now(timezone.utc)
        _build_inspections(store, admin, catalogue, districts, sites, officers, rng, inspections, end, progress)
        enforcement = build_enforcement(store, admin, catalogue, rng, end.date())
        enforcement.update(build_signatures(store, admin, catalogue, end.date()))
        enforcement["programmes"] = build_programmes(store, admin, end.date())
        enforcement["complaints"] = build_complaints(store, admin, rng, end.date())
        store.conn.execute("ANALYZE")
        accounts = [(a[0], a[1], a[2]) for a in ACCOUNTS]
        accounts += [(officers[i].username, OFFICER_PASSWORD, officers[i].role) for i in range(2)]
        accounts.insert(4, VICE_PRESIDENT[:3])
        if key is not None:  # the officers share one password hash, made once: their keys are wrapped here
            wrapped = keys.read_keys(path)
            for officer in officers:
                wrapped.users[officer.username] = keys.wrap(key, officer.username, OFFICER_PASSWORD)
            wrapped.save()
            with store.transaction(None) as tx:
                for officer in officers:
                    tx.set_meta(keys.META_PREFIX + officer.username, keys.entry_digest(wrapped.users[officer.username]))
        with store.transaction(None) as tx:  # shown on the login of a demo commune, and nowhere else
            tx.set_meta("demo_accounts", json.dumps(accounts))
        return DemoSummary(path, inspections, len(sites["id"]), len(officers), accounts, 0.0, enforcement,
                           CERT_PASSWORD)
    finally:
        store.close()  # the last connection: SQLite folds the WAL into the file and removes it


def _people_and_places(store: Store, rng: np.random.Generator):
    from maps.districts import load_shipped_districts
    admin = create_user(store, None, *ACCOUNTS[0][:3], full_name_ar=ACCOUNTS[0][3], full_name_fr=ACCOUNTS[0][4])
    features = load_shipped_districts()
    with store.transaction(admin.id) as tx:
        create_commune(tx, name_ar="جماعة الدار البيضاء", name_fr="Commune de Casablanca",
                       wilaya_ar="ولاية جهة الدار البيضاء سطات", wilaya_fr="Wilaya de la région Casablanca-Settat",
                       prefecture_ar="عمالة الدار البيضاء", prefecture_fr="Préfecture de Casablanca",
                       governor_ar="السيد والي جهة الدار البيضاء-سطات، عامل عمالة الدار البيضاء",
                       governor_fr="M. le Wali de la région de Casablanca-Settat, Gouverneur de la préfecture de Casablanca",
                       president_ar="عبد الرحيم الإدريسي (اسم تجريبي)", president_fr="Abderrahim El Idrissi (nom fictif)")
        district_ids = [add_district(tx, f.code, f.name_ar, f.name_fr, f.population, f.households,
                                     f.area_km2, f.geometry) for f in features]
    for username, password, role, ar, fr in ACCOUNTS[1:]:
        create_user(store, admin, username, password, role, full_name_ar=ar, full_name_fr=fr)
    # Field officers: about 100 (Casablanca had 109 controllers), in pairs, spread by population.
    pop = np.array([f.population or 1 for f in features], dtype=float)
    pairs = np.maximum(1, np.round(pop / pop.sum() * 50)).astype(int)
    # One hash for every demo officer: they share the demo password, and hashing each would only
    # slow the demo down.
    officer_hash = hash_password(OFFICER_PASSWORD)
    officers: list[User] = []
    brigades: dict[str, list[tuple[str, str]]] = {}
    n = 0
    for district_id, k in zip(district_ids, pairs):
        brigades[district_id] = []
        for _ in range(k):
            pair = []
            for _ in range(2):
                n += 1
                ar, fr = _person(rng)
                u = create_user(store, admin, f"agent{n:03d}", "", "officer", full_name_ar=ar,
                                full_name_fr=fr, district_id=district_id, password_hash=officer_hash)
                officers.append(u)
                pair.append(u.id)
            brigades[district_id].append((pair[0], pair[1]))
    districts = {"id": district_ids, "features": features, "weight": pop / pop.sum(), "brigades": brigades}
    return admin, officers, districts


def _build_sites(store: Store, admin: User, districts: dict, rng: np.random.Generator, count: int) -> dict:
    from maps.districts import sample_points
    fields = list(FIELD_MIX)
    site_field = rng.choice(len(fields), size=count, p=list(FIELD_MIX.values()))
    site_district = rng.choice(len(districts["id"]), size=count, p=districts["weight"])
    lonlat = np.empty((count, 2))
    for d, feature in enumerate(districts["features"]):
        idx = np.flatnonzero(site_district == d)
        if len(idx):
            lonlat[idx] = sample_points(feature.geometry, len(idx), rng)
    rows, ids = [], []
    for i in range(count):
        kind, prefix, activity = SITE_TYPES[fields[site_field[i]]][rng.integers(len(SITE_TYPES[fields[site_field[i]]]))]
        owner_ar, owner_fr = _person(rng)
        company = rng.random() < 0.25
        id_kind = "rc" if company else ("cin" if rng.random() < 0.9 else "none")
        id_number = (f"RC{rng.integers(100000, 999999)}" if id_kind == "rc"
                     else f"B{'EHJKLM'[rng.integers(6)]}{rng.integers(100000, 999999)}" if id_kind == "cin" else "")
        site_id = uuid7()
        ids.append(site_id)
        rows.append((site_id, kind, f"{prefix} {SITE_NAMES[rng.integers(len(SITE_NAMES))]}",
                     f"{rng.integers(1, 400)}، {STREETS[rng.integers(len(STREETS))]}", activity,
                     districts["id"][site_district[i]], float(lonlat[i, 0]), float(lonlat[i, 1]),
                     owner_fr if rng.random() < 0.5 else owner_ar, id_kind, id_number))
    with store.transaction(admin.id) as tx:
        tx.bulk_insert("site", ("id", "kind", "name", "address", "activity", "district_id", "lon", "lat",
                                "owner_name", "owner_id_kind", "owner_id_number"), rows, note="demo sites")
    return {"id": np.array(ids, dtype=object), "field": site_field, "district": site_district,
            "lonlat": lonlat, "fields": fields}


def _build_inspections(store: Store, admin: User, catalogue: Catalogue, districts: dict, sites: dict,
                       officers: list[User], rng: np.random.Generator, total: int, end: datetime,
                       progress: Callable[[int, int], None] | None) -> None:
    if total <= 0:
        return
    fields = sites["fields"]
    other_fields = [f.code for f in catalogue.fields if f.code not in FIELD_MIX]
    # Each field's sites, with a skewed popularity so that some sites are visited often.
    by_field = {k: np.flatnonzero(sites["field"] == k) for k in range(len(fields))}
    insp_field = rng.choice(len(fields), size=total, p=list(FIELD_MIX.values()))
    site_idx = np.empty(total, dtype=np.int64)
    for k, members in by_field.items():
        idx = np.flatnonzero(insp_field == k)
        if not len(members):
            members = np.arange(len(sites["id"]))
        weights = 1.0 / np.arange(1, len(members) + 1) ** 0.6
        rng.shuffle(weights)
        site_idx[idx] = members[rng.choice(len(members), size=len(idx), p=weights / weights.sum())]
    # Working days of the past year (Saturday half as busy), 09:00-17:30 local (UTC+1).
    start = (end - timedelta(days=365)).replace(hour=0, minute=0, second=0, microsecond=0)
    days = np.arange(365)
    weekday = (start.weekday() + days) % 7
    day_w = np.where(weekday == 6, 0.0, np.where(weekday == 5, 0.5, 1.0))
    day = rng.choice(days, size=total, p=day_w / day_w.sum())
    seconds = (day * 86400 + (8 * 3600) + rng.integers(0, int(8.5 * 3600), size=total)).astype(np.int64)
    order = np.argsort(seconds, kind="stable")
    epoch0 = int(start.timestamp())
    stamps = np.datetime_as_string((epoch0 + seconds).astype("datetime64[s]"), unit="s")
    outcome_draw = rng.random(total)
    origin_draw = rng.choice(len(ORIGIN_MIX), size=total, p=[p for _, p in ORIGIN_MIX])
    jitter = rng.normal(0, 0.00008, size=(total, 2))
    brigade_draw = rng.random(total)
    cum_outcomes = {f: np.cumsum(p) for f, p in OUTCOME_MIX.items()}
    last_violation_at_site: dict[int, str] = {}
    severity_cum: dict[str, np.ndarray] = {}
    insp_cols = ("id", "field_code", "site_id", "inspected_at", "lead_officer_id", "second_officer_id",
                 "lon", "lat", "district_id", "checklist", "notes", "outcome", "origin_type", "origin_ref",
                 "origin_reason", "followup_of", "finding_count")
    find_cols = ("id", "inspection_id", "violation_code", "measure_value", "note")
    done = 0
    campaign_names = ["حملة رمضان لحفظ صحة المواد الغذائية", "Campagne été : terrasses", "حملة تحرير الملك العمومي"]
    for batch_start in range(0, total, BATCH):
        batch = order[batch_start:batch_start + BATCH]
        insp_rows, find_rows = [], []
        for j in batch:
            group = fields[insp_field[j]]
            field_code = group if group != "other" else other_fields[rng.integers(len(other_fields))]
            fld = catalogue.field(field_code)
            s = int(site_idx[j])
            district_id = districts["id"][sites["district"][s]]
            at_ms = (epoch0 + int(seconds[j])) * 1000 + int(rng.integers(1000))
            insp_id = uuid7(at_ms)
            outcome = OUTCOMES[min(int(np.searchsorted(cum_outcomes[group], outcome_draw[j], side="right")), 4)]
            findings = []
            if outcome in ("violations", "awareness") and fld.violations:
                k = 1 if outcome == "awareness" else (1, 1, 1, 2, 2, 3)[rng.integers(6)]
                cum = severity_cum.get(field_code)
                if cum is None:
                    w = np.array([SEVERITY_WEIGHT[v.severity] for v in fld.violations])
                    cum = severity_cum[field_code] = np.cumsum(w) / w.sum()
                chosen = dict.fromkeys(np.searchsorted(cum, rng.random(k), side="right").clip(0, len(cum) - 1))
                for c in chosen:
                    v = fld.violations[int(c)]
                    value = None
                    if v.measure:
                        lo, hi = MEASURE_DRAW[v.measure.unit]
                        value = float(rng.integers(lo, hi + 1))
                    findings.append((uuid7(at_ms), insp_id, v.code, value, ""))
            if outcome == "violations" and not findings:
                outcome = "compliant"
            found = {f[2] for f in findings}
            checklist = {} if outcome in ("closed", "refused") else {
                item.code: ("no" if item.violation in found else "yes") for item in fld.checklist}
            origin, ref, reason, followup = ORIGIN_MIX[origin_draw[j]][0], "", "", None
            if origin == "follow_up":
                followup = last_violation_at_site.get(s)
                if followup is None:
                    origin = "programme"
                else:
                    ref = followup
            if origin == "programme":
                ref = f"PRG-{stamps[j][:4]}-S{int(seconds[j] // 604800) + 1:02d}"
            elif origin == "campaign":
                ref = campaign_names[rng.integers(len(campaign_names))]
            elif origin in ("complaint_citizen", "complaint_president"):
                ref = f"{'CHK' if origin == 'complaint_citizen' else 'ARR'}-{stamps[j][:4]}-{rng.integers(1, 99999):05d}"
            elif origin == "own_initiative":
                reason = OWN_INITIATIVE_REASONS[rng.integers(len(OWN_INITIATIVE_REASONS))]
            pairs = districts["brigades"][district_id]
            lead, second = pairs[int(brigade_draw[j] * len(pairs))]
            lon, lat = sites["lonlat"][s] + jitter[j]
            insp_rows.append((insp_id, field_code, sites["id"][s], stamps[j] + "Z", lead, second,
                              round(float(lon), 6), round(float(lat), 6), district_id,
                              json.dumps(checklist, sort_keys=True, separators=(",", ":")),
                              NOTES[rng.integers(len(NOTES))], outcome, origin, ref, reason, followup,
                              len(findings)))
            find_rows += findings
            if findings:
                last_violation_at_site[s] = insp_id
        with store.transaction(admin.id) as tx:
            tx.bulk_insert("inspection", insp_cols, insp_rows, note="demo inspections")
            if find_rows:
                tx.bulk_insert("finding", find_cols, find_rows, note="demo findings")
        done += len(batch)
        if progress:
            progress(done, total)
