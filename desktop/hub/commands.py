"""Commands the hub re-checks beyond a table's class rules (issue 12: the hub trusts no device):
the state machines (``desktop.hub.machines``) and the erasure.

**Erasure** (Law 09-08, art. 3.1(e): personal data kept no longer than its purposes need; art. 1.2:
keeping it, "la conservation", is itself processing). The retention purge of a station
(``desktop.services.privacy.purge``) sends each erased row as an update that carries no old value
(``Transaction.update(erase=True)``). The hub accepts it only from a role holding
``privacy.purge``, only as the purge writes it (the personal columns of a site or a complaint set
to their erased values, nothing else), and only at the row's base version (a file changed since is
refused, ``stale_state``, like any command). Once applied, the hub scrubs the erased columns from
what it keeps of that row: the ops it received (``hub_op.op``: each op's hash kept as received, its
content marked ``redacted``, so that ``hub check`` still verifies the chain's links and knows
which erasure redacted it), the conflicts, the receipts (signed again by the hub) and the complaint's
scanned letters (``hub_blob``) no live attachment needs, and the bundles of revoked devices kept
for review (``hub_quarantine``, their signature dropped). The other devices learn of it from their
next pull, which lists the applied erasures of the rows it sends (``applied_erasures``, signed by
``desktop.hub.pull``).
"""
from __future__ import annotations

import json
from typing import Any

from psycopg.types.json import Json, Jsonb

from desktop.domain import bundle
from desktop.domain.auth import can
from desktop.domain.erasure import ERASED, REDACTED, is_erase
from desktop.domain.errors import Refusal
from desktop.domain.sync import AUDIT, canonical
from desktop.hub import machines
from desktop.hub.base import HubConn, hub_key, journal_append
from desktop.hub.state import ANY_TEXT, IN_IDS, BundleRows, json_ids

ERASE_PERMISSION = "privacy.purge"

def may_erase(role: str) -> bool:
    return can(role, ERASE_PERMISSION)


def problem(rows: BundleRows, op: dict, actor: Any, row: dict | None) -> tuple[str, dict] | None:
    """Why the application would not have sent this command (None: it would have): the hub's
    refusal reason and its detail (``rule``, ``field``, ``params``, the op's values)."""
    try:
        found = erase_problem(op) if is_erase(op) else machines.problem(rows, op, actor, row)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:  # a malformed value
        found = {"rule": "malformed", "field": None, "params": [], "detail": f"{type(exc).__name__}: {exc}"[:200]}
    if found is None:
        return None
    return "invalid", {**found, "values": {c: v for c, v in op["new"].items() if c not in AUDIT}}


def erase_problem(op: dict) -> dict | None:
    """Why this erasure is not one the purge writes (None: it is)."""
    erased = ERASED.get(op["tbl"])
    if erased is None:
        return {"rule": "erase_table", "field": None, "params": [op["tbl"]]}
    for column, value in op["new"].items():
        if column not in AUDIT and (column not in erased or value != erased[column]):
            return {"rule": "erase_value", "field": column, "params": []}
    return None


# -- the scrub, once an erasure is applied -------------------------------------------------------

def _blank(value: Any, columns: dict[str, Any]) -> Any:
    """``value`` with every entry named after an erased column (at any depth) set to its erased value."""
    if isinstance(value, dict):
        return {k: (columns[k] if k in columns else _blank(v, columns)) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v, columns) for v in value]
    return value


def scrub(conn: HubConn, device_id: str, erasures: list[dict]) -> None:
    """Take the erased values out of what the hub keeps about each erased row (one pass over
    each of the hub's tables per erased table, whatever the number of rows)."""
    if not erasures:
        return
    counts = {"rows": len(erasures), "ops": 0, "conflicts": 0, "receipts": 0, "quarantined": 0, "blobs": 0}
    by_table: dict[str, dict[str, str]] = {}
    for erase in erasures:
        by_table.setdefault(erase["tbl"], {})[erase["row_id"]] = erase["op_id"]
    for table, rows in by_table.items():
        columns, ids = ERASED[table], json_ids(rows)
        counts["ops"] += _scrub_ops(conn, table, rows, columns)
        counts["conflicts"] += _scrub_conflicts(conn, table, ids, columns)
        counts["receipts"] += _scrub_receipts(conn, table, rows, columns)
        counts["quarantined"] += _scrub_quarantine(conn, table, rows, columns)
        if table == "complaint":  # the scanned letters no live attachment needs
            counts["blobs"] += conn.execute(
                f"DELETE FROM hub_blob b WHERE b.sha256 IN (SELECT sha256 FROM attachment WHERE owner_type ="
                f" 'complaint' AND owner_id {IN_IDS}) AND NOT EXISTS (SELECT 1 FROM attachment a WHERE a.sha256 ="
                " b.sha256 AND a.deleted_at IS NULL)", (ids,)).rowcount
    journal_append(conn, "erase", device_id, counts)


def _scrub_ops(conn: HubConn, table: str, rows: dict[str, str], columns: dict) -> int:
    n = 0
    # by the index of each device's ops (``hub_op_row``: device, table, row), as ``applied_erasures``:
    # without the device, every op of the hub was compared with every erased id (1 s for 8,000)
    for r in conn.execute(f"SELECT o.op_id, o.row_id, o.op FROM hub_device d JOIN hub_op o ON o.device_id = d.device_id"
                          f" AND o.tbl = %s AND o.row_id {ANY_TEXT}", (table, sorted(rows))).fetchall():
        op = r["op"]
        hit = sorted({c for part in ("old", "new") for c, v in (op.get(part) or {}).items()
                      if c in columns and v != columns[c]})
        if not hit or r["op_id"] == rows[r["row_id"]]:
            continue
        for part in ("old", "new"):
            op[part] = {c: (columns[c] if c in hit else v) for c, v in (op.get(part) or {}).items()}
        done = (op.get(REDACTED) or {}).get("columns", [])
        op[REDACTED] = {"columns": sorted(set(done) | set(hit)), "by": rows[r["row_id"]]}
        conn.execute("UPDATE hub_op SET op = %s WHERE op_id = %s", (Json(op), r["op_id"]))
        n += 1
    return n


def _scrub_conflicts(conn: HubConn, table: str, ids: str, columns: dict) -> int:
    n = 0
    for r in conn.execute("SELECT conflict_id, column_name, base_value, device_value, hub_value FROM hub_conflict"
                          f" WHERE tbl = %s AND row_id {IN_IDS}", (table, ids)).fetchall():
        old = [r["base_value"], r["device_value"], r["hub_value"]]
        new = [columns[r["column_name"]]] * 3 if r["column_name"] in columns else [_blank(v, columns) for v in old]
        if new != old:
            conn.execute("UPDATE hub_conflict SET base_value = %s, device_value = %s, hub_value = %s"
                         " WHERE conflict_id = %s", (*map(Jsonb, new), r["conflict_id"]))
            n += 1
    return n


def _blank_conflict(c: dict, table: str, rows: dict, columns: dict) -> dict:
    if c.get("tbl") != table or c.get("row_id") not in rows:
        return c
    if c.get("column") in columns:
        return {**c, "device_value": columns[c["column"]], "hub_value": columns[c["column"]]}
    return {**c, "device_value": _blank(c.get("device_value"), columns), "hub_value": _blank(c.get("hub_value"),
                                                                                         columns)}


def _scrub_receipts(conn: HubConn, table: str, rows: dict[str, str], columns: dict) -> int:
    """The receipts that reported a conflict on an erased row: its values blanked, signed again.
    A receipt lists the conflicts of its bundle's ops (``ingest._receipt``), so only the receipts
    of the devices whose ops are in conflict on these rows, and that name one of those ops, are
    read (none at all, the usual case, when no erased row was ever in conflict): a search of every
    receipt for every erased id took ~12 s for one large receipt and 8,000 ids."""
    ops = conn.execute(f"SELECT DISTINCT c.op_id, c.device_id FROM hub_conflict c WHERE c.tbl = %s AND c.row_id {ANY_TEXT}",
                       (table, sorted(rows))).fetchall()
    if not ops:
        return 0
    n, key = 0, None
    for r in conn.execute(f"SELECT device_id, bundle_no, receipt FROM hub_receipt r WHERE device_id {ANY_TEXT}"
                          " AND EXISTS (SELECT 1 FROM unnest(%s::text[]) AS i(op_id)"
                          " WHERE strpos(convert_from(r.receipt, 'UTF8'), i.op_id) > 0)",
                          (sorted({o["device_id"] for o in ops}), sorted({o["op_id"] for o in ops}))).fetchall():
        body = bundle.peek(bytes(r["receipt"]))
        conflicts = [_blank_conflict(c, table, rows, columns) for c in body.get("conflicts", [])]
        if conflicts == body.get("conflicts", []):
            continue
        key = key or hub_key(conn)
        receipt = bundle.seal({**{k: v for k, v in body.items() if k != "format"}, "conflicts": conflicts}, key)
        conn.execute("UPDATE hub_receipt SET receipt = %s WHERE device_id = %s AND bundle_no = %s",
                     (receipt, r["device_id"], r["bundle_no"]))
        n += 1
    return n


def _scrub_quarantine(conn: HubConn, table: str, rows: dict[str, str], columns: dict) -> int:
    """The bundles revoked devices sent (kept for review, never applied) that carry an erased row:
    its values blanked in their ops. The device's signature no longer holds over the new text: it
    is dropped, and the bundle marked ``redacted`` (``hub quarantine`` shows it unsigned). Each
    kept bundle is read once, one at a time, and its ops looked up among the erased rows (a
    search of every bundle for every erased id grew with both: 64 MB a revoked device at most)."""
    n, erased = 0, {(table, row_id): op_id for row_id, op_id in rows.items()}
    for kept in [r["id"] for r in conn.execute("SELECT id FROM hub_quarantine ORDER BY id")]:
        found = conn.execute("SELECT bundle FROM hub_quarantine WHERE id = %s", (kept,)).fetchone()
        if found is None:
            continue
        data = bytes(found["bundle"])
        redacted = _redact_bundle(data, erased)
        if redacted != data:
            conn.execute("UPDATE hub_quarantine SET bundle = %s WHERE id = %s", (redacted, kept))
            n += 1
    return n


def quarantine_copy(conn: HubConn, data: bytes) -> bytes:
    """What the hub keeps for review of a revoked device's bundle: its bytes, except that the rows
    the hub has erased (an applied erasure, of any device) have their personal values blanked as
    ``_scrub_quarantine`` blanks them (a bundle made before the erasure, sent after it, must not
    bring the values back). The reviewer still sees every op (table, row, kind, actor, clock, which
    columns it set), unsigned, with the erasures named in ``redacted``."""
    try:
        body = bundle.unpack(data)[1]
    except Refusal:
        return data
    wanted: dict[str, set[str]] = {}
    for key in filter(None, (k for op in _ops(body) for k in (_row(op), _letter(op)))):
        wanted.setdefault(key[0], set()).add(key[1])
    erased = {(table, row_id): e["op_id"] for table, ids in wanted.items()
              for row_id, e in applied_erasures(conn, table, ids).items()}
    return _redact_bundle(data, erased) if erased else data


def applied_erasures(conn: HubConn, table: str, ids: Any) -> dict[str, dict]:
    """The latest applied erasure of each of these rows of ``table`` that has one: row id →
    ``{"op_id", "columns"}`` (the columns it erased). By the index of each device's ops (few
    devices, one lookup each); the ids as a ``text[]`` (``state.ANY_TEXT``: a purge just pushed
    made ``IN_IDS`` compare each op with every id, 1.2 s for a pull of the whole commune, not 0.2)."""
    erased: dict[str, dict] = {}
    for r in conn.execute("SELECT o.op_id, o.row_id, o.op->'new' AS new FROM hub_device d JOIN hub_op o ON"
                          f" o.device_id = d.device_id AND o.tbl = %s AND o.row_id {ANY_TEXT}"
                          " WHERE o.status = 'applied' AND o.kind = 'update' AND (o.op->'old')::jsonb = '{}'::jsonb"
                          " ORDER BY o.hlc", (table, sorted(ids))):
        erased[r["row_id"]] = {"op_id": r["op_id"], "columns": sorted(c for c in r["new"] if c not in AUDIT)}
    return erased


def _ops(body: dict) -> list[dict]:
    ops = body.get("ops")
    return [op for op in ops if isinstance(op, dict)] if isinstance(ops, list) else []


def _row(op: dict) -> tuple[str, str] | None:
    """(table, row id) of an op on an erasable table (a revoked device's bundle: anything may be there)."""
    row_id = op.get("row_id")
    return (op["tbl"], row_id) if op.get("tbl") in ERASED and isinstance(row_id, str) else None


def _letter(op: dict) -> tuple[str, str] | None:
    """("complaint", its id) of an op adding a complaint's scanned letter."""
    new = op.get("new")
    if op.get("tbl") != "attachment" or not isinstance(new, dict) or new.get("owner_type") != "complaint":
        return None
    return ("complaint", new["owner_id"]) if isinstance(new.get("owner_id"), str) else None


def _redact_bundle(data: bytes, erased: dict[tuple[str, str], str]) -> bytes:
    """A bundle's bytes with the erasable values of the ``erased`` rows ((table, row id) → the
    erasure's op id) blanked in its ops, and the scanned letters of erased complaints dropped from
    its blobs; unsigned and marked ``redacted`` by those erasures. ``data`` itself when nothing changes."""
    try:
        outer, body = bundle.unpack(data)
    except Refusal:
        return data
    by: set[str] = set()
    ops, blobs = body.get("ops"), body.get("blobs")
    if not isinstance(ops, list):
        return data
    ops, blobs = list(ops), dict(blobs) if isinstance(blobs, dict) else {}
    for n, op in enumerate(ops):
        key = _row(op) if isinstance(op, dict) else None
        if key is not None and key in erased:
            ops[n] = _blank_op(op, key[0], {key[1]: erased[key]}, ERASED[key[0]])
            by.add(erased[key])
        letter = _letter(op) if isinstance(op, dict) else None
        if letter is not None and letter in erased and isinstance(op["new"].get("sha256"), str):
            if blobs.pop(op["new"]["sha256"], None) is not None:
                by.add(erased[letter])
    if ops == body["ops"] and blobs == (body.get("blobs") if isinstance(body.get("blobs"), dict) else {}):
        return data
    earlier: list = outer["redacted"] if isinstance(outer.get("redacted"), list) else []
    text = canonical({**body, "ops": ops, **({"blobs": blobs} if isinstance(body.get("blobs"), dict) else {})})
    redacted = {"body": text, "sig": "", "redacted": sorted({str(i) for i in earlier} | by)}
    return json.dumps(redacted).encode("utf-8")


def _blank_op(op: Any, table: str, rows: dict, columns: dict) -> Any:
    if not isinstance(op, dict) or op.get("tbl") != table or op.get("row_id") not in rows:
        return op
    return {**op, **{part: {c: (columns[c] if c in columns else v) for c, v in op[part].items()}
                     for part in ("old", "new") if isinstance(op.get(part), dict)}}
