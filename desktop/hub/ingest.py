"""``ingest``: a device's bundle verified and applied at the hub in ONE transaction, answered by
a receipt signed with the hub's key.

Refused as a whole (nothing applied, a clear message): a bundle that is not one, of another
schema, not signed by the key the device enrolled with, from a revoked device (its bundle is kept
in ``hub_quarantine`` for review), older than one already ingested (a replay), or whose ops do not
continue the device's chain. Re-sending the last bundle returns its receipt again; ops already
ingested (from an earlier bundle whose receipt was lost) are recognised by their id and hash.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from contextlib import contextmanager, nullcontext
from operator import itemgetter
from typing import Iterator

import orjson

from desktop.domain import bundle
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.domain.sync import BUNDLE_MAX_CONFLICTS, BUNDLE_MAX_OPS, verify_chain
from desktop.hub import bulk, commands, rules
from desktop.hub.state import COPY_FROM, IN_IDS, BundleRows, json_ids
from desktop.hub.base import HubConn, LOCK, Settings, connect, journal_append, lock_writer, settings


_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")  # U+0000 in a JSON text: \u0000 after an even number of backslashes
EARLY_FROM = COPY_FROM  # the bulk path's candidate ops stored while it decides, from this many (``_early_ops``)
OPS_PER_STATEMENT = 20_000  # ops stored per statement (a JSON text of ~25 MB at most)


def _device(conn: HubConn, device_id, lock: bool = False) -> dict:
    row = conn.execute(f"SELECT * FROM hub_device WHERE device_id = %s{' FOR UPDATE' if lock else ''}",
                       (str(device_id),)).fetchone()
    if row is None:
        raise Refusal("sync.unknown_device", device=str(device_id))
    return row


def ingest(pg_url: str, data: bytes) -> bytes:
    """Verify and apply a device's push bundle; return the hub-signed receipt."""
    unpacked = bundle.unpack(data, floats=True)  # (no NaN: each op's text made without looking for one)
    with connect(pg_url) as conn:
        hub = settings(conn)
        hub_schema = hub.schema
        device = _device(conn, unpacked[1].get("device_id"))
        body = bundle.open_sealed(unpacked, device["public_key"], kind="push", schema=hub_schema.version,
                                  here="hub")
        if body.get("hub_id") != hub.hub_id:
            raise Refusal("sync.other_hub")
        # PostgreSQL's text and JSON cannot hold U+0000: refused, not an error (the regex only where
        # its text is: a scan of a large body by the regex alone cost ~0.35 s per 10,000 ops)
        if "\\u0000" in unpacked[0]["body"] and _NUL.search(unpacked[0]["body"]):
            raise Refusal("sync.bad_text")
        if device["status"] == "revoked":
            _quarantine(conn, device["device_id"], data, "revoked")
            raise Refusal("sync.device_revoked", device=device["device_id"])
        # The bundle's own chain (each op's hash, each link) is checked before the lock: only its
        # first new op's link to the device's chain head needs the lock (``_known_ops``).
        ops = body.get("ops") or []
        if not isinstance(ops, list) or len(ops) > BUNDLE_MAX_OPS:
            raise Refusal("sync.bundle_too_large", ops=len(ops) if isinstance(ops, list) else 0, most=BUNDLE_MAX_OPS)
        problem = verify_chain(ops, ops[0]["seq"] - 1, ops[0]["prev_hash"]) if ops else None
        # the ops as ``hub_op`` stores them, encoded before the lock (the bundle's new ops are
        # usually all of them)
        ops_text = _dumps(ops) if len(ops) < COPY_FROM else None  # (many: by COPY, each op encoded here)
        texts = {id(op): _op_text(op, unpacked.finite) for op in ops} if ops_text is None else {}
        with conn.transaction():
            with conn.pipeline():  # the lock, then the device's row: one round trip
                lock_writer(conn)
                device = _device(conn, body["device_id"], lock=True)
            if device["status"] == "revoked":  # revoked meanwhile
                raise Refusal("sync.device_revoked", device=device["device_id"])
            number = int(body["bundle_no"])
            if number < device["last_bundle_no"]:
                raise Refusal("sync.bundle_replayed", number=number, last=device["last_bundle_no"])
            if number == device["last_bundle_no"]:
                stored = conn.execute("SELECT receipt FROM hub_receipt WHERE device_id = %s AND bundle_no = %s",
                                      (device["device_id"], number)).fetchone()
                if stored is not None:
                    return bytes(stored["receipt"])
            return _apply_bundle(conn, hub, device, body, data, problem, ops_text, texts)


QUARANTINE_BYTES = 64 * 1024 * 1024  # a revoked device's bundles kept for review, at most (each one once)


def _quarantine(conn: HubConn, device_id: str, data: bytes, reason: str) -> None:
    """Keep a revoked device's bundle for review: once (a re-send is not kept again), and no more
    than ``QUARANTINE_BYTES`` per device (beyond, it is refused without being kept: a stolen
    tablet cannot fill the hub's disk). The values of rows the hub has erased are not kept
    (``commands.quarantine_copy``, Law 09-08)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (device_id,))
        conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (LOCK,))  # an erasure being applied: seen
        data = commands.quarantine_copy(conn, data)
        kept = conn.execute("SELECT coalesce(sum(length(bundle)), 0) AS bytes, count(*) FILTER (WHERE"
                            " md5(bundle) = md5(%s::bytea)) AS same FROM hub_quarantine WHERE device_id = %s",
                            (data, device_id)).fetchone()
        assert kept is not None
        if kept["same"] or kept["bytes"] + len(data) > QUARANTINE_BYTES:
            return
        conn.execute("INSERT INTO hub_quarantine (device_id, received_at, reason, bundle) VALUES (%s, %s, %s, %s)",
                     (device_id, utc_now(), reason, data))


def _known_ops(conn: HubConn, device: dict, ops: list[dict], problem: str | None) -> list[dict]:
    """The ops of the bundle the hub has not ingested yet; those it has must be the same ops.
    ``problem``: what ``verify_chain`` found wrong inside the bundle's chain (checked before the
    lock); here, under the lock, the link of its first new op to the device's chain head."""
    old = [op for op in ops if op["seq"] <= device["last_seq"]]
    if old:
        stored = {r["seq"]: r["hash"] for r in conn.execute(
            "SELECT seq, hash FROM hub_op WHERE device_id = %s AND seq IN"
            " (SELECT jsonb_array_elements_text(%s::jsonb)::bigint)",
            (device["device_id"], json_ids(int(op["seq"]) for op in old)))}
        if any(stored.get(op["seq"]) != op["hash"] for op in old):
            raise Refusal("sync.chain_broken", detail="ops differ from those already received")
    new = [op for op in ops if op["seq"] > device["last_seq"]]
    if new and not problem:  # the rest of the chain was verified: its first new op's link
        problem = verify_chain(new[:1], device["last_seq"], device["last_hash"])
    if problem:
        raise Refusal("sync.chain_broken", detail=problem)
    if any(op["device_id"] != device["device_id"] for op in new):
        raise Refusal("sync.chain_broken", detail="an op of another device")
    return new


def _store_blobs(conn: HubConn, blobs: dict) -> None:
    for sha, data in bundle.checked_blobs(blobs):
        conn.execute("INSERT INTO hub_blob (sha256, size, data) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                     (sha, len(data), data))


def _blob_missing(conn: HubConn, op: dict) -> bool:
    if op["tbl"] != "attachment" or op["kind"] != "insert":
        return False
    return conn.execute("SELECT 1 FROM hub_blob WHERE sha256 = %s", (op["new"].get("sha256"),)).fetchone() is None


def _transactions(ops: list[dict]) -> list[list[dict]]:
    """The ops grouped by the device transaction that wrote them (consecutive in the chain)."""
    groups: list[list[dict]] = []
    for op in ops:
        if groups and groups[-1][0]["tx"] == op["tx"]:
            groups[-1].append(op)
        else:
            groups.append([op])
    return groups


def _apply_group(rows: BundleRows, hub_schema, group: list[dict], actors: dict,
                 device_user: str) -> list[rules.Outcome]:
    """The ops of one device transaction, all or none: a command refused (a stale state, a role or
    an arrondissement that does not allow it) refuses the writes that went with it."""
    mark = rows.mark()
    outcomes: list[rules.Outcome] = []
    for op in group:
        if _blob_missing(rows.conn, op):
            outcomes.append(rules.refusal(op, "blob_missing"))
        else:
            outcomes.append(rules.apply(rows, hub_schema, op, actors[op["actor"]], device_user))
    if not any(o.status == "refused" for o in outcomes):
        return outcomes
    rows.undo(mark)
    for op in group:  # the devices get the hub's rows back; a refused new row, tombstoned
        rows.touch(op["tbl"], op["row_id"])
        rules.bury(rows, hub_schema, op)
    # a state moved on since the device saw it (stale_state): the rest of its command was judged
    # against a state the device never saw; it is refused with it, for that reason
    stale = any(o.status == "refused" and o.conflicts[0]["reason"] == "stale_state" for o in outcomes)
    return [o if o.status == "refused" and (not stale or o.conflicts[0]["reason"] == "stale_state")
            else rules.refusal(op, "with_refused") for op, o in zip(group, outcomes)]


def _apply_bundle(conn: HubConn, hub: Settings, device: dict, body: dict, data: bytes, problem: str | None,
                  ops_text: str | None = None, texts: dict[int, str] | None = None) -> bytes:
    """``ops_text``: the ops' JSON array (a few ops), or ``texts``: each op's JSON text by ``id``
    (many), as ``hub_op`` keeps them."""
    ops, hub_schema = body["ops"], hub.schema
    new = _known_ops(conn, device, ops, problem)
    _store_blobs(conn, body.get("blobs", {}))
    actors: dict = {}
    groups = _transactions(new)
    fast = bulk.FactInserts(conn, hub_schema, groups, device["user_id"])  # bulk path (hub/bulk.py): its reads
    with _early_ops(conn, device["device_id"], fast.candidates, texts or {}) as early:
        fast.decide()  # (pure Python, while PostgreSQL stores the candidates' ops)
    rows = BundleRows(conn, hub_schema, fast.rest)
    fast.share(rows)
    summary = {"applied": 0, "duplicate": 0, "partial": 0, "conflict": 0, "refused": 0}
    outcomes: list[tuple[dict, str]] = []
    queued = 0  # conflicts and refusals this bundle queued
    decided: list[rules.Outcome] = []
    for index, group in enumerate(groups):
        if fast.applied(group):  # bulk path: a transaction of new facts, every op applied
            summary["applied"] += len(group)
            outcomes += [(op, "applied") for op in group]
            continue
        for op in group:
            if op["actor"] not in actors:
                actors[op["actor"]] = rules.load_actor(conn, op["actor"])
        mark = rows.mark()
        group_outcomes = _apply_group(rows, hub_schema, group, actors, device["user_id"])
        queued += sum(len(o.conflicts) for o in group_outcomes)
        if queued > BUNDLE_MAX_CONFLICTS:  # the coordinator's queue is not flooded by one bundle
            if not outcomes:
                raise Refusal("sync.too_many_refusals", most=BUNDLE_MAX_CONFLICTS)
            rows.undo(mark)  # this transaction and the rest: left pending on the device (not acknowledged)
            fast.forget(groups[index:])
            break
        for op, outcome in zip(group, group_outcomes):
            decided.append(outcome)
            summary[outcome.status] += 1
            outcomes.append((op, outcome.status))
    left, new = len(new) - len(outcomes), [op for op, _ in outcomes]
    fast.flush()  # bulk path (COPY): before rows.flush, a later op may update or re-send a bulk row
    # the writes sent together, waiting only where an answer is needed (the journal's head, the
    # receipt's conflicts): a few round trips under the lock instead of one per statement
    with nullcontext() if rows.copies() or len(outcomes) >= COPY_FROM else conn.pipeline():
        rules.record(conn, device["device_id"], decided)
        rows.flush()
        journal_seq, journal_hash = journal_append(conn, "ingest", device["device_id"], {
            "bundle_no": body["bundle_no"], "bundle_sha256": hashlib.sha256(data).hexdigest(), "ops": len(new),
            "first_seq": new[0]["seq"] if new else None, "last_seq": new[-1]["seq"] if new else None, **summary,
            **({"left_pending": left} if left else {})})
        late = _settle_early(conn, device["device_id"], early, outcomes, journal_seq)
        _store_ops(conn, device["device_id"], late, journal_seq, ops_text if len(late) == len(ops) else None,
                   texts)
        commands.scrub(conn, device["device_id"], [op for op, status in outcomes
                                                   if status == "applied" and commands.is_erase(op)])
        head = new[-1] if new else (ops[-1] if ops else None)  # the rest, if stopped: acknowledged by a later bundle
        last_seq, last_hash = (new[-1]["seq"], new[-1]["hash"]) if new else (device["last_seq"], device["last_hash"])
        conn.execute("UPDATE hub_device SET last_seq = %s, last_hash = %s, last_bundle_no = %s, cursor = %s,"
                     " last_seen = %s WHERE device_id = %s",
                     (last_seq, last_hash, body["bundle_no"], int(body.get("cursor") or 0), utc_now(),
                      device["device_id"]))
        receipt = _receipt(conn, hub.key, device["device_id"], body, head, journal_seq, journal_hash,
                           {op["op_id"]: status for op, status in outcomes})
        conn.execute("INSERT INTO hub_receipt (device_id, bundle_no, receipt) VALUES (%s, %s, %s)",
                     (device["device_id"], body["bundle_no"], receipt))
    return receipt


class _Early:
    """The ops ``_early_ops`` stored (by ``id``) and the journal entry they name."""

    def __init__(self, ops: list[dict] | None = None, journal_seq: int = 0):  # noqa: D107
        self.ops = {id(op): op for op in ops or ()}
        self.journal_seq = journal_seq


@contextmanager
def _early_ops(conn: HubConn, device_id: str, groups: list[list[dict]], texts: dict[int, str]) -> Iterator[_Early]:
    """Store the bulk path's candidate ops in ``hub_op`` while it decides them: one ``COPY``, sent
    and ended by a thread, that PostgreSQL works through (~0.25 s per 10,000 ops: its indexes, then
    its foreign key checked at the statement's end) while this process runs the rules (~0.3 s),
    instead of after them. Stored as applied, under the ingest's journal entry to come (its number:
    the next one, every writer appending under the lock this ingest holds); ``_settle_early`` takes
    back those that end otherwise. A read meanwhile would wait for the ``COPY``'s end (psycopg's
    connection lock): the bulk path reads before (``bulk.FactInserts``)."""
    ops = [op for g in groups for op in g]
    head = conn.execute("SELECT max(seq) AS seq FROM hub_journal").fetchone() if len(ops) >= EARLY_FROM else None
    journal_seq = (head["seq"] or 0) + 1 if head else 0
    rows = _op_rows(device_id, [(op, "applied") for op in ops], journal_seq, texts) if head else None
    if rows is None:
        yield _Early()
        return
    early = _Early(ops, journal_seq)
    failed: list[BaseException] = []

    def send() -> None:  # (the rows made above: the thread only sends them)
        try:
            with conn.cursor() as cur, cur.copy(_COPY_OPS) as copy:
                for row in rows:
                    copy.write_row(row)
        except BaseException as exc:  # noqa: BLE001 - raised in the ingest's own thread, below
            failed.append(exc)
    sender = threading.Thread(target=send, name="hub_op COPY", daemon=True)
    sender.start()
    try:
        yield early
    finally:
        sender.join()  # (also when the rules failed: the connection is the COPY's until it ends)
    if failed:
        raise failed[0]


def _settle_early(conn: HubConn, device_id: str, early: _Early, outcomes: list[tuple[dict, str]],
                  journal_seq: int) -> list[tuple[dict, str]]:
    """The outcomes still to store: those ``_early_ops`` did not store as they ended (applied, in
    this journal entry). Its other ops (refused, in conflict, left pending) are taken back."""
    if not early.ops:
        return outcomes
    kept = {id(op) for op, status in outcomes if status == "applied" and id(op) in early.ops}
    if len(kept) != len(early.ops):
        conn.execute(f"DELETE FROM hub_op WHERE device_id = %s AND op_id {IN_IDS}",
                     (device_id, json_ids(op["op_id"] for key, op in early.ops.items() if key not in kept)))
    if journal_seq != early.journal_seq:  # (never: every journal entry is appended under the lock)
        conn.execute(f"UPDATE hub_op SET journal_seq = %s WHERE device_id = %s AND op_id {IN_IDS}",
                     (journal_seq, device_id, json_ids(early.ops[key]["op_id"] for key in kept)))
    return [(op, status) for op, status in outcomes if id(op) not in kept]


def _store_ops(conn: HubConn, device_id: str, outcomes: list[tuple[dict, str]], journal_seq: int,
               text: str | None = None, texts: dict[int, str] | None = None) -> None:
    """Each op as sent (``op``: what ``verify_chain`` re-checks), with its outcome. Many ops: by
    ``COPY`` (``_copy_ops``); a few, in one statement: the ops go as ONE JSON array (encoded in C)
    that PostgreSQL takes apart, rather than a JSON text encoded per op in Python. ``text``: that
    array already encoded (every op of ``outcomes``, in their order); ``texts``: each op's, by ``id``."""
    if len(outcomes) >= COPY_FROM and _copy_ops(conn, device_id, outcomes, journal_seq, texts or {}):
        return
    for first in range(0, len(outcomes), OPS_PER_STATEMENT):
        part = outcomes[first:first + OPS_PER_STATEMENT]
        if text is None or len(part) != len(outcomes):
            text = _dumps([op for op, _ in part])
        conn.execute(
            "INSERT INTO hub_op (op_id, device_id, seq, tbl, row_id, kind, actor, hlc, hash, op, status, journal_seq)"
            " SELECT o->>'op_id', %s, (o->>'seq')::bigint, o->>'tbl', o->>'row_id', o->>'kind', o->>'actor',"
            " o->>'hlc', o->>'hash', o, s.status, %s"
            " FROM json_array_elements(%s::json) WITH ORDINALITY AS x(o, n)"
            " JOIN json_array_elements_text(%s::json) WITH ORDINALITY AS s(status, n) USING (n)",
            (device_id, journal_seq, text, json.dumps([st for _, st in part])))
        text = None


_OP_TEXTS = ("op_id", "tbl", "row_id", "kind", "actor", "hlc", "hash")
_OP_COLUMNS = itemgetter(*_OP_TEXTS)


_COPY_OPS = ("COPY hub_op (op_id, device_id, seq, tbl, row_id, kind, actor, hlc, hash, op, status, journal_seq)"
             " FROM STDIN")


def _copy_ops(conn: HubConn, device_id: str, outcomes: list[tuple[dict, str]], journal_seq: int,
              texts: dict[int, str]) -> bool:
    """``_store_ops`` by ``COPY`` (``_op_rows``); False, nothing written, where it cannot."""
    rows = _op_rows(device_id, outcomes, journal_seq, texts)
    if rows is None:
        return False
    with conn.cursor().copy(_COPY_OPS) as copy:
        for row in rows:
            copy.write_row(row)
    return True


def _op_rows(device_id: str, outcomes: list[tuple[dict, str]], journal_seq: int,
             texts: dict[int, str]) -> list[tuple] | None:
    """``hub_op``'s rows for ``COPY``: each op's columns taken in Python, each op's JSON text from
    ``texts`` or encoded now (``_op_text``). None when an op's columns are not what ``->>`` and
    ``::bigint`` would read the same (a text column not a string or null, a ``seq`` not an
    integer): the statement of ``_store_ops`` reads them then."""
    rows = []
    for op, status in outcomes:
        try:
            columns = _OP_COLUMNS(op)
        except KeyError:  # (a missing one: null, as ``->>`` reads it)
            columns = tuple(op.get(k) for k in _OP_TEXTS)
        if type(op.get("seq")) is not int or not all(map(_TEXT.__contains__, map(type, columns))):
            return None
        rows.append((columns[0], device_id, op["seq"], *columns[1:], texts.get(id(op)) or _op_text(op), status,
                     journal_seq))
    return rows


_TEXT = frozenset({str, type(None)})


def _op_text(op: dict, finite: bool = False) -> str:
    """An op's JSON text as ``hub_op`` keeps it: orjson's (~8x faster than ``json.dumps``), which
    reads back as the same values; ``json.dumps``'s where orjson would write another value (it
    writes NaN and infinities as null: ``json.dumps`` writes them as sent, which PostgreSQL refuses
    as before) or cannot (an integer beyond 64 bits, a lone surrogate). ``finite``: the bundle's
    reading saw no NaN or infinite float (``bundle.Unpacked``): none is looked for."""
    if not finite and not _plain(op):
        return _dumps(op)
    try:
        return orjson.dumps(op).decode()
    except orjson.JSONEncodeError:
        return _dumps(op)


def _dumps(value) -> str:
    """``json.dumps``'s text with its non-ASCII characters as they are (as orjson writes them, and as
    ``jsonb`` gave them back: ``op::text`` shows the values, so a search for a name finds it); with
    them escaped only where a lone surrogate cannot be UTF-8 (PostgreSQL refuses it, as before)."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value)
    return text


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value) -> bool:
    """No float orjson writes as null (NaN, infinities) anywhere in ``value`` (a dict or list)."""
    for v in (value.values() if type(value) is dict else value):
        kind = type(v)
        if kind is float:
            if not math.isfinite(v):
                return False
        elif kind is dict or kind is list:
            if not _plain(v):
                return False
        elif kind not in _SCALARS:  # (not from JSON) json.dumps's own text
            return False
    return True


def _receipt(conn: HubConn, key: bytes, device_id: str, body: dict, head: dict | None, journal_seq: int,
             journal_hash: str, results: dict[str, str]) -> bytes:
    """The hub's signed answer: the device's chain head it now holds, each op's outcome (``results``
    for the ops applied now, the stored ones for those received before), and every conflict or
    refusal about the bundle's ops."""
    op_ids = [op["op_id"] for op in body["ops"]]
    earlier = [i for i in op_ids if i not in results]
    if earlier:
        results = {**results, **{r["op_id"]: r["status"] for r in conn.execute(
            f"SELECT op_id, status FROM hub_op WHERE op_id {IN_IDS}", (json_ids(earlier),))}}
    conflicts = [{"conflict_id": r["conflict_id"], "op_id": r["op_id"], "tbl": r["tbl"], "row_id": r["row_id"],
                  "column": r["column_name"], "kind": r["kind"], "reason": r["reason"],
                  "device_value": r["device_value"], "hub_value": r["hub_value"]}
                 for r in conn.execute(f"SELECT * FROM hub_conflict WHERE op_id {IN_IDS} ORDER BY created_at,"
                                       " conflict_id", (json_ids(op_ids),))]
    return bundle.seal({"kind": "receipt", "schema": body["schema"], "hub_id": body["hub_id"], "device_id": device_id,
                        "bundle_no": body["bundle_no"], "through_seq": head["seq"] if head else 0,
                        "through_hash": head["hash"] if head else "", "results": results, "conflicts": conflicts,
                        "journal_seq": journal_seq, "journal_hash": journal_hash, "at": utc_now()}, key)
