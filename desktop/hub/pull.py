"""What a device receives: the hub's rows changed since its cursor, in its scope (an officer's
arrondissement; the whole commune for the coordinator's and president's stations), with the rows
they refer to outside that scope (so that foreign keys hold on the replica) and the photos and
PDFs of the attachments (checked by hash on arrival)."""
from __future__ import annotations

import base64


from desktop.domain import bundle
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.domain.sync import TABLES
from desktop.hub.base import HUB_COLUMNS, HubConn, HubSchema, LOCK, connect, hub_key, meta, q, schema


def _device(conn: HubConn, device_id: str) -> dict:
    row = conn.execute("SELECT * FROM hub_device WHERE device_id = %s", (device_id,)).fetchone()
    if row is None:
        raise Refusal("sync.unknown_device", device=device_id)
    if row["status"] == "revoked":
        raise Refusal("sync.device_revoked", device=device_id)
    return row


def _strip(row: dict) -> dict:
    """The row as the devices hold it, with the hub's change number (``hub_seq``: a device that
    keeps its own pending version of a row does not move its cursor past it)."""
    return {c: v for c, v in row.items() if c not in HUB_COLUMNS or c == "hub_seq"}


def _tables_changed(conn: HubConn, hub_schema: HubSchema, cursor: int) -> list[str]:
    """The tables with a change since ``cursor``, in one round trip (most have none)."""
    tables = list(hub_schema.columns)
    sql = " UNION ALL ".join("SELECT '" + t.replace("'", "''") + f"'::text AS tbl WHERE EXISTS"
                             f" (SELECT 1 FROM {q(t)} WHERE hub_seq > %s)" for t in tables)
    found = {r["tbl"] for r in conn.execute(sql, [cursor] * len(tables))}
    return [t for t in tables if t in found]


def _changed(conn: HubConn, hub_schema: HubSchema, device: dict, cursor: int) -> dict[str, dict]:
    rows: dict[str, dict] = {table: {} for table in hub_schema.columns}
    for table in _tables_changed(conn, hub_schema, cursor):
        sql = f"SELECT * FROM {q(table)} WHERE hub_seq > %s"
        params: list[object] = [cursor]
        if TABLES[table].scope and (not device["full_scope"] or device["scope_district"]):
            # its arrondissement, and every row it wrote itself (a refusal comes back tombstoned)
            sql += (" AND (scope_district = %s OR id IN (SELECT row_id FROM hub_op WHERE device_id = %s"
                    " AND tbl = %s))")
            params += [device["scope_district"], device["device_id"], table]
        rows[table] = {r["id"]: _strip(r) for r in conn.execute(sql + " ORDER BY hub_seq", params)}
    if not device["full_scope"]:  # a tablet that may be lost holds no one else's password hash
        for row in rows.get("user", {}).values():
            if row["id"] != device["user_id"]:
                row["password_hash"] = ""
    return rows


def _close_over_parents(conn: HubConn, hub_schema: HubSchema, rows: dict[str, dict]) -> None:
    """Add every row the batch refers to that the device may not hold (outside its scope)."""
    pending = True
    while pending:
        pending = False
        for table, fks in hub_schema.fks.items():
            for column, parent in fks.items():
                wanted = {r[column] for r in rows.get(table, {}).values() if r.get(column)}
                wanted -= set(rows.get(parent, {}))
                if not wanted or not TABLES[parent].scope:
                    continue
                found = conn.execute(f"SELECT * FROM {q(parent)} WHERE id = ANY(%s)", (sorted(wanted),)).fetchall()
                for r in found:
                    rows.setdefault(parent, {})[r["id"]] = _strip(r)
                    pending = True


def _blobs(conn: HubConn, rows: dict[str, dict]) -> dict[str, str]:
    shas = sorted({r["sha256"] for r in rows.get("attachment", {}).values() if r.get("sha256")})
    if not shas:
        return {}
    return {r["sha256"]: base64.b64encode(bytes(r["data"])).decode("ascii")
            for r in conn.execute("SELECT sha256, data FROM hub_blob WHERE sha256 = ANY(%s)", (shas,))}


def pull_body(conn: HubConn, device_id: str, cursor: int) -> dict:
    hub_schema = schema(conn)
    # The shared lock only while the cursor is read and the snapshot taken: no ingest is then
    # between its first change number and its commit, so every change numbered up to the cursor
    # is in the snapshot, and every later one is numbered above it. The rows are then read from
    # that snapshot (REPEATABLE READ) without holding back the ingests.
    conn.execute("SELECT pg_advisory_lock_shared(%s)", (LOCK,))
    locked = True
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            seq = conn.execute("SELECT last_value, is_called FROM hub_change_seq").fetchone()  # the snapshot
            conn.execute("SELECT pg_advisory_unlock_shared(%s)", (LOCK,))
            locked = False
            return _read(conn, hub_schema, device_id, cursor, seq)
    finally:
        if locked:
            conn.execute("SELECT pg_advisory_unlock_shared(%s)", (LOCK,))


def _read(conn: HubConn, hub_schema: HubSchema, device_id: str, cursor: int, seq: dict | None) -> dict:
    """The pull's body, read from the snapshot its cursor was taken with."""
    device = _device(conn, device_id)
    assert seq is not None
    new_cursor = seq["last_value"] if seq["is_called"] else seq["last_value"] - 1
    rows = _changed(conn, hub_schema, device, int(cursor))
    if not device["full_scope"] or device["scope_district"]:
        _close_over_parents(conn, hub_schema, rows)
    blobs = _blobs(conn, rows)
    resolved = [r["conflict_id"] for r in conn.execute(
        "SELECT conflict_id FROM hub_conflict WHERE device_id = %s AND status = 'resolved'", (device_id,))]
    return {"kind": "pull", "resolved": resolved, "schema": hub_schema.version, "hub_id": meta(conn, "hub_id"),
            "device_id": device_id, "since": int(cursor), "cursor": max(new_cursor, int(cursor)),
            "rows": {t: list(r.values()) for t, r in rows.items() if r}, "blobs": blobs, "at": utc_now()}


def pull(pg_url: str, device_id: str, cursor: int) -> bytes:
    """A hub-signed pull bundle for ``device_id`` from ``cursor`` (0: its whole replica)."""
    with connect(pg_url) as conn:
        return bundle.seal(pull_body(conn, device_id, cursor), hub_key(conn))


def export_for_device(pg_url: str, device_id: str) -> bytes:
    """The file a USB stick takes back to a device: its latest receipt, then its pull from the
    cursor it reported in its last bundle."""
    with connect(pg_url) as conn:
        device = _device(conn, device_id)
        receipts = [bytes(r["receipt"]).decode("utf-8") for r in conn.execute(
            "SELECT receipt FROM hub_receipt WHERE device_id = %s ORDER BY bundle_no DESC LIMIT 1", (device_id,))]
        key = hub_key(conn)
        body = pull_body(conn, device_id, int(device["cursor"]))
        return bundle.seal({"kind": "export", "schema": body["schema"], "hub_id": body["hub_id"],
                            "device_id": device_id, "receipts": receipts,
                            "pull": bundle.seal(body, key).decode("utf-8"), "at": utc_now()}, key)
