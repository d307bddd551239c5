"""What the hub's modules share: the connection, the hub's settings and key, its schema
description, and its own hash-chained journal (one entry per ingested bundle, enrolment,
revocation, resolution)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

import psycopg
from psycopg.rows import DictRow, dict_row

from desktop.domain.errors import Refusal
from desktop.domain.ids import utc_now
from desktop.domain.sync import GENESIS, canonical

HUB_COLUMNS = ("hub_seq", "scope_district")  # the hub's own columns on every mirrored table
HubConn = psycopg.Connection[DictRow]  # rows as dictionaries
LOCK = 0x636F6D6D  # advisory lock: ingests exclusive, pulls shared (a pull's cursor never skips a change)


def q(name: str) -> str:
    """A quoted identifier (``user`` is a reserved word in PostgreSQL)."""
    return '"' + name.replace('"', '""') + '"'


def connect(pg_url: str) -> HubConn:
    """A connection in autocommit mode; every write runs in an explicit ``conn.transaction()``."""
    try:
        return psycopg.connect(pg_url, autocommit=True, row_factory=dict_row, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise Refusal("sync.hub_unreachable", detail=str(exc).strip().splitlines()[0] if str(exc) else "") from None


def meta(conn: HubConn, key: str) -> str | None:
    try:
        row = conn.execute("SELECT value FROM hub_meta WHERE key = %s", (key,)).fetchone()
    except psycopg.errors.UndefinedTable:
        raise Refusal("sync.hub_not_initialised") from None
    return row["value"] if row else None


@dataclass(frozen=True)
class HubSchema:
    """The mirrored tables: their columns (name → SQLite type) and foreign keys (column → parent)."""
    version: int
    columns: dict[str, dict[str, str]]
    fks: dict[str, dict[str, str]]
    casts: dict[str, dict[str, type | None]]  # the Python type of each column's values at the hub


_CASTS = {"TEXT": str, "INTEGER": int, "REAL": float}


@lru_cache(maxsize=32)
def _parse_schema(text: str) -> HubSchema:
    data = json.loads(text)
    casts = {t: {c: _CASTS.get(kind) for c, kind in cols.items()} for t, cols in data["columns"].items()}
    return HubSchema(int(data["version"]), data["columns"], data["fks"], casts)


def schema(conn: HubConn) -> HubSchema:
    return _parse_schema(meta(conn, "schema") or "")


def hub_key(conn: HubConn) -> bytes:
    return (meta(conn, "private_key") or "").encode()


def journal_append(conn: HubConn, kind: str, device_id: str | None, detail: dict) -> tuple[int, str]:
    """Append one entry to the hub's chain (inside the caller's transaction, under its lock)."""
    last = conn.execute("SELECT seq, hash FROM hub_journal ORDER BY seq DESC LIMIT 1 FOR UPDATE").fetchone()
    seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
    at, text = utc_now(), canonical(detail)
    digest = hashlib.sha256(canonical([seq, at, kind, device_id, text, prev]).encode()).hexdigest()
    conn.execute("INSERT INTO hub_journal (seq, at, kind, device_id, detail, prev_hash, hash)"
                 " VALUES (%s, %s, %s, %s, %s, %s, %s)", (seq, at, kind, device_id, text, prev, digest))
    return seq, digest


def verify_journal(conn: HubConn) -> list[str]:
    """The hub's chain, whole: problems found (none when intact)."""
    prev, expected, problems = GENESIS, 1, []
    for row in conn.execute("SELECT seq, at, kind, device_id, detail, prev_hash, hash FROM hub_journal ORDER BY seq"):
        digest = hashlib.sha256(canonical([row["seq"], row["at"], row["kind"], row["device_id"], row["detail"],
                                           row["prev_hash"]]).encode()).hexdigest()
        if row["seq"] != expected or row["prev_hash"] != prev or digest != row["hash"]:
            problems.append(f"hub journal entry {row['seq']}: broken")
        prev, expected = row["hash"], row["seq"] + 1
    return problems
