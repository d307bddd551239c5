"""The append-only, hash-chained journal of every write.

Each entry's hash covers its own content and the previous entry's hash, so editing, removing or
reordering any entry breaks the chain from there on. SQLite triggers refuse UPDATE and DELETE on
the table; the chain catches what is done to the file behind the application's back.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from desktop.domain.ids import utc_now, uuid7
from desktop.store.engine import sqlite3

GENESIS = "0" * 64


def canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(seq: int, entry_id: str, at: str, actor: str | None, device_id: str, entity: str,
               entity_id: str | None, op: str, changes: str, prev_hash: str) -> str:
    payload = canonical([seq, entry_id, at, actor, device_id, entity, entity_id, op, changes, prev_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(conn: sqlite3.Connection, *, actor: str | None, device_id: str, entity: str,
           entity_id: str | None, op: str, changes: dict) -> str:
    """Append one entry; must run inside the caller's write transaction."""
    row = conn.execute("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    entry_id, at, text = uuid7(), utc_now(), canonical(changes)
    digest = entry_hash(seq, entry_id, at, actor, device_id, entity, entity_id, op, text, prev)
    conn.execute(
        "INSERT INTO journal (seq, id, at, actor, device_id, entity, entity_id, op, changes, prev_hash, hash)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (seq, entry_id, at, actor, device_id, entity, entity_id, op, text, prev, digest))
    return digest


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


def verify(conn: sqlite3.Connection, limit: int = 20) -> tuple[int, list[ChainProblem]]:
    """Walk the whole chain; return (entries checked, first problems found)."""
    problems: list[ChainProblem] = []
    prev, expected_seq, count = GENESIS, 1, 0
    cursor = conn.execute("SELECT seq, id, at, actor, device_id, entity, entity_id, op, changes,"
                          " prev_hash, hash FROM journal ORDER BY seq")
    for seq, eid, at, actor, dev, entity, entity_id, op, changes, prev_hash, digest in cursor:
        count += 1
        if seq != expected_seq:
            problems.append(ChainProblem(seq, f"entry missing before seq {seq} (expected {expected_seq})"))
        if prev_hash != prev:
            problems.append(ChainProblem(seq, "previous-hash link broken"))
        if entry_hash(seq, eid, at, actor, dev, entity, entity_id, op, changes, prev_hash) != digest:
            problems.append(ChainProblem(seq, "entry content does not match its hash"))
        prev, expected_seq = digest, seq + 1
        if len(problems) >= limit:
            break
    return count, problems
