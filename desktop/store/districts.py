"""The commune's district layer: replace it with an imported one, rename a district, and assign
every inspection (and site) to the district its location falls in."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from desktop.domain.auth import require
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.store.commune import add_district, district_geometries
from desktop.store.db import Store, Transaction
from desktop.store.users import User

CHUNK = 50_000


@dataclass
class AssignReport:
    total: int = 0
    changed: int = 0
    outside: int = 0
    no_location: int = 0


def current_bounds(store: Store) -> tuple[float, float, float, float] | None:
    """Lon/lat box of the commune's data: its districts, else its inspections."""
    from maps.districts import DistrictLocator
    items = district_geometries(store)
    if items:
        return DistrictLocator(items).bounds
    row = store.conn.execute("SELECT min(lon), min(lat), max(lon), max(lat) FROM inspection"
                             " WHERE lon IS NOT NULL").fetchone()
    return tuple(row) if row and row[0] is not None else None


def _assign_table(tx: Transaction, table: str, locator, progress: Callable[[int, int], None] | None,
                  keep_unlocated: bool) -> AssignReport:
    """Point-in-polygon for every row of ``table``; updates only the rows whose answer changed."""
    report = AssignReport()
    conn = tx.conn
    flag = table == "inspection"
    cols = "rowid, lon, lat, district_id" + (", outside_district" if flag else "")
    rows = conn.execute(f"SELECT {cols} FROM [{table}] WHERE deleted_at IS NULL").fetchall()
    report.total = len(rows)
    if not rows:
        return report
    arr = np.array([(r[1] if r[1] is not None else np.nan, r[2] if r[2] is not None else np.nan) for r in rows])
    has_loc = ~np.isnan(arr[:, 0]) & ~np.isnan(arr[:, 1])
    report.no_location = int((~has_loc).sum())
    idx = np.full(len(rows), -1, dtype=np.int64)
    idx[has_loc] = locator.locate_many(arr[has_loc, 0], arr[has_loc, 1])
    ids = np.array(locator.ids + [None], dtype=object)
    new_district = ids[idx]  # -1 picks the trailing None
    now, digest, updates = utc_now(), hashlib.sha256(), []
    for n, row in enumerate(rows):
        outside = int(has_loc[n] and idx[n] < 0)
        district = new_district[n]
        if district is None and keep_unlocated:
            district = row[3]  # outside every district or no location: keep the hand-chosen one
        report.outside += outside
        if district != row[3] or (flag and outside != row[4]):
            updates.append((district, outside, now, tx.actor, row[0]) if flag else (district, now, tx.actor, row[0]))
            digest.update(f"{row[0]}:{district}:{outside}".encode())
    set_flag = ", outside_district = ?" if flag else ""
    sql = (f"UPDATE [{table}] SET district_id = ?{set_flag}, updated_at = ?, updated_by = ?,"
           f" version = version + 1 WHERE rowid = ?")
    for start in range(0, len(updates), CHUNK):
        conn.executemany(sql, updates[start:start + CHUNK])
        if progress:
            progress(min(start + CHUNK, len(updates)), len(updates))
    report.changed = len(updates)
    tx._journal(table, None, "assign_districts", {"rows": report.total, "changed": report.changed,
                                                  "outside": report.outside, "sha256": digest.hexdigest()})
    return report


def assign_districts(store: Store, user: User, progress: Callable[[int, int], None] | None = None) -> AssignReport:
    """Re-derive every inspection's district from its location (one transaction)."""
    require(user.role, "district.manage")
    locator = district_locator(store)
    if locator is None:
        return AssignReport()
    with store.transaction(user.id) as tx:
        report = _assign_table(tx, "inspection", locator, progress, keep_unlocated=True)
        _assign_table(tx, "site", locator, None, keep_unlocated=True)
    return report


def replace_district_layer(store: Store, user: User, features, progress: Callable[[int, int], None] | None = None) -> AssignReport:
    """Put ``features`` (maps.layers.LayerFeature) in place of the current districts, in one
    transaction: old districts are tombstoned, inspections, sites and officers move to the new
    district that contains them (officers: the district of the same French name, if any)."""
    require(user.role, "district.manage")
    from maps.districts import DistrictLocator
    with store.transaction(user.id) as tx:
        old = {r[0]: r[1] for r in tx.conn.execute("SELECT id, name_fr FROM district WHERE deleted_at IS NULL")}
        new_ids = [add_district(tx, f.code, f.name_ar, f.name_fr, f.population, None, None, f.geometry)
                   for f in features]
        locator = DistrictLocator([(i, f.geometry) for i, f in zip(new_ids, features)])
        by_name = {f.name_fr.strip().lower(): i for i, f in zip(new_ids, features)}
        for uid, district_id in tx.conn.execute("SELECT id, district_id FROM [user] WHERE district_id IS NOT NULL").fetchall():
            tx.update("user", uid, {"district_id": by_name.get((old.get(district_id) or "").strip().lower())})
        report = _assign_table(tx, "inspection", locator, progress, keep_unlocated=False)
        _assign_table(tx, "site", locator, None, keep_unlocated=False)
        for district_id in old:
            tx.tombstone("district", district_id)
    return report


def rename_district(store: Store, user: User, district_id: str, name_ar: str, name_fr: str) -> None:
    require(user.role, "district.manage")
    if not name_ar.strip() or not name_fr.strip():
        raise Refusal("district_names_required")
    with store.transaction(user.id) as tx:
        tx.update("district", district_id, {"name_ar": name_ar.strip(), "name_fr": name_fr.strip()})


def district_locator(store: Store):
    """A point-in-district locator over the database's district layer (None without one).

    The geo engine is imported here, on first use: it is slow to import and most commands never
    need it."""
    from maps.districts import DistrictLocator
    items = district_geometries(store)
    return DistrictLocator(items) if items else None
