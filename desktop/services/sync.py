"""The device side of the hub sync (issue 12): enrolment, push bundles, receipts, pulls.

A device is a commune database enrolled at a hub (``enroll_local``): from then on every write is
captured in its outbox (``desktop.store.outbox``). ``make_bundle`` signs the pending ops with the
device's key; the hub answers with a signed receipt (``apply_receipt`` marks the ops acknowledged
and records what the hub refused or flagged); ``apply_pull`` backs the database up and applies the
hub's rows (``desktop.services.pulls``, whose functions its callers reach from here too). The same
bytes travel over HTTPS and on a USB stick. No Qt, no argparse here.
"""
from __future__ import annotations

import base64
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from uuid import uuid4

from desktop.domain import bundle
from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.domain.sync import BUNDLE_MAX_OPS, FORMAT, canonical
from desktop.services import privacy
from desktop.services.commune import Commune
from desktop.services.pulls import (BULK_FROM, apply_pull, apply_pulls, backup_before_pull, forget_page,  # noqa: F401
                                    open_from_hub, pull_all, pull_position, require_enrolled)
from desktop.store import outbox
from desktop.store.db import Store, open_store
from desktop.store.engine import sqlite3
from desktop.store.migrations import LATEST

META_KEYS = ("sync.hub_id", "sync.hub_public_key", "sync.user", "sync.scope", "sync.hub_url")


def generate_device_key() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of a new device key; send the public one to the hub's ``enroll``."""
    return bundle.new_key()


def key_path(db_path: Path) -> Path:
    """The device's private key: beside the database, readable by its owner only."""
    return Path(db_path).with_name(Path(db_path).name + ".sync") / "device_key.pem"


def enroll_local(commune_path: str | Path, enrolment: dict) -> None:
    """Write an enrolment into a commune (created if absent): the device's id and key, the hub's
    id and public key, the user and scope. Every write after this is captured for the hub.

    ``enrolment`` is what the hub's ``enroll`` returned plus ``"device_key"``, the private PEM
    made by ``generate_device_key`` (and optionally ``"hub_url"``)."""
    path = Path(commune_path)
    private = enrolment["device_key"]
    private = private.encode() if isinstance(private, str) else private
    target = key_path(path)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(target, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private)
    with open_store(path, create=True) as store:
        with store.transaction(None) as tx:
            tx.set_meta("device_id", enrolment["device_id"])
            tx.set_meta("sync.hub_id", enrolment["hub_id"])
            tx.set_meta("sync.hub_public_key", enrolment["hub_public_key"])
            tx.set_meta("sync.user", json.dumps(enrolment["user"], sort_keys=True))
            tx.set_meta("sync.scope", json.dumps(enrolment.get("scope") or {}, sort_keys=True))
            if enrolment.get("hub_url"):
                tx.set_meta("sync.hub_url", enrolment["hub_url"])
            tx.set_meta(outbox.ENROLLED_KEY, "1")


@contextmanager
def _state(store: Store) -> Iterator[sqlite3.Connection]:
    """A write to the sync's own tables (outbox marks, conflicts, state): atomic, not journaled
    (they are not rows of the commune; the outbox has its own chain)."""
    conn = store.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# The pending ops, each op's ``old``/``new`` as the outbox stored them: the canonical JSON text its
# hash was computed over (``outbox.capture``; the columns are never rewritten).
_OP_COLUMNS = ("op_id", "device_id", "seq", "tbl", "row_id", "kind", "base_version", "old", "new", "hlc", "actor",
               "at", "tx", "prev_hash", "hash")
_PENDING = f"SELECT {', '.join(_OP_COLUMNS)} FROM sync_op WHERE acked_at IS NULL ORDER BY seq"


def make_bundle(commune: Commune) -> bytes:
    """The first push bundle of this device's pending ops (all of them when they fit in one:
    ``make_bundles``). Its receipt acknowledges them; the next call makes the next bundle."""
    return make_bundles(commune, first_only=True)[0]


def _chunks(ops: list[tuple], most: int) -> list[list[tuple]]:
    """The pending ops cut into bundles of at most ``most`` ops, between two device transactions
    (a command travels whole) unless one transaction alone holds more."""
    tx = _OP_COLUMNS.index("tx")
    chunks: list[list[tuple]] = [[]]
    for op in ops:
        chunk = chunks[-1]
        if len(chunk) >= most:
            cut = len(chunk)
            while cut > 0 and chunk[cut - 1][tx] == op[tx]:
                cut -= 1
            chunks[-1:] = [chunk[:cut], chunk[cut:]] if cut else [chunk, []]
        chunks[-1].append(op)
    return chunks


def make_bundles(commune: Commune, most: int | None = None, first_only: bool = False) -> list[bytes]:
    """Every pending op of this device, with the photos they add, in signed bundles of at most
    ``most`` ops (``BUNDLE_MAX_OPS``: the hub refuses more), consecutive in the device's chain;
    ``first_only``: the first of them. Nothing pending: one empty bundle (it reports the cursor).

    Each body is the canonical JSON of the ops, written without parsing each op's stored
    ``old``/``new`` JSON and writing it again: the ops are written with a marker in their place,
    then each marker is replaced by the stored text (itself canonical JSON, so the body parses to
    the very same values; the hub verifies the signature on the text it receives and each op's
    hash on the values it parses)."""
    store = commune.store
    require_enrolled(store)
    chunks = _chunks(list(store.conn.execute(_PENDING)), most or BUNDLE_MAX_OPS)
    if first_only:
        chunks = chunks[:1]
    with _state(store) as conn:
        first = int(outbox.get_state(conn, "bundle_no") or 0) + 1
        outbox.set_state(conn, "bundle_no", str(first + len(chunks) - 1))
    key = key_path(store.path).read_bytes()
    return [_sealed(store, rows, first + n, key) for n, rows in enumerate(chunks)]


def _sealed(store: Store, rows: list[tuple], number: int, key: bytes) -> bytes:
    mark = uuid4().hex
    ops, raw = [], []
    for r in rows:
        op = dict(zip(_OP_COLUMNS, r))
        raw.append((op["old"], op["new"]))
        n = len(raw) - 1
        op["old"], op["new"] = f"{mark}:{n}:0", f"{mark}:{n}:1"
        ops.append(op)
    blobs = {}
    for op, (_, new) in zip(ops, raw):
        if op["tbl"] == "attachment" and op["kind"] == "insert":
            sha = json.loads(new).get("sha256")
            if store.attachments.path_for(sha).exists():
                blobs[sha] = base64.b64encode(store.attachments.read(sha)).decode("ascii")
    body = {"kind": "push", "schema": LATEST, "device_id": store.device_id, "hub_id": store.meta("sync.hub_id"),
            "bundle_no": number, "cursor": int(outbox.get_state(store.conn, "cursor") or 0),
            "hlc": outbox.get_state(store.conn, "hlc"), "ops": ops, "blobs": blobs, "at": utc_now()}
    text = canonical({"format": FORMAT, **body})
    text = re.compile(f'"{mark}:([0-9]+):([01])"').sub(lambda m: raw[int(m[1])][int(m[2])], text)
    return bundle.seal_text(text, key)


def apply_receipt(commune: Commune, receipt: bytes) -> dict:
    """Mark the ops the hub acknowledged, and record its conflicts and refusals. Idempotent.
    Returns ``{"acknowledged": n, "conflicts": n}``."""
    store = commune.store
    body = open_from_hub(store, receipt, "receipt")
    with _state(store) as conn:
        acked = 0
        if body["through_seq"]:
            acked = outbox.acknowledge(conn, body["through_seq"], body["through_hash"], body["results"], body["at"])
            if acked < 0:
                raise Refusal("sync.receipt_not_ours")
        for c in body.get("conflicts", []):
            conn.execute("INSERT OR IGNORE INTO sync_conflict (conflict_id, op_id, tbl, row_id, column_name, kind,"
                         " reason, device_value, hub_value, reported_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (c["conflict_id"], c["op_id"], c["tbl"], c["row_id"], c.get("column"), c["kind"],
                          c["reason"], json.dumps(c.get("device_value")), json.dumps(c.get("hub_value")), body["at"]))
        outbox.set_state(conn, "last_receipt_at", body["at"])
        outbox.set_state(conn, "hub_journal_hash", body.get("journal_hash") or "")
    if acked > 0:  # the erasures the hub has now applied: their rows' values out of the outbox (Law 09-08)
        privacy.scrub_outbox(store)
    return {"acknowledged": acked, "conflicts": len(body.get("conflicts", []))}


def apply_file(commune: Commune, data: bytes) -> dict:
    """What ``sync import`` reads: a receipt, a pull, or a hub export (receipts, then a pull); or
    several receipts, one a line (``hub import`` of several bundles)."""
    parts = bundle.split(data)
    if len(parts) > 1:
        return {"receipts": [apply_receipt(commune, part) for part in parts]}
    kind = bundle.peek(data).get("kind")
    if kind == "receipt":
        return {"receipt": apply_receipt(commune, data)}
    if kind == "pull":
        return {"pull": apply_pull(commune, data)}
    body = open_from_hub(commune.store, data, "export")
    result: dict = {"receipts": [apply_receipt(commune, r.encode("utf-8")) for r in body["receipts"]]}
    result["pull"] = apply_pull(commune, body["pull"].encode("utf-8"))
    return result


def list_conflicts(commune: Commune, status: str | None = "open") -> list[dict]:
    """The conflicts and refusals the hub reported for this device's ops."""
    sql = ("SELECT conflict_id, op_id, tbl, row_id, column_name, kind, reason, device_value, hub_value,"
           " reported_at, status FROM sync_conflict")
    rows = commune.store.query(sql + (" WHERE status = ?" if status else "") + " ORDER BY reported_at, conflict_id",
                               (status,) if status else ())
    for row in rows:
        row["device_value"] = json.loads(row["device_value"]) if row["device_value"] else None
        row["hub_value"] = json.loads(row["hub_value"]) if row["hub_value"] else None
    return rows


def remember_hub_conflicts(commune: Commune, count: int) -> None:
    """The open conflicts of the hub's queue, as last read (a coordinator's station shows them)."""
    with commune.store.transaction(None) as tx:
        tx.capture = False
        outbox.set_state(tx.conn, "hub_conflicts", str(int(count)))


def status(commune: Commune) -> dict:
    """What the GUI and ``sync`` show: enrolment, pending ops, last receipt, open conflicts."""
    store = commune.store
    enrolled = outbox.is_enrolled(store.conn)
    state = (lambda name: outbox.get_state(store.conn, name)) if enrolled else (lambda name: None)
    return {"enrolled": enrolled, "device_id": store.device_id, "hub_id": store.meta("sync.hub_id"),
            "hub_url": store.meta("sync.hub_url"),
            "user": json.loads(store.meta("sync.user") or "null"),
            "scope": json.loads(store.meta("sync.scope") or "null"),
            "pending": outbox.pending_count(store.conn) if enrolled else 0,
            "last_receipt_at": state("last_receipt_at"), "last_pull_at": state("last_pull_at"),
            "cursor": int(state("cursor") or 0),
            "conflicts": store.scalar("SELECT count(*) FROM sync_conflict WHERE status = 'open'") if enrolled else 0,
            "hub_conflicts": int(state("hub_conflicts") or 0) if state("hub_conflicts") else None}
