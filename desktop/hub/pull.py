"""What a device receives: the hub's rows changed since its cursor, in its scope (an officer's
arrondissement; the whole commune for the coordinator's and president's stations), with the rows
they refer to outside that scope (so that foreign keys hold on the replica) and the photos and
PDFs of the attachments (checked by hash on arrival)."""
from __future__ import annotations

import base64

from psycopg.rows import tuple_row

from desktop.domain import bundle, pullformat
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.domain.sync import TABLES
from desktop.hub import catalogue
from desktop.hub.base import HubConn, HubSchema, LOCK, connect, hub_key, meta, q, schema
from desktop.hub.replication import PERSONAL


def _device(conn: HubConn, device_id: str) -> dict:
    row = conn.execute("SELECT * FROM hub_device WHERE device_id = %s", (device_id,)).fetchone()
    if row is None:
        raise Refusal("sync.unknown_device", device=device_id)
    if row["status"] == "revoked":
        raise Refusal("sync.device_revoked", device=device_id)
    return row


def _select(hub_schema: HubSchema, table: str) -> tuple[list[str], str]:
    """(the columns the devices hold, in their order; the SELECT of them and of hub_seq)."""
    columns = list(hub_schema.columns[table])
    return columns, f"SELECT {', '.join(q(c) for c in columns)}, hub_seq FROM {q(table)}"


def _tables_changed(conn: HubConn, hub_schema: HubSchema, cursor: int) -> list[str]:
    """The tables with a change since ``cursor``, in one round trip (most have none)."""
    tables = list(hub_schema.columns)
    sql = " UNION ALL ".join("SELECT '" + t.replace("'", "''") + f"'::text AS tbl WHERE EXISTS"
                             f" (SELECT 1 FROM {q(t)} WHERE hub_seq > %s)" for t in tables)
    found = {r["tbl"] for r in conn.execute(sql, [cursor] * len(tables))}
    return [t for t in tables if t in found]


# The stations where several of the commune's accounts log in (the town hall's): the only devices
# that receive the other accounts' password hashes. A tablet, or the governor's services' reader,
# holds only its own user's.
STATIONS = frozenset({"coordinator", "president", "administrator"})
Rows = dict[str, dict[str, tuple]]  # table → row id → the row's values (its columns, then hub_seq)


def _changed(conn: HubConn, hub_schema: HubSchema, device: dict, cursor: int) -> Rows:
    """The rows changed since ``cursor`` in the device's scope, as the devices hold them (the
    hub's own columns left out but ``hub_seq``: a device that keeps its own pending version of a
    row does not move its cursor past it), read as tuples, one query per table."""
    rows: Rows = {table: {} for table in hub_schema.columns}
    cur = conn.cursor(row_factory=tuple_row)
    for table in _tables_changed(conn, hub_schema, cursor):
        columns, select = _select(hub_schema, table)
        sql = select + " WHERE hub_seq > %s"
        params: list[object] = [cursor]
        if TABLES[table].scope and (not device["full_scope"] or device["scope_district"]):
            # its arrondissement, and the rows outside it that it made itself (a refused insert
            # comes back tombstoned) or changed while holding them as the parent of one of its rows
            # (a refused change comes back as the hub has it) -- never a row it merely named in an
            # op (that would hand any arrondissement's row to a device that asks by its id). Two
            # parts rather than one OR, so that the first reads the (scope_district, hub_seq)
            # index instead of the whole table (0.4 s for 100,000 inspections).
            own, own_params = _own_outside(hub_schema, table, device)
            sql += (" AND scope_district = %s UNION ALL " + select + " WHERE hub_seq > %s AND (scope_district = %s)"
                    " IS NOT TRUE AND " + own)
            params += [device["scope_district"], cursor, device["scope_district"], *own_params]
        key = columns.index("id")
        rows[table] = {r[key]: r for r in cur.execute(sql + " ORDER BY hub_seq", params).fetchall()}
    if device["role"] not in STATIONS and rows.get("user"):  # a device that may be lost holds no one else's password hash
        columns = list(hub_schema.columns["user"])
        key, secret = columns.index("id"), columns.index("password_hash")
        for user_id, row in rows["user"].items():
            if user_id != device["user_id"]:
                rows["user"][user_id] = (*row[:secret], "", *row[secret + 1:])
    return rows


def _own_outside(hub_schema: HubSchema, table: str, device: dict) -> tuple[str, list[object]]:
    """The condition on ``table``'s rows outside the device's arrondissement that it may receive.

    One ``id IN`` over the device's own ops (few), so that PostgreSQL joins them to the table by
    its key: an ``OR`` of two such sets made it filter every row of the table (0.3-0.8 s for
    100,000 inspections in a new tablet's pull)."""
    sql = "id IN (SELECT o.row_id FROM hub_op o WHERE o.device_id = %s AND o.tbl = %s AND (o.kind = 'insert'"
    params: list[object] = [device["device_id"], table]
    children = [(child, column) for child, fks in hub_schema.fks.items() for column, parent in fks.items()
                if parent == table and TABLES[child].scope]
    if children:  # a change it made to a row one of its rows refers to
        held = " OR ".join(f"EXISTS (SELECT 1 FROM {q(child)} c WHERE c.{q(column)} = o.row_id"
                           " AND c.scope_district = %s)" for child, column in children)
        sql += f" OR {held}"
        params += [device["scope_district"]] * len(children)
    return sql + "))", params


BLANK = {"owner_id_kind": "none"}  # what a personal column holds once blanked ("" but where a CHECK wants a word)


def _close_over_parents(conn: HubConn, hub_schema: HubSchema, rows: Rows, district: str | None) -> None:
    """Add every row the batch refers to that the device may not hold (outside its scope), so
    that its foreign keys hold; a parent outside the device's arrondissement comes without its
    personal data (owners, contacts, addresses: ``replication.PERSONAL``), which a tablet holds for
    its own arrondissement only."""
    cur = conn.cursor(row_factory=tuple_row)
    pending = True
    while pending:
        pending = False
        for table, fks in hub_schema.fks.items():
            held = rows.get(table)
            if not held:
                continue
            columns = list(hub_schema.columns[table])
            for column, parent in fks.items():
                if not TABLES[parent].scope:
                    continue
                at = columns.index(column)
                wanted = {r[at] for r in held.values() if r[at]}
                wanted -= rows.setdefault(parent, {}).keys()
                if not wanted:
                    continue
                parent_columns, sql = _select(hub_schema, parent)
                key = parent_columns.index("id")
                blank = [(n, BLANK.get(c, "")) for n, c in enumerate(parent_columns) if c in PERSONAL]
                for r in cur.execute(sql.replace(" FROM ", ", (scope_district = %s) IS NOT TRUE FROM ", 1)
                                     + " WHERE id = ANY(%s)", (district, sorted(wanted))).fetchall():
                    row, outside = list(r[:-1]), r[-1]
                    for n, value in blank if outside else ():
                        row[n] = value
                    rows[parent][r[key]] = tuple(row)
                    pending = True


def _blobs(conn: HubConn, hub_schema: HubSchema, rows: Rows) -> dict[str, str]:
    if not rows.get("attachment"):
        return {}
    at = list(hub_schema.columns["attachment"]).index("sha256")
    shas = sorted({r[at] for r in rows["attachment"].values() if r[at]})
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
        _close_over_parents(conn, hub_schema, rows, device["scope_district"])
    blobs = _blobs(conn, hub_schema, rows)
    resolved = [r["conflict_id"] for r in conn.execute(
        "SELECT conflict_id FROM hub_conflict WHERE device_id = %s AND status = 'resolved'", (device_id,))]
    body = {"kind": "pull", "resolved": resolved, "schema": hub_schema.version, "hub_id": meta(conn, "hub_id"),
            "device_id": device_id, "since": int(cursor), "cursor": max(new_cursor, int(cursor)),
            "layout": pullformat.PULL_LAYOUT, "blobs": blobs, "at": utc_now(),
            "tables": {t: pullformat.encode(list(hub_schema.columns[t]), list(r.values())) for t, r in rows.items() if r}}
    files = catalogue.for_pull(conn, int(cursor))
    if files is not None:  # the commune's catalogue extensions, when the device may not hold them yet
        body["catalogue"] = files
    return body


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
