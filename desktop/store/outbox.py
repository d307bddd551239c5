"""The outbox of an enrolled device: every write captured as an op in the write's transaction.

An op holds its id (uuid7), the device, the device's sequence, the table, the row, the kind
(insert, update, tombstone), the row's version before (the base the op was made on), the old and
new values of the columns it changed, a hybrid logical clock, the actor, and the hash of the
previous op: the ops of a device form one hash chain (``verify``). An op stays pending until a
receipt signed by the hub acknowledges it. Nothing here is captured on a commune that is not
enrolled (``meta`` ``sync.enrolled``): a standalone commune works exactly as before.

Ops are never rewritten, with one exception (migration 11, Law 09-08): once the hub has
acknowledged an erasure of the retention purge as applied, the ops acknowledged before it that
carry the erased row's personal values have them scrubbed (``redact_erased``), their hash kept and
their content marked ``redacted`` as the hub marks its copy. An op not acknowledged yet is left
whole: the hub must receive it as it was hashed (it verifies every op's hash), and the erasure
that follows it in the chain erases the value there too; it is scrubbed once the receipt comes.
The same holds for an erasure another device made (migration 12): the hub lists it, signed, in
the pull that brings the erased row; this device keeps it (``sync_erasure``) and scrubs its own
acknowledged ops of that row made before it arrived, the others at their receipt.
"""
from __future__ import annotations

import json
import time

from desktop.domain import bundle, erasure
from desktop.domain.ids import utc_now, uuid7
from desktop.domain.sync import GENESIS, LOCAL, canonical, hlc_next, op_hash, verify_chain
from desktop.store.engine import sqlite3

ENROLLED_KEY = "sync.enrolled"


def is_enrolled(conn: sqlite3.Connection) -> bool:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (ENROLLED_KEY,)).fetchone()
    except sqlite3.OperationalError:
        return False
    return bool(row) and row[0] == "1"


def captured(table: str) -> bool:
    return table not in LOCAL


def read_row(conn: sqlite3.Connection, table: str, row_id: str) -> dict | None:
    cur = conn.execute(f"SELECT * FROM [{table}] WHERE id = ?", (row_id,))
    row = cur.fetchone()
    return None if row is None else dict(zip([d[0] for d in cur.description], row))


def get_state(conn: sqlite3.Connection, name: str) -> str | None:
    row = conn.execute("SELECT value FROM sync_state WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def set_state(conn: sqlite3.Connection, name: str, value: str) -> None:
    conn.execute("INSERT INTO sync_state (name, value) VALUES (?, ?)"
                 " ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, value))


def tick(conn: sqlite3.Connection, device_id: str) -> str:
    """The next hybrid logical clock of this device (kept in ``sync_state``)."""
    hlc = hlc_next(get_state(conn, "hlc"), time.time_ns() // 1_000_000, device_id)
    set_state(conn, "hlc", hlc)
    return hlc


def capture(conn: sqlite3.Connection, *, device_id: str, actor: str | None, table: str, row_id: str,
            kind: str, before: dict | None, after: dict, tx: str, erase: bool = False) -> None:
    """Append the op of one write (inside the caller's transaction ``tx``: the hub applies the ops
    of one transaction together or refuses them together). An ``erase`` (personal values erased
    by the retention purge) carries no old value: the erased values never leave in an op."""
    if before is None:
        old: dict = {}
        new = dict(after)
    else:
        changed = [c for c in after if after[c] != before.get(c)]
        old = {c: before.get(c) for c in changed}
        new = {c: after[c] for c in changed}
        if erase:
            old = {}
    last = conn.execute("SELECT seq, hash FROM sync_op ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    op = {"op_id": uuid7(), "device_id": device_id, "seq": seq, "tbl": table, "row_id": row_id, "kind": kind,
          "base_version": before.get("version") if before else None, "old": old, "new": new,
          "hlc": tick(conn, device_id), "actor": actor, "at": utc_now(), "tx": tx, "prev_hash": prev}
    op["hash"] = op_hash(op)
    conn.execute("INSERT INTO sync_op (op_id, device_id, seq, tbl, row_id, kind, base_version, old, new, hlc,"
                 " actor, at, tx, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                 (op["op_id"], device_id, seq, table, row_id, kind, op["base_version"], canonical(old),
                  canonical(new), op["hlc"], actor, op["at"], tx, prev, op["hash"]))


_COLUMNS = "op_id, device_id, seq, tbl, row_id, kind, base_version, old, new, hlc, actor, at, tx, prev_hash, hash"


def _op(row: tuple) -> dict:
    op = dict(zip(_COLUMNS.split(", "), row))
    op["old"], op["new"] = json.loads(op["old"]), json.loads(op["new"])
    return op


def pending(conn: sqlite3.Connection) -> list[dict]:
    """The ops not acknowledged by the hub yet, in order."""
    return [_op(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM sync_op WHERE acked_at IS NULL ORDER BY seq")]


def pending_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM sync_op WHERE acked_at IS NULL").fetchone()[0]


def pending_rows(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """(table, row id) of every row that has an op not acknowledged yet."""
    return set(conn.execute("SELECT DISTINCT tbl, row_id FROM sync_op WHERE acked_at IS NULL"))


def chain_head_before(conn: sqlite3.Connection, seq: int) -> tuple[int, str]:
    """(seq, hash) of the op just before ``seq`` (0 and the genesis hash before the first)."""
    row = conn.execute("SELECT seq, hash FROM sync_op WHERE seq < ? ORDER BY seq DESC LIMIT 1", (seq,)).fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def acknowledge(conn: sqlite3.Connection, through_seq: int, through_hash: str, results: dict[str, str],
                at: str) -> int:
    """Mark every op up to ``through_seq`` acknowledged (the receipt's chain head must be ours).
    Returns how many were newly acknowledged; ``results`` maps op id → status at the hub."""
    row = conn.execute("SELECT hash FROM sync_op WHERE seq = ?", (through_seq,)).fetchone()
    if row is None or row[0] != through_hash:
        return -1
    # each op's status in one statement (the receipt's results as one JSON text, joined on the
    # primary key), not one UPDATE per op: ~25 µs an op for a large push's receipt
    conn.execute("UPDATE sync_op SET result = r.value FROM json_each(?) AS r"
                 " WHERE sync_op.op_id = r.key AND sync_op.result IS NULL", (json.dumps(results),))
    return conn.execute("UPDATE sync_op SET acked_at = ? WHERE seq <= ? AND acked_at IS NULL",
                        (at, through_seq)).rowcount


def _erasures(conn: sqlite3.Connection, since: int = 0, through: int | None = None) -> dict[str, dict]:
    """This device's erasures the hub acknowledged as applied (with ``seq`` in (since, through]), by op id."""
    return {op["op_id"]: op for op in map(_op, conn.execute(
        f"SELECT {_COLUMNS} FROM sync_op WHERE seq > ? AND seq <= ? AND kind = 'update' AND old = '{{}}'"
        " AND acked_at IS NOT NULL AND result = 'applied' ORDER BY seq", (since, 1 << 62 if through is None else through)))
        if erasure.is_erase(op) and op["tbl"] in erasure.ERASED}


def redact_erased(conn: sqlite3.Connection) -> dict:
    """Scrub the erased values from the acknowledged ops (and the conflicts the hub reported) of
    every row whose erasure the hub applied: this device's own erasures acknowledged since the last
    call (``sync_state`` ``redacted_through``: a range of ``seq``, not a scan of the whole outbox at
    each receipt), and the other devices' erasures the hub listed in a pull (``sync_erasure``: the
    ops up to its ``through_seq`` acknowledged by now, one join over the erased rows):
    ``{"ops": n, "conflicts": n, "by": [erasure op ids]}``. In the caller's transaction."""
    done: dict = {"ops": 0, "conflicts": 0, "by": []}
    since = int(get_state(conn, "redacted_through") or 0)
    through = conn.execute("SELECT max(seq) FROM sync_op WHERE acked_at IS NOT NULL").fetchone()[0] or 0
    if through > since:
        set_state(conn, "redacted_through", str(through))
        for erase in _erasures(conn, since, through).values():
            by, row = erase["op_id"], (erase["tbl"], erase["row_id"])
            _scrub(conn, [(_op(r), by) for r in conn.execute(
                f"SELECT {_COLUMNS} FROM sync_op WHERE tbl = ? AND row_id = ? AND seq < ? AND acked_at IS NOT NULL"
                " AND redacted IS NULL ORDER BY seq", (*row, erase["seq"])).fetchall()],
                conn.execute(f"SELECT {_CONFLICT}, ? FROM sync_conflict c WHERE tbl = ? AND row_id = ?",
                             (by, *row)).fetchall(), done)
    _scrub(conn, [(_op(r[:-1]), r[-1]) for r in conn.execute(
        f"SELECT {', '.join('o.' + c for c in _COLUMNS.split(', '))}, h.op_id FROM sync_erasure h JOIN sync_op o"
        " ON o.tbl = h.tbl AND o.row_id = h.row_id AND o.seq <= h.through_seq"
        " WHERE o.acked_at IS NOT NULL AND o.redacted IS NULL ORDER BY o.seq").fetchall()],
        conn.execute(f"SELECT {_CONFLICT}, h.op_id FROM sync_erasure h JOIN sync_conflict c ON c.tbl = h.tbl"
                     " AND c.row_id = h.row_id JOIN sync_op o ON o.op_id = c.op_id AND o.seq <= h.through_seq"
                     ).fetchall(), done)
    return done


_CONFLICT = "c.conflict_id, c.tbl, c.column_name, c.device_value, c.hub_value"


def _scrub(conn: sqlite3.Connection, ops: list[tuple[dict, str]], conflicts: list[tuple], done: dict) -> None:
    """Redact each op (with the erasure that covers it) that still holds an erasable value, and
    blank the erased columns of each conflict (its id, table, column, values, erasure)."""
    hit = set()
    for op, by in ops:
        if not erasure.redacted_columns(op):
            continue
        red = erasure.redact(op, by)
        conn.execute("UPDATE sync_op SET old = ?, new = ?, redacted = ? WHERE op_id = ?",
                     (canonical(red["old"]), canonical(red["new"]), canonical(red[erasure.REDACTED]), op["op_id"]))
        done["ops"] += 1
        hit.add(by)
    for cid, table, column, device_value, hub_value, by in conflicts:
        columns = erasure.ERASED[table]
        old = [json.loads(v) if v is not None else None for v in (device_value, hub_value)]
        new = [columns[column]] * 2 if column in columns else [_blank(v, columns) for v in old]
        if new != old:
            conn.execute("UPDATE sync_conflict SET device_value = ?, hub_value = ? WHERE conflict_id = ?",
                         (*map(json.dumps, new), cid))
            done["conflicts"] += 1
            hit.add(by)
    done["by"] += sorted(hit - set(done["by"]))


def hub_erasure_problem(e: dict, hub_id: str, public_pem: str) -> str | None:
    """Why an erasure a pull lists (or ``sync_erasure`` keeps) is not one the hub signed (None: it is)."""
    if not (isinstance(e, dict) and e.get("tbl") in erasure.ERASED and isinstance(e.get("columns"), list)
            and all(isinstance(e.get(k), str) for k in ("row_id", "op_id", "sig"))
            and all(isinstance(c, str) for c in e["columns"])):
        return f"erasure {str(e)[:80]}: malformed"
    text = erasure.statement(hub_id, e["tbl"], e["row_id"], e["op_id"], e["columns"])
    return None if bundle.signed(text, e["sig"], public_pem) else f"erasure {e['op_id']}: not signed by the hub"


def record_hub_erasures(conn: sqlite3.Connection, erased: list[dict], at: str) -> list[dict]:
    """Keep the erasures a pull listed (their signatures verified by the caller), each covering the
    ops of this outbox so far; returns those new to this device. In the pull's transaction. This
    device's own erasures are not kept: they cover the ops before them in its chain only (an op
    made here after the purge carries a value entered since)."""
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM sync_op").fetchone()[0]
    own = {r[0] for r in conn.execute("SELECT op_id FROM sync_op WHERE op_id IN (SELECT value FROM json_each(?))",
                                      (json.dumps([e["op_id"] for e in erased]),))}
    return [e for e in erased if e["op_id"] not in own and conn.execute(
        "INSERT OR IGNORE INTO sync_erasure (op_id, tbl, row_id, columns, sig, through_seq, received_at)"
        " VALUES (?,?,?,?,?,?,?)", (e["op_id"], e["tbl"], e["row_id"], json.dumps(e["columns"]), e["sig"], last,
                                    at)).rowcount]


def _blank(value, columns: dict):
    if isinstance(value, dict):
        return {k: (columns[k] if k in columns else _blank(v, columns)) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v, columns) for v in value]
    return value


def verify(conn: sqlite3.Connection) -> list[str]:
    """The outbox's chain, whole: problems found (none when intact). An op scrubbed after an
    erasure (``redact_erased``) is verified by its link and its mark, as ``hub check`` does, and
    only when acknowledged and before the erasure that redacted it (this device's own, or one the
    hub signed in a pull, kept in ``sync_erasure`` with its signature, verified here)."""
    try:
        rows = conn.execute(f"SELECT {_COLUMNS}, acked_at, redacted FROM sync_op ORDER BY seq").fetchall()
    except sqlite3.OperationalError:
        return []
    hub, problems = _hub_erasures(conn)
    if problems:
        return [f"outbox: {p}" for p in problems]
    erasures = {**_erasures(conn), **hub}
    prev_seq, prev_hash = 0, GENESIS
    for row in rows:
        op, acked, mark = _op(row[:-2]), row[-2], row[-1]
        if mark is None:
            problem = verify_chain([op], prev_seq, prev_hash)
        elif op["seq"] != prev_seq + 1 or op["prev_hash"] != prev_hash:
            problem = f"op {op['seq']}: previous-hash link broken"
        else:
            problem = _redaction_problem({**op, erasure.REDACTED: _json(mark)}, acked, erasures)
        if problem:
            return [f"outbox: {problem}"]
        prev_seq, prev_hash = op["seq"], op["hash"]
    return []


def _hub_erasures(conn: sqlite3.Connection) -> tuple[dict[str, dict], list[str]]:
    """The other devices' erasures this device keeps (``sync_erasure``), each as the erasure a
    redaction names (``seq``: the first op after those it covers), and the ones whose signature
    is not the hub's over what is kept (a row put in to let a forged mark through)."""
    meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('sync.hub_id', 'sync.hub_public_key')"))
    found: dict[str, dict] = {}
    problems = []
    for op_id, tbl, row_id, columns, sig, through in conn.execute(
            "SELECT op_id, tbl, row_id, columns, sig, through_seq FROM sync_erasure ORDER BY op_id"):
        e = {"op_id": op_id, "tbl": tbl, "row_id": row_id, "columns": _json(columns), "sig": sig}
        problem = hub_erasure_problem(e, meta.get("sync.hub_id", ""), meta.get("sync.hub_public_key", ""))
        if problem:
            problems.append(problem)
        found[op_id] = {"tbl": tbl, "row_id": row_id, "seq": through + 1}
    return found, problems


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def _redaction_problem(op: dict, acked: str | None, erasures: dict[str, dict]) -> str | None:
    problem = erasure.redaction_problem(op, erasures)
    if problem:
        return problem
    if acked is None or erasures[op[erasure.REDACTED]["by"]]["seq"] <= op["seq"]:
        return f"op {op['seq']}: redacted before the hub acknowledged it and its erasure"
    return None
